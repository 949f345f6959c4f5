/**
 * Extensions, exemptions and a District's internal deadline for its schools (functions/terms/): the pure rules
 * (effective and reminder deadlines, an exempt org owes nothing, lateness derived at read time, validation),
 * the domain core on fakes (who may change whose terms, invalid input changes nothing, the status item, the
 * AUDIENCE registers and the audit trail, a repeat writes nothing), the planner's deadlineOf and the sweep.
 */
import { describe, expect, it } from 'vitest';
import {
  effectiveDeadline,
  filterRows,
  missingOf,
  reminderDeadline,
  restated,
  statusCsv,
  summarise,
  termsText,
} from '../../functions/plans/rules.js';
import { exportSet, type Session, syncStatus } from '../../functions/plans/service.js';
import { jurisdictionRows, readiness } from '../../functions/bundles/rules.js';
import { jurisdictionOf } from '../../functions/bundles/service.js';
import { dashboardOrg } from '../../functions/dashboard/service.js';
import { planReminders } from '../../functions/reminders/plan.js';
import { anythingDue, expectedCounts, type SweepDeps, sweepReminders } from '../../functions/reminders/service.js';
import type { SweepMarks } from '../../functions/reminders/marks.js';
import { AppError } from '../../functions/shared/errors.js';
import { roleOf, tokenSigner } from '../../functions/shared/tokens.js';
import { exemptionOf, extensionOf, schoolsDueOf, withTerm } from '../../functions/terms/rules.js';
import { changeTerm, type TermsDeps, termsPage } from '../../functions/terms/service.js';
import { termsPage as termsHtml } from '../../web/terms/page.js';
import type { Org } from '../../schemas/orgs.js';
import type { Exemption, Extension, OrgSummary } from '../../schemas/plans.js';
import { ExemptionBody, ExtensionBody, SchoolsDeadlineBody } from '../../schemas/terms.js';
import { FakeAuditLog, FakeCampaignStore, FakeOrgStore, FakeOutboxLedger, FakeOutboxQueue, FakeSummaryStore, FakeUploadStore, FixedClock } from './fakes.js';
import { allOrgs, campaign, keyBytes, orgs, summariesOf, upload, uploadId } from './samples.js';

const BY = { by: 'city:bureau', byName: '南昌市教育局', at: '2019-07-02T02:00:00.000Z', seq: 1 };
const EXT: Extension = { dueAt: '2019-07-05T15:59:59.999Z', reason: '暴雨停课', ...BY };
const EXEMPT: Exemption = { kind: 'closed', reason: '学校已撤销', ...BY };
/** 2 July 10:00 Beijing: after the campaign's deadline (30 June), before the extension's (5 July). */
const JULY_2 = '2019-07-02T02:00:00.000Z';
const acc = (n: number, orgId: string, document: string, at: string) =>
  upload({ uploadId: uploadId(n), orgId, document, state: 'accepted', receivedAt: at, late: Date.parse(at) > Date.parse(campaign.deadline), size: 100, sha256: 'a'.repeat(64) });

describe('the deadlines', () => {
  it('effective (lateness): the extension, else the campaign’s', () => {
    expect(effectiveDeadline(campaign, undefined)).toBe(campaign.deadline);
    expect(effectiveDeadline(campaign, {})).toBe(campaign.deadline);
    expect(effectiveDeadline(campaign, { extension: EXT })).toBe(EXT.dueAt);
  });

  it('reminders: the extension, else a school’s District internal date (never later than the campaign’s), else the campaign’s', () => {
    const internal = { schoolsDueAt: { dueAt: '2019-06-23T15:59:59.999Z', ...BY } };
    expect(reminderDeadline(campaign, undefined, orgs.dhSchool1)).toBe(campaign.deadline);
    expect(reminderDeadline(campaign, undefined, orgs.dhSchool1, internal)).toBe('2019-06-23T15:59:59.999Z');
    // The extension replaces the District's internal date for that school.
    expect(reminderDeadline(campaign, { extension: EXT }, orgs.dhSchool1, internal)).toBe(EXT.dueAt);
    // The District office itself is not one of its schools.
    expect(reminderDeadline(campaign, undefined, orgs.dh, internal)).toBe(campaign.deadline);
    // An internal date later than the campaign's (the campaign was moved earlier since) gives way.
    expect(reminderDeadline(campaign, undefined, orgs.dhSchool1, { schoolsDueAt: { dueAt: '2019-07-10T15:59:59.999Z', ...BY } })).toBe(campaign.deadline);
  });
});

describe('an exempt org owes nothing', () => {
  it('missingOf is empty while it is exempt; restated keeps the exemption and leaves the owing index', () => {
    expect(missingOf(campaign, orgs.dhSchool1, {})).toEqual(['service-plan', 'crisis-plan']);
    expect(missingOf(campaign, orgs.dhSchool1, {}, EXEMPT)).toEqual([]);
    const item: OrgSummary = { campaignId: campaign.id, orgId: 'dh-school-1', rev: 3, docs: {}, exemption: EXEMPT, missing: ['service-plan'] };
    const next = restated(campaign, orgs.dhSchool1, item);
    expect(next).toMatchObject({ rev: 4, missing: [], exemption: EXEMPT });
  });

  it('withTerm: granting empties `missing`, revoking restates it; the same content again is no change; seq is the revision', () => {
    const prev = restated(campaign, orgs.dhSchool1, undefined) as OrgSummary;
    expect(prev.missing).toEqual(['service-plan', 'crisis-plan']);
    const granted = withTerm(campaign, orgs.dhSchool1, prev, 'exemption', EXEMPT) as OrgSummary;
    expect(granted).toMatchObject({ rev: prev.rev + 1, missing: [], exemption: { ...EXEMPT, seq: prev.rev + 1 } });
    expect(withTerm(campaign, orgs.dhSchool1, granted, 'exemption', { ...EXEMPT, by: 'district:dh', at: JULY_2 })).toBeUndefined();
    const revoked = withTerm(campaign, orgs.dhSchool1, granted, 'exemption', undefined) as OrgSummary;
    expect(revoked.exemption).toBeUndefined();
    expect(revoked).toMatchObject({ rev: granted.rev + 1, missing: ['service-plan', 'crisis-plan'] });
    expect(withTerm(campaign, orgs.dhSchool1, revoked, 'exemption', undefined)).toBeUndefined();
    // Other writers keep the field: the validator's fold and the status sync clone the item.
    expect(restated(campaign, { ...orgs.dhSchool1, name: '改名' }, granted)).toMatchObject({ exemption: granted.exemption, missing: [] });
  });

  it('the status sync keeps an exemption and the register names a moved school’s new route', async () => {
    const o = new FakeOrgStore(allOrgs);
    const c = new FakeCampaignStore([campaign]);
    const s = new FakeSummaryStore();
    await syncStatus({ orgs: o, campaigns: c, summaries: s });
    const prev = (await s.get(campaign.id, 'dh-school-1')) as OrgSummary;
    await s.put(withTerm(campaign, orgs.dhSchool1, prev, 'exemption', EXEMPT) as OrgSummary, prev.rev);
    await s.register(campaign.id, 'exempt', 'dh-school-1', 'D#dh');
    await o.upsert({ ...orgs.dhSchool1, districtId: 'xh' });
    await syncStatus({ orgs: o, campaigns: c, summaries: s });
    expect(await s.get(campaign.id, 'dh-school-1')).toMatchObject({ routeKey: 'D#xh', missing: [], exemption: { kind: 'closed' } });
    expect((await s.audience(campaign.id))?.exempt).toEqual({ 'dh-school-1': 'D#xh' });
    // Its new District counts it as exempt, its old one no longer (a stale register would say 1 and 3).
    expect(expectedCounts(await s.audience(campaign.id))).toMatchObject({ 'D#dh': 2, 'D#xh': 2 });
  });
});

describe('lateness derived at read time against the effective deadline', () => {
  const items = () => summariesOf([acc(1, 'dh-school-1', 'service-plan', JULY_2), acc(2, 'dh-school-1', 'crisis-plan', JULY_2)]);

  it('a first version after the campaign’s deadline is late, and on time once the Bureau extends the org past it', () => {
    const [late] = items() as [OrgSummary];
    expect(late.docs['service-plan']?.first?.late).toBe(true); // as recorded at arrival
    const before = summarise(campaign, [orgs.dhSchool1], [late]).rows[0];
    expect(before?.documents.map((d) => [d.late, d.lastLate, d.timeliness])).toEqual([
      [true, true, '逾期提交（7月2日 10:00）'],
      [true, true, '逾期提交（7月2日 10:00）'],
    ]);
    const extended = { ...late, extension: EXT };
    const { rows, totals } = summarise(campaign, [orgs.dhSchool1], [extended]);
    expect(rows[0]?.documents.map((d) => [d.late, d.lastLate, d.timeliness, d.lateVersions])).toEqual([
      [false, false, '按时提交（7月2日 10:00）', 1],
      [false, false, '按时提交（7月2日 10:00）', 1],
    ]);
    expect(rows[0]?.extension).toEqual(EXT);
    expect(totals[0]).toMatchObject({ orgs: 1, complete: 1, late: 0 });
    // The CSV says so, with the extension in its own column.
    const line = statusCsv(campaign, rows, totals).split('\r\n')[1] as string;
    expect(line).toContain(',已上传,1,2019-07-02 10:00,否,2019-07-02 10:00,方案.pdf,按时提交（7月2日 10:00）,');
    expect(line.endsWith(',延期至 2019-07-05 23:59：暴雨停课')).toBe(true);
    // The dashboard counts it on time, against its own deadline.
    expect(dashboardOrg(campaign, orgs.dhSchool1, late, '东湖区教科体局')).toMatchObject({ deadline: campaign.deadline, docs: [{ late: true }, { late: true }] });
    expect(dashboardOrg(campaign, orgs.dhSchool1, extended, '东湖区教科体局')).toMatchObject({ deadline: EXT.dueAt, docs: [{ late: false }, { late: false }] });
  });

  it('a District’s internal deadline does not make its schools late (only reminders and the upload page follow it)', () => {
    const early = summariesOf([acc(1, 'dh-school-1', 'service-plan', '2019-06-28T02:00:00.000Z')]);
    const office: OrgSummary = { campaignId: campaign.id, orgId: 'dh', rev: 1, docs: {}, schoolsDueAt: { dueAt: '2019-06-23T15:59:59.999Z', ...BY } };
    const { rows } = summarise(campaign, [orgs.dh, orgs.dhSchool1], [office, ...early]);
    expect(rows.find((r) => r.orgId === 'dh-school-1')?.documents[0]).toMatchObject({ state: 'uploaded', late: false, timeliness: '按时提交（6月28日 10:00）' });
  });

  it('the manifest of the zip says on time too', async () => {
    const summaries = new FakeSummaryStore();
    for (const s of items()) await summaries.put({ ...s, extension: EXT }, undefined);
    const deps = { orgs: new FakeOrgStore(allOrgs), campaigns: new FakeCampaignStore([campaign]), uploads: new FakeUploadStore(), summaries, tokens: tokenSigner(async () => keyBytes()), clock: new FixedClock(JULY_2) };
    const set = await exportSet(deps, session(orgs.bureau));
    expect(set.manifest.map((m) => [m.onTime, m.note])).toEqual([
      [true, '按时提交（7月2日 10:00）'],
      [true, '按时提交（7月2日 10:00）'],
    ]);
  });

  it('an exempt org is listed but not counted, never “incomplete”; the CSV says 免报', () => {
    const { rows, totals } = summarise(campaign, [orgs.dh, orgs.dhSchool1, orgs.dhSchool2], [{ campaignId: campaign.id, orgId: 'dh-school-2', rev: 2, docs: {}, exemption: EXEMPT }]);
    expect(rows.map((r) => [r.orgId, !!r.exemption])).toEqual([
      ['dh', false],
      ['dh-school-1', false],
      ['dh-school-2', true],
    ]);
    expect(totals).toEqual([expect.objectContaining({ group: 'D#dh', orgs: 2, complete: 0 })]);
    expect(filterRows(rows, { show: 'incomplete' }).map((r) => r.orgId)).toEqual(['dh', 'dh-school-1']);
    const csv = statusCsv(campaign, rows, totals).split('\r\n');
    expect(csv[3]).toContain(',免报,0,,,,,,免报,0,,,,,,免报（关停：学校已撤销）');
    expect(csv[4]).toContain('2 个单位，报齐 0 个');
    expect(csv[4]?.endsWith(',免报 1 个（不计入合计）')).toBe(true);
    expect(termsText({ exemption: EXEMPT, extension: EXT })).toBe('免报（关停：学校已撤销）；延期至 2019-07-05 23:59：暴雨停课');
    expect(dashboardOrg(campaign, orgs.dhSchool2, { campaignId: campaign.id, orgId: 'dh-school-2', rev: 2, docs: {}, exemption: EXEMPT }, '东湖区教科体局')).toMatchObject({
      exempt: { reason: '学校已撤销' },
      deadline: campaign.deadline,
    });
  });
});

describe('validation (a 400 with its code, nothing built)', () => {
  const d = { by: 'city:bureau', byName: '南昌市教育局' };
  const now = new Date('2019-06-20T02:00:00.000Z');
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
    }
    return 'no error';
  };
  it('an extension: a date after the deadline, within 180 days, with a reason; it may lie in the past (excusing a late org)', () => {
    const ext = (b: Record<string, unknown>) => extensionOf(campaign, ExtensionBody.parse({ org: 'dh-school-1', action: 'set', ...b }), d, now);
    expect(ext({ dueDate: '2019-07-05', reason: '暴雨' })).toEqual({ dueAt: '2019-07-05T15:59:59.999Z', reason: '暴雨', ...d, at: now.toISOString(), seq: 0 });
    expect(extensionOf(campaign, { org: 'x1', action: 'set', dueDate: '2019-07-01', reason: '补' }, d, new Date('2019-08-01T00:00:00Z'))?.dueAt).toBe('2019-07-01T15:59:59.999Z');
    expect(code(() => ext({ reason: '暴雨' }))).toBe('400 DUE_DATE_REQUIRED');
    expect(code(() => ext({ dueDate: '2019-02-30', reason: '暴雨' }))).toBe('400 DUE_DATE_INVALID');
    expect(code(() => ext({ dueDate: '2019-06-30', reason: '暴雨' }))).toBe('400 EXTENSION_NOT_LATER');
    expect(code(() => ext({ dueDate: '2020-01-01', reason: '暴雨' }))).toBe('400 EXTENSION_TOO_FAR');
    expect(code(() => ext({ dueDate: '2019-07-05' }))).toBe('400 REASON_REQUIRED');
    expect(code(() => ext({ dueDate: '2019-07-05', reason: '   ' }))).toBe('400 REASON_REQUIRED');
    expect(ext({ action: 'revoke' })).toBeUndefined();
  });
  it('an exemption: a kind and a reason; a District’s internal deadline: before the campaign’s, not past', () => {
    expect(code(() => exemptionOf(ExemptionBody.parse({ org: 'a1', action: 'set', reason: '撤并' }), d, now))).toBe('400 KIND_REQUIRED');
    expect(code(() => exemptionOf(ExemptionBody.parse({ org: 'a1', action: 'set', kind: 'merged' }), d, now))).toBe('400 REASON_REQUIRED');
    expect(exemptionOf(ExemptionBody.parse({ org: 'a1', action: 'set', kind: 'merged', reason: '并入一中' }), d, now)).toMatchObject({ kind: 'merged', reason: '并入一中' });
    expect(ExemptionBody.safeParse({ org: 'a1', action: 'set', kind: 'gone' }).success).toBe(false);
    const due = (dueDate?: string) => schoolsDueOf(campaign, SchoolsDeadlineBody.parse({ action: 'set', ...(dueDate ? { dueDate } : {}) }), d, now);
    expect(due('2019-06-23')?.dueAt).toBe('2019-06-23T15:59:59.999Z');
    expect(code(() => due('2019-06-30'))).toBe('400 SCHOOLS_DUE_NOT_EARLIER');
    expect(code(() => due('2019-06-19'))).toBe('400 DUE_DATE_PAST');
    expect(code(() => due())).toBe('400 DUE_DATE_REQUIRED');
    expect(SchoolsDeadlineBody.safeParse({ action: 'set', dueDate: '2019-06-23', org: 'dh' }).success).toBe(false);
  });
});

// ── The domain core on fakes ─────────────────────────────────────────────────────────────────────────

const session = (o: Org): Session => ({ grant: { orgId: o.id, campaignId: campaign.id, role: roleOf(o.kind), version: o.tokenVersion }, org: o, campaign });

async function world(now = '2019-06-20T02:00:00.000Z') {
  const orgStore = new FakeOrgStore(allOrgs);
  const campaigns = new FakeCampaignStore([campaign]);
  const summaries = new FakeSummaryStore();
  await syncStatus({ orgs: orgStore, campaigns, summaries });
  const audit = new FakeAuditLog();
  const deps: TermsDeps = { orgs: orgStore, campaigns, summaries, audit, clock: new FixedClock(now), tokens: tokenSigner(async () => keyBytes()) };
  const snapshot = async () => JSON.stringify([await summaries.list(campaign.id), await summaries.audience(campaign.id), audit.events]);
  return { deps, summaries, audit, snapshot };
}
const refused = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  }
  return 'no error';
};

describe('changeTerm: who may, and what is written', () => {
  it('the Bureau grants an extension: status item, register, one audit entry; the same again writes nothing; revoke restores', async () => {
    const w = await world();
    const body = { org: 'dh-school-1', action: 'set', dueDate: '2019-07-05', reason: '暴雨停课' } as const;
    const r = await changeTerm(w.deps, session(orgs.bureau), 'extension', body);
    expect(r).toMatchObject({ changed: true, term: { dueAt: '2019-07-05T15:59:59.999Z', reason: '暴雨停课', by: 'city:bureau' } });
    const item = (await w.summaries.get(campaign.id, 'dh-school-1')) as OrgSummary;
    expect(item.extension).toMatchObject({ dueAt: '2019-07-05T15:59:59.999Z', seq: item.rev });
    expect((await w.summaries.audience(campaign.id))?.extended).toEqual({ 'dh-school-1': '2019-07-05T15:59:59.999Z' });
    expect(w.audit.events).toEqual([
      expect.objectContaining({
        action: 'extension.granted',
        actor: 'city:bureau',
        orgId: 'dh-school-1',
        id: `extension#dh-school-1#${item.rev}`,
        at: '2019-06-20T02:00:00.000Z',
        before: {},
        after: { deadline: '2019-07-05T15:59:59.999Z', reason: '暴雨停课' },
      }),
    ]);
    const before = await w.snapshot();
    expect(await changeTerm(w.deps, session(orgs.bureau), 'extension', body)).toMatchObject({ changed: false });
    expect(await w.snapshot()).toBe(before);
    const off = await changeTerm(w.deps, session(orgs.bureau), 'extension', { org: 'dh-school-1', action: 'revoke' });
    expect(off).toMatchObject({ changed: true });
    expect(off.term).toBeUndefined();
    expect((await w.summaries.get(campaign.id, 'dh-school-1'))?.extension).toBeUndefined();
    expect((await w.summaries.audience(campaign.id))?.extended).toEqual({});
    expect(w.audit.events.map((e) => [e.action, e.before, e.after])).toEqual([
      ['extension.granted', {}, { deadline: '2019-07-05T15:59:59.999Z', reason: '暴雨停课' }],
      ['extension.revoked', { deadline: '2019-07-05T15:59:59.999Z', reason: '暴雨停课' }, {}],
    ]);
    // Nothing to revoke: nothing written, nothing appended.
    const after = await w.snapshot();
    expect(await changeTerm(w.deps, session(orgs.bureau), 'extension', { org: 'dh-school-1', action: 'revoke' })).toMatchObject({ changed: false });
    expect(await w.snapshot()).toBe(after);
  });

  it('a District exempts its own school: it leaves the owing index and the expected counts; revoking restores both', async () => {
    const w = await world();
    const owing = async () => (await w.summaries.listOwing(campaign.id)).map((s) => s.orgId);
    expect(await owing()).toContain('dh-school-2');
    await changeTerm(w.deps, session(orgs.dh), 'exemption', { org: 'dh-school-2', action: 'set', kind: 'merged', reason: '并入第一小学' });
    expect(await owing()).not.toContain('dh-school-2');
    expect(expectedCounts(await w.summaries.audience(campaign.id))).toMatchObject({ 'D#dh': 2 });
    expect(w.audit.events).toEqual([expect.objectContaining({ action: 'exemption.granted', actor: 'district:dh', after: { kind: 'merged', reason: '并入第一小学' } })]);
    await changeTerm(w.deps, session(orgs.dh), 'exemption', { org: 'dh-school-2', action: 'revoke' });
    expect(await owing()).toContain('dh-school-2');
    expect(expectedCounts(await w.summaries.audience(campaign.id))).toMatchObject({ 'D#dh': 3 });
    expect(w.audit.events.map((e) => e.action)).toEqual(['exemption.granted', 'exemption.revoked']);
  });

  it('a crash between the status write and the register or the trail is repaired by repeating the request', async () => {
    const w = await world();
    w.audit.failAppendFor = () => true;
    const body = { org: 'direct-1', action: 'set', kind: 'not-applicable', reason: '不招收学生' } as const;
    await expect(changeTerm(w.deps, session(orgs.bureau), 'exemption', body)).rejects.toThrow();
    expect(w.audit.events).toEqual([]);
    w.audit.failAppendFor = undefined;
    expect(await changeTerm(w.deps, session(orgs.bureau), 'exemption', body)).toMatchObject({ changed: false });
    const item = (await w.summaries.get(campaign.id, 'direct-1')) as OrgSummary;
    // The entry the first request owed: its time and id are the decision's (no `before`: the repeat cannot know it).
    expect(w.audit.events).toEqual([expect.objectContaining({ action: 'exemption.granted', id: `exemption#direct-1#${item.rev}`, at: item.exemption?.at })]);
    expect(w.audit.events[0]?.before).toBeUndefined();
    expect((await w.summaries.audience(campaign.id))?.exempt).toEqual({ 'direct-1': 'DIRECT' });
  });

  it('isolation: schools, the Centre and Districts cannot extend; a District cannot exempt itself, another District’s school, a Direct school or change the Bureau’s; nothing changes', async () => {
    const w = await world();
    await changeTerm(w.deps, session(orgs.bureau), 'exemption', { org: 'dh-school-1', action: 'set', kind: 'closed', reason: '停办' });
    const before = await w.snapshot();
    const ext = { org: 'dh-school-2', action: 'set', dueDate: '2019-07-05', reason: '暴雨' } as const;
    const ex = (org: string) => ({ org, action: 'set', kind: 'closed', reason: '停办' }) as const;
    const cases: [Org, Parameters<typeof changeTerm>[2], Parameters<typeof changeTerm>[3], string][] = [
      [orgs.dhSchool2, 'extension', ext, '403 BUREAU_ONLY'],
      [orgs.centre, 'extension', ext, '403 BUREAU_ONLY'],
      [orgs.dh, 'extension', ext, '403 BUREAU_ONLY'],
      [orgs.dhSchool2, 'exemption', ex('dh-school-2'), '403 EXEMPTION_NOT_ALLOWED'],
      [orgs.centre, 'exemption', ex('direct-1'), '403 EXEMPTION_NOT_ALLOWED'],
      [orgs.dh, 'exemption', ex('dh'), '403 CANNOT_EXEMPT_SELF'],
      [orgs.dh, 'exemption', ex('xh-school-1'), '404 ORG_NOT_FOUND'],
      [orgs.dh, 'exemption', ex('xh'), '404 ORG_NOT_FOUND'],
      [orgs.dh, 'exemption', ex('direct-1'), '404 ORG_NOT_FOUND'],
      [orgs.dh, 'exemption', ex('no-such-org'), '404 ORG_NOT_FOUND'],
      [orgs.dh, 'exemption', { org: 'dh-school-1', action: 'revoke' }, '403 GRANTED_BY_BUREAU'],
      [orgs.bureau, 'exemption', ex('centre'), '404 ORG_NOT_FOUND'], // not in the audience
      [orgs.bureau, 'schools-deadline', { action: 'set', dueDate: '2019-06-23' }, '403 DISTRICT_ONLY'],
      [orgs.dhSchool1, 'schools-deadline', { action: 'set', dueDate: '2019-06-23' }, '403 DISTRICT_ONLY'],
      [orgs.bureau, 'extension', { org: 'dh-school-2', action: 'set', dueDate: '2019-06-29', reason: '早' }, '400 EXTENSION_NOT_LATER'],
      [orgs.dh, 'schools-deadline', { action: 'set', dueDate: '2019-07-01' }, '400 SCHOOLS_DUE_NOT_EARLIER'],
    ];
    for (const [who, what, body, expected] of cases) expect(await refused(changeTerm(w.deps, session(who), what, body)), `${who.id} ${what} ${JSON.stringify(body)}`).toBe(expected);
    expect(await w.snapshot()).toBe(before);
  });
});

describe('forwarding', () => {
  it('a school exempt in the register neither blocks its District’s bundle nor needs naming; an extended school’s entry is on time', async () => {
    const w = await world();
    const before = readiness(await jurisdictionOf(w.deps as never, session(orgs.dh), orgs.dh));
    expect(before.blockers.map((b) => b.orgId)).toEqual(['dh-school-1', 'dh-school-2']);
    await changeTerm(w.deps, session(orgs.dh), 'exemption', { org: 'dh-school-2', action: 'set', kind: 'closed', reason: '停办' });
    const after = readiness(await jurisdictionOf(w.deps as never, session(orgs.dh), orgs.dh));
    expect(after.blockers.map((b) => b.orgId)).toEqual(['dh-school-1']);
    expect(after.exempted).toEqual([]);
    const [late] = summariesOf([acc(1, 'dh-school-1', 'service-plan', JULY_2)]) as [OrgSummary];
    const rows = (x: OrgSummary) => jurisdictionRows(campaign, [orgs.dhSchool1], [x])[0]?.documents[0]?.late;
    expect([rows(late), rows({ ...late, extension: EXT })]).toEqual([true, false]);
  });
});

// ── The planner and the sweep ────────────────────────────────────────────────────────────────────────

describe('reminders follow the deadline each org is held to', () => {
  const at = (iso: string) => new Date(iso);
  const owing = (o: Org) => ({ org: o, missing: ['service-plan'] });
  const base = { campaign, directory: allOrgs.filter((o) => o.kind !== 'school'), expected: {}, owing: [owing(orgs.dhSchool1), owing(orgs.dhSchool2), owing(orgs.direct1)] };
  const orgJobs = (jobs: ReturnType<typeof planReminders>) => jobs.filter((j) => j.kind === 'org').map((j) => [j.key.split('#')[2], j.key.split('#')[3], j.kind === 'org' ? j.deadline : '']);

  it('deadlineOf: an extension and a District’s internal deadline move the org’s own reminders, not the digests', () => {
    const internal = '2019-06-23T15:59:59.999Z';
    const deadlineOf = (o: Org) => (o.id === 'direct-1' ? EXT.dueAt : o.districtId === 'dh' ? internal : campaign.deadline);
    // 22 June 09:00: 1 day before the District's internal date; 8 days before the campaign's; 13 before the extension.
    expect(orgJobs(planReminders({ ...base, now: at('2019-06-22T01:00:00.000Z'), deadlineOf }))).toEqual([
      ['dh-school-1', 'before-1', internal],
      ['dh-school-2', 'before-1', internal],
    ]);
    // 28 June 09:00: the extension's 7 days before; the internal date passed 5 days ago (overdue every 2 days: 1, 3, 5).
    const jobs = planReminders({ ...base, now: at('2019-06-28T01:00:00.000Z'), deadlineOf });
    expect(orgJobs(jobs)).toEqual([
      ['dh-school-1', 'overdue-5', internal],
      ['dh-school-2', 'overdue-5', internal],
      ['direct-1', 'before-7', EXT.dueAt],
    ]);
    expect(jobs.filter((j) => j.kind !== 'org').every((j) => j.deadline === campaign.deadline)).toBe(true);
    // Without the hook: everyone by the campaign's (28 June is 2 days before: no rule).
    expect(orgJobs(planReminders({ ...base, now: at('2019-06-28T01:00:00.000Z') }))).toEqual([]);
  });

  class Marks implements SweepMarks {
    readonly items = new Map<string, unknown>();
    async done(c: string, day: string) {
      return this.items.has(`${c}|${day}`);
    }
    async mark(c: string, day: string, summary: unknown) {
      this.items.set(`${c}|${day}`, summary);
    }
  }

  it('the sweep: a school is reminded by its District’s internal date (read from the office’s status item), another by its extension, on days the campaign’s deadline sends nothing; the exempt never', async () => {
    const w = await world();
    await changeTerm(w.deps, session(orgs.dh), 'schools-deadline', { action: 'set', dueDate: '2019-06-23' });
    await changeTerm(w.deps, session(orgs.bureau), 'extension', { org: 'direct-1', action: 'set', dueDate: '2019-07-10', reason: '搬迁' });
    await changeTerm(w.deps, session(orgs.dh), 'exemption', { org: 'dh-school-2', action: 'set', kind: 'closed', reason: '停办' });
    // The District office itself owes nothing (so the sweep must read its item, not find it among the owing).
    await changeTerm(w.deps, session(orgs.bureau), 'exemption', { org: 'dh', action: 'set', kind: 'other', reason: '本级无需报送' });
    const reads: string[] = [];
    const queue = new FakeOutboxQueue();
    const ledger = new FakeOutboxLedger();
    const deps: SweepDeps = {
      campaigns: w.deps.campaigns,
      orgs: { get: (id) => (reads.push(`org ${id}`), w.deps.orgs.get(id)), list: (r) => w.deps.orgs.list(r) },
      summaries: {
        listOwing: (c) => (reads.push('owing'), w.summaries.listOwing(c)),
        audience: (c) => (reads.push('audience'), w.summaries.audience(c)),
        get: (c, o) => (reads.push(`status ${o}`), w.summaries.get(c, o)),
      },
      ledger,
      queue,
      marks: new Marks(),
      tokens: w.deps.tokens,
      siteOrigin: 'https://psy.example.cn',
      linkTtlDays: 60,
      now: () => at('2019-06-20T01:00:00.000Z'),
    };
    // 20 June: 10 days before the campaign's deadline (nothing by it), 3 before the District's internal date.
    expect(anythingDue(campaign, at('2019-06-20T01:00:00.000Z'))).toBe(false);
    const r = await sweepReminders(deps, at('2019-06-20T01:00:00.000Z'));
    expect(r.campaigns[0]).toMatchObject({ planned: 1, queued: 1 });
    expect(queue.sent).toEqual(['remind#2019-plans#dh-school-1#before-3#20190620']);
    // The owing schools' District offices: their status items (one read each, as their org items were), not the registry.
    // (xh owes, so its item came with the owing index.)
    expect(reads.filter((x) => x.startsWith('org ') || x.startsWith('status '))).toEqual(['status dh']);
    // 3 July: the campaign's overdue-3 for xh-school-1, the extension's before-7 for direct-1; dh-school-1's internal
    // date passed 10 days ago (overdue every 2 days: not today); dh and dh-school-2 are exempt; xh has no address.
    await sweepReminders(deps, at('2019-07-03T01:00:00.000Z'));
    expect([...ledger.items.keys()].filter((k) => k.startsWith('remind#') && k.endsWith('#20190703')).sort()).toEqual([
      'remind#2019-plans#direct-1#before-7#20190703',
      'remind#2019-plans#xh-school-1#overdue-3#20190703',
    ]);
    // A day nothing is due by any deadline: the campaign list and the AUDIENCE item only.
    reads.length = 0;
    expect((await sweepReminders(deps, at('2019-06-05T01:00:00.000Z'))).campaigns[0]).toMatchObject({ skipped: 'nothing due today' });
    expect(reads).toEqual(['audience']);
  });
});

describe('the terms page', () => {
  it('a District sees its exempt schools and its internal deadline; the Bureau sees every register and finds an org; all escaped', async () => {
    const w = await world();
    await changeTerm(w.deps, session(orgs.dh), 'exemption', { org: 'dh-school-2', action: 'set', kind: 'closed', reason: '<b>停办</b>' });
    await changeTerm(w.deps, session(orgs.bureau), 'exemption', { org: 'xh-school-1', action: 'set', kind: 'other', reason: '其他' });
    await changeTerm(w.deps, session(orgs.bureau), 'extension', { org: 'direct-1', action: 'set', dueDate: '2019-07-05', reason: '搬迁' });
    await changeTerm(w.deps, session(orgs.dh), 'schools-deadline', { action: 'set', dueDate: '2019-06-23' });
    const read = { ...w.deps, uploads: new FakeUploadStore(), summaries: w.summaries, audience: (c: string) => w.summaries.audience(c) };
    const district = await termsPage(read, session(orgs.dh), '第一');
    expect(district.exempt.map((r) => r.org.id)).toEqual(['dh-school-2']);
    expect(district.extended).toEqual([]);
    expect(district.results?.map((r) => r.org.id)).toEqual(['dh-school-1']);
    expect(district.schoolsDueAt?.dueAt).toBe('2019-06-23T15:59:59.999Z');
    const html = termsHtml({ ...district, campaign, today: '2019-06-20' }, { q: '第一' });
    expect(html).toContain('&lt;b&gt;停办&lt;/b&gt;');
    expect(html).toContain('data-schools-due="2019-06-23T15:59:59.999Z"');
    expect(html).not.toContain('name="what" value="extension"');
    const city = await termsPage(read, session(orgs.bureau), 'direct');
    expect(city.exempt.map((r) => r.org.id).sort()).toEqual(['dh-school-2', 'xh-school-1']);
    expect(city.extended.map((r) => r.org.id)).toEqual(['direct-1']);
    expect(city.results?.map((r) => r.org.id)).toEqual(['direct-1']);
    expect(termsHtml({ ...city, campaign, today: '2019-06-20' })).toContain('name="what" value="extension"');
    await expect(termsPage(read, session(orgs.dhSchool1))).rejects.toMatchObject({ status: 403 });
    await expect(termsPage(read, session(orgs.centre))).rejects.toMatchObject({ status: 403 });
  });
});
