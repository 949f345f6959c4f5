import { describe, expect, it } from 'vitest';
import { foldAccepted } from '../../functions/plans/rules.js';
import { daysLeft, fromRegistry, orgRuleOn, planReminders as planOwing, type RegistryPlanInput as PlanInput } from '../../functions/reminders/plan.js';

/** The planner on what a sweep would read of this registry and these status items (the owing index, the directory, the counts). */
const planReminders = (input: PlanInput) => planOwing(fromRegistry(input));
import type { ReminderJob } from '../../functions/reminders/jobs.js';
import { campaignProblems } from '../../local/admin.js';
import { Campaign, type CampaignInput, type RequiredDocument } from '../../schemas/campaigns.js';
import { Org } from '../../schemas/orgs.js';
import type { OrgSummary } from '../../schemas/plans.js';
import { DEFAULT_REMINDER_POLICY, policyOf, ReminderPolicyInput } from '../../schemas/reminders.js';
import { campaignInput, upload, uploadId } from './samples.js';

// ── A small registry: 2 Districts with their schools, 2 Direct schools, the Bureau and the Centre ───

const org = (o: Record<string, unknown>): Org => Org.parse({ contacts: [], tokenVersion: 1, ...o });
const mail = (name: string, email: string, phone?: string) => ({ name, email, ...(phone ? { phone } : {}) });

const R = {
  bureau: org({ id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: [mail('局办公室', 'office@bureau.example.cn')] }),
  centre: org({ id: 'centre', name: '南昌市未成年人心理健康辅导中心', kind: 'centre', contacts: [mail('魏洪', 'wei@centre.example.cn', '0791-86612885')] }),
  donghu: org({ id: 'd-donghu', name: '东湖区教科体局', kind: 'district', contacts: [mail('李老师', 'li@dh.example.cn', '0791-86000001')] }),
  /** Hands in both plans on 20 June. */
  wutong: org({ id: 'dh-wutong', name: '东湖区梧桐小学', kind: 'school', districtId: 'd-donghu', contacts: [mail('张老师', 'zhang@wutong.example.cn')] }),
  /** Hands in the service plan only; its first contact has no phone, its second has one. */
  qingtan: org({
    id: 'dh-qingtan',
    name: '东湖区青檀中学',
    kind: 'school',
    districtId: 'd-donghu',
    contacts: [mail('周老师', 'zhou@qingtan.example.cn'), mail('吴老师', 'wu@qingtan.example.cn', '13800000002')],
  }),
  /** No contact e-mail: never reminded, listed as unreachable. */
  nomail: org({ id: 'dh-nomail', name: '东湖区山村小学', kind: 'school', districtId: 'd-donghu', contacts: [] }),
  xihu: org({ id: 'd-xihu', name: '西湖区教科体局', kind: 'district', contacts: [mail('陈老师', 'chen@xh.example.cn', '0791-86000003')] }),
  /** Hands in both plans late, on 2 July. */
  shiyan: org({ id: 'xh-shiyan', name: '西湖区实验学校', kind: 'school', districtId: 'd-xihu', contacts: [mail('刘老师', 'liu@shiyan.example.cn', '0791-86000004')] }),
  /** Never hands anything in. */
  yizhong: org({ id: 'direct-yizhong', name: '南昌市第一中学', kind: 'school', directKind: '局属学校', contacts: [mail('黄老师', 'huang@yizhong.example.cn', '0791-86000005')] }),
  /** Hands in both plans on 2 June. */
  erzhong: org({ id: 'direct-erzhong', name: '南昌市第二中学', kind: 'school', directKind: '市管民办学历教育学校', contacts: [mail('孙老师', 'sun@erzhong.example.cn')] }),
} satisfies Record<string, Org>;
const ORGS: Org[] = Object.values(R);

const campaignWith = (over: Partial<CampaignInput> = {}): Campaign => Campaign.parse({ ...campaignInput, ...over });
const CAMPAIGN = campaignWith();

/** Accepted versions (org, document, when S3 received it). */
const SUBMISSIONS: [string, string, string][] = [
  ['direct-erzhong', 'service-plan', '2019-06-02T10:00:00+08:00'],
  ['direct-erzhong', 'crisis-plan', '2019-06-02T10:05:00+08:00'],
  ['dh-qingtan', 'service-plan', '2019-06-12T16:00:00+08:00'],
  ['dh-wutong', 'service-plan', '2019-06-20T10:00:00+08:00'],
  ['dh-wutong', 'crisis-plan', '2019-06-20T10:30:00+08:00'],
  ['d-donghu', 'service-plan', '2019-06-25T15:00:00+08:00'],
  ['d-donghu', 'crisis-plan', '2019-06-25T15:10:00+08:00'],
  ['xh-shiyan', 'service-plan', '2019-07-02T10:00:00+08:00'],
  ['xh-shiyan', 'crisis-plan', '2019-07-02T10:20:00+08:00'],
];

/** The status items as the validator would have left them at `now` (only versions received by then). */
function statusAt(now: Date, submissions = SUBMISSIONS, campaign = CAMPAIGN): OrgSummary[] {
  const byOrg = new Map<string, OrgSummary>();
  submissions.forEach(([orgId, document, at], i) => {
    if (Date.parse(at) > now.getTime()) return;
    const u = upload({ campaignId: campaign.id, orgId, document, uploadId: uploadId(i + 1), state: 'accepted', receivedAt: new Date(at).toISOString(), late: Date.parse(at) > Date.parse(campaign.deadline) });
    const next = foldAccepted(byOrg.get(orgId), u).next;
    if (next) byOrg.set(orgId, next);
  });
  return [...byOrg.values()];
}

const plan = (now: Date, over: Partial<PlanInput> = {}) =>
  planReminders({ campaign: CAMPAIGN, orgs: ORGS, summaries: statusAt(now), now, ...over });

/** 09:00 Beijing on a day of 2019, "0623" → 2019-06-23T09:00+08:00. */
const at = (mmdd: string, hhmm = '09:00') => new Date(`2019-${mmdd.slice(0, 2)}-${mmdd.slice(2)}T${hhmm}:00+08:00`);

// ── How a job reads in the tables: who, which rule, which documents ─────────────────────────────────

const SHORT: Record<string, string> = { 'service-plan': 'S', 'crisis-plan': 'C' };
const docs = (m: RequiredDocument[]) => m.map((d) => SHORT[d.kind] ?? `?${d.kind}`).join('+') || '-';
const owingList = (o: { org: Org; missing: RequiredDocument[] }[]) => o.map((x) => `${x.org.id} ${docs(x.missing)}`).join(', ');
const ruleLabel = (rule: string, left: number) => (rule === 'before' ? `before-${left}` : rule === 'due-day' ? 'due-day' : `overdue-${-left}`);

function describeJob(j: ReminderJob): string {
  if (j.kind === 'org') return `${j.org.id} ${ruleLabel(j.rule, j.daysLeft)} ${docs(j.missing)}`;
  if (j.kind === 'district-digest') return `digest ${j.district.id}: ${owingList(j.schools)}`;
  const districts = j.districts.map((d) => `${d.district.id}[${d.expected}]: ${owingList(d.owing)}`).join(' | ');
  return `city ${j.recipient.id}: ${districts} | direct[${j.directExpected}]: ${owingList(j.direct)} | unreachable: ${j.unreachable.map((u) => u.org.id).join(', ')}`;
}

/** The ledger key every job must carry: what it is about, the rule, the Beijing day. */
function expectedKey(j: ReminderJob, day: string): string {
  if (j.kind === 'org') return `remind#2019-plans#${j.org.id}#${ruleLabel(j.rule, j.daysLeft)}#${day}`;
  return `digest#2019-plans#${j.kind === 'district-digest' ? j.district.id : j.recipient.id}#${day}`;
}

/** Org reminders with one label: remind('before-3', 'dh-qingtan C', …) → ['dh-qingtan before-3 C', …]. */
const remind = (label: string, ...who: string[]) => who.map((w) => w.replace(' ', ` ${label} `));

// ── The expected mails of June and July 2019 under the default policy (sweep at 09:00) ─────────────

/** Everyone who still owes on 23–25 June at 09:00 (d-donghu hands in on 25 June at 15:00). */
const DIGESTS_A = [
  'digest d-donghu: dh-nomail S+C, dh-qingtan C',
  'digest d-xihu: xh-shiyan S+C',
  'city centre: d-donghu[4]: d-donghu S+C, dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C, xh-shiyan S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
  'city bureau: d-donghu[4]: d-donghu S+C, dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C, xh-shiyan S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
];
/** 26 June – 2 July: d-donghu's own plans are in (xh-shiyan hands in on 2 July at 10:00). */
const DIGESTS_B = [
  'digest d-donghu: dh-nomail S+C, dh-qingtan C',
  'digest d-xihu: xh-shiyan S+C',
  'city centre: d-donghu[4]: dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C, xh-shiyan S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
  'city bureau: d-donghu[4]: dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C, xh-shiyan S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
];
/** 3–30 July: d-xihu has no school left that owes (no District digest), but still owes itself. */
const DIGESTS_C = [
  'digest d-donghu: dh-nomail S+C, dh-qingtan C',
  'city centre: d-donghu[4]: dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
  'city bureau: d-donghu[4]: dh-nomail S+C, dh-qingtan C | d-xihu[2]: d-xihu S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
];
const LATE_JUNE = ['dh-qingtan C', 'd-xihu S+C', 'xh-shiyan S+C', 'direct-yizhong S+C'];
const LATE_JULY = ['dh-qingtan C', 'd-xihu S+C', 'direct-yizhong S+C'];

/** Every day with mail; every other day from 1 June to 1 August has none. */
const JUNE_JULY: Record<string, string[]> = {
  // 14 days before: everyone who owes and has an e-mail (not direct-erzhong: done on 2 June; not dh-nomail: no e-mail).
  '0616': remind('before-14', 'd-donghu S+C', 'dh-wutong S+C', 'dh-qingtan C', 'd-xihu S+C', 'xh-shiyan S+C', 'direct-yizhong S+C'),
  // 7 days before: dh-wutong is done (20 June); the digests start.
  '0623': [...remind('before-7', 'd-donghu S+C', 'dh-qingtan C', 'd-xihu S+C', 'xh-shiyan S+C', 'direct-yizhong S+C'), ...DIGESTS_A],
  '0624': DIGESTS_A,
  '0625': DIGESTS_A,
  '0626': DIGESTS_B,
  '0627': [...remind('before-3', ...LATE_JUNE), ...DIGESTS_B],
  '0628': DIGESTS_B,
  '0629': [...remind('before-1', ...LATE_JUNE), ...DIGESTS_B],
  '0630': [...remind('due-day', ...LATE_JUNE), ...DIGESTS_B],
  '0701': [...remind('overdue-1', ...LATE_JUNE), ...DIGESTS_B],
  '0702': DIGESTS_B,
  '0703': [...remind('overdue-3', ...LATE_JULY), ...DIGESTS_C],
  '0704': DIGESTS_C,
  '0705': [...remind('overdue-5', ...LATE_JULY), ...DIGESTS_C],
  '0706': DIGESTS_C,
  '0707': [...remind('overdue-7', ...LATE_JULY), ...DIGESTS_C],
  '0708': DIGESTS_C,
  '0709': [...remind('overdue-9', ...LATE_JULY), ...DIGESTS_C],
  '0710': DIGESTS_C,
  '0711': [...remind('overdue-11', ...LATE_JULY), ...DIGESTS_C],
  '0712': DIGESTS_C,
  '0713': [...remind('overdue-13', ...LATE_JULY), ...DIGESTS_C],
  '0714': DIGESTS_C,
  '0715': [...remind('overdue-15', ...LATE_JULY), ...DIGESTS_C],
  '0716': DIGESTS_C,
  '0717': [...remind('overdue-17', ...LATE_JULY), ...DIGESTS_C],
  '0718': DIGESTS_C,
  '0719': [...remind('overdue-19', ...LATE_JULY), ...DIGESTS_C],
  '0720': DIGESTS_C,
  '0721': [...remind('overdue-21', ...LATE_JULY), ...DIGESTS_C],
  '0722': DIGESTS_C,
  '0723': [...remind('overdue-23', ...LATE_JULY), ...DIGESTS_C],
  '0724': DIGESTS_C,
  '0725': [...remind('overdue-25', ...LATE_JULY), ...DIGESTS_C],
  '0726': DIGESTS_C,
  '0727': [...remind('overdue-27', ...LATE_JULY), ...DIGESTS_C],
  '0728': DIGESTS_C,
  '0729': [...remind('overdue-29', ...LATE_JULY), ...DIGESTS_C],
  // stopAfterDays 30: the last digests; nothing from 31 July.
  '0730': DIGESTS_C,
};

/** Every day from 1 June to 1 August 2019, as "MMDD". */
const DAYS = Array.from({ length: 62 }, (_, i) => {
  const d = new Date(Date.UTC(2019, 5, 1 + i));
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
});

const sorted = (a: string[]) => [...a].sort();

describe('planReminders: June and July 2019, day by day at 09:00 Beijing, default policy', () => {
  it('ticks through 1 June – 1 August', () => {
    expect(DAYS[0]).toBe('0601');
    expect(DAYS.at(-1)).toBe('0801');
    expect(Object.keys(JUNE_JULY).every((d) => DAYS.includes(d))).toBe(true);
  });

  it.each(DAYS)('%s: exactly the mails in the table, with their keys, deadline and days left', (mmdd) => {
    const now = at(mmdd);
    const jobs = plan(now);
    expect(sorted(jobs.map(describeJob))).toEqual(sorted(JUNE_JULY[mmdd] ?? []));
    const day = `2019${mmdd}`;
    for (const j of jobs) {
      expect(j.key).toBe(expectedKey(j, day));
      expect(j.deadline).toBe('2019-06-30T15:59:59.999Z');
      expect(j.daysLeft).toBe(Math.round((Date.UTC(2019, 5, 30) - Date.UTC(2019, Number(mmdd.slice(0, 2)) - 1, Number(mmdd.slice(2)))) / 86_400_000));
      expect(j.campaign).toBe(CAMPAIGN);
    }
    expect(new Set(jobs.map((j) => j.key)).size).toBe(jobs.length);
  });

  it('never reminds an org that has done its part, nor one with no contact e-mail', () => {
    const done = new Set(['direct-erzhong']);
    for (const mmdd of DAYS) {
      const orgJobs = plan(at(mmdd)).flatMap((j) => (j.kind === 'org' ? [j.org.id] : []));
      expect(orgJobs.filter((id) => done.has(id) || id === 'dh-nomail'), mmdd).toEqual([]);
    }
  });

  it('an org that submits between two reminders gets none after it', () => {
    // dh-wutong: reminded on 16 June, done on 20 June 10:30, nothing on 23 June.
    expect(plan(at('0616')).some((j) => j.kind === 'org' && j.org.id === 'dh-wutong')).toBe(true);
    expect(plan(at('0623')).some((j) => j.kind === 'org' && j.org.id === 'dh-wutong')).toBe(false);
    // d-donghu hands in at 15:00 on 25 June: the city digest of the 25th (09:00) names it, the 26th's does not.
    const named = (mmdd: string) => plan(at(mmdd)).some((j) => j.kind === 'city-digest' && j.districts.some((d) => d.owing.some((o) => o.org.id === 'd-donghu')));
    expect([named('0625'), named('0626')]).toEqual([true, false]);
  });
});

describe('planReminders: the instant and repeats', () => {
  it('gives identical jobs and keys for a repeated call at the same instant, and the same keys later that day', () => {
    const now = at('0630');
    const first = plan(now);
    expect(first.length).toBeGreaterThan(0);
    expect(plan(now)).toEqual(first);
    expect(plan(at('0630', '23:59')).map((j) => j.key)).toEqual(first.map((j) => j.key));
  });

  it("plans nothing before the policy's time of day, and the day's jobs from it on", () => {
    expect(plan(at('0630', '08:59'))).toEqual([]);
    expect(plan(new Date(at('0630').getTime() - 1))).toEqual([]);
    expect(plan(at('0630', '09:00')).length).toBe(JUNE_JULY['0630']!.length);
    // 00:30 on 1 July is a new Beijing day (16:30 UTC on 30 June) whose sweep has not run yet.
    expect(plan(new Date('2019-06-30T16:30:00Z'))).toEqual([]);
  });

  it('plans nothing for a closed campaign, on any day', () => {
    for (const mmdd of DAYS) expect(plan(at(mmdd), { closed: true }), mmdd).toEqual([]);
    expect(plan(at('0630'), { closed: false }).length).toBeGreaterThan(0);
  });

  it("ignores other campaigns' status items", () => {
    const now = at('0630');
    const both: [string, string, string][] = [
      ['dh-qingtan', 'service-plan', '2019-06-20T10:00:00+08:00'],
      ['dh-qingtan', 'crisis-plan', '2019-06-20T10:00:00+08:00'],
    ];
    const other = statusAt(now, both, campaignWith({ id: '2019-other' }));
    expect(other.map((s) => [s.campaignId, s.orgId])).toEqual([['2019-other', 'dh-qingtan']]);
    const jobs = plan(now, { summaries: [...statusAt(now), ...other] });
    const q = jobs.find((j) => j.kind === 'org' && j.org.id === 'dh-qingtan');
    expect(q?.kind === 'org' && [q.key, docs(q.missing)]).toEqual(['remind#2019-plans#dh-qingtan#due-day#20190630', 'C']);
  });
});

describe('planReminders: digest contents', () => {
  const jobs = plan(at('0623'));
  const S = { kind: 'service-plan', title: '心理服务体系建设工作实施方案' };
  const C = { kind: 'crisis-plan', title: '心理危机管理工作方案' };

  it("a District office's digest names its schools that owe, with their documents and contact phone", () => {
    const d = jobs.filter((j) => j.kind === 'district-digest' && j.district.id === 'd-donghu');
    expect(d).toEqual([
      {
        kind: 'district-digest',
        key: 'digest#2019-plans#d-donghu#20190623',
        campaign: CAMPAIGN,
        district: R.donghu,
        daysLeft: 7,
        deadline: '2019-06-30T15:59:59.999Z',
        schools: [
          { org: R.nomail, missing: [S, C], reachable: false },
          // The first contact with a phone (吴老师), not the first contact.
          { org: R.qingtan, missing: [C], contact: { name: '吴老师', phone: '13800000002' }, reachable: true },
        ],
      },
    ]);
  });

  it('the city digest goes to the Centre (receiver) and the Bureau: per District, Direct schools, unreachable orgs', () => {
    const city = jobs.filter((j) => j.kind === 'city-digest');
    expect(city.map((j) => j.key).sort()).toEqual(['digest#2019-plans#bureau#20190623', 'digest#2019-plans#centre#20190623']);
    const centre = city.find((j) => j.kind === 'city-digest' && j.recipient.id === 'centre');
    expect(centre).toEqual({
      kind: 'city-digest',
      key: 'digest#2019-plans#centre#20190623',
      campaign: CAMPAIGN,
      recipient: R.centre,
      daysLeft: 7,
      deadline: '2019-06-30T15:59:59.999Z',
      districts: [
        {
          district: R.donghu,
          expected: 4,
          owing: [
            { org: R.donghu, missing: [S, C], contact: { name: '李老师', phone: '0791-86000001' }, reachable: true },
            { org: R.nomail, missing: [S, C], reachable: false },
            { org: R.qingtan, missing: [C], contact: { name: '吴老师', phone: '13800000002' }, reachable: true },
          ],
        },
        {
          district: R.xihu,
          expected: 2,
          owing: [
            { org: R.xihu, missing: [S, C], contact: { name: '陈老师', phone: '0791-86000003' }, reachable: true },
            { org: R.shiyan, missing: [S, C], contact: { name: '刘老师', phone: '0791-86000004' }, reachable: true },
          ],
        },
      ],
      direct: [{ org: R.yizhong, missing: [S, C], contact: { name: '黄老师', phone: '0791-86000005' }, reachable: true }],
      directExpected: 2,
      unreachable: [{ org: R.nomail, missing: [S, C], reachable: false }],
    });
  });

  it('an org reminder names exactly the missing documents, with the deadline and days left', () => {
    expect(jobs.find((j) => j.kind === 'org' && j.org.id === 'dh-qingtan')).toEqual({
      kind: 'org',
      key: 'remind#2019-plans#dh-qingtan#before-7#20190623',
      campaign: CAMPAIGN,
      org: R.qingtan,
      rule: 'before',
      daysLeft: 7,
      deadline: '2019-06-30T15:59:59.999Z',
      missing: [C],
    });
  });

  it('a contact without a phone is named without one', () => {
    const wutong = plan(at('0616'));
    const centreOn16 = wutong.filter((j) => j.kind === 'city-digest');
    expect(centreOn16).toEqual([]); // before the city digest's window
    const early = planReminders({
      campaign: campaignWith({ reminders: { districtDigest: { fromDaysBefore: 14 } } }),
      orgs: ORGS,
      summaries: statusAt(at('0616')),
      now: at('0616'),
    });
    const dh = early.find((j) => j.kind === 'district-digest' && j.district.id === 'd-donghu');
    expect(dh?.kind === 'district-digest' && dh.schools.find((s) => s.org.id === 'dh-wutong')).toEqual({
      org: R.wutong,
      missing: [S, C],
      contact: { name: '张老师' },
      reachable: true,
    });
  });
});

describe('planReminders: who is digested and who is unreachable', () => {
  it('a school moved to another District is digested by its current District (status item still on the old route)', () => {
    const moved = ORGS.map((o) => (o.id === 'xh-shiyan' ? { ...o, districtId: 'd-donghu' } : o));
    const summaries = statusAt(at('0624')).map((s) => ({ ...s, routeKey: s.orgId === 'xh-shiyan' ? 'D#d-xihu' : s.routeKey }));
    const jobs = planReminders({ campaign: CAMPAIGN, orgs: moved, summaries, now: at('0624') });
    expect(sorted(jobs.map(describeJob))).toEqual(
      sorted([
        'digest d-donghu: dh-nomail S+C, dh-qingtan C, xh-shiyan S+C',
        'city centre: d-donghu[5]: d-donghu S+C, dh-nomail S+C, dh-qingtan C, xh-shiyan S+C | d-xihu[1]: d-xihu S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
        'city bureau: d-donghu[5]: d-donghu S+C, dh-nomail S+C, dh-qingtan C, xh-shiyan S+C | d-xihu[1]: d-xihu S+C | direct[2]: direct-yizhong S+C | unreachable: dh-nomail',
      ]),
    );
  });

  it('a District office with no e-mail gets neither reminder nor digest and is listed as unreachable, even when its own plans are in', () => {
    const noMail = ORGS.map((o) => (o.id === 'd-xihu' ? { ...o, contacts: [] } : o));
    const owes = planReminders({ campaign: CAMPAIGN, orgs: noMail, summaries: statusAt(at('0623')), now: at('0623') });
    expect(owes.some((j) => (j.kind === 'org' && j.org.id === 'd-xihu') || (j.kind === 'district-digest' && j.district.id === 'd-xihu'))).toBe(false);
    const city = owes.find((j) => j.kind === 'city-digest');
    expect(city?.kind === 'city-digest' && city.unreachable.map((u) => `${u.org.id} ${docs(u.missing)}`)).toEqual(['dh-nomail S+C', 'd-xihu S+C']);

    const handedIn = [...SUBMISSIONS, ['d-xihu', 'service-plan', '2019-06-01T10:00:00+08:00'], ['d-xihu', 'crisis-plan', '2019-06-01T10:00:00+08:00']] as [string, string, string][];
    const done = planReminders({ campaign: CAMPAIGN, orgs: noMail, summaries: statusAt(at('0623'), handedIn), now: at('0623') });
    const city2 = done.find((j) => j.kind === 'city-digest');
    // Its schools owe and its digest cannot reach it: the Bureau is told, with nothing missing of its own.
    expect(city2?.kind === 'city-digest' && city2.unreachable).toEqual([
      { org: R.nomail, missing: [{ kind: 'service-plan', title: '心理服务体系建设工作实施方案' }, { kind: 'crisis-plan', title: '心理危机管理工作方案' }], reachable: false },
      { org: { ...R.xihu, contacts: [] }, missing: [], reachable: false },
    ]);
    expect(city2?.kind === 'city-digest' && city2.districts.find((d) => d.district.id === 'd-xihu')?.owing.map((o) => o.org.id)).toEqual(['xh-shiyan']);

    // Listed in the status page's order: d-donghu (its plans in on 25 June) before its school dh-nomail.
    const dhNoMail = ORGS.map((o) => (o.id === 'd-donghu' ? { ...o, contacts: [] } : o));
    const later = planReminders({ campaign: CAMPAIGN, orgs: dhNoMail, summaries: statusAt(at('0626')), now: at('0626') });
    const city3 = later.find((j) => j.kind === 'city-digest');
    expect(city3?.kind === 'city-digest' && city3.unreachable.map((u) => `${u.org.id} ${docs(u.missing)}`)).toEqual(['d-donghu -', 'dh-nomail S+C']);
  });

  it('a recipient with no e-mail gets no city digest; a receiver that is the Bureau gets one', () => {
    const silentBureau = ORGS.map((o) => (o.id === 'bureau' ? { ...o, contacts: [] } : o));
    const a = planReminders({ campaign: CAMPAIGN, orgs: silentBureau, summaries: statusAt(at('0630')), now: at('0630') });
    expect(a.filter((j) => j.kind === 'city-digest').map((j) => j.key)).toEqual(['digest#2019-plans#centre#20190630']);
    const toBureau = campaignWith({ receiverId: 'bureau' });
    const b = planReminders({ campaign: toBureau, orgs: ORGS, summaries: statusAt(at('0630')), now: at('0630') });
    expect(b.filter((j) => j.kind === 'city-digest').map((j) => j.key)).toEqual(['digest#2019-plans#bureau#20190630']);
  });

  it('a listed audience: only listed orgs are reminded; a District office outside it still gets the digest of its listed schools', () => {
    const listed = campaignWith({ audience: { orgIds: ['dh-qingtan', 'direct-yizhong'] } });
    const jobs = planReminders({ campaign: listed, orgs: ORGS, summaries: statusAt(at('0623'), SUBMISSIONS, listed), now: at('0623') });
    expect(sorted(jobs.map(describeJob))).toEqual(
      sorted([
        'dh-qingtan before-7 C',
        'direct-yizhong before-7 S+C',
        'digest d-donghu: dh-qingtan C',
        'city centre: d-donghu[1]: dh-qingtan C | direct[1]: direct-yizhong S+C | unreachable: ',
        'city bureau: d-donghu[1]: dh-qingtan C | direct[1]: direct-yizhong S+C | unreachable: ',
      ]),
    );
  });

  it('nobody owes: no mail at all, not even a digest', () => {
    const all = ORGS.filter((o) => o.kind === 'district' || o.kind === 'school').flatMap((o): [string, string, string][] => [
      [o.id, 'service-plan', '2019-06-01T10:00:00+08:00'],
      [o.id, 'crisis-plan', '2019-06-01T10:00:00+08:00'],
    ]);
    for (const mmdd of ['0616', '0623', '0630', '0701']) expect(plan(at(mmdd), { summaries: statusAt(at(mmdd), all) }), mmdd).toEqual([]);
  });
});

describe('planReminders: deadlines', () => {
  it('"before 1 July" (00:00 on 1 July) falls on 30 June: due-day on 30 June, overdue from 1 July', () => {
    const c = campaignWith({ deadline: '2019-07-01T00:00:00+08:00' });
    const day = (mmdd: string) => planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at(mmdd), SUBMISSIONS, c), now: at(mmdd) }).filter((j) => j.kind === 'org' && j.org.id === 'direct-yizhong');
    expect(day('0630').map((j) => j.key)).toEqual(['remind#2019-plans#direct-yizhong#due-day#20190630']);
    expect(day('0701').map((j) => j.key)).toEqual(['remind#2019-plans#direct-yizhong#overdue-1#20190701']);
  });

  it('a deadline earlier on its day than the sweep: that day reminds as overdue (overdue-0)', () => {
    const c = campaignWith({ deadline: '2019-06-30T08:00:00+08:00' });
    const jobs = planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at('0630'), SUBMISSIONS, c), now: at('0630') });
    const j = jobs.find((x) => x.kind === 'org' && x.org.id === 'direct-yizhong');
    expect(j && j.kind === 'org' && [j.key, j.rule, j.daysLeft]).toEqual(['remind#2019-plans#direct-yizhong#overdue-0#20190630', 'overdue', 0]);
  });

  it("a per-org deadline (an extension) moves that org's own reminders, not the digests", () => {
    const extended = new Date('2019-07-07T23:59:59.999+08:00').toISOString();
    const deadlineOf = (o: Org) => (o.id === 'dh-qingtan' ? extended : CAMPAIGN.deadline);
    const qingtan = (mmdd: string) => {
      const jobs = plan(at(mmdd), { deadlineOf });
      return {
        own: jobs.filter((j) => j.kind === 'org' && j.org.id === 'dh-qingtan').map((j) => j.kind === 'org' && `${j.key} ${j.deadline} ${j.daysLeft}`),
        digested: jobs.some((j) => j.kind === 'district-digest' && j.schools.some((s) => s.org.id === 'dh-qingtan')),
        others: jobs.filter((j) => j.kind === 'org' && j.org.id !== 'dh-qingtan').length,
      };
    };
    expect(qingtan('0630')).toEqual({ own: [`remind#2019-plans#dh-qingtan#before-7#20190630 ${extended} 7`], digested: true, others: 3 });
    expect(qingtan('0704')).toEqual({ own: [`remind#2019-plans#dh-qingtan#before-3#20190704 ${extended} 3`], digested: true, others: 0 });
    expect(qingtan('0707').own).toEqual([`remind#2019-plans#dh-qingtan#due-day#20190707 ${extended} 0`]);
    expect(qingtan('0708').own).toEqual([`remind#2019-plans#dh-qingtan#overdue-1#20190708 ${extended} -1`]);
    expect(qingtan('0709').own).toEqual([]);
  });

  it('daysLeft counts Beijing calendar days', () => {
    const d = CAMPAIGN.deadline;
    expect(daysLeft(d, new Date('2019-06-29T15:59:59.999Z'))).toBe(1); // 23:59:59.999 on 29 June, Beijing
    expect(daysLeft(d, new Date('2019-06-29T16:00:00.000Z'))).toBe(0); // 00:00 on 30 June, Beijing
    expect(daysLeft(d, new Date('2019-06-30T15:59:59.999Z'))).toBe(0);
    expect(daysLeft(d, new Date('2019-06-30T16:00:00.000Z'))).toBe(-1);
  });
});

// ── Policies ────────────────────────────────────────────────────────────────────────────────────

describe('policy: defaults and custom policies', () => {
  const DEFAULTS = {
    beforeDays: [14, 7, 3, 1],
    onTheDay: true,
    at: '09:00',
    overdueEveryDays: 2,
    districtDigest: { enabled: true, fromDaysBefore: 7 },
    cityDigest: { enabled: true, fromDaysBefore: 7 },
    stopAfterDays: 30,
  };

  it('a campaign without `reminders` gets the defaults', () => {
    expect(CAMPAIGN.reminders).toBeUndefined();
    expect(policyOf(CAMPAIGN)).toEqual(DEFAULTS);
    expect(DEFAULT_REMINDER_POLICY).toEqual(DEFAULTS);
  });

  it('a partial policy keeps the defaults of the fields it leaves out (digests field by field)', () => {
    const c = campaignWith({ reminders: { overdueEveryDays: 0, cityDigest: { fromDaysBefore: 3 }, beforeDays: [1, 10] } });
    expect(c.reminders).toEqual({ overdueEveryDays: 0, cityDigest: { fromDaysBefore: 3 }, beforeDays: [1, 10] });
    expect(policyOf(c)).toEqual({ ...DEFAULTS, overdueEveryDays: 0, cityDigest: { enabled: true, fromDaysBefore: 3 }, beforeDays: [10, 1] });
    // A field present but undefined (a caller in code, not a JSON file) still gets its default.
    expect(policyOf({ reminders: { cityDigest: { enabled: undefined, fromDaysBefore: 2 } } }).cityDigest).toEqual({ enabled: true, fromDaysBefore: 2 });
  });

  it('overdueEveryDays 0: the same June, then digests only after the deadline', () => {
    const c = campaignWith({ reminders: { overdueEveryDays: 0 } });
    for (const mmdd of DAYS) {
      const jobs = planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at(mmdd)), now: at(mmdd) });
      const want = (JUNE_JULY[mmdd] ?? []).filter((s) => !/ overdue-\d+ /.test(s));
      expect(sorted(jobs.map(describeJob)), mmdd).toEqual(sorted(want));
    }
  });

  it('a custom policy: 5 days before only, not on the day, 15:30, no District digests, city digest from the day, stop 3 days after', () => {
    const c = campaignWith({
      reminders: { beforeDays: [5], onTheDay: false, at: '15:30', overdueEveryDays: 2, districtDigest: { enabled: false }, cityDigest: { fromDaysBefore: 0 }, stopAfterDays: 3 },
    });
    const city = (who: string, xh: string) => `city ${who}: d-donghu[4]: dh-nomail S+C, dh-qingtan C | d-xihu[2]: ${xh} | direct[2]: direct-yizhong S+C | unreachable: dh-nomail`;
    const B = [city('centre', 'd-xihu S+C, xh-shiyan S+C'), city('bureau', 'd-xihu S+C, xh-shiyan S+C')];
    const C = [city('centre', 'd-xihu S+C'), city('bureau', 'd-xihu S+C')];
    const table: Record<string, string[]> = {
      // d-donghu handed in at 15:00–15:10 on 25 June, before the 15:30 sweep.
      '0625': remind('before-5', ...LATE_JUNE),
      '0630': B,
      '0701': [...remind('overdue-1', ...LATE_JUNE), ...B],
      '0702': C, // xh-shiyan handed in at 10:00–10:20
      '0703': [...remind('overdue-3', ...LATE_JULY), ...C],
    };
    for (const mmdd of DAYS) {
      const jobs = planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at(mmdd, '15:30')), now: at(mmdd, '15:30') });
      expect(sorted(jobs.map(describeJob)), mmdd).toEqual(sorted(table[mmdd] ?? []));
      // The 09:00 sweep is too early for this campaign.
      expect(planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at(mmdd)), now: at(mmdd) }), mmdd).toEqual([]);
    }
  });

  it('digests can be switched off: only org reminders remain', () => {
    const c = campaignWith({ reminders: { districtDigest: { enabled: false }, cityDigest: { enabled: false } } });
    for (const mmdd of DAYS) {
      const jobs = planReminders({ campaign: c, orgs: ORGS, summaries: statusAt(at(mmdd)), now: at(mmdd) });
      expect(sorted(jobs.map(describeJob)), mmdd).toEqual(sorted((JUNE_JULY[mmdd] ?? []).filter((s) => !/^(digest|city) /.test(s))));
    }
  });

  it.each([
    // [policy, days left, deadline passed, expected label]
    [{}, 14, false, 'before-14'],
    [{}, 13, false, undefined],
    [{}, 0, false, 'due-day'],
    [{}, 0, true, 'overdue-0'],
    [{ onTheDay: false }, 0, true, undefined],
    [{}, -1, true, 'overdue-1'],
    [{}, -2, true, undefined],
    [{}, -29, true, 'overdue-29'],
    [{}, -31, true, undefined],
    [{ overdueEveryDays: 3 }, -4, true, 'overdue-4'],
    [{ overdueEveryDays: 3 }, -3, true, undefined],
    [{ overdueEveryDays: 1, stopAfterDays: 2 }, -2, true, 'overdue-2'],
    [{ overdueEveryDays: 1, stopAfterDays: 2 }, -3, true, undefined],
    [{ overdueEveryDays: 0 }, -1, true, undefined],
    [{ stopAfterDays: 0 }, -1, true, undefined],
  ] as const)('orgRuleOn(%j, %i, %s) → %s', (p, left, passed, label) => {
    expect(orgRuleOn(policyOf({ reminders: p }), left, passed)?.label).toBe(label);
  });
});

describe('policy validation (schemas/reminders.ts, campaignProblems in Chinese)', () => {
  const file = (reminders: unknown) => ({ ...campaignInput, reminders });

  it('accepts a full policy and keeps it through Campaign.parse (stored campaigns keep their policy)', () => {
    const full = { ...DEFAULT_REMINDER_POLICY, beforeDays: [21, 7] };
    expect(campaignProblems(file(full))).toEqual([]);
    expect(Campaign.parse(file(full)).reminders).toEqual(full);
    expect(ReminderPolicyInput.safeParse({}).success).toBe(true);
  });

  it.each([
    [{ beforeDays: [14, 7, 7] }, 'reminders.beforeDays（截止前第几天提醒）中天数重复：7，每个天数只能写一次，如 [14, 7, 3, 1]'],
    [{ beforeDays: [14, 0.5] }, 'reminders.beforeDays[1]（截止前第几天提醒）0.5无效：应为 1–60 的整数天数，如 [14, 7, 3, 1]'],
    [{ beforeDays: [61] }, 'reminders.beforeDays[0]（截止前第几天提醒）61无效：应为 1–60 的整数天数，如 [14, 7, 3, 1]'],
    [{ beforeDays: 7 }, 'reminders.beforeDays（截止前第几天提醒）7无效：应为 1–60 之间互不相同的整数天数列表（最多 10 个），如 [14, 7, 3, 1]'],
    [{ beforeDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'reminders.beforeDays（截止前第几天提醒）最多 10 个天数，如 [14, 7, 3, 1]'],
    [{ at: '9:00' }, 'reminders.at（每日提醒时间）“9:00”无效：应为北京时间 24 小时制的“时:分”，如 "09:00"'],
    [{ at: '24:00' }, 'reminders.at（每日提醒时间）“24:00”无效：应为北京时间 24 小时制的“时:分”，如 "09:00"'],
    [{ onTheDay: 'yes' }, 'reminders.onTheDay（截止当天是否提醒）“yes”无效：应为 true 或 false，如 true'],
    [{ overdueEveryDays: -1 }, 'reminders.overdueEveryDays（逾期后每隔几天提醒）-1无效：应为 0–30 的整数天数（0 表示逾期后不再单独提醒），如 2'],
    [{ stopAfterDays: 400 }, 'reminders.stopAfterDays（截止后停止提醒的天数）400无效：应为 0–365 的整数天数（截止日后第几天起不再提醒），如 30'],
    [{ districtDigest: true }, 'reminders.districtDigest（县区汇总提醒）true无效：应为 { "enabled": true, "fromDaysBefore": 7 } 这样的对象，如 { "enabled": true, "fromDaysBefore": 7 }'],
    [{ cityDigest: { fromDaysBefore: 90 } }, 'reminders.cityDigest.fromDaysBefore（市局和中心汇总提醒：从截止前几天起每日发送）90无效：应为 0–60 的整数天数（0 表示从截止当天起），如 7'],
    [{ districtDigest: { enabled: 'no' } }, 'reminders.districtDigest.enabled（县区汇总提醒：是否发送）“no”无效：应为 true 或 false，如 true'],
    [{ beforeDay: [7] }, 'reminders（提醒规则） 中的未知字段“beforeDay”：可用的字段为 beforeDays、onTheDay、at、overdueEveryDays、districtDigest、cityDigest、stopAfterDays（注意大小写）'],
    [{ cityDigest: { enable: false } }, 'reminders.cityDigest（市局和中心汇总提醒） 中的未知字段“enable”：可用的字段为 enabled、fromDaysBefore（注意大小写）'],
    [[7, 3], 'reminders（提醒规则）[7,3]无效：应为一个对象，如 { "beforeDays": [14, 7, 3, 1], "onTheDay": true, "at": "09:00", "overdueEveryDays": 2 }（可省略：省略即用默认规则）'],
  ])('%j → one problem naming the field in Chinese, with an example', (reminders, message) => {
    expect(campaignProblems(file(reminders))).toEqual([message]);
  });

  it('every problem of a policy at once, beside the other fields\'', () => {
    const problems = campaignProblems({ ...file({ at: '9点', overdueEveryDays: 1.5 }), title: undefined });
    expect(problems).toEqual([
      '缺少 title（活动名称）：2–100 个字，如 "南昌市中小学心理服务体系建设两个实施方案报送"',
      'reminders.at（每日提醒时间）“9点”无效：应为北京时间 24 小时制的“时:分”，如 "09:00"',
      'reminders.overdueEveryDays（逾期后每隔几天提醒）1.5无效：应为 0–30 的整数天数（0 表示逾期后不再单独提醒），如 2',
    ]);
  });
});
