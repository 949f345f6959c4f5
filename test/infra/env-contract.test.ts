/**
 * The configuration contract between the stack and the code: every function, started with exactly
 * the environment variables the synthesized template gives it (plus what Lambda itself sets), must
 * get through its cold start. A handler that reads a variable the stack doesn't set fails here,
 * not in the cloud.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functions } from '../../functions/routes.js';
import { buildApp } from '../../infra/app-builder.js';
import type { ServiceStack } from '../../infra/service-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
const cdkJsonContext = (JSON.parse(readFileSync(resolve(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

/** Plausible values for the references the template resolves at deploy time. */
const SAMPLE: Record<string, string> = {
  TABLE_NAME: 'NcPsyService-Table',
  BUCKET_NAME: 'ncpsyservice-uploads',
  SITE_ORIGIN: 'https://abc123.execute-api.ap-southeast-1.amazonaws.com',
  SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:SigningKey-AbCdEf',
  MAIL_FROM: 'noreply@psy.example.cn',
  MAIL_CONFIGURATION_SET: 'SesConfigurationSet-AbCdEf123456',
  OUTBOX_QUEUE_URL: 'https://sqs.ap-southeast-1.amazonaws.com/123456789012/NcPsyService-RemindersOutbox-AbCdEf',
  AUDIT_TABLE: 'NcPsyService-AuditTable',
  CONTACTS_TABLE: 'NcPsyService-ContactsTable',
};
/** What the Lambda runtime sets (and the SDK needs at construction). */
const LAMBDA_RUNTIME = { AWS_REGION: 'ap-southeast-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'x' };

/** Imports the handler module in a fresh process with only this environment; returns the exit status and stderr. */
function coldStart(entry: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(resolve(ROOT, entry))});`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('environment contract: stack → handlers', { timeout: 180_000 }, () => {
  const envOf = new Map<FunctionName, Record<string, string>>();

  beforeAll(() => {
    // With a sender, so that the mail settings (MAIL_FROM, MAIL_CONFIGURATION_SET) are part of the contract.
    const { stack } = buildApp({
      context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], mailFrom: '南昌市未成年人心理健康辅导中心 <noreply@psy.example.cn>' },
    }) as { stack: ServiceStack };
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
    for (const [name, fn] of stack.functions) {
      const id = Stack.of(fn).getLogicalId(fn.node.defaultChild as never);
      const vars = resources[id]?.Properties.Environment?.Variables ?? {};
      // Literal values as synthesized; references (resolved at deploy time) as plausible samples.
      envOf.set(name, Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, typeof v === 'string' ? v : (SAMPLE[n] ?? `unknown variable ${n}`)])));
    }
  }, 120_000);

  it.each(Object.keys(functions) as FunctionName[])('%s starts with exactly the variables the stack sets', (name) => {
    const env = envOf.get(name);
    expect(env, `no function "${name}" in the stack`).toBeDefined();
    for (const [k, v] of Object.entries(env ?? {})) expect(v, `${name}: ${k} has no sample value`).not.toMatch(/^unknown/);
    const r = coldStart(functions[name].entry, { ...LAMBDA_RUNTIME, ...env });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the check can fail: without TABLE_NAME a function refuses to start, naming the variable', () => {
    const { TABLE_NAME: _omit, ...env } = envOf.get('status') ?? {};
    const r = coldStart(functions.status.entry, { ...LAMBDA_RUNTIME, ...env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('TABLE_NAME');
  });
});
