/**
 * The group-robot channel: registration check (schemas/robots.ts), sealing, the message per job and
 * platform within the byte budget, and postRobot against the fake robot (test/fixtures/fake-robot.ts).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Owing, ReminderJob } from '../../functions/reminders/jobs.js';
import type { CityDigestJob, DistrictDigestJob, OrgReminderJob } from '../../functions/reminders/mails.js';
import {
  cutBytes,
  dingtalkSign,
  hintOf,
  openWebhook,
  postRobot,
  ROBOT_MAX_BYTES,
  ROBOT_TITLE_CHARS,
  RobotError,
  type RobotBody,
  robotMessage,
  sealWebhook,
} from '../../functions/reminders/robots.js';
import { orgStore } from '../../functions/orgs/store.js';
import type { Campaign } from '../../schemas/campaigns.js';
import { Org } from '../../schemas/orgs.js';
import { type RobotHook, RobotInput, robotInput, type RobotKind } from '../../schemas/robots.js';
import { type FakeRobot, startFakeRobot } from '../fixtures/fake-robot.js';
import { campaign, keyBytes, orgs } from './samples.js';

const KEY = '5e0b7c2a-41d3-4f6e-9a8b-c1d2e3f40516';
const TOKEN = 'c0ffee'.padEnd(64, '0123456789abcdef');
const SECRET = `SEC${'9f8e7d6c5b4a'.repeat(5)}1234`;
const WECOM = `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}`;
const DINGTALK = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`;
const HAN = /[\u4e00-\u9fff]/;

const check = (input: unknown, allowLoopback = false) => robotInput({ allowLoopback }).safeParse(input);
const messages = (r: ReturnType<typeof check>) => (r.success ? [] : r.error.issues.map((i) => i.message));

describe('registration check (schemas/robots.ts)', () => {
  it('accepts the official URLs and stores them rebuilt, with the DingTalk secret', () => {
    expect(RobotInput.parse({ kind: 'wecom', url: WECOM })).toEqual({ kind: 'wecom', url: WECOM });
    expect(RobotInput.parse({ kind: 'dingtalk', url: `  ${DINGTALK}\n`, secret: SECRET })).toEqual({ kind: 'dingtalk', url: DINGTALK, secret: SECRET });
    // Whatever the URL parser tolerates is normalised away: case of scheme and host, default port, empty secret.
    expect(RobotInput.parse({ kind: 'wecom', url: WECOM.replace('https://qyapi.weixin.qq.com', 'HTTPS://QYAPI.Weixin.QQ.com:443'), secret: '' })).toEqual({
      kind: 'wecom',
      url: WECOM,
    });
    // A signing secret in base64 form, as some DingTalk consoles show it.
    expect(check({ kind: 'dingtalk', url: DINGTALK, secret: 'SECab+/cd0123456789XYZ==' }).success).toBe(true);
  });

  const refused: [string, RobotKind, string, RegExp][] = [
    ['a look-alike host', 'wecom', `https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send?key=${KEY}`, /域名必须是 qyapi\.weixin\.qq\.com/],
    ['a sub-domain', 'dingtalk', `https://x.oapi.dingtalk.com/robot/send?access_token=${TOKEN}`, /域名必须是 oapi\.dingtalk\.com/],
    ['the host in the user info', 'wecom', `https://qyapi.weixin.qq.com@evil.cn/cgi-bin/webhook/send?key=${KEY}`, /域名/],
    ['user info', 'wecom', `https://u:p@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}`, /用户名或密码/],
    ['a backslash trick', 'wecom', `https://evil.cn\\@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}`, /域名/],
    ['http://', 'wecom', WECOM.replace('https:', 'http:'), /必须以 https:\/\/ 开头/],
    ['another port', 'dingtalk', DINGTALK.replace('.com/', '.com:8443/'), /域名/],
    ['another path', 'wecom', WECOM.replace('/send', '/upload_media'), /路径必须是 \/cgi-bin\/webhook\/send/],
    ['an extra parameter', 'wecom', `${WECOM}&debug=1`, /只能带一个参数 key/],
    ['a second key', 'wecom', `${WECOM}&key=${KEY}`, /只能带一个参数 key/],
    ['a fragment', 'dingtalk', `${DINGTALK}#x`, /不能包含 #/],
    ['the other platform’s parameter', 'dingtalk', `https://oapi.dingtalk.com/robot/send?key=${KEY}`, /只能带一个参数 access_token/],
    ['a malformed key', 'wecom', WECOM.replace(KEY, KEY.replace('-', '')), /key 格式不正确/],
    ['a short token', 'dingtalk', DINGTALK.slice(0, -1), /access_token 格式不正确/],
    ['not a URL', 'wecom', 'qyapi.weixin.qq.com/cgi-bin/webhook/send', /不是有效的网址/],
    ['the other platform’s URL', 'dingtalk', WECOM, /域名必须是 oapi\.dingtalk\.com/],
    ['a loopback URL without the option', 'wecom', `http://127.0.0.1:8080/cgi-bin/webhook/send?key=${KEY}`, /https:\/\//],
  ];
  it.each(refused)('refuses %s with a Chinese reason and an example, never repeating the URL', (_what, kind, url, reason) => {
    const m = messages(check({ kind, url }));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(reason);
    expect(m[0]).toMatch(HAN);
    expect(m[0]).toContain(kind === 'wecom' ? '应形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=' : '应形如 https://oapi.dingtalk.com/robot/send?access_token=');
    expect(m[0]).not.toContain(KEY);
    expect(m[0]).not.toContain(TOKEN);
    expect(m[0]).not.toContain('evil');
  });

  it('refuses a secret for WeCom and a malformed DingTalk secret, without repeating it', () => {
    expect(messages(check({ kind: 'wecom', url: WECOM, secret: SECRET }))).toEqual(['企业微信群机器人没有加签密钥：请不要填写 secret']);
    const [m] = messages(check({ kind: 'dingtalk', url: DINGTALK, secret: 'secret-123' }));
    expect(m).toMatch(/^钉钉加签密钥格式不正确：应以 SEC 开头.*如 SEC/);
    expect(m).not.toContain('secret-123');
    expect(messages(check({ kind: 'feishu', url: WECOM }))).toEqual(['群机器人类型应为 wecom（企业微信）或 dingtalk（钉钉）']);
    expect(messages(check({ kind: 'wecom' }))).toEqual(['缺少群机器人地址']);
  });

  it('accepts http://127.0.0.1:<port> only with allowLoopback — and still checks the credential', () => {
    const local = `http://127.0.0.1:4567/cgi-bin/webhook/send?key=${KEY}`;
    expect(check({ kind: 'wecom', url: local }, true)).toEqual({ success: true, data: { kind: 'wecom', url: local } });
    expect(check({ kind: 'wecom', url: `http://localhost:4567/cgi-bin/webhook/send?key=${KEY}` }, true).success).toBe(false);
    expect(check({ kind: 'wecom', url: `http://127.0.0.1/cgi-bin/webhook/send?key=${KEY}` }, true).success).toBe(false);
    expect(check({ kind: 'wecom', url: `http://127.0.0.1:4567/x?key=nope` }, true).success).toBe(false);
    expect(check({ kind: 'wecom', url: `http://127.0.0.1:4567/x?key=${KEY}&x=1` }, true).success).toBe(false);
  });

  it('the org keeps at most one robot per kind', () => {
    const entry = { kind: 'wecom', sealed: sealWebhook({ kind: 'wecom', url: WECOM }, keyBytes()), hint: 'h', addedAt: '2019-06-01T00:00:00.000Z' } as const;
    expect(Org.parse({ ...orgs.dhSchool1, robots: [entry] }).robots).toEqual([entry]);
    expect(Org.safeParse({ ...orgs.dhSchool1, robots: [entry, entry] }).success).toBe(false);
    expect(Org.parse(orgs.dhSchool1).robots).toBeUndefined();
  });
});

describe('sealing', () => {
  const hook: RobotHook = { kind: 'dingtalk', url: DINGTALK, secret: SECRET };

  it('round-trips, with a fresh IV each time and nothing readable in the sealed form', () => {
    const a = sealWebhook(hook, keyBytes());
    const b = sealWebhook(hook, keyBytes());
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(openWebhook(a, keyBytes())).toEqual(hook);
    expect(openWebhook(b, keyBytes())).toEqual(hook);
    for (const secret of [TOKEN, SECRET, 'dingtalk', TOKEN.slice(0, 8)]) expect(a).not.toContain(secret);
  });

  it('throws on any change (every character of the sealed form), a wrong key or another format — without detail', () => {
    const sealed = sealWebhook({ kind: 'wecom', url: WECOM }, keyBytes());
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const tampered = [...sealed].map((c, i) => (c === '.' ? undefined : `${sealed.slice(0, i)}${flip(c)}${sealed.slice(i + 1)}`)).filter((x): x is string => !!x);
    tampered.push(sealed.replace(/^v1/, 'v2'), `${sealed}.x`, sealed.slice(0, -2), `${sealed}AA`, '', 'v1..', sealed.replace(/\.[^.]+$/, '.AAAA'));
    for (const bad of tampered) expect(() => openWebhook(bad, keyBytes()), bad).toThrow('群机器人地址无法解密：密钥不符或数据已被改动');
    expect(() => openWebhook(sealed, new TextEncoder().encode('another-signing-key-0123456789abcdefghijklmnop'))).toThrow('无法解密');
  });

  it('hintOf names the platform and 4 characters of the credential, never the URL', () => {
    expect(hintOf({ kind: 'wecom', url: WECOM })).toBe('企业微信 …key=5e0b…');
    expect(hintOf(hook)).toBe('钉钉 …access_token=c0ff…（加签）');
    expect(hintOf({ kind: 'wecom', url: `http://127.0.0.1:9/cgi-bin/webhook/send?key=${KEY}` })).toBe('企业微信 …key=5e0b…（本地测试）');
    expect(hintOf({ kind: 'wecom', url: 'not a url at all' })).toBe('企业微信 …key=…');
  });
});

// ---- Jobs (built as test/unit/reminders-mails.test.ts builds them) ----------------------------

const [SERVICE, CRISIS] = campaign.documents as [Campaign['documents'][number], Campaign['documents'][number]];
const dh = Org.parse({ ...orgs.dh, contacts: [{ name: '李老师', email: 'li@dh.example.cn', phone: '0791-86000001' }] });
const wutong = Org.parse({ id: 's-donghu-wutong', name: '东湖区梧桐小学', kind: 'school', districtId: 'dh', contacts: [{ name: '吴老师', email: 'wu@wutong.example.cn', phone: '0791-86000002' }], tokenVersion: 1 });
const dayKey = (daysLeft: number) => new Date(Date.parse(campaign.deadline) - daysLeft * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
const ruleOf = (daysLeft: number) => (daysLeft > 0 ? 'before' : daysLeft === 0 ? 'due-day' : 'overdue');

function orgJob(over: Partial<OrgReminderJob> = {}): OrgReminderJob {
  const org = over.org ?? wutong;
  const daysLeft = over.daysLeft ?? 7;
  const rule = ruleOf(daysLeft);
  return { kind: 'org', key: `remind#${campaign.id}#${org.id}#${rule}#${dayKey(daysLeft)}`, campaign, org, rule, daysLeft, deadline: campaign.deadline, missing: [CRISIS], ...over } satisfies ReminderJob;
}
const owing = (org: Org, missing = [CRISIS], over: Partial<Owing> = {}): Owing => {
  const c = org.contacts.find((x) => x.phone) ?? org.contacts[0];
  return { org, missing, reachable: org.contacts.length > 0, ...(c ? { contact: { name: c.name, ...(c.phone ? { phone: c.phone } : {}) } } : {}), ...over };
};
/** A school of District `d` with a long name (up to the 80 characters the registry allows). */
const school = (d: string, i: number, name = `${d === 'dh' ? '东湖区' : '西湖区'}第${i}学校`) =>
  Org.parse({ id: `${d}-s-${i}`, name, kind: 'school', districtId: d, contacts: [{ name: `老师${i}`, email: `s${i}@${d}.example.cn`, phone: `0791-8${String(i).padStart(6, '0')}` }], tokenVersion: 1 });
const longName = (i: number) => `南昌市东湖区${'𠀀'.repeat(3)}红谷滩新区九年一贯制实验学校附属第${i}小学（北校区）`.padEnd(78, '校');

function districtJob(over: Partial<DistrictDigestJob> = {}): DistrictDigestJob {
  const daysLeft = over.daysLeft ?? 3;
  return {
    kind: 'district-digest',
    key: `digest#${campaign.id}#dh#${dayKey(daysLeft)}`,
    campaign,
    district: dh,
    daysLeft,
    deadline: campaign.deadline,
    schools: [owing(orgs.dhSchool1, [SERVICE, CRISIS]), owing(wutong), owing(Org.parse({ ...orgs.dhSchool2, contacts: [] }))],
    ...over,
  } satisfies ReminderJob;
}
function cityJob(over: Partial<CityDigestJob> = {}): CityDigestJob {
  const daysLeft = over.daysLeft ?? 3;
  const xhOffice = owing(orgs.xh, [SERVICE, CRISIS], { contact: { name: '孙老师', phone: '0791-86000003' } });
  return {
    kind: 'city-digest',
    key: `digest#${campaign.id}#bureau#${dayKey(daysLeft)}`,
    campaign,
    recipient: orgs.bureau,
    daysLeft,
    deadline: campaign.deadline,
    districts: [
      { district: dh, owing: [owing(orgs.dhSchool1, [SERVICE, CRISIS]), owing(wutong)], expected: 4 },
      { district: orgs.xh, owing: [xhOffice], expected: 2 },
    ],
    direct: [owing(orgs.direct1, [SERVICE])],
    directExpected: 1,
    unreachable: [xhOffice],
    ...over,
  } satisfies ReminderJob;
}

const textOf = (b: RobotBody) => ('content' in b.markdown ? b.markdown.content : b.markdown.text);
const KINDS: RobotKind[] = ['wecom', 'dingtalk'];

/** Shape, size, whole characters, no link, no phone, no leftover of a bad template. */
function wellFormed(b: RobotBody, kind: RobotKind) {
  expect(b.msgtype).toBe('markdown');
  if (kind === 'wecom') expect(Object.keys(b.markdown)).toEqual(['content']);
  else {
    expect(Object.keys(b.markdown)).toEqual(['title', 'text']);
    const title = (b.markdown as { title: string }).title;
    expect([...title].length).toBeLessThanOrEqual(ROBOT_TITLE_CHARS);
    expect(title).not.toMatch(/[\r\n]/);
  }
  const text = textOf(b);
  expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(ROBOT_MAX_BYTES);
  expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text); // no half character
  expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone surrogate
  expect(text).not.toMatch(/https?:|\/l\/|www\./);
  expect(text).not.toMatch(/0791-|@[a-z0-9.]+\.cn/); // neither phones nor e-mail addresses
  for (const bad of ['undefined', 'null', 'NaN', '[object']) expect(text).not.toContain(bad);
  expect(text).toContain('请查收邮件中的专属链接');
  if (kind === 'dingtalk') expect(text).not.toContain('<font');
  return text;
}

describe('robotMessage: an org reminder', () => {
  it.each(KINDS)('%s: what is due, by when with the weekday, exactly what is missing and what is in', (kind) => {
    const text = wellFormed(robotMessage(orgJob(), kind), kind);
    expect(text.split(kind === 'wecom' ? '\n' : '\n\n')).toEqual([
      `### 【提醒】${campaign.title}`,
      `**东湖区梧桐小学**：请于 **6月30日（星期日）23:59**（北京时间）前报送，${kind === 'wecom' ? '<font color="warning">还有 7 天</font>' : '**还有 7 天**'}。`,
      '截至 6月23日（星期日），尚未收到以下材料：',
      `${kind === 'wecom' ? '>' : '-'} 1. 心理危机管理工作方案`,
      '已收到：心理服务体系建设工作实施方案',
      '请通过本单位专属链接上传（请查收邮件中的专属链接，请勿转发到群里）。',
      kind === 'wecom' ? '<font color="comment">南昌市中小学心理服务报送平台</font>' : '南昌市中小学心理服务报送平台',
    ]);
  });

  it('the DingTalk title is the short summary; due day and overdue are tagged as the mails tag them', () => {
    expect(robotMessage(orgJob(), 'dingtalk').markdown.title).toBe('【提醒】还有7天：东湖区梧桐小学 尚缺 心理危机管理工作方案');
    const dueDay = robotMessage(orgJob({ daysLeft: 0, missing: [SERVICE, CRISIS] }), 'dingtalk');
    expect(dueDay.markdown.title).toBe('【今天截止】东湖区梧桐小学 尚缺 心理服务体系建设工作实施方案、心理危机管理工作方案');
    expect(dueDay.markdown.text).toContain('**今天截止**');
    expect(dueDay.markdown.text).not.toContain('已收到');
    const late = robotMessage(orgJob({ daysLeft: -3 }), 'wecom').markdown.content;
    expect(late).toMatch(/^### 【已逾期】/);
    expect(late).toContain('<font color="warning">已逾期 3 天</font>');
    expect(late).toContain('截止后仍可上传，系统将标注为逾期提交。');
    expect(late).toContain('截至 7月3日（星期三）');
  });

  it('refuses a job with nothing missing or a rule that contradicts the days, as the mail does', () => {
    expect(() => robotMessage(orgJob({ missing: [] }), 'wecom')).toThrow(/owes nothing/);
    expect(() => robotMessage(orgJob({ rule: 'overdue' }), 'wecom')).toThrow(/rule overdue but 7 days left/);
  });

  it.each(KINDS)('%s: names and titles cannot inject Markdown (a link, a colour, a heading)', (kind) => {
    const evil = Org.parse({ ...wutong, name: '[点此领取](javascript:x) <font color="info">**#学校**</font>\n# 标题' });
    const text = wellFormed(robotMessage(orgJob({ org: evil }), kind), kind);
    expect(text).toContain('**［点此领取］(javascript:x) ＜font color="info"＞＊＊＃学校＊＊＜／font＞ ＃ 标题**'.replace('／', '/'));
    expect(text).not.toContain('](');
    expect(text.match(/<font/g)?.length ?? 0).toBe(kind === 'wecom' ? 2 : 0);
  });
});

describe('robotMessage: a District digest', () => {
  it.each(KINDS)('%s: its schools named with their missing documents, counts, no contacts', (kind) => {
    const text = wellFormed(robotMessage(districtJob(), kind), kind);
    const item = kind === 'wecom' ? '>' : '-';
    expect(text).toContain(`### 【辖区提醒】${campaign.title}`);
    expect(text).toContain('**东湖区教科体局**：报送截止时间为 **6月30日（星期日）23:59**（北京时间）');
    expect(text).toContain('截至 6月27日（星期四），辖区内 **3 所学校**尚未报齐（缺《心理服务体系建设工作实施方案》1 所、缺《心理危机管理工作方案》3 所）：');
    expect(text).toContain(`${item} 东湖区第一小学：缺 心理服务体系建设工作实施方案、心理危机管理工作方案`);
    expect(text).toContain(`${item} 东湖区梧桐小学：缺 心理危机管理工作方案`);
    expect(text).toContain(`${item} 东湖区第二中学：缺 心理危机管理工作方案`);
    expect(text).toContain('其中 1 所学校没有联系邮箱，收不到提醒，请电话通知。');
    expect(text).not.toContain('等 3 所');
    expect(text).not.toMatch(/张老师|吴老师|赵老师/);
    expect(robotMessage(districtJob(), 'dingtalk').markdown.title).toBe('【辖区提醒】还有3天：东湖区教科体局辖区3所学校尚未报齐');
  });

  it('drops another District’s school and refuses an empty digest', () => {
    const text = robotMessage(districtJob({ schools: [owing(wutong), owing(orgs.xhSchool1)] }), 'wecom').markdown.content;
    expect(text).not.toContain(orgs.xhSchool1.name);
    expect(text).toContain('辖区内 **1 所学校**');
    expect(() => robotMessage(districtJob({ schools: [owing(orgs.xhSchool1)] }), 'wecom')).toThrow(/no school of dh/);
  });

  it.each(KINDS)('%s: 300 schools with long names fit the byte budget, cut at a whole school with "等 300 所"', (kind) => {
    const schools = Array.from({ length: 300 }, (_, i) => owing(school('dh', i + 1, longName(i + 1)), [SERVICE, CRISIS]));
    expect(schools[0]?.org.name.length).toBe(78); // UTF-16 units, as the registry counts (3 of them astral)
    const text = wellFormed(robotMessage(districtJob({ schools }), kind), kind);
    expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(ROBOT_MAX_BYTES - 600); // it uses the room it has
    expect(text).toContain('辖区内 **300 所学校**');
    expect(text).toContain('…… 等 300 所，完整名单见汇总邮件');
    const listed = schools.filter((o) => text.includes(`${o.org.name}：缺`)).length;
    expect(listed).toBeGreaterThan(3);
    expect(listed).toBeLessThan(300);
    // The first ones, in order, each whole.
    expect(schools.slice(0, listed).every((o) => text.includes(`${o.org.name}：缺 心理服务体系建设工作实施方案、心理危机管理工作方案`))).toBe(true);
    expect(text).toContain('请查收邮件中的专属链接');
  });
});

describe('robotMessage: the city digest', () => {
  it.each(KINDS)('%s: counts per District with names, the Direct schools, the unreachable count', (kind) => {
    const text = wellFormed(robotMessage(cityJob(), kind), kind);
    const item = kind === 'wecom' ? '>' : '-';
    expect(text).toContain(`### 【报送情况】${campaign.title}`);
    expect(text).toContain('共有 **4 个单位**尚未报齐（缺《心理服务体系建设工作实施方案》3 个、缺《心理危机管理工作方案》3 个）。');
    expect(text).toContain(`${item} 东湖区教科体局 2 / 4：学校 2 所：东湖区第一小学、东湖区梧桐小学`);
    expect(text).toContain(`${item} 西湖区教科体局 1 / 2：机关本级`);
    expect(text).toContain(`${item} 直属学校 1 / 1：南昌市第一中学`);
    expect(text).toContain('其中 1 个单位没有联系邮箱，收不到提醒，请电话通知（名单见汇总邮件）。');
    expect(text).not.toMatch(/孙老师|刘老师/);
  });

  it('everything in: says so', () => {
    const done = robotMessage(cityJob({ districts: [{ district: dh, owing: [], expected: 4 }], direct: [], unreachable: [] }), 'dingtalk');
    expect(done.markdown.title).toBe('【报送情况】全部单位均已报齐');
    expect(done.markdown.text).toContain('全部单位均已报齐。');
    expect(done.markdown.text).toContain('- 东湖区教科体局 0 / 4，已全部报齐');
    expect(done.markdown.text).toContain('- 直属学校 0 / 1，已全部报齐');
  });

  it.each(KINDS)('%s: 11 Districts × 200 long-named schools: names give way first (fewer per District, then counts only)', (kind) => {
    const districts = Array.from({ length: 11 }, (_, d) => {
      const office = Org.parse({ id: `d${d}`, name: `${'很长的县区名称'.repeat(5)}第${d}区教科体局`, kind: 'district', contacts: [], tokenVersion: 1 });
      return { district: office, owing: Array.from({ length: 200 }, (_, i) => owing(school(`d${d}`, i, longName(i)))), expected: 250 };
    });
    const direct = Array.from({ length: 120 }, (_, i) => owing(Org.parse({ id: `direct-${i}`, name: longName(i), kind: 'school', directKind: '局属学校', contacts: [], tokenVersion: 1 })));
    const text = wellFormed(robotMessage(cityJob({ districts, direct, directExpected: 130 }), kind), kind);
    for (const d of districts) expect(text).toContain(`${d.district.name} 200 / 250：学校 200 所`);
    expect(text).toContain('直属学校 120 / 130');
    expect(text).toContain(`共有 **${11 * 200 + 120} 个单位**`);

    // A few Districts: the names fit, up to 15 per District, then "等 N 所".
    const few = wellFormed(robotMessage(cityJob({ districts: districts.slice(0, 2), direct: direct.slice(0, 3), directExpected: 3 }), kind), kind);
    expect(few).toMatch(/学校 200 所：[^\n]*、[^\n]* 等 200 所/);

    // An absurd registry (300 Districts): Districts are cut too, "等 300 个县区".
    const many = Array.from({ length: 300 }, (_, i) => ({ ...districts[0]!, district: Org.parse({ ...districts[0]!.district, id: `x${i}` }) }));
    const cut = wellFormed(robotMessage(cityJob({ districts: many }), kind), kind);
    expect(cut).toContain('…… 等 300 个县区，完整情况见汇总邮件');
  });
});

describe('cutBytes', () => {
  it('cuts on whole characters (CJK 3 bytes, astral 4 bytes), with "…" inside the budget', () => {
    const s = `${'心'.repeat(5)}${'𠀀'.repeat(5)}`; // 15 + 20 bytes
    expect(cutBytes(s, 35)).toBe(s);
    for (let max = 3; max < 35; max++) {
      const cut = cutBytes(s, max);
      expect(Buffer.byteLength(cut, 'utf8'), String(max)).toBeLessThanOrEqual(max);
      expect(cut.endsWith('…')).toBe(true);
      expect(s.startsWith(cut.slice(0, -1))).toBe(true);
      expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    expect(cutBytes(s, 10)).toBe('心心…');
    expect(cutBytes(s, 21)).toBe('心心心心心…'); // a 𠀀 would need 4 bytes: 15 + 4 + 3 > 21
    expect(cutBytes(s, 22)).toBe('心心心心心𠀀…');
  });
});

// ---- postRobot against the fake robot -----------------------------------------------------------

describe('postRobot', () => {
  let fake: FakeRobot;
  beforeAll(async () => {
    fake = await startFakeRobot();
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.received.length = 0;
  });

  const wecom = (): RobotHook => ({ kind: 'wecom', url: fake.wecomUrl(KEY) });
  const dingtalk = (secret?: string): RobotHook => ({ kind: 'dingtalk', url: fake.dingtalkUrl(TOKEN), ...(secret ? { secret } : {}) });
  /** The error, checked to say nothing of the URL or the credentials. */
  async function failure(p: Promise<unknown>): Promise<RobotError> {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RobotError);
    const err = e as RobotError;
    const shown = `${err.message} ${String(err.stack)} ${JSON.stringify(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
    for (const secret of [KEY, TOKEN, SECRET, fake.origin, '127.0.0.1', 'http']) expect(shown).not.toContain(secret);
    expect(err.message).toMatch(HAN);
    return err;
  }

  it('posts the WeCom message as JSON to the key, and the fake records it', async () => {
    // Registered as the operator would: the loopback URL through the check.
    const hook = robotInput({ allowLoopback: true }).parse({ kind: 'wecom', url: fake.wecomUrl(KEY) });
    const body = robotMessage(orgJob(), 'wecom');
    await postRobot(hook, body);
    expect(fake.received).toEqual([{ kind: 'wecom', key: KEY, body: JSON.stringify(body), parsed: body, query: { key: KEY }, outcome: 'ok' }]);
  });

  it('DingTalk signed mode: timestamp (ms) and sign, which the fake verifies; unsigned without a secret', async () => {
    fake.setSecret(TOKEN, SECRET);
    const before = Date.now();
    const body = robotMessage(districtJob(), 'dingtalk');
    await postRobot(dingtalk(SECRET), body);
    const [call] = fake.received;
    expect(call?.outcome).toBe('ok');
    expect(call?.parsed).toEqual(body);
    const ts = Number(call?.query.timestamp);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
    expect(call?.query.sign).toBe(dingtalkSign(SECRET, ts));

    // A wrong secret: DingTalk's 310000, not worth retrying.
    const bad = await failure(postRobot(dingtalk(`SEC${'0'.repeat(64)}`), body));
    expect(bad).toMatchObject({ retryable: false, code: 310000 });
    expect(bad.message).toContain('钉钉 …access_token=c0ff…（加签）（本地测试）：平台拒绝，errcode 310000：未通过机器人安全设置');
    // No secret at all, to a robot in signed mode: refused the same way.
    expect((await failure(postRobot(dingtalk(), body))).code).toBe(310000);
    expect(fake.received.map((r) => 'sign' in r.query)).toEqual([true, true, false]);
  });

  it('the sign is URL-encoded in the query (base64 "+", "/" and "=")', async () => {
    let seen = '';
    const spy: typeof fetch = async (url) => {
      seen = String(url);
      return new Response('{"errcode":0,"errmsg":"ok"}');
    };
    await postRobot({ kind: 'dingtalk', url: DINGTALK, secret: SECRET }, robotMessage(orgJob(), 'dingtalk'), { fetch: spy });
    const u = new URL(seen);
    expect(u.origin + u.pathname).toBe('https://oapi.dingtalk.com/robot/send');
    expect(u.searchParams.get('sign')).toBe(dingtalkSign(SECRET, u.searchParams.get('timestamp') ?? ''));
    expect(seen.split('sign=')[1]).toMatch(/^[A-Za-z0-9%]+$/);
  });

  it.each([
    ['wecom', 45009, true],
    ['wecom', -1, true],
    ['wecom', 93000, false],
    ['wecom', 40058, false],
    ['dingtalk', 130101, true],
    ['dingtalk', 660026, true],
    ['dingtalk', 300001, false],
    ['dingtalk', 310000, false],
    ['dingtalk', 400013, false],
  ] as const)('%s errcode %i → retryable %s', async (kind, errcode, retryable) => {
    fake.failNext({ errcode, errmsg: `refused, hint: [123], more info at https://open.example.com/devtool/query?e=${errcode} for ${kind === 'wecom' ? KEY : TOKEN}` });
    const e = await failure(postRobot(kind === 'wecom' ? wecom() : dingtalk(), robotMessage(orgJob(), kind)));
    expect(e).toMatchObject({ retryable, code: errcode });
    expect(e.message).toContain(`errcode ${errcode}`);
    expect(e.message).toContain('refused, hint: [123]'); // the platform's words stay, scrubbed
  });

  it('HTTP 5xx and 429 are retryable, other statuses and an unreadable answer are not', async () => {
    fake.failNext({ status: 500 });
    expect(await failure(postRobot(wecom(), robotMessage(orgJob(), 'wecom')))).toMatchObject({ retryable: true, code: 500 });
    fake.failNext({ status: 429 });
    expect(await failure(postRobot(wecom(), robotMessage(orgJob(), 'wecom')))).toMatchObject({ retryable: true, code: 429 });
    fake.failNext({ status: 403, text: `forbidden ${KEY}` });
    expect(await failure(postRobot(wecom(), robotMessage(orgJob(), 'wecom')))).toMatchObject({ retryable: false, code: 403 });
    const html: typeof fetch = async () => new Response('<html>proxy</html>', { status: 200 });
    expect(await failure(postRobot(wecom(), robotMessage(orgJob(), 'wecom'), { fetch: html }))).toMatchObject({ retryable: false });
    expect(fake.received.map((r) => r.outcome)).toEqual(['http', 'http', 'http']);
  });

  it('a robot that never answers: a retryable timeout after timeoutMs', async () => {
    fake.failNext('hang');
    const started = Date.now();
    const e = await failure(postRobot(wecom(), robotMessage(orgJob(), 'wecom'), { timeoutMs: 300 }));
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('0.3 秒内无应答（超时）');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.received[0]?.outcome).toBe('hang');
    // The next call goes through.
    await postRobot(wecom(), robotMessage(orgJob(), 'wecom'));
  });

  it('network errors are retryable and never quote the URL (fetch’s own errors do)', async () => {
    const closed = await startFakeRobot();
    const url = closed.wecomUrl(KEY);
    await closed.close();
    const refused = await failure(postRobot({ kind: 'wecom', url }, robotMessage(orgJob(), 'wecom')));
    expect(refused).toMatchObject({ retryable: true });
    expect(refused.message).toMatch(/网络错误（ECONNREFUSED）$/);

    const leaky: typeof fetch = async (u) => {
      throw new TypeError(`fetch failed for ${String(u)}`, { cause: new Error(`connect ${String(u)}`) });
    };
    expect(await failure(postRobot(dingtalk(SECRET), robotMessage(orgJob(), 'dingtalk'), { fetch: leaky }))).toMatchObject({ retryable: true });
  });
});

describe('org store: an import keeps the robots', () => {
  const ddb = mockClient(DynamoDBClient);
  const store = orgStore(ddb as unknown as DynamoDBClient, 'psy-table');
  afterEach(() => ddb.reset());
  const entry = { kind: 'wecom' as const, sealed: 'v1.AAAAAAAAAAAAAAAA.BBBB', hint: '企业微信 …key=5e0b…', addedAt: '2019-06-01T00:00:00.000Z' };

  it('upsert (what import-orgs writes) names only the CSV fields, never robots — even for an org read with robots', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ pk: 'ORG#dh-school-1' }) });
    await store.upsert({ ...orgs.dhSchool1, robots: [entry] });
    const [input] = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(input?.UpdateExpression).not.toMatch(/robots/);
    expect(JSON.stringify(input?.ExpressionAttributeNames)).not.toContain('robots');
    expect(JSON.stringify(input?.ExpressionAttributeValues)).not.toContain('sealed');
  });

  it('setRobots writes them (on an existing org only) and removes the attribute when none are left', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.setRobots('dh-school-1', [entry]);
    await store.setRobots('dh-school-1', []);
    const inputs = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      TableName: 'psy-table',
      Key: marshall({ pk: 'ORG#dh-school-1', sk: 'ORG' }),
      UpdateExpression: 'SET robots = :r',
      ExpressionAttributeValues: marshall({ ':r': [entry] }),
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(inputs[1]).toEqual({ TableName: 'psy-table', Key: marshall({ pk: 'ORG#dh-school-1', sk: 'ORG' }), UpdateExpression: 'REMOVE robots', ConditionExpression: 'attribute_exists(pk)' });
    const gone = new Error('The conditional request failed');
    gone.name = 'ConditionalCheckFailedException';
    ddb.on(UpdateItemCommand).rejects(gone);
    await expect(store.setRobots('nobody', [entry])).rejects.toThrow('机构不存在：nobody');
  });
});
