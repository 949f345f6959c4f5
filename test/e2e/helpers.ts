/**
 * What the e2e tests share: Debian's Chromium with a phone (WeChat) and a desktop context, pages that
 * remember their errors, screenshots, the upload flow as a person does it, tables read as records,
 * the SES emulator's inbox, downloads read back with their hash.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Download, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from './browser.js';

export const SHOTS = resolve(import.meta.dirname, '../../test-results/e2e');

/** WeChat's built-in browser on an Android phone. */
export const WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 ' +
  'Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160083 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) ' +
  'WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';

/** A real word-processor PDF and DOCX (LibreOffice, test/fixtures/docs/make.sh). */
export const DOCS = resolve(import.meta.dirname, '../fixtures/docs');
export const realDoc = (name: 'plan.pdf' | 'plan.docx' | 'plan.doc') => readFileSync(resolve(DOCS, name));
export const MIME = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** One browser, and the phone/desktop contexts opened on it (closed together). */
export async function e2eBrowser() {
  mkdirSync(SHOTS, { recursive: true });
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    /** A phone in WeChat's browser (390×844, touch, zh-CN, Beijing time). */
    async phone() {
      const c = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: WECHAT_UA,
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
        acceptDownloads: true,
      });
      contexts.push(c);
      return c;
    },
    async desktop() {
      const c = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
      contexts.push(c);
      return c;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** A page that remembers its uncaught script errors and console errors (CSP refusals show there). */
export async function openPage(ctx: BrowserContext) {
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A failed load is reported below with its address.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    // Browsers ask for /favicon.ico by themselves; the service has none (not a page's own request).
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico' && r.request().resourceType() !== 'document') {
      problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    }
  });
  return { page, problems };
}

export const shot = (page: Page, name: string) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });

/** The text a user sees (rendered text only, not markup). */
export const visibleText = (page: Page) => page.locator('body').innerText();

/** The card of one required document on the upload page, found by its title. */
export const docCard = (page: Page, title: string) => page.locator('section.doc').filter({ has: page.locator('h2', { hasText: title }) });

/**
 * Puts a file on a document's input and taps its button, then waits for what the client script
 * does after the upload: reload the page (checked with a marker that only the old page has), or
 * show an error under the form.
 */
export async function uploadAndWait(page: Page, title: string, file: { name: string; mimeType: string; buffer: Buffer }) {
  const card = docCard(page, title);
  await card.locator('input[type=file]').setInputFiles(file);
  await page.evaluate(() => Object.assign(window, { __beforeUpload: true }));
  const reloaded = page.waitForEvent('load', { timeout: 40_000 }).then(
    () => 'reloaded',
    () => 'no reload',
  );
  const failed = card
    .locator('.msg.err')
    .waitFor({ timeout: 40_000 })
    .then(
      async () => `error under the form: ${await card.locator('.msg').innerText().catch(() => '?')}`,
      () => 'no error',
    );
  await card.getByRole('button', { name: /上传/ }).tap();
  const outcome = await Promise.race([reloaded, failed]);
  expect(outcome, `after tapping 上传 for ${title}`).toBe('reloaded');
  await page.waitForLoadState('load');
  expect(await page.evaluate(() => '__beforeUpload' in window), 'the page was not reloaded').toBe(false);
}

/**
 * A table as rows of {header → cell text}; a row's data-org (the status page's org rows) under
 * `_org`, and `_total` = 'yes' on the 合计 row (class "total").
 */
export async function tableRows(table: Locator): Promise<Record<string, string>[]> {
  const heads = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
  const rows = await table.locator('tbody tr').all();
  return Promise.all(
    rows.map(async (r) => {
      const cells = (await r.locator('td').allInnerTexts()).map((t) => t.trim());
      const org = await r.getAttribute('data-org');
      const total = (await r.getAttribute('class'))?.split(/\s+/).includes('total');
      return { ...Object.fromEntries(heads.map((h, i) => [h, cells[i] ?? ''])), ...(org ? { _org: org } : {}), ...(total ? { _total: 'yes' } : {}) };
    }),
  );
}

/** The first line of a cell (the status page puts the contact under the org's name). */
export const firstLine = (cell: string | undefined) => (cell ?? '').split('\n')[0]!.trim();

export const escHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
export const unescHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// ---- the SES emulator's inbox ------------------------------------------------------------------

export interface SesMail {
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at?: number;
}

export async function inbox(sesUrl: string): Promise<SesMail[]> {
  const r = await fetch(`${sesUrl}/store`);
  expect(r.status, 'SES emulator /store').toBe(200);
  return ((await r.json()) as { emails: SesMail[] }).emails;
}

/**
 * Waits (up to `ms`) until the inbox holds exactly `count` mails that `match`, and returns them. The
 * receipt is sent after the version is recorded, so it may arrive just after the page reloads.
 */
export async function waitForMails(sesUrl: string, match: (m: SesMail) => boolean, count = 1, ms = 15_000): Promise<SesMail[]> {
  const until = Date.now() + ms;
  let found: SesMail[] = [];
  while (Date.now() < until) {
    found = (await inbox(sesUrl)).filter(match);
    if (found.length >= count) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  expect(found.length, `mails matching after ${ms} ms`).toBe(count);
  return found;
}

/** "回执编号：HJ…" → { 回执编号: 'HJ…' } from a receipt's text body (one "key：value" per line). */
export function mailFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^：\n]{2,30})：(.+)$/.exec(line.trim());
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

// ---- downloads ---------------------------------------------------------------------------------

/** Runs `click` (a click or tap that starts a download) and returns the download, its suggested name and bytes. */
export async function downloadBy(page: Page, click: () => Promise<unknown>, timeout = 30_000): Promise<{ download: Download; name: string; bytes: Buffer }> {
  const started = page.waitForEvent('download', { timeout });
  await click();
  const download = await started;
  const path = await download.path();
  expect(await download.failure(), 'the download failed').toBeNull();
  return { download, name: download.suggestedFilename(), bytes: readFileSync(path) };
}

// ---- orgs and invitations ----------------------------------------------------------------------

/** The invitation mail an org received, and the link in its button (a check that it points at `baseUrl`/l/…). */
export function invitationLink(mails: SesMail[], org: { name: string; contacts: { email: string }[] }, baseUrl: string): string {
  const addresses = org.contacts.map((c) => c.email.toLowerCase());
  const received = mails.filter(
    (m) => m.destination.to.some((t) => addresses.includes(t.toLowerCase())) && (m.body.html ?? '').includes(`${escHtml(org.name)}：`) && !m.subject.startsWith('【回执】'),
  );
  expect(received.length, `no invitation mail to ${org.name} <${addresses.join(', ')}>`).toBeGreaterThan(0);
  const links = received.map((m) => unescHtml(/<a href="([^"]+)"/.exec(m.body.html ?? '')?.[1] ?? ''));
  const i = links.findIndex((l) => l.startsWith(`${baseUrl}/l/`));
  expect(i, `the invitation's <a href> does not point at ${baseUrl}/l/…: ${links.join(' ')}`).toBeGreaterThanOrEqual(0);
  expect(received[i]!.subject).toContain('报送');
  return links[i]!;
}
