import { describe, expect, it } from 'vitest';
import {
  anyPeriodOver,
  cadenceLine,
  changeRoster,
  defaultTerm,
  editClass,
  newRoster,
  periodEndOf,
  removeClass,
  resendLink,
  type RosterDeps,
  rosterView,
  setCadence,
  setTerm,
  upsertClasses,
} from '../../functions/contacts/roster-service.js';
import type { RosterStore } from '../../functions/contacts/store.js';
import type { Session } from '../../functions/plans/service.js';
import { AppError } from '../../functions/shared/errors.js';
import { personTokens, tokenSigner } from '../../functions/shared/tokens.js';
import { CONTACT_TRAIL } from '../../schemas/audit.js';
import { type Roster, Roster as RosterSchema } from '../../schemas/contacts.js';
import type { Org } from '../../schemas/orgs.js';
import { rosterPage } from '../../web/contacts/roster-page.js';
import { FakeAuditLog, FakeOutboxLedger, FakeOutboxQueue, FixedClock } from './fakes.js';

const school: Org = { id: 'dh-school', name: '东湖测试小学', kind: 'school', district: 'd-donghu', contacts: [], tokenVersion: 1 } as unknown as Org;
const district: Org = { id: 'd-donghu', name: '东湖区教科体局', kind: 'district', contacts: [], tokenVersion: 1 } as unknown as Org;
const sessionOf = (org: Org): Session => ({ grant: { orgId: org.id, campaignId: '2019-plans', role: org.kind === 'school' ? 'school' : 'district', version: 1 }, org, campaign: { id: '2019-plans' } as never });

/** Predictable ids: a counter in base32 (the alphabet of newId), left-padded. */
let n = 0;
const ids = () => (len: number) => {
  const A = 'abcdefghijklmnopqrstuvwxyz234567';
  let x = n++;
  let out = '';
  for (let i = 0; i < len; i++, x = Math.floor(x / 32)) out = A[x % 32] + out;
  return out;
};
const ctx = (today = '2019-06-05') => ({ today, newId: ids() });

class MemRosters implements Pick<RosterStore, 'get' | 'put'> {
  item?: Roster;
  /** Lose the next `races` conditional writes (another writer came first). */
  races = 0;
  writes = 0;
  async get() {
    return this.item ? structuredClone(this.item) : undefined;
  }
  async put(r: Roster, prevRev: number | undefined) {
    if (this.races > 0) {
      this.races--;
      return false;
    }
    if ((this.item?.rev ?? undefined) !== prevRev) return false;
    this.item = RosterSchema.parse(structuredClone(r));
    this.writes++;
    return true;
  }
}

function setup(at = '2019-06-05T01:00:00Z') {
  const rosters = new MemRosters();
  const ledger = new FakeOutboxLedger();
  const queue = new FakeOutboxQueue();
  const audit = new FakeAuditLog();
  const clock = new FixedClock(at);
  const key = async () => new TextEncoder().encode('k'.repeat(43));
  const tokens = { ...tokenSigner(key), ...personTokens(key) };
  const deps: RosterDeps = { orgs: { get: async () => school }, tokens, clock, rosters, ledger, queue, audit, siteOrigin: 'https://psy.example', linkTtlDays: 60, newId: ids() };
  return { deps, rosters, ledger, queue, audit, clock, tokens };
}

const mails = (ledger: FakeOutboxLedger) => [...ledger.items.values()].map((e) => ({ key: e.key, ...(e.payload?.channel === 'mail' ? e.payload.mail : {}) })) as { key: string; to: string[]; subject: string; text: string }[];

describe('dates', () => {
  it('the default term runs from today to the next 15 July or 31 January', () => {
    expect(defaultTerm('2019-06-05')).toEqual({ start: '2019-06-05', end: '2019-07-15' });
    expect(defaultTerm('2019-07-15')).toEqual({ start: '2019-07-15', end: '2020-01-31' });
    expect(defaultTerm('2019-09-01')).toEqual({ start: '2019-09-01', end: '2020-01-31' });
    expect(defaultTerm('2020-01-31')).toEqual({ start: '2020-01-31', end: '2020-07-15' });
    expect(defaultTerm('2020-02-01')).toEqual({ start: '2020-02-01', end: '2020-07-15' });
  });
  it('a period ends on Sunday (ISO week) or on the month’s last day', () => {
    expect(periodEndOf('week', '2019-06-05')).toBe('2019-06-09'); // a Wednesday → Sunday
    expect(periodEndOf('week', '2019-06-09')).toBe('2019-06-09'); // Sunday itself
    expect(periodEndOf('month', '2019-02-10')).toBe('2019-02-28');
    expect(periodEndOf('month', '2019-12-31')).toBe('2019-12-31');
  });
});

describe('classes', () => {
  const base = () => newRoster('dh-school', '2019-06-05', '2019-06-05T01:00:00.000Z', 'school:dh-school');

  it('an import adds classes with version 1 and a link each; the same rows again change nothing', () => {
    const c = ctx();
    const first = upsertClasses(base(), [{ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }], c, 'x');
    expect(first.changed).toBe(true);
    const [id, entry] = Object.entries(first.roster.classes)[0] as [string, Roster['classes'][string]];
    expect(id).toMatch(/^c[a-z2-7]{8}$/);
    expect(entry).toEqual({ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org', v: 1, since: '2019-06-05' });
    expect(first.links).toEqual([`h.${id}`]);
    const again = upsertClasses(first.roster, [{ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }], c, 'x');
    expect(again.changed).toBe(false);
    expect(again.links).toEqual([]);
    expect(again.touched).toEqual([`h.${id}`]);
  });

  it('a new head teacher (another address, case aside) bumps the link version; a corrected name does not', () => {
    const c = ctx();
    const r = upsertClasses(base(), [{ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }], c, 'x').roster;
    const id = Object.keys(r.classes)[0] as string;
    const renamed = upsertClasses(r, [{ grade: '七年级', label: '1班', teacher: '王 芳', email: 'Wang@Example.org' }], c, 'x');
    expect(renamed.changed).toBe(true);
    expect(renamed.links).toEqual([]);
    expect(renamed.roster.classes[id]).toMatchObject({ teacher: '王 芳', v: 1 });
    const changed = upsertClasses(r, [{ grade: '七年级', label: '1班', teacher: '李强', email: 'li@example.org' }], c, 'x');
    expect(changed.links).toEqual([`h.${id}`]);
    expect(changed.roster.classes[id]).toMatchObject({ teacher: '李强', email: 'li@example.org', v: 2, since: '2019-06-05' });
    // Editing one class: the same rule; a class's new grade/label may not be another current class's.
    const edited = editClass(changed.roster, { classId: id, grade: '七年级', label: '1班', teacher: '赵敏', email: 'zhao@example.org' }, c);
    expect(edited.roster.classes[id]?.v).toBe(3);
    const two = upsertClasses(edited.roster, [{ grade: '七年级', label: '2班', teacher: '孙丽', email: 'sun@example.org' }], c, 'x').roster;
    expect(() => editClass(two, { classId: id, grade: '七年级', label: '2班', teacher: '赵敏', email: 'zhao@example.org' }, c)).toThrow(expect.objectContaining({ code: 'CLASS_EXISTS', status: 409 }));
  });

  it('removal ends the class today (its link stops); a repeat changes nothing; a re-added class is a new one', () => {
    const c = ctx('2019-06-10');
    const r = upsertClasses(base(), [{ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }], c, 'x').roster;
    const id = Object.keys(r.classes)[0] as string;
    const removed = removeClass(r, id, c);
    expect(removed.roster.classes[id]?.until).toBe('2019-06-10');
    expect(removeClass(removed.roster, id, c).changed).toBe(false);
    expect(() => editClass(removed.roster, { classId: id, grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }, c)).toThrow(expect.objectContaining({ code: 'PERSON_REMOVED' }));
    const back = upsertClasses(removed.roster, [{ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }], c, 'x');
    expect(back.added).toHaveLength(1);
    expect(back.added[0]).not.toBe(id);
  });

  it('at most 200 current classes', () => {
    const c = ctx();
    const rows = (from: number, k: number) => Array.from({ length: k }, (_, i) => ({ grade: '八年级', label: `${from + i}班`, teacher: '王芳', email: 'w@example.org' }));
    const full = upsertClasses(base(), rows(1, 200), c, 'x').roster;
    expect(Object.keys(full.classes)).toHaveLength(200);
    expect(() => upsertClasses(full, rows(201, 1), c, 'x')).toThrow(expect.objectContaining({ code: 'TOO_MANY_CLASSES' }));
    expect(upsertClasses(full, rows(1, 200), c, 'x').changed).toBe(false);
  });
});

describe('cadence and term', () => {
  const r0 = (term = { start: '2019-06-03', end: '2019-07-15' }): Roster => ({ ...newRoster('dh-school', term.start, 'x', 'y'), term, cadence: [{ from: term.start, every: 'week' }] });

  it('while no period has ended, the choice replaces the history from the term’s start', () => {
    const r = r0();
    expect(anyPeriodOver(r, '2019-06-09')).toBe(false); // the first week ends on Sunday 9 June
    const m = setCadence(r, 'month', ctx('2019-06-09'));
    expect(m.roster.cadence).toEqual([{ from: '2019-06-03', every: 'month' }]);
    expect(setCadence(r, 'week', ctx('2019-06-09')).changed).toBe(false);
  });

  it('after a period has ended, the change applies from the first day of next month, and can be withdrawn before it starts', () => {
    const r = r0();
    const c = ctx('2019-06-10');
    expect(anyPeriodOver(r, '2019-06-10')).toBe(true);
    const m = setCadence(r, 'month', c);
    expect(m.roster.cadence).toEqual([
      { from: '2019-06-03', every: 'week' },
      { from: '2019-07-01', every: 'month' },
    ]);
    expect(cadenceLine(m.roster, '2019-06-10')).toBe('本校家校联系周期：每周（周一至周日，北京时间）。自7月1日起改为每月。');
    const back = setCadence(m.roster, 'week', c);
    expect(back.changed).toBe(true);
    expect(back.roster.cadence).toEqual([{ from: '2019-06-03', every: 'week' }]);
  });

  it('a change that would begin after the term ends is refused', () => {
    expect(() => setCadence(r0({ start: '2019-06-03', end: '2019-06-28' }), 'month', ctx('2019-06-20'))).toThrow(expect.objectContaining({ code: 'CADENCE_TOO_LATE' }));
  });

  it('term dates: start ≤ end, at most ~8 months, not over; the next term keeps the cadence in force', () => {
    const r = r0();
    expect(() => setTerm(r, '2019-07-01', '2019-06-01', ctx())).toThrow(expect.objectContaining({ code: 'TERM_INVALID' }));
    expect(() => setTerm(r, '2019-03-01', '2019-12-31', ctx())).toThrow(expect.objectContaining({ code: 'TERM_TOO_LONG' }));
    expect(() => setTerm(r, '2019-02-18', '2019-06-01', ctx('2019-06-05'))).toThrow(expect.objectContaining({ code: 'TERM_OVER' }));
    const monthly = setCadence(r, 'month', ctx('2019-06-10')).roster;
    const next = setTerm(monthly, '2019-09-01', '2020-01-17', ctx('2019-07-20'));
    expect(next.roster.term).toEqual({ start: '2019-09-01', end: '2020-01-17' });
    expect(next.roster.cadence).toEqual([{ from: '2019-09-01', every: 'month' }]);
    const earlier = setTerm(r, '2019-02-18', '2019-07-12', ctx('2019-06-05'));
    expect(earlier.roster.cadence).toEqual([{ from: '2019-02-18', every: 'week' }]);
  });
});

describe('changeRoster (with fakes)', () => {
  const csv = '年级,班级,班主任,邮箱\n七年级,1班,王芳,wang@example.org\n七年级,2班,李强,li@example.org';

  it('the first import stores the roster with the default term and cadence, mails each head teacher once, and records it', async () => {
    const { deps, rosters, ledger, queue, audit } = setup();
    const r = await changeRoster(deps, sessionOf(school), { action: 'import', csv });
    expect(r).toMatchObject({ changed: true, rows: 2 });
    expect(rosters.item).toMatchObject({ rev: 1, term: { start: '2019-06-05', end: '2019-07-15' }, cadence: [{ from: '2019-06-05', every: 'week' }], updatedBy: 'school:dh-school' });
    const sent = mails(ledger);
    expect(sent.map((m) => m.to.join()).sort()).toEqual(['li@example.org', 'wang@example.org']);
    expect(sent.every((m) => /^plink#dh-school#h\.c[a-z2-7]{8}#v1$/.test(m.key))).toBe(true);
    expect(sent[0]?.text).toContain('https://psy.example/c/');
    expect(sent[0]?.text).toContain('本校家校联系周期：每周（周一至周日，北京时间）');
    expect(queue.sent).toHaveLength(2);
    const events = audit.events.filter((e) => e.campaignId === CONTACT_TRAIL);
    expect(events.map((e) => e.action).sort()).toEqual(['person-link.issued', 'person-link.issued', 'roster.changed']);
    const changed = events.find((e) => e.action === 'roster.changed');
    expect(changed).toMatchObject({ id: 'roster-r1', actor: 'school:dh-school', orgId: 'dh-school', after: { classes: 2, staff: 0 } });
    expect(JSON.stringify(events)).not.toContain('@example.org');
    // The same import again: nothing written, nothing mailed, nothing recorded.
    const again = await changeRoster(deps, sessionOf(school), { action: 'import', csv });
    expect(again.changed).toBe(false);
    expect(rosters.writes).toBe(1);
    expect(queue.sent).toHaveLength(2);
    expect(audit.events).toHaveLength(3);
  });

  it('a new head teacher: the version is bumped, the old link stops (by version), the new one is mailed', async () => {
    const { deps, rosters, ledger, tokens } = setup();
    await changeRoster(deps, sessionOf(school), { action: 'import', csv });
    const id = Object.entries(rosters.item?.classes ?? {}).find(([, c]) => c.label === '1班')?.[0] as string;
    const r = await changeRoster(deps, sessionOf(school), { action: 'import', csv: '七年级,1班,赵敏,zhao@example.org' });
    expect(r.mailed).toEqual([`h.${id}`]);
    expect(rosters.item?.classes[id]).toMatchObject({ teacher: '赵敏', v: 2 });
    const mail = mails(ledger).find((m) => m.key === `plink#dh-school#h.${id}#v2`);
    expect(mail?.to).toEqual(['zhao@example.org']);
    const token = /\/c\/([\w.-]+)/.exec(mail?.text ?? '')?.[1] as string;
    expect(await tokens.verifyPerson(token, 'plink')).toEqual({ schoolId: 'dh-school', person: `h.${id}`, version: 2 });
  });

  it('a bad CSV is a 400 with every row, before anything is read or written', async () => {
    const { deps, rosters, queue } = setup();
    await changeRoster(deps, sessionOf(school), { action: 'import', csv });
    const before = JSON.stringify(rosters.item);
    const e = await changeRoster(deps, sessionOf(school), { action: 'import', csv: '七年级,3班,张伟,zhang@example\n七年级,4班,孙丽' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ status: 400, code: 'ROSTER_CSV_INVALID', details: [{ line: 1, kind: 'email' }, { line: 2, kind: 'columns' }] });
    expect((e as AppError).message).toMatch(/第 1 行.*第 2 行/);
    expect(JSON.stringify(rosters.item)).toBe(before);
    expect(queue.sent).toHaveLength(2);
  });

  it('a lost race is retried on the new revision; too many lost races are 409 BUSY with nothing written', async () => {
    const { deps, rosters } = setup();
    rosters.races = 3;
    expect((await changeRoster(deps, sessionOf(school), { action: 'cadence', every: 'month' })).changed).toBe(true);
    expect(rosters.item?.cadence).toEqual([{ from: '2019-06-05', every: 'month' }]);
    rosters.races = 100;
    await expect(changeRoster(deps, sessionOf(school), { action: 'cadence', every: 'week' })).rejects.toMatchObject({ status: 409, code: 'BUSY' });
    expect(rosters.item?.cadence[0]?.every).toBe('month');
  });

  it('a District’s session is refused (403 ONLY_SCHOOL), for writes and for the page', async () => {
    const { deps, rosters } = setup();
    await expect(changeRoster(deps, sessionOf(district), { action: 'import', csv })).rejects.toMatchObject({ status: 403, code: 'ONLY_SCHOOL' });
    await expect(rosterView(deps, sessionOf(district))).rejects.toMatchObject({ status: 403, code: 'ONLY_SCHOOL' });
    expect(rosters.item).toBeUndefined();
  });

  it('staff: at least one role; the same address again is an edit; a resend goes out at most once an hour', async () => {
    const { deps, rosters, ledger, clock } = setup();
    const r = await changeRoster(deps, sessionOf(school), { action: 'staff', name: '周校长', email: 'zhou@example.org', roles: ['principal', 'crisis'] });
    const sid = r.added[0] as string;
    expect(sid).toMatch(/^s[a-z2-7]{8}$/);
    const again = await changeRoster(deps, sessionOf(school), { action: 'staff', name: '周校长', email: 'ZHOU@example.org', roles: ['crisis', 'principal'] });
    expect(again.changed).toBe(true); // the address's spelling, no new link
    expect(again.mailed).toEqual([]);
    expect(rosters.item?.staff[sid]).toMatchObject({ v: 1, roles: ['crisis', 'principal'] });
    expect(await resendLink(deps, sessionOf(school), `s.${sid}`)).toEqual({ person: `s.${sid}`, mailed: true });
    expect(await resendLink(deps, sessionOf(school), `s.${sid}`)).toEqual({ person: `s.${sid}`, mailed: false });
    clock.set('2019-06-05T02:00:00Z');
    expect((await resendLink(deps, sessionOf(school), `s.${sid}`)).mailed).toBe(true);
    expect(mails(ledger).map((m) => m.key).sort()).toEqual([`plink#dh-school#s.${sid}#v1`, `plink#dh-school#s.${sid}#v1#r2019060509`, `plink#dh-school#s.${sid}#v1#r2019060510`]);
    await changeRoster(deps, sessionOf(school), { action: 'remove-staff', staffId: sid });
    await expect(resendLink(deps, sessionOf(school), `s.${sid}`)).rejects.toMatchObject({ code: 'PERSON_REMOVED' });
  });
});

describe('the page', () => {
  it('shows the cadence line, the classes with their link versions, and escapes what a school typed', async () => {
    const { deps } = setup();
    await changeRoster(deps, sessionOf(school), { action: 'import', csv: '七年级,1班,<script>alert(1)</script>,wang@example.org' });
    const html = rosterPage(await rosterView(deps, sessionOf(school)), { error: 'ROSTER_CSV_INVALID', rows: '3:email,5:duplicate' });
    expect(html).toContain('本校家校联系周期：每周（周一至周日，北京时间）');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('专属链接第 1 版');
    expect(html).toContain('data-row="3" data-issue="email"');
    expect(html).toContain('第 5 行：与前面的行重复');
  });

  it('before the first write: the defaults, not stored', async () => {
    const { deps, rosters } = setup();
    const v = await rosterView(deps, sessionOf(school));
    expect(v).toMatchObject({ stored: false, cadenceNow: 'week', roster: { term: { start: '2019-06-05', end: '2019-07-15' } } });
    expect(rosterPage(v)).toContain('默认：从今天到 7 月 15 日或 1 月 31 日');
    expect(rosters.item).toBeUndefined();
  });
});
