import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type FunctionName, type FunctionSpec, functions } from '../functions/routes.js';
import { AUDIT_TABLE_DESIGN } from '../schemas/table.js';
import { LAMBDA_ESBUILD } from './bundling.js';

/** The project root: entries in the route table and the lockfile are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

const DEFAULT_MEMORY_MB = 512;
const DEFAULT_TIMEOUT_SECONDS = 10;

/** A function's timeout in seconds (its spec's, or the default). */
export const timeoutSecondsOf = (spec: FunctionSpec): number => spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;

/**
 * DynamoDB actions per access level. Narrower than grantReadData/grantReadWriteData on purpose:
 * no Scan (every access pattern is a Query on a key or an index) and no stream reads.
 */
const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
} as const;

/**
 * How the outbox's consumer (the mailer) is invoked: batches of up to 10 jobs, gathered for at most
 * 5 s, at most 2 batches at a time (2 is the smallest maximum concurrency an SQS event source allows).
 * Each concurrent mailer keeps its own MAIL_RATE_PER_SECOND, so the mailers together send at most
 * `maxConcurrency × MAIL_RATE_PER_SECOND` mails per second.
 */
export const OUTBOX_CONSUMER = { batchSize: 10, maxBatchingWindowSeconds: 5, maxConcurrency: 2 } as const;

/** A grant whose IAM resource ends in a wildcard (cdk-nag IAM5 wants each acknowledged). */
export type WildcardGrant =
  | { kind: 'table-index'; table: dynamodb.ITable }
  | { kind: 'object'; bucket: s3.IBucket; action: string; pattern: string };

export interface LambdaFunctionProps {
  /** The function's entry in functions/routes.ts. */
  readonly spec: FunctionSpec;
  /** Origin the pages are served from (SITE_ORIGIN); CORS and cookies depend on it. */
  readonly siteOrigin: string;
  /**
   * Attach the AWS Parameters and Secrets Lambda Extension (http://localhost:2773). Must be decided
   * at construction; `bindSigningKey` then grants the secret and sets SIGNING_SECRET_ARN.
   */
  readonly secretsExtension?: boolean;
}

/**
 * The one NodejsFunction every Lambda goes through: Node 24 on arm64, ESM bundle built with the
 * same esbuild options `npm run bench` measures (AWS SDK bundled), its own log group with
 * retention, and an execution role without AWS managed policies. Grants and the matching
 * environment variables are added together by the `bind…` methods.
 */
export class LambdaFunction extends NodejsFunction {
  /** Execution role; starts with write access to the function's own log group only. */
  public readonly executionRole: iam.Role;
  private readonly hasSecretsExtension: boolean;
  private readonly spec: FunctionSpec;
  private readonly wildcards: WildcardGrant[] = [];

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    const { spec } = props;
    // Siblings, not children: they must exist before super() builds the function.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${spec.entry}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group): this function's log group only.
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: join(PROJECT_ROOT, spec.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: Duration.seconds(timeoutSecondsOf(spec)),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: { SITE_ORIGIN: props.siteOrigin },
      paramsAndSecrets: props.secretsExtension
        ? lambda.ParamsAndSecretsLayerVersion.fromVersion(lambda.ParamsAndSecretsVersions.V1_0_103, {
            cacheEnabled: true,
            secretsManagerTtl: Duration.minutes(5),
            logLevel: lambda.ParamsAndSecretsLogLevel.WARN,
          })
        : undefined,
      bundling: {
        format: LAMBDA_ESBUILD.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
        target: LAMBDA_ESBUILD.target,
        minify: LAMBDA_ESBUILD.minify,
        sourceMap: LAMBDA_ESBUILD.sourcemap,
        mainFields: [...LAMBDA_ESBUILD.mainFields],
        banner: LAMBDA_ESBUILD.banner,
        esbuildArgs: { '--legal-comments': LAMBDA_ESBUILD.legalComments },
        // Bundle the AWS SDK: faster cold start, and the version our lockfile pins.
        externalModules: [],
      },
    });
    this.executionRole = role;
    this.hasSecretsExtension = props.secretsExtension ?? false;
    this.spec = spec;
  }

  /** TABLE_NAME + item-level access (table and its indexes) per the spec's `grants.table`. */
  bindTable(table: dynamodb.ITable, access: 'read' | 'readwrite'): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    table.grant(this, ...TABLE_ACTIONS[access]); // the table and `<table>/index/*`
    this.wildcards.push({ kind: 'table-index', table });
    return this;
  }

  /**
   * BUCKET_NAME + object access under the given key patterns ("incoming/*"). Only the actions the
   * code needs: GetObject to read (HeadObject and the source of CopyObject need no more), PutObject
   * to write (a pre-signed POST, the destination of CopyObject and the Create/UploadPart/Complete
   * steps of a multipart upload need no more); `multipart` adds AbortMultipartUpload on the write
   * patterns, `list` adds ListBucket on the bucket (HeadObject of a missing key: 404, not 403).
   * Both default to the spec's `grants.bucketMultipart` / `grants.bucketList`.
   */
  bindBucket(
    bucket: s3.IBucket,
    prefixes: { read?: readonly string[]; write?: readonly string[]; multipart?: boolean; list?: boolean },
  ): this {
    this.addEnvironment('BUCKET_NAME', bucket.bucketName);
    const statement = (action: string, patterns: readonly string[]) => {
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: [action], resources: patterns.map((p) => bucket.arnForObjects(p)) }),
      );
      for (const pattern of patterns) if (pattern.includes('*')) this.wildcards.push({ kind: 'object', bucket, action, pattern });
    };
    if (prefixes.read?.length) statement('s3:GetObject', prefixes.read);
    if (prefixes.write?.length) statement('s3:PutObject', prefixes.write);
    if ((prefixes.multipart ?? this.spec.grants.bucketMultipart) && prefixes.write?.length) statement('s3:AbortMultipartUpload', prefixes.write);
    if (prefixes.list ?? this.spec.grants.bucketList) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    return this;
  }

  /** SIGNING_SECRET_ARN + read access; the code fetches it through the extension on localhost:2773. */
  bindSigningKey(secret: secretsmanager.ISecret): this {
    if (!this.hasSecretsExtension) {
      throw new Error(`${this.node.path}: bindSigningKey needs secretsExtension: true at construction`);
    }
    this.addEnvironment('SIGNING_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /** The wildcard resources this function was granted (for the narrow nag acknowledgements). */
  wildcardGrants(): readonly WildcardGrant[] {
    return this.wildcards;
  }

  /**
   * MAIL_FROM + ses:SendEmail on the sender's SES identity only (the address, or its domain — whichever
   * of the two is verified). `mailFrom` is "Name <addr@domain>" or a bare address. With a configuration
   * set: MAIL_CONFIGURATION_SET too, and the same action on the configuration set — SES v2 SendEmail
   * authorizes every resource a send names (identity and configuration set).
   */
  bindMail(mailFrom: string, configurationSet?: ses.IConfigurationSet): this {
    const address = (/<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom).trim();
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const stack = Stack.of(this);
    this.addEnvironment('MAIL_FROM', mailFrom);
    const resources = [address, domain].map((id) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: id }));
    if (configurationSet) {
      this.addEnvironment('MAIL_CONFIGURATION_SET', configurationSet.configurationSetName);
      resources.push(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet.configurationSetName }));
    }
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources }));
    return this;
  }

  /**
   * The outbox queue, per the spec's `grants.outbox`:
   * - 'send': OUTBOX_QUEUE_URL + sqs:SendMessage on this queue only (SendMessageBatch needs no more);
   * - 'consume': the queue invokes the function (OUTBOX_CONSUMER: partial batch failures reported, so one
   *   failed mail is retried alone) and MAIL_RATE_PER_SECOND, this mailer's share of the SES rate.
   *   The event source grants receive/delete/change-visibility on this queue; no SendMessage.
   */
  bindOutbox(queue: sqs.IQueue, access: 'send' | 'consume', consumer: { mailRatePerSecond?: number } = {}): this {
    if (access === 'send') {
      this.addEnvironment('OUTBOX_QUEUE_URL', queue.queueUrl);
      this.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
      return this;
    }
    const rate = consumer.mailRatePerSecond;
    if (rate === undefined || !(rate > 0)) throw new Error(`${this.node.path}: an outbox consumer needs its mailRatePerSecond (> 0)`);
    // A batch must fit in one invocation at that rate (a timed-out batch is retried whole).
    const timeout = timeoutSecondsOf(this.spec);
    if (OUTBOX_CONSUMER.batchSize / rate > timeout / 2) {
      throw new Error(`${this.node.path}: ${OUTBOX_CONSUMER.batchSize} mails at ${rate}/s take longer than half its ${timeout} s timeout; raise the rate or the timeout`);
    }
    this.addEnvironment('MAIL_RATE_PER_SECOND', String(rate));
    this.addEventSource(
      new SqsEventSource(queue, {
        batchSize: OUTBOX_CONSUMER.batchSize,
        maxBatchingWindow: Duration.seconds(OUTBOX_CONSUMER.maxBatchingWindowSeconds),
        maxConcurrency: OUTBOX_CONSUMER.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    return this;
  }
}

/**
 * The audit trail's table: the actions each level of `grants.audit` gets. Append is PutItem alone (the
 * store writes with attribute_not_exists(pk)); read is Query alone, on the table and its one index by
 * name. Never UpdateItem, DeleteItem or BatchWriteItem (test/infra checks every policy of the stack).
 */
export const AUDIT_IAM_ACTIONS = { append: ['dynamodb:PutItem'], read: ['dynamodb:Query'] } as const;

/** Grants the audit trail per `grants.audit` (see AUDIT_IAM_ACTIONS) and sets AUDIT_TABLE. */
export function bindAudit(fn: LambdaFunction, table: dynamodb.ITable, access: NonNullable<FunctionSpec['grants']['audit']>): LambdaFunction {
  fn.addEnvironment('AUDIT_TABLE', table.tableName);
  if (access === 'append' || access === 'append+read') {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...AUDIT_IAM_ACTIONS.append], resources: [table.tableArn] }));
  }
  if (access === 'read' || access === 'append+read') {
    const indexes = AUDIT_TABLE_DESIGN.indexes.map((i) => `${table.tableArn}/index/${i.name}`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...AUDIT_IAM_ACTIONS.read], resources: [table.tableArn, ...indexes] }));
  }
  return fn;
}

/**
 * The contact-log table (schemas/table.ts CONTACTS_TABLE_DESIGN): the actions each level of `grants.contactLogs`
 * gets, on the table's ARN only (it has no index). Never DeleteItem, BatchWriteItem or Scan: a log is corrected by a
 * new version, expires by TTL, and every read is a GetItem or a Query on one school (test/infra/contacts.test.ts
 * checks every policy of the stack).
 */
export const CONTACT_LOGS_IAM_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  readwrite: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const;

/**
 * What each level may do with the table's customer-managed key. DynamoDB calls KMS with the caller's own
 * permissions (a caller without them gets "KMS key access denied"), for reads and for writes alike: every
 * reader needs kms:Decrypt (the table key is decrypted per caller and cached for minutes), and a writer the
 * actions DynamoDB lists for a customer-managed key — Encrypt, GenerateDataKey and ReEncrypt — here spelled out
 * as the concrete actions DynamoDB uses instead of CDK's `GenerateDataKey*` / `ReEncrypt*` wildcards (which also
 * cover the data-key-pair actions; no IAM5 finding to acknowledge either). Unlike table.grantReadData: no
 * kms:DescribeKey (only creating or updating the table needs it, which the deployment does, not a function),
 * and no kms:CreateGrant.
 */
export const CONTACT_LOGS_KEY_ACTIONS = {
  read: ['kms:Decrypt'],
  readwrite: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
} as const;

/**
 * Grants the contact-log table per `grants.contactLogs` (CONTACT_LOGS_IAM_ACTIONS on the table, CONTACT_LOGS_KEY_ACTIONS
 * on its key) and sets CONTACTS_TABLE. CONTACT_RETENTION_DAYS is not set: its default (schemas/env.ts) applies.
 * The table must be encrypted with a customer-managed key (infra/contacts.ts): without one this fails synth.
 */
export function bindContactLogs(fn: LambdaFunction, table: dynamodb.ITable, access: NonNullable<FunctionSpec['grants']['contactLogs']>): LambdaFunction {
  const key = table.encryptionKey;
  if (!key) throw new Error(`${fn.node.path}: the contact-log table must be encrypted with a customer-managed KMS key`);
  fn.addEnvironment('CONTACTS_TABLE', table.tableName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...CONTACT_LOGS_IAM_ACTIONS[access]], resources: [table.tableArn] }));
  key.grant(fn, ...CONTACT_LOGS_KEY_ACTIONS[access]); // the key's own ARN, in the function's role policy
  return fn;
}

/** "create-upload" → "CreateUpload" (construct ids, hence stable logical ids). */
export const constructIdOf = (name: string): string =>
  name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

/** What a capability's functions may be bound to: the targets of their `grants`. */
export interface FunctionTargets {
  /** Origin the pages are served from (SITE_ORIGIN). */
  readonly siteOrigin: string;
  readonly table?: dynamodb.ITable;
  readonly bucket?: s3.IBucket;
  readonly signingKey?: secretsmanager.ISecret;
  /** The SES sender; without one, `mail` grants are left out (that deployment sends no mail). */
  readonly mailFrom?: string;
  /** The SES configuration set every send names. */
  readonly mailConfigurationSet?: ses.IConfigurationSet;
  readonly outbox?: sqs.IQueue;
  /** An outbox consumer's share of the SES sending rate (MAIL_RATE_PER_SECOND). */
  readonly mailRatePerSecond?: number;
  /** The audit trail's table (append-only: PutItem and Query only). */
  readonly auditTable?: dynamodb.ITable;
  /** The contact-log table (its own customer-managed KMS key; GetItem/Query/BatchGetItem, PutItem/UpdateItem only). */
  readonly contactLogsTable?: dynamodb.ITable;
}

/**
 * The functions of functions/routes.ts whose entry starts with `entryPrefix` (a capability's folder),
 * each granted exactly what its `grants` say, with the environment variables that go with them.
 * A grant whose target the capability was not given fails synth rather than being left out.
 */
export function createFunctions(scope: Construct, entryPrefix: string, targets: FunctionTargets): Map<FunctionName, LambdaFunction> {
  const created = new Map<FunctionName, LambdaFunction>();
  for (const [name, spec] of Object.entries(functions) as [FunctionName, FunctionSpec][]) {
    if (!spec.entry.startsWith(entryPrefix)) continue;
    const need = <T>(target: T | undefined, what: string): T => {
      if (target === undefined) throw new Error(`${scope.node.path}: "${name}" is granted ${what}, which this capability was not given`);
      return target;
    };
    const { grants } = spec;
    const fn = new LambdaFunction(scope, constructIdOf(name), {
      spec,
      siteOrigin: targets.siteOrigin,
      secretsExtension: grants.signingKey === true,
    });
    if (grants.table) fn.bindTable(need(targets.table, 'the table'), grants.table);
    if (grants.bucketRead?.length || grants.bucketWrite?.length) {
      fn.bindBucket(need(targets.bucket, 'the bucket'), { read: grants.bucketRead, write: grants.bucketWrite });
    }
    if (grants.signingKey) fn.bindSigningKey(need(targets.signingKey, 'the signing key'));
    if (grants.mail && targets.mailFrom) fn.bindMail(targets.mailFrom, need(targets.mailConfigurationSet, 'the mail configuration set'));
    if (grants.outbox) fn.bindOutbox(need(targets.outbox, 'the outbox'), grants.outbox, { mailRatePerSecond: targets.mailRatePerSecond });
    if (grants.audit) bindAudit(fn, need(targets.auditTable, 'the audit table'), grants.audit);
    if (grants.contactLogs) bindContactLogs(fn, need(targets.contactLogsTable, 'the contact-log table'), grants.contactLogs);
    created.set(name, fn);
  }
  return created;
}
