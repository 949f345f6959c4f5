/**
 * June 2019, day by day, on a runtime of its own (real DynamoDB, SQS, SES emulators; the mailer as the
 * outbox's event source): each day's 09:00 sweep is ticked, and the mails that reach the local inbox are
 * compared with a table written here — who, which kind. A District office and two of its schools, one of
 * which hands everything in on 25 June (between two reminders); a Direct school with no contact (never
 * mailed, listed for the Bureau); a WeCom group robot; a duplicated and a concurrent schedule delivery; the
 * campaign closed on 4 July. Then the Bureau's page and CSV show each org's reminder ledger.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { outboxClaims, outboxLedger } from '../../functions/reminders/outbox.js';
import { main } from '../../local/cli.js';
import { ddbClient } from '../../functions/shared/clients/dynamodb.js';
import { s3Client } from '../../functions/shared/clients/s3.js';
import { readEnv } from '../../functions/shared/env.js';
import { signingKeySource } from '../../functions/shared/tokens.js';
import { admin } from '../../local/admin.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { type FakeRobot, startFakeRobot } from '../fixtures/fake-robot.js';
import { call, postToS3, requestUpload, type Rt, sessionFor } from './helpers.js';

const CAMPAIGN = 'r-2019';
const ORGS = [
  'id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone',
  'r-bureau,提醒测试市教育局,bureau,,,王科长,bureau@r.example.cn,0791-1',
  'r-centre,提醒测试中心,centre,,,周老师,centre@r.example.cn,0791-2',
  'r-d,提醒测试区教体局,district,,,李老师,d@r.example.cn,0791-3',
  'r-a,提醒测试区第一小学,school,r-d,,张老师,a@r.example.cn,0791-4',
  'r-b,提醒测试区第二中学,school,r-d,,赵老师,b@r.example.cn,0791-5',
  'r-c,提醒测试直属中学,school,,局属学校,,,',
].join('\n');
const WHO: Record<string, string> = { 'bureau@r.example.cn': 'bureau', 'centre@r.example.cn': 'centre', 'd@r.example.cn': 'd', 'a@r.example.cn': 'a', 'b@r.example.cn': 'b' };
const ROBOT_KEY = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

let runtime: Runtime;
let rt: Rt;
let robot: FakeRobot;
const dir = mkdtempSync(join(tmpdir(), 'psy-it-remind-'));

beforeAll(async () => {
  runtime = await startRuntime({ dir, port: 0, sesPort: 0, quiet: true, scheduler: false, domainNow: '2019-06-25T10:00:00+08:00' });
  const env = readEnv(process.env);
  rt = { env: runtime.env, baseUrl: runtime.url, sesUrl: runtime.sesUrl, ops: admin(env, signingKeySource(env)), ddb: ddbClient(), s3: s3Client(), table: env.TABLE_NAME, bucket: env.BUCKET_NAME as string };
  const imported = await rt.ops.importOrgs(ORGS);
  expect(imported.ok).toBe(true);
  await rt.ops.createCampaign(
    JSON.stringify({
      id: CAMPAIGN,
      title: '提醒测试两个实施方案报送',
      noticeNo: '洪教健字〔2019〕1号',
      documents: [
        { kind: 'service-plan', title: '心理服务体系建设工作实施方案' },
        { kind: 'crisis-plan', title: '心理危机管理工作方案' },
      ],
      deadline: '2019-06-30T23:59:59.999+08:00',
      audience: 'all',
      receiverId: 'r-centre',
      contact: { name: '周老师', phone: '0791-2' },
    }),
  );
  robot = await startFakeRobot();
  await rt.ops.setRobot('r-a', { kind: 'wecom', url: robot.wecomUrl(ROBOT_KEY) }, { allowLoopback: true });
}, 60_000);

afterAll(async () => {
  await robot?.close();
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let seen = 0;
/** The mails that reached the inbox since the last call, as "who:kind", sorted. */
async function newMails(): Promise<string[]> {
  const store = (await (await fetch(`${runtime.sesUrl}/store`)).json()) as { emails: { subject: string; destination: { to: string[] } }[] };
  const fresh = store.emails.slice(seen);
  seen = store.emails.length;
  return fresh
    .flatMap((m) => {
      const kind = m.subject.includes('邮箱无法送达') ? 'alert' : m.subject.includes('辖区内') ? 'district' : m.subject.includes('个单位') ? 'city' : 'remind';
      return m.destination.to.map((to) => `${WHO[to] ?? to}:${kind}`);
    })
    .sort();
}
let robotSeen = 0;
const newRobotPosts = () => {
  const n = robot.received.length - robotSeen;
  robotSeen = robot.received.length;
  return n;
};

const at = (mmdd: string) => new Date(`2019-${mmdd.slice(0, 2)}-${mmdd.slice(2)}T09:00:00+08:00`);
const days = (from: string, to: string) => {
  const out: string[] = [];
  for (let t = at(from).getTime(); t <= at(to).getTime(); t += 86_400_000) {
    const d = new Date(t + 8 * 3600_000);
    out.push(`${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`);
  }
  return out;
};

const DIGESTS = ['bureau:city', 'centre:city', 'd:district'];
const REMIND_OWING = ['a:remind', 'd:remind'];
/** What the default policy sends each day (09:00 Beijing): everything else, nothing. */
const EXPECTED: Record<string, string[]> = {
  '0616': ['a:remind', 'b:remind', 'd:remind'], // 14 days before
  '0623': ['a:remind', 'b:remind', 'd:remind', ...DIGESTS], // 7 days before: digests start
  '0624': DIGESTS,
  '0625': DIGESTS, // b hands everything in after this sweep
  '0626': DIGESTS,
  '0627': [...REMIND_OWING, ...DIGESTS], // 3 days before; b is no longer reminded
  '0628': DIGESTS,
  '0629': [...REMIND_OWING, ...DIGESTS], // 1 day before
  '0630': [...REMIND_OWING, ...DIGESTS], // the day itself
  '0701': [...REMIND_OWING, ...DIGESTS], // overdue 1
  '0702': DIGESTS,
  '0703': ['d:remind', ...DIGESTS], // overdue 3: a's address bounced on 1 July (its robot still gets it)
  '0704': DIGESTS, // closed after this sweep
};
/** Days the WeCom robot of school a gets a message (its own reminders). */
const ROBOT_DAYS = new Set(['0616', '0623', '0627', '0629', '0630', '0701', '0703']);

/** An SES bounce as EventBridge delivers it from the configuration set (the mail's tags name the org). */
const sesBounce = (address: string, orgId: string) => ({
  version: '0',
  source: 'aws.ses',
  'detail-type': 'Email Bounced',
  time: '2019-07-01T01:05:00Z',
  detail: {
    eventType: 'Bounce',
    mail: { messageId: 'm-1', destination: [address], tags: { org: [orgId], campaign: [CAMPAIGN], 'ses:configuration-set': ['psy-local'] } },
    bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: address }], timestamp: '2019-07-01T01:05:00.000Z' },
  },
});

async function handIn(orgId: string) {
  const { cookie } = await sessionFor(rt, orgId, CAMPAIGN);
  const pdf = new Uint8Array(readFileSync(resolve(import.meta.dirname, '../fixtures/docs/plan.pdf')));
  for (const document of ['service-plan', 'crisis-plan']) {
    const p = await requestUpload(rt, cookie, { document, fileName: `${document}.pdf`, size: pdf.byteLength });
    expect((await postToS3(p, pdf, `${document}.pdf`)).status).toBeLessThan(300);
  }
  await runtime.settled();
}

describe('reminders through June 2019, day by day', () => {
  it('each day brings exactly the mails and robot messages of the table, and nothing else', async () => {
    await newMails(); // whatever came before (nothing: no invitations were sent)
    for (const day of days('0601', '0705')) {
      // The group robot refuses the 27 June message for good (an invalid key): the mail still goes.
      if (day === '0627') robot.failNext({ errcode: 93000, errmsg: 'invalid webhook url' });
      if (day === '0623') {
        // A duplicated delivery of the same schedule and two sweeps at once: the ledger sends each mail once.
        await Promise.all([runtime.tick(at(day)), runtime.tick(at(day))]);
        await runtime.tick(at(day));
      } else await runtime.tick(at(day));
      await runtime.outboxIdle();
      expect(await newMails(), `mails of ${day}`).toEqual([...(EXPECTED[day] ?? [])].sort());
      expect(newRobotPosts(), `robot messages of ${day}`).toBe(ROBOT_DAYS.has(day) ? 1 : 0);
      if (day === '0625') {
        await handIn('r-b');
        await runtime.outboxIdle();
        await new Promise((ok) => setTimeout(ok, 300)); // the receipts are sent by the validator itself
        expect((await newMails()).length, 'one receipt per version').toBe(2);
      }
      if (day === '0701') {
        // SES reports a permanent bounce of school a's address (EventBridge → ses-events), twice.
        const bounce = sesBounce('a@r.example.cn', 'r-a');
        await runtime.invoke('ses-events', bounce);
        await runtime.invoke('ses-events', bounce);
        await runtime.outboxIdle();
        expect(await newMails(), 'the Bureau is told once').toEqual(['bureau:alert']);
      }
      if (day === '0704') await rt.ops.closeCampaign(CAMPAIGN, at('0704'));
    }
  }, 240_000);

  it('the ledger holds each mail with its SES message id; the robot message under its own key', async () => {
    const ledger = outboxLedger(rt.ddb, rt.table);
    const mail = await ledger.get(`remind#${CAMPAIGN}#r-a#before-7#20190623`);
    expect(mail).toMatchObject({ state: 'sent', attempts: 1, about: { kind: 'reminder', orgId: 'r-a', rule: 'before-7', day: '20190623' } });
    expect(mail?.messageId).toBeTruthy();
    expect(await ledger.get(`remind#${CAMPAIGN}#r-a#before-7#20190623#robot#wecom`)).toMatchObject({ state: 'sent', payload: { channel: 'wecom', orgId: 'r-a' } });
    // The robot message the webhook refused for good: failed with the platform's reason, not retried.
    const refused = await ledger.get(`remind#${CAMPAIGN}#r-a#before-3#20190627#robot#wecom`);
    expect(refused).toMatchObject({ state: 'failed', attempts: 1 });
    expect(refused?.error).toContain('93000');
    expect(refused?.error).not.toContain(ROBOT_KEY);
    expect(robot.received.filter((m) => m.outcome === 'errcode')).toHaveLength(1);
    // The Direct school without a contact was never planned, only listed for the Bureau.
    expect(await ledger.get(`remind#${CAMPAIGN}#r-c#before-7#20190623`)).toBeUndefined();
  });

  it('the city digest names the unreachable Direct school; the District digest only its own schools', async () => {
    const store = (await (await fetch(`${runtime.sesUrl}/store`)).json()) as { emails: { subject: string; body: { text: string }; destination: { to: string[] } }[] };
    const city = store.emails.find((m) => m.destination.to.includes('bureau@r.example.cn'));
    expect(city?.body.text).toContain('提醒测试直属中学');
    const district = store.emails.filter((m) => m.destination.to.includes('d@r.example.cn') && m.subject.includes('辖区内'));
    expect(district.at(-1)?.body.text).toContain('提醒测试区第一小学');
    expect(district.at(-1)?.body.text).not.toContain('提醒测试区第二中学'); // handed in on 25 June
    expect(district.at(-1)?.body.text).not.toContain('提醒测试直属中学');
  });

  it('the Bureau’s page and CSV show who was reminded when', async () => {
    const { cookie } = await sessionFor(rt, 'r-bureau', CAMPAIGN);
    const page = await call(rt, '/status', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('已提醒 7 次：6月16日、6月23日、6月27日、6月29日、6月30日、7月1日、7月3日');
    expect(page.text).toContain('已提醒 2 次：6月16日、6月23日');
    // The bounced address: marked on the page, in the CSV, in the registry; a transient bounce changes nothing.
    expect(page.text).toMatch(/data-org="r-a"[^]*?邮箱无效（退信）/);
    expect((await rt.ops.listOrgs()).find((o) => o.id === 'r-a')?.contacts[0]?.invalid).toMatchObject({ reason: 'bounce' });
    const transient = sesBounce('b@r.example.cn', 'r-b');
    transient.detail.bounce.bounceType = 'Transient';
    expect(await runtime.invoke('ses-events', transient)).toMatchObject({ reason: 'transient', contactsMarked: 0, alertsQueued: 0 });
    expect((await rt.ops.listOrgs()).find((o) => o.id === 'r-b')?.contacts[0]?.invalid).toBeUndefined();
    // Something that is not an SES event fails loudly (retried, then the failed-event queue).
    await expect(runtime.invoke('ses-events', { source: 'aws.s3' })).rejects.toThrow('not an SES bounce or complaint');
    const csv = await call(rt, '/api/status?format=csv', { cookie });
    const line = csv.text.split('\r\n').find((l) => l.includes(',r-b,'));
    expect(line).toContain('已提醒 2 次：6月16日、6月23日（发至 b@r.example.cn）');
    expect(csv.text.split('\r\n').find((l) => l.includes(',r-a,'))).toContain('a@r.example.cn（退信）');
    expect(csv.text.split('\r\n').find((l) => l.includes(',r-a,'))).toContain('（发至 a@r.example.cn、企业微信群）');
  });

  it('npm run cli -- outbox shows a dead letter with its ledger entry; --redrive puts it back and the mailer sends it once', async () => {
    const key = 'remind#r-2019#r-b#manual#20190705';
    const mail = { to: ['b@r.example.cn'], subject: '【提醒】死信重发测试', text: 't', html: '<p>t</p>' };
    expect(await outboxClaims(rt.ddb, rt.table).claim(key, { kind: 'reminder', campaignId: CAMPAIGN, orgId: 'r-b' }, { channel: 'mail', mail }, '2019-07-05T01:00:00.000Z')).toEqual({ claimed: true });
    // As if the mailer had failed it five times: the key sits in the dead-letter queue.
    await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: runtime.env.OUTBOX_DLQ_URL, MessageBody: JSON.stringify({ key }) }));
    const runtimeFile = join(dir, 'runtime.json');
    writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, env: runtime.env }));
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const code = await main(argv, { out: (l) => out.push(l), err: (l) => out.push(l) }, { PSY_RUNTIME_FILE: runtimeFile });
      return { code, text: out.join('\n') };
    };
    const shown = await cli('outbox');
    expect(shown.code).toBe(0);
    expect(shown.text).toContain(`死信 1 封`);
    expect(shown.text).toContain(`${key}  已登记  reminder r-b  尝试 0 次`);
    await newMails();
    const redriven = await cli('outbox', '--redrive');
    expect(redriven.code, redriven.text).toBe(0);
    expect(redriven.text).toContain('死信 1 封');
    await runtime.outboxIdle();
    expect(await newMails()).toEqual(['b:remind']);
    expect((await cli('outbox')).text).toContain('死信队列为空');
    // A second redrive has nothing to move and sends nothing.
    await cli('outbox', '--redrive');
    await runtime.outboxIdle();
    expect(await newMails()).toEqual([]);
    expect((await cli('outbox', '--resend', key)).text).toContain('状态是 sent');
  });
});
