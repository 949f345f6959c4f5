/**
 * Admin CLI: `npm run cli -- <command> [options]`.
 * Local by default (talks to the emulators of a running `npm run dev`); `--cloud` uses the
 * deployment named by TABLE_NAME, BUCKET_NAME, SITE_ORIGIN, SIGNING_SECRET_ARN, MAIL_FROM and the
 * standard AWS credentials and region.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../schemas/env.js';
import { readEnv } from '../functions/shared/env.js';
import { formatBeijing } from '../functions/shared/clock.js';
import { statusCsv } from '../functions/plans/rules.js';
import { signingKeySource } from '../functions/shared/tokens.js';
import { admin, AdminError } from './admin.js';
import { ROOT } from './runtime.js';

const USAGE = `用法: npm run cli -- <命令> [选项]

  import-orgs <orgs.csv>                       导入/更新机构（有任何错误行则整份不导入）
  create-campaign <campaign.json> [--replace]  创建报送活动
  issue-link --org <id> --campaign <id>        生成某单位的专属链接
  revoke-link --org <id>                       停用某单位已发出的全部链接和登录
  send-invites --campaign <id>                 发送邀请邮件（已发送过的不会重发）
  status --campaign <id> [--csv <file>]        报送情况（按县区汇总；--csv 导出明细）
  download --campaign <id> --out <file.zip>    下载全部已交文件（每单位每份材料的最新版本 + 清单.csv）
  orgs | campaigns                             列出机构 / 活动

  --cloud   针对云端部署（读取 TABLE_NAME、SITE_ORIGIN、SIGNING_SECRET_ARN、MAIL_FROM 等环境变量）
            默认针对本地 npm run dev`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      campaign: { type: 'string' },
      csv: { type: 'string' },
      out: { type: 'string' },
      replace: { type: 'boolean' },
      cloud: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, arg] = positionals;
  if (!cmd || values.help || cmd === 'help') {
    console.log(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  const need = (v: string | undefined, name: string) => {
    if (!v) throw new AdminError(`缺少 --${name}\n\n${USAGE}`);
    return v;
  };
  const ops = await connect(values.cloud === true);

  switch (cmd) {
    case 'import-orgs': {
      const r = await ops.importOrgs(readFileSync(need(arg, 'file'), 'utf8'));
      if (!r.ok) {
        console.error(`导入失败，未导入任何机构（共 ${r.errors.length} 处错误）：`);
        for (const e of r.errors) console.error(`  第 ${e.line} 行：${e.reason}`);
        return 1;
      }
      console.log(`导入完成：新增 ${r.created} 个，更新 ${r.updated} 个机构。`);
      return 0;
    }
    case 'create-campaign': {
      const c = await ops.createCampaign(readFileSync(need(arg, 'file'), 'utf8'), values.replace === true);
      console.log(`已创建活动 ${c.id}：${c.title}，截止 ${formatBeijing(c.deadline)}（北京时间）`);
      return 0;
    }
    case 'issue-link': {
      const { org, url } = await ops.issueLink(need(values.org, 'org'), need(values.campaign, 'campaign'));
      console.log(`${org.name}\n${url}`);
      return 0;
    }
    case 'revoke-link': {
      const v = await ops.revokeLink(need(values.org, 'org'));
      console.log(`已停用 ${values.org} 的全部旧链接（令牌版本 → ${v}）。用 issue-link 或 send-invites 发新链接。`);
      return 0;
    }
    case 'send-invites': {
      const r = await ops.sendInvites(need(values.campaign, 'campaign'));
      for (const s of r.sent) console.log(`  已发送  ${s.orgId} → ${s.to.join(', ')}`);
      for (const s of r.skipped) console.log(`  跳过    ${s.orgId}：${s.reason}`);
      for (const f of r.failed) console.error(`  失败    ${f.orgId}：${f.error}`);
      console.log(`本次发送 ${r.sent.length} 封，此前已发送 ${r.already.length} 个单位，跳过 ${r.skipped.length}，失败 ${r.failed.length}。`);
      return r.failed.length ? 1 : 0;
    }
    case 'status': {
      const s = await ops.status(need(values.campaign, 'campaign'));
      console.log(`${s.campaign.title}（截止 ${formatBeijing(s.campaign.deadline)}，当前 ${formatBeijing(ops.clock.now())}）`);
      for (const t of s.totals)
        console.log(`  ${t.name.padEnd(16, '　')} 应报 ${t.orgs}  报齐 ${t.complete}  ${s.campaign.documents.map((d) => `${d.title} ${t.byDocument[d.kind]}`).join('  ')}  逾期 ${t.late}`);
      if (values.csv) {
        writeFileSync(values.csv, statusCsv(s.campaign, s.rows, s.totals));
        console.log(`明细已写入 ${values.csv}`);
      }
      return 0;
    }
    case 'download': {
      const out = need(values.out, 'out');
      const r = await ops.download(need(values.campaign, 'campaign'), out);
      console.log(`已写入 ${out}：${r.entries} 个文件，共 ${(r.bytes / 1024 / 1024).toFixed(1)} MB（含 清单.csv；每个文件的 SHA-256 均已核对）`);
      return 0;
    }
    case 'orgs':
      for (const o of await ops.listOrgs()) console.log(`${o.id}\t${o.kind}\t${o.districtId ?? o.directKind ?? ''}\t${o.name}\t${o.contacts.map((c) => c.email).join(',')}`);
      return 0;
    case 'campaigns':
      for (const c of await ops.listCampaigns()) console.log(`${c.id}\t${formatBeijing(c.deadline)}\t${c.title}`);
      return 0;
    default:
      console.error(`未知命令：${cmd}\n\n${USAGE}`);
      return 2;
  }
}

async function connect(cloud: boolean) {
  let env: Env;
  if (cloud) {
    try {
      env = readEnv(process.env);
    } catch (e) {
      throw new AdminError(`云端配置不完整（${(e as Error).message.replace(/^Invalid configuration: /, '')}）。请先按 README「Deploy guide」导出 TABLE_NAME、BUCKET_NAME、SITE_ORIGIN、SIGNING_SECRET_ARN、MAIL_FROM。`);
    }
  } else {
    const file = process.env.PSY_RUNTIME_FILE ?? resolve(ROOT, '.local/runtime.json');
    const local = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number; env: Record<string, string> }) : undefined;
    if (!local || !alive(local.pid)) throw new AdminError('本地服务未运行：请先在另一个终端运行 npm run dev（或加 --cloud 针对云端部署）。');
    Object.assign(process.env, local.env);
    env = readEnv(process.env);
  }
  const key = env.SIGNING_KEY
    ? signingKeySource(env)
    : async () => {
        const r = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env.SIGNING_SECRET_ARN }));
        if (!r.SecretString) throw new AdminError('签名密钥为空。');
        return new TextEncoder().encode(r.SecretString);
      };
  return admin(env, key);
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof AdminError || (e as Error).name === 'TypeError' ? (e as Error).message : e);
    process.exit(1);
  },
);
