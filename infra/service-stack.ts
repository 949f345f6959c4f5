import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { defaultRoute, type FunctionName, functions, routes, s3Triggers } from '../functions/routes.js';
import { TABLE_DESIGN } from '../schemas/table.js';
import { Alarms } from './alarms.js';
import { Audit } from './audit.js';
import { constructIdOf, type LambdaFunction } from './lambda-function.js';
import { Plans } from './plans.js';
import { Reviews } from './reviews.js';
import { Terms } from './terms.js';
import { Dashboard } from './dashboard.js';
import { Bundles } from './bundles.js';
import { Contacts } from './contacts.js';
import { Precheck } from './precheck.js';
import { mailerRate, OUTBOX_MAX_RECEIVES, Reminders } from './reminders.js';

export interface ServiceStackProps extends StackProps {
  /**
   * Origin the pages are served from (https://host, no path). Default: the HTTP API's own
   * endpoint, which serves the pages itself.
   */
  readonly siteOrigin?: string;
  /**
   * Sender address for mail: the validator's receipts, the mailer's reminders and the operator CLI's
   * invitations. Functions whose grants say `mail` get MAIL_FROM, MAIL_CONFIGURATION_SET and
   * ses:SendEmail on this identity and the configuration set (LambdaFunction.bindMail).
   */
  readonly mailFrom?: string;
  /**
   * The SES account's maximum send rate (mails/s; `aws sesv2 get-account` → SendQuota.MaxSendRate).
   * Default 1 (the sandbox's rate): the mailers together stay within it.
   */
  readonly sesMaxSendRate?: number;
  /**
   * Each concurrent mailer's rate (MAIL_RATE_PER_SECOND). At most OUTBOX_CONSUMER.maxConcurrency (2)
   * mailers run at once, so the total is at most 2 × this. Default: sesMaxSendRate / 2; more fails synth.
   */
  readonly mailRatePerSecond?: number;
  /** E-mail address subscribed to the alarm topic (AWS sends a confirmation link first). */
  readonly alarmEmail?: string;
}

/**
 * Transient prefixes and how long their objects live: uploads (validated, copied to accepted/, then
 * expired), export requests and the zips built from them (rebuilt on request; their keys name their
 * content). Never accepted/.
 */
export const TRANSIENT_PREFIXES = { 'incoming/': 7, 'export-requests/': 1, 'exports/': 1 } as const;

/** Expire current objects after `days`, old versions and unfinished multipart uploads after 1 day, then the delete markers. */
function transient(prefix: string, days: number, id: string): s3.LifecycleRule[] {
  return [
    {
      id: `expire-${id}`,
      prefix,
      expiration: Duration.days(days),
      noncurrentVersionExpiration: Duration.days(1),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
    { id: `remove-${id}-delete-markers`, prefix, expiredObjectDeleteMarker: true },
  ];
}

/**
 * JSON access log line. `$context.routeKey` ("GET /l/{token}") and never the raw path: capability
 * tokens travel in the path and must not land in logs. No query string either.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  responseLength: '$context.responseLength',
  integrationError: '$context.integrationErrorMessage',
} as const;

/** Default stage throttling (requests/s and burst): far above a deadline-day peak, far below the account limit. */
const THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

export class ServiceStack extends Stack {
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly signingKey: secretsmanager.Secret;
  readonly httpApi: apigwv2.HttpApi;
  readonly apiStage: apigwv2.HttpStage;
  /**
   * On-failure destination of the asynchronously invoked functions (S3 triggers, schedules, SES events):
   * events a function failed on every retry.
   */
  readonly failedEvents: sqs.Queue;
  /** The SES configuration set every send names (reputation metrics, suppression, bounce/complaint events). */
  readonly mailConfigurationSet: ses.ConfigurationSet;
  /** The alarm topic and the stack's alarms. */
  readonly alarms: Alarms;
  readonly plans: Plans;
  readonly reminders: Reminders;
  readonly reviews: Reviews;
  readonly dashboard: Dashboard;
  /** Extensions, exemptions, Districts' internal deadlines (functions/terms/). */
  readonly terms: Terms;
  readonly bundles: Bundles;
  /** The append-only audit trail (its own table) and the Bureau's view of it. */
  readonly audit: Audit;
  /** The advisory pre-check of accepted plans (functions/precheck/). */
  readonly precheck: Precheck;
  /** Parent-contact logs: their own table and KMS key, and the functions under functions/contacts/. */
  readonly contacts: Contacts;
  /** Every function of the route table, by name. */
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;
  readonly siteOrigin: string;
  readonly mailFrom?: string;

  constructor(scope: Construct, id: string, props: ServiceStackProps = {}) {
    super(scope, id, props);
    this.mailFrom = props.mailFrom;

    // --- HTTP API first: with no explicit site origin, its endpoint is the origin. The HttpApi
    // resource depends on nothing below (routes and integrations do), so there is no cycle.
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Plan submission: pages and JSON API',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.apiStage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.siteOrigin = props.siteOrigin ?? this.httpApi.apiEndpoint;

    // --- Data: one table, retained and recoverable.
    const t = TABLE_DESIGN; // the same key design the local runtime creates
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: t.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Cloud-side clean-up only (abandoned pending uploads); reads filter expired items anyway.
      timeToLiveAttribute: t.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of t.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // --- Files: uploads bucket, with its server access logs in a bucket of their own.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED, // server access logs support SSE-S3 only
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(400) }],
    });
    this.bucket = new s3.Bucket(this, 'Uploads', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'uploads/',
      // The browser POSTs the pre-signed form straight to S3 from the site's pages, and only from there.
      cors: [
        {
          allowedOrigins: [this.siteOrigin],
          allowedMethods: [s3.HttpMethods.POST],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'x-amz-version-id'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: Object.entries(TRANSIENT_PREFIXES).flatMap(([prefix, days]) => transient(prefix, days, prefix.slice(0, -1))),
    });

    // --- Signing key for capability links and sessions; read through the Secrets extension.
    this.signingKey = new secretsmanager.Secret(this, 'SigningKey', {
      description: 'HS256 key for capability links and sessions (64 alphanumeric characters)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- Operations: alarms notify one topic. Asynchronous invocations (S3 triggers, schedules, SES
    // events) that fail every retry go to a queue instead of being dropped (the handlers are
    // idempotent, so a redrive is safe).
    this.alarms = new Alarms(this, 'Alarms', { email: props.alarmEmail });
    this.failedEvents = new sqs.Queue(this, 'FailedEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.alarms.onDeadLetters(this.failedEvents, 'FailedEventsAlarm', 'A function failed an event on every retry (README: Operations).');

    // --- Mail: every send names this configuration set. Bounces and complaints put the address on the
    // account-level suppression list; mail is only delivered over TLS.
    this.mailConfigurationSet = new ses.ConfigurationSet(this, 'SesConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });

    // --- Capabilities create the functions of the route table. The audit trail first: the others'
    // functions may be granted appending to its table.
    this.audit = new Audit(this, 'Audit', { table: this.table, signingKey: this.signingKey, siteOrigin: this.siteOrigin });
    this.plans = new Plans(this, 'Plans', {
      table: this.table,
      bucket: this.bucket,
      signingKey: this.signingKey,
      siteOrigin: this.siteOrigin,
      mailFrom: this.mailFrom,
      mailConfigurationSet: this.mailConfigurationSet,
      auditTable: this.audit.table,
    });
    this.reminders = new Reminders(this, 'Reminders', {
      table: this.table,
      signingKey: this.signingKey,
      siteOrigin: this.siteOrigin,
      mailFrom: this.mailFrom,
      mailConfigurationSet: this.mailConfigurationSet,
      mailRatePerSecond: mailerRate(props.sesMaxSendRate ?? 1, props.mailRatePerSecond),
      failedEvents: this.failedEvents,
      alarms: this.alarms,
      auditTable: this.audit.table,
    });
    this.reviews = new Reviews(this, 'Reviews', {
      table: this.table,
      signingKey: this.signingKey,
      siteOrigin: this.siteOrigin,
      outbox: this.reminders.outbox,
      auditTable: this.audit.table,
    });
    this.contacts = new Contacts(this, 'Contacts', {
      table: this.table,
      signingKey: this.signingKey,
      siteOrigin: this.siteOrigin,
      outbox: this.reminders.outbox,
      auditTable: this.audit.table,
    });
    // The contact logs' jobs (functions/schedules.ts) run its own sweep, scheduled in the reminders' group.
    this.reminders.addSchedules(this.contacts.functions, (spec) => this.contacts.functions.has(spec.fn));
    this.dashboard = new Dashboard(this, 'Dashboard', { table: this.table, signingKey: this.signingKey, siteOrigin: this.siteOrigin });
    this.terms = new Terms(this, 'Terms', { table: this.table, signingKey: this.signingKey, siteOrigin: this.siteOrigin, auditTable: this.audit.table });
    this.bundles = new Bundles(this, 'Bundles', {
      table: this.table,
      bucket: this.bucket,
      signingKey: this.signingKey,
      siteOrigin: this.siteOrigin,
      outbox: this.reminders.outbox,
      auditTable: this.audit.table,
    });
    this.precheck = new Precheck(this, 'Precheck', { table: this.table, bucket: this.bucket, siteOrigin: this.siteOrigin });
    this.functions = collectFunctions([
      this.plans.functions,
      this.reminders.functions,
      this.reviews.functions,
      this.dashboard.functions,
      this.terms.functions,
      this.audit.functions,
      this.precheck.functions,
      this.bundles.functions,
      this.contacts.functions,
    ]);

    // --- Routes, generated from the one route table: one integration per function.
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (name: FunctionName) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${constructIdOf(name)}Integration`, this.fn(name), {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(name, integration);
      }
      return integration;
    };
    for (const route of routes) {
      this.httpApi.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration: integrationOf(route.fn) });
    }
    // The catch-all: unknown paths and methods get our Chinese 404 instead of API Gateway's English one.
    // A child of the API, like the routes addRoutes makes (infra/nag.ts reviews the API's routes).
    new apigwv2.HttpRoute(this.httpApi, 'DefaultRoute', {
      httpApi: this.httpApi,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: integrationOf(defaultRoute.fn),
    });

    // --- S3 triggers. S3 invokes asynchronously: after the retries, the event goes to the failed-events queue.
    for (const trigger of s3Triggers) {
      const fn = this.fn(trigger.fn);
      fn.configureAsyncInvoke({ onFailure: new SqsDestination(this.failedEvents), retryAttempts: 2 });
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new LambdaDestination(fn), {
        prefix: trigger.prefix,
      });
    }

    // --- What the operator's CLI needs (README: `export TABLE_NAME=$(… --query "…TableName…")`).
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.httpApi.apiEndpoint, 'HTTP API endpoint');
    output('SiteOrigin', this.siteOrigin, 'SITE_ORIGIN: origin of the pages and of capability links');
    output('TableName', this.table.tableName, 'TABLE_NAME');
    output('BucketName', this.bucket.bucketName, 'BUCKET_NAME');
    output('SigningSecretArn', this.signingKey.secretArn, 'SIGNING_SECRET_ARN');
    if (this.mailFrom) output('MailFrom', this.mailFrom, 'MAIL_FROM (sender of the operator CLI’s mail)');
    output('FailedEventsQueueUrl', this.failedEvents.queueUrl, 'Events a function failed on every retry: S3 triggers, schedules, SES events (redrive after a fix)');
    output('MailConfigurationSet', this.mailConfigurationSet.configurationSetName, 'MAIL_CONFIGURATION_SET (every send names it, the operator CLI’s too)');
    output('OutboxQueueUrl', this.reminders.outbox.queueUrl, 'OUTBOX_QUEUE_URL: mail jobs the mailer sends');
    output('OutboxDlqUrl', this.reminders.outboxDlq.queueUrl, `Mail jobs that failed ${OUTBOX_MAX_RECEIVES} times (redrive to the outbox after a fix)`);
    output('UndeliveredEventsQueueUrl', this.reminders.undeliveredEvents.queueUrl, 'Schedule and SES events Scheduler/EventBridge could not deliver to their function');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of the stack’s alarms (subscribe more endpoints here)');
    output('AuditTableName', this.audit.table.tableName, 'AUDIT_TABLE: the append-only audit trail (the CLI records links issued and revoked there)');
    output('ContactLogsTableName', this.contacts.table.tableName, 'CONTACTS_TABLE: parent-contact log content (its own customer-managed KMS key)');
    output('ContactLogsKeyArn', this.contacts.key.keyArn, 'KMS key of the contact-log table (retained; only the functions granted contactLogs may use it)');
  }

  private fn(name: FunctionName): LambdaFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`functions/routes.ts refers to "${name}", which no capability created`);
    return fn;
  }
}

/** Merges the capabilities' functions and fails if the route table lists one nobody created. */
function collectFunctions(groups: ReadonlyMap<FunctionName, LambdaFunction>[]): Map<FunctionName, LambdaFunction> {
  const all = new Map<FunctionName, LambdaFunction>();
  for (const group of groups) for (const [name, fn] of group) all.set(name, fn);
  const missing = (Object.keys(functions) as FunctionName[]).filter((name) => !all.has(name));
  if (missing.length) throw new Error(`No capability in infra/ creates: ${missing.join(', ')}`);
  return all;
}
