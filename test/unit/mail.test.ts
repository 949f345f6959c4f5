/**
 * The From address real SES accepts, checked on the exact HTTP request the SES v2 client sends: a real
 * SESv2Client whose request handler captures the serialized request instead of sending it.
 */
import { Readable } from 'node:stream';
import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/shared/clients/sesv2.js';
import { BadSenderError, encodeFrom, encodeWords, parseSender } from '../../functions/shared/mail.js';

const CENTRE = '南昌市未成年人心理健康辅导中心';

interface Captured {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A real client; its handler records each request and answers as SES does, with no network. */
function capturingClient() {
  const requests: Captured[] = [];
  const requestHandler = {
    async handle(req: { method: string; path: string; headers: Record<string, string>; body?: unknown }) {
      requests.push({ method: req.method, path: req.path, headers: req.headers, body: typeof req.body === 'string' ? req.body : Buffer.from(req.body as Uint8Array).toString('utf8') });
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' },
          body: Readable.from([Buffer.from(JSON.stringify({ MessageId: 'msg-from-capture' }))]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const ses = new SESv2Client({
    region: 'ap-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    endpoint: 'https://email.ap-east-1.amazonaws.com',
    requestHandler: requestHandler as unknown as NonNullable<SESv2ClientConfig['requestHandler']>,
  });
  return { ses, requests };
}

const mail = { to: ['zhang@dh1.example.cn'], subject: '【回执】心理危机管理工作方案（第 1 版）已收到', text: '正文 & <文本>', html: '<p>正文</p>' };

/** Decodes a phrase of RFC 2047 B-words (the whitespace between adjacent words is dropped, §6.2). */
function decodeWords(phrase: string): string {
  const words = phrase.split(' ');
  const bytes = words.map((w) => {
    const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w);
    expect(m, w).not.toBeNull();
    return Buffer.from(m?.[1] ?? '', 'base64');
  });
  // Each word decodes to whole UTF-8 characters on its own.
  for (const b of bytes) expect(Buffer.from(b.toString('utf8'), 'utf8').equals(b)).toBe(true);
  return Buffer.concat(bytes).toString('utf8');
}

describe('sesMailer: the request SES receives', () => {
  it('sends a Chinese display name as an RFC 2047 encoded word, subject and bodies as Content.Simple in UTF-8', async () => {
    const { ses, requests } = capturingClient();
    const id = await sesMailer(ses, `${CENTRE} <noreply@psy.example.cn>`).send(mail);
    expect(id).toBe('msg-from-capture');
    expect(requests).toHaveLength(1);
    const req = requests[0] as Captured;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/email/outbound-emails');
    const body = JSON.parse(req.body) as Record<string, unknown>;
    const word = `=?UTF-8?B?${Buffer.from(CENTRE, 'utf8').toString('base64')}?=`;
    expect(word.length).toBeLessThanOrEqual(75);
    expect(body).toEqual({
      FromEmailAddress: `${word} <noreply@psy.example.cn>`,
      Destination: { ToAddresses: ['zhang@dh1.example.cn'] },
      Content: {
        Simple: {
          Subject: { Data: mail.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
        },
      },
    });
    // The header SES gets is pure ASCII, and its name decodes back to the original.
    const from = body.FromEmailAddress as string;
    expect(from).toMatch(/^[\x20-\x7e]+$/);
    const m = /^(.*) <(.*)>$/.exec(from);
    expect(decodeWords(m?.[1] ?? '')).toBe(CENTRE);
    expect(m?.[2]).toBe('noreply@psy.example.cn');
  });

  it('sends a bare address as it is', async () => {
    const { ses, requests } = capturingClient();
    await sesMailer(ses, ' noreply@psy.example.cn ').send(mail);
    expect(JSON.parse(requests[0]?.body ?? '{}')).toMatchObject({ FromEmailAddress: 'noreply@psy.example.cn' });
  });

  it('refuses a bad MAIL_FROM when the mailer is made, before anything is sent', () => {
    const { ses, requests } = capturingClient();
    expect(() => sesMailer(ses, '南昌市未成年人心理健康辅导中心')).toThrow(BadSenderError);
    expect(() => sesMailer(ses, '南昌市未成年人心理健康辅导中心')).toThrow(/MAIL_FROM 格式不正确/);
    expect(requests).toEqual([]);
  });
});

describe('encodeFrom', () => {
  it('splits a long name into encoded words of at most 75 characters, on whole characters', () => {
    const name = `${CENTRE}（南昌市教育局直属单位）心理健康教育与危机干预工作办公室😀`;
    const from = encodeFrom(`${name} <noreply@psy.example.cn>`);
    const phrase = from.slice(0, from.lastIndexOf(' <'));
    const words = phrase.split(' ');
    expect(words.length).toBeGreaterThan(2);
    for (const w of words) expect(w.length).toBeLessThanOrEqual(75);
    expect(decodeWords(phrase)).toBe(name);
  });

  it('cuts between characters even when a 4-byte character straddles the 45-byte limit', () => {
    const name = `${'a'.repeat(43)}😀b`; // 43 + 4 bytes: the emoji must start the second word
    const words = encodeWords(name).split(' ');
    expect(words).toHaveLength(2);
    expect(Buffer.from(words[1]?.slice(10, -2) ?? '', 'base64').toString('utf8')).toBe('😀b');
    expect(decodeWords(encodeWords(name))).toBe(name);
  });

  it('leaves plain ASCII words alone and quotes an ASCII name that needs it (RFC 5322)', () => {
    expect(encodeFrom('Nanchang Psy Centre <noreply@psy.example.cn>')).toBe('Nanchang Psy Centre <noreply@psy.example.cn>');
    expect(encodeFrom('Centre, Nanchang <noreply@psy.example.cn>')).toBe('"Centre, Nanchang" <noreply@psy.example.cn>');
    expect(encodeFrom('"Dr. \\"Wang\\"" <noreply@psy.example.cn>')).toBe('"Dr. \\"Wang\\"" <noreply@psy.example.cn>');
    expect(encodeFrom('a\\b <noreply@psy.example.cn>')).toBe('"a\\\\b" <noreply@psy.example.cn>');
    expect(encodeFrom('<noreply@psy.example.cn>')).toBe('noreply@psy.example.cn');
  });

  it('encodes a quoted Chinese name too, and keeps a name already in encoded words', () => {
    const word = `=?UTF-8?B?${Buffer.from(CENTRE).toString('base64')}?=`;
    expect(encodeFrom(`"${CENTRE}" <noreply@psy.example.cn>`)).toBe(`${word} <noreply@psy.example.cn>`);
    expect(encodeFrom(`${word} <noreply@psy.example.cn>`)).toBe(`${word} <noreply@psy.example.cn>`);
  });

  it('turns a non-ASCII domain into Punycode (value checked with Python\'s idna codec)', () => {
    expect(parseSender('中心 <noreply@心理.中国>')).toEqual({ name: '中心', address: 'noreply@xn--15ty46b.xn--fiqs8s' });
  });

  it.each([
    ['', '缺少邮箱地址'],
    ['南昌市未成年人心理健康辅导中心', '不是有效的邮箱地址'],
    ['中心 noreply@psy.example.cn', '不是有效的邮箱地址'],
    ['中心 <noreply@psy.example.cn', '尖括号不成对'],
    ['中心 <>', '缺少邮箱地址'],
    ['中心 <noreply>', '不是有效的邮箱地址'],
    ['中心 <noreply@localhost>', '不是有效的邮箱地址'],
    ['中心 <心理@psy.example.cn>', '不是有效的邮箱地址'],
    ['中心 <a@b.cn> <c@d.cn>', '名称中不能有尖括号'],
    ['中心\r\nBcc: x@evil.example <noreply@psy.example.cn>', '含有换行或控制字符'],
  ])('refuses %j (%s)', (value, why) => {
    expect(() => encodeFrom(value)).toThrow(BadSenderError);
    expect(() => encodeFrom(value)).toThrow(why);
  });
});
