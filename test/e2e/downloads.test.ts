/**
 * Receipts and downloads in Debian's Chromium against the real local runtime (test/integration/global-setup.ts):
 * a District school on a phone (WeChat) uploads a real PDF, gets its receipt mail, sees its version
 * list and its route, downloads its own file and cannot reach another school's; the Centre on a
 * desktop filters /status, downloads one version under its Chinese name and the city's zip, and the
 * zip's 清单.csv matches the bytes in it. Screenshots: test-results/e2e/d*.png.
 *
 * The tests run in order and build on each other (the second one needs the first one's upload).
 * Schools used here are not the ones test/e2e/plans.test.ts uses, so either file may run first.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Admin } from '../../local/admin.js';
import type { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import {
  docCard,
  downloadBy,
  e2eBrowser,
  firstLine,
  inbox,
  invitationLink,
  MIME,
  mailFields,
  openPage,
  realDoc,
  type SesMail,
  sha256,
  shot,
  tableRows,
  uploadAndWait,
  visibleText,
  waitForMails,
} from './helpers.js';
import { unzip } from './unzip.js';

const CAMPAIGN = '2019-plans';
const SERVICE = '心理服务体系建设工作实施方案';
const CRISIS = '心理危机管理工作方案';
const NOT_FOUND = '没有找到这个文件，或您没有查看它的权限。';

/** A District school with two contacts (the receipt goes to both), another in the same District, one in another District. */
const SCHOOL_A = 's-donghu-wutong';
const SCHOOL_C = 's-donghu-zhilan';
const SCHOOL_B = 's-xihu-chengxin';

const baseUrl = inject('baseUrl');
const sesUrl = inject('sesUrl');

let b: Awaited<ReturnType<typeof e2eBrowser>>;
let ops: Admin;
let campaign: Campaign;
let orgs: Org[];
let invitations: SesMail[];

const plan = realDoc('plan.pdf');
const planDocx = realDoc('plan.docx');

beforeAll(async () => {
  Object.assign(process.env, inject('runtimeEnv'));
  const [{ admin }, { readEnv }, { signingKeySource }] = await Promise.all([
    import('../../local/admin.js'),
    import('../../functions/shared/env.js'),
    import('../../functions/shared/tokens.js'),
  ]);
  const env = readEnv(process.env);
  ops = admin(env, signingKeySource(env));
  const found = (await ops.listCampaigns()).find((c) => c.id === CAMPAIGN);
  if (!found) throw new Error(`campaign ${CAMPAIGN} is not seeded`);
  campaign = found;
  orgs = await ops.listOrgs();
  invitations = await inbox(sesUrl);
  b = await e2eBrowser();
});

afterAll(async () => {
  await b?.close();
});

const orgById = (id: string) => {
  const o = orgs.find((x) => x.id === id);
  if (!o) throw new Error(`org ${id} is not in the seed`);
  return o;
};
const inAudience = (o: Org) => (campaign.audience === 'all' ? o.kind === 'district' || o.kind === 'school' : campaign.audience.orgIds.includes(o.id));
const docKind = (title: string) => campaign.documents.find((d) => d.title === title)!.kind;

/** A school opens its invitation on a phone (WeChat) and lands on its upload page. */
async function schoolPage(org: Org) {
  const ctx = await b.phone();
  const { page, problems } = await openPage(ctx);
  expect((await page.goto(invitationLink(invitations, org, baseUrl)))?.status()).toBe(200);
  expect(new URL(page.url()).pathname).toBe('/upload');
  return { ctx, page, problems };
}

/** "38 KB" as the page writes a size. */
const kb = (n: number) => `${Math.max(1, Math.round(n / 1024))} KB`;

/** Beijing day of a domain instant: 20190605. */
const beijingDay = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');

describe('receipts and downloads', () => {
  it('a school uploads a real PDF on a phone: receipt mail, version list, route, its own download, no other school’s file', async () => {
    const a = orgById(SCHOOL_A);
    const other = orgById(SCHOOL_B);
    const district = orgById(a.districtId!);
    const centre = orgById(campaign.receiverId);
    expect(other.districtId, 'the other school is in another District').not.toBe(a.districtId);
    expect(a.contacts.length, 'the seed gives this school two contacts').toBe(2);

    // Another school (another District) hands in the same document first: a file that exists.
    const o = await schoolPage(other);
    await uploadAndWait(o.page, CRISIS, { name: `${other.name}${CRISIS}.docx`, mimeType: MIME.docx, buffer: planDocx });
    expect(await o.page.locator(`section.doc[data-doc="${docKind(CRISIS)}"] tr[data-version="1"]`).count()).toBe(1);
    expect(o.problems).toEqual([]);

    const { ctx, page, problems } = await schoolPage(a);
    await shot(page, 'd01-school-upload-before');

    // The route: its District office collects the plans; whom to call, nearest first.
    const routing = await page.locator('p[data-routing]').innerText();
    expect(routing).toBe(`本校的方案先由${district.name}收齐、审核，再由其统一报送${centre.name}。`);
    const officeContact = district.contacts.find((c) => c.phone) ?? district.contacts[0]!;
    const contactsCard = page.locator('section.card').filter({ has: page.locator('h2', { hasText: '联系方式' }) });
    const contactLines = await contactsCard.locator('p').allInnerTexts();
    expect(contactLines[0]).toContain(district.name);
    expect(contactLines[0]).toContain(officeContact.name);
    expect(contactLines[0]).toContain(officeContact.phone!);
    expect(contactLines[1]).toContain(centre.name);
    expect(contactLines[1]).toContain(campaign.contact.name);
    expect(contactLines[1]).toContain(campaign.contact.phone!);
    expect(await contactsCard.locator(`a[href="tel:${officeContact.phone!.replace(/[^0-9+]/g, '')}"]`).count(), 'the phone number is a tel: link').toBe(1);

    const fileName = `${a.name}${CRISIS}（定稿）.pdf`;
    const domainBefore = ops.clock.now();
    await uploadAndWait(page, CRISIS, { name: fileName, mimeType: MIME.pdf, buffer: plan });
    await shot(page, 'd02-school-upload-after');

    const card = docCard(page, CRISIS);
    const state = await card.locator('.state').innerText();
    expect(state).toContain('已提交');
    expect(state).toContain('按时');
    expect(state).not.toContain('逾期');
    expect(await card.locator('[data-timeliness]').innerText()).toMatch(/^按时提交（6月\d{1,2}日 \d\d:\d\d）$/);
    expect(await docCard(page, SERVICE).locator('.state').innerText()).toContain('未上传');

    // The version list: 第 1 版, its time, the file, its size and its receipt number.
    expect(await card.locator('details').getAttribute('open'), 'the version list is open').not.toBeNull();
    expect(await card.locator('details summary').innerText()).toContain('已提交的版本（1）');
    const rows = card.locator('table.versions tr[data-version]');
    expect(await rows.count()).toBe(1);
    const row = rows.first();
    expect(await row.getAttribute('data-version')).toBe('1');
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    expect(cells[0]).toBe('第 1 版');
    expect(cells[2]).toContain(fileName);
    expect(cells[2]).toContain(kb(plan.byteLength));
    const receiptNo = /回执号 (HJ\S+)/.exec(cells[2] ?? '')?.[1];
    expect(receiptNo, `no receipt number in "${cells[2]}"`).toMatch(new RegExp(`^HJ${beijingDay(domainBefore)}-[0-9A-F]{10}$`));

    // The receipt mail: to the school's contacts, naming what was received.
    const sha = sha256(plan);
    const [mail] = await waitForMails(sesUrl, (m) => m.subject.startsWith('【回执】') && m.subject.endsWith(`- ${a.name}`));
    expect(mail!.subject).toBe(`【回执】${CRISIS}（第 1 版）已收到 - ${a.name}`);
    expect([...mail!.destination.to].map((t) => t.toLowerCase()).sort()).toEqual(a.contacts.map((c) => c.email.toLowerCase()).sort());
    const text = mail!.body.text ?? '';
    const f = mailFields(text);
    expect(f['回执编号'], 'the mail and the page give the same receipt number').toBe(receiptNo);
    expect(f['原文件名']).toBe(fileName);
    expect(f['材料']).toBe(`${CRISIS}（第 1 版）`);
    expect(f['文件大小']).toContain(`（${plan.byteLength.toLocaleString('en-US')} 字节）`);
    expect(f['文件校验码（SHA-256 前 12 位）']).toBe(sha.slice(0, 12));
    // The page's version list gives the day without the year; the mail gives it in full.
    expect(f['收到时间'], 'the mail and the page give the same time').toBe(`2019年${cells[1]}（北京时间）`);
    expect(f['提交状态']).toMatch(/^按时提交（截止时间 2019年6月30日 23:59）$/);
    expect(f['报送路径']).toBe(routing);
    const mailLink = text.split('\n').find((l) => l.startsWith(`${baseUrl}/l/`));
    expect(mailLink, 'the receipt carries the school’s own link').toBeDefined();
    expect(mail!.body.html).toContain(`href="${mailLink}"`);
    // Only this school's receipt went out for this upload; the other school's went to its own contacts.
    const receipts = (await inbox(sesUrl)).filter((m) => m.subject.startsWith('【回执】'));
    for (const m of receipts.filter((x) => x.subject.endsWith(`- ${other.name}`))) {
      expect(m.destination.to.map((t) => t.toLowerCase()).sort()).toEqual(other.contacts.map((c) => c.email.toLowerCase()).sort());
    }

    // The receipt's link opens the school's own page (a fresh phone, as from the mail app).
    const fromMail = await openPage(await b.phone());
    expect((await fromMail.page.goto(mailLink!))?.status()).toBe(200);
    expect(new URL(fromMail.page.url()).pathname).toBe('/upload');
    expect(await fromMail.page.locator('section.card h2').first().innerText()).toBe(a.name);
    expect(await docCard(fromMail.page, CRISIS).locator('tr[data-version="1"]').innerText()).toContain(receiptNo!);

    // 下载: the very bytes uploaded, under a readable Chinese name.
    const expectedName = `${a.name}-${CRISIS}-v1.pdf`;
    expect(a.name.startsWith('东湖区'), 'the school’s name already names its District: no District prefix').toBe(true);
    const dl = await downloadBy(page, () => row.getByRole('link', { name: '下载', exact: true }).tap());
    expect(dl.name).toBe(expectedName);
    expect(sha256(dl.bytes), 'the downloaded bytes are the uploaded ones').toBe(sha);

    // 打开: the same file, shown inline as a PDF, through a 5-minute pre-signed link.
    const openHref = await row.getByRole('link', { name: '打开', exact: true }).getAttribute('href');
    expect(openHref).toBe(`/files/${a.id}/${docKind(CRISIS)}/1?open=1`);
    const hop = await ctx.request.get(`${baseUrl}${openHref}`, { maxRedirects: 0 });
    expect(hop.status()).toBe(302);
    const signed = new URL(hop.headers()['location']!);
    expect(signed.origin, 'the file comes from the bucket, not through the API').not.toBe(baseUrl);
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('300');
    const opened = await ctx.request.get(signed.toString());
    expect(opened.status()).toBe(200);
    expect(opened.headers()['content-type']).toBe('application/pdf');
    expect(opened.headers()['content-disposition']).toMatch(/^inline; /);
    expect(opened.headers()['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(expectedName)}`);
    expect(sha256(await opened.body())).toBe(sha);

    // Another school's file (it exists: the other school has version 1) and a version that does not exist: the same 404.
    let downloads = 0;
    page.on('download', () => downloads++);
    for (const [i, path] of [`/files/${other.id}/${docKind(CRISIS)}/1`, `/files/${a.id}/${docKind(CRISIS)}/2`, `/files/${a.id}/${docKind(SERVICE)}/1`].entries()) {
      const res = await page.goto(`${baseUrl}${path}`);
      await shot(page, `d03-school-file-404-${i + 1}`);
      expect(res?.status(), path).toBe(404);
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);
      const t = await visibleText(page);
      expect(t).toContain(NOT_FOUND);
      expect(t).not.toContain(other.name);
    }
    expect(downloads, 'a 404 started a download').toBe(0);
    expect(problems).toEqual([]);
  });

  // PRODUCT BUG (layout, found by this test; left failing on purpose — see the e2e report):
  // on a 390 px phone the version list's four columns (web/pages.ts `history()`, table.versions) have
  // no width or wrapping rules (web/html.ts CSS: only `th,td{padding:6px 8px}`), so the file-name
  // column takes the width and the others are squeezed to one or two characters: "第 / 1 / 版",
  // "2019年6 / 月5日 / 09:00", and "打开 · 下载" breaks inside 下载 ("打开 · 下 / 载"), a link whose two
  // halves are separate one-glyph tap targets (measured: 第 1 版 on 3 lines, 下载 on 2). Suggested fix: `white-space:nowrap` on the first and last
  // cells of table.versions (and on .badge), or, below ~480 px, one block per version
  // (`table.versions tr,td{display:block}`, thead hidden) with 打开 / 下载 as buttons.
  it('on a phone, each version’s 第 N 版, 打开 and 下载 stay on one line (tap targets not broken apart)', async () => {
    const a = orgById(SCHOOL_A);
    const { page } = await schoolPage(a);
    const row = docCard(page, CRISIS).locator('table.versions tr[data-version="1"]');
    expect(await row.count(), 'needs the first test’s upload').toBe(1);
    await shot(page, 'd04-school-versions-phone');
    /** How many lines the element's text is laid out on. */
    const lines = (l: ReturnType<typeof page.locator>) =>
      l.evaluate((el) => {
        const r = document.createRange();
        r.selectNodeContents(el);
        return new Set(Array.from(r.getClientRects()).filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
      });
    const label = row.locator('td').first();
    expect(await label.innerText()).toBe('第 1 版');
    const open = row.getByRole('link', { name: '打开', exact: true });
    const download = row.getByRole('link', { name: '下载', exact: true });
    const measured = { '第 1 版': await lines(label), 打开: await lines(open), 下载: await lines(download) };
    expect(measured, 'lines each is laid out on, at 390 px').toEqual({ '第 1 版': 1, 打开: 1, 下载: 1 });
    // …and within the screen: nothing to scroll sideways to reach.
    const right = await download.evaluate((el) => el.getBoundingClientRect().right);
    expect(right, 'the 下载 link ends inside the 390 px viewport').toBeLessThanOrEqual(390);
  });

  it('the Centre filters /status, downloads one version under its Chinese name, and the city zip matches its 清单.csv', async () => {
    const a = orgById(SCHOOL_A);
    const c = orgById(SCHOOL_C);
    const district = orgById(a.districtId!);
    expect(c.districtId).toBe(a.districtId);

    // A second school of the same District hands in both documents (one of them a real .docx): complete.
    const s = await schoolPage(c);
    await uploadAndWait(s.page, SERVICE, { name: `${c.name}${SERVICE}.docx`, mimeType: MIME.docx, buffer: planDocx });
    await uploadAndWait(s.page, CRISIS, { name: `${c.name}${CRISIS}.pdf`, mimeType: MIME.pdf, buffer: plan });
    expect(await visibleText(s.page)).toContain('所有材料均已提交');
    expect(s.problems).toEqual([]);

    const centre = orgById(campaign.receiverId);
    const { url } = await ops.issueLink(centre.id, CAMPAIGN);
    const desk = await b.desktop();
    const { page, problems } = await openPage(desk);
    expect((await page.goto(url))?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/status');
    await shot(page, 'd10-centre-status');

    // 合计: the sum of every group's row, and every org that must hand in.
    const totals = await tableRows(page.locator('table#totals'));
    const sum = totals.at(-1)!;
    expect(sum._total).toBe('yes');
    expect(sum['县区 / 类别']).toBe('合计');
    const groups = totals.filter((r) => !r._total);
    for (const col of ['应报单位', '全部报齐', SERVICE, CRISIS, '有逾期', '无联系邮箱']) {
      expect(Number(sum[col]), `合计 of ${col}`).toBe(groups.reduce((n, r) => n + Number(r[col]), 0));
    }
    expect(Number(sum['应报单位'])).toBe(orgs.filter(inAudience).length);

    // Filter by the District.
    await page.locator('select[name=group]').selectOption({ label: district.name });
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).searchParams.get('group')).toBe(routeKeyOf(district));
    await shot(page, 'd11-centre-status-district');
    const inDistrict = await tableRows(page.locator('table#orgs'));
    const expectedIds = orgs.filter((o) => inAudience(o) && (o.id === district.id || o.districtId === district.id)).map((o) => o.id);
    expect(inDistrict.map((r) => r._org).sort()).toEqual([...expectedIds].sort());
    expect(new Set(inDistrict.map((r) => r['所属']))).toEqual(new Set([district.name]));
    expect(await page.locator('main').innerText()).toContain(`符合条件的 ${expectedIds.length} 个单位`);
    const complete = async (orgId: string) =>
      (await page.locator(`tr[data-org="${orgId}"] td[data-doc]`).evaluateAll((tds) => tds.map((td) => td.getAttribute('data-state')))).every((x) => x === 'uploaded');
    expect(await complete(c.id), `${c.name} handed in everything`).toBe(true);
    expect(await complete(a.id), `${a.name} handed in one document of two`).toBe(false);
    const completeIds: string[] = [];
    for (const r of inDistrict) if (await complete(r._org!)) completeIds.push(r._org!);

    // … and by 只看未报齐: the District's incomplete orgs only.
    await page.getByLabel('只看未报齐').check();
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForLoadState('load');
    const q = new URL(page.url()).searchParams;
    expect([q.get('group'), q.get('show')]).toEqual([routeKeyOf(district), 'incomplete']);
    expect(await page.getByLabel('只看未报齐').isChecked(), 'the checkbox stays ticked').toBe(true);
    await shot(page, 'd12-centre-status-district-incomplete');
    const incomplete = await tableRows(page.locator('table#orgs'));
    const ids = incomplete.map((r) => r._org!);
    expect(ids).toContain(a.id);
    expect(ids).not.toContain(c.id);
    expect(ids.sort()).toEqual(expectedIds.filter((id) => !completeIds.includes(id)).sort());
    expect(await page.locator('main').innerText()).toContain(`符合条件的 ${ids.length} 个单位`);
    const aRow = incomplete.find((r) => r._org === a.id)!;
    expect(firstLine(aRow['单位'])).toBe(a.name);
    expect(aRow[SERVICE]).toBe('未上传');
    expect(aRow[CRISIS]).toContain('按时提交');
    expect(aRow[CRISIS]).toContain('共 1 版');

    // One version, from the Centre's page, under its Chinese name.
    const cell = page.locator(`tr[data-org="${a.id}"] td[data-doc="${docKind(CRISIS)}"]`);
    const one = await downloadBy(page, () => cell.getByRole('link', { name: '下载第 1 版' }).click());
    expect(one.name).toBe(`${a.name}-${CRISIS}-v1.pdf`);
    expect(sha256(one.bytes)).toBe(sha256(plan));

    // The zip: a page that refreshes ("正在打包…") until the export-zip function has built it, then the zip.
    const zipRequests: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/files/zip') zipRequests.push(r.status());
    });
    const started = page.waitForEvent('download', { timeout: 90_000 });
    await page.locator('a[data-zip]').click();
    const building = page.locator('[data-building]');
    await building.waitFor({ timeout: 10_000 });
    await shot(page, 'd13-zip-building');
    expect(new URL(page.url()).pathname).toBe('/files/zip');
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('3');
    const heading = await building.locator('h2').innerText();
    const fileCount = Number(/正在打包 (\d+) 个文件…/.exec(heading)?.[1]);
    expect(fileCount, heading).toBeGreaterThanOrEqual(3);
    const zipName = `${campaign.title}-全市.zip`;
    expect(await building.innerText()).toContain(zipName);
    const download = await started;
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe(zipName);
    expect(zipRequests[0], 'the first request shows the building page').toBe(200);
    expect(zipRequests.at(-1), 'the last one redirects to the zip').toBe(302);
    expect(zipRequests.length, 'the page refreshed itself until the zip was ready').toBeGreaterThanOrEqual(2);
    const exportsApi = (await (await desk.request.get(`${baseUrl}/api/exports`)).json()) as { state: string; url?: string; fileName: string; files: number };
    expect(exportsApi).toMatchObject({ state: 'ready', fileName: zipName, files: fileCount });

    const entries = await unzip(readFileSync(await download.path()));
    const manifestEntry = entries.find((e) => e.path === '清单.csv');
    expect(manifestEntry, '清单.csv at the root').toBeDefined();
    const files = entries.filter((e) => e !== manifestEntry);
    expect(files.length, 'the zip holds as many plans as the page said').toBe(fileCount);
    for (const e of entries) expect(e.utf8Name, `${e.path}: name flagged UTF-8`).toBe(true);

    // Paths: 县区/学校/文档.扩展名 (Direct schools under 直属学校/, a District office's own under …（本级）).
    const districts = orgs.filter((o) => o.kind === 'district');
    const titles = campaign.documents.map((d) => d.title);
    for (const e of files) {
      const parts = e.path.split('/');
      expect(parts, e.path).toHaveLength(3);
      const [dir, orgDir, file] = parts as [string, string, string];
      const office = districts.find((d) => d.name === dir);
      expect(office || dir === '直属学校', `${e.path}: first folder is a District or 直属学校`).toBeTruthy();
      const members = orgs.filter((o) => (office ? o.districtId === office.id : o.kind === 'school' && !o.districtId)).map((o) => o.name);
      expect([...members, ...(office ? [`${office.name}（本级）`] : [])], `${e.path}: second folder is an org of ${dir}`).toContain(orgDir);
      expect(file, e.path).toMatch(new RegExp(`^(${titles.join('|')})\\.(pdf|docx|doc)$`));
    }
    const byPath = new Map(files.map((e) => [e.path, e]));
    expect(sha256(byPath.get(`${district.name}/${a.name}/${CRISIS}.pdf`)?.bytes ?? Buffer.alloc(0))).toBe(sha256(plan));
    expect(sha256(byPath.get(`${district.name}/${c.name}/${SERVICE}.docx`)?.bytes ?? Buffer.alloc(0))).toBe(sha256(planDocx));
    expect(sha256(byPath.get(`${district.name}/${c.name}/${CRISIS}.pdf`)?.bytes ?? Buffer.alloc(0))).toBe(sha256(plan));
    expect(byPath.has(`${district.name}/${a.name}/${SERVICE}.pdf`), 'nothing for a document not handed in').toBe(false);

    // 清单.csv (UTF-8 with BOM): one row per plan, whose SHA-256 and size are those of its entry's bytes.
    const csv = manifestEntry!.bytes.toString('utf8');
    expect(csv.charCodeAt(0), '清单.csv starts with a BOM (Excel)').toBe(0xfeff);
    const rows = parse(csv, { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
    expect(rows.length).toBe(files.length);
    const matched = new Set<string>();
    for (const r of rows) {
      const ext = /\.([a-z]+)$/i.exec(r['原文件名'] ?? '')?.[1]?.toLowerCase();
      const candidates = [`${r['所属县区']}/${r['单位']}/${r['材料']}.${ext}`, `${r['所属县区']}/${r['单位']}（本级）/${r['材料']}.${ext}`];
      const hits = candidates.filter((p) => byPath.has(p));
      expect(hits, `清单 row ${JSON.stringify(r)}: one zip entry`).toHaveLength(1);
      const e = byPath.get(hits[0]!)!;
      expect(r['SHA-256'], `${e.path}: SHA-256 in 清单.csv`).toBe(sha256(e.bytes));
      expect(Number(r['大小(字节)']), `${e.path}: size in 清单.csv`).toBe(e.bytes.length);
      matched.add(e.path);
    }
    expect(matched.size, 'every plan in the zip has its row').toBe(files.length);
    const aRowCsv = rows.find((r) => r['单位'] === a.name && r['材料'] === CRISIS)!;
    expect(aRowCsv).toMatchObject({ 所属县区: district.name, 版本: '1', 原文件名: `${a.name}${CRISIS}（定稿）.pdf`, 是否按时: '按时' });
    expect(problems).toEqual([]);
  });
});
