/**
 * Parent-contact logs in Debian's Chromium on a phone (WeChat, 390×844), on a runtime of this file's own
 * (own-runtime.ts, seeded like `npm run dev`: 清潭's roster, four classes, weekly, term 2019-06-03..07-12; domain
 * time Wednesday 2019-06-05 09:00 Beijing). A head teacher opens their link from the roster mail, logs a contact,
 * then an urgent one: the crisis group's alert (no content, no student ref) arrives, its link opens for nobody
 * without their own session, and a crisis member reads the log and acknowledges it. Markup typed into a summary is
 * shown as text; a refused form comes back filled in. The school's administrator sees the matrix count the class as
 * done; Friday 15:00's sweep reminds only the three other classes; another class's head teacher gets a 404 for the
 * first class's log. Screenshots: test-results/e2e/c*.png.
 *
 * The tests run in order and build on each other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eBrowser, inbox, openPage, type SesMail, shot, tableRows, visibleText, waitForMails } from './helpers.js';
import { type OwnRuntime, startOwnRuntime } from './own-runtime.js';

const SCHOOL = 's-donghu-qingtan';
const HEAD = 'qingtan.7-1@example.com';
const OTHER_HEAD = 'qingtan.8-2@example.com';
const OTHER_HEADS = ['qingtan.7-2@example.com', 'qingtan.8-1@example.com', 'qingtan.8-2@example.com'];
const CRISIS = 'qingtan.crisis@example.com';
const PRINCIPAL = 'qingtan.principal@example.com';
const CLASS = '七年级1班';
const TEACHER = '王丽华';
const TODAY = '2019-06-05';
const PERIOD = '第23周（6月3日–6月9日）';

const SUMMARY = '与母亲电话沟通，孩子最近数学进步明显，在家按时完成作业，周末情绪稳定。';
const URGENT_REF = '7号';
const URGENT_SUMMARY = '家长反映孩子昨晚在房间里说“不想再上学了，活着没意思”，并把自己锁在屋里两个小时。';
const XSS = '<script>alert(1)</script>家长说<b>没事</b>';

let dir: string;
let rt: OwnRuntime;
let b: Awaited<ReturnType<typeof e2eBrowser>>;
let ops: import('../../local/admin.js').Admin;
let head: { ctx: BrowserContext; page: Page; problems: string[] };
/** The first class's id and the urgent log's address (from the alert). */
let classId: string;
let urgentLink: string;
let firstLogUrl: string;
const dialogs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psy-e2e-contacts-'));
  b = await e2eBrowser();
  rt = await startOwnRuntime(dir, { domainNow: '2019-06-05T09:00:00+08:00', orgIds: [] });
  Object.assign(process.env, rt.env);
  const [{ admin }, { readEnv }, { signingKeySource }] = await Promise.all([
    import('../../local/admin.js'),
    import('../../functions/shared/env.js'),
    import('../../functions/shared/tokens.js'),
  ]);
  const env = readEnv(process.env);
  ops = admin(env, signingKeySource(env));
}, 90_000);

afterAll(async () => {
  await rt?.stop();
  await b?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const to = (addr: string) => (m: SesMail) => m.destination.to.some((t) => t.toLowerCase() === addr);
/** The /c/… link in a person's roster mail (subject 【家校联系记录】…). */
async function personLinkFromMail(addr: string): Promise<string> {
  const [mail] = await waitForMails(rt.sesUrl, (m) => m.subject.startsWith('【家校联系记录】') && to(addr)(m), 1);
  const link = new RegExp(`${rt.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/c/[A-Za-z0-9._~-]+`).exec(mail!.body.text ?? '')?.[0];
  expect(link, `no ${rt.url}/c/… link in the mail to ${addr}:\n${mail!.body.text}`).toBeDefined();
  return link!;
}

/** Taps something that loads a new page, and waits for that page. */
async function go(page: Page, target: { tap(): Promise<void> }) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), target.tap()]);
}

/** Fills the log form as a person does: date stays today unless given. */
async function fillForm(page: Page, v: { method: string; contacted: string; students: string; topics: string[]; summary: string; concern: string }) {
  expect(await page.locator('input[name=date]').inputValue()).toBe(TODAY);
  await page.getByLabel(v.method, { exact: true }).check();
  await page.locator('select[name=contacted]').selectOption(v.contacted);
  await page.locator('input[name=students]').fill(v.students);
  for (const t of v.topics) await page.getByLabel(t, { exact: true }).check();
  await page.locator('textarea[name=summary]').fill(v.summary);
  await page.getByLabel(v.concern, { exact: true }).check();
}

const submit = (page: Page) => go(page, page.getByRole('button', { name: '提交记录' }));

describe('parent-contact logs on a phone (清潭)', () => {
  it('a head teacher opens their link from the roster mail and sees this week to fill in', async () => {
    const link = await personLinkFromMail(HEAD);
    const ctx = await b.phone();
    head = { ctx, ...(await openPage(ctx)) };
    head.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    expect((await head.page.goto(link))?.status()).toBe(200);
    expect(new URL(head.page.url()).pathname).toBe('/contacts');
    const text = await visibleText(head.page);
    expect(text).toContain(CLASS);
    expect(text).toContain(TEACHER);
    expect(text).toContain('每周');
    expect(text).toContain(`本期：${PERIOD}`);
    expect(await head.page.locator('section.card', { hasText: '本期：' }).locator('[data-state]').getAttribute('data-state')).toBe('open');
    expect(await head.page.locator('section.card', { hasText: '本期：' }).innerText()).toContain('本期待填');
    await shot(head.page, 'c01-head-home');
  });

  it('taps 填写家校联系记录, fills the form and submits: saved, this week 已记录', async () => {
    const { page } = head;
    await go(page, page.getByRole('link', { name: '填写家校联系记录' }));
    expect(new URL(page.url()).pathname).toBe('/contacts/new');
    await fillForm(page, { method: '电话', contacted: '母亲', students: '12号', topics: ['学习', '情绪'], summary: SUMMARY, concern: '无' });
    await shot(page, 'c02-form-filled');
    const newId = await page.locator('input[name=newId]').inputValue();
    await submit(page);
    expect(new URL(page.url()).pathname).toBe('/contacts');
    expect(await page.locator('[role=status]').innerText()).toContain('记录已保存');
    const cur = page.locator('section.card', { hasText: '本期：' });
    expect(await cur.locator('[data-state]').getAttribute('data-state')).toBe('logged');
    expect(await cur.innerText()).toContain('已记录');
    const line = page.locator(`a[data-log="${newId}"]`);
    expect(await line.innerText()).toContain('电话 · 母亲');
    firstLogUrl = new URL((await line.getAttribute('href'))!, rt.url).href;
    classId = /\/contacts\/logs\/([^/]+)\//.exec(firstLogUrl)![1]!;
    await shot(page, 'c03-head-saved');
  });

  it('a 紧急 contact alerts the crisis group at once, by a mail with no content and no student ref', async () => {
    const { page } = head;
    const before = (await inbox(rt.sesUrl)).filter((m) => m.subject.startsWith('【紧急关注】')).length;
    expect(before).toBe(0);
    await go(page, page.getByRole('link', { name: '填写家校联系记录' }));
    await fillForm(page, { method: '家访', contacted: '父亲', students: URGENT_REF, topics: ['情绪', '安全'], summary: `${URGENT_REF}同学：${URGENT_SUMMARY}`, concern: '紧急' });
    await shot(page, 'c04-form-urgent');
    await submit(page);
    expect(await page.locator('[role=status]').innerText()).toContain('学校危机小组已收到紧急通知');
    await shot(page, 'c05-head-urgent-saved');

    const [alert] = await waitForMails(rt.sesUrl, (m) => m.subject.startsWith('【紧急关注】'), 1, 20_000);
    const mail = alert!;
    const recipients = mail.destination.to.map((t) => t.toLowerCase());
    expect(recipients).toContain(CRISIS);
    expect(recipients).toContain(PRINCIPAL);
    expect(recipients).not.toContain(HEAD);
    for (const body of [mail.subject, mail.body.text ?? '', mail.body.html ?? '']) {
      expect(body).toContain(CLASS);
      expect(body).not.toContain(URGENT_REF);
      for (const piece of ['不想再上学', '活着没意思', '锁在屋里', '家访', '父亲']) expect(body).not.toContain(piece);
    }
    expect(mail.body.text).toContain(TEACHER);
    urgentLink = new RegExp(`${rt.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/contacts/logs/${classId}/[A-Za-z0-9_-]+`).exec(mail.body.text ?? '')?.[0] ?? '';
    expect(urgentLink, `no /contacts/logs/${classId}/… link in the alert:\n${mail.body.text}`).not.toBe('');
    expect(mail.body.html).toContain(urgentLink);
    // The alert's HTML as a phone shows it.
    const ctx = await b.phone();
    const p = await ctx.newPage();
    await p.setContent(mail.body.html ?? '');
    await shot(p, 'c06-alert-mail');
    await ctx.close();
  });

  it('the alert’s link opens nothing without a session; a crisis member reads the log and acknowledges it', async () => {
    const stranger = await b.phone();
    const s = await openPage(stranger);
    expect((await s.page.goto(urgentLink))?.status()).toBe(401);
    const refused = await visibleText(s.page);
    expect(refused).toContain('请用您本人的专属链接进入');
    for (const piece of [URGENT_SUMMARY.slice(0, 10), URGENT_REF, CLASS]) expect(refused).not.toContain(piece);
    await shot(s.page, 'c07-alert-link-no-session');
    await stranger.close();

    const ctx = await b.phone();
    const { page, problems } = await openPage(ctx);
    expect((await page.goto(await personLinkFromMail(CRISIS)))?.status()).toBe(200);
    expect(await page.locator('[data-concern-row]').count()).toBe(1);
    expect((await page.goto(urgentLink))?.status()).toBe(200);
    const text = await visibleText(page);
    expect(text).toContain(URGENT_SUMMARY);
    expect(text).toContain(URGENT_REF);
    expect(text).toContain('尚未确认');
    await shot(page, 'c08-crisis-log');
    await go(page, page.getByRole('button', { name: '确认收到' }));
    expect(await page.locator('[data-acked]').innerText()).toMatch(/^已由 周敏 于 .+ 确认收到/);
    expect(await page.getByRole('button', { name: '确认收到' }).count()).toBe(0);
    await shot(page, 'c09-crisis-acked');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('markup typed into a summary is shown as text; a refused form comes back with the reason and what was typed', async () => {
    const { page } = head;
    await go(page, page.getByRole('link', { name: '填写家校联系记录' }));
    await fillForm(page, { method: '面谈', contacted: '祖父母', students: '3号', topics: ['家庭'], summary: XSS, concern: '无' });
    const newId = await page.locator('input[name=newId]').inputValue();
    await submit(page);
    expect(await page.locator('[role=status]').innerText()).toContain('记录已保存');
    expect((await page.goto(`${rt.url}/contacts/logs/${classId}/${newId}`))?.status()).toBe(200);
    const cell = page.locator('tr', { has: page.locator('th', { hasText: '沟通内容' }) }).locator('td');
    expect(await cell.innerText()).toBe(XSS);
    expect(await page.locator('td script, td b').count()).toBe(0);
    await shot(page, 'c10-log-markup-as-text');

    // A date after today (the date picker's max taken off, as an old browser would ignore it).
    await page.goto(`${rt.url}/contacts/new`);
    const typed = '周三放学后与父亲面谈：孩子上课注意力不集中，家长会配合调整作息。';
    await fillForm(page, { method: '面谈', contacted: '父亲', students: '21号', topics: ['学习', '人际'], summary: typed, concern: '关注' });
    await page.locator('input[name=date]').evaluate((el) => el.removeAttribute('max'));
    await page.locator('input[name=date]').fill('2019-06-20');
    await submit(page);
    expect(new URL(page.url()).pathname).toBe('/contacts/refused');
    expect(await page.locator('[role=alert]').getAttribute('data-error')).toBe('DATE_IN_FUTURE');
    expect(await page.locator('[role=alert]').innerText()).toContain('联系日期不能晚于今天');
    expect(await page.locator('textarea[name=summary]').inputValue()).toBe(typed);
    expect(await page.locator('input[name=students]').inputValue()).toBe('21号');
    expect(await page.locator('input[name=date]').inputValue()).toBe('2019-06-20');
    expect(await page.locator('select[name=contacted]').inputValue()).toBe('父亲');
    expect(await page.getByLabel('面谈', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('关注', { exact: true }).isChecked()).toBe(true);
    for (const t of ['学习', '人际']) expect(await page.getByLabel(t, { exact: true }).isChecked()).toBe(true);
    await shot(page, 'c11-form-refused-date');

    // A summary over the limit (maxlength taken off): 2,001 characters, pasted from a chat (Latin letters, so that the
    // form stays under the writer's body limit and the summary's own limit is what refuses it).
    await page.goto(`${rt.url}/contacts/new`);
    const long = `${'Parent says the child plays on the phone too late. '.repeat(45).slice(0, 1999)}OK`;
    expect(long.trim().length).toBe(2001);
    await fillForm(page, { method: '线上', contacted: '其他监护人', students: '', topics: ['其他'], summary: '', concern: '无' });
    await page.locator('textarea[name=summary]').evaluate((el) => el.removeAttribute('maxlength'));
    await page.locator('textarea[name=summary]').fill(long);
    await submit(page);
    expect(new URL(page.url()).pathname).toBe('/contacts/refused');
    expect(await page.locator('[role=alert]').innerText()).toContain('沟通内容最多 2000 个字');
    expect(await page.locator('textarea[name=summary]').inputValue()).toBe(long);
    await shot(page, 'c12-form-refused-long');

    expect(dialogs).toEqual([]);
    expect(head.problems).toEqual([]);
  });

  it('a summary and follow-up as long as the form allows, in Chinese, are saved (a form encodes a character as 9 bytes)', async () => {
    const { page } = head;
    await page.goto(`${rt.url}/contacts/new`);
    const summary = '家长反映孩子在家玩手机时间过长，晚上睡得晚。'.repeat(100).slice(0, 2000);
    const followUp = '下周再次电话回访，了解作息调整情况。'.repeat(60).slice(0, 1000);
    await fillForm(page, { method: '电话', contacted: '母亲', students: '5号', topics: ['家庭'], summary, concern: '无' });
    await page.locator('textarea[name=followUp]').fill(followUp);
    const newId = await page.locator('input[name=newId]').inputValue();
    await submit(page);
    const where = `${new URL(page.url()).pathname}: ${(await visibleText(page)).slice(0, 200)}`;
    expect(new URL(page.url()).pathname, where).toBe('/contacts');
    expect(await page.locator('[role=status]').innerText()).toContain('记录已保存');
    expect((await page.goto(`${rt.url}/contacts/logs/${classId}/${newId}`))?.status()).toBe(200);
    expect(await page.locator('tr', { has: page.locator('th', { hasText: '沟通内容' }) }).locator('td').innerText()).toBe(summary);
    expect(await page.locator('tr', { has: page.locator('th', { hasText: '后续跟进' }) }).locator('td').innerText()).toBe(followUp);

    // Refused for another reason (a date after today), the long text still comes back as typed.
    await page.goto(`${rt.url}/contacts/new`);
    await fillForm(page, { method: '电话', contacted: '母亲', students: '5号', topics: ['家庭'], summary, concern: '无' });
    await page.locator('textarea[name=followUp]').fill(followUp);
    await page.locator('input[name=date]').evaluate((el) => el.removeAttribute('max'));
    await page.locator('input[name=date]').fill('2019-06-21');
    await submit(page);
    expect(new URL(page.url()).pathname).toBe('/contacts/refused');
    expect(await page.locator('[role=alert]').getAttribute('data-error')).toBe('DATE_IN_FUTURE');
    expect(await page.locator('textarea[name=summary]').inputValue()).toBe(summary);
    expect(await page.locator('textarea[name=followUp]').inputValue()).toBe(followUp);
    await shot(page, 'c12b-form-refused-long-chinese');
    expect(head.problems).toEqual([]);
  });

  it('the school’s administrator sees the matrix count this week’s class as done', async () => {
    const { url } = await ops.issueLink(SCHOOL, '2019-plans');
    const ctx = await b.phone();
    const { page, problems } = await openPage(ctx);
    expect((await page.goto(url))?.status()).toBe(200);
    expect((await page.goto(`${rt.url}/contact-rates`))?.status()).toBe(200);
    const img = page.locator('.pic img');
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    const table = page.locator('section.card', { has: page.locator('h2', { hasText: '各周期' }) }).locator('table');
    const rows = await tableRows(table);
    const week = rows.find((r) => r['周期']?.startsWith(PERIOD));
    expect(week, JSON.stringify(rows)).toBeDefined();
    expect(week!['应记录']).toBe('4');
    expect(week!['已完成']).toBe('1');
    expect(week!['完成率']).toBe('25%');
    // The picture of the school counts no content either.
    const svg = await (await page.request.get(`${rt.url}/api/contact-rates?format=svg`)).text();
    for (const piece of [SUMMARY.slice(0, 8), URGENT_REF, URGENT_SUMMARY.slice(0, 8)]) expect(svg).not.toContain(piece);
    const text = await visibleText(page);
    for (const piece of [SUMMARY.slice(0, 8), URGENT_SUMMARY.slice(0, 8)]) expect(text).not.toContain(piece);
    await shot(page, 'c13-admin-rates');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('Friday 15:00’s sweep reminds only the three classes with nothing this week', { timeout: 120_000 }, async () => {
    const isReminder = (m: SesMail) => m.subject.startsWith('【家校联系提醒】');
    expect((await inbox(rt.sesUrl)).filter(isReminder)).toEqual([]);
    const r = await ops.tick(new Date('2019-06-07T15:00:00+08:00'));
    expect(r.outbox, 'the outbox is empty after the tick').toEqual({ waiting: 0, inFlight: 0 });
    expect(r.contacts.find((c) => c.job === 'contact-reminders')?.reminders).toBe(3);
    const reminders = await waitForMails(rt.sesUrl, isReminder, 3);
    expect(reminders.flatMap((m) => m.destination.to.map((t) => t.toLowerCase())).sort()).toEqual([...OTHER_HEADS].sort());
    for (const m of reminders) expect(m.subject).toContain(PERIOD);
    // Nothing more trickles in for the class that logged.
    expect((await inbox(rt.sesUrl)).filter((m) => isReminder(m) && to(HEAD)(m))).toEqual([]);
  });

  it('another class’s head teacher gets a 404 for the first class’s log, without its content', async () => {
    const ctx = await b.phone();
    const { page } = await openPage(ctx);
    expect((await page.goto(await personLinkFromMail(OTHER_HEAD)))?.status()).toBe(200);
    expect(await visibleText(page)).toContain('八年级2班');
    for (const url of [firstLogUrl, urgentLink]) {
      expect((await page.goto(url))?.status()).toBe(404);
      const text = await visibleText(page);
      expect(text).toContain('没有找到');
      for (const piece of [SUMMARY.slice(0, 10), URGENT_SUMMARY.slice(0, 10), URGENT_REF, '12号']) expect(text).not.toContain(piece);
    }
    await shot(page, 'c14-other-head-404');
    await ctx.close();
  });
});
