/**
 * The admin CLI as an operator runs it, against the running local runtime found through
 * PSY_RUNTIME_FILE. The commands run in process (`main(argv, io, env)` of local/cli.ts: the same
 * code path as `npm run cli`, without a ~2–5 s tsx start per command, so the tests hold on a busy
 * machine); one smoke test spawns the real `npm run cli` to prove the script and its exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, it } from 'vitest';
import { main } from '../../local/cli.js';
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

const STACK = /\bat .+:\d+:\d+/;

/** Runs one command in process; what it printed, line by line, as a terminal would show it. */
async function run(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (l) => (stdout += `${l}\n`), err: (l) => (stderr += `${l}\n`) }, env);
  return { code, stdout, stderr };
}
const cli = (...args: string[]) => run(args, { ...process.env, PSY_RUNTIME_FILE: runtimeFile });
const cliWith = (file: string, ...args: string[]) => run(args, { ...process.env, PSY_RUNTIME_FILE: file });

/** The ids a CSV file names (first column), quoted line breaks and all. */
const idsIn = (csv: string) =>
  (parse(csv, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][])
    .slice(1)
    .map((r) => r[0]?.trim() ?? '')
    .filter((id) => id !== '');

const fixture = (name: string) => resolve(ROOT, 'test/fixtures', name);
const temp = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe.concurrent('admin CLI', () => {
  it("--cloud without the deployment's variables says which are missing, without a stack trace", async ({ expect }) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['TABLE_NAME', 'BUCKET_NAME', 'SITE_ORIGIN', 'SIGNING_SECRET_ARN', 'SIGNING_KEY', 'MAIL_FROM']) delete env[k];
    const r = await run(['--cloud', 'orgs'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('云端配置不完整');
    expect(r.stderr).toContain('TABLE_NAME');
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it('says plainly that the local service is not running when the runtime file is stale', async ({ expect }) => {
    const r = await cliWith(staleFile, 'orgs');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('本地服务未运行：请先在另一个终端运行 npm run dev（或加 --cloud 针对云端部署）。\n');
    expect(r.stdout).toBe('');
  });

  it('import-orgs with bad lines: exit 1, every bad line named with its reason, nothing stored', async ({ expect }) => {
    const file = fixture('it-orgs-bad.csv');
    const ids = idsIn(readFileSync(file, 'utf8'));
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
    expect(r.stderr).not.toMatch(STACK);

    const after = await rt.ops.listOrgs();
    expect(after.filter((o) => ids.includes(o.id))).toEqual([]);
    // Nothing of the seed was touched either.
    const seededBefore = before.filter((o) => !o.id.startsWith('it-'));
    expect(after.filter((o) => !o.id.startsWith('it-'))).toEqual(seededBefore);
  });

  it.runIf(existsSync(fixture('orgs-bad.csv')))('import-orgs test/fixtures/orgs-bad.csv: exit 1, 第 N 行 reasons, nothing stored', async ({ expect }) => {
    const file = fixture('orgs-bad.csv');
    const ids = idsIn(readFileSync(file, 'utf8'));
    const before = await rt.ops.listOrgs();
    const known = new Set(before.map((o) => o.id));
    const r = await cli('import-orgs', file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/第 \d+ 行：\S*[\u4e00-\u9fff]/);
    const after = await rt.ops.listOrgs();
    expect(after.filter((o) => ids.includes(o.id) && !known.has(o.id))).toEqual([]);
    for (const o of before.filter((x) => ids.includes(x.id))) expect(after.find((x) => x.id === o.id)).toEqual(o);
  });

  it('import-orgs of a missing or unreadable file: one plain line, exit 1', async ({ expect }) => {
    const missing = await cli('import-orgs', 'test/fixtures/no-such-orgs.csv');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: '找不到机构文件：test/fixtures/no-such-orgs.csv（请检查文件名和路径）\n' });
    const folder = await cli('import-orgs', dir);
    expect(folder).toEqual({ code: 1, stdout: '', stderr: `${dir} 是文件夹，不是机构文件\n` });
    const none = await cli('import-orgs');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('缺少文件名：npm run cli -- import-orgs orgs.csv\n');
  });

  it('import-orgs refuses a reserved word as an id, naming the line; nothing stored', async ({ expect }) => {
    const file = temp(
      'reserved.csv',
      'id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone\nit-cli-r-d,集成测试保留字县区,district,,,,,\ndirect,集成测试保留字学校,school,it-cli-r-d,,,,\n',
    );
    const r = await cli('import-orgs', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('导入失败，未导入任何机构（共 1 处错误）');
    expect(r.stderr).toMatch(/^ {2}第 3 行：编号“direct”是系统保留字，不能用作机构编号/m);
    const stored = (await rt.ops.listOrgs()).map((o) => o.id);
    expect(stored).not.toContain('it-cli-r-d');
    expect(stored).not.toContain('direct');
  });

  it('import-orgs: orgs without an e-mail import with a warning per line; a re-import reports them as updated', async ({ expect }) => {
    const file = fixture('orgs-it-no-email.csv');
    const ids = idsIn(readFileSync(file, 'utf8'));
    const first = await cli('import-orgs', file);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('导入完成：新增 3 个，更新 0 个机构。\n');
    expect(first.stderr.split('\n')).toEqual([
      '注意（共 3 处，不影响导入）：',
      '  第 2 行：县区“集成测试无邮箱县区”（it-cli-w-d）没有联系邮箱，将无法收到邀请和提醒',
      '  第 3 行：学校“集成测试无邮箱甲小学”（it-cli-w-s1）没有联系邮箱，将无法收到邀请和提醒',
      '  第 4 行：学校“集成测试无邮箱乙小学”（it-cli-w-s2）没有联系邮箱，将无法收到邀请和提醒',
      '',
    ]);
    const stored = (await rt.ops.listOrgs()).filter((o) => ids.includes(o.id));
    // In gsi1 order: the District's route key D#it-cli-w-d, then DIRECT.
    expect(stored.map((o) => [o.id, o.districtId ?? o.directKind, o.contacts])).toEqual([
      ['it-cli-w-d', undefined, []],
      ['it-cli-w-s1', 'it-cli-w-d', []],
      ['it-cli-w-s2', '局属学校', []],
    ]);

    const again = await cli('import-orgs', file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('导入完成：新增 0 个，更新 3 个机构。\n');
  });

  it('create-campaign: every problem of the file at once, each field named with an example; nothing stored', async ({ expect }) => {
    const file = temp(
      'bad-campaign.json',
      JSON.stringify({
        id: 'it-cli-bad-camp',
        noticeNo: '测试〔2019〕1号',
        documents: [{ kind: 'Service Plan', title: '心理服务体系建设工作实施方案' }],
        deadline: '2019-06-30T23:59:59',
        audience: { orgIds: [seeded.receiverId, 'all', 'it-cli-nobody'] },
        receiverId: 'it-cli-nowhere',
        contact: { name: '魏洪' },
        dealine: '2019-06-30T23:59:59+08:00',
      }),
    );
    const r = await cli('create-campaign', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('活动文件有误（共 8 处），未创建活动：');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- 未知字段“dealine”：可用的字段为 id、title、/),
      '  - 缺少 title（活动名称）：2–100 个字，如 "南昌市中小学心理服务体系建设两个实施方案报送"',
      expect.stringMatching(/^ {2}- documents\[0\]\.kind（材料编号）“Service Plan”无效：.*如 "service-plan"$/),
      '  - deadline（截止时间）“2019-06-30T23:59:59”缺少时区：请写明时区，如 "2019-06-30T23:59:59+08:00"（北京时间）',
      '  - audience.orgIds[1]（报送范围中的机构编号）“all”无效：要报送给全部县区和学校，请写 "audience": "all"',
      '  - 缺少 contact.phone（联系电话），如 "0791-86612885"',
      '  - receiverId（接收单位）“it-cli-nowhere”不存在：应为已导入机构的编号，如 "centre"（请先 import-orgs）',
      '  - audience.orgIds（报送范围）中的机构不存在：it-cli-nobody（请先 import-orgs，或改正编号）',
    ]);
    expect((await rt.ops.listCampaigns()).map((c) => c.id)).not.toContain('it-cli-bad-camp');
  });

  it('create-campaign: a missing file or bad JSON is one plain line', async ({ expect }) => {
    expect(await cli('create-campaign', 'no-such-campaign.json')).toEqual({
      code: 1,
      stdout: '',
      stderr: '找不到活动文件：no-such-campaign.json（请检查文件名和路径）\n',
    });
    const broken = temp('broken.json', '{\n  "id": "it-cli-broken",\n  "title": "缺逗号"\n  "noticeNo": "x"\n}\n');
    const r = await cli('create-campaign', broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('活动文件不是有效的 JSON（第 4 行附近）：请检查英文逗号、英文双引号和括号是否成对（可参照 local/seed/campaign-2019.json）。\n');
  });

  it('create-campaign prints 已创建, refuses to overwrite without --replace, and prints 已更新 with it', async ({ expect }) => {
    const school = (await rt.ops.listOrgs()).find((o) => o.kind === 'school' && !o.id.startsWith('it-'));
    const campaign = {
      id: 'it-cli-camp',
      title: '集成测试命令行报送活动',
      noticeNo: '测试〔2019〕2号',
      documents: [{ kind: 'service-plan', title: '心理服务体系建设工作实施方案' }],
      deadline: '2019-06-30T23:59:59.999+08:00',
      audience: { orgIds: [school?.id] },
      receiverId: seeded.receiverId,
      contact: seeded.contact,
    };
    const file = temp('campaign.json', `\uFEFF${JSON.stringify(campaign, null, 2)}`);
    const created = await cli('create-campaign', file);
    expect(created).toEqual({ code: 0, stdout: '已创建活动 it-cli-camp：集成测试命令行报送活动，截止 2019年6月30日 23:59（北京时间）\n', stderr: '' });

    const refused = await cli('create-campaign', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('活动文件有误（共 1 处），未创建活动：\n  - 活动“it-cli-camp”已存在：如需用本文件覆盖，请加 --replace\n');

    const renamed = temp('campaign-2.json', JSON.stringify({ ...campaign, title: '集成测试命令行报送活动（更正）' }));
    const replaced = await cli('create-campaign', renamed, '--replace');
    expect(replaced).toEqual({ code: 0, stdout: '已更新活动 it-cli-camp：集成测试命令行报送活动（更正），截止 2019年6月30日 23:59（北京时间）\n', stderr: '' });
    expect((await rt.ops.listCampaigns()).find((c) => c.id === 'it-cli-camp')?.title).toBe('集成测试命令行报送活动（更正）');
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
    expect(r.stderr).not.toMatch(STACK);
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

describe('npm run cli (a real child process)', () => {
  // One spawned command proves the npm script, the entry-point check and the exit code; it may
  // take a while to start on a loaded machine (tsx compiles on the fly).
  it('status --campaign 2019-plans prints the totals and exits 0', { timeout: 120_000 }, async ({ expect }) => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((ok, fail) => {
      const child = spawn('npm', ['run', '--silent', 'cli', '--', 'status', '--campaign', seeded.id], {
        cwd: ROOT,
        env: { ...process.env, PSY_RUNTIME_FILE: runtimeFile, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', fail);
      child.on('close', (code) => ok({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toContain(seeded.title);
    expect(r.stdout).toMatch(/直属学校.*应报 \d+/);
  });
});
