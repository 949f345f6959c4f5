/**
 * On time or late at midnight, in Debian's Chromium: a school uploads a plan at 23:59 on 30 June
 * (Beijing time) and a corrected version at 00:01 on 1 July. The document stays 按时提交 (its first
 * version was on time), the correction is marked 逾期, on the school's page and the Centre's.
 *
 * How the time is driven: this file runs a local runtime of its own (own-runtime.ts: local/runtime.ts
 * in a child process, the same code `npm run dev` runs). Its domain clock is the runtime's anchor
 * (`<state>/clock`, passed to every function as DOMAIN_CLOCK): the test stops the runtime, removes
 * the anchor and starts it again on the same state with DEV_NOW = 23:59:00, then 00:01:00. Nothing
 * else is staged: the browser really uploads through the pre-signed POST, s3rver really fires the
 * ObjectCreated event, and the validator maps the event's eventTime (when S3 received the file)
 * through the domain clock. Each upload has the rest of its minute (≈ 60 s) to arrive.
 * Screenshots: test-results/e2e/t*.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docCard, e2eBrowser, MIME, mailFields, openPage, realDoc, sha256, shot, tableRows, uploadAndWait, visibleText, waitForMails } from './helpers.js';
import { type OwnRuntime, startOwnRuntime } from './own-runtime.js';
import { unzip } from './unzip.js';

const SCHOOL = 's-qingyunpu-molan';
const SCHOOL_NAME = '青云谱区墨兰小学';
const DISTRICT_NAME = '青云谱区教科体局';
const CENTRE = 'centre';
const CRISIS = '心理危机管理工作方案';
const CRISIS_KIND = 'crisis-plan';

const AT_2359 = '2019-06-30T23:59:00+08:00';
const AT_0001 = '2019-07-01T00:01:00+08:00';
const EXPECTED = '按时提交（6月30日 23:59），7月1日 00:01 修改';

let dir: string;
let rt: OwnRuntime | undefined;
let b: Awaited<ReturnType<typeof e2eBrowser>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psy-e2e-clock-'));
  b = await e2eBrowser();
});

afterAll(async () => {
  await rt?.stop();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** (Re)starts the runtime on the same state with its domain clock at `domainNow`. */
async function restartAt(domainNow: string, port = 0): Promise<OwnRuntime> {
  await rt?.stop();
  rt = await startOwnRuntime(dir, { port, domainNow, orgIds: [SCHOOL, CENTRE] });
  const drift = Date.parse(rt.domainNow) - Date.parse(domainNow);
  expect(drift, `domain time after start-up: ${rt.domainNow}`).toBeGreaterThanOrEqual(0);
  expect(drift, `start-up took ${drift} ms of the minute`).toBeLessThan(30_000);
  return rt;
}

/** "6月30日 23:59" of the row's 接收时间 and whether it carries the 逾期 badge. */
async function versionRows(page: Page) {
  const rows = await docCard(page, CRISIS).locator('table.versions tr[data-version]').all();
  return Promise.all(
    rows.map(async (r) => {
      const cells = (await r.locator('td').allInnerTexts()).map((t) => t.trim());
      return { version: Number(await r.getAttribute('data-version')), head: cells[0]!, at: cells[1]!, late: (await r.locator('.badge.late').count()) > 0, file: cells[2]! };
    }),
  );
}

describe('on time or late at midnight', () => {
  it('a 23:59 upload then a 00:01 correction: 按时提交 with 7月1日 00:01 修改, the correction flagged 逾期', { timeout: 240_000 }, async () => {
    // A fresh state folder, seeded (orgs, campaign, invitations) an hour before the deadline.
    const first = await restartAt('2019-06-30T23:00:00+08:00');
    expect(first.fresh).toBe(true);
    const port = Number(new URL(first.url).port);
    const schoolLink = first.links[SCHOOL]!;
    const centreLink = first.links[CENTRE]!;

    // 23:59 on 30 June.
    let r = await restartAt(AT_2359, port);
    expect(r.fresh).toBe(false);
    const phone = await b.phone();
    const { page, problems } = await openPage(phone);
    expect((await page.goto(schoolLink))?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/upload');
    expect(await visibleText(page)).toContain(SCHOOL_NAME);
    expect(await visibleText(page), 'before the deadline: no overdue notice').not.toContain('报送截止时间已过');
    const v1 = realDoc('plan.pdf');
    await uploadAndWait(page, CRISIS, { name: `${SCHOOL_NAME}${CRISIS}.pdf`, mimeType: MIME.pdf, buffer: v1 });
    await shot(page, 't01-school-2359');
    expect(await docCard(page, CRISIS).locator('[data-timeliness]').innerText(), 'uploaded within 23:59').toBe('按时提交（6月30日 23:59）');
    const at2359 = await versionRows(page);
    expect(at2359).toMatchObject([{ version: 1, head: '第 1 版', at: '6月30日 23:59', late: false }]);
    const [receipt1] = await waitForMails(r.sesUrl, (m) => m.subject.startsWith('【回执】'));
    const f1 = mailFields(receipt1!.body.text ?? '');
    expect(f1['收到时间']).toBe('2019年6月30日 23:59（北京时间）');
    expect(f1['提交状态']).toMatch(/^按时提交/);
    expect(f1['回执编号']).toMatch(/^HJ20190630-[0-9A-F]{10}$/);

    // 00:01 on 1 July: the runtime restarts on the same state with the clock two minutes on.
    r = await restartAt(AT_0001, port);
    expect((await page.reload())?.status(), 'the session survives the restart').toBe(200);
    expect(await visibleText(page), 'after the deadline: the overdue notice').toContain('报送截止时间已过');
    const v2 = realDoc('plan.docx');
    await uploadAndWait(page, CRISIS, { name: `${SCHOOL_NAME}${CRISIS}（修改）.docx`, mimeType: MIME.docx, buffer: v2 });
    await shot(page, 't02-school-0001');

    const card = docCard(page, CRISIS);
    const state = await card.locator('.state').innerText();
    expect(state).toContain('已提交');
    expect(await card.locator('.state .badge').allInnerTexts()).toEqual(['已提交', '按时']);
    expect(await card.locator('[data-timeliness]').innerText()).toBe(EXPECTED);
    const rows = await versionRows(page);
    // Newest first.
    expect(rows).toMatchObject([
      { version: 2, head: '第 2 版\n逾期', at: '7月1日 00:01', late: true },
      { version: 1, head: '第 1 版', at: '6月30日 23:59', late: false },
    ]);
    expect(rows[0]!.file).toContain('（修改）.docx');

    // The correction's receipt: late, and it says the document itself was on time.
    const [receipt2] = await waitForMails(r.sesUrl, (m) => m.subject.startsWith('【回执】'));
    expect(receipt2!.subject).toBe(`【回执】${CRISIS}（第 2 版）已收到 - ${SCHOOL_NAME}`);
    const text2 = receipt2!.body.text ?? '';
    const f2 = mailFields(text2);
    expect(f2['收到时间']).toBe('2019年7月1日 00:01（北京时间）');
    expect(f2['提交状态']).toMatch(/^逾期提交/);
    expect(f2['回执编号']).toMatch(/^HJ20190701-[0-9A-F]{10}$/);
    expect(f2['文件校验码（SHA-256 前 12 位）']).toBe(sha256(v2).slice(0, 12));
    expect(text2).toContain('本文档已于 2019年6月30日 23:59（北京时间）按时提交，本版为截止后的修改。');
    expect(await card.locator('tr[data-version="2"]').innerText()).toContain(f2['回执编号']!);
    expect(problems).toEqual([]);

    // The Centre's status page says the same.
    const desk = await b.desktop();
    const centre = await openPage(desk);
    expect((await centre.page.goto(centreLink))?.status()).toBe(200);
    expect(new URL(centre.page.url()).pathname).toBe('/status');
    expect(await visibleText(centre.page)).toContain('当前：2019年7月1日 00:0');
    await centre.page.goto(`${r.url}/status?q=${encodeURIComponent('墨兰')}`);
    await shot(centre.page, 't03-centre-status-0001');
    const [row, ...others] = await tableRows(centre.page.locator('table#orgs'));
    expect(others, 'the search finds one school').toHaveLength(0);
    expect(row!._org).toBe(SCHOOL);
    expect(row!['所属']).toBe(DISTRICT_NAME);
    const cell = centre.page.locator(`tr[data-org="${SCHOOL}"] td[data-doc="${CRISIS_KIND}"]`);
    // On time (the first version's arrival), and its review state: nobody has reviewed it yet.
    expect(await cell.locator('.badge').allInnerTexts()).toEqual(['按时提交', '待审核']);
    expect(await cell.locator('.muted').innerText()).toBe(`${EXPECTED} · 共 2 版`);
    expect(await cell.getByRole('link').innerText()).toBe('下载第 2 版');
    // The District's 有逾期 counts documents first handed in late: none here.
    const totals = await tableRows(centre.page.locator('table#totals'));
    expect(totals.find((t) => t['县区 / 类别'] === DISTRICT_NAME)?.['有逾期']).toBe('0');
    expect(centre.problems).toEqual([]);

    // The Centre's zip holds the latest version (the correction), and its 清单.csv says the document was on time.
    let ready: { state: string; url?: string } = { state: 'building' };
    for (let i = 0; i < 60 && ready.state !== 'ready'; i++) {
      if (i) await new Promise((ok) => setTimeout(ok, 500));
      ready = (await (await desk.request.get(`${r.url}/api/exports`)).json()) as typeof ready;
    }
    expect(ready.state, 'the zip was built').toBe('ready');
    const zip = await desk.request.get(ready.url!);
    expect(zip.status()).toBe(200);
    const entries = await unzip(await zip.body());
    const entry = entries.find((e) => e.path === `${DISTRICT_NAME}/${SCHOOL_NAME}/${CRISIS}.docx`);
    expect(entry, `the correction in the zip: ${entries.map((e) => e.path).join(', ')}`).toBeDefined();
    expect(sha256(entry!.bytes)).toBe(sha256(v2));
    const manifest = parse(entries.find((e) => e.path === '清单.csv')!.bytes.toString('utf8'), { bom: true, columns: true }) as Record<string, string>[];
    expect(manifest).toHaveLength(1);
    expect(manifest[0]).toMatchObject({
      单位: SCHOOL_NAME,
      材料: CRISIS,
      版本: '2',
      'SHA-256': sha256(v2),
      '接收时间(北京时间)': '2019-07-01 00:01',
      是否按时: '按时',
      备注: `${EXPECTED}；本版为截止后的修改`,
    });
  });
});
