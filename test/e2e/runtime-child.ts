/**
 * Child process for the e2e tests that need the domain clock somewhere else (own-runtime.ts): starts
 * the local runtime (local/runtime.ts, exactly what `npm run dev` starts) on a state folder, seeds it
 * when fresh, issues links for the orgs named, prints one line "READY {json}" and runs until SIGTERM.
 *
 *   tsx test/e2e/runtime-child.ts <dir> <port> <domainNow ISO> [orgId …]
 *
 * `domainNow` is DEV_NOW: it takes effect only when the folder has no clock anchor (<dir>/clock) yet.
 */
import { readEnv } from '../../functions/shared/env.js';
import { signingKeySource } from '../../functions/shared/tokens.js';
import { admin } from '../../local/admin.js';
import { startRuntime } from '../../local/runtime.js';
import { seed, SEED_CAMPAIGN } from '../../local/seed/seed.js';

const [dir, port, domainNow, ...orgIds] = process.argv.slice(2);
if (!dir || !port || !domainNow) throw new Error('usage: runtime-child.ts <dir> <port> <domainNow> [orgId …]');

const rt = await startRuntime({ dir, port: Number(port), sesPort: 0, domainNow, quiet: true, scheduler: false });
const env = readEnv(process.env);
const ops = admin(env, signingKeySource(env));
if (rt.fresh) await seed(ops);
const links: Record<string, string> = {};
for (const id of orgIds) links[id] = (await ops.issueLink(id, SEED_CAMPAIGN)).url;
process.stdout.write(`READY ${JSON.stringify({ url: rt.url, sesUrl: rt.sesUrl, fresh: rt.fresh, domainNow: ops.clock.now().toISOString(), clock: env.DOMAIN_CLOCK, links, env: rt.env })}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  rt.settled()
    .then(() => rt.stop())
    .then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
});
