/**
 * The local runtime: real emulators over real HTTP (dynalite for DynamoDB, s3rver for S3,
 * aws-ses-v2-local for SES), the route table served by one Node HTTP server, and s3rver's
 * ObjectCreated events wired to the same validate handler S3 triggers in the cloud.
 * Used by `npm run dev` and by the integration and e2e tests (on port 0).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { AUDIT_TABLE_DESIGN, CONTACTS_TABLE_DESIGN, TABLE_DESIGN } from '../schemas/table.js';
import { type FunctionName, s3Triggers } from '../functions/routes.js';
import { decodeS3Key } from '../schemas/s3-events.js';
import { clockOf } from '../functions/shared/clock.js';
import { schedules } from '../functions/schedules.js';
import { startRouter } from './router.js';
import { lastFiring, scheduledEvent, startScheduler } from './scheduler.js';
import { pollQueue, type QueueCounts, startSqs } from './sqs.js';

/** The outbox queue locally: a failed mail is retried after 30 s, and dead-lettered after 5 receives (as in the cloud). */
export const LOCAL_OUTBOX = { name: 'outbox', visibilityTimeoutSeconds: 30, dlq: { name: 'outbox-dlq', maxReceiveCount: 5 } } as const;

export const ROOT = resolve(import.meta.dirname, '..');

export interface RuntimeOptions {
  /** State folder (tables, objects, keys, clock). */
  dir: string;
  port?: number;
  sesPort?: number;
  /** Domain "now" at first start (DEV_NOW); the domain clock runs forward in real time from there. */
  domainNow?: string;
  quiet?: boolean;
  /** Fire the schedules on the domain clock (default true; tests tick explicitly). */
  scheduler?: boolean;
}

export interface Runtime {
  url: string;
  sesUrl: string;
  env: Record<string, string>;
  /** True when the table was created by this start (the caller seeds). */
  fresh: boolean;
  /** Resolves when every S3 event delivered so far has been handled. */
  settled(): Promise<void>;
  /**
   * Runs every schedule's job due at `at` (its latest firing at or before it) and waits until the outbox
   * has nothing left to send now; returns each job's report and the outbox's counts (messages waiting
   * out a retry are counted as inFlight, not waited for).
   */
  tick(at: Date): Promise<{ reports: unknown[]; outbox: QueueCounts }>;
  /** Invokes a function of the route table in process, as its trigger would (e.g. an SES event from EventBridge). */
  invoke(fn: FunctionName, event: unknown): Promise<unknown>;
  /** Resolves when the outbox has sent everything, retries included. */
  outboxIdle(): Promise<QueueCounts>;
  stop(): Promise<void>;
}

const listen = (server: Server, port: number) =>
  new Promise<number>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
  });

/** Resolves to the port if it can be bound on 127.0.0.1 (EADDRINUSE otherwise), so the emulator's own server never meets the clash. */
async function free(port: number): Promise<number> {
  if (port === 0) return 0;
  const probe = createServer();
  await listen(probe, port);
  await new Promise((ok) => probe.close(ok));
  return port;
}

function persisted(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const v = make();
  writeFileSync(file, v, { mode: 0o600 });
  return v;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const dir = resolve(opts.dir);
  mkdirSync(resolve(dir, 's3'), { recursive: true });
  const log = (...a: unknown[]) => opts.quiet || console.log(...a);

  // The fixed ports first (a second `npm run dev` stops here, before it touches the state folder);
  // the HTTP API's port also gives the site origin for CORS and links.
  const router = await startRouter();
  const port = await listen(router.server, opts.port ?? 3000);
  const siteOrigin = `http://127.0.0.1:${port}`;

  // SES (in-process; web inbox at /, JSON at /store).
  const sesMod = (await import('aws-ses-v2-local')) as unknown as { default?: unknown };
  const sesStart = (sesMod.default ?? sesMod) as (c: { host: string; port: number }) => Promise<Server>;
  const sesServer = await sesStart({ host: '127.0.0.1', port: await free(opts.sesPort ?? 8005) });
  const sesPort = (sesServer.address() as AddressInfo).port;

  // DynamoDB (in-process, on disk).
  const ddbServer = dynalite({ path: resolve(dir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const ddbPort = await listen(ddbServer, 0);

  // S3 (in-process, on disk), the bucket's CORS open to the site origin only.
  const bucket = 'psy-plans-local';
  const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>${siteOrigin}</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: resolve(dir, 's3'),
    configureBuckets: [{ name: bucket, configs: [cors] }],
    allowMismatchedSignatures: false,
  });
  const s3Addr = (await s3.run()) as AddressInfo;

  // SQS (in-process, state on disk): the outbox and its dead-letter queue.
  const sqs = await startSqs({ file: resolve(dir, 'sqs.json'), queues: [LOCAL_OUTBOX] });

  const clockAnchor = persisted(resolve(dir, 'clock'), () => `${new Date(opts.domainNow ?? '2019-06-05T09:00:00+08:00').toISOString()}|${new Date().toISOString()}`);
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ddbPort}`,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Addr.port}`,
    AWS_ENDPOINT_URL_SESV2: `http://127.0.0.1:${sesPort}`,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    OUTBOX_QUEUE_URL: sqs.queueUrl(LOCAL_OUTBOX.name),
    OUTBOX_DLQ_URL: sqs.queueUrl(LOCAL_OUTBOX.dlq.name),
    MAIL_CONFIGURATION_SET: 'psy-local',
    // The local SES has no rate; the cloud's is set per deployment (README).
    MAIL_RATE_PER_SECOND: '100',
    TABLE_NAME: 'psy-local',
    AUDIT_TABLE: 'psy-local-audit',
    // The contact logs' own table. Locally no KMS (encryption at rest is the cloud's) and no TTL (reads filter expired logs).
    CONTACTS_TABLE: 'psy-local-contacts',
    BUCKET_NAME: bucket,
    SITE_ORIGIN: siteOrigin,
    SIGNING_KEY: persisted(resolve(dir, 'signing-key'), () => randomBytes(48).toString('base64url')),
    MAIL_FROM: '南昌市未成年人心理健康辅导中心 <noreply@psy.example.org>',
    DOMAIN_CLOCK: clockAnchor,
    // Locally nothing may reach AWS by accident.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Lambda runs Node 24; the SDK's notice about Node 20 on laptops is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, env);

  const fresh = await ensureTable(env.TABLE_NAME as string, TABLE_DESIGN);
  // The audit trail's own table; also created in a state folder from before it existed.
  await ensureTable(env.AUDIT_TABLE as string, AUDIT_TABLE_DESIGN);
  // The contact logs' own table (no index); likewise created in an older state folder.
  await ensureTable(env.CONTACTS_TABLE as string, CONTACTS_TABLE_DESIGN);

  // Handlers are imported after the environment is set: they read it at module init, as in Lambda.
  await router.load();
  const inflight = new Set<Promise<unknown>>();
  s3.on('event', (event: { Records: { s3: { object: { key: string } } }[] }) => {
    const key = event.Records[0]?.s3.object.key ?? '';
    for (const t of s3Triggers) {
      if (!decodeS3Key(key).startsWith(t.prefix)) continue; // never throws: an odd key is the handler's to judge
      const p = router
        .invoke(t.fn, event)
        .catch((e: unknown) => console.error('[s3 event]', key, e))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
  });
  // The outbox's event source mapping (as the CDK stack configures it) and the schedules on the domain clock.
  const outbox = pollQueue({ sqs, queueUrl: env.OUTBOX_QUEUE_URL as string, batchSize: 10, maxConcurrency: 2, invoke: (e) => router.invoke('mailer', e) as Promise<void> });
  const clock = clockOf(env);
  const runSchedule = (spec: (typeof schedules)[number], at: Date) => router.invoke(spec.fn, scheduledEvent(spec, at));
  const scheduler = opts.scheduler === false ? undefined : startScheduler({ now: () => clock.now(), invoke: runSchedule });
  log(`emulators: dynamodb :${ddbPort}  s3 :${s3Addr.port}  ses :${sesPort}  sqs :${new URL(sqs.url).port}  state ${dir}`);

  return {
    url: siteOrigin,
    sesUrl: `http://127.0.0.1:${sesPort}`,
    env,
    fresh,
    async settled() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
    async tick(at) {
      const reports: unknown[] = [];
      for (const spec of schedules) {
        const f = lastFiring(spec, at);
        if (f) reports.push(await runSchedule(spec, f));
      }
      return { reports, outbox: await outbox.idle({ waitInvisible: false }) };
    },
    outboxIdle: () => outbox.idle(),
    invoke: (fn, event) => router.invoke(fn, event),
    async stop() {
      scheduler?.stop();
      await Promise.allSettled([...inflight]);
      await outbox.stop();
      await sqs.stop();
      await new Promise((ok) => router.server.close(ok));
      router.server.closeAllConnections?.();
      await s3.close();
      await new Promise((ok) => sesServer.close(ok));
      await new Promise((ok) => ddbServer.close(ok));
    },
  };
}

/** A table's key design (schemas/table.ts): keys and indexes, all strings, every index projecting all attributes. */
type TableDesign = Pick<typeof TABLE_DESIGN | typeof AUDIT_TABLE_DESIGN | typeof CONTACTS_TABLE_DESIGN, 'partitionKey' | 'sortKey'> & {
  indexes: readonly { name: string; partitionKey: string; sortKey: string }[];
};

/** Creates a table as the CDK stack defines it; returns true if it did not exist. */
async function ensureTable(name: string, t: TableDesign): Promise<boolean> {
  const ddb = new DynamoDBClient({});
  try {
    await ddb.send(new DescribeTableCommand({ TableName: name }));
    return false;
  } catch (e) {
    if ((e as Error).name !== 'ResourceNotFoundException') throw e;
  }
  const attrs = new Set<string>([t.partitionKey, t.sortKey, ...t.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: t.partitionKey, KeyType: 'HASH' },
        { AttributeName: t.sortKey, KeyType: 'RANGE' },
      ],
      // A table without indexes sends none (DynamoDB refuses an empty list).
      GlobalSecondaryIndexes: t.indexes.length === 0 ? undefined : t.indexes.map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  return true;
}
