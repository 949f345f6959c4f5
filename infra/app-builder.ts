import { App, type Environment } from 'aws-cdk-lib';
import { acknowledgeNagFindings, addNagChecks } from './nag.js';
import { ServiceStack } from './service-stack.js';

export const STACK_NAME = 'NcPsyService';

/**
 * Feature flags this stack's design relies on, whatever cdk.json says (cdk.json may add more and
 * overrides these). Server access logs are delivered under a bucket policy, not the legacy ACL
 * (the log bucket has ACLs disabled).
 */
const REQUIRED_FEATURE_FLAGS = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface BuildAppOptions {
  /** CDK context (tests); the CLI's `-c key=value` and cdk.json arrive through the App as usual. */
  readonly context?: Record<string, unknown>;
  /** Deployment environment; omitted = environment-agnostic (synths offline, no account needed). */
  readonly env?: Environment;
  /** Register the cdk-nag AWS Solutions checks as a validation plugin (default true). */
  readonly nag?: boolean;
  /** Apply the reasoned nag acknowledgements (default true; the infra test turns them off to prove each is needed). */
  readonly acknowledge?: boolean;
}

/**
 * Builds the CDK app. Context:
 * - `siteOrigin` (optional): https origin of the pages; default the HTTP API endpoint.
 * - `mailFrom` (optional until a function sends mail): sender address.
 * - `sesMaxSendRate` (default 1), `mailRatePerSecond` (default sesMaxSendRate / 2): the SES rate the
 *   mailers share (ServiceStackProps).
 * - `alarmEmail` (optional): address subscribed to the alarm topic.
 * - `bundle=false`: skip esbuild bundling (assets are placeholders; never deploy such a synth).
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: ServiceStack } {
  const app = new App({ context: { ...REQUIRED_FEATURE_FLAGS, ...options.context } });
  // The CLI refuses `-c aws:…` keys; `-c bundle=false` skips esbuild (fast synth for nag/template checks).
  const bundle = app.node.tryGetContext('bundle');
  if (bundle === false || bundle === 'false') app.node.setContext('aws:cdk:bundling-stacks', []);
  const stack = new ServiceStack(app, STACK_NAME, {
    env: options.env,
    description: 'Nanchang school psychological services: plan submission, review, reminders and parent-contact logs (HTTP API, Lambda, DynamoDB, KMS, S3, SQS, SES, Scheduler)',
    siteOrigin: parseSiteOrigin(app.node.tryGetContext('siteOrigin')),
    mailFrom: parseMailFrom(app.node.tryGetContext('mailFrom')),
    sesMaxSendRate: parseRate('sesMaxSendRate', app.node.tryGetContext('sesMaxSendRate')),
    mailRatePerSecond: parseRate('mailRatePerSecond', app.node.tryGetContext('mailRatePerSecond')),
    alarmEmail: parseAlarmEmail(app.node.tryGetContext('alarmEmail')),
  });
  if (options.acknowledge ?? true) acknowledgeNagFindings(stack);
  if (options.nag ?? true) addNagChecks(app);
  return { app, stack };
}

const unset = (v: unknown) => v === undefined || v === null || v === '';

export function parseSiteOrigin(value: unknown): string | undefined {
  if (unset(value)) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.origin !== value) {
    throw new Error(`context siteOrigin must be an https origin such as https://plans.example.cn (no path, no trailing slash); got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

const ADDRESS = String.raw`[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+`;
const MAIL_FROM = new RegExp(`^(?:${ADDRESS}|[^<>]+<${ADDRESS}>)$`);

/** `noreply@example.cn` or `南昌市… <noreply@example.cn>` (the form MAIL_FROM takes). */
export function parseMailFrom(value: unknown): string | undefined {
  if (unset(value)) return undefined;
  if (typeof value !== 'string' || !MAIL_FROM.test(value.trim())) {
    throw new Error(`context mailFrom must be an e-mail address, optionally with a display name ("Name <noreply@example.cn>"); got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

/** A rate in mails per second (`-c name=0.5`): a positive number. */
export function parseRate(name: string, value: unknown): number | undefined {
  if (unset(value)) return undefined;
  const rate = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`context ${name} must be a positive number of mails per second; got ${JSON.stringify(value)}`);
  return rate;
}

/** A bare address for the alarm topic's e-mail subscription. */
export function parseAlarmEmail(value: unknown): string | undefined {
  if (unset(value)) return undefined;
  if (typeof value !== 'string' || !new RegExp(`^${ADDRESS}$`).test(value.trim())) {
    throw new Error(`context alarmEmail must be an e-mail address such as ops@example.cn; got ${JSON.stringify(value)}`);
  }
  return value.trim();
}
