/**
 * The contact logs' domain core with in-memory stores that keep the adapters' conditions: who a person is
 * (their link's version against the roster), who may read which class, a log written once however often it is
 * sent, a correction by its author only (versions kept), the period's summary counting a class once, a 紧急
 * alerting the crisis group once with no student detail, acknowledgement once, "no contact needed" with its
 * reason, and the trail recording ids — never content.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { CONTACT_TRAIL } from '../../schemas/audit.js';
import type { ConcernItem, ContactLog, LogContent, PeriodSummary, Roster } from '../../schemas/contacts.js';
import type { Org } from '../../schemas/orgs.js';
import { acknowledge, authenticatePerson, classLogs, type ContactWriteDeps, markNone, openPersonLink, type Person, readLog, writeLog } from '../../functions/contacts/service.js';
import type { NoneRecord } from '../../functions/contacts/store.js';
import { personTokens } from '../../functions/shared/tokens.js';
import { FakeAuditLog, FakeOutboxLedger, FakeOutboxQueue, FixedClock } from './fakes.js';

const SCHOOL: Org = { id: 'dh-school', name: '东湖测试中学', kind: 'school', districtId: 'd-donghu', contacts: [], tokenVersion: 1 };
const [C1, C2] = ['caaaaaaaa', 'cbbbbbbbb'];
const ROSTER: Roster = {
  schoolId: SCHOOL.id,
  rev: 1,
  term: { start: '2019-06-03', end: '2019-07-12' },
  cadence: [{ from: '2019-06-03', every: 'week' }],
  classes: {
    [C1]: { grade: '七年级', label: '1班', teacher: '王老师', email: 't1@example.org', v: 1, since: '2019-06-03' },
    [C2]: { grade: '七年级', label: '2班', teacher: '李老师', email: 't2@example.org', v: 2, since: '2019-06-03' },
  },
  staff: {
    spppppppp: { name: '张校长', email: 'principal@example.org', roles: ['principal'], v: 1 },
    sqqqqqqqq: { name: '赵主任', email: 'crisis@example.org', roles: ['crisis'], v: 1 },
    srrrrrrrr: { name: '刘老师', email: 'psych@example.org', roles: ['psych'], v: 1 },
  },
  updatedAt: '2019-06-01T00:00:00.000Z',
  updatedBy: 'school:dh-school',
};

function stores() {
  const logs = new Map<string, ContactLog>();
  const nones = new Map<string, NoneRecord>();
  const sums = new Map<string, { logged: Set<string>; none: Set<string> }>();
  const concerns = new Map<string, ConcernItem>();
  const key = (l: Pick<ContactLog, 'classId' | 'logId'>) => `${l.classId}#${l.logId}`;
  return {
    logs: {
      map: logs,
      async get(_s: string, c: string, l: string) {
        const v = logs.get(`${c}#${l}`);
        return v && structuredClone(v);
      },
      async list(_s: string, c?: string) {
        return [...logs.values()].filter((l) => !c || l.classId === c).map((l) => structuredClone(l));
      },
      async listNone(_s: string, c?: string) {
        return [...nones.values()].filter((n) => !c || n.classId === c);
      },
      async create(l: ContactLog) {
        if (logs.has(key(l))) return false;
        logs.set(key(l), structuredClone(l));
        return true;
      },
      async update(l: ContactLog, prev: number) {
        if (logs.get(key(l))?.versions.length !== prev) return false;
        logs.set(key(l), structuredClone(l));
        return true;
      },
      async putNone(r: NoneRecord) {
        const k = `${r.classId}#${r.period}`;
        if (nones.has(k)) return false;
        nones.set(k, r);
        return true;
      },
    },
    summaries: {
      map: sums,
      async mark(_s: string, p: string, c: string, as: 'logged' | 'none') {
        const v = sums.get(p) ?? { logged: new Set<string>(), none: new Set<string>() };
        v[as].add(c);
        sums.set(p, v);
      },
      async unmark(_s: string, p: string, c: string, as: 'logged' | 'none') {
        sums.get(p)?.[as].delete(c);
      },
      async getMany(keys: { schoolId: string; period: string }[]): Promise<PeriodSummary[]> {
        return keys.flatMap((k) => {
          const v = sums.get(k.period);
          return v ? [{ schoolId: k.schoolId, period: k.period, logged: [...v.logged], none: [...v.none] }] : [];
        });
      },
    },
    concerns: {
      map: concerns,
      async raise(c: Pick<ConcernItem, 'schoolId' | 'classId' | 'logId' | 'level' | 'raisedAt'>) {
        const cur = concerns.get(c.logId);
        if (cur && (c.level === '关注' || cur.level === c.level)) return { raised: false, item: structuredClone(cur) };
        const item: ConcernItem = { ...c };
        concerns.set(c.logId, item);
        return { raised: true, item: structuredClone(item) };
      },
      async ack(_s: string, logId: string, by: string, byName: string, at: string) {
        const cur = concerns.get(logId);
        if (!cur) return { acked: false };
        if (cur.ackAt) return { acked: false, item: structuredClone(cur) };
        Object.assign(cur, { ackAt: at, ackBy: by, ackByName: byName });
        return { acked: true, item: structuredClone(cur) };
      },
      async get(_s: string, logId: string) {
        const v = concerns.get(logId);
        return v && structuredClone(v);
      },
      async list() {
        return [...concerns.values()];
      },
    },
  };
}

const key = async () => new TextEncoder().encode('k'.repeat(43));
let clock: FixedClock;
let s: ReturnType<typeof stores>;
let audit: FakeAuditLog;
let ledger: FakeOutboxLedger;
let queue: FakeOutboxQueue;
let deps: ContactWriteDeps;
let roster: Roster;

beforeEach(() => {
  clock = new FixedClock('2019-06-05T02:00:00.000Z');
  s = stores();
  audit = new FakeAuditLog();
  ledger = new FakeOutboxLedger();
  queue = new FakeOutboxQueue();
  roster = structuredClone(ROSTER);
  deps = {
    rosters: { get: async () => structuredClone(roster) },
    orgs: { get: async (id) => (id === SCHOOL.id ? SCHOOL : undefined) },
    tokens: personTokens(key),
    clock,
    audit,
    logs: s.logs,
    summaries: s.summaries,
    concerns: s.concerns,
    ledger,
    queue,
    siteOrigin: 'https://psy.example',
    retentionDays: 1095,
  };
});

const readDeps = () => ({ ...deps, concerns: s.concerns, summaries: s.summaries });
const as = async (person: string, version = 1): Promise<Person> => {
  const session = await openPersonLink(deps, await deps.tokens.personLink({ schoolId: SCHOOL.id, person, version }, 30));
  return authenticatePerson(deps, session);
};
const content = (over: Partial<LogContent> = {}): LogContent => ({ date: '2019-06-05', method: '电话', contacted: '母亲', students: '12号', topics: ['学习'], summary: '作业拖拉。', concern: '无', ...over });

describe('who a person is', () => {
  it('a head teacher is their class; a link of another version is revoked; an unknown class is invalid', async () => {
    const p = await as(`h.${C1}`);
    expect(p).toMatchObject({ kind: 'head', classId: C1, name: '王老师' });
    await expect(as(`h.${C2}`, 1)).rejects.toMatchObject({ code: 'LINK_REVOKED' });
    await expect(as('h.czzzzzzzz')).rejects.toMatchObject({ code: 'LINK_INVALID' });
  });

  it('a removed class’s link stops on its last day', async () => {
    roster.classes[C1] = { ...(roster.classes[C1] as Roster['classes'][string]), until: '2019-06-05' };
    await expect(as(`h.${C1}`)).rejects.toMatchObject({ code: 'LINK_REVOKED' });
  });

  it('a person’s link is not a session (nor, by its type, any org token)', async () => {
    await expect(authenticatePerson(deps, await deps.tokens.personLink({ schoolId: SCHOOL.id, person: `h.${C1}`, version: 1 }, 1))).rejects.toMatchObject({ code: 'NO_SESSION' });
  });
});

describe('writing a log', () => {
  it('once per form, counted once in its period, recorded without content', async () => {
    const p = await as(`h.${C1}`);
    const a = await writeLog(deps, p, { action: 'log', newId: 'aaaaaaaaaaaa', content: content() });
    const b = await writeLog(deps, p, { action: 'log', newId: 'aaaaaaaaaaaa', content: content() });
    expect([a.changed, b.changed]).toEqual([true, false]);
    expect(s.logs.map.size).toBe(1);
    expect(a.log.period).toBe('2019-W23');
    expect([...(s.summaries.map.get('2019-W23')?.logged ?? [])]).toEqual([C1]);
    const trail = await audit.listOrg(CONTACT_TRAIL, SCHOOL.id);
    expect(trail.map((e) => e.action)).toEqual(['contact.logged']);
    expect(JSON.stringify(trail)).not.toMatch(/作业|12号|母亲/);
    // Kept for the retention period after the contact day.
    expect(a.log.ttl).toBe(Math.floor(Date.parse('2019-06-05T00:00:00+08:00') / 1000) + 1095 * 86400);
  });

  it('refuses a future day, a day outside the term, and anyone but a head teacher', async () => {
    const p = await as(`h.${C1}`);
    await expect(writeLog(deps, p, { action: 'log', content: content({ date: '2019-06-06' }) })).rejects.toMatchObject({ code: 'DATE_IN_FUTURE', status: 400 });
    await expect(writeLog(deps, p, { action: 'log', content: content({ date: '2019-05-31' }) })).rejects.toMatchObject({ code: 'OUTSIDE_TERM' });
    await expect(writeLog(deps, await as('s.sqqqqqqqq'), { action: 'log', content: content() })).rejects.toMatchObject({ code: 'ONLY_HEAD_TEACHER', status: 403 });
    expect(s.logs.map.size).toBe(0);
    expect(s.summaries.map.size).toBe(0);
  });

  it('a correction by its author keeps every version; moving it to another week moves the count', async () => {
    const p = await as(`h.${C1}`);
    const { log } = await writeLog(deps, p, { action: 'log', content: content() });
    const r = await writeLog(deps, p, { action: 'log', logId: log.logId, content: content({ date: '2019-06-03', summary: '更正。' }) });
    expect(r.log.versions.map((v) => v.summary)).toEqual(['作业拖拉。', '更正。']);
    clock.set('2019-06-11T02:00:00.000Z');
    const moved = await writeLog(deps, await as(`h.${C1}`), { action: 'log', logId: log.logId, content: content({ date: '2019-06-10' }) });
    expect(moved.log.period).toBe('2019-W24');
    expect([...(s.summaries.map.get('2019-W23')?.logged ?? [])]).toEqual([]);
    expect([...(s.summaries.map.get('2019-W24')?.logged ?? [])]).toEqual([C1]);
    // The same content again changes nothing.
    expect((await writeLog(deps, await as(`h.${C1}`), { action: 'log', logId: log.logId, content: content({ date: '2019-06-10' }) })).changed).toBe(false);
  });

  it('a later head teacher of the class is not the author', async () => {
    const { log } = await writeLog(deps, await as(`h.${C1}`), { action: 'log', content: content() });
    roster.classes[C1] = { ...(roster.classes[C1] as Roster['classes'][string]), teacher: '新老师', email: 'new@example.org', v: 2 };
    await expect(writeLog(deps, await as(`h.${C1}`, 2), { action: 'log', logId: log.logId, content: content({ summary: '改' }) })).rejects.toMatchObject({ code: 'NOT_THE_AUTHOR' });
  });
});

describe('concerns', () => {
  it('a 紧急 alerts the crisis group and the principal once, with no student detail; 关注 does not mail', async () => {
    const p = await as(`h.${C1}`);
    await writeLog(deps, p, { action: 'log', content: content({ concern: '关注' }) });
    expect(queue.sent).toHaveLength(0);
    const r = await writeLog(deps, p, { action: 'log', newId: 'bbbbbbbbbbbb', content: content({ concern: '紧急', summary: '说不想活了', students: '7号' }) });
    expect(r.alerted).toBe(true);
    await writeLog(deps, p, { action: 'log', newId: 'bbbbbbbbbbbb', content: content({ concern: '紧急', summary: '说不想活了', students: '7号' }) });
    const entries = [...ledger.items.values()];
    expect(entries).toHaveLength(1);
    const mail = entries[0]?.payload?.channel === 'mail' ? entries[0].payload.mail : undefined;
    expect(mail?.to.sort()).toEqual(['crisis@example.org', 'principal@example.org']);
    expect(`${mail?.subject}${mail?.text}${mail?.html}`).not.toMatch(/不想活|7号|母亲|作业/);
    expect(mail?.text).toContain(`/contacts/logs/${C1}/bbbbbbbbbbbb`);
  });

  it('staff acknowledge once (the first is kept); a head teacher may not', async () => {
    const p = await as(`h.${C1}`);
    const { log } = await writeLog(deps, p, { action: 'log', content: content({ concern: '紧急' }) });
    await expect(acknowledge(deps, p, { action: 'ack', logId: log.logId })).rejects.toMatchObject({ code: 'ONLY_STAFF' });
    const first = await acknowledge(deps, await as('s.sqqqqqqqq'), { action: 'ack', logId: log.logId });
    const second = await acknowledge(deps, await as('s.srrrrrrrr'), { action: 'ack', logId: log.logId });
    expect([first.changed, second.changed]).toEqual([true, false]);
    expect(second.concern.ackByName).toBe('赵主任');
  });
});

describe('reading', () => {
  it('the class’s head teacher and the school’s staff read; another class’s head teacher gets 404, recorded', async () => {
    const { log } = await writeLog(deps, await as(`h.${C1}`), { action: 'log', content: content() });
    expect((await readLog(readDeps(), await as('s.srrrrrrrr'), C1, log.logId)).log.logId).toBe(log.logId);
    await expect(readLog(readDeps(), await as(`h.${C2}`, 2), C1, log.logId)).rejects.toMatchObject({ code: 'LOG_NOT_FOUND', status: 404 });
    await expect(classLogs(readDeps(), await as(`h.${C2}`, 2), C1)).rejects.toMatchObject({ status: 404 });
    const trail = await audit.listOrg(CONTACT_TRAIL, SCHOOL.id);
    expect(trail.filter((e) => e.action === 'contact.denied').map((e) => e.actor)).toEqual([`person:${SCHOOL.id}/h.${C2}`, `person:${SCHOOL.id}/h.${C2}`]);
    expect(trail.filter((e) => e.action === 'contact.read')).toHaveLength(1);
  });
});

describe('no contact needed', () => {
  it('needs a started period of the schedule; recorded once with its reason; counts as done', async () => {
    const p = await as(`h.${C2}`, 2);
    await expect(markNone(deps, p, { action: 'none', period: '2019-W30', reason: '放假' })).rejects.toMatchObject({ code: 'UNKNOWN_PERIOD' });
    await expect(markNone(deps, p, { action: 'none', period: '2019-W25', reason: '放假' })).rejects.toMatchObject({ code: 'PERIOD_NOT_STARTED' });
    expect((await markNone(deps, p, { action: 'none', period: '2019-W23', reason: '考试周' })).changed).toBe(true);
    expect((await markNone(deps, p, { action: 'none', period: '2019-W23', reason: '考试周' })).changed).toBe(false);
    expect([...(s.summaries.map.get('2019-W23')?.none ?? [])]).toEqual([C2]);
  });
});
