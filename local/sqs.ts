/**
 * A small Amazon SQS emulator for the local runtime, and an in-process Lambda event source mapping for it.
 *
 * Why: there is no SQS emulator in Node on npm (ElasticMQ is Java, LocalStack is Docker), and the outbox
 * (sweep → queue → mailer, a DLQ after maxReceiveCount) has to run on a laptop like the other emulators do.
 *
 * What it emulates, for standard queues over the AWS JSON 1.0 protocol that @aws-sdk/client-sqs speaks
 * (POST /, `x-amz-target: AmazonSQS.<Operation>`):
 * - GetQueueUrl; SendMessage(+Batch) with DelaySeconds and String/Number/Binary message attributes;
 *   ReceiveMessage (1–10 messages, a per-call VisibilityTimeout, long polling up to 20 s that returns as soon
 *   as a message can be received, system attributes, MD5s); DeleteMessage(+Batch);
 *   ChangeMessageVisibility(+Batch); GetQueueAttributes; PurgeQueue (once per 60 s).
 * - Redrive: a message already received maxReceiveCount times moves to the DLQ on the next receive attempt,
 *   keeping its id, SentTimestamp and receive count, with DeadLetterQueueSourceArn set.
 * - The 256 KiB limit (AWS's default MaximumMessageSize), body characters, batch rules, and AWS's errors:
 *   `x-amzn-query-error: <code>;Sender` (the SDK names errors after it: QueueDoesNotExist,
 *   InvalidParameterValue, ReceiptHandleIsInvalid, …) and the `__type` AWS sends.
 * - Receipt handles are new on every receive. Deleting with an older handle of a message received again since
 *   succeeds and deletes nothing: AWS documents that such a delete "will succeed, but the message might not be
 *   deleted"; we take the safe side, never deleting a message under its newer consumer. ChangeMessageVisibility
 *   with such a handle fails with InvalidParameterValue, as AWS. A handle we never issued: ReceiptHandleIsInvalid.
 * - State: one JSON file, rewritten (temp file + rename) on every change and read at start; messages that were
 *   in flight at a restart are visible again (their visibility deadline has passed, as far as anyone knows).
 *
 * pollQueue (at the end) is Lambda's SQS event source mapping, in process, for the mailer.
 *
 * Not emulated: FIFO queues; queue management (Create/Delete/List/SetQueueAttributes, tags); attribute list
 * values and system attributes on send (AWSTraceHeader); retention (messages never expire); policies,
 * permissions and signatures (any credentials pass); KMS; message move tasks; the query (XML) protocol;
 * the 12-hour ceiling on a message's total invisibility; in-flight quotas.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  QueueAttributeName,
  type BatchResultErrorEntry,
  type ChangeMessageVisibilityBatchRequest,
  type ChangeMessageVisibilityRequest,
  type DeleteMessageBatchRequest,
  type DeleteMessageRequest,
  type GetQueueAttributesRequest,
  type GetQueueUrlRequest,
  type PurgeQueueRequest,
  type ReceiveMessageRequest,
  type SendMessageBatchRequest,
  type SendMessageRequest,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const MAX_BYTES = 262_144;
const JSON_10 = 'application/x-amz-json-1.0';

export interface QueueConfig {
  name: string;
  visibilityTimeoutSeconds: number;
  dlq?: { name: string; maxReceiveCount: number };
}
export interface SqsOptions {
  /** Persistence (JSON); state survives a restart. */
  file?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** A DLQ named here but not listed is created with a 30 s visibility timeout. */
  queues: QueueConfig[];
}
/** As GetQueueAttributes counts them: visible, in flight (received, not deleted, invisible), delayed (DelaySeconds). */
export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}
/** A message attribute as JSON carries it (BinaryValue in base64). */
export interface WireAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}
/** A received message as JSON carries it. */
export interface WireMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, WireAttribute>;
}
export interface SqsEmulator {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_SQS. */
  url: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** The queue a URL names (any host); throws QueueDoesNotExist. */
  queueName(url: string): string;
  counts(name: string): QueueCounts;
  /** In process: ReceiveMessage without waiting, every attribute, the queue's visibility timeout unless given. */
  receive(name: string, max: number, visibilityTimeoutSeconds?: number): WireMessage[];
  /** In process: DeleteMessage. */
  deleteMessage(name: string, receiptHandle: string): void;
  /** Resolves when a message may have become receivable (sent, visible again, …), on abort, or at stop. */
  changed(name: string, signal?: AbortSignal): Promise<void>;
  readonly stopped: boolean;
  stop(): Promise<void>;
}

interface Msg {
  id: string;
  body: string;
  attrs?: Record<string, WireAttribute>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  handle?: string;
  dlqSource?: string;
}
interface Queue {
  name: string;
  arn: string;
  visibilityTimeout: number;
  dlq?: { name: string; maxReceiveCount: number };
  msgs: Msg[];
  waiters: Set<() => void>;
  purgedAt: number;
}

class SqsError extends Error {
  /** `code` goes to x-amzn-query-error (none for protocol errors), `type` to the body's __type. */
  constructor(message: string, readonly code: string, readonly type: string, readonly status = 400) {
    super(message);
  }
}
/** An error in client-sqs's model: its shape, and the query code the model gives it. */
const modelled = (shape: string, message: string, code = `AWS.SimpleQueueService.${shape}`, status = 400) =>
  new SqsError(message, code, `com.amazonaws.sqs#${shape}`, status);
/** A common AWS error (not in the model): AWS sends coral's shape; the SDK names the error after the code. */
const common = (code: string, message: string) => new SqsError(message, code, `com.amazon.coral.service#${code}Exception`);
const invalid = (message: string) => common('InvalidParameterValue', message);
const noQueue = () => modelled('QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue');

function need<T>(v: T | undefined | null, name: string): T {
  if (v === undefined || v === null || v === '') throw common('MissingParameter', `The request must contain the parameter ${name}.`);
  return v;
}
function int(v: number | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`Value ${v} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  return v;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const isBinary = (a: WireAttribute) => (a.DataType ?? '').startsWith('Binary');
const bytesOf = (a: WireAttribute) => (isBinary(a) ? Buffer.from(a.BinaryValue ?? '', 'base64') : Buffer.from(a.StringValue ?? ''));
/** AWS's MD5 of message attributes: by name, each of name, type, value length-prefixed; 1 = string, 2 = binary. */
function md5OfAttributes(attrs: Record<string, WireAttribute>): string {
  const h = createHash('md5');
  const put = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    h.update(length).update(b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name] as WireAttribute;
    put(Buffer.from(name));
    put(Buffer.from(a.DataType));
    h.update(Buffer.from([isBinary(a) ? 2 : 1]));
    put(bytesOf(a));
  }
  return h.digest('hex');
}
const attrBytes = (attrs: Record<string, WireAttribute> = {}) =>
  Object.entries(attrs).reduce((n, [name, a]) => n + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + bytesOf(a).length, 0);
function checkAttributes(attrs: Record<string, WireAttribute>) {
  const names = Object.keys(attrs);
  if (names.length > 10) throw invalid(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  for (const name of names) {
    const a = attrs[name] as WireAttribute;
    const kind = /^(String|Number|Binary)(\.|$)/.exec(a.DataType ?? '')?.[1];
    if (!kind) throw invalid(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    const value = kind === 'Binary' ? a.BinaryValue : a.StringValue;
    if (!value) throw invalid(`The message (user) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${kind}'.`);
    if (kind === 'Number' && !Number.isFinite(Number(value))) throw invalid(`Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
}
const BAD_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Batch entries: 1–10, ids distinct, of letters, digits, - and _ (up to 80). */
function entries<E extends { Id: string | undefined }>(list: E[] | undefined, kind: string): (E & { Id: string })[] {
  if (!list?.length) throw modelled('EmptyBatchRequest', `There should be at least one ${kind} in the request.`);
  if (list.length > 10) throw modelled('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${list.length}.`);
  const seen = new Set<string>();
  for (const e of list) {
    if (!/^[\w-]{1,80}$/.test(e.Id ?? '')) throw modelled('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    if (seen.has(e.Id as string)) throw modelled('BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    seen.add(e.Id as string);
  }
  return list as (E & { Id: string })[];
}
/** A batch answered entry by entry: what an entry fails with goes to Failed, as AWS reports it. */
function perEntry<E extends { Id: string }, R extends object>(list: E[], fn: (e: E) => R) {
  const Successful: (R & { Id: string })[] = [];
  const Failed: BatchResultErrorEntry[] = [];
  for (const e of list) {
    try {
      Successful.push({ Id: e.Id, ...fn(e) });
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
    }
  }
  return { Successful, Failed };
}

export async function startSqs(opts: SqsOptions): Promise<SqsEmulator> {
  const queues = new Map<string, Queue>();
  let url = '';
  let stopped = false;
  const add = (name: string, visibilityTimeout: number, dlq?: QueueConfig['dlq']) => {
    if (!/^[\w-]{1,80}$/.test(name)) throw new Error(`SQS queue name ${JSON.stringify(name)}: 1–80 letters, digits, - or _ (no FIFO)`);
    if (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > 43_200) throw new Error(`${name}: visibility timeout 0–43200 s`);
    if (dlq && !(Number.isInteger(dlq.maxReceiveCount) && dlq.maxReceiveCount >= 1 && dlq.maxReceiveCount <= 1000)) throw new Error(`${name}: maxReceiveCount 1–1000`);
    queues.set(name, { name, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, visibilityTimeout, dlq, msgs: [], waiters: new Set(), purgedAt: 0 });
  };
  for (const q of opts.queues) add(q.name, q.visibilityTimeoutSeconds, q.dlq);
  for (const q of opts.queues) if (q.dlq && !queues.has(q.dlq.name)) add(q.dlq.name, 30);

  const file = opts.file;
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { queues: Record<string, Msg[]> };
    const now = Date.now();
    for (const q of queues.values())
      q.msgs = (saved.queues[q.name] ?? []).map((m) => (m.receiveCount && m.visibleAt > now ? { ...m, visibleAt: now } : m));
  }
  const save = () => {
    if (!file) return;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ queues: Object.fromEntries([...queues.values()].map((q) => [q.name, q.msgs])) }));
    renameSync(tmp, file);
  };
  const notify = (q: Queue) => [...q.waiters].forEach((wake) => wake());

  const byName = (name: string) => {
    const q = queues.get(name);
    if (!q) throw noQueue();
    return q;
  };
  function queueOf(queueUrl: string | undefined): Queue {
    let path = need(queueUrl, 'QueueUrl');
    try {
      path = new URL(path).pathname;
    } catch {
      /* not a URL: no such queue */
    }
    const m = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
    return byName(m?.[1] === ACCOUNT ? (m[2] ?? '') : '');
  }

  function counts(q: Queue): QueueCounts {
    const now = Date.now();
    const c = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of q.msgs) {
      if (m.visibleAt <= now) c.visible++;
      else if (m.receiveCount) c.inFlight++;
      else c.delayed++;
    }
    return c;
  }

  function prepare(body: string | undefined, delaySeconds: number | undefined, attrs: Record<string, WireAttribute> = {}): Msg {
    const text = need(body, 'MessageBody');
    const bad = BAD_CHAR.exec(text);
    if (bad)
      throw modelled(
        'InvalidMessageContents',
        `Invalid binary character '#x${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
        'InvalidMessageContents',
      );
    checkAttributes(attrs);
    if (Buffer.byteLength(text) + attrBytes(attrs) > MAX_BYTES) throw invalid(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BYTES} bytes.`);
    const now = Date.now();
    const delay = int(delaySeconds, 0, 'DelaySeconds', 0, 900);
    return { id: randomUUID(), body: text, ...(Object.keys(attrs).length ? { attrs } : {}), sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0 };
  }
  const sent = (m: Msg) => ({ MessageId: m.id, MD5OfMessageBody: md5(m.body), ...(m.attrs ? { MD5OfMessageAttributes: md5OfAttributes(m.attrs) } : {}) });
  function enqueue(q: Queue, msgs: Msg[]) {
    if (!msgs.length) return;
    q.msgs.push(...msgs);
    save();
    notify(q);
  }
  /** AWS sends MessageAttributes' BinaryValue as base64 in JSON; the SDK's types say Uint8Array. */
  const wire = (attrs: unknown) => (attrs ?? {}) as Record<string, WireAttribute>;

  /** The receive itself: up to `max` visible messages, each with a new handle; redrive on the way. */
  function take(q: Queue, max: number, visibilityTimeout: number): Msg[] {
    const now = Date.now();
    const out: Msg[] = [];
    let dirty = false;
    for (const m of [...q.msgs]) {
      if (out.length === max) break;
      if (m.visibleAt > now) continue;
      dirty = true;
      const dlq = q.dlq && queues.get(q.dlq.name);
      if (q.dlq && dlq && m.receiveCount >= q.dlq.maxReceiveCount) {
        q.msgs.splice(q.msgs.indexOf(m), 1);
        const moved: Msg = { ...m, visibleAt: now, dlqSource: q.arn };
        delete moved.handle;
        dlq.msgs.push(moved);
        notify(dlq);
        continue;
      }
      m.receiveCount += 1;
      m.firstReceiveAt ??= now;
      m.handle = Buffer.from(`${q.name} ${m.id} ${randomUUID()}`).toString('base64');
      m.visibleAt = now + visibilityTimeout * 1000;
      out.push(m);
    }
    if (dirty) {
      save();
      notify(q); // other waiters re-arm their timers for the new visibility deadlines
    }
    return out;
  }
  function render(m: Msg, system: string[], user: string[]): WireMessage {
    const values: Record<string, string | undefined> = {
      SenderId: ACCOUNT,
      SentTimestamp: String(m.sentAt),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
      DeadLetterQueueSourceArn: m.dlqSource,
    };
    const attributes = Object.fromEntries(
      Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined && (system.includes('All') || system.includes(e[0]))),
    );
    const wanted = (n: string) => user.some((w) => w === 'All' || w === '.*' || w === n || (w.endsWith('.*') && n.startsWith(w.slice(0, -1))));
    const picked = Object.fromEntries(Object.entries(m.attrs ?? {}).filter(([n]) => wanted(n)));
    return {
      MessageId: m.id,
      ReceiptHandle: m.handle ?? '',
      MD5OfBody: md5(m.body),
      Body: m.body,
      ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
      ...(Object.keys(picked).length ? { MD5OfMessageAttributes: md5OfAttributes(picked), MessageAttributes: picked } : {}),
    };
  }
  /** Waits until a message may be receivable: woken by sends and visibility changes, or by a timer at the next visibility deadline. */
  function changed(q: Queue, deadline = Infinity, signal?: AbortSignal): Promise<void> {
    if (stopped || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const now = Date.now();
      const wake = q.msgs.reduce((t, m) => (m.visibleAt > now && m.visibleAt < t ? m.visibleAt : t), deadline);
      const timer = wake === Infinity ? undefined : setTimeout(() => done(), Math.max(1, wake - now));
      const done = () => {
        clearTimeout(timer);
        q.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      q.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  /** The message a handle names now; undefined if the handle is stale (received again since) or the message gone. */
  function byHandle(q: Queue, handle: string | undefined): Msg | undefined {
    const h = need(handle, 'ReceiptHandle');
    const [name, id, nonce, extra] = Buffer.from(h, 'base64').toString().split(' ');
    if (name !== q.name || !id || !nonce || extra !== undefined)
      throw modelled('ReceiptHandleIsInvalid', `The input receipt handle "${h}" is not a valid receipt handle.`, 'ReceiptHandleIsInvalid', 404);
    return q.msgs.find((m) => m.handle === h);
  }
  function remove(q: Queue, handle: string | undefined) {
    const m = byHandle(q, handle);
    if (!m) return; // AWS: succeeds; the message stays if it was received again since
    q.msgs.splice(q.msgs.indexOf(m), 1);
    save();
  }
  function changeVisibility(q: Queue, handle: string | undefined, seconds: number | undefined) {
    const timeout = int(need(seconds, 'VisibilityTimeout'), 0, 'VisibilityTimeout', 0, 43_200);
    const m = byHandle(q, handle);
    if (!m) throw invalid(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    const now = Date.now();
    if (m.visibleAt <= now) throw modelled('MessageNotInflight', "The specified message isn't in flight.");
    m.visibleAt = now + timeout * 1000;
    save();
    notify(q);
  }

  // The operations, on the request shapes as JSON carries them.
  const ops: Record<string, (input: never, signal: AbortSignal) => object | Promise<object>> = {
    GetQueueUrl(i: GetQueueUrlRequest) {
      const q = byName(need(i.QueueName, 'QueueName'));
      if (i.QueueOwnerAWSAccountId && i.QueueOwnerAWSAccountId !== ACCOUNT) throw noQueue();
      return { QueueUrl: `${url}/${ACCOUNT}/${q.name}` };
    },
    SendMessage(i: SendMessageRequest) {
      const q = queueOf(i.QueueUrl);
      const m = prepare(i.MessageBody, i.DelaySeconds, wire(i.MessageAttributes));
      enqueue(q, [m]);
      return sent(m);
    },
    SendMessageBatch(i: SendMessageBatchRequest) {
      const q = queueOf(i.QueueUrl);
      const list = entries(i.Entries, 'SendMessageBatchRequestEntry');
      const total = list.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? '') + attrBytes(wire(e.MessageAttributes)), 0);
      if (total > MAX_BYTES) throw modelled('BatchRequestTooLong', `Batch requested message too long. Maximum total is ${MAX_BYTES} bytes.`);
      const msgs: Msg[] = [];
      const out = perEntry(list, (e) => {
        const m = prepare(e.MessageBody, e.DelaySeconds, wire(e.MessageAttributes));
        msgs.push(m);
        return sent(m);
      });
      enqueue(q, msgs);
      return out;
    },
    async ReceiveMessage(i: ReceiveMessageRequest, signal: AbortSignal) {
      const q = queueOf(i.QueueUrl);
      const max = int(i.MaxNumberOfMessages, 1, 'MaxNumberOfMessages', 1, 10);
      const timeout = int(i.VisibilityTimeout, q.visibilityTimeout, 'VisibilityTimeout', 0, 43_200);
      const deadline = Date.now() + int(i.WaitTimeSeconds, 0, 'WaitTimeSeconds', 0, 20) * 1000;
      const system: string[] = [...(i.AttributeNames ?? []), ...(i.MessageSystemAttributeNames ?? [])];
      for (;;) {
        if (stopped || signal.aborted) return {}; // nobody to hand messages to
        const got = take(q, max, timeout);
        if (got.length) return { Messages: got.map((m) => render(m, system, i.MessageAttributeNames ?? [])) };
        if (Date.now() >= deadline) return {};
        await changed(q, deadline, signal);
      }
    },
    DeleteMessage(i: DeleteMessageRequest) {
      remove(queueOf(i.QueueUrl), i.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch(i: DeleteMessageBatchRequest) {
      const q = queueOf(i.QueueUrl);
      return perEntry(entries(i.Entries, 'DeleteMessageBatchRequestEntry'), (e) => (remove(q, e.ReceiptHandle), {}));
    },
    ChangeMessageVisibility(i: ChangeMessageVisibilityRequest) {
      changeVisibility(queueOf(i.QueueUrl), i.ReceiptHandle, i.VisibilityTimeout);
      return {};
    },
    ChangeMessageVisibilityBatch(i: ChangeMessageVisibilityBatchRequest) {
      const q = queueOf(i.QueueUrl);
      return perEntry(entries(i.Entries, 'ChangeMessageVisibilityBatchRequestEntry'), (e) => (changeVisibility(q, e.ReceiptHandle, e.VisibilityTimeout), {}));
    },
    GetQueueAttributes(i: GetQueueAttributesRequest) {
      const q = queueOf(i.QueueUrl);
      const names: string[] = i.AttributeNames ?? [];
      for (const n of names) if (!Object.hasOwn(QueueAttributeName, n)) throw modelled('InvalidAttributeName', `Unknown Attribute ${n}.`, 'InvalidAttributeName');
      const c = counts(q);
      const dlq = q.dlq && queues.get(q.dlq.name);
      const values: Record<string, string | undefined> = {
        ApproximateNumberOfMessages: String(c.visible),
        ApproximateNumberOfMessagesNotVisible: String(c.inFlight),
        ApproximateNumberOfMessagesDelayed: String(c.delayed),
        QueueArn: q.arn,
        VisibilityTimeout: String(q.visibilityTimeout),
        DelaySeconds: '0',
        MaximumMessageSize: String(MAX_BYTES),
        MessageRetentionPeriod: '345600',
        ReceiveMessageWaitTimeSeconds: '0',
        RedrivePolicy: q.dlq && dlq ? JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: q.dlq.maxReceiveCount }) : undefined,
      };
      const Attributes = Object.fromEntries(
        Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined && (names.includes('All') || names.includes(e[0]))),
      );
      return Object.keys(Attributes).length ? { Attributes } : {};
    },
    PurgeQueue(i: PurgeQueueRequest) {
      const q = queueOf(i.QueueUrl);
      const now = Date.now();
      if (now - q.purgedAt < 60_000) throw modelled('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`, undefined, 403);
      q.purgedAt = now;
      q.msgs = [];
      save();
      return {};
    },
  };

  async function respond(req: IncomingMessage, res: ServerResponse, text: string) {
    const gone = new AbortController();
    res.on('close', () => gone.abort()); // a long poll whose client left must not take messages for nobody
    const reply = (status: number, body: object, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': JSON_10, 'content-length': Buffer.byteLength(json), 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(json);
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      if (req.method !== 'POST' || !name) throw new SqsError(`Unknown operation ${target}`, '', 'com.amazon.coral.service#UnknownOperationException');
      const op = Object.hasOwn(ops, name) ? ops[name] : undefined;
      if (!op) throw modelled('UnsupportedOperation', `${name} is not emulated (local/sqs.ts).`);
      let input: unknown;
      try {
        input = JSON.parse(text || '{}');
      } catch {
        /* below */
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new SqsError('The body must be a JSON object (this emulator speaks the AWS JSON 1.0 protocol only).', '', 'com.amazon.coral.service#SerializationException');
      reply(200, await op(input as never, gone.signal));
    } catch (e) {
      if (!(e instanceof SqsError)) {
        console.error('[sqs]', e);
        reply(500, { __type: 'com.amazon.coral.service#InternalFailure', message: String(e) });
      } else reply(e.status, { __type: e.type, message: e.message }, e.code ? { 'x-amzn-query-error': `${e.code};Sender` } : {});
    }
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void respond(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const port = await new Promise<number>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
  });
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    queueUrl: (name) => `${url}/${ACCOUNT}/${byName(name).name}`,
    queueArn: (name) => byName(name).arn,
    queueName: (queueUrl) => queueOf(queueUrl).name,
    counts: (name) => counts(byName(name)),
    receive(name, max, visibilityTimeoutSeconds) {
      const q = byName(name);
      const timeout = int(visibilityTimeoutSeconds, q.visibilityTimeout, 'VisibilityTimeout', 0, 43_200);
      return take(q, int(max, 1, 'MaxNumberOfMessages', 1, 10), timeout).map((m) => render(m, ['All'], ['All']));
    },
    deleteMessage: (name, receiptHandle) => remove(byName(name), receiptHandle),
    changed: (name, signal) => changed(byName(name), Infinity, signal),
    get stopped() {
      return stopped;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      queues.forEach(notify); // pending long polls answer (empty)
      await new Promise<void>((ok) => {
        server.close(() => ok());
        setImmediate(() => server.closeAllConnections());
      });
      save();
    },
  };
}

export interface PollOptions {
  sqs: SqsEmulator;
  queueUrl: string;
  /** 1–10 (Lambda needs a batching window for more; not emulated). */
  batchSize: number;
  /** Invocations at once (the mapping's maximum concurrency). */
  maxConcurrency: number;
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** A failed invocation (it threw, or named a record not in the batch); default: console.error. */
  onError?: (error: unknown, event: SQSEvent) => void;
}
export interface Poller {
  /** Stops receiving; resolves when running invocations have finished. */
  stop(): Promise<void>;
  /**
   * Resolves, with the queue's counts, once no message is visible and no invocation runs — and, by default, no
   * message is in flight or delayed either: a record that failed is waited for until it is retried and deleted or
   * moved to the DLQ (a record that always fails, on a queue without a DLQ, keeps it pending).
   * `{ waitInvisible: false }` does not wait for messages that are invisible (failed records waiting out their
   * visibility timeout, DelaySeconds, messages held by other consumers): the counts say how many there are.
   * Rejects if the poller or the emulator is stopped with work left.
   */
  idle(opts?: { waitInvisible?: boolean }): Promise<QueueCounts>;
}

/**
 * An SQS event source mapping, in process (as Lambda's: ReportBatchItemFailures on, no batching window).
 * Receives up to batchSize messages as soon as they are visible, invokes with an SQSEvent; on success deletes
 * every record not named in batchItemFailures. Records named there — and every record when the invocation throws
 * or names an itemIdentifier that is not in the batch — are left to reappear after their visibility timeout
 * (and, past maxReceiveCount, to move to the DLQ). At most maxConcurrency invocations run at once.
 * It calls the emulator in process, not over HTTP: a receive and the invocation it starts are one synchronous
 * step, so idle() can never look between them and see neither.
 */
export function pollQueue(opts: PollOptions): Poller {
  const { sqs, batchSize, maxConcurrency, invoke } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new Error('pollQueue: batchSize 1–10');
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new Error('pollQueue: maxConcurrency ≥ 1');
  const name = sqs.queueName(opts.queueUrl);
  const arn = sqs.queueArn(name);
  const onError = opts.onError ?? ((e: unknown) => console.error(`[sqs → lambda] ${name}:`, e));
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();

  const record = (m: WireMessage): SQSRecord => ({
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    attributes: m.Attributes as unknown as SQSRecordAttributes,
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, a]) => [
        k,
        { ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : { binaryValue: a.BinaryValue }), stringListValues: [], binaryListValues: [], dataType: a.DataType },
      ]),
    ),
    md5OfBody: m.MD5OfBody,
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: REGION,
  });

  async function handle(messages: WireMessage[]) {
    const event: SQSEvent = { Records: messages.map(record) };
    let failed: Set<string>;
    try {
      const res = await invoke(event);
      const ids = (res ? (res.batchItemFailures ?? []) : []).map((f) => f?.itemIdentifier);
      if (ids.some((id) => !id || !event.Records.some((r) => r.messageId === id)))
        throw new Error(`batchItemFailures ${JSON.stringify(ids)} names a record not in the batch: the whole batch fails (as in Lambda)`);
      failed = new Set(ids);
    } catch (e) {
      onError(e, event);
      return;
    }
    for (const r of event.Records) if (!failed.has(r.messageId)) sqs.deleteMessage(name, r.receiptHandle);
  }

  const loop = (async () => {
    while (!stopping.signal.aborted && !sqs.stopped) {
      if (running.size >= maxConcurrency) {
        await Promise.race(running);
        continue;
      }
      const messages = sqs.receive(name, batchSize);
      if (!messages.length) {
        await sqs.changed(name, stopping.signal);
        continue;
      }
      // Taken and counted as running in one synchronous step: idle() never sees them in between.
      const p: Promise<void> = handle(messages)
        .catch((e: unknown) => console.error(`[sqs → lambda] ${name}: onError threw`, e))
        .finally(() => running.delete(p));
      running.add(p);
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      await Promise.allSettled([...running]);
    },
    async idle({ waitInvisible = true } = {}) {
      for (;;) {
        const c = sqs.counts(name);
        if (!running.size && !c.visible && (!waitInvisible || !(c.inFlight + c.delayed))) return c;
        if (stopping.signal.aborted || sqs.stopped) throw new Error(`pollQueue ${name}: stopped with messages left (${JSON.stringify(c)})`);
        await new Promise((ok) => setTimeout(ok, 10));
      }
    },
  };
}
