import { DIRECT_ROUTE_KEY } from '../../schemas/orgs.js';
import { BEIJING_OFFSET_MS, beijingDay, DAY_MS, formatBeijingExcel } from '../shared/clock.js';
import { csvCell } from '../shared/csv.js';

/**
 * The completeness/timeliness dashboard's numbers (pure, no AWS): per District, for the Direct
 * schools and in total, plus the cumulative "handed in everything" curve by Beijing day.
 * The handler gathers the orgs (status items, review states, exemptions, extensions) into
 * DashboardOrg and the Districts' latest bundles into DashboardGroup; web/dashboard/ draws the result.
 */

export type DocReview = 'missing' | 'submitted' | 'accepted' | 'returned';
export interface DashboardOrg {
  orgId: string;
  name: string;
  kind: 'district' | 'school' | 'bureau' | 'centre';
  /** Route key: 'D#<districtId>' for a District's jurisdiction, 'DIRECT' for Direct schools (schemas/orgs.ts routeKeyOf). */
  group: string;
  /** 东湖区教科体局 / 直属学校（局属、省属事业单位办、市管民办） */
  groupName: string;
  exempt?: { reason: string };
  /** The org's effective deadline (ISO UTC; extensions make it differ per org). */
  deadline: string;
  docs: { document: string; title: string; state: DocReview; firstAt?: string; late: boolean }[];
}
/** A District's latest bundle, if any. */
export interface DashboardGroup {
  group: string;
  name: string;
  forwardedAt?: string;
  receivedAt?: string;
}

/**
 * Where an org stands, one value per org (the bars' segments): a returned document comes first (the
 * school must act on the District's comment), then a missing one; with everything handed in and
 * nothing returned, the org is awaiting review until every document is accepted.
 */
export type OrgState = 'exempt' | 'accepted' | 'awaiting' | 'returned' | 'missing';
/**
 * Timeliness, one value per org: late (a document's first version came after the org's deadline),
 * on time (everything handed in, nothing late), overdue (something still missing and the org's
 * deadline has passed), open (something missing, deadline still ahead).
 */
export type OrgTimeliness = 'exempt' | 'onTime' | 'late' | 'overdue' | 'open';

export interface OrgRollup {
  orgId: string;
  name: string;
  kind: DashboardOrg['kind'];
  group: string;
  groupName: string;
  exempt?: { reason: string };
  deadline: string;
  state: OrgState;
  timeliness: OrgTimeliness;
  /** Documents with no version yet, documents returned by the District. */
  missingDocs: number;
  returnedDocs: number;
  /** When the org's last missing document arrived (the latest first version); set once every document has one. */
  completedAt?: string;
  docs: DashboardOrg['docs'];
}

/** Counts of orgs; every count except `audience` and `exempt` is among the expected (non-exempt) orgs. */
export interface DashboardCounts {
  /** Orgs in the audience, exempt ones included. */
  audience: number;
  /** Orgs that must hand in: the audience minus the exempt. */
  expected: number;
  exempt: number;
  /** Every document has a version (accepted, awaiting review or returned). */
  uploaded: number;
  /** Every document accepted. */
  accepted: number;
  /** Everything handed in, some document not yet reviewed, none returned. */
  awaiting: number;
  /** Some document returned (whatever else). */
  returned: number;
  /** Some document has no version (whatever else). */
  missing: number;
  /** Both: some document returned and another missing (counted in `returned` and in `missing`). */
  returnedMissing: number;
  /** Some document's first version came after the org's deadline. */
  late: number;
  /** Everything handed in and nothing late. */
  onTime: number;
  /** Something missing, nothing late yet, the org's deadline passed. */
  overdue: number;
  /** Something missing, nothing late, deadline still ahead. */
  open: number;
  /** uploaded / expected, accepted / expected, onTime / expected: 0 when nothing is expected, never NaN. */
  uploadedRate: number;
  acceptedRate: number;
  onTimeRate: number;
}

export interface GroupRollup extends DashboardCounts {
  group: string;
  name: string;
  /** A District's latest bundle: forwarded to the Centre, received by it. */
  forwardedAt?: string;
  receivedAt?: string;
}

/** The count of expected orgs that had handed in every document by the end of a Beijing day. */
export interface CurvePoint {
  /** "2019-06-30", a Beijing calendar day. */
  day: string;
  count: number;
}

export interface DashboardRollup {
  /** Districts in route-key order, the Direct schools last. */
  groups: GroupRollup[];
  /** Every group summed (group '', name 合计). */
  total: GroupRollup;
  /** Districts among the groups, how many forwarded a bundle, how many of those the Centre received. */
  forwarding: { districts: number; forwarded: number; received: number };
  /** Per org, in the groups' order, then District offices first, then by id (as on the status page). */
  orgs: OrgRollup[];
  /** One point per Beijing day, from the opening day (or the first submission) to max(deadline, now). */
  curve: CurvePoint[];
  expected: number;
  /** The campaign's deadline and the domain time of the roll-up (ISO UTC). */
  deadline: string;
  now: string;
}

/** What web/dashboard/page.ts draws. */
export interface DashboardView {
  /** The campaign's title and notice number. */
  title: string;
  noticeNo: string;
  /** Who is looking: 南昌市教育局 / 东湖区教科体局. */
  viewerName: string;
  /** For a group's view, roll up with `{ group }` so that every number and the curve are that group's. */
  rollup: DashboardRollup;
  /** The route key drilled into (`/dashboard?group=D%23dh`). */
  group?: string;
  /** The current query string (with or without '?'): kept on the CSV link. */
  query?: string;
}

export interface RollupOptions {
  /** The campaign's deadline (the curve's 截止 line; each org's own deadline decides its timeliness). */
  deadline: string;
  /** Domain time. */
  now: Date | string;
  /** The campaign's opening instant: the curve starts on its Beijing day. */
  opensAt?: string;
  /** Only this group (a drill-down): totals and curve are then the group's. */
  group?: string;
}

/** At most this many days in the curve (the latest ones): a wrong opening date cannot draw a decade. */
export const MAX_CURVE_DAYS = 400;

const rate = (n: number, d: number) => (d > 0 && Number.isFinite(n / d) ? n / d : 0);
const time = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));
/** The number of the Beijing day an instant falls on (days since 1970-01-01, Beijing). */
const dayNumber = (t: number) => Math.floor((t + BEIJING_OFFSET_MS) / DAY_MS);
/** "2019-06-30" for a Beijing day number (through clock.ts's beijingDay: one definition of a Beijing day). */
const dayString = (n: number) => {
  const d = beijingDay(new Date(n * DAY_MS - BEIJING_OFFSET_MS));
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
};

const hasVersion = (d: DashboardOrg['docs'][number]) => d.state !== 'missing';

/** One org's state and timeliness at `now`. */
export function orgRollup(o: DashboardOrg, now: Date | string): OrgRollup {
  const missingDocs = o.docs.filter((d) => !hasVersion(d)).length;
  const returnedDocs = o.docs.filter((d) => d.state === 'returned').length;
  const late = o.docs.some((d) => hasVersion(d) && d.late);
  const state: OrgState = o.exempt
    ? 'exempt'
    : returnedDocs
      ? 'returned'
      : missingDocs
        ? 'missing'
        : o.docs.every((d) => d.state === 'accepted')
          ? 'accepted'
          : 'awaiting';
  const deadlinePassed = new Date(now).getTime() > time(o.deadline);
  const timeliness: OrgTimeliness = o.exempt ? 'exempt' : late ? 'late' : !missingDocs ? 'onTime' : deadlinePassed ? 'overdue' : 'open';
  const firsts = o.docs.map((d) => time(d.firstAt));
  const complete = !missingDocs && o.docs.length > 0 && firsts.every(Number.isFinite);
  const completedAt = complete ? new Date(Math.max(...firsts)).toISOString() : undefined;
  return {
    orgId: o.orgId,
    name: o.name,
    kind: o.kind,
    group: o.group,
    groupName: o.groupName,
    ...(o.exempt ? { exempt: o.exempt } : {}),
    deadline: o.deadline,
    state,
    timeliness,
    missingDocs,
    returnedDocs,
    ...(completedAt ? { completedAt } : {}),
    docs: o.docs,
  };
}

const emptyCounts = (): DashboardCounts => ({
  audience: 0,
  expected: 0,
  exempt: 0,
  uploaded: 0,
  accepted: 0,
  awaiting: 0,
  returned: 0,
  missing: 0,
  returnedMissing: 0,
  late: 0,
  onTime: 0,
  overdue: 0,
  open: 0,
  uploadedRate: 0,
  acceptedRate: 0,
  onTimeRate: 0,
});

function add(c: DashboardCounts, r: OrgRollup) {
  c.audience++;
  if (r.exempt) {
    c.exempt++;
    return;
  }
  c.expected++;
  if (!r.missingDocs) c.uploaded++;
  if (r.state === 'accepted') c.accepted++;
  if (r.state === 'awaiting') c.awaiting++;
  if (r.returnedDocs) c.returned++;
  if (r.missingDocs) c.missing++;
  if (r.returnedDocs && r.missingDocs) c.returnedMissing++;
  if (r.timeliness === 'late') c.late++;
  if (r.timeliness === 'onTime') c.onTime++;
  if (r.timeliness === 'overdue') c.overdue++;
  if (r.timeliness === 'open') c.open++;
}

const COUNT_KEYS = Object.keys(emptyCounts()) as (keyof DashboardCounts)[];
/** Adds the counts only (never a group's name, key or bundle times). */
function sum(into: DashboardCounts, c: DashboardCounts) {
  for (const k of COUNT_KEYS) into[k] += c[k];
}

function withRates<T extends DashboardCounts>(c: T): T {
  c.uploadedRate = rate(c.uploaded, c.expected);
  c.acceptedRate = rate(c.accepted, c.expected);
  c.onTimeRate = rate(c.onTime, c.expected);
  return c;
}

/** Districts in route-key order, then other groups, the Direct schools last (as on the status page). */
const groupRank = (g: string) => (g === DIRECT_ROUTE_KEY ? 2 : g.startsWith('D#') ? 0 : 1);
export const byGroup = (a: string, b: string) => groupRank(a) - groupRank(b) || (a < b ? -1 : a > b ? 1 : 0);
/** As on the status page: by group, the District office first, then by id. */
const byOrg = (a: OrgRollup, b: OrgRollup) =>
  byGroup(a.group, b.group) || Number(a.kind !== 'district') - Number(b.kind !== 'district') || (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0);

/** The cumulative curve: per Beijing day, the expected orgs whose last missing document had arrived by its end. */
export function cumulative(orgs: OrgRollup[], opts: Pick<RollupOptions, 'deadline' | 'now' | 'opensAt'>): CurvePoint[] {
  const counted = orgs.filter((o) => !o.exempt);
  const firstSubmission = Math.min(...counted.flatMap((o) => o.docs.map((d) => time(d.firstAt)).filter(Number.isFinite)));
  const nowDay = dayNumber(new Date(opts.now).getTime());
  const deadlineT = time(opts.deadline);
  const deadlineDay = Number.isFinite(deadlineT) ? dayNumber(deadlineT) : nowDay;
  const opens = time(opts.opensAt);
  // From the opening day (or the first submission; with neither, today), never after the deadline's day.
  const from = Number.isFinite(opens) ? dayNumber(opens) : Number.isFinite(firstSubmission) ? dayNumber(firstSubmission) : nowDay;
  const end = Math.max(deadlineDay, nowDay);
  const start = Math.max(Math.min(from, deadlineDay, end), end - MAX_CURVE_DAYS + 1);
  const perDay = new Map<number, number>();
  let before = 0;
  for (const o of counted) {
    if (!o.completedAt) continue;
    const d = dayNumber(Date.parse(o.completedAt));
    if (d < start) before++;
    else perDay.set(d, (perDay.get(d) ?? 0) + 1);
  }
  const points: CurvePoint[] = [];
  let count = before;
  for (let d = start; d <= end; d++) {
    count += perDay.get(d) ?? 0;
    points.push({ day: dayString(d), count });
  }
  return points;
}

/** Rolls the orgs up per group and in total, with the curve. `groups` names the groups and carries the Districts' bundles. */
export function dashboardRollup(orgs: DashboardOrg[], groups: DashboardGroup[], opts: RollupOptions): DashboardRollup {
  const now = new Date(opts.now);
  const mine = opts.group === undefined ? orgs : orgs.filter((o) => o.group === opts.group);
  const bundles = opts.group === undefined ? groups : groups.filter((g) => g.group === opts.group);
  const rows = mine.map((o) => orgRollup(o, now)).sort(byOrg);
  const byKey = new Map<string, GroupRollup>();
  const groupOf = (key: string, name: string) => {
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { group: key, name, ...emptyCounts() }));
    return g;
  };
  for (const b of bundles) {
    const g = groupOf(b.group, b.name);
    g.name = b.name;
    if (b.forwardedAt) g.forwardedAt = b.forwardedAt;
    if (b.receivedAt) g.receivedAt = b.receivedAt;
  }
  for (const r of rows) add(groupOf(r.group, r.groupName), r);
  const list = [...byKey.values()].sort((a, b) => byGroup(a.group, b.group)).map(withRates);
  const total: GroupRollup = { group: '', name: '合计', ...emptyCounts() };
  for (const g of list) sum(total, g);
  withRates(total);
  const districts = list.filter((g) => g.group.startsWith('D#'));
  return {
    groups: list,
    total,
    forwarding: {
      districts: districts.length,
      forwarded: districts.filter((g) => g.forwardedAt).length,
      received: districts.filter((g) => g.forwardedAt && g.receivedAt).length,
    },
    orgs: rows,
    curve: cumulative(rows, opts),
    expected: total.expected,
    deadline: opts.deadline,
    now: now.toISOString(),
  };
}

/** "87.5%" (one decimal). */
export const percent = (r: number) => `${(Number.isFinite(r) ? r * 100 : 0).toFixed(1)}%`;

export const DASHBOARD_CSV_HEAD = [
  '县区/类别',
  '应交单位',
  '免报',
  '已上传',
  '已审核通过',
  '待审核',
  '退回',
  '未交齐',
  '逾期',
  '按时报齐',
  '上传率',
  '审核通过率',
  '按时率',
  '转报时间(北京时间)',
  '中心接收时间(北京时间)',
] as const;

/** Excel-friendly CSV of the roll-up: UTF-8 with BOM, CRLF, one row per group and a 合计 row. */
export function dashboardCsv(r: DashboardRollup): string {
  const row = (g: GroupRollup, forwarded: string, received: string) =>
    [g.name, g.expected, g.exempt, g.uploaded, g.accepted, g.awaiting, g.returned, g.missing, g.late, g.onTime, percent(g.uploadedRate), percent(g.acceptedRate), percent(g.onTimeRate), forwarded, received];
  const lines: (string | number)[][] = [[...DASHBOARD_CSV_HEAD]];
  for (const g of r.groups) {
    const district = g.group.startsWith('D#');
    lines.push(
      row(
        g,
        district ? (g.forwardedAt ? formatBeijingExcel(g.forwardedAt) : '未转报') : g.group === DIRECT_ROUTE_KEY ? '直报中心' : '',
        district ? (g.receivedAt ? formatBeijingExcel(g.receivedAt) : g.forwardedAt ? '未接收' : '') : '',
      ),
    );
  }
  const f = r.forwarding;
  lines.push(row(r.total, f.districts ? `已转报 ${f.forwarded}/${f.districts} 个县区` : '', f.districts ? `已接收 ${f.received}/${f.districts}` : ''));
  return `\uFEFF${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
