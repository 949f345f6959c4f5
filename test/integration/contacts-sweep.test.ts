/**
 * The contact logs' scheduled jobs over a whole weekly term, on the emulators (real DynamoDB, the SQS outbox, the
 * mailer, the SES inbox): every Friday 15:00 only the head teachers whose class has nothing for the week are
 * reminded; the Monday after a class's second missed week its school's administrator is told; on the 1st the
 * District gets its schools' rates; the morning after a 关注 the crisis group gets its daily list; a 紧急 not
 * acknowledged within the hour is sent again to the group and the principal — each once, however often a job runs.
 * The jobs read rosters, period summaries and concerns only (the summaries are written here as the writer would).
 * Orgs: it-cs-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Roster } from '../../schemas/contacts.js';
import { periodsBetween, reminderAt } from '../../functions/contacts/periods.js';
import { cityRates, concernStore, rosterReader, rosterStore, summaryStore } from '../../functions/contacts/store.js';
import { contactSweep, type ContactSweepDeps } from '../../functions/contacts/sweep-service.js';
import { orgReader } from '../../functions/orgs/store.js';
import { outboxClaims, outboxLedger } from '../../functions/reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../../functions/reminders/queue.js';
import { readEnv } from '../../functions/shared/env.js';
import { personTokens, signingKeySource } from '../../functions/shared/tokens.js';
import { CAMPAIGN, call, importOrgs, sessionFor, useRuntime } from './helpers.js';

const rt = useRuntime();
const env = readEnv(process.env);

const D = 'it-cs-d';
const S = 'it-cs-s';
const D_MAIL = 'it-cs-district@example.org';
const ADMIN_MAIL = 'it-cs-admin@example.org';
const CRISIS_MAIL = 'it-cs-crisis@example.org';
const PRINCIPAL_MAIL = 'it-cs-principal@example.org';
const [CA, CB, CC] = ['caaaaaaaa', 'cbbbbbbbb', 'ccccccccc'] as const;
const TEACHER = { [CA]: 'it-cs-ta@example.org', [CB]: 'it-cs-tb@example.org', [CC]: 'it-cs-tc@example.org' } as const;
const TERM = { start: '2019-03-04', end: '2019-07-05' };

const roster: Roster = {
  schoolId: S,
  rev: 1,
  term: TERM,
  cadence: [{ from: TERM.start, every: 'week' }],
  classes: {
    [CA]: { grade: '七年级', label: '1班', teacher: '甲老师', email: TEACHER[CA], v: 1, since: TERM.start },
    [CB]: { grade: '七年级', label: '2班', teacher: '乙老师', email: TEACHER[CB], v: 1, since: TERM.start },
    [CC]: { grade: '七年级', label: '3班', teacher: '丙老师', email: TEACHER[CC], v: 1, since: TERM.start },
  },
  staff: {
    spppppppp: { name: '校长', email: PRINCIPAL_MAIL, roles: ['principal'], v: 1 },
    sqqqqqqqq: { name: '危机组', email: CRISIS_MAIL, roles: ['crisis'], v: 1 },
  },
  updatedAt: '2019-03-01T00:00:00.000Z',
  updatedBy: `school:${S}`,
};

const summaries = summaryStore(rt.ddb, rt.table);
const ledger = outboxLedger(rt.ddb, rt.table);
const concerns = concernStore(rt.ddb, rt.table);
const deps: ContactSweepDeps = {
  orgs: orgReader(rt.ddb, rt.table),
  rosters: rosterReader(rt.ddb, rt.table),
  summaries,
  concerns,
  cityRates: cityRates(rt.ddb, rt.table),
  ledger: outboxClaims(rt.ddb, rt.table),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL as string),
  tokens: personTokens(signingKeySource(env)),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
  now: () => new Date(),
};
/** Runs a job twice at the same instant (a retried schedule): the second must queue nothing new. */
async function run(job: 'contact-reminders' | 'concern-alerts', at: Date) {
  const first = await contactSweep(deps, job, at);
  const again = await contactSweep(deps, job, at);
  expect(again.queued, `${job} at ${at.toISOString()} run again`).toBe(0);
  return first;
}

interface StoredMail {
  destination: { to: string[] | string };
  subject: string;
  body: { text: string; html: string };
}
const inbox = async () => ((await (await fetch(`${rt.sesUrl}/store`)).json()) as { emails: StoredMail[] }).emails;
const to = (m: StoredMail) => [m.destination.to].flat().map((a) => String(a).toLowerCase());
const mailsTo = async (address: string, prefix: string) => (await inbox()).filter((m) => m.subject.startsWith(prefix) && to(m).includes(address));
/** Waits until `address` has `n` mails starting with `prefix` (the mailer drains the outbox), then a moment for strays. */
async function settle(address: string, prefix: string, n: number) {
  const until = Date.now() + 15_000;
  for (;;) {
    const got = await mailsTo(address, prefix);
    if (got.length >= n || Date.now() > until) return got;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const weeks = periodsBetween(roster.cadence, roster.term, TERM.start, TERM.end);
const mondayAfter = (end: string) => new Date(Date.parse(`${end}T09:00:00+08:00`) + 86_400_000);

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试周期县区教体局,district,,,县区联系人,${D_MAIL},0791-80000011`, `${S},集成测试周期中学,school,${D},,学校管理员,${ADMIN_MAIL},0791-80000012`]);
  // Orgs with addresses are invited like every org (the invitation test expects nobody left uninvited).
  await rt.ops.sendInvites(CAMPAIGN);
  expect(await rosterStore(rt.ddb, rt.table).put(roster, undefined)).toBe(true);
});

describe('a whole weekly term of reminders', () => {
  it('has 18 weeks, each reminded on its Friday at 15:00', () => {
    expect(weeks).toHaveLength(18);
    expect(weeks.every((w) => new Date(reminderAt(w).getTime() + 8 * 3600_000).getUTCDay() === 5)).toBe(true);
  });

  it('reminds only the classes with nothing for the week; tells the school after two missed weeks in a row', async () => {
    const reminded: Record<string, number> = { [CA]: 0, [CB]: 0, [CC]: 0 };
    let missedMails = 0;
    for (const [i, w] of weeks.entries()) {
      // 1班 logs every week before Friday; 2班 misses weeks 3 and 4 (i = 2, 3); 3班 never logs, but its
      // head teacher marks week 6 "no contact needed".
      await summaries.mark(S, w.id, CA, 'logged');
      if (i !== 2 && i !== 3) await summaries.mark(S, w.id, CB, 'logged');
      if (i === 5) await summaries.mark(S, w.id, CC, 'none');
      await run('contact-reminders', reminderAt(w));
      // Exactly these classes' reminders are in the send ledger for the week (other schools share the runtime).
      const inLedger = async (c: string) => (await ledger.get(`cremind#${S}#${c}#${w.id}`)) !== undefined;
      expect([await inLedger(CA), await inLedger(CB), await inLedger(CC)], `week ${w.id}`).toEqual([false, i === 2 || i === 3, i !== 5]);
      if (i === 2 || i === 3) reminded[CB] = (reminded[CB] ?? 0) + 1;
      if (i !== 5) reminded[CC] = (reminded[CC] ?? 0) + 1;
      await run('contact-reminders', mondayAfter(w.end));
      if (await ledger.get(`cmissed#${S}#${w.id}`)) missedMails++;
    }
    expect((await settle(TEACHER[CC], '【家校联系提醒】', 17)).length).toBe(17);
    expect((await settle(TEACHER[CB], '【家校联系提醒】', 2)).length).toBe(2);
    expect(await mailsTo(TEACHER[CA], '【家校联系提醒】')).toHaveLength(0);
    // One school mail on each Monday a class has two or more missed weeks in a row: 3班 from week 2 on, except
    // the Mondays after its "none" week and the week after it; 2班's run (weeks 3–4) falls on a Monday 3班 counts too.
    const school = await settle(ADMIN_MAIL, '【家校联系】', missedMails);
    expect(school.length).toBe(missedMails);
    expect(missedMails).toBe(15);
    const second = school.find((m) => m.body.text.includes('七年级2班'));
    expect(second?.body.text).toContain('乙老师');
    // A reminder carries the head teacher's own link and no one else's class.
    const [one] = await mailsTo(TEACHER[CB], '【家校联系提醒】');
    expect(one?.body.text).toMatch(/\/c\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    expect(one?.body.text).not.toContain('七年级3班');
  });

  it('on the 1st the District gets its schools’ rates for the month before, once', async () => {
    // The term's Mondays at 09:00 above included 1 April and 1 July: March's and June's digests went then.
    await run('contact-reminders', new Date('2019-04-01T09:00:00+08:00'));
    expect(await ledger.get(`cdigest#${D}#2019-03`)).toMatchObject({ state: expect.stringMatching(/queued|sending|sent/) });
    const digests = await settle(D_MAIL, '【家校联系月报】', 2);
    expect(digests.map((m) => m.subject.match(/2019年\d+月/)?.[0]).sort()).toEqual(['2019年3月', '2019年6月']);
    const march = digests.find((m) => m.subject.includes('2019年3月'));
    expect(march?.body.text).toContain('集成测试周期中学');
    // March: weeks 10–13 × 3 classes; 1班 4, 2班 2 (it missed weeks 12 and 13), 3班 0 → 6 of 12.
    expect(march?.body.text).toContain('集成测试周期中学：50%，2 个班级有缺记录');
    // The same job wrote the city's roll-up: the Bureau sees the District's month (counts only).
    expect((await cityRates(rt.ddb, rt.table).list('2019-03')).find((g) => g.group === D)).toMatchObject({ schools: 1, noRoster: 0, expected: 12, done: 6 });
    const bureau = (await sessionFor(rt, 'bureau')).cookie;
    const page = await call(rt, '/contact-rates?month=2019-03', { cookie: bureau });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(new RegExp(`data-group="${D}"><td><a [^>]+>集成测试周期县区教体局</a></td><td>1</td><td>12</td><td>6</td><td>50%</td>`));
    const json = await call(rt, '/api/contact-rates?month=2019-03', { cookie: bureau });
    expect(json.json().groups.find((g: { group: string }) => g.group === D)).toMatchObject({ expected: 12, done: 6, rate: 0.5 });
    expect(JSON.stringify(json.json())).not.toMatch(/老师|@/);
  });
});

describe('concerns between sweeps', () => {
  it('a 关注 is on the crisis group’s list the next morning; names the class, not the content', async () => {
    await concerns.raise({ schoolId: S, classId: CB, logId: 'watchaaaaaaa', level: '关注', raisedAt: '2019-05-14T03:00:00.000Z' });
    const r = await run('contact-reminders', new Date('2019-05-15T08:00:00+08:00'));
    expect(r.watchLists).toBeGreaterThanOrEqual(1);
    const [list] = await settle(CRISIS_MAIL, '【每日关注名单】', 1);
    expect(list?.body.text).toContain('七年级2班');
    expect(list?.body.text).toContain('1 条');
    expect(await mailsTo(PRINCIPAL_MAIL, '【每日关注名单】')).toHaveLength(1);
  });

  it('a 紧急 unacknowledged for an hour goes again to the group and the principal; an acknowledged one does not', async () => {
    const raisedAt = '2019-05-20T02:00:00.000Z';
    await concerns.raise({ schoolId: S, classId: CA, logId: 'urgentaaaaaa', level: '紧急', raisedAt });
    await concerns.raise({ schoolId: S, classId: CC, logId: 'urgentbbbbbb', level: '紧急', raisedAt });
    await concerns.ack(S, 'urgentbbbbbb', `person:${S}/s.sqqqqqqqq`, '危机组', '2019-05-20T02:20:00.000Z');
    expect((await run('concern-alerts', new Date('2019-05-20T02:55:00.000Z'))).escalations).toBe(0);
    const r = await run('concern-alerts', new Date('2019-05-20T03:05:00.000Z'));
    expect(r.escalations).toBe(1);
    const [toPrincipal] = await settle(PRINCIPAL_MAIL, '【紧急·未确认】', 1);
    expect(toPrincipal?.body.text).toContain('七年级1班');
    expect(toPrincipal?.body.text).toContain('/contacts/logs/caaaaaaaa/urgentaaaaaa');
    expect(await settle(CRISIS_MAIL, '【紧急·未确认】', 1)).toHaveLength(1);
    // Escalated once: the next runs find it no longer open.
    expect((await run('concern-alerts', new Date('2019-05-20T03:10:00.000Z'))).escalations).toBe(0);
    expect((await concerns.get(S, 'urgentaaaaaa'))?.escalatedAt).toBeDefined();
    expect((await concerns.get(S, 'urgentbbbbbb'))?.escalatedAt).toBeUndefined();
  });
});
