/**
 * What each role sees: a school its own row, a District its own row and its schools, the Bureau
 * every org in the audience. Read-only on the seeded orgs; other files add orgs of their own
 * concurrently, so the Bureau's view is checked between a before and an after list.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import { minimalPdf } from '../fixtures/files.js';
import { call, expectHtmlError, importOrgs, openLink, postToS3, requestUpload, seedCampaign, sessionFor, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const inAudience = (o: Org) => o.kind === 'district' || o.kind === 'school';
/** Route keys as the registry computes them (their spelling is not this file's business). */
const groupOf = (o: Pick<Org, 'id' | 'kind' | 'districtId'>) => routeKeyOf(o);
const DIRECT = routeKeyOf({ id: '', kind: 'school' });

let orgs: Org[];
let district: Org;
let districtSchools: Org[];
let school: Org;
let bureau: Org;

beforeAll(async () => {
  orgs = (await rt.ops.listOrgs()).filter((o) => !o.id.startsWith('it-'));
  const districts = orgs.filter((o) => o.kind === 'district');
  expect(districts.length).toBeGreaterThanOrEqual(2);
  district = districts.find((d) => orgs.filter((o) => o.districtId === d.id).length >= 3) as Org;
  expect(district, 'a seeded District with at least 3 schools').toBeDefined();
  districtSchools = orgs.filter((o) => o.districtId === district.id);
  school = districtSchools[0] as Org;
  bureau = orgs.find((o) => o.kind === 'bureau') as Org;
  expect(bureau).toBeDefined();
  // Names a spreadsheet or a browser could take for code.
  await importOrgs(rt, ['it-st-d,集成测试状态县区,district,,,,,', 'it-st-eq,"=HYPERLINK(""http://x"",""点我"")学校",school,it-st-d,,,,', 'it-st-tag,<img src=x onerror=alert(1)>学校,school,it-st-d,,,,']);
});

const ids = (rows: { orgId: string }[]) => rows.map((r) => r.orgId).sort();

describe('status scope', () => {
  it('a school session sees only its own row and its own group', async () => {
    const { cookie } = await sessionFor(rt, school.id);
    const r = await call(rt, '/api/status', { cookie });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(ids(body.rows)).toEqual([school.id]);
    expect(body.totals).toEqual([expect.objectContaining({ group: groupOf(district), name: district.name, orgs: 1 })]);
    expect(body.rows[0].documents.map((d: { document: string }) => d.document)).toEqual(seeded.documents.map((d) => d.kind));
    const plans = (await call(rt, '/api/plans', { cookie })).json();
    expect(ids(plans.rows)).toEqual([school.id]);
  });

  it('a District session sees its own row and its schools only; totals only for its group', async () => {
    const { cookie } = await sessionFor(rt, district.id);
    const r = await call(rt, '/api/status', { cookie });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(ids(body.rows)).toEqual([district.id, ...districtSchools.map((s) => s.id)].sort());
    expect(body.rows[0].orgId).toBe(district.id); // the District office first
    expect(body.totals).toHaveLength(1);
    expect(body.totals[0]).toMatchObject({ group: groupOf(district), name: district.name, orgs: districtSchools.length + 1 });
    // /api/plans stays the District's own row.
    expect(ids((await call(rt, '/api/plans', { cookie })).json().rows)).toEqual([district.id]);

    const page = await call(rt, '/status', { cookie });
    expect(page.status).toBe(200);
    for (const s of districtSchools) expect(page.text).toContain(`data-org="${s.id}"`);
    const stranger = orgs.find((o) => o.kind === 'school' && o.districtId && o.districtId !== district.id) as Org;
    expect(page.text).not.toContain(`data-org="${stranger.id}"`);
    // The District's upload page links to its status page.
    const upload = await call(rt, '/upload', { cookie });
    expect(upload.text).toContain('href="/status"');
  });

  it('the Bureau session sees every org in the audience, totals for every District and the Direct schools', async () => {
    const { url } = await rt.ops.issueLink(bureau.id, seeded.id);
    const opened = await openLink(url);
    expect(opened.status).toBe(302);
    expect(opened.res.headers.get('location')).toBe('/status');
    const cookie = opened.cookie as string;

    const before = (await rt.ops.listOrgs()).filter(inAudience);
    const r = await call(rt, '/api/status', { cookie });
    const after = (await rt.ops.listOrgs()).filter(inAudience);
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    const seen = new Set(ids(body.rows));
    for (const o of before) expect(seen.has(o.id), o.id).toBe(true);
    const allowed = new Set(after.map((o) => o.id));
    for (const id of seen) expect(allowed.has(id), id).toBe(true);
    expect(seen.has(bureau.id)).toBe(false);

    const groups = new Set(body.totals.map((t: { group: string }) => t.group));
    for (const o of before) expect(groups.has(groupOf(o)), groupOf(o)).toBe(true);
    for (const g of groups) expect(after.some((o) => groupOf(o) === g), String(g)).toBe(true);
    expect(groups.has(DIRECT)).toBe(true);
    expect(groups.size).toBe(body.totals.length);
    // Totals add up to the rows; seeded groups have exactly their seeded orgs.
    expect(body.totals.reduce((n: number, t: { orgs: number }) => n + t.orgs, 0)).toBe(body.rows.length);
    for (const d of orgs.filter((o) => o.kind === 'district')) {
      const t = body.totals.find((x: { group: string }) => x.group === groupOf(d));
      expect(t, d.id).toMatchObject({ name: d.name, orgs: orgs.filter((o) => o.districtId === d.id).length + 1 });
    }
    const direct = body.totals.find((t: { group: string }) => t.group === DIRECT);
    expect(direct.name).toMatch(/直属/);

    const page = await call(rt, '/status', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain(seeded.title);
    for (const d of orgs.filter((o) => o.kind === 'district')) expect(page.text).toContain(`data-group="${groupOf(d)}"`);
    // The Bureau has nothing to upload: /upload sends it to /status.
    const upload = await call(rt, '/upload', { cookie });
    expect(upload.status).toBe(302);
    expect(upload.headers.get('location')).toBe('/status');
  });

  it('GET /status for a school session is a 403 page in Chinese', async () => {
    const { cookie } = await sessionFor(rt, school.id);
    const r = await call(rt, '/status', { cookie });
    expectHtmlError(r, 403, '没有权限');
    expect(r.text).not.toContain(`data-org=`);
  });

  it('GET /api/status?format=csv is UTF-8 CSV with a BOM, a Chinese header, one line per org and a 合计 line', async () => {
    const { cookie } = await sessionFor(rt, district.id);
    const json = (await call(rt, '/api/status', { cookie })).json();
    const r = await call(rt, '/api/status?format=csv', { cookie });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment;/);
    const raw = new Uint8Array(await (await fetch(`${rt.baseUrl}/api/status?format=csv`, { headers: { cookie } })).arrayBuffer());
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    // (fetch's text() drops the BOM when it decodes)
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(raw);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(json.rows.length + 2);
    const header = lines[0] as string;
    expect(header).toMatch(/^所属县区\/类别,直属类别,机构编号,机构名称,类型,联系人,联系电话,联系邮箱,/);
    for (const d of seeded.documents)
      for (const c of ['状态', '版本数', '首次提交(北京时间)', '是否逾期', '最后上传(北京时间)', '最新文件名', '说明']) expect(header).toContain(`${d.title}-${c}`);
    expect(lines.at(-1)).toMatch(new RegExp(`^合计,,,${json.rows.length} 个单位，报齐 \\d+ 个,`));
    for (const l of lines.slice(1, -1)) expect(l.startsWith(`${district.name},`), l).toBe(true);
    for (const s of districtSchools) expect(lines.some((l) => l.includes(`,${s.id},${s.name},学校,`))).toBe(true);
    expect(lines.filter((l) => l.includes(`,${district.id},`))).toHaveLength(1);

    // A school's CSV: the header, its own line (under its District's name) and the 合计 line.
    const own = await sessionFor(rt, school.id);
    const csv = await call(rt, '/api/status?format=csv', { cookie: own.cookie });
    const ownLines = csv.text.split('\r\n').filter((l) => l !== '');
    expect(ownLines).toHaveLength(3);
    expect(ownLines[1]).toMatch(new RegExp(`^${district.name},,${school.id},`));
  });

  it('names are escaped in the status page and defused in the CSV', async () => {
    const { cookie } = await sessionFor(rt, 'it-st-d');
    const page = await call(rt, '/status', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;学校');
    const csv = await call(rt, '/api/status?format=csv', { cookie });
    const line = csv.text.split('\r\n').find((l) => l.includes('it-st-eq')) as string;
    expect(line).toContain(`"'=HYPERLINK(""http://x"",""点我"")学校"`);
    expect(line).not.toMatch(/,=/);
  });

  it('the status page can show only the orgs that have not handed in every document', async () => {
    // it-st-eq hands in both documents; it-st-tag and the office it-st-d hand in nothing.
    const school = await sessionFor(rt, 'it-st-eq');
    for (const d of seeded.documents) {
      const up = await requestUpload(rt, school.cookie, { document: d.kind, fileName: `${d.title}.pdf`, size: minimalPdf().length });
      expect((await postToS3(up, minimalPdf(), `${d.title}.pdf`)).status).toBe(204);
      expect((await waitValidated(rt, seeded.id, 'it-st-eq', d.kind, up.uploadId)).state).toBe('accepted');
    }
    const { cookie } = await sessionFor(rt, 'it-st-d');
    const all = await call(rt, '/status', { cookie });
    expect(all.status).toBe(200);
    for (const id of ['it-st-d', 'it-st-eq', 'it-st-tag']) expect(all.text).toContain(`data-org="${id}"`);
    expect(all.text).toContain('只看未报齐的单位（2 个）');

    const incomplete = await call(rt, '/status?show=incomplete', { cookie });
    expect(incomplete.status).toBe(200);
    expect(incomplete.text).toContain('data-org="it-st-d"');
    expect(incomplete.text).toContain('data-org="it-st-tag"');
    expect(incomplete.text).not.toContain('data-org="it-st-eq"');
    expect(incomplete.text).toContain('符合条件的 2 个单位');

    expectHtmlError(await call(rt, '/status?show=everything', { cookie }), 400, '取值不在允许范围内');
  });
});
