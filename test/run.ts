/**
 * `npm test`: type-check, then every test tier. The e2e tier needs Debian's Chromium: without it
 * the run says e2e was skipped and how to install it — except under CI, where e2e is mandatory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from './e2e/browser.js';

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (run('npx', ['tsc', '--noEmit']) !== 0) process.exit(1);

// Integration and e2e each start their own local runtime (handlers read their environment once per
// process, as in Lambda), so each runs in its own vitest process.
const runs: string[][] = [['unit', 'infra'], ['integration']];
const browser = chromiumPath();
if (browser && existsSync(browser)) runs.push(['e2e']);
else if (process.env.CI) {
  console.error(`e2e: Chromium not found at ${browser ?? '/usr/bin/chromium'} — CI requires the browser tests (.ci/run installs it).`);
  process.exit(1);
} else {
  console.warn('\n⚠ e2e SKIPPED: Chromium not found. Install it with:\n    sudo apt-get install -y chromium fonts-wqy-zenhei\n  (or set CHROMIUM_PATH), then run npm test again.\n');
}
let failed = 0;
for (const projects of runs) {
  if (run('npx', ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), ...process.argv.slice(2)]) !== 0) failed++;
}
process.exit(failed ? 1 : 0);
