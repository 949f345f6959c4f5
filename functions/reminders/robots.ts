import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Org } from '../../schemas/orgs.js';
import { ROBOT_LABEL, ROBOT_PARAM, RobotHook, type RobotKind } from '../../schemas/robots.js';
import { formatBeijingWeekday } from '../shared/clock.js';
import type { ReminderJob } from './jobs.js';
import { type CityDigestJob, type DistrictDigestJob, DIGEST_LIMITS, docsShort, dueOf, type OrgReminderJob, perDocument, PLATFORM, sweepDay, TAG, titles } from './mails.js';

/**
 * The group-robot channel (群机器人): reminders and digests also posted, as a short Markdown message, to
 * the WeCom (企业微信) or DingTalk (钉钉) group an org registered (schemas/robots.ts). Three pieces, no
 * AWS: sealing the webhook for storage, the message for a ReminderJob, and the POST.
 *
 * A webhook URL is a bearer credential for posting into a group, so it is stored only sealed, shown only
 * as `hintOf`, and never put into an error message or log line (errors carry the hint instead).
 */

// ---- Sealing ------------------------------------------------------------------------------

const SEAL_INFO = 'robot-webhook-v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A key of its own, derived from the service's signing key (functions/shared/tokens.ts signingKeySource):
 * no second secret to provision and rotate, and a key used for AES never doubles as the HMAC key of the
 * tokens. No salt: the input is already a high-entropy secret (RFC 5869 §3.1); `info` separates the use.
 */
const sealingKey = (signingKey: Uint8Array) => Buffer.from(hkdfSync('sha256', signingKey, new Uint8Array(0), SEAL_INFO, 32));

/** The hook (URL and secret), encrypted with AES-256-GCM: "v1.<iv>.<ciphertext+tag>", base64url. */
export function sealWebhook(hook: RobotHook, signingKey: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(signingKey), iv);
  const plain = JSON.stringify(RobotHook.parse(hook));
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** A strict base64url decode: Node's decoder skips stray characters and ignores spare low bits. */
const fromB64url = (s: string) => {
  const b = Buffer.from(s, 'base64url');
  return b.toString('base64url') === s ? b : undefined;
};

/** The hook back; throws (without any detail) on a wrong key, a malformed value or any change to it. */
export function openWebhook(sealed: string, signingKey: Uint8Array): RobotHook {
  const fail = () => new Error('群机器人地址无法解密：密钥不符或数据已被改动');
  const [v, ivText, bodyText, ...rest] = typeof sealed === 'string' ? sealed.split('.') : [];
  const iv = ivText ? fromB64url(ivText) : undefined;
  const body = bodyText ? fromB64url(bodyText) : undefined;
  if (v !== 'v1' || rest.length || !iv || iv.length !== IV_BYTES || !body || body.length <= TAG_BYTES) throw fail();
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(signingKey), iv);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    return RobotHook.parse(JSON.parse(plain));
  } catch {
    throw fail(); // no cause: a parse error could quote the plaintext
  }
}

/** The credential in a hook's URL (WeCom key, DingTalk access_token), or '' for an unparsable URL. */
function credentialOf(hook: RobotHook): string {
  try {
    return new URL(hook.url).searchParams.get(ROBOT_PARAM[hook.kind]) ?? '';
  } catch {
    return ''; // URL's own error repeats the input
  }
}

/**
 * What an operator and a log may see of a hook: "企业微信 …key=1a2b…" — the platform and the first 4
 * characters of the credential (16 bits of a 128- or 256-bit credential), enough to tell two robots
 * apart, never enough to post.
 */
export function hintOf(hook: RobotHook): string {
  const local = hook.url.startsWith('http://127.0.0.1:') ? '（本地测试）' : '';
  return `${ROBOT_LABEL[hook.kind]} …${ROBOT_PARAM[hook.kind]}=${credentialOf(hook).slice(0, 4)}…${hook.secret ? '（加签）' : ''}${local}`;
}

// ---- Messages -----------------------------------------------------------------------------

export type WecomBody = { msgtype: 'markdown'; markdown: { content: string } };
export type DingtalkBody = { msgtype: 'markdown'; markdown: { title: string; text: string } };
export type RobotBody = WecomBody | DingtalkBody;

/**
 * Size budget of a message's Markdown, in UTF-8 bytes. WeCom refuses markdown content over 4096 bytes;
 * DingTalk takes more, but a group message is read on a phone: both get the same short message.
 */
export const ROBOT_MAX_BYTES = 4096;
/** DingTalk's `title` is only the notification and chat-list preview. */
export const ROBOT_TITLE_CHARS = 64;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const fits = (s: string) => bytes(s) <= ROBOT_MAX_BYTES;

/**
 * `s` cut to at most `max` UTF-8 bytes, on whole characters (code points: never half a surrogate pair),
 * with "…" when cut. The messages are built to fit; this is the last guard against absurd data.
 */
export function cutBytes(s: string, max = ROBOT_MAX_BYTES): string {
  if (bytes(s) <= max) return s;
  let out = '';
  let used = bytes('…');
  for (const ch of s) {
    used += bytes(ch);
    if (used > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** A cut on whole characters for the title: "…" when cut. */
const cutChars = (s: string, max: number) => {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
};

/**
 * Text from the data (org names, titles) made inert: one line, and the characters both Markdown
 * dialects act on replaced by their full-width forms — a name like "[点此](http://…)" or
 * "<font …>" stays a name, not a link or a colour.
 */
const MD_CHARS: Record<string, string> = { '*': '＊', _: '＿', '`': '｀', '[': '［', ']': '］', '<': '＜', '>': '＞', '#': '＃', '~': '～', '\\': '＼', '|': '｜' };
const t = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/[*_`[\]<>#~\\|]/g, (c) => MD_CHARS[c] ?? c);

/** The two Markdown dialects, as far as these messages use them. */
interface Style {
  head(s: string): string;
  bold(s: string): string;
  /** The due phrase: what must catch the eye. */
  warn(s: string): string;
  muted(s: string): string;
  /** One entry of a list (a missing document, a school, a District). */
  item(s: string): string;
  join(lines: string[]): string;
}
const STYLE: Record<RobotKind, Style> = {
  // WeCom: headings, bold, links, quotes and <font color="info|comment|warning">; no lists. A single
  // "\n" is a line break.
  wecom: {
    head: (s) => `### ${s}`,
    bold: (s) => `**${s}**`,
    warn: (s) => `<font color="warning">${s}</font>`,
    muted: (s) => `<font color="comment">${s}</font>`,
    item: (s) => `> ${s}`,
    join: (lines) => lines.join('\n'),
  },
  // DingTalk: headings, bold, links, quotes and lists; no colours. A single "\n" is folded into the
  // paragraph, so every line is its own paragraph.
  dingtalk: {
    head: (s) => `### ${s}`,
    bold: (s) => `**${s}**`,
    warn: (s) => `**${s}**`,
    muted: (s) => s,
    item: (s) => `- ${s}`,
    join: (lines) => lines.join('\n\n'),
  },
};

/** A group chat is not the org's mailbox: its link is never posted, only pointed to. */
const NO_LINK = '请查收邮件中的专属链接';

/** "A、B" or, past `limit`, "A、B 等 40 所" (as the city digest mail names them). */
const names = (orgs: Org[], limit: number) => {
  const shown = orgs.slice(0, limit).map((o) => t(o.name)).join('、');
  return orgs.length > limit ? `${shown} 等 ${orgs.length} 所` : shown;
};

/**
 * The largest `n` ≤ `total` for which `render(n)` fits, rendered; `render(n)` lists the first `n`
 * entries (and says how many were left out when n < total). Binary search: for n < total the size
 * only grows with n. Undefined when not even `render(0)` fits.
 */
function fitList(render: (n: number) => string, total: number): string | undefined {
  const full = render(total);
  if (fits(full)) return full;
  if (!fits(render(0))) return undefined;
  let lo = 0;
  let hi = total - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(render(mid))) lo = mid;
    else hi = mid - 1;
  }
  return render(lo);
}

type Rendered = { title: string; text: string };

function orgMessage(job: OrgReminderJob, s: Style): Rendered {
  const { org, campaign: c, missing } = job;
  // The same refusals as reminderMail: nobody who has done their part is reminded.
  if (missing.length === 0) throw new Error(`robotMessage: ${org.id} owes nothing in ${c.id} (${job.key})`);
  const due = dueOf(job.daysLeft, job.rule);
  if (due.state !== job.rule) throw new Error(`robotMessage: rule ${job.rule} but ${job.daysLeft} days left (${job.key})`);
  const tag = due.state === 'before' ? '【提醒】' : TAG[due.state];
  const missingKinds = new Set(missing.map((d) => d.kind));
  const received = c.documents.filter((d) => !missingKinds.has(d.kind));
  const text = s.join([
    s.head(`${tag}${t(c.title)}`),
    `${s.bold(t(org.name))}：请于 ${s.bold(formatBeijingWeekday(job.deadline, true))}（北京时间）前报送，${s.warn(due.phrase)}。`,
    `截至 ${sweepDay(job.deadline, job.daysLeft)}，尚未收到以下材料：`,
    ...missing.map((d, i) => s.item(`${i + 1}. ${t(d.title)}`)),
    ...(received.length ? [`已收到：${t(titles(received))}`] : []),
    ...(due.state === 'overdue' ? ['截止后仍可上传，系统将标注为逾期提交。'] : []),
    `请通过本单位专属链接上传（${NO_LINK}，请勿转发到群里）。`,
    s.muted(PLATFORM),
  ]);
  return { title: `${tag}${due.lead}${org.name} 尚缺 ${docsShort(missing)}`, text: cutBytes(text) };
}

function districtMessage(job: DistrictDigestJob, s: Style): Rendered {
  const { district, campaign: c } = job;
  // As districtDigestMail: only the office's own schools, so a planning mistake cannot post another
  // District's names into this group.
  const schools = job.schools.filter((o) => o.org.kind === 'school' && o.org.districtId === district.id && o.missing.length > 0);
  if (schools.length === 0) throw new Error(`robotMessage: no school of ${district.id} owes anything (${job.key})`);
  const due = dueOf(job.daysLeft);
  const tag = due.state === 'before' ? '【辖区提醒】' : TAG[due.state];
  const unreachable = schools.filter((o) => !o.reachable).length;
  const render = (n: number) =>
    s.join([
      s.head(`${tag}${t(c.title)}`),
      `${s.bold(t(district.name))}：报送截止时间为 ${s.bold(formatBeijingWeekday(job.deadline, true))}（北京时间），${s.warn(due.phrase)}。`,
      `截至 ${sweepDay(job.deadline, job.daysLeft)}，辖区内 ${s.bold(`${schools.length} 所学校`)}尚未报齐（${t(perDocument(c.documents, schools, '所'))}）：`,
      ...schools.slice(0, n).map((o) => s.item(`${t(o.org.name)}：缺 ${t(titles(o.missing))}`)),
      ...(n < schools.length ? [s.item(`…… 等 ${schools.length} 所，完整名单见汇总邮件`)] : []),
      ...(unreachable ? [`其中 ${unreachable} 所学校没有联系邮箱，收不到提醒，请电话通知。`] : []),
      `请督促各校尽快上传。各校联系人见今日的汇总邮件；查看辖区报送情况，${NO_LINK}。`,
      s.muted(PLATFORM),
    ]);
  const text = fitList(render, Math.min(schools.length, DIGEST_LIMITS.districtRows)) ?? cutBytes(render(0));
  return { title: `${tag}${due.lead}${district.name}辖区${schools.length}所学校尚未报齐`, text };
}

function cityMessage(job: CityDigestJob, s: Style): Rendered {
  const { campaign: c } = job;
  const due = dueOf(job.daysLeft);
  const tag = due.state === 'before' ? '【报送情况】' : TAG[due.state];
  const owing = [...job.districts.flatMap((d) => d.owing), ...job.direct];
  const asOf = `截至 ${sweepDay(job.deadline, job.daysLeft)}，`;
  const districtLine = (d: CityDigestJob['districts'][number], limit: number) => {
    const head = `${t(d.district.name)} ${d.owing.length} / ${d.expected}`;
    if (d.owing.length === 0) return `${head}，已全部报齐`;
    const schools = d.owing.filter((o) => o.org.kind === 'school').map((o) => o.org);
    const parts = [
      ...(d.owing.some((o) => o.org.kind === 'district') ? ['机关本级'] : []),
      ...(schools.length ? [`学校 ${schools.length} 所${limit ? `：${names(schools, limit)}` : ''}`] : []),
    ];
    return `${head}：${parts.join('；')}`;
  };
  const direct = job.direct.map((o) => o.org);
  /** `limit` names per District (and of the Direct schools), the first `n` Districts. */
  const render = (limit: number, n: number) =>
    s.join([
      s.head(`${tag}${t(c.title)}`),
      `报送截止时间为 ${s.bold(formatBeijingWeekday(job.deadline, true))}（北京时间），${s.warn(due.phrase)}。`,
      owing.length === 0
        ? `${asOf}全部单位均已报齐。`
        : `${asOf}共有 ${s.bold(`${owing.length} 个单位`)}尚未报齐（${t(perDocument(c.documents, owing, '个'))}）。`,
      s.bold('各县区（未报齐 / 应报）：'),
      ...job.districts.slice(0, n).map((d) => s.item(districtLine(d, limit))),
      ...(n < job.districts.length ? [s.item(`…… 等 ${job.districts.length} 个县区，完整情况见汇总邮件`)] : []),
      s.item(`直属学校 ${direct.length} / ${job.directExpected}${direct.length ? `：${limit ? names(direct, limit) : `${direct.length} 所`}` : '，已全部报齐'}`),
      ...(job.unreachable.length ? [`其中 ${job.unreachable.length} 个单位没有联系邮箱，收不到提醒，请电话通知（名单见汇总邮件）。`] : []),
      `完整名单见今日的汇总邮件；查看全市报送情况，${NO_LINK}。`,
      s.muted(PLATFORM),
    ]);
  // Names are the first thing to give up (fewer per District, down to counts only), then Districts.
  let text: string | undefined;
  for (let limit = DIGEST_LIMITS.namesPerDistrict; limit >= 0 && !text; limit--) {
    const all = render(limit, job.districts.length);
    if (fits(all)) text = all;
  }
  text ??= fitList((n) => render(0, n), job.districts.length) ?? cutBytes(render(0, 0));
  const title = owing.length ? `${tag}${due.lead}尚有${owing.length}个单位未报齐` : `${tag}全部单位均已报齐`;
  return { title, text };
}

/**
 * The message a robot posts for a reminder job: what is due, by when (Beijing date with weekday), and
 * exactly what is missing; a District digest names its schools with their missing documents; the city
 * digest gives counts per District with names. Within ROBOT_MAX_BYTES (what does not fit is counted,
 * "等 N 所", and the mail has it all). Never a capability link and never a phone number: a group chat
 * is read by more people than the org's mailbox. Throws where the mail template throws (nothing owed).
 */
export function robotMessage(job: ReminderJob, kind: 'wecom'): WecomBody;
export function robotMessage(job: ReminderJob, kind: 'dingtalk'): DingtalkBody;
export function robotMessage(job: ReminderJob, kind: RobotKind): RobotBody;
export function robotMessage(job: ReminderJob, kind: RobotKind): RobotBody {
  const s = STYLE[kind];
  const m = job.kind === 'org' ? orgMessage(job, s) : job.kind === 'district-digest' ? districtMessage(job, s) : cityMessage(job, s);
  if (kind === 'wecom') return { msgtype: 'markdown', markdown: { content: m.text } };
  return { msgtype: 'markdown', markdown: { title: cutChars(m.title.replace(/\s+/g, ' ').trim(), ROBOT_TITLE_CHARS), text: m.text } };
}

// ---- Posting ------------------------------------------------------------------------------

/**
 * A failed post. `retryable`: worth trying again later (rate limit, platform busy, HTTP 5xx/429,
 * timeout, network); false when only a new registration helps (invalid key, token or signature,
 * robot removed, content refused). The message names the robot by its hint, never by URL or credential,
 * and there is deliberately no `cause`: fetch's own errors may quote the URL.
 */
export class RobotError extends Error {
  override readonly name = 'RobotError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The platform's errcode, or the HTTP status for an HTTP failure. */
    readonly code?: number,
  ) {
    super(message);
  }
}

/** Rate limits and "system busy" (-1) per platform: retryable. Every other errcode is not. */
const RETRYABLE: Record<RobotKind, number[]> = { wecom: [-1, 45009], dingtalk: [-1, 130101, 660026] };
/** What the common errcodes mean, for the operator reading the ledger. */
const MEANING: Record<RobotKind, Record<number, string>> = {
  wecom: { [-1]: '平台繁忙', 45009: '发送过于频繁（限流）', 93000: '机器人地址无效或机器人已被移除', 93004: '机器人已被停用', 40058: '消息内容不合规或过长' },
  dingtalk: {
    [-1]: '平台繁忙',
    130101: '发送过于频繁（限流）',
    660026: '发送过于频繁（限流）',
    300001: 'access_token 无效或机器人已被移除',
    310000: '未通过机器人安全设置（加签密钥、自定义关键词或 IP 地址段）',
  },
};

/** DingTalk's signed mode ("加签"): base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")). */
export const dingtalkSign = (secret: string, timestamp: number | string) => createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');

/**
 * Posts a message (robotMessage) to a robot. Resolves when the platform answered errcode 0; otherwise
 * throws a RobotError. DingTalk in signed mode gets `timestamp` (ms) and `sign` as query parameters.
 * Default timeout 10 s (the platforms answer in well under a second).
 */
export async function postRobot(hook: RobotHook, body: RobotBody, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const hint = hintOf(hook);
  const secretsOf = [credentialOf(hook), hook.secret].filter((x): x is string => !!x);
  /** Platform text made safe to keep: no URL, no credential, one short line. */
  const scrub = (text: unknown) => {
    let out = String(text ?? '').replace(/https?:\/\/\S+/g, '…');
    for (const x of secretsOf) out = out.split(x).join('…');
    return cutChars(out.replace(/\s+/g, ' ').trim(), 120);
  };

  let url: URL;
  try {
    url = new URL(hook.url);
  } catch {
    throw new RobotError(`${hint}：地址无效，请重新登记`, false);
  }
  if (hook.kind === 'dingtalk' && hook.secret) {
    const timestamp = Date.now();
    url.searchParams.set('timestamp', String(timestamp));
    url.searchParams.set('sign', dingtalkSign(hook.secret, timestamp)); // URLSearchParams percent-encodes it
  }

  const transportError = (e: unknown) => {
    const name = (e as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return new RobotError(`${hint}：${Math.round(timeoutMs / 100) / 10} 秒内无应答（超时）`, true);
    const code = (e as { cause?: { code?: unknown } })?.cause?.code;
    return new RobotError(`${hint}：网络错误${typeof code === 'string' ? `（${scrub(code)}）` : ''}`, true);
  };

  let status: number;
  let answer: string;
  try {
    const res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      // A webhook never redirects; following one would post the message somewhere else.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    answer = await res.text(); // the same signal bounds a body that never ends
  } catch (e) {
    throw transportError(e);
  }
  if (status < 200 || status > 299) {
    const retryable = status >= 500 || status === 429 || status === 408;
    throw new RobotError(`${hint}：平台返回 HTTP ${status}${retryable ? '（稍后重试）' : ''}`, retryable, status);
  }
  let parsed: { errcode?: unknown; errmsg?: unknown };
  try {
    parsed = JSON.parse(answer) as typeof parsed;
  } catch {
    parsed = {};
  }
  // Not knowing whether it was posted, do not post again (a duplicate in a group is worse than a gap).
  if (typeof parsed?.errcode !== 'number') throw new RobotError(`${hint}：平台应答无法识别（HTTP ${status}）`, false, status);
  const code = parsed.errcode;
  if (code === 0) return;
  const meaning = MEANING[hook.kind][code];
  const said = scrub(parsed.errmsg);
  throw new RobotError(`${hint}：平台拒绝，errcode ${code}${meaning ? `：${meaning}` : ''}${said ? `（${said}）` : ''}`, RETRYABLE[hook.kind].includes(code), code);
}
