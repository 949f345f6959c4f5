/**
 * The admin CLI as an operator runs it: a child process (`npx tsx local/cli.ts …`) against the
 * running local runtime, found through PSY_RUNTIME_FILE.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, it } from 'vitest';
import { HAN, seedCampaign, useRuntime } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'psy-it-cli-'));
const runtimeFile = join(dir, 'runtime.json');
// As `npm run dev` writes it: the runtime's pid (here: this live test process) and its environment.
writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, env: rt.env }));
const staleFile = join(dir, 'stale.json');
writeFileSync(staleFile, JSON.stringify({ pid: 2 ** 22 + 12345, env: rt.env }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return cliWith(runtimeFile, ...args);
}

function cliWith(file: string, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((ok, fail) => {
    const child = spawn('npx', ['tsx', 'local/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, PSY_RUNTIME_FILE: file, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

/** The ids a CSV file names (first column), quoted line breaks and all. */
const idsIn = (csv: string) =>
  (parse(csv, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][])
    .slice(1)
    .map((r) => r[0]?.trim() ?? '')
    .filter((id) => id !== '');

// Each command is its own process (~2–5 s to start): run them side by side.
describe.concurrent('admin CLI', () => {
  it('--cloud without the deployment\'s variables says which are missing, without a stack trace', async ({ expect }) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
    for (const k of ['TABLE_NAME', 'BUCKET_NAME', 'SITE_ORIGIN', 'SIGNING_SECRET_ARN', 'SIGNING_KEY', 'MAIL_FROM']) delete env[k];
    const r = await new Promise<{ code: number | null; stderr: string }>((ok, fail) => {
      const child = spawn('npx', ['tsx', 'local/cli.ts', '--cloud', 'orgs'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', fail);
      child.on('close', (code) => ok({ code, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('云端配置不完整');
    expect(r.stderr).toContain('TABLE_NAME');
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('says plainly that the local service is not running when the runtime file is stale', async ({ expect }) => {
    const r = await cliWith(staleFile, 'orgs');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('本地服务未运行');
    expect(r.stdout).toBe('');
  });

  it('import-orgs with bad lines: exit 1, every bad line named with its reason, nothing stored', async ({ expect }) => {
    const file = 'test/fixtures/it-orgs-bad.csv';
    const ids = idsIn(readFileSync(resolve(ROOT, file), 'utf8'));
    const before = await rt.ops.listOrgs();
    expect(before.some((o) => ids.includes(o.id))).toBe(false);

    const r = await cli('import-orgs', file);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('导入失败，未导入任何机构（共 4 处错误）');
    expect(r.stderr).toMatch(/第 4 行：所属县区“it-cli-nowhere”不存在/);
    expect(r.stderr).toMatch(/第 5 行：邮箱“not-an-email”格式不正确/);
    expect(r.stderr).toMatch(/第 6 行：编号“IT_CLI_S4”无效/);
    expect(r.stderr).toMatch(/第 7 行：学校不能同时填写所属县区和直属类别/);
    expect(r.stderr).not.toMatch(/第 [23] 行/); // the good lines are not blamed
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);

    const after = await rt.ops.listOrgs();
    expect(after.filter((o) => ids.includes(o.id))).toEqual([]);
    // Nothing of the seed was touched either.
    const seededBefore = before.filter((o) => !o.id.startsWith('it-'));
    expect(after.filter((o) => !o.id.startsWith('it-'))).toEqual(seededBefore);
  });

  it.runIf(existsSync(resolve(ROOT, 'test/fixtures/orgs-bad.csv')))('import-orgs test/fixtures/orgs-bad.csv: exit 1, 第 N 行 reasons, nothing stored', async ({ expect }) => {
    const file = 'test/fixtures/orgs-bad.csv';
    const ids = idsIn(readFileSync(resolve(ROOT, file), 'utf8'));
    const before = await rt.ops.listOrgs();
    const known = new Set(before.map((o) => o.id));
    const r = await cli('import-orgs', file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/第 \d+ 行：\S*[\u4e00-\u9fff]/);
    const after = await rt.ops.listOrgs();
    expect(after.filter((o) => ids.includes(o.id) && !known.has(o.id))).toEqual([]);
    for (const o of before.filter((x) => ids.includes(x.id))) expect(after.find((x) => x.id === o.id)).toEqual(o);
  });

  it('status --campaign 2019-plans prints the totals (exit 0)', async ({ expect }) => {
    const r = await cli('status', '--campaign', seeded.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(seeded.title);
    expect(r.stdout).toContain('2019年6月30日 23:59');
    const s = await rt.ops.status(seeded.id);
    expect(s.totals.length).toBeGreaterThan(1);
    const seededDistricts = (await rt.ops.listOrgs()).filter((o) => o.kind === 'district' && !o.id.startsWith('it-'));
    for (const d of seededDistricts) {
      const line = r.stdout.split('\n').find((l) => l.includes(d.name));
      expect(line, d.name).toBeDefined();
      expect(line).toMatch(/应报 \d+ {2}报齐 \d+/);
    }
    expect(r.stdout).toMatch(/直属学校.*应报 \d+/);
    for (const d of seeded.documents) expect(r.stdout).toContain(d.title);
  });

  it('issue-link for an unknown org: exit 1 with a Chinese message', async ({ expect }) => {
    const r = await cli('issue-link', '--org', 'it-cli-nobody', '--campaign', seeded.id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('机构不存在：it-cli-nobody');
    expect(r.stderr).toMatch(HAN);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(r.stdout).not.toMatch(/\/l\//);

    const missing = await cli('issue-link', '--org', 'it-cli-nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('缺少 --campaign');
  });

  it('issue-link for a seeded school prints a link that opens its upload page', async ({ expect }) => {
    const school = (await rt.ops.listOrgs()).find((o) => o.kind === 'school' && !o.id.startsWith('it-'));
    const r = await cli('issue-link', '--org', school?.id as string, '--campaign', seeded.id);
    expect(r.code, r.stderr).toBe(0);
    const [name, url] = r.stdout.trim().split('\n');
    expect(name).toBe(school?.name);
    expect(url).toMatch(new RegExp(`^${rt.baseUrl}/l/`));
    const res = await fetch(url as string, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/upload');
  });
});
