/**
 * `npm run dev`: the whole service in one process on 127.0.0.1 — emulators, the HTTP API and pages,
 * the mail inbox — with state under .local/, seeded on first start.
 */
import { readFileSync, rmSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readEnv } from '../functions/shared/env.js';
import { signingKeySource } from '../functions/shared/tokens.js';
import { admin } from './admin.js';
import { ROOT, startRuntime } from './runtime.js';
import { seed, SEED_CAMPAIGN, SEED_ROSTER_SCHOOL } from './seed/seed.js';
import { compareClasses } from '../functions/contacts/completeness.js';

// A port already in use is the one start-up failure a person can fix: say how.
const portHelp = (e: unknown) => {
  if ((e as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') return false;
  const port = (e as { port?: number }).port;
  console.error(`端口 ${port ?? ''} 已被占用（另一个 npm run dev 还在运行？）。可换端口，例如：PORT=${Number(process.env.PORT ?? 3000) + 1} SES_PORT=${Number(process.env.SES_PORT ?? 8005) + 1} npm run dev`);
  process.exit(1);
};

const dir = resolve(ROOT, '.local');
const rt = await startRuntime({
  dir,
  port: Number(process.env.PORT ?? 3000),
  sesPort: Number(process.env.SES_PORT ?? 8005),
  domainNow: process.env.DEV_NOW,
}).catch((e: unknown) => {
  portHelp(e);
  throw e;
});
const env = readEnv(process.env);
const ops = admin(env, signingKeySource(env));
if (rt.fresh) {
  const r = await seed(ops);
  console.log(`seeded: ${r.orgs} orgs, campaign ${SEED_CAMPAIGN}, ${r.invites} invitation mails sent`);
}
else await ops.syncStatus();
// The CLI (`npm run cli`) talks to this process's emulators through this file.
const runtimeFile = resolve(dir, 'runtime.json');
writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, env: rt.env }, null, 2), { mode: 0o600 });

const orgs = await ops.listOrgs();
const school = orgs.find((o) => o.districtId === 'd-donghu') ?? orgs.find((o) => o.kind === 'school');
const bureau = orgs.find((o) => o.kind === 'bureau');
const district = orgs.find((o) => o.id === school?.districtId);
const centre = orgs.find((o) => o.kind === 'centre');
const links = await Promise.all([bureau, school, district, centre].map((o) => (o ? ops.issueLink(o.id, SEED_CAMPAIGN).catch(() => undefined) : undefined)));
// Parent-contact logs: a head teacher and a crisis group member of the seeded roster, and that school's administrator.
const roster = await ops.roster(SEED_ROSTER_SCHOOL);
const firstClass = roster && Object.entries(roster.classes).sort(([ia, a], [ib, b]) => compareClasses({ id: ia, ...a }, { id: ib, ...b }))[0];
const crisis = roster && Object.entries(roster.staff).find(([, s]) => s.roles.includes('crisis'));
const [teacherLink, crisisLink, rosterAdmin] = await Promise.all([
  firstClass ? ops.personLink(SEED_ROSTER_SCHOOL, `h.${firstClass[0]}`, firstClass[1].v) : undefined,
  crisis ? ops.personLink(SEED_ROSTER_SCHOOL, `s.${crisis[0]}`, crisis[1].v) : undefined,
  roster ? ops.issueLink(SEED_ROSTER_SCHOOL, SEED_CAMPAIGN).catch(() => undefined) : undefined,
]);
console.log(`
心理服务报送平台 — local runtime is up (domain time ${ops.clock.now().toISOString()})

  Bureau status page:  ${links[0]?.url ?? '(no bureau org)'}
  A school's upload:   ${links[1]?.url ?? '(no school org)'}   (${school?.name ?? ''})
  Its District office: ${links[2]?.url ?? '(no district org)'}   (${district?.name ?? ''}: /review, /bundles)
  The Centre:          ${links[3]?.url ?? '(no centre org)'}   (receives the bundles: /bundles)
  Parent-contact logs (${SEED_ROSTER_SCHOOL}):
    A head teacher:    ${teacherLink ?? '(no roster)'}   (${firstClass ? `${firstClass[1].grade}${firstClass[1].label} ${firstClass[1].teacher}` : ''}: log a contact)
    Crisis group:      ${crisisLink ?? '(no roster)'}   (open concerns, acknowledge)
    School admin:      ${rosterAdmin?.url ?? '(no roster)'}   (then /roster and /contact-rates)
  Mail inbox:          ${rt.sesUrl}/
  Admin CLI:           npm run cli -- help
  Reminders:           npm run tick -- --at 2019-06-23T09:00+08:00   (moves the domain time, runs what is due)
                       npm run tick -- --at 2019-06-07T15:00+08:00   (Friday: head teachers who have not logged this week)

Ctrl-C to stop; state is kept in .local/ (delete it to reseed).
`);

// `npm run tick -- --at <ISO>` moves the domain clock by rewriting its anchor: follow it (pages, scheduler).
const clockFile = resolve(dir, 'clock');
watchFile(clockFile, { interval: 500 }, () => {
  const anchor = readFileSync(clockFile, 'utf8').trim();
  if (anchor && anchor !== process.env.DOMAIN_CLOCK) {
    process.env.DOMAIN_CLOCK = anchor;
    console.log(`domain time moved to ${ops.clock.now().toISOString()}`);
  }
});

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    rmSync(runtimeFile, { force: true });
    unwatchFile(clockFile);
    rt.stop().then(() => process.exit(0));
  });
}
