/**
 * `npm test`: type-check, then every test tier. The e2e tier needs Debian's Chromium: without it
 * the run says e2e was skipped and how to install it — except under CI, where e2e is mandatory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from './e2e/browser.js';

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (run('npx', ['tsc', '--noEmit']) !== 0) process.exit(1);

const projects = ['unit', 'integration', 'infra'];
const browser = chromiumPath();
if (browser && existsSync(browser)) projects.push('e2e');
else if (process.env.CI) {
  console.error(`e2e: Chromium not found at ${browser ?? '/usr/bin/chromium'} — CI requires the browser tests (.ci/run installs it).`);
  process.exit(1);
} else {
  console.warn('\n⚠ e2e SKIPPED: Chromium not found. Install it with:\n    sudo apt-get install -y chromium fonts-wqy-zenhei\n  (or set CHROMIUM_PATH), then run npm test again.\n');
}
const args = ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), ...process.argv.slice(2)];
process.exit(run('npx', args));
