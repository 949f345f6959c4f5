import * as z from 'zod/mini';

/**
 * Group robots (群机器人): an org may register a WeCom (企业微信) or DingTalk (钉钉) group-robot webhook,
 * and its reminders and digests are also posted there as a short Markdown message
 * (functions/reminders/robots.ts). A webhook URL is a bearer secret: whoever has it can post to the
 * group. So it is validated strictly here (only the two official endpoints, nothing that could send
 * our messages elsewhere), stored only sealed, and shown only as a hint.
 */

export const RobotKind = z.enum(['wecom', 'dingtalk']);
export type RobotKind = z.infer<typeof RobotKind>;

export const ROBOT_LABEL: Record<RobotKind, string> = { wecom: '企业微信', dingtalk: '钉钉' };

/** The query parameter that carries each platform's credential. */
export const ROBOT_PARAM = { wecom: 'key', dingtalk: 'access_token' } as const satisfies Record<RobotKind, string>;

/** Official endpoints; the stored URL is rebuilt from these, never kept as typed. */
const ENDPOINT: Record<RobotKind, { host: string; path: string }> = {
  wecom: { host: 'qyapi.weixin.qq.com', path: '/cgi-bin/webhook/send' },
  dingtalk: { host: 'oapi.dingtalk.com', path: '/robot/send' },
};

/** WeCom issues a UUID-like key (8-4-4-4-12 hex). */
const WECOM_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** DingTalk's access_token is 64 hex characters. */
const DINGTALK_TOKEN = /^[0-9a-f]{64}$/i;
/** DingTalk's signing secret ("加签"): "SEC" and (in practice 64) hex or base64 characters. */
const DINGTALK_SECRET = /^SEC[0-9A-Za-z+/=]{16,128}$/;

const EXAMPLE: Record<RobotKind, string> = {
  wecom: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7d1c-4bc4-97a0-0ec2b1fa5aaa',
  dingtalk: `https://oapi.dingtalk.com/robot/send?access_token=${'0f'.repeat(32)}`,
};
const SECRET_EXAMPLE = `SEC${'a1'.repeat(32)}`;

/** A usable webhook: the canonical URL and, for a DingTalk robot in signed mode, its secret. */
export const RobotHook = /* @__PURE__ */ (() =>
  z.object({
  kind: RobotKind,
  url: z.string().check(z.minLength(10), z.maxLength(400)),
  secret: z.optional(z.string().check(z.regex(DINGTALK_SECRET))),
}))();
export type RobotHook = z.infer<typeof RobotHook>;

/**
 * The canonical URL of a webhook as typed, or a Chinese reason (never containing the URL: error text
 * ends up in terminals and logs). Accepted: exactly `https://<official host><official path>?<param>=<credential>`
 * — no other host (so `qyapi.weixin.qq.com.evil.cn` is refused), scheme, port, user info, fragment or
 * extra parameter. `allowLoopback` (local runtime and tests, whose fake server listens on 127.0.0.1)
 * also accepts `http://127.0.0.1:<port>/<any path>?<param>=<credential>`.
 */
export function canonicalWebhook(kind: RobotKind, typed: string, allowLoopback = false): { url: string } | { error: string } {
  const label = ROBOT_LABEL[kind];
  const param = ROBOT_PARAM[kind];
  const bad = (why: string) => ({ error: `${label}群机器人地址${why}，应形如 ${EXAMPLE[kind]}` });
  let u: URL;
  try {
    u = new URL(typed);
  } catch {
    return bad('不是有效的网址');
  }
  const loopback = allowLoopback && u.protocol === 'http:' && u.hostname === '127.0.0.1' && u.port !== '';
  const { host, path } = ENDPOINT[kind];
  if (!loopback) {
    if (u.protocol !== 'https:') return bad('必须以 https:// 开头');
    if (u.hostname !== host || u.port !== '') return bad(`的域名必须是 ${host}`);
    if (u.pathname !== path) return bad(`的路径必须是 ${path}`);
  }
  if (u.username || u.password) return bad('不能包含用户名或密码');
  if (u.hash) return bad('不能包含 # 及其后的内容');
  const names = [...u.searchParams.keys()];
  if (names.length !== 1 || names[0] !== param) return bad(`只能带一个参数 ${param}`);
  const credential = u.searchParams.get(param) ?? '';
  if (!(kind === 'wecom' ? WECOM_KEY : DINGTALK_TOKEN).test(credential)) {
    return bad(kind === 'wecom' ? '中的 key 格式不正确（应为 8-4-4-4-12 位的十六进制串）' : '中的 access_token 格式不正确（应为 64 位十六进制串）');
  }
  // Rebuilt, not kept as typed: whatever the parser tolerated (case, default port, odd escapes) is gone.
  const origin = loopback ? u.origin : `https://${host}`;
  return { url: `${origin}${loopback ? u.pathname : path}?${param}=${encodeURIComponent(credential)}` };
}

/**
 * What an operator registers (CLI `robot --org <id> --kind wecom --url <url> [--secret <s>]`): checked
 * and turned into a RobotHook with the canonical URL. Chinese messages with an example, none of them
 * repeating what was typed.
 */
export function robotInput(opts: { allowLoopback?: boolean } = {}) {
  return z.pipe(
    z.object({
      kind: z.enum(RobotKind.options, '群机器人类型应为 wecom（企业微信）或 dingtalk（钉钉）'),
      url: z.string('缺少群机器人地址').check(z.trim()),
      secret: z.optional(z.string().check(z.trim())),
    }),
    z.transform((input, ctx): RobotHook => {
      const fail = (message: string, path: string) => {
        ctx.issues.push({ code: 'custom', message, input: undefined, path: [path] });
        return z.NEVER;
      };
      const r = canonicalWebhook(input.kind, input.url, opts.allowLoopback);
      if ('error' in r) return fail(r.error, 'url');
      const secret = input.secret || undefined;
      if (secret !== undefined && input.kind === 'wecom') return fail('企业微信群机器人没有加签密钥：请不要填写 secret', 'secret');
      if (secret !== undefined && !DINGTALK_SECRET.test(secret)) {
        return fail(`钉钉加签密钥格式不正确：应以 SEC 开头，后接机器人安全设置中显示的字符，如 ${SECRET_EXAMPLE}`, 'secret');
      }
      return { kind: input.kind, url: r.url, ...(secret ? { secret } : {}) };
    }),
  );
}
/** The registration check for the cloud: official endpoints only. */
export const RobotInput = /* @__PURE__ */ robotInput();
export type RobotInput = z.input<typeof RobotInput>;

/** A registered robot as stored on the org (schemas/orgs.ts `robots`). */
export const RobotEntry = /* @__PURE__ */ (() =>
  z.object({
  kind: RobotKind,
  /** The RobotHook, encrypted (functions/reminders/robots.ts sealWebhook): "v1.<iv>.<ciphertext+tag>". */
  sealed: z.string().check(z.regex(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)),
  /** For display only, never enough to post: "企业微信 …key=1a2b…". */
  hint: z.string().check(z.maxLength(80)),
  addedAt: z.iso.datetime({ offset: true }),
}))();
export type RobotEntry = z.infer<typeof RobotEntry>;

/** At most one robot per kind. */
export const Robots = /* @__PURE__ */ (() =>
  z.array(RobotEntry).check(
  z.maxLength(RobotKind.options.length),
  z.refine((rs) => new Set(rs.map((r) => r.kind)).size === rs.length, { message: '每种群机器人最多登记一个' }),
))();
