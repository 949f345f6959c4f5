import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionName, type FunctionSpec, functions } from '../functions/routes.js';
import { SCHEDULE_TIMEZONE, type ScheduleSpec, schedules } from '../functions/schedules.js';
import type { Alarms } from './alarms.js';
import { constructIdOf, createFunctions, type LambdaFunction, OUTBOX_CONSUMER, timeoutSecondsOf } from './lambda-function.js';

export interface RemindersProps {
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The SES sender; without one no function is granted mail. */
  readonly mailFrom?: string;
  /** The configuration set every send names; its bounces and complaints are routed to `ses-events`. */
  readonly mailConfigurationSet: ses.ConfigurationSet;
  /** Each concurrent mailer's rate (mails/s): `mailerRate(...)`. */
  readonly mailRatePerSecond: number;
  /** Lambda's on-failure destination for asynchronous invocations that failed every retry. */
  readonly failedEvents: sqs.IQueue;
  readonly alarms: Alarms;
  /** The audit trail's table, for functions granted `audit`. */
  readonly auditTable?: dynamodb.ITable;
}

/** The reminders capability owns the functions whose entries live under functions/reminders/. */
const ENTRY_PREFIX = 'functions/reminders/';

/** A job the outbox could not get out after this many receives goes to its dead-letter queue. */
export const OUTBOX_MAX_RECEIVES = 5;
/** The outbox alarm fires when its oldest job waits longer than this (the mailers are stuck or far behind). */
const OUTBOX_MAX_AGE = Duration.hours(1);
/** Scheduler's retries when it cannot invoke a sweep; an hourly sweep's event is not worth more than an hour. */
const SCHEDULE_RETRY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 } as const;
/** Lambda's own retries of a failed asynchronous invocation (schedules, SES events), as for the S3 triggers. */
const ASYNC_RETRY_ATTEMPTS = 2;

/**
 * The SES events `ses-events` acts on (EventBridge detail types: Amazon EventBridge events reference,
 * "Amazon SES events"). Bounces and complaints name an address to suppress. Not "Email Rejected": SES
 * rejects a message for its content (a virus), which says nothing about the recipient's address.
 */
export const SES_EVENT_TYPES = [
  { event: ses.EmailSendingEvent.BOUNCE, detailType: 'Email Bounced' },
  { event: ses.EmailSendingEvent.COMPLAINT, detailType: 'Email Complaint Received' },
] as const;

/**
 * Each concurrent mailer's share of the SES sending rate. At most OUTBOX_CONSUMER.maxConcurrency mailers
 * run at once, each keeping its own MAIL_RATE_PER_SECOND, so together they send at most
 * maxConcurrency × rate mails/s, which must stay within the account's SES maximum send rate.
 */
export function mailerRate(sesMaxSendRate: number, mailRatePerSecond?: number): number {
  const rate = mailRatePerSecond ?? sesMaxSendRate / OUTBOX_CONSUMER.maxConcurrency;
  if (!(rate > 0) || rate * OUTBOX_CONSUMER.maxConcurrency > sesMaxSendRate * (1 + 1e-9)) {
    throw new Error(
      `mailRatePerSecond ${rate} × ${OUTBOX_CONSUMER.maxConcurrency} concurrent mailers exceeds sesMaxSendRate ${sesMaxSendRate}: at most ${sesMaxSendRate / OUTBOX_CONSUMER.maxConcurrency}`,
    );
  }
  return rate;
}

/** The six-field EventBridge cron of functions/schedules.ts, checked, as Scheduler's expression. */
export function cronExpression(spec: Pick<ScheduleSpec, 'name' | 'cron'>): string {
  const fields = spec.cron.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`schedule "${spec.name}": cron must have six fields (minutes hours day-of-month month day-of-week year); got "${spec.cron}"`);
  return `cron(${fields.join(' ')})`;
}

/**
 * Reminders and alerts: the functions under functions/reminders/; the outbox the sweep (and ses-events)
 * fill and the mailer drains under the SES rate; the SES bounce/complaint route to ses-events; one
 * EventBridge Scheduler schedule per entry of functions/schedules.ts.
 *
 * Failures land in two places, each alarmed: the outbox's dead-letter queue (a mail job that failed
 * OUTBOX_MAX_RECEIVES times), and `undeliveredEvents`: a schedule or SES event that Scheduler or
 * EventBridge could not hand to its function. A function that got the event and failed every retry
 * reports to the stack's failed-events queue (`failedEvents`), like the S3-triggered functions.
 */
export class Reminders extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;
  readonly outbox: sqs.Queue;
  readonly outboxDlq: sqs.Queue;
  readonly undeliveredEvents: sqs.Queue;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedules = new Map<string, scheduler.Schedule>();
  readonly sesEventsRule: events.Rule;

  constructor(scope: Construct, id: string, props: RemindersProps) {
    super(scope, id);
    const { alarms } = props;

    // --- The outbox. Visibility timeout: 6 × the consumer's timeout (+ its batching window), as AWS
    // recommends for an SQS event source, so a throttled or retried batch is not delivered twice.
    const consumers = (Object.values(functions) as FunctionSpec[]).filter((s) => s.grants.outbox === 'consume');
    if (consumers.length !== 1) throw new Error(`the outbox needs exactly one consumer in functions/routes.ts; found ${consumers.length}`);
    this.outboxDlq = new sqs.Queue(this, 'OutboxDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than the outbox's own retention: a job keeps its first enqueue time when it moves here.
      retentionPeriod: Duration.days(14),
    });
    this.outbox = new sqs.Queue(this, 'Outbox', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(6 * timeoutSecondsOf(consumers[0]!) + OUTBOX_CONSUMER.maxBatchingWindowSeconds),
      deadLetterQueue: { queue: this.outboxDlq, maxReceiveCount: OUTBOX_MAX_RECEIVES },
    });
    alarms.onDeadLetters(this.outboxDlq, 'OutboxDlqAlarm', `Mail jobs failed ${OUTBOX_MAX_RECEIVES} times and wait in the outbox dead-letter queue (README: Operations).`);
    alarms.onOldestMessage(this.outbox, 'OutboxAgeAlarm', OUTBOX_MAX_AGE, 'The oldest mail job in the outbox has waited over an hour: the mailer is failing, throttled or far behind.');

    // --- Events that Scheduler or EventBridge could not deliver to a function (dead-letter queue of
    // the schedules and of the SES-events rule; its messages are the undelivered events themselves).
    this.undeliveredEvents = new sqs.Queue(this, 'UndeliveredEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    alarms.onDeadLetters(this.undeliveredEvents, 'UndeliveredEventsAlarm', 'A schedule or SES event could not be delivered to its function (README: Operations).');

    // --- Functions, each with exactly its grants.
    this.functions = createFunctions(this, ENTRY_PREFIX, {
      siteOrigin: props.siteOrigin,
      table: props.table,
      signingKey: props.signingKey,
      mailFrom: props.mailFrom,
      mailConfigurationSet: props.mailConfigurationSet,
      outbox: this.outbox,
      mailRatePerSecond: props.mailRatePerSecond,
      auditTable: props.auditTable,
    });
    this.failedEvents = props.failedEvents;
    // --- The schedule group; the schedules are added by `addSchedules` once every capability's functions exist
    // (the contact logs' jobs run a function of their own capability).
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {
      // Schedules are configuration, not data: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.addSchedules(this.functions, (s) => this.functions.has(s.fn));

    // --- SES bounces and complaints of this configuration set → EventBridge (default bus) → ses-events.
    props.mailConfigurationSet.addEventDestination('BounceAndComplaintEvents', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: SES_EVENT_TYPES.map((t) => t.event),
    });
    this.sesEventsRule = new events.Rule(this, 'SesEventsRule', {
      description: 'SES bounces and complaints of the service’s configuration set → ses-events',
      eventPattern: {
        source: ['aws.ses'],
        detailType: SES_EVENT_TYPES.map((t) => t.detailType),
        detail: { mail: { tags: { 'ses:configuration-set': [props.mailConfigurationSet.configurationSetName] } } },
      },
    });
    this.sesEventsRule.addTarget(
      new targets.LambdaFunction(this.asyncTarget(this.fn('ses-events')), {
        // EventBridge's maximum: a bounce that is never processed leaves an address mailed again.
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: this.undeliveredEvents,
      }),
    );
  }

  /**
   * Scheduler invokes `fn` with `{ "job", "scheduledAt" }` under a role of its own that may invoke
   * that function (not its versions) and write to the dead-letter queue, and nothing else; only
   * Scheduler, for this account's schedule group, can assume it.
   */
  private scheduleTarget(spec: ScheduleSpec, fn: LambdaFunction): scheduler.IScheduleTarget {
    const role = new iam.Role(this, `${constructIdOf(spec.name)}ScheduleRole`, {
      description: `EventBridge Scheduler: schedule ${spec.name} invokes ${spec.fn}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account, 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
        },
      }),
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.undeliveredEvents.queueArn] }));
    const input = scheduler.ScheduleTargetInput.fromObject({ job: spec.job, scheduledAt: scheduler.ContextAttribute.scheduledTime });
    return {
      bind: () => ({
        arn: fn.functionArn,
        role,
        input,
        retryPolicy: SCHEDULE_RETRY,
        deadLetterConfig: { arn: this.undeliveredEvents.queueArn },
      }),
    };
  }

  private fn(name: FunctionName): LambdaFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`${name} is not a reminders function (functions/reminders/)`);
    return fn;
  }

  private readonly failedEvents: sqs.IQueue;
  private readonly invokedAsync = new Set<LambdaFunction>();

  /**
   * Scheduler and EventBridge invoke asynchronously: their retries cover delivery only; a function error is
   * retried by Lambda, then recorded in the failed-events queue (handlers are idempotent).
   */
  private asyncTarget(fn: LambdaFunction): LambdaFunction {
    if (!this.invokedAsync.has(fn)) {
      fn.configureAsyncInvoke({ onFailure: new SqsDestination(this.failedEvents), retryAttempts: ASYNC_RETRY_ATTEMPTS });
      this.invokedAsync.add(fn);
    }
    return fn;
  }

  /**
   * One EventBridge Scheduler schedule per entry of functions/schedules.ts (those `which` picks), in the group,
   * targeting its function in `fns` (every capability's functions: the stack calls this for the others).
   */
  addSchedules(fns: ReadonlyMap<FunctionName, LambdaFunction>, which: (spec: ScheduleSpec) => boolean): void {
    for (const spec of schedules.filter(which)) {
      if (this.schedules.has(spec.name)) throw new Error(`schedule ${spec.name} added twice`);
      const fn = fns.get(spec.fn);
      if (!fn) throw new Error(`schedule ${spec.name}: no function ${spec.fn}`);
      const schedule = new scheduler.Schedule(this, `${constructIdOf(spec.name)}Schedule`, {
        scheduleName: spec.name,
        description: spec.description,
        scheduleGroup: this.scheduleGroup,
        schedule: scheduler.ScheduleExpression.expression(cronExpression(spec), TimeZone.of(SCHEDULE_TIMEZONE)),
        timeWindow: scheduler.TimeWindow.off(),
        target: this.scheduleTarget(spec, this.asyncTarget(fn)),
      });
      this.schedules.set(spec.name, schedule);
    }
  }
}
