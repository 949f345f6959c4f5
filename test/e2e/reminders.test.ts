/**
 * The reminder ledger in Debian's Chromium: on a runtime of this file's own (own-runtime.ts, seeded like
 * `npm run dev` with the 2019 campaign), the 09:00 sweeps of 16 and 23 June are ticked as
 * `npm run tick` does (admin.tick: the sweep, then the runtime's mailer empties the outbox); then the
 * Bureau's status page and a District office's show, per org, "已提醒 2 次：6月16日、6月23日", on a
 * phone-sized screen too. Screenshots: test-results/e2e/r*.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eBrowser, inbox, openPage, shot, visibleText } from './helpers.js';
import { type OwnRuntime, startOwnRuntime } from './own-runtime.js';

const BUREAU = 'bureau';
const DISTRICT = 'd-donghu';
const LEDGER = '已提醒 2 次：6月16日、6月23日';

let dir: string;
let rt: OwnRuntime | undefined;
let b: Awaited<ReturnType<typeof e2eBrowser>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psy-e2e-remind-'));
  b = await e2eBrowser();
  rt = await startOwnRuntime(dir, { domainNow: '2019-06-10T09:00:00+08:00', orgIds: [BUREAU, DISTRICT] });
}, 90_000);

afterAll(async () => {
  await rt?.stop();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the reminder ledger on the status pages', () => {
  it('after the sweeps of 16 and 23 June, the Bureau and a District office see who was reminded when', { timeout: 180_000 }, async () => {
    const started = rt as OwnRuntime;
    Object.assign(process.env, started.env);
    const [{ admin }, { readEnv }, { signingKeySource }] = await Promise.all([
      import('../../local/admin.js'),
      import('../../functions/shared/env.js'),
      import('../../functions/shared/tokens.js'),
    ]);
    const env = readEnv(process.env);
    const ops = admin(env, signingKeySource(env));
    const before = (await inbox(started.sesUrl)).length;
    for (const at of ['2019-06-16T09:00:00+08:00', '2019-06-23T09:00:00+08:00']) {
      const r = await ops.tick(new Date(at));
      expect(r.outbox, `the outbox is empty after ${at}`).toEqual({ waiting: 0, inFlight: 0 });
    }
    expect((await inbox(started.sesUrl)).length - before).toBeGreaterThan(60); // every org that owes, twice, and the digests

    for (const [who, viewport] of [
      [BUREAU, 'desktop'],
      [DISTRICT, 'phone'],
    ] as const) {
      const ctx = viewport === 'phone' ? await b.phone() : await b.desktop();
      const { page, problems } = await openPage(ctx);
      await page.goto(started.links[who]!); // the link signs in (a District lands on its upload page)
      if (!page.url().endsWith('/status')) await page.goto(`${started.url}/status`);
      const text = await visibleText(page);
      await shot(page, `r-${who}-${viewport}`);
      // A school of Donghu District that has handed nothing in: reminded on both days.
      const row = page.locator('tr[data-org="s-donghu-wutong"]');
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.locator('[data-reminded]').innerText()).toBe(LEDGER);
      expect(text).toContain(LEDGER);
      expect(problems).toEqual([]);
      await ctx.close();
    }
  });
});
