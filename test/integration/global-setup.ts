/**
 * Starts the local runtime (real emulators over real HTTP) on free ports in a fresh temp folder,
 * seeded like `npm run dev`, and hands its addresses and environment to the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { readEnv } from '../../functions/shared/env.js';
import { signingKeySource } from '../../functions/shared/tokens.js';
import { admin } from '../../local/admin.js';
import { startRuntime } from '../../local/runtime.js';
import { seed } from '../../local/seed/seed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    sesUrl: string;
    runtimeEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'psy-it-'));
  const rt = await startRuntime({ dir, port: 0, sesPort: 0, quiet: true, scheduler: false });
  await seed(admin(readEnv(process.env), signingKeySource(readEnv(process.env))));
  project.provide('baseUrl', rt.url);
  project.provide('sesUrl', rt.sesUrl);
  project.provide('runtimeEnv', rt.env);
  return async () => {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
