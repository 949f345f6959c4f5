import { type App, CfnElement, type PolicyViolation, Stack, Validations } from 'aws-cdk-lib';
import { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { WildcardGrant } from './lambda-function.js';
import type { ServiceStack } from './service-stack.js';

/**
 * Runs the AWS Solutions rules as a CDK validation plugin: an unacknowledged finding fails synth.
 * (cdk-nag 3: a validation plugin, not an Aspect; acknowledge with Validations.of(x).acknowledge.)
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * Unacknowledged AWS Solutions findings — errors and warnings — in a (synthesized) construct tree.
 * cdk-nag 3.0.2 marks its report failed on warnings too, so synth already refuses both; app.ts and
 * the infra tests check again with this so that stays true whatever the plugin's policy becomes.
 */
export function nagFindings(scope: IConstruct): PolicyViolation[] {
  return new AwsSolutionsChecks().validateScope(scope).violations;
}

export function formatFindings(findings: PolicyViolation[]): string {
  return findings
    .map((v) => `${v.severity} ${v.ruleName}: ${v.description}\n${v.violatingResources.map((r) => `    at ${r.constructPath}`).join('\n')}`)
    .join('\n');
}

/** Throws, listing them, if the (synthesized) app has any unacknowledged finding. */
export function assertNoNagFindings(scope: IConstruct): void {
  const findings = nagFindings(scope);
  if (findings.length > 0) {
    throw new Error(`cdk-nag: ${findings.length} unacknowledged AwsSolutions finding(s):\n${formatFindings(findings)}`);
  }
}

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

/** `<LogicalId.Arn>` as cdk-nag renders a GetAtt in an IAM5 finding. */
function arnRef(element: IConstruct | undefined): string {
  if (!(element instanceof CfnElement)) throw new Error('arnRef needs an L1 resource');
  return `<${Stack.of(element).resolve(element.logicalId) as string}.Arn>`;
}

/**
 * The few findings this design accepts, each on the resource it is about, each with its reason.
 * IAM5 (wildcards) are acknowledged per role and per exact resource pattern.
 */
export function acknowledgeNagFindings(stack: ServiceStack): void {
  ack(
    stack.signingKey,
    'AwsSolutions-SMG4',
    'The signing key is not rotated automatically: rotating it would invalidate every capability link already e-mailed to schools. Revocation is per org, by bumping its token version.',
  );
  ack(
    stack.failedEvents,
    'AwsSolutions-SQS3',
    'This queue is itself the on-failure destination (dead letter) of the asynchronously invoked functions (S3 triggers, schedules, SES events).',
  );
  ack(
    stack.reminders.undeliveredEvents,
    'AwsSolutions-SQS3',
    'This queue is itself the dead-letter queue of the schedules (EventBridge Scheduler) and of the SES-events rule (EventBridge).',
  );
  for (const route of stack.httpApi.node.children) {
    if (!(route instanceof HttpRoute)) continue;
    ack(
      route,
      'AwsSolutions-APIG4',
      'Capability-link model: the pages and API are reached from signed, scoped, expiring links in e-mails. The handler verifies the link token or session cookie; there are no user accounts for an authorizer.',
    );
  }

  // CDK's singleton handler that writes the bucket's notification configuration at deploy time.
  const notificationsHandler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (notificationsHandler) {
    ack(
      notificationsHandler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK-provided deploy-time handler (S3 notification configuration); its role is internal to aws-cdk-lib and the managed policy only lets it write its own logs.',
    );
  }

  for (const fn of stack.functions.values()) {
    // One acknowledgement per role and exact resource pattern, naming every action granted on it.
    const objectActions = new Map<string, { grant: Extract<WildcardGrant, { kind: 'object' }>; actions: string[] }>();
    for (const grant of fn.wildcardGrants()) {
      if (grant.kind === 'table-index') {
        ack(
          fn.executionRole,
          `AwsSolutions-IAM5[Resource::${arnRef(grant.table.node.defaultChild)}/index/*]`,
          'Queries on this table’s own global secondary index (gsi1): `<table ARN>/index/*` covers this table’s indexes and nothing else.',
        );
      } else {
        const id = `AwsSolutions-IAM5[Resource::${arnRef(grant.bucket.node.defaultChild)}/${grant.pattern}]`;
        const entry = objectActions.get(id) ?? { grant, actions: [] };
        entry.actions.push(grant.action);
        objectActions.set(id, entry);
      }
    }
    for (const [id, { grant, actions }] of objectActions) {
      ack(
        fn.executionRole,
        id,
        `Object keys under ${grant.pattern} are generated at run time (${OBJECT_KEYS[grant.pattern] ?? 'one per object'}), so they cannot be listed in advance; the grant is limited to that prefix and to ${actions.join(', ')}.`,
      );
    }
  }
}

/** How the keys under each granted prefix come about (the reason their grants end in a wildcard). */
const OBJECT_KEYS: Record<string, string> = {
  'incoming/*': 'one per upload attempt',
  'accepted/*': 'one per accepted upload',
  'export-requests/*': 'one per export request, named by its content hash',
  'exports/*': 'one zip per export request, named by its content hash',
};
