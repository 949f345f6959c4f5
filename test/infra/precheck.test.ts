/**
 * The pre-check's infrastructure: triggered by ObjectCreated under accepted/ (with the failed-events queue
 * as the other S3 triggers), sized for a 20 MiB PDF, granted GetObject on accepted/* and the table only —
 * and no chain of S3 triggers can loop (a function never writes where it, or anything it triggers, is triggered).
 */
import { readFileSync } from 'node:fs';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functions, s3Triggers } from '../../functions/routes.js';
import { buildApp } from '../../infra/app-builder.js';
import type { ServiceStack } from '../../infra/service-stack.js';

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
type Json = Record<string, any>;
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);

/** Prefixes a function may write to (its grants), as "accepted/" for "accepted/*". */
const writesOf = (fn: FunctionName) => ((functions[fn].grants as { bucketWrite?: string[] }).bucketWrite ?? []).map((p) => p.replace(/\*$/, ''));

describe('precheck: the route table', () => {
  it('is triggered by accepted/ and may write nowhere in S3', () => {
    expect(s3Triggers).toContainEqual({ fn: 'precheck', prefix: 'accepted/' });
    expect(functions.precheck.grants).toEqual({ table: 'readwrite', bucketRead: ['accepted/*'] });
    expect(functions.precheck.clients).toEqual(['dynamodb', 's3']);
  });

  it('no chain of S3 triggers comes back to where it started', () => {
    // An edge a → b: a writes under the prefix that triggers b.
    const next = (fn: FunctionName) => s3Triggers.filter((t) => writesOf(fn).some((w) => w.startsWith(t.prefix) || t.prefix.startsWith(w))).map((t) => t.fn);
    const reach = (from: FunctionName): Set<FunctionName> => {
      const seen = new Set<FunctionName>();
      const todo = [...next(from)];
      while (todo.length) {
        const f = todo.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        todo.push(...next(f));
      }
      return seen;
    };
    for (const t of s3Triggers) expect(reach(t.fn).has(t.fn), `${t.fn} can trigger itself`).toBe(false);
    // The chain there is: validate-upload writes accepted/, which triggers precheck, which writes nothing.
    expect([...reach('validate-upload')]).toEqual(['precheck']);
    expect(reach('precheck').size).toBe(0);
  });
});

describe('precheck: the synthesized stack', { timeout: 120_000 }, () => {
  let stack: ServiceStack;
  let resources: Json;

  beforeAll(() => {
    ({ stack } = buildApp({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } }) as { stack: ServiceStack });
    resources = Template.fromStack(stack).toJSON().Resources;
  }, 120_000);

  it('a Node 24 arm64 function of 1024 MB and 120 s, with the table, the bucket and the site origin only', () => {
    const fn = stack.precheck.functions.get('precheck')!;
    expect(stack.functions.get('precheck')).toBe(fn);
    const props = resources[logicalId(fn)].Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 1024, Timeout: 120 });
    expect(Object.keys(props.Environment.Variables).sort()).toEqual(['BUCKET_NAME', 'SITE_ORIGIN', 'TABLE_NAME']);
  });

  it('S3 invokes it on ObjectCreated under accepted/; what fails every retry goes to the failed-events queue', () => {
    const fn = stack.functions.get('precheck')!;
    const [notifications] = Object.values(resources).filter((r: Json) => r.Type === 'Custom::S3BucketNotifications') as Json[];
    expect(notifications!.Properties.NotificationConfiguration.LambdaFunctionConfigurations).toContainEqual({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'accepted/' }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
    });
    const invoke = Object.values(resources).find((r: Json) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.FunctionName?.Ref === logicalId(fn)) as Json;
    expect(invoke.Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.failedEvents), 'Arn'] } } } });
  });

  it('its role may read accepted/ objects and use the table, and nothing else in S3', () => {
    const role = logicalId(stack.functions.get('precheck')!.executionRole);
    const statements = Object.values(resources)
      .filter((r: Json) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === role))
      .flatMap((r: Json) => r.Properties.PolicyDocument.Statement as Json[]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject']);
    const get = statements.find((s) => s.Action === 's3:GetObject')!;
    expect(JSON.stringify(get.Resource)).toContain('/accepted/*');
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions.some((a) => a.startsWith('ses:') || a.startsWith('secretsmanager:'))).toBe(false);
    // SQS only as its on-failure destination (Lambda sends a failed event with the function's role).
    const sqs = statements.filter((s) => JSON.stringify(s.Action).includes('sqs:'));
    expect(sqs.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.failedEvents), 'Arn'] }]);
  });
});
