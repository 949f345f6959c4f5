import { beforeEach, describe, expect, it } from 'vitest';
import { type InviteDeps, invitationMail, sendInvitations } from '../../functions/campaigns/invite.js';
import { deliver, type DeliverDeps } from '../../functions/reminders/deliver.js';
import { routingOf } from '../../functions/plans/routing.js';
import { AppError } from '../../functions/shared/errors.js';
import { tokenSigner } from '../../functions/shared/tokens.js';
import { Org } from '../../schemas/orgs.js';
import { FakeCampaignStore, FakeMailer, FakeOrgStore, FakeOutboxLedger, FakeOutboxQueue, FixedClock } from './fakes.js';
import { allOrgs, campaign, keyBytes, orgs } from './samples.js';

const SITE = 'https://psy.example.cn';

function world() {
  const ledger = new FakeOutboxLedger();
  const mailer = new FakeMailer();
  const clock = new FixedClock('2019-05-10T01:00:00.000Z');
  const deps = {
    orgs: new FakeOrgStore(allOrgs),
    campaigns: new FakeCampaignStore([campaign]),
    tokens: tokenSigner(async () => keyBytes()),
    ledger,
    queue: new FakeOutboxQueue(),
    clock,
    siteOrigin: SITE,
    linkTtlDays: 60,
  } satisfies InviteDeps;
  /** The mailer as the outbox's consumer runs it (functions/reminders/deliver.ts). */
  const mailerDeps: DeliverDeps = {
    ledger,
    mailer,
    suppressions: { suppressed: async () => new Set() },
    summaries: { remind: async () => false },
    now: () => clock.now(),
    pace: async () => undefined,
    sleep: async () => undefined,
  };
  return { ...deps, mailer, mailerDeps };
}
type World = ReturnType<typeof world>;

/** send-invites, then the mailer takes every message put on the queue (as the event source would); returns the report and the keys whose send failed (left for a retry). */
async function invite(w: World, campaignId = campaign.id) {
  const report = await sendInvitations(w, campaignId);
  const retry: string[] = [];
  for (const key of w.queue.sent.splice(0)) await deliver(w.mailerDeps, key).catch(() => retry.push(key));
  return { ...report, retry };
}

/** Everyone with a contact: the audience (District offices and schools), the receiving Centre, the Bureau; xh has no contact. */
const EXPECTED = ['bureau', 'centre', 'dh', 'dh-school-1', 'dh-school-2', 'xh-school-1', 'direct-1'];
const sortIds = (ids: string[]) => [...ids].sort();
const linkIn = (text: string) => {
  const m = new RegExp(`${SITE.replace(/[.]/g, '\\.')}/l/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(text);
  return m?.[1];
};
const mailTo = (w: World, email: string) => w.mailer.sent.filter((m) => m.to.includes(email));

describe('sendInvitations', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('invites every audience org, the receiver and the Bureau once, to their deduplicated lower-case addresses', async () => {
    const report = await invite(w);
    expect(sortIds(report.queued.map((s) => s.orgId))).toEqual(sortIds(EXPECTED));
    expect(report.already).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(w.mailer.sent).toHaveLength(EXPECTED.length);
    expect(report.queued.find((s) => s.orgId === 'dh')?.to).toEqual(['li@dh.example.cn']);
    expect(sortIds(w.mailer.sent.map((m) => m.to.join(',')))).toEqual(
      sortIds([
        'office@bureau.example.cn',
        'wang@centre.example.cn',
        'li@dh.example.cn',
        'zhang@dh1.example.cn',
        'zhao@dh2.example.cn',
        'chen@xh1.example.cn',
        'liu@d1.example.cn',
      ]),
    );
    const entry = w.ledger.items.get('invite#2019-plans#dh-school-1#v1');
    expect(entry).toMatchObject({
      key: 'invite#2019-plans#dh-school-1#v1',
      about: { kind: 'invite', campaignId: '2019-plans', orgId: 'dh-school-1' },
      payload: { channel: 'mail', mail: { to: ['zhang@dh1.example.cn'] } },
      state: 'sent',
      claimedAt: '2019-05-10T01:00:00.000Z',
      messageId: expect.stringMatching(/^msg-\d+$/),
      sentAt: '2019-05-10T01:00:00.000Z',
      attempts: 1,
    });
    expect([...w.ledger.items.values()].every((e) => e.state === 'sent')).toBe(true);
  });

  it('skips an org with no contact address', async () => {
    const report = await invite(w);
    expect(report.skipped).toEqual([{ orgId: 'xh', reason: '没有联系人邮箱' }]);
    expect(w.ledger.items.has('invite#2019-plans#xh#v1')).toBe(false);
  });

  it('a second run sends nothing new and reports every org as already invited', async () => {
    await invite(w);
    const second = await invite(w);
    expect(second.queued).toEqual([]);
    expect(sortIds(second.already)).toEqual(sortIds(EXPECTED));
    expect(second.skipped).toEqual([{ orgId: 'xh', reason: '没有联系人邮箱' }]);
    expect(w.mailer.sent).toHaveLength(EXPECTED.length);
  });

  it('a mail SES refuses for now stays on the outbox; its retry sends it once, and a second run queues nothing', async () => {
    w.mailer.failFor = (m) => m.to.includes('zhao@dh2.example.cn');
    const first = await invite(w);
    expect(first.failed).toEqual([]);
    expect(first.queued).toHaveLength(EXPECTED.length);
    expect(first.retry).toEqual(['invite#2019-plans#dh-school-2#v1']);
    expect(w.ledger.items.get('invite#2019-plans#dh-school-2#v1')).toMatchObject({ state: 'queued', error: 'Error: SES: Throttling: Maximum sending rate exceeded' });

    w.mailer.failFor = undefined;
    expect(await deliver(w.mailerDeps, 'invite#2019-plans#dh-school-2#v1')).toBe('sent'); // SQS delivers it again
    expect(mailTo(w, 'zhao@dh2.example.cn')).toHaveLength(1);
    const second = await invite(w);
    expect(second.queued).toEqual([]);
    expect(w.mailer.sent).toHaveLength(EXPECTED.length);
  });

  it('does not send twice when recording the sent mail fails after the mail left', async () => {
    // The mail was handed to SES; only the ledger update failed. "Nothing twice": the entry stays "sending".
    w.ledger.failFinishFor = (key) => key === 'invite#2019-plans#dh-school-1#v1';
    const first = await invite(w);
    expect(first.retry).toEqual(['invite#2019-plans#dh-school-1#v1']);
    expect(mailTo(w, 'zhang@dh1.example.cn')).toHaveLength(1);
    w.ledger.failFinishFor = undefined;
    expect(await deliver(w.mailerDeps, 'invite#2019-plans#dh-school-1#v1')).toBe('in-flight');
    const second = await invite(w);
    expect(second.queued.map((s) => s.orgId)).not.toContain('dh-school-1');
    expect(mailTo(w, 'zhang@dh1.example.cn')).toHaveLength(1);
  });

  it('invites an org again after its token version is bumped, with a link of the new version', async () => {
    await invite(w);
    await w.orgs.bumpTokenVersion('dh-school-1');
    const again = await invite(w);
    expect(again.queued).toEqual([{ orgId: 'dh-school-1', to: ['zhang@dh1.example.cn'] }]);
    const mails = mailTo(w, 'zhang@dh1.example.cn');
    expect(mails).toHaveLength(2);
    const oldToken = linkIn(mails[0]?.text ?? '');
    const newToken = linkIn(mails[1]?.text ?? '');
    expect(await w.tokens.verify(oldToken ?? '', 'link')).toMatchObject({ version: 1 });
    expect(await w.tokens.verify(newToken ?? '', 'link')).toEqual({ orgId: 'dh-school-1', campaignId: '2019-plans', role: 'school', version: 2 });
    expect(w.ledger.items.get('invite#2019-plans#dh-school-1#v2')?.state).toBe('sent');
  });

  it('each mail carries its own org link ${siteOrigin}/l/<token>, in the text and the HTML', async () => {
    await invite(w);
    const roles: Record<string, string> = {};
    for (const m of w.mailer.sent) {
      const token = linkIn(m.text);
      expect(token).toBeDefined();
      expect(m.html).toContain(`href="${SITE}/l/${token}"`);
      const g = await w.tokens.verify(token ?? '', 'link');
      const org = allOrgs.find((o) => o.contacts.some((c) => m.to.includes(c.email.toLowerCase())));
      expect(g).toEqual({ orgId: org?.id, campaignId: '2019-plans', role: g.role, version: 1 });
      roles[g.orgId] = g.role;
    }
    expect(roles).toEqual({
      bureau: 'city',
      centre: 'city',
      dh: 'district',
      'dh-school-1': 'school',
      'dh-school-2': 'school',
      'xh-school-1': 'school',
      'direct-1': 'school',
    });
  });

  it('writes a Chinese subject with the deadline date and no "undefined" anywhere', async () => {
    await invite(w);
    const school = mailTo(w, 'zhang@dh1.example.cn')[0];
    expect(school?.subject).toBe('【请于2019年6月30日前报送】心理服务体系建设实施方案报送');
    expect(school?.text).toContain('请于 2019年6月30日 23:59（北京时间）前');
    expect(school?.text).toContain('1. 心理服务体系建设工作实施方案\n2. 心理危机管理工作方案');
    expect(school?.text).toContain('《心理服务体系建设实施方案报送》（洪教健字〔2019〕1号）');
    expect(school?.text).toContain('联系人：\n东湖区教科体局 李老师\n南昌市未成年人心理健康辅导中心 王老师（电话 0791-86123456）\n');
    expect(school?.text).toContain('有效期 60 天');
    expect(school?.text.startsWith('东湖区第一小学：')).toBe(true);
    expect(mailTo(w, 'li@dh.example.cn')[0]?.text).toContain('县区教育局（教体办）还可通过同一链接查看辖区内各学校的报送情况。');
    expect(mailTo(w, 'office@bureau.example.cn')[0]?.subject).toBe('【报送情况】心理服务体系建设实施方案报送');
    for (const m of w.mailer.sent) {
      for (const part of [m.subject, m.text, m.html]) {
        expect(part).not.toContain('undefined');
        expect(part).not.toContain('null');
        expect(part).not.toContain('NaN');
      }
      expect(m.text).toContain('南昌市未成年人心理健康辅导中心');
    }
  });

  it('escapes org names in the HTML body', () => {
    const odd = Org.parse({ ...orgs.dhSchool1, name: '东湖区<b>实验</b>&学校' });
    const m = invitationMail(campaign, odd, routingOf(odd, campaign, orgs.centre, orgs.dh), `${SITE}/l/a.b.c`, '南昌市未成年人心理健康辅导中心', 60, ['x@example.cn']);
    expect(m.html).toContain('东湖区&lt;b&gt;实验&lt;/b&gt;&amp;学校');
    expect(m.html).not.toContain('<b>实验</b>');
    expect(m.text.startsWith('东湖区<b>实验</b>&学校：')).toBe(true);
  });

  it('says where the plans go: via the District office for its schools, straight to the Centre otherwise', async () => {
    // The District office's contact with a phone number is the one shown, next to the Centre's.
    await w.orgs.upsert(
      Org.parse({ ...orgs.dh, contacts: [{ name: '李老师', email: 'li@dh.example.cn' }, { name: '周老师', email: 'zhou@dh.example.cn', phone: '0791-86000001' }] }),
    );
    await invite(w);
    const school = mailTo(w, 'zhang@dh1.example.cn')[0];
    expect(school?.text).toContain('报送路径：本校的方案先由东湖区教科体局收齐、审核，再由其统一报送南昌市未成年人心理健康辅导中心。');
    expect(school?.text).toContain('联系人：\n东湖区教科体局 周老师（电话 0791-86000001）\n南昌市未成年人心理健康辅导中心 王老师（电话 0791-86123456）\n');
    expect(school?.html).toContain('报送路径：本校的方案先由东湖区教科体局收齐、审核，再由其统一报送南昌市未成年人心理健康辅导中心。');
    expect(school?.html).toContain('东湖区教科体局 周老师（电话 0791-86000001）<br>南昌市未成年人心理健康辅导中心 王老师（电话 0791-86123456）');
    // Nothing of another org: not the other school of the District, not another District, no address.
    for (const part of [school?.subject, school?.text, school?.html]) {
      for (const other of ['东湖区第二中学', '西湖区', '南昌市第一中学', '@dh.example.cn', 'zhao@']) expect(part).not.toContain(other);
    }

    const direct = mailTo(w, 'liu@d1.example.cn')[0];
    expect(direct?.text).toContain('报送路径：本校为直属学校（局属学校），方案直接报送南昌市未成年人心理健康辅导中心。');
    expect(direct?.text).toContain('联系人：\n南昌市未成年人心理健康辅导中心 王老师（电话 0791-86123456）\n');
    expect(direct?.text).not.toContain('教科体局');

    const office = mailTo(w, 'li@dh.example.cn')[0];
    expect(office?.text).toContain('报送路径：本单位的方案直接报送南昌市未成年人心理健康辅导中心；辖区内各学校的方案先由本单位收齐、审核，再统一报送南昌市未成年人心理健康辅导中心。');

    // A school of a District whose office has no contact: the route is named, the Centre is the contact.
    const xh = mailTo(w, 'chen@xh1.example.cn')[0];
    expect(xh?.text).toContain('本校的方案先由西湖区教科体局收齐、审核');
    expect(xh?.text).toContain('联系人：\n南昌市未成年人心理健康辅导中心 王老师（电话 0791-86123456）\n');

    // The Bureau's mail shows no route of its own.
    expect(mailTo(w, 'office@bureau.example.cn')[0]?.text).not.toContain('报送路径');
  });

  it('refuses an unknown campaign with CAMPAIGN_NOT_FOUND and sends nothing', async () => {
    const e = await invite(w, 'nope').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ status: 404, code: 'CAMPAIGN_NOT_FOUND' });
    expect(w.mailer.sent).toEqual([]);
    expect(w.ledger.items.size).toBe(0);
  });
});
