/**
 * Plan submission driven in Debian's Chromium against the real local runtime (global-setup.ts):
 * a District school opens its invitation on a phone and uploads both plans, the Bureau sees them
 * on its status page; a renamed executable and a .txt are refused; tampered links and a school
 * on /status get the Chinese error pages. Screenshots of every page: test-results/e2e/*.png.
 */
import type { Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Admin } from '../../local/admin.js';
import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { minimalPdf, peExecutable } from '../fixtures/files.js';
import { docCard, e2eBrowser, firstLine, inbox, invitationLink as invitationIn, openPage, type SesMail, shot, tableRows, uploadAndWait, visibleText } from './helpers.js';

const CAMPAIGN = '2019-plans';
const DEADLINE = '2019年6月30日 23:59（北京时间）';
const TITLES = ['心理服务体系建设工作实施方案', '心理危机管理工作方案'] as const;
const CONTACT = '魏洪';

const baseUrl = inject('baseUrl');
const sesUrl = inject('sesUrl');

let b: Awaited<ReturnType<typeof e2eBrowser>>;
let ops: Admin;
let campaign: Campaign;
let orgs: Org[];
let mails: SesMail[];

beforeAll(async () => {
  // The admin module talks to the same emulators as the runtime: give this worker its environment.
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
  mails = await inbox(sesUrl);
  b = await e2eBrowser();
});

afterAll(async () => {
  await b?.close();
});

// ---- helpers (the shared ones are in helpers.ts) ---------------------------------------------

const phone = () => b.phone();
const desktop = () => b.desktop();

const inAudience = (o: Org) => (campaign.audience === 'all' ? o.kind === 'district' || o.kind === 'school' : campaign.audience.orgIds.includes(o.id));

/** District schools that must submit and have a contact (so they got an invitation). */
function districtSchools(): Org[] {
  return orgs.filter((o) => o.kind === 'school' && o.districtId && o.contacts.length > 0 && inAudience(o));
}

const orgById = (id: string) => {
  const o = orgs.find((x) => x.id === id);
  if (!o) throw new Error(`org ${id} not found`);
  return o;
};

/** The invitation mail an org received from this runtime, and the link in its button. */
const invitationLink = (org: Org) => invitationIn(mails, org, baseUrl);

// ---- tests -----------------------------------------------------------------------------------

describe('plan submission in the browser', () => {
  it('a District school opens its invitation on a phone and uploads both plans; the Bureau sees them', async () => {
    const school = districtSchools()[0];
    expect(school, 'the seed has no District school with a contact').toBeDefined();
    const district = orgById(school!.districtId!);
    const link = invitationLink(school!);
    const token = link.slice(link.lastIndexOf('/') + 1);

    // The Bureau, on a desktop browser, before the school uploads anything.
    const bureau = orgs.find((o) => o.kind === 'bureau');
    expect(bureau, 'the seed has no Bureau').toBeDefined();
    const { url: bureauLink } = await ops.issueLink(bureau!.id, CAMPAIGN);
    const desk = await desktop();
    const { page: bp, problems: bureauProblems } = await openPage(desk);
    expect((await bp.goto(bureauLink))?.status()).toBe(200);
    expect(new URL(bp.url()).pathname).toBe('/status');
    await shot(bp, '00-bureau-status-before');
    const rowBefore = (await tableRows(bp.locator('table#orgs'))).find((r) => r._org === school!.id);
    expect(rowBefore, `${school!.name} is not listed on /status`).toBeDefined();
    expect(firstLine(rowBefore!['单位'])).toBe(school!.name);
    for (const title of TITLES) expect(rowBefore![title]).toBe('未上传');
    const totalsBefore = (await tableRows(bp.locator('table#totals'))).find((r) => r['县区 / 类别'] === district.name);
    expect(totalsBefore, `no totals row for ${district.name}`).toBeDefined();

    const ctx = await phone();
    const { page, problems } = await openPage(ctx);
    const landed = await page.goto(link);
    expect(landed?.status()).toBe(200);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/upload');
    expect(page.url()).not.toContain(token);
    await shot(page, '01-school-upload-before');

    const text = await visibleText(page);
    expect(text).toContain(school!.name);
    expect(text).toContain(DEADLINE);
    expect(text).toContain(CONTACT);
    for (const title of TITLES) {
      const card = docCard(page, title);
      expect(await card.count(), `one card for ${title}`).toBe(1);
      expect(await card.isVisible()).toBe(true);
      expect(await card.locator('.state').innerText()).toContain('未上传');
    }

    for (const [i, title] of TITLES.entries()) {
      const fileName = `南昌市某小学${title}.pdf`;
      await uploadAndWait(page, title, { name: fileName, mimeType: 'application/pdf', buffer: Buffer.from(minimalPdf(`Nanchang school plan ${i + 1}`)) });
      await shot(page, `0${i + 2}-school-upload-after-${i + 1}`);
      // Page text changed on purpose: 已上传 → 已提交 (+ 按时), the file name moved to the version list.
      const state = await docCard(page, title).locator('.state').innerText();
      expect(state).toContain('已提交');
      expect(state).toContain('按时');
      expect(state).not.toContain('逾期');
      const versions = docCard(page, title).locator('table.versions tr[data-version]');
      expect(await versions.count()).toBe(1);
      const v1 = await versions.first().innerText();
      expect(v1).toContain('第 1 版');
      expect(v1).toContain(fileName);
      expect(v1).not.toContain('逾期');
    }
    for (const title of TITLES) expect(await docCard(page, title).locator('.state').innerText()).toContain('已提交');
    expect(await visibleText(page)).toContain('所有材料均已提交');
    expect(await page.locator('.err').count(), 'an error box is shown').toBe(0);
    expect(problems).toEqual([]);

    // The Bureau's page again: the school's row and its District's totals now count it.
    expect((await bp.reload())?.status()).toBe(200);
    await shot(bp, '04-bureau-status-after');

    const detail = await tableRows(bp.locator('table#orgs'));
    const row = detail.find((r) => r._org === school!.id);
    expect(row, `${school!.name} is not listed on /status`).toBeDefined();
    expect(row!['所属']).toBe(district.name);
    for (const title of TITLES) {
      // Page text changed on purpose: 已上传 → 按时提交 / 逾期提交, "共 N 版".
      expect(row![title]).toContain('按时提交');
      expect(row![title]).toContain('共 1 版');
      expect(row![title]).toContain('下载第 1 版');
    }

    const totals = await tableRows(bp.locator('table#totals'));
    const t = totals.find((r) => r['县区 / 类别'] === district.name);
    expect(t, `no totals row for ${district.name}`).toBeDefined();
    const expectedOrgs = orgs.filter((o) => inAudience(o) && (o.id === district.id || o.districtId === district.id)).length;
    const plus1 = (k: string) => String(Number(totalsBefore![k]) + 1);
    expect(t).toMatchObject({
      应报单位: String(expectedOrgs),
      全部报齐: plus1('全部报齐'),
      [TITLES[0]]: plus1(TITLES[0]),
      [TITLES[1]]: plus1(TITLES[1]),
      有逾期: totalsBefore!['有逾期'],
    });

    const csv = bp.getByRole('link', { name: /下载.*CSV/ });
    expect(await csv.isVisible()).toBe(true);
    expect(await csv.getAttribute('href')).toBe('/api/status?format=csv');
    const download = await desk.request.get(new URL('/api/status?format=csv', baseUrl).toString());
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toMatch(/^text\/csv/);
    const line = (await download.text()).split('\r\n').find((l) => l.includes(school!.id));
    expect(line, 'the CSV has no row for the school').toBeDefined();
    expect(line!.match(/已上传/g)?.length).toBe(2);
    expect(bureauProblems).toEqual([]);
  });

  it('a renamed executable is rejected with a Chinese reason; a .txt is refused before any request', async () => {
    const [first, ...others] = districtSchools();
    // Another school than the first test's; from another District when there is one.
    const school = others.find((o) => o.districtId !== first!.districtId) ?? others[0];
    expect(school, 'the seed needs a second District school').toBeDefined();
    const ctx = await phone();
    const { page, problems } = await openPage(ctx);
    const apiUploads: Request[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/uploads') apiUploads.push(r);
    });
    expect((await page.goto(invitationLink(school!)))?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/upload');

    const [exeDoc, txtDoc] = [TITLES[1], TITLES[0]];
    const exeName = `${school!.name}${exeDoc}.pdf`;
    await uploadAndWait(page, exeDoc, { name: exeName, mimeType: 'application/pdf', buffer: Buffer.from(peExecutable()) });
    expect(apiUploads.length, 'the executable went through /api/uploads').toBe(1);
    await shot(page, '05-school-rejected');
    const card = docCard(page, exeDoc);
    const rejected = card.locator('[data-rejected]');
    expect(await rejected.isVisible(), 'no rejection shown').toBe(true);
    const reason = await rejected.innerText();
    expect(reason).toContain('文件内容与所选类型不符');
    expect(reason).toContain(exeName);
    expect(await card.locator('.state').innerText()).toContain('未上传');
    expect(await card.locator('.state').innerText()).not.toContain('已提交');

    // A .txt: the script refuses it on the phone, nothing is sent.
    const before = apiUploads.length;
    const txt = docCard(page, txtDoc);
    await txt.locator('input[type=file]').setInputFiles({ name: '工作方案说明.txt', mimeType: 'text/plain', buffer: Buffer.from('心理服务体系建设\n', 'utf8') });
    await txt.getByRole('button', { name: /上传/ }).tap();
    const msg = txt.locator('.msg');
    await msg.filter({ hasText: '只接受' }).waitFor({ timeout: 5_000 });
    expect(await msg.innerText()).toContain('只接受 PDF 或 Word（.doc、.docx）文件');
    expect(await msg.getAttribute('class')).toContain('err');
    expect(await msg.isVisible()).toBe(true);
    await page.waitForTimeout(500);
    expect(apiUploads.length, 'a .txt reached /api/uploads').toBe(before);
    expect(await txt.locator('.state').innerText()).toContain('未上传');
    await shot(page, '06-school-txt-refused');
    expect(problems).toEqual([]);
  });

  it('a tampered link shows 链接无效, a school gets 没有权限 on /status, and no page leaks a referrer', async () => {
    const school = districtSchools().at(-1)!;
    const link = invitationLink(school);
    const ctx = await phone();
    const { page } = await openPage(ctx);

    // Tamper with the signature in its middle (the last character may only carry padding bits).
    const [head, payload, sig] = link.slice(link.lastIndexOf('/') + 1).split('.') as [string, string, string];
    const mid = Math.floor(sig.length / 2);
    const tamperedSig = sig.slice(0, mid) + (sig[mid] === 'A' ? 'B' : 'A') + sig.slice(mid + 1);
    const tampered = `${baseUrl}/l/${head}.${payload}.${tamperedSig}`;
    const bad = await page.goto(tampered);
    await shot(page, '07-tampered-link');
    expect(bad?.status()).toBe(401);
    expect(bad?.headers()['referrer-policy']).toBe('no-referrer');
    const badText = await visibleText(page);
    expect(badText).toContain('无法打开页面');
    expect(badText).toContain('链接无效');
    expect(await page.title()).toContain('无法打开页面');
    expect(await ctx.cookies(baseUrl)).toEqual([]);

    // A forged payload (another org's id) with the original signature is as invalid.
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'x-other-org' })).toString('base64url');
    const forgedRes = await page.goto(`${baseUrl}/l/${head}.${forged}.${sig}`);
    expect(forgedRes?.status()).toBe(401);
    expect(await visibleText(page)).toContain('链接无效');

    // The real link: a session, the upload page, and no Referer on any request it makes.
    const sent: Request[] = [];
    page.on('request', (r) => sent.push(r));
    const ok = (await page.goto(link)) as Response;
    expect(ok.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/upload');
    const hop = await ok.request().redirectedFrom()?.response();
    expect(hop?.status()).toBe(302);
    expect(hop?.headers()['referrer-policy']).toBe('no-referrer');
    expect(ok.headers()['referrer-policy']).toBe('no-referrer');
    await page.waitForLoadState('networkidle');
    const script = sent.find((r) => r.url().endsWith('/assets/app.js'));
    expect(script, 'the upload page did not load its script').toBeDefined();
    for (const r of sent) expect((await r.allHeaders())['referer'], `Referer sent with ${r.url()}`).toBeUndefined();

    const forbidden = await page.goto(`${baseUrl}/status`);
    await shot(page, '08-school-status-forbidden');
    expect(forbidden?.status()).toBe(403);
    expect(forbidden?.headers()['referrer-policy']).toBe('no-referrer');
    const text = await visibleText(page);
    expect(text).toContain('没有权限');
    expect(text).toContain('您没有查看该内容的权限');
    expect(text).not.toContain('各单位明细');

    // The session cookie is out of the page script's reach.
    const session = (await ctx.cookies(baseUrl)).find((c) => c.name === 'psy_session');
    expect(session, 'no session cookie after opening the link').toBeDefined();
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it('the Bureau sees the Districts first and the Direct schools last', async () => {
    const bureau = orgs.find((o) => o.kind === 'bureau')!;
    const { url } = await ops.issueLink(bureau.id, CAMPAIGN);
    const { page } = await openPage(await desktop());
    expect((await page.goto(url))?.status()).toBe(200);
    await shot(page, '09-bureau-status-order');
    const isDirect = (g: string) => g.startsWith('直属学校');
    // The 合计 row closes the table (it is no group).
    const totalRows = await tableRows(page.locator('table#totals'));
    expect(totalRows.at(-1)?._total, 'the totals table ends with 合计').toBe('yes');
    expect(totalRows.at(-1)?.['县区 / 类别']).toBe('合计');
    const totals = totalRows.filter((r) => !r._total).map((r) => r['县区 / 类别'] ?? '');
    expect(totals.filter(isDirect), 'one totals row for the Direct schools').toHaveLength(1);
    expect(totals.at(-1), `totals in order: ${totals.join(' | ')}`).toMatch(/^直属学校/);
    const groups = (await tableRows(page.locator('table#orgs'))).map((r) => r['所属'] ?? '');
    const firstDirect = groups.findIndex(isDirect);
    expect(firstDirect, 'no Direct school listed').toBeGreaterThan(0);
    expect(groups.slice(firstDirect).every(isDirect), 'a District row follows the Direct schools').toBe(true);
  });
});
