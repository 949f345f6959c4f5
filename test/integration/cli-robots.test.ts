/**
 * The CLI's `robot` command against the running local runtime (in process, as test/integration/cli.test.ts
 * runs the CLI), with the fake robot (test/fixtures/fake-robot.ts) as the group: register, list, replace,
 * remove; the URL is never printed back, the stored robot opens with the service's signing key and
 * posts, and a re-import of the org keeps it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/cli.js';
import { openWebhook, postRobot, robotMessage } from '../../functions/reminders/robots.js';
import type { ReminderJob } from '../../functions/reminders/jobs.js';
import { Campaign } from '../../schemas/campaigns.js';
import { summaryStore } from '../../functions/plans/store.js';
import { type FakeRobot, startFakeRobot } from '../fixtures/fake-robot.js';
import { HAN, seedCampaign, useRuntime } from './helpers.js';

const rt = useRuntime();
const seeded = Campaign.parse(seedCampaign());
const dir = mkdtempSync(join(tmpdir(), 'psy-it-robot-'));
const runtimeFile = join(dir, 'runtime.json');
writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, env: rt.env }));

const KEY = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const KEY2 = 'ffee0011-2233-4455-6677-8899aabbccdd';
const TOKEN = 'ab12'.repeat(16);
const SECRET = `SEC${'5d'.repeat(32)}`;
const ORG = 'it-rb-s1';
// No contact e-mails: the runtime is shared, and an org with one would receive the invitations another
// test file sends (and expects to have sent already).
const csv = (name: string) =>
  `id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone\nit-rb-d,集成测试机器人县区,district,,,,,\n${ORG},${name},school,it-rb-d,,,,\n`;
const csvFile = (name: string) => {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, csv(name));
  return file;
};

let fake: FakeRobot;
beforeAll(async () => {
  fake = await startFakeRobot();
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (l) => (stdout += `${l}\n`), err: (l) => (stderr += `${l}\n`) }, { ...process.env, PSY_RUNTIME_FILE: runtimeFile });
  // Whatever happened, the credentials are never printed.
  for (const secret of [KEY, KEY2, TOKEN, SECRET, fake.origin]) expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}
const stored = async () => (await rt.ops.listOrgs()).find((o) => o.id === ORG);
/** The org as the campaign's status item holds it: the snapshot a reminder sweep addresses it from. */
const snapshot = async () => (await summaryStore(rt.ddb, rt.table).get(seeded.id, ORG))?.org;
const keyBytes = () => new TextEncoder().encode(rt.env.SIGNING_KEY);

describe('npm run cli -- robot', () => {
  it('registers, lists, replaces and removes an org’s robots; they open and post; an import keeps them', async () => {
    expect((await cli('import-orgs', csvFile('集成测试机器人小学'))).code).toBe(0);
    expect(await cli('robot', '--org', ORG)).toEqual({ code: 0, stdout: `集成测试机器人小学（${ORG}）未登记群机器人。\n`, stderr: '' });

    // Register both kinds (loopback: the local runtime allows the fake robot).
    const wecom = await cli('robot', '--org', ORG, '--kind', 'wecom', '--url', fake.wecomUrl(KEY));
    expect(wecom).toEqual({ code: 0, stdout: `已登记 集成测试机器人小学（${ORG}）的企业微信群机器人：企业微信 …key=0a1b…（本地测试）。地址已加密保存，此后只显示提示。\n`, stderr: '' });
    const ding = await cli('robot', '--org', ORG, '--kind', 'dingtalk', '--url', fake.dingtalkUrl(TOKEN), '--secret', SECRET);
    expect(ding.code, ding.stderr).toBe(0);
    expect(ding.stdout).toContain('钉钉 …access_token=ab12…（加签）（本地测试）');

    const list = await cli('robot', '--org', ORG);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^集成测试机器人小学（${ORG}）的群机器人：\\n {2}钉钉 …access_token=ab12…（加签）（本地测试） {2}登记于 \\d{4}年\\d+月\\d+日 \\d\\d:\\d\\d\\n {2}企业微信 …key=0a1b…（本地测试） {2}登记于 `),
    );

    // Stored sealed; opened with the service's signing key, the DingTalk one posts a signed message.
    const org = await stored();
    expect(org?.robots?.map((r) => r.kind)).toEqual(['dingtalk', 'wecom']);
    expect(JSON.stringify(org)).not.toContain(TOKEN);
    expect((await snapshot())?.robots).toEqual(org?.robots);
    const hook = openWebhook(org?.robots?.[0]?.sealed ?? '', keyBytes());
    expect(hook).toEqual({ kind: 'dingtalk', url: fake.dingtalkUrl(TOKEN), secret: SECRET });
    fake.setSecret(TOKEN, SECRET);
    const job = {
      kind: 'org',
      key: `remind#${seeded.id}#${ORG}#before-7#20190623`,
      campaign: seeded,
      org: org!,
      rule: 'before',
      daysLeft: 7,
      deadline: seeded.deadline,
      missing: seeded.documents,
    } satisfies ReminderJob;
    await postRobot(hook, robotMessage(job, 'dingtalk'));
    expect(fake.received.map((r) => [r.kind, r.key, r.outcome])).toEqual([['dingtalk', TOKEN, 'ok']]);
    expect((fake.received[0]?.parsed as { markdown: { text: string } }).markdown.text).toContain('**集成测试机器人小学**');

    // A re-import (renamed school) rewrites the org and keeps its robots.
    const again = await cli('import-orgs', csvFile('集成测试机器人小学（更名）'));
    expect(again.stdout).toBe('导入完成：新增 0 个，更新 2 个机构。\n');
    const renamed = await stored();
    expect(renamed?.name).toBe('集成测试机器人小学（更名）');
    expect(renamed?.robots).toEqual(org?.robots);

    // Replacing the WeCom robot: one per kind, the new key.
    const replaced = await cli('robot', '--org', ORG, '--kind', 'wecom', '--url', fake.wecomUrl(KEY2));
    expect(replaced.stdout).toMatch(/^已更换 .*企业微信 …key=ffee…/);
    expect((await stored())?.robots?.map((r) => r.hint)).toEqual(['钉钉 …access_token=ab12…（加签）（本地测试）', '企业微信 …key=ffee…（本地测试）']);

    // Removing: once, then nothing to remove.
    const removed = await cli('robot', '--org', ORG, '--kind', 'wecom', '--remove');
    expect(removed).toEqual({ code: 0, stdout: `已删除 集成测试机器人小学（更名）（${ORG}）的企业微信群机器人（企业微信 …key=ffee…（本地测试））。\n`, stderr: '' });
    expect((await cli('robot', '--org', ORG, '--kind', 'wecom', '--remove')).stdout).toBe(`集成测试机器人小学（更名）（${ORG}）没有登记企业微信群机器人，无需删除。\n`);
    expect((await stored())?.robots?.map((r) => r.kind)).toEqual(['dingtalk']);
    expect((await cli('robot', '--org', ORG, '--kind', 'dingtalk', '--remove')).code).toBe(0);
    expect((await stored())?.robots).toBeUndefined();
    expect((await snapshot())?.robots).toBeUndefined();
    expect((await snapshot())?.name).toBe('集成测试机器人小学（更名）');
  });

  it('refuses a bad URL, kind or combination in plain Chinese, without echoing what was typed', async () => {
    const lookalike = await cli('robot', '--org', 'it-rb-d', '--kind', 'wecom', '--url', `https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send?key=${KEY}`);
    expect(lookalike.code).toBe(1);
    expect(lookalike.stderr).toMatch(/^群机器人未登记：企业微信群机器人地址的域名必须是 qyapi\.weixin\.qq\.com，应形如 https:\/\/qyapi/);
    expect(lookalike.stderr).not.toContain('evil');

    const secretForWecom = await cli('robot', '--org', 'it-rb-d', '--kind', 'wecom', '--url', fake.wecomUrl(KEY), '--secret', SECRET);
    expect(secretForWecom.stderr).toBe('群机器人未登记：企业微信群机器人没有加签密钥：请不要填写 secret\n');

    expect((await cli('robot', '--org', 'it-rb-d', '--kind', 'feishu', '--url', fake.wecomUrl(KEY))).stderr).toBe('--kind 应为 wecom（企业微信）或 dingtalk（钉钉）\n');
    expect((await cli('robot', '--org', 'it-rb-d', '--url', fake.wecomUrl(KEY))).stderr).toMatch(/^缺少 --kind/);
    expect((await cli('robot', '--org', 'it-rb-d', '--kind', 'wecom', '--remove', '--url', fake.wecomUrl(KEY))).stderr).toBe('--remove 不能与 --url、--secret 同时使用\n');
    expect((await cli('robot', '--org', 'it-rb-d', '--kind', 'wecom')).stderr).toMatch(/^登记群机器人需要 --url，删除需要 --remove/);
    expect((await cli('robot', '--kind', 'wecom')).stderr).toMatch(/^缺少 --org/);

    const nobody = await cli('robot', '--org', 'it-rb-nobody', '--kind', 'wecom', '--url', fake.wecomUrl(KEY));
    expect(nobody).toEqual({ code: 1, stdout: '', stderr: '机构不存在：it-rb-nobody\n' });
    expect((await cli('robot', '--org', 'it-rb-nobody')).stderr).toBe('机构不存在：it-rb-nobody\n');
  });

  it('the loopback URL is only for the local runtime: without allowLoopback (as with --cloud) it is refused', async () => {
    await expect(rt.ops.setRobot('it-rb-d', { kind: 'wecom', url: fake.wecomUrl(KEY) })).rejects.toThrow(/^群机器人未登记：企业微信群机器人地址必须以 https:\/\/ 开头/);
    await expect(rt.ops.setRobot('it-rb-d', { kind: 'wecom', url: fake.wecomUrl(KEY) })).rejects.toThrow(HAN);
  });
});
