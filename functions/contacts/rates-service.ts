import { DIRECT_ROUTE_KEY, districtRouteKey, type Org } from '../../schemas/orgs.js';
import type { OrgReader } from '../orgs/store.js';
import { forbidden, notFound } from '../shared/errors.js';
import { monthRates, periodsOfMonth, schoolMatrix, type MonthRates, type SchoolMatrix } from './completeness.js';
import { beijingDay, periodsBetween } from './periods.js';
import type { RosterReader, SummaryStore } from './store.js';

/**
 * Completeness without content: a school's class × period matrix, and a month's per-school rates for a District
 * (or the Direct schools). It reads the roster and the period summaries only — one roster and the month's few
 * summary items per school, by key (BatchGetItem) — never a log: this function has no access to the log table.
 */

export interface RatesDeps {
  orgs: OrgReader;
  rosters: RosterReader;
  summaries: Pick<SummaryStore, 'getMany'>;
  now: () => Date;
}

/** Who is asking: a school (its administrator or its staff), a District office, or the city (Bureau, Centre). */
export type Viewer = { kind: 'school'; school: Org } | { kind: 'district'; district: Org } | { kind: 'city'; org: Org };

/** A school's matrix over its term so far (periods up to today). */
export async function schoolCompleteness(deps: RatesDeps, school: Org): Promise<{ school: Org; matrix?: SchoolMatrix; term?: { start: string; end: string } }> {
  const roster = await deps.rosters.get(school.id);
  if (!roster) return { school };
  const now = deps.now();
  const today = beijingDay(now);
  const to = today < roster.term.end ? today : roster.term.end;
  const periods = today < roster.term.start ? [] : periodsBetween(roster.cadence, roster.term, roster.term.start, to);
  const summaries = await deps.summaries.getMany(periods.map((p) => ({ schoolId: school.id, period: p.id })));
  return { school, matrix: schoolMatrix(roster, summaries, periods, now), term: roster.term };
}

/** The month's rates of a group of schools (a District's, or the Direct schools): their rosters, then the month's summaries. */
export async function groupRates(deps: RatesDeps, routeKey: string, month: string): Promise<{ schools: Org[]; rates: MonthRates; reads: { rosters: number; summaries: number } }> {
  const schools = (await deps.orgs.list(routeKey)).filter((o) => o.kind === 'school');
  const rosters = await deps.rosters.getMany(schools.map((s) => s.id));
  const byId = new Map(rosters.map((r) => [r.schoolId, r]));
  const keys = rosters.flatMap((r) => periodsOfMonth(r, month).map((p) => ({ schoolId: r.schoolId, period: p.id })));
  const summaries = await deps.summaries.getMany(keys);
  const bySchool = new Map<string, typeof summaries>();
  for (const s of summaries) bySchool.set(s.schoolId, [...(bySchool.get(s.schoolId) ?? []), s]);
  const rates = monthRates(
    month,
    schools.map((s) => ({ schoolId: s.id, roster: byId.get(s.id), summaries: bySchool.get(s.id) ?? [] })),
    deps.now(),
  );
  return { schools, rates, reads: { rosters: schools.length, summaries: keys.length } };
}

/** Which group a viewer may see: a District its own schools; the city any District or the Direct schools; a school none. */
export async function groupFor(deps: Pick<RatesDeps, 'orgs'>, v: Viewer, district: string | undefined): Promise<{ routeKey: string; name: string }> {
  if (v.kind === 'school') throw forbidden('ONLY_OFFICES', '学校请查看本校的完成情况。');
  if (v.kind === 'district') {
    if (district && district !== v.district.id) throw notFound('DISTRICT_NOT_FOUND', '没有找到这个县区，或您无权查看。');
    return { routeKey: districtRouteKey(v.district.id), name: v.district.name };
  }
  if (!district) throw notFound('DISTRICT_NOT_FOUND', '请选择县区。');
  if (district === 'direct') return { routeKey: DIRECT_ROUTE_KEY, name: '直属学校' };
  const d = await deps.orgs.get(district);
  if (!d || d.kind !== 'district') throw notFound('DISTRICT_NOT_FOUND', '没有找到这个县区，或您无权查看。');
  return { routeKey: districtRouteKey(d.id), name: d.name };
}
