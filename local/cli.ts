/**
 * Admin CLI: `npm run cli -- <command> [options]`.
 * Local by default (talks to the emulators of a running `npm run dev`); `--cloud` uses the
 * deployment named by TABLE_NAME, BUCKET_NAME, SITE_ORIGIN, SIGNING_SECRET_ARN, MAIL_FROM and the
 * standard AWS credentials and region.
 *
 * `main(argv, io, env)` runs in process (the tests call it directly); only when this file is the
 * entry script does it exit the process with main's code.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../schemas/env.js';
import { readEnv } from '../functions/shared/env.js';
import { formatBeijing } from '../functions/shared/clock.js';
import { statusCsv } from '../functions/plans/rules.js';
import { signingKeySource } from '../functions/shared/tokens.js';
import { admin, AdminError } from './admin.js';
import { ROBOT_LABEL, RobotKind } from '../schemas/robots.js';
import { ROOT } from './runtime.js';

const USAGE = `用法: npm run cli -- <命令> [选项]

  import-orgs <orgs.csv>                       导入/更新机构（有任何错误行则整份不导入）
  create-campaign <campaign.json> [--replace]  创建报送活动（--replace：更新已有的同编号活动）
  issue-link --org <id> --campaign <id>        生成某单位的专属链接
  revoke-link --org <id>                       停用某单位已发出的全部链接和登录
  send-invites --campaign <id>                 发送邀请邮件（已发送过的不会重发）
  status --campaign <id> [--csv <file>]        报送情况（按县区汇总；--csv 导出明细）
  download --campaign <id> --out <file.zip>    下载全部已交文件（每单位每份材料的最新版本 + 清单.csv）
  tick --at <时间> [--campaign <id>]           本地：把系统时间拨到该时刻，运行此刻到期的定时任务（提醒、汇总），
                                               等待邮件发完；时间如 2019-06-23T09:00+08:00
  close-campaign --campaign <id>               结束活动：此后不再发送任何提醒
  outbox [--redrive] [--resend <key>]          发件队列：待发数量、死信（多次失败或未确认）及原因；
                                               --redrive 修复后把死信放回队列（不会重复发送）；
                                               --resend 核实未收到后重发一封“发送中（未确认）”的邮件
  orgs | campaigns                             列出机构 / 活动
  robot --org <id>                             查看某单位登记的群机器人（只显示地址提示）
  robot --org <id> --kind wecom|dingtalk --url <地址> [--secret <SEC…>]
                                               登记企业微信或钉钉群机器人（同类已有的将被更换；地址请加引号）
  robot --org <id> --kind wecom|dingtalk --remove
                                               删除该单位的该类群机器人

  --cloud   针对云端部署（读取 TABLE_NAME、SITE_ORIGIN、SIGNING_SECRET_ARN、MAIL_FROM 等环境变量）
            默认针对本地 npm run dev`;

/** Where the CLI writes: one call per line (without the trailing newline). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

/**
 * Runs one CLI command; resolves to the exit code (0 ok, 1 failed, 2 usage). Never throws and never
 * exits the process: a problem the operator can fix is one plain message on `io.err`.
 * `env` supplies PSY_RUNTIME_FILE (local) or the deployment's variables (`--cloud`).
 */
export async function main(argv: string[], io: CliIo = consoleIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(argv, io, env);
  } catch (e) {
    if (e instanceof AdminError) io.err(e.message);
    // parseArgs: an unknown option or a missing option value.
    else if ((e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') io.err(`未知选项：${/'([^']+)'/.exec((e as Error).message)?.[1] ?? ''}\n\n${USAGE}`);
    else if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) io.err(`选项有误：${(e as Error).message}\n\n${USAGE}`);
    else io.err(env.PSY_DEBUG ? String((e as Error).stack ?? e) : `出错：${(e as Error).name}: ${(e as Error).message}（设置 PSY_DEBUG=1 可显示详细信息）`);
    return 1;
  }
}

/** A file the operator named, as text; a missing or unreadable one is one plain line. */
function readInput(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AdminError(`找不到${what}：${file}（请检查文件名和路径）`);
    if (code === 'EISDIR') throw new AdminError(`${file} 是文件夹，不是${what}`);
    if (code === 'EACCES' || code === 'EPERM') throw new AdminError(`没有权限读取${what}：${file}`);
    throw new AdminError(`无法读取${what}：${file}（${code ?? (e as Error).message}）`);
  }
}

async function run(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      campaign: { type: 'string' },
      csv: { type: 'string' },
      out: { type: 'string' },
      replace: { type: 'boolean' },
      kind: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string' },
      remove: { type: 'boolean' },
      at: { type: 'string' },
      redrive: { type: 'boolean' },
      resend: { type: 'string', multiple: true },
      cloud: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, arg] = positionals;
  if (!cmd || values.help || cmd === 'help') {
    io.out(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  const need = (v: string | undefined, name: string) => {
    if (!v) throw new AdminError(`缺少 --${name}\n\n${USAGE}`);
    return v;
  };
  const fileArg = (example: string) => {
    if (!arg) throw new AdminError(`缺少文件名：npm run cli -- ${cmd} ${example}`);
    return arg;
  };
  const KNOWN = ['import-orgs', 'create-campaign', 'issue-link', 'revoke-link', 'send-invites', 'status', 'download', 'orgs', 'campaigns', 'robot', 'tick', 'close-campaign', 'outbox'];
  if (!KNOWN.includes(cmd)) {
    io.err(`未知命令：${cmd}\n\n${USAGE}`);
    return 2;
  }
  // Files first: a missing file is reported without needing the service.
  const input =
    cmd === 'import-orgs' ? readInput(fileArg('orgs.csv'), '机构文件') : cmd === 'create-campaign' ? readInput(fileArg('campaign.json'), '活动文件') : '';
  const ops = await connect(values.cloud === true, env);

  switch (cmd) {
    case 'import-orgs': {
      const r = await ops.importOrgs(input);
      if (!r.ok) {
        io.err(`导入失败，未导入任何机构（共 ${r.errors.length} 处错误）：`);
        for (const e of r.errors) io.err(`  第 ${e.line} 行：${e.reason}`);
        return 1;
      }
      if (r.warnings.length) {
        io.err(`注意（共 ${r.warnings.length} 处，不影响导入）：`);
        for (const w of r.warnings) io.err(`  第 ${w.line} 行：${w.reason}`);
      }
      io.out(`导入完成：新增 ${r.created} 个，更新 ${r.updated} 个机构。${r.rerouted ? `${r.rerouted} 个单位的报送记录已随其调整所属县区。` : ''}`);
      return 0;
    }
    case 'create-campaign': {
      const { campaign: c, replaced } = await ops.createCampaign(input, values.replace === true);
      io.out(`${replaced ? '已更新' : '已创建'}活动 ${c.id}：${c.title}，截止 ${formatBeijing(c.deadline)}（北京时间）`);
      return 0;
    }
    case 'issue-link': {
      const { org, url } = await ops.issueLink(need(values.org, 'org'), need(values.campaign, 'campaign'));
      io.out(`${org.name}\n${url}`);
      return 0;
    }
    case 'revoke-link': {
      const v = await ops.revokeLink(need(values.org, 'org'));
      io.out(`已停用 ${values.org} 的全部旧链接（令牌版本 → ${v}）。用 issue-link 或 send-invites 发新链接。`);
      return 0;
    }
    case 'send-invites': {
      const r = await ops.sendInvites(need(values.campaign, 'campaign'));
      for (const s of r.queued) io.out(`  已发送  ${s.orgId} → ${s.to.join(', ')}`);
      for (const s of r.skipped) io.out(`  跳过    ${s.orgId}：${s.reason}`);
      for (const f of r.failed) io.err(`  失败    ${f.orgId}：${f.error}`);
      io.out(`本次发送 ${r.queued.length} 封，此前已发送 ${r.already.length} 个单位，跳过 ${r.skipped.length}，失败 ${r.failed.length}。`);
      const left = r.outbox.waiting + r.outbox.inFlight;
      if (left) io.out(`发件队列中还有 ${left} 封正在发送或等待重试（npm run cli -- outbox 查看）。`);
      return r.failed.length ? 1 : 0;
    }
    case 'status': {
      const s = await ops.status(need(values.campaign, 'campaign'));
      io.out(`${s.campaign.title}（截止 ${formatBeijing(s.campaign.deadline)}，当前 ${formatBeijing(ops.clock.now())}）`);
      for (const t of s.totals)
        io.out(`  ${t.name.padEnd(16, '　')} 应报 ${t.orgs}  报齐 ${t.complete}  ${s.campaign.documents.map((d) => `${d.title} ${t.byDocument[d.kind]}`).join('  ')}  逾期 ${t.late}`);
      if (values.csv) {
        writeFileSync(values.csv, statusCsv(s.campaign, s.rows, s.totals));
        io.out(`明细已写入 ${values.csv}`);
      }
      return 0;
    }
    case 'tick': {
      if (values.cloud) throw new AdminError('tick 只用于本地（云端由 EventBridge Scheduler 按时运行）。');
      const raw = need(values.at, 'at');
      const at = new Date(raw);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(at.getTime()))
        throw new AdminError(`--at 应为带时区的时间，如 2019-06-23T09:00+08:00，实际为 ${JSON.stringify(raw)}`);
      const now = ops.clock.now();
      if (at.getTime() < now.getTime() - 60_000) throw new AdminError(`只能把时间往后拨：当前系统时间为 ${formatBeijing(now)}（北京时间）。如需从头重放，请删除 .local/ 后以 DEV_NOW=<时间> npm run dev 重新启动。`);
      // The dev server follows this file (local/dev.ts): its pages and its scheduler move to the new time.
      const anchor = `${at.toISOString()}|${new Date().toISOString()}`;
      writeFileSync(resolve(dirname(runtimeFileOf(env)), 'clock'), anchor, { mode: 0o600 });
      process.env.DOMAIN_CLOCK = anchor;
      const r = await ops.tick(at, { campaignIds: values.campaign ? [values.campaign] : undefined });
      io.out(`系统时间已拨到 ${formatBeijing(at)}（北京时间）。`);
      for (const rep of r.reports)
        for (const c of rep.campaigns)
          io.out(c.skipped ? `  ${c.id}：${SKIP[c.skipped] ?? c.skipped}` : `  ${c.id}：未报齐 ${c.owing} 个单位，本次提醒 ${c.planned} 项，新入队 ${c.queued} 封，已发过 ${c.already} 封`);
      for (const c of r.contacts) {
        const n = c.reminders + c.missed + c.digests + c.watchLists + c.escalations;
        if (n) io.out(`  家校联系（${c.job}）：提醒 ${c.reminders} 封，连续缺记录 ${c.missed} 封，县区月报 ${c.digests} 封，每日关注名单 ${c.watchLists} 封，紧急未确认 ${c.escalations} 封（新入队 ${c.queued}，已发过 ${c.already}）`);
      }
      io.out(r.outbox.waiting + r.outbox.inFlight ? `发件队列中还有 ${r.outbox.waiting + r.outbox.inFlight} 封待发送（失败的会自动重试）。` : '邮件已全部发出，可在本地收件箱查看。');
      return 0;
    }
    case 'outbox': {
      if (values.redrive || values.resend?.length) {
        const r = await ops.redriveOutbox(values.resend ?? []);
        io.out(`已放回发件队列：死信 ${r.moved} 封${r.resent ? `，重发 ${r.resent} 封` : ''}。${r.outbox.waiting + r.outbox.inFlight ? `队列中还有 ${r.outbox.waiting + r.outbox.inFlight} 封正在发送或等待重试。` : '已全部处理。'}`);
        return 0;
      }
      const r = await ops.outbox();
      io.out(`发件队列：待发送 ${r.outbox.waiting} 封，发送中或等待重试 ${r.outbox.inFlight} 封。`);
      if (!r.deadLetters.length) {
        io.out('死信队列为空。');
        return 0;
      }
      io.out(`死信 ${r.deadLetters.length} 封（多次发送失败，或发送后未能确认）：`);
      const STATE: Record<string, string> = { claimed: '已登记', queued: '待重试', sending: '发送中（未确认是否已送达）', sent: '已发送', suppressed: '地址已退信，未发送', failed: '被拒绝' };
      for (const { key, entry } of r.deadLetters) {
        const about = entry?.about ? `${entry.about.kind}${entry.about.orgId ? ` ${entry.about.orgId}` : ''}` : '';
        io.out(`  ${key}  ${entry ? STATE[entry.state] ?? entry.state : '无发件记录'}  ${about}  尝试 ${entry?.attempts ?? 0} 次${entry?.error ? `  原因：${entry.error}` : ''}`);
      }
      io.out('修复原因后运行 npm run cli -- outbox --redrive；“发送中（未确认）”的邮件请先向收件人核实，确未收到再用 --resend <key> 重发。');
      return 0;
    }
    case 'close-campaign': {
      const r = await ops.closeCampaign(need(values.campaign, 'campaign'), ops.clock.now());
      io.out(r.already ? `活动 ${r.campaign.id} 已于 ${formatBeijing(r.campaign.closedAt ?? '')} 结束。` : `活动 ${r.campaign.id} 已结束：此后不再发送提醒。`);
      return 0;
    }
    case 'download': {
      const out = need(values.out, 'out');
      const r = await ops.download(need(values.campaign, 'campaign'), out);
      io.out(`已写入 ${out}：${r.entries} 个文件，共 ${(r.bytes / 1024 / 1024).toFixed(1)} MB（含 清单.csv；每个文件的 SHA-256 均已核对）`);
      return 0;
    }
    case 'robot': {
      // The URL (a credential for posting into the group) is never printed back: only its hint.
      const orgId = need(values.org, 'org');
      if (values.url === undefined && !values.remove) {
        if (values.kind !== undefined || values.secret !== undefined) throw new AdminError(`登记群机器人需要 --url，删除需要 --remove\n\n${USAGE}`);
        const { org, robots } = await ops.listRobots(orgId);
        if (!robots.length) io.out(`${org.name}（${org.id}）未登记群机器人。`);
        for (const [i, r] of robots.entries()) io.out(`${i ? '' : `${org.name}（${org.id}）的群机器人：\n`}  ${r.hint}  登记于 ${formatBeijing(r.addedAt)}`);
        return 0;
      }
      const kind = RobotKind.safeParse(need(values.kind, 'kind'));
      if (!kind.success) throw new AdminError('--kind 应为 wecom（企业微信）或 dingtalk（钉钉）');
      if (values.remove) {
        if (values.url !== undefined || values.secret !== undefined) throw new AdminError('--remove 不能与 --url、--secret 同时使用');
        const r = await ops.removeRobot(orgId, kind.data);
        io.out(r.removed ? `已删除 ${r.org.name}（${r.org.id}）的${r.label}群机器人（${r.removed}）。` : `${r.org.name}（${r.org.id}）没有登记${r.label}群机器人，无需删除。`);
        return 0;
      }
      // Loopback (a fake robot) only against the local runtime.
      const r = await ops.setRobot(orgId, { kind: kind.data, url: values.url, secret: values.secret }, { allowLoopback: values.cloud !== true });
      io.out(`已${r.replaced ? '更换' : '登记'} ${r.org.name}（${r.org.id}）的${ROBOT_LABEL[kind.data]}群机器人：${r.hint}。地址已加密保存，此后只显示提示。`);
      return 0;
    }
    case 'orgs':
      for (const o of await ops.listOrgs()) io.out(`${o.id}\t${o.kind}\t${o.districtId ?? o.directKind ?? ''}\t${o.name}\t${o.contacts.map((c) => c.email).join(',')}`);
      return 0;
    case 'campaigns':
      for (const c of await ops.listCampaigns()) io.out(`${c.id}\t${formatBeijing(c.deadline)}\t${c.title}`);
      return 0;
    default:
      io.err(`未知命令：${cmd}\n\n${USAGE}`);
      return 2;
  }
}

async function connect(cloud: boolean, source: NodeJS.ProcessEnv) {
  let env: Env;
  if (cloud) {
    try {
      env = readEnv(source);
    } catch (e) {
      throw new AdminError(`云端配置不完整（${(e as Error).message.replace(/^Invalid configuration: /, '')}）。请先按 README「Deploy guide」导出 TABLE_NAME、BUCKET_NAME、SITE_ORIGIN、SIGNING_SECRET_ARN、MAIL_FROM。`);
    }
  } else {
    const file = runtimeFileOf(source);
    let local: { pid: number; env: Record<string, string> } | undefined;
    try {
      local = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as typeof local) : undefined;
    } catch {
      local = undefined;
    }
    if (!local || typeof local.pid !== 'number' || !alive(local.pid)) throw new AdminError('本地服务未运行：请先在另一个终端运行 npm run dev（或加 --cloud 针对云端部署）。');
    // The AWS SDK takes the emulators' endpoints from the process environment.
    Object.assign(process.env, local.env);
    env = readEnv({ ...source, ...local.env });
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

const SKIP: Record<string, string> = { closed: '活动已结束，不提醒', 'not its hour': '不在提醒时段', 'nothing due today': '今天没有到期的提醒', 'swept already': '今天的提醒已发过' };

/** The local runtime's file (its folder holds the clock anchor the dev server follows). */
const runtimeFileOf = (source: NodeJS.ProcessEnv) => source.PSY_RUNTIME_FILE ?? resolve(ROOT, '.local/runtime.json');

const entry = process.argv[1];
if (entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
