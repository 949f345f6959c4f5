import { readFileSync } from 'node:fs';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functions } from '../../functions/routes.js';
import { schedules } from '../../functions/schedules.js';
import { buildApp } from '../../infra/app-builder.js';
import { cronExpression, mailerRate } from '../../infra/reminders.js';
import type { ServiceStack } from '../../infra/service-stack.js';

const SLOW = { timeout: 120_000 };
const SITE = 'https://plans.example.cn';
const MAIL_FROM = '南昌市未成年人心理健康辅导中心 <noreply@psy.example.cn>';

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
const context = (extra: Record<string, unknown> = {}) => ({ ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], siteOrigin: SITE, ...extra });

type Json = Record<string, any>;
const specs = Object.entries(functions) as [FunctionName, FunctionSpec][];
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
const getAtt = (c: IConstruct, attr = 'Arn') => ({ 'Fn::GetAtt': [logicalId(c), attr] });
const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const ofType = (resources: Json, type: string) => Object.values(resources).filter((r: Json) => r.Type === type) as Json[];
/** All IAM statements attached to a role, from the synthesized template. */
const statementsOf = (resources: Json, roleLogicalId: string): Json[] =>
  ofType(resources, 'AWS::IAM::Policy')
    .filter((r) => r.Properties.Roles.some((x: Json) => x.Ref === roleLogicalId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
/** The resources a role may perform `action` on (statement by statement, flattened). */
const resourcesFor = (statements: Json[], action: string) =>
  statements.filter((s) => s.Effect === 'Allow' && asArray<string>(s.Action).includes(action)).flatMap((s) => asArray(s.Resource));
/** `arn:${Partition}:ses:${Region}:${AccountId}:<resource>` as bindMail renders it. */
const sesArn = (resource: string, name: string | Json) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...(typeof name === 'string' ? [`:${resource}/${name}`] : [`:${resource}/`, name])],
  ],
});

describe('reminders', SLOW, () => {
  let stack: ServiceStack;
  let template: Template;
  let resources: Json;
  const fn = (name: FunctionName) => stack.functions.get(name)!;
  const props = (name: FunctionName) => resources[logicalId(fn(name))].Properties;
  const statements = (name: FunctionName) => statementsOf(resources, logicalId(fn(name).executionRole));

  beforeAll(() => {
    ({ stack } = buildApp({ context: context({ mailFrom: MAIL_FROM }) }));
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  }, SLOW.timeout);

  it('creates every function under functions/reminders/ in the Reminders construct', () => {
    const names = specs.filter(([, s]) => s.entry.startsWith('functions/reminders/')).map(([n]) => n);
    expect(names.sort()).toEqual(['mailer', 'ses-events', 'sweep']);
    expect([...stack.reminders.functions.keys()].sort()).toEqual(names);
    for (const name of names) expect(props(name).Timeout, name).toBe((functions[name] as FunctionSpec).timeoutSeconds ?? 10);
  });

  describe('schedules', () => {
    it('has one schedule per entry of functions/schedules.ts, exactly as listed, in one group', () => {
      const all = ofType(resources, 'AWS::Scheduler::Schedule');
      expect(all).toHaveLength(schedules.length);
      const group = resources[logicalId(stack.reminders.scheduleGroup)];
      expect(group.Type).toBe('AWS::Scheduler::ScheduleGroup');
      for (const spec of schedules) {
        const schedule = all.find((s) => s.Properties.Name === spec.name);
        expect(schedule, spec.name).toBeDefined();
        const p = schedule!.Properties;
        expect(p.GroupName).toEqual(group.Properties.Name);
        expect(p.ScheduleExpression).toBe(`cron(${spec.cron})`);
        expect(p.ScheduleExpressionTimezone).toBe('Asia/Shanghai');
        expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
        expect(p.State).toBe('ENABLED');
        expect(p.Target.Arn).toEqual(getAtt(fn(spec.fn)));
        expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 });
        expect(p.Target.DeadLetterConfig).toEqual({ Arn: getAtt(stack.reminders.undeliveredEvents) });
        expect(JSON.parse(p.Target.Input)).toEqual({ job: spec.job, scheduledAt: '<aws.scheduler.scheduled-time>' });
      }
    });

    it('the cron string of functions/schedules.ts is the only source: six fields, passed through as is', () => {
      expect(cronExpression({ name: 'x', cron: '0 9 * * ? *' })).toBe('cron(0 9 * * ? *)');
      expect(() => cronExpression({ name: 'x', cron: '0 9 * * ?' })).toThrow(/six fields/);
      expect(() => cronExpression({ name: 'x', cron: '0 9 * * ? * *' })).toThrow(/six fields/);
    });

    it("gives each schedule a role that only Scheduler (this account, this group) assumes, to invoke its function and write its DLQ", () => {
      for (const spec of schedules) {
        const schedule = ofType(resources, 'AWS::Scheduler::Schedule').find((s) => s.Properties.Name === spec.name)!;
        const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
        expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': getAtt(stack.reminders.scheduleGroup) },
            },
          },
        ]);
        expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
        // The function itself, not `<arn>:*` (its versions and aliases).
        expect(statementsOf(resources, roleId)).toEqual([
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: getAtt(fn(spec.fn)) },
          { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(stack.reminders.undeliveredEvents) },
        ]);
      }
    });

    it('a sweep that fails every Lambda retry is recorded in the failed-events queue', () => {
      for (const name of new Set(schedules.map((s) => s.fn))) {
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: ref(fn(name)),
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: getAtt(stack.failedEvents) } },
        });
      }
    });
  });

  describe('outbox', () => {
    it('is an SSE-SQS queue with a visibility timeout of at least 6 × the mailer timeout and a DLQ after 5 receives', () => {
      const outbox = resources[logicalId(stack.reminders.outbox)].Properties;
      expect(outbox.SqsManagedSseEnabled).toBe(true);
      expect(outbox.VisibilityTimeout).toBeGreaterThanOrEqual(6 * functions.mailer.timeoutSeconds);
      expect(outbox.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(stack.reminders.outboxDlq), maxReceiveCount: 5 });
      const dlq = resources[logicalId(stack.reminders.outboxDlq)].Properties;
      expect(dlq.SqsManagedSseEnabled).toBe(true);
      expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      // A job keeps its enqueue time in the DLQ: the DLQ must keep messages longer than the outbox.
      expect(dlq.MessageRetentionPeriod).toBeGreaterThan(outbox.MessageRetentionPeriod ?? 4 * 24 * 3600);
      expect(dlq.RedrivePolicy).toBeUndefined();
    });

    it('denies non-TLS access to every reminders queue', () => {
      for (const queue of [stack.reminders.outbox, stack.reminders.outboxDlq, stack.reminders.undeliveredEvents]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
        expect(resources[logicalId(queue)].Properties.SqsManagedSseEnabled).toBe(true);
      }
    });

    it('invokes the mailer in batches of 10 with partial batch failures, at most 2 at a time, without reserved concurrency', () => {
      const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      const m = mappings[0]!.Properties;
      expect(m.FunctionName).toEqual(ref(fn('mailer')));
      expect(m.EventSourceArn).toEqual(getAtt(stack.reminders.outbox));
      expect(m.BatchSize).toBe(10);
      expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(m.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
      expect(m.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
      expect(m.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(10);
      expect(props('mailer').ReservedConcurrentExecutions).toBeUndefined();
      // Visibility timeout ≥ 6 × timeout + the batching window (AWS's advice for SQS event sources).
      const outbox = resources[logicalId(stack.reminders.outbox)].Properties;
      expect(outbox.VisibilityTimeout).toBeGreaterThanOrEqual(6 * props('mailer').Timeout + m.MaximumBatchingWindowInSeconds);
    });
  });

  describe('alarms', () => {
    const alarms = () => ofType(resources, 'AWS::CloudWatch::Alarm');
    const alarmOn = (queue: IConstruct, metric: string) =>
      alarms().filter((a) => a.Properties.MetricName === metric && a.Properties.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === logicalId(queue));

    it('fires on the first message in each dead-letter queue, and on an outbox job older than an hour, notifying the topic', () => {
      const topic = ref(stack.alarms.topic);
      for (const queue of [stack.reminders.outboxDlq, stack.reminders.undeliveredEvents, stack.failedEvents]) {
        const [alarm, ...more] = alarmOn(queue, 'ApproximateNumberOfMessagesVisible');
        expect(more, queue.node.path).toEqual([]);
        expect(alarm!.Properties).toEqual(
          expect.objectContaining({
            Namespace: 'AWS/SQS',
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1,
            EvaluationPeriods: 1,
            TreatMissingData: 'notBreaching',
            AlarmActions: [topic],
          }),
        );
      }
      const [age] = alarmOn(stack.reminders.outbox, 'ApproximateAgeOfOldestMessage');
      expect(age!.Properties).toEqual(
        expect.objectContaining({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 3600, Statistic: 'Maximum', AlarmActions: [topic] }),
      );
      expect(alarms().every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([topic]))).toBe(true);
    });

    it('notifies an SNS topic encrypted with its own rotated key, TLS only, that CloudWatch may publish to for this account', () => {
      const topic = resources[logicalId(stack.alarms.topic)].Properties;
      const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0] as string;
      const key = resources[keyId];
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeyPolicy.Statement).toContainEqual({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: '*',
      });
      const [policy] = ofType(resources, 'AWS::SNS::TopicPolicy').filter((p) => p.Properties.Topics[0].Ref === logicalId(stack.alarms.topic));
      const statements = policy!.Properties.PolicyDocument.Statement as Json[];
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      const publish = statements.find((s) => s.Effect === 'Allow')!;
      expect(publish.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
      expect(publish.Action).toBe('sns:Publish');
      expect(publish.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(JSON.stringify(publish.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:*');
      // No e-mail subscription unless asked for.
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('subscribes alarmEmail to the topic', () => {
      const withEmail = Template.fromStack(buildApp({ context: context({ alarmEmail: 'ops@psy.example.cn' }), nag: false }).stack);
      withEmail.resourceCountIs('AWS::SNS::Subscription', 1);
      withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@psy.example.cn' });
      expect(() => buildApp({ context: context({ alarmEmail: 'not an address' }), nag: false })).toThrow(/alarmEmail/);
    });
  });

  describe('SES', () => {
    it('has one configuration set: reputation metrics, sending on, bounce+complaint suppression, TLS required', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
      expect(resources[logicalId(stack.mailConfigurationSet)].Properties).toEqual({
        ReputationOptions: { ReputationMetricsEnabled: true },
        SendingOptions: { SendingEnabled: true },
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      });
    });

    it('publishes bounces and complaints (only) to the default event bus', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: ref(stack.mailConfigurationSet),
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['bounce', 'complaint'],
          EventBridgeDestination: {
            EventBusArn: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
            },
          },
        },
      });
    });

    it("routes this configuration set's bounces and complaints to ses-events, with retries and a DLQ", () => {
      const rule = resources[logicalId(stack.reminders.sesEventsRule)].Properties;
      expect(rule.EventBusName).toBeUndefined(); // the default bus, where SES publishes
      expect(rule.EventPattern).toEqual({
        source: ['aws.ses'],
        'detail-type': ['Email Bounced', 'Email Complaint Received'],
        detail: { mail: { tags: { 'ses:configuration-set': [ref(stack.mailConfigurationSet)] } } },
      });
      expect(rule.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(fn('ses-events')),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: getAtt(stack.reminders.undeliveredEvents) },
        }),
      ]);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(fn('ses-events')),
        Principal: 'events.amazonaws.com',
        SourceArn: getAtt(stack.reminders.sesEventsRule),
      });
      // EventBridge may write to the DLQ for this rule only.
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.reminders.undeliveredEvents)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': getAtt(stack.reminders.sesEventsRule) } },
            }),
          ]),
        },
      });
      // A handler error is retried by Lambda, then recorded in the failed-events queue.
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(fn('ses-events')),
        DestinationConfig: { OnFailure: { Destination: getAtt(stack.failedEvents) } },
      });
    });
  });

  describe('least privilege', () => {
    const outboxArn = () => getAtt(stack.reminders.outbox);

    it('the sweep may send to the outbox (and to its own on-failure destination), nowhere else', () => {
      expect(resourcesFor(statements('sweep'), 'sqs:SendMessage')).toEqual(
        expect.arrayContaining([outboxArn(), getAtt(stack.failedEvents)]),
      );
      expect(resourcesFor(statements('sweep'), 'sqs:SendMessage')).toHaveLength(2);
      // Exactly SendMessage on the outbox: no receive, delete or attribute access.
      const onOutbox = statements('sweep').filter((s) => JSON.stringify(s.Resource) === JSON.stringify(outboxArn()));
      expect(onOutbox.flatMap((s) => asArray(s.Action))).toEqual(['sqs:SendMessage']);
    });

    it('only functions granted outbox "send" may send to it; the mailer cannot send to any queue', () => {
      for (const [name, spec] of specs) {
        const sends = resourcesFor(statements(name), 'sqs:SendMessage').map((r) => JSON.stringify(r));
        expect(sends.includes(JSON.stringify(outboxArn())), name).toBe(spec.grants.outbox === 'send');
      }
      expect(resourcesFor(statements('mailer'), 'sqs:SendMessage')).toEqual([]);
      expect(resourcesFor(statements('mailer'), 'sqs:ReceiveMessage')).toEqual([outboxArn()]);
      expect(resourcesFor(statements('mailer'), 'sqs:DeleteMessage')).toEqual([outboxArn()]);
      // Nobody else consumes the outbox.
      for (const [name] of specs.filter(([n]) => n !== 'mailer')) expect(resourcesFor(statements(name), 'sqs:ReceiveMessage'), name).toEqual([]);
    });

    it('mail senders have ses:SendEmail on the sender identity (address and domain) and the configuration set; ses-events and the others none', () => {
      const expected = [
        sesArn('configuration-set', ref(stack.mailConfigurationSet)),
        sesArn('identity', 'noreply@psy.example.cn'),
        sesArn('identity', 'psy.example.cn'),
      ].map((r) => JSON.stringify(r));
      for (const [name, spec] of specs) {
        const ses = statements(name).filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('ses:')));
        if (spec.grants.mail) {
          expect(ses.flatMap((s) => asArray(s.Action)), name).toEqual(['ses:SendEmail']);
          expect(ses.flatMap((s) => asArray(s.Resource)).map((r) => JSON.stringify(r)).sort(), name).toEqual(expected.sort());
        } else {
          expect(ses, name).toEqual([]);
        }
      }
      expect(specs.filter(([, s]) => s.grants.mail).map(([n]) => n).sort()).toEqual(['mailer', 'validate-upload']);
      expect(statements('ses-events').flatMap((s) => asArray<string>(s.Action)).filter((a) => a.startsWith('ses:'))).toEqual([]);
    });
  });

  describe('environment', () => {
    it('gives each function OUTBOX_QUEUE_URL, MAIL_RATE_PER_SECOND and the mail settings exactly as its grants say', () => {
      for (const [name, spec] of specs) {
        const vars = props(name).Environment.Variables as Json;
        expect(vars.OUTBOX_QUEUE_URL, name).toEqual(spec.grants.outbox === 'send' ? ref(stack.reminders.outbox) : undefined);
        expect(vars.MAIL_RATE_PER_SECOND, name).toBe(spec.grants.outbox === 'consume' ? '0.5' : undefined);
        expect(vars.MAIL_FROM, name).toBe(spec.grants.mail ? MAIL_FROM : undefined);
        expect(vars.MAIL_CONFIGURATION_SET, name).toEqual(spec.grants.mail ? ref(stack.mailConfigurationSet) : undefined);
      }
    });

    it('without a sender, no function is given mail settings or SES access', () => {
      const { stack: bare } = buildApp({ context: context(), nag: false });
      const res = Template.fromStack(bare).toJSON().Resources as Json;
      for (const [name] of specs) {
        const vars = res[logicalId(bare.functions.get(name)!)].Properties.Environment.Variables as Json;
        expect(vars.MAIL_FROM, name).toBeUndefined();
        expect(vars.MAIL_CONFIGURATION_SET, name).toBeUndefined();
        const actions = statementsOf(res, logicalId(bare.functions.get(name)!.executionRole)).flatMap((s) => asArray<string>(s.Action));
        expect(actions.filter((a) => a.startsWith('ses:')), name).toEqual([]);
      }
    });
  });

  describe('SES rate', () => {
    it('splits the SES account rate between the 2 concurrent mailers, and refuses a share that would exceed it', () => {
      expect(mailerRate(1)).toBe(0.5);
      expect(mailerRate(14)).toBe(7);
      expect(mailerRate(14, 3)).toBe(3);
      expect(mailerRate(1, 0.5)).toBe(0.5);
      expect(() => mailerRate(1, 1)).toThrow(/exceeds sesMaxSendRate 1/);
      expect(() => mailerRate(14, 7.5)).toThrow(/sesMaxSendRate/);
    });

    it('takes sesMaxSendRate and mailRatePerSecond from context', () => {
      const rateOf = (extra: Record<string, unknown>) => {
        const { stack: s } = buildApp({ context: context(extra), nag: false });
        return Template.fromStack(s).toJSON().Resources[logicalId(s.functions.get('mailer')!)].Properties.Environment.Variables.MAIL_RATE_PER_SECOND;
      };
      expect(rateOf({ sesMaxSendRate: '14' })).toBe('7');
      expect(rateOf({ sesMaxSendRate: '14', mailRatePerSecond: '2' })).toBe('2');
      expect(() => rateOf({ sesMaxSendRate: '14', mailRatePerSecond: '8' })).toThrow(/exceeds sesMaxSendRate 14/);
      expect(() => rateOf({ sesMaxSendRate: 'fast' })).toThrow(/sesMaxSendRate must be a positive number/);
      expect(() => rateOf({ mailRatePerSecond: '0' })).toThrow(/mailRatePerSecond must be a positive number/);
      // A batch of 10 at 0.1/s (100 s) would not fit in the mailer's timeout.
      expect(() => rateOf({ sesMaxSendRate: '0.2' })).toThrow(/timeout/);
    });
  });

  it('outputs the outbox, its DLQ, the undelivered-events queue, the alarm topic and the configuration set', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(outputs.OutboxQueueUrl.Value).toEqual(ref(stack.reminders.outbox));
    expect(outputs.OutboxDlqUrl.Value).toEqual(ref(stack.reminders.outboxDlq));
    expect(outputs.UndeliveredEventsQueueUrl.Value).toEqual(ref(stack.reminders.undeliveredEvents));
    expect(outputs.AlarmTopicArn.Value).toEqual(ref(stack.alarms.topic));
    expect(outputs.MailConfigurationSet.Value).toEqual(ref(stack.mailConfigurationSet));
  });
});
