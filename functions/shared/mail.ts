import type { Clock } from './clock.js';
import type { TokenSigner } from './tokens.js';
import { domainToASCII } from 'node:url';
import { type Ddb, deleteItem, isConditionFailed, putItem, updateItem } from './clients/dynamodb.js';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** SES message tags (names and values: ASCII letters, digits, _ and -), e.g. { org: 'dh-school-1' }. */
  tags?: Record<string, string>;
}

/** A sender as MAIL_FROM gives it: an address, with or without a display name. */
export interface Sender {
  name?: string;
  address: string;
}

const LOCAL = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\`{|}~.-]+`;
const ADDRESS = new RegExp(`^(${LOCAL})@([^\\s@<>"()\\[\\],;:]+\\.[^\\s@<>"()\\[\\],;:]+)$`);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Thrown for a MAIL_FROM that is neither `Name <address>` nor a bare address. */
export class BadSenderError extends Error {
  constructor(value: string, why: string) {
    super(`MAIL_FROM 格式不正确（${why}）：应为 "南昌市未成年人心理健康辅导中心 <noreply@example.cn>" 或 "noreply@example.cn"，实际为 ${JSON.stringify(value)}`);
    this.name = 'BadSenderError';
  }
}

/**
 * Splits MAIL_FROM into display name and address: `Name <a@b.cn>`, `"Name" <a@b.cn>`, `<a@b.cn>` or
 * `a@b.cn`. The address must be ASCII in its local part (SES accepts no other); a non-ASCII domain
 * is turned into Punycode, as SES requires. Throws BadSenderError on anything else.
 */
export function parseSender(value: string): Sender {
  const v = value.trim();
  if (CONTROL.test(v)) throw new BadSenderError(value, '含有换行或控制字符');
  const m = /^(.*?)\s*<([^<>]*)>$/s.exec(v);
  let name = m ? (m[1] ?? '').trim() : undefined;
  const raw = (m ? (m[2] ?? '') : v).trim();
  if (!m && /[<>]/.test(v)) throw new BadSenderError(value, '尖括号不成对');
  if (name !== undefined && /^".*"$/s.test(name)) name = name.slice(1, -1).replace(/\\(.)/g, '$1').trim();
  if (name !== undefined && /[<>]/.test(name)) throw new BadSenderError(value, '名称中不能有尖括号');
  const a = ADDRESS.exec(raw);
  const domain = a?.[2] && domainToASCII(a[2].toLowerCase());
  if (!a || !domain) throw new BadSenderError(value, raw ? `"${raw}" 不是有效的邮箱地址` : '缺少邮箱地址');
  return { ...(name ? { name } : {}), address: `${a[1]}@${domain}` };
}

// RFC 5322 atext: a display name made only of these (and single spaces between words) needs no quotes.
const ATOMS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const ENCODED_WORDS = /^=\?UTF-8\?[BQ]\?[^?\s]*\?=( =\?UTF-8\?[BQ]\?[^?\s]*\?=)*$/i;
/** Base64 of at most 45 bytes is 60 characters: "=?UTF-8?B?" + 60 + "?=" = 72 ≤ 75 (RFC 2047 §2). */
const WORD_BYTES = 45;

/**
 * RFC 2047 B-encoded words for a header phrase: `=?UTF-8?B?…?=`, each at most 75 characters and cut
 * on whole characters (never inside a UTF-8 sequence or a surrogate pair), joined by a space (a
 * decoder drops whitespace between adjacent encoded words, so the text comes back exactly).
 */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length) words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
    chunk = [];
    size = 0;
  };
  for (const ch of text) {
    const b = Buffer.from(ch, 'utf8');
    if (size + b.length > WORD_BYTES) flush();
    chunk.push(b);
    size += b.length;
  }
  flush();
  return words.join(' ');
}

/**
 * The From header SES accepts: a non-ASCII display name as RFC 2047 encoded words, an ASCII one as
 * is when it is plain words or as an RFC 5322 quoted string otherwise, a bare address as is.
 * (AWS SES refuses a raw non-ASCII name; the local emulators accept anything, so this is tested on
 * the serialized request.) Throws BadSenderError for a MAIL_FROM of the wrong shape.
 */
export function encodeFrom(value: string): string {
  const { name, address } = parseSender(value);
  if (!name) return address;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) return `${encodeWords(name)} <${address}>`;
  if (ENCODED_WORDS.test(name)) return `${name} <${address}>`; // already encoded by the operator
  if (ATOMS.test(name) && !name.includes('=?')) return `${name} <${address}>`;
  return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
}

/** Sends one mail; returns the provider's message id. */
export interface Mailer {
  send(m: Mail): Promise<string>;
}

/**
 * The send ledger: every mail is claimed under a key naming what it is about, with a condition,
 * before it is sent — so a re-run, a retry or a second delivery never sends it twice.
 * Item: pk MAIL#<key>, sk MAIL.
 */
export interface SendLedger {
  /** True if this caller now owns the send; false if it was sent (or is being sent) already. */
  claim(key: string, about: Record<string, unknown>, at: string): Promise<boolean>;
  sent(key: string, messageId: string, at: string): Promise<void>;
  /** Gives the claim back after a failed send, so the next run tries again. */
  release(key: string): Promise<void>;
}

/** What sending a mail that carries an org's own link needs (invitations, receipts, reminders). */
export interface LinkMailDeps {
  tokens: TokenSigner;
  mailer: Mailer;
  ledger: SendLedger;
  clock: Clock;
  siteOrigin: string;
  linkTtlDays: number;
}

export const mailKey = (key: string) => ({ pk: `MAIL#${key}`, sk: 'MAIL' });

/**
 * Sends one mail at most once under `key`: claims it in the ledger first ('already' when someone did);
 * a compose or send that fails gives the claim back and throws (the next run tries again); a send that
 * left keeps its claim even if recording the message id fails (it is logged, never re-sent).
 */
export async function sendOnce(
  deps: { ledger: SendLedger; mailer: Mailer; now: () => Date },
  key: string,
  about: Record<string, unknown>,
  compose: () => Promise<Mail>,
): Promise<'sent' | 'already'> {
  if (!(await deps.ledger.claim(key, about, deps.now().toISOString()))) return 'already';
  let id: string;
  try {
    id = await deps.mailer.send(await compose());
  } catch (e) {
    await deps.ledger.release(key).catch(() => undefined);
    throw e;
  }
  await deps.ledger.sent(key, id, deps.now().toISOString()).catch((e: unknown) => {
    console.warn(JSON.stringify({ level: 'WARN', msg: 'mail sent but ledger not updated', key, error: String(e) }));
  });
  return 'sent';
}

export function sendLedger(ddb: Ddb, table: string): SendLedger {
  return {
    async claim(key, about, at) {
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...mailKey(key), key, about, state: 'sending', claimedAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
    async sent(key, messageId, at) {
      await updateItem(ddb, {
        TableName: table,
        Key: mailKey(key),
        UpdateExpression: 'SET #s = :s, messageId = :m, sentAt = :t',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'sent', ':m': messageId, ':t': at },
      });
    },
    async release(key) {
      await deleteItem(ddb, {
        TableName: table,
        Key: mailKey(key),
        ConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'sending' },
      });
    },
  };
}
