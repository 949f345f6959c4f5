/**
 * A local runtime of the test's own, in a child process (runtime-child.ts), whose domain clock the
 * test sets: stop it, remove its clock anchor, start it again on the same state with a new DEV_NOW —
 * what a developer does with `npm run dev` (the state folder's `clock` file is the runtime's anchor,
 * "<domain ISO>|<real ISO>"; functions read it as DOMAIN_CLOCK when they start). Everything else
 * (tables, objects, signing key, sessions) is kept across restarts; the mail inbox is not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const CHILD = resolve(import.meta.dirname, 'runtime-child.ts');

export interface Started {
  url: string;
  sesUrl: string;
  fresh: boolean;
  /** The runtime's domain time just after start-up. */
  domainNow: string;
  /** The anchor the functions run on: "<domain ISO>|<real ISO>". */
  clock: string;
  links: Record<string, string>;
  /** The runtime's environment (emulator endpoints, table, queue): an admin in the test's process talks to the same state. */
  env: Record<string, string>;
}

export interface OwnRuntime extends Started {
  stop(): Promise<void>;
  /** What the child wrote to stderr (for failure messages). */
  log(): string;
}

/** Starts the runtime on `dir` (port 0 = any); with `domainNow`, the clock anchor is set anew first. */
export async function startOwnRuntime(dir: string, opts: { port?: number; domainNow: string; orgIds: string[] }): Promise<OwnRuntime> {
  rmSync(resolve(dir, 'clock'), { force: true });
  const child: ChildProcess = spawn(TSX, [CHILD, dir, String(opts.port ?? 0), opts.domainNow, ...opts.orgIds], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const started = await new Promise<Started>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`runtime did not start in 60 s:\n${err}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        ok(JSON.parse(line.slice('READY '.length)) as Started);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`runtime exited (${code}) before it was ready:\n${err}`));
    });
  });
  const anchor = existsSync(resolve(dir, 'clock')) ? readFileSync(resolve(dir, 'clock'), 'utf8').trim() : '';
  if (anchor !== started.clock) throw new Error(`the runtime runs on ${started.clock}, its folder says ${anchor}`);
  return {
    ...started,
    log: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((ok) => setTimeout(() => ok('timeout'), 20_000))]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
