/**
 * The 2019 routing end to end in Debian's Chromium, as the people do it (test/integration/global-setup.ts's seeded
 * runtime): two schools of 湾里 upload on their phones; the District office uploads its own plans, accepts one
 * school, returns the other's crisis plan with a comment; that school reads the mail and the comment and uploads a
 * corrected version; the District accepts it and forwards its jurisdiction with one school named as exempt; the
 * Centre, on a desktop, receives the bundle (回执 to the District), downloads it, and the zip's 清单.csv matches its
 * files byte for byte; the dashboard shows it. Screenshots: test-results/e2e/r*.png.
 *
 * The tests run in order and build on each other. Orgs: d-wanli and its schools (no other e2e file uses them).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { docCard, e2eBrowser, inbox, invitationLink, MIME, openPage, realDoc, type SesMail, sha256, shot, uploadAndWait, waitForMails } from './helpers.js';
import { unzip } from './unzip.js';

const CAMPAIGN = '2019-plans';
const SERVICE = '心理服务体系建设工作实施方案';
const CRISIS = '心理危机管理工作方案';
const DISTRICT = 'd-wanli';
const A = 's-wanli-yunxiu';
const B = 's-wanli-songfeng';
const C = 's-wanli-linquan';
const COMMENT = '缺少“危机干预”部分：请补充处置流程、责任人和联系电话。';

const baseUrl = inject('baseUrl');
const sesUrl = inject('sesUrl');
const plan = realDoc('plan.pdf');
const planDocx = realDoc('plan.docx');

let b: Awaited<ReturnType<typeof e2eBrowser>>;
let campaign: Campaign;
let orgs: Org[];
let invitations: SesMail[];
const pages: Record<string, { ctx: BrowserContext; page: Page; problems: string[] }> = {};

beforeAll(async () => {
  Object.assign(process.env, inject('runtimeEnv'));
  const [{ admin }, { readEnv }, { signingKeySource }] = await Promise.all([
    import('../../local/admin.js'),
    import('../../functions/shared/env.js'),
    import('../../functions/shared/tokens.js'),
  ]);
  const env = readEnv(process.env);
  const ops = admin(env, signingKeySource(env));
  campaign = (await ops.listCampaigns()).find((c) => c.id === CAMPAIGN) as Campaign;
  orgs = await ops.listOrgs();
  invitations = await inbox(sesUrl);
  b = await e2eBrowser();
});

afterAll(async () => {
  await b?.close();
});

const org = (id: string) => orgs.find((o) => o.id === id) as Org;
const kind = (title: string) => campaign.documents.find((d) => d.title === title)?.kind as string;

/** Someone opens their invitation (a phone in WeChat, or the Centre's desktop). */
async function open(id: string, device: 'phone' | 'desktop' = 'phone') {
  const ctx = device === 'phone' ? await b.phone() : await b.desktop();
  const p = await openPage(ctx);
  expect((await p.page.goto(invitationLink(invitations, org(id), baseUrl)))?.status()).toBe(200);
  pages[id] = { ctx, ...p };
  return p.page;
}

/** Taps (or clicks) something that loads a new page, and waits for that page. */
async function go(page: Page, target: { tap(): Promise<void>; click(): Promise<void> }, how: 'tap' | 'click' = 'tap') {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), how === 'tap' ? target.tap() : target.click()]);
}

/** The review page's card of one org's document. */
const item = (page: Page, orgId: string, title: string) => page.locator(`article.item[data-org="${orgId}"][data-doc="${kind(title)}"]`);

describe('review, forwarding and receipt (湾里)', () => {
  it('two schools and the District office hand in their plans on their phones', async () => {
    for (const id of [A, B, DISTRICT]) {
      const page = await open(id);
      expect(new URL(page.url()).pathname).toBe('/upload');
      await uploadAndWait(page, SERVICE, { name: `${org(id).name}${SERVICE}.docx`, mimeType: MIME.docx, buffer: planDocx });
      await uploadAndWait(page, CRISIS, { name: `${org(id).name}${CRISIS}.pdf`, mimeType: MIME.pdf, buffer: plan });
      if (id !== DISTRICT) expect(await docCard(page, CRISIS).locator('[data-review="submitted"]').innerText()).toContain('等待审核');
    }
    await shot(pages[A]!.page, 'r01-school-submitted');
  });

  it('the District office accepts one school and returns the other’s crisis plan with a comment', async () => {
    const page = pages[DISTRICT]!.page;
    await go(page, page.getByRole('link', { name: '审核辖区学校方案' }));
    expect(new URL(page.url()).pathname).toBe('/review');
    expect(await page.locator('article.item[data-review-state="submitted"]').count()).toBe(4);
    // Another District's school or a Direct school never shows here.
    expect(await page.locator('article.item:not([data-org^="s-wanli-"])').count()).toBe(0);
    await shot(page, 'r02-district-queue');
    for (const title of [SERVICE, CRISIS]) {
      await go(page, item(page, A, title).getByRole('button', { name: '审核通过' }));
      expect(await page.locator('[data-done="accept"]').innerText()).toContain(org(A).name);
    }
    await go(page, item(page, B, SERVICE).getByRole('button', { name: '审核通过' }));
    const ret = item(page, B, CRISIS);
    await ret.locator('summary', { hasText: '退回修改' }).tap();
    await ret.locator('textarea[name=comment]').fill(COMMENT);
    expect(await ret.locator('input[name=dueDate]').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await go(page, ret.getByRole('button', { name: '退回并通知学校' }));
    expect(await page.locator('[data-done="return"]').innerText()).toContain(org(B).name);
    expect(await item(page, B, CRISIS).getAttribute('data-review-state')).toBe('returned');
    expect(await item(page, A, CRISIS).getAttribute('data-review-state')).toBe('accepted');
    await shot(page, 'r03-district-after-review');
    expect(pages[DISTRICT]!.problems).toEqual([]);
  });

  it('the returned school gets the mail, reads the comment on its page and uploads a corrected version', async () => {
    const school = org(B);
    const [mail] = await waitForMails(sesUrl, (m) => m.subject.startsWith('【需修改】') && m.destination.to.some((t) => school.contacts.some((c) => c.email.toLowerCase() === t.toLowerCase())), 1);
    expect(mail?.body.text).toContain(COMMENT);
    expect(mail?.subject).toContain(CRISIS);
    const page = pages[B]!.page;
    await page.reload();
    const note = docCard(page, CRISIS).locator('[data-review="returned"]');
    expect(await note.innerText()).toContain(COMMENT);
    expect(await note.innerText()).toContain('已被退回');
    await shot(page, 'r04-school-returned');
    await uploadAndWait(page, CRISIS, { name: `${school.name}${CRISIS}-修改稿.docx`, mimeType: MIME.docx, buffer: planDocx });
    expect(await docCard(page, CRISIS).locator('[data-review="submitted"]').innerText()).toContain('此前第 1 版被退回');
    expect(pages[B]!.problems).toEqual([]);
  });

  it('the District accepts the corrected version and forwards its jurisdiction with one named exemption', async () => {
    const page = pages[DISTRICT]!.page;
    await page.goto(`${baseUrl}/review`);
    const again = item(page, B, CRISIS);
    expect(await again.getAttribute('data-review-state')).toBe('submitted');
    expect(await again.locator('[data-previous]').innerText()).toContain('曾被退回');
    await go(page, again.getByRole('button', { name: '审核通过' }));

    await page.goto(`${baseUrl}/bundles`);
    const blocker = page.locator(`[data-blocker="${C}"]`);
    expect(await blocker.innerText()).toContain(org(C).name);
    // Forwarding without naming the school is refused, and says why.
    await go(page, page.getByRole('button', { name: /统一转报/ }));
    expect(await page.locator('[data-error="NOT_READY"]').count()).toBe(1);
    await page.locator(`input[name="exempt.${C}"]`).fill('该校本学期停办，学生已分流至湾里松风中学');
    await page.locator('textarea[name=note]').fill('湾里辖区方案，请查收。');
    await shot(page, 'r05-district-forward');
    await go(page, page.getByRole('button', { name: /统一转报/ }));
    expect(await page.locator('[data-done="forward"]').count()).toBe(1);
    expect(await page.locator(`[data-bundle="${DISTRICT}-1"]`).getAttribute('data-state')).toBe('forwarded');
    expect(await page.locator(`[data-bundle="${DISTRICT}-1"]`).innerText()).toContain('停办');
    await shot(page, 'r06-district-forwarded');
    expect(pages[DISTRICT]!.problems).toEqual([]);
  });

  it('the Centre receives the bundle (回执 to the District), downloads it, and the 清单.csv matches its files byte for byte', async () => {
    const centre = org(campaign.receiverId);
    const page = await open(centre.id, 'desktop');
    await waitForMails(sesUrl, (m) => m.subject.startsWith(`【县区转报】${org(DISTRICT).name} 第 1 批`), 1);
    await page.goto(`${baseUrl}/bundles`);
    const card = page.locator(`section[data-district="${DISTRICT}"]`);
    expect(await card.locator(`[data-bundle="${DISTRICT}-1"]`).getAttribute('data-state')).toBe('forwarded');
    await shot(page, 'r07-centre-bundles');

    const started = page.waitForEvent('download', { timeout: 90_000 });
    await card.locator('a[data-zip]').click();
    const download = await started;
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe(`${campaign.title}-${org(DISTRICT).name}-第1批.zip`);
    const entries = await unzip(readFileSync(await download.path()));
    const manifest = entries.find((e) => e.path === '清单.csv');
    expect(manifest).toBeDefined();
    const files = entries.filter((e) => e !== manifest);
    // The District's own two plans and two schools' two each; the exempt school's none.
    expect(files).toHaveLength(6);
    expect(files.some((e) => e.path.includes(org(C).name))).toBe(false);
    const rows = parse(manifest!.bytes.toString('utf8'), { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
    expect(rows).toHaveLength(files.length);
    for (const r of rows) {
      const e = files.find((f) => f.path === r['压缩包内路径']);
      expect(e, JSON.stringify(r)).toBeDefined();
      expect(r['SHA-256']).toBe(sha256(e!.bytes));
      expect(Number(r['大小(字节)'])).toBe(e!.bytes.length);
    }
    const corrected = rows.find((r) => r['单位'] === org(B).name && r['材料'] === CRISIS);
    expect(corrected?.['版本']).toBe('2');

    await page.goto(`${baseUrl}/bundles`);
    await go(page, card.getByRole('button', { name: /确认接收/ }), 'click');
    expect(await page.locator('[data-done="receive"]').count()).toBe(1);
    expect(await card.locator(`[data-bundle="${DISTRICT}-1"]`).getAttribute('data-state')).toBe('received');
    await shot(page, 'r08-centre-received');
    const district = org(DISTRICT);
    await waitForMails(sesUrl, (m) => m.subject.startsWith('【回执】') && m.subject.includes(`${district.name}第 1 批`) && m.destination.to.some((t) => district.contacts.some((c) => c.email === t)), 1);

    await page.goto(`${baseUrl}/dashboard?group=${encodeURIComponent(`D#${DISTRICT}`)}`);
    expect(await page.locator('#summary').innerText()).toContain('中心已接收');
    const pictures = page.locator('img#pictures');
    await pictures.scrollIntoViewIfNeeded();
    expect(await pictures.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await shot(page, 'r09-dashboard');
    expect(pages[centre.id]!.problems).toEqual([]);
  });
});
