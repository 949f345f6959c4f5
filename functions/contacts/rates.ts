import * as z from 'zod/mini';
import { OrgId } from '../../schemas/orgs.js';
import { matrixSvg, ratesBarsSvg } from '../../web/contacts/matrix.js';
import { cityRatesPage, groupRatesPage, schoolRatesPage } from '../../web/contacts/rates-page.js';
import { orgPeek } from '../orgs/store.js';
import { contactPage as htmlPage, orgError } from './respond.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { csvFile } from '../shared/csv.js';
import { readEnv } from '../shared/env.js';
import { Errors } from '../shared/errors.js';
import { cookie, type HttpEvent, httpRoute, json, query, text } from '../shared/http.js';
import { PERSON_COOKIE, personTokens, SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { beijingDay } from './periods.js';
import { groupFor, groupRates, type RatesDeps, schoolCompleteness, type Viewer } from './rates-service.js';
import { orgSession } from './person.js';
import { authenticatePerson } from './service.js';
import { cityRates, rosterReader, summaryStore } from './store.js';

const env = readEnv();
const ddb = ddbClient();
const clock = clockOf(env);
const key = signingKeySource(env);
const orgTokens = tokenSigner(key);
const deps: RatesDeps & { tokens: ReturnType<typeof personTokens>; clock: typeof clock } = {
  orgs: orgPeek(ddb, env.TABLE_NAME),
  rosters: rosterReader(ddb, env.TABLE_NAME),
  summaries: summaryStore(ddb, env.TABLE_NAME),
  now: () => clock.now(),
  tokens: personTokens(key),
  clock,
};

const Month = z.string().check(z.regex(/^(19|20)\d{2}-(0[1-9]|1[0-2])$/, '月份格式应为 YYYY-MM'));
const RatesQuery = z.strictObject({
  month: z.optional(Month),
  district: z.optional(z.union([OrgId, z.literal('direct')])),
  format: z.optional(z.enum(['svg', 'csv', 'json'])),
});

/** The viewer: a staff member's own link (their school), or an org's session (a school's administrator, a District, the city). */
async function viewerOf(event: HttpEvent): Promise<{ viewer: Viewer; staff: boolean }> {
  const person = cookie(event, PERSON_COOKIE);
  if (person && !cookie(event, SESSION_COOKIE)) {
    const p = await authenticatePerson(deps, person);
    if (p.kind !== 'staff') throw Errors.forbidden();
    return { viewer: { kind: 'school', school: p.school }, staff: true };
  }
  const { org } = await orgSession({ orgs: deps.orgs, tokens: orgTokens }, cookie(event, SESSION_COOKIE));
  const viewer: Viewer = org.kind === 'school' ? { kind: 'school', school: org } : org.kind === 'district' ? { kind: 'district', district: org } : { kind: 'city', org };
  return { viewer, staff: false };
}

/** The last six months up to this one (the page's month links). */
const recentMonths = (today: string) => {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: 6 }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    return d.toISOString().slice(0, 7);
  }).reverse();
};

const city = cityRates(ddb, env.TABLE_NAME);
const SVG_HEADERS = { 'cache-control': 'private, max-age=60', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" };

/**
 * GET /contact-rates — completeness without content: a school's matrix (its administrator, its staff), a month's
 * per-school rates (a District office; the city per District or for the Direct schools), the city's District list.
 * GET /api/contact-rates — the same numbers as JSON, `format=csv`, or `format=svg` (the page's picture).
 */
export const handler = httpRoute(
  async (event) => {
    const api = event.routeKey === 'GET /api/contact-rates';
    const q = query(event, RatesQuery);
    const { viewer, staff } = await viewerOf(event as HttpEvent);
    const today = beijingDay(deps.now());
    const month = q.month ?? today.slice(0, 7);
    if (viewer.kind === 'school') {
      const r = await schoolCompleteness(deps, viewer.school);
      if (q.format === 'svg') {
        if (!r.matrix) throw Errors.forbidden();
        return text(200, matrixSvg(r.matrix, { title: `${viewer.school.name} 家校联系完成情况` }), 'image/svg+xml; charset=utf-8', SVG_HEADERS);
      }
      if (api) return json(200, { school: viewer.school.id, term: r.term, total: r.matrix?.total, perPeriod: r.matrix?.perPeriod.map((p) => ({ period: p.period.id, expected: p.expected, done: p.done, rate: p.rate, over: p.over })) });
      return htmlPage(200, schoolRatesPage({ school: viewer.school.name, matrix: r.matrix, term: r.term, staffLink: staff, rosterLink: !staff }));
    }
    if (viewer.kind === 'city' && !q.district) {
      // The city per District: the roll-up the digest job writes on the 1st, for a month that is over.
      const last = recentMonths(today).at(-2) as string;
      const shown = q.month && q.month <= last ? q.month : last;
      const rows = await city.list(shown);
      if (q.format === 'svg') return text(200, ratesBarsSvg(rows.map((g) => ({ name: g.name, rate: g.expected ? g.done / g.expected : undefined, note: g.schools === g.noRoster ? '未开展' : undefined })), { title: `全市 ${shown} 家校联系完成率` }), 'image/svg+xml; charset=utf-8', SVG_HEADERS);
      if (api) return json(200, { month: shown, groups: rows.map(({ at: _at, ...g }) => ({ ...g, rate: g.expected ? g.done / g.expected : undefined })) });
      const districts = (await deps.orgs.list()).filter((o) => o.kind === 'district').map((d) => ({ id: d.id, name: d.name }));
      return htmlPage(200, cityRatesPage({ districts, month: shown, months: recentMonths(today).slice(0, -1), rows }));
    }
    const group = await groupFor(deps, viewer, q.district);
    const r = await groupRates(deps, group.routeKey, month);
    const names = new Map(r.schools.map((s) => [s.id, s.name]));
    if (q.format === 'svg') {
      const rows = r.rates.schools.map((s) => ({ name: names.get(s.schoolId) ?? s.schoolId, rate: s.rate }));
      return text(200, ratesBarsSvg(rows, { title: `${group.name} ${month} 家校联系完成率` }), 'image/svg+xml; charset=utf-8', SVG_HEADERS);
    }
    if (q.format === 'csv') {
      const rows: (string | number)[][] = [['学校', '学校编号', '月份', '周期数', '应记录班次', '已完成班次', '完成率', '缺记录班级数', '备注']];
      for (const s of r.rates.schools) {
        rows.push([names.get(s.schoolId) ?? s.schoolId, s.schoolId, month, s.periods.length, s.expected, s.done, s.rate === undefined ? '' : `${Math.round(s.rate * 100)}%`, s.missingClasses.length, s.noRoster ? '未导入名册' : '']);
      }
      const t = r.rates.total;
      rows.push(['合计', '', month, '', t.expected, t.done, t.rate === undefined ? '' : `${Math.round(t.rate * 100)}%`, '', t.noRoster ? `${t.noRoster} 所未导入名册` : '']);
      return text(200, csvFile(rows), 'text/csv; charset=utf-8', { 'content-disposition': `attachment; filename="contact-rates-${month}.csv"; filename*=UTF-8''${encodeURIComponent(`${group.name}-家校联系完成率-${month}.csv`)}` });
    }
    if (api || q.format === 'json') {
      // Counts only: the classes missing are counted, not named (a District needs the rate, not a teacher's name).
      return json(200, { group: group.name, month, total: r.rates.total, schools: r.rates.schools.map((s) => ({ school: s.schoolId, name: names.get(s.schoolId), noRoster: s.noRoster, periods: s.periods.map((p) => p.id), expected: s.expected, done: s.done, rate: s.rate, missingClasses: s.missingClasses.length })) });
    }
    return htmlPage(200, groupRatesPage({ group: group.name, month, months: recentMonths(today), rates: r.rates, names, district: q.district, back: viewer.kind === 'city' }));
  },
  { errors: (event) => (event.routeKey === 'GET /api/contact-rates' ? 'json' : 'page'), page: orgError },
);

