/**
 * The audit trail's infrastructure: its own table (retained, recoverable, encrypted like the service's),
 * and — over every IAM policy statement the stack synthesizes, not only the functions' — no permission
 * that could change or remove an event (UpdateItem, DeleteItem, BatchWriteItem, PartiQL writes, wildcards).
 */
import { readFileSync } from 'node:fs';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functions, routes } from '../../functions/routes.js';
import { buildApp } from '../../infra/app-builder.js';
import type { ServiceStack } from '../../infra/service-stack.js';

const SLOW = { timeout: 180_000 };
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
const context = { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], siteOrigin: 'https://plans.example.cn' };

type Json = Record<string, any>;
const specs = Object.entries(functions) as [FunctionName, FunctionSpec][];
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Actions that change or remove an item (or a table) — none may be allowed on the audit table. */
const FORBIDDEN = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:RestoreTableFromBackup',
];

/** IAM's action match: case-insensitive, `*` and `?` wildcards. */
const actionMatches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/** Every policy statement in the template, wherever it is attached: IAM policies, managed policies, roles' inline policies. */
function allStatements(resources: Json): { where: string; statement: Json }[] {
  const out: { where: string; statement: Json }[] = [];
  for (const [id, r] of Object.entries(resources) as [string, Json][]) {
    const docs: Json[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push(r.Properties.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::User' || r.Type === 'AWS::IAM::Group') for (const p of asArray<Json>(r.Properties?.Policies)) docs.push(p.PolicyDocument);
    if (r.Type === 'AWS::DynamoDB::Table' && r.Properties?.ResourcePolicy) docs.push(r.Properties.ResourcePolicy.PolicyDocument);
    for (const d of docs) for (const statement of asArray<Json>(d.Statement)) out.push({ where: id, statement });
  }
  return out;
}

/**
 * Statements that allow changing or removing items of the table with this logical id: an Allow whose
 * resources name the table (or `*`, or NotResource) and whose actions match a forbidden one (or NotAction).
 */
function writesOn(resources: Json, tableId: string): string[] {
  const found: string[] = [];
  for (const { where, statement: st } of allStatements(resources)) {
    if (st.Effect !== 'Allow') continue;
    const covers = st.NotResource !== undefined || asArray<unknown>(st.Resource).some((r) => r === '*' || JSON.stringify(r).includes(`"${tableId}"`));
    if (!covers) continue;
    const bad = st.NotAction !== undefined ? ['(NotAction)'] : asArray<string>(st.Action).filter((a) => FORBIDDEN.some((f) => actionMatches(a, f)));
    if (bad.length) found.push(`${where}: ${bad.join(', ')}`);
  }
  return found;
}

/** The dynamodb actions a role's statements allow on the audit table, "action resource" (resource: table | index/<name>). */
function auditGrantsOf(resources: Json, roleId: string, tableId: string): string[] {
  const out: string[] = [];
  for (const r of Object.values(resources) as Json[]) {
    if (r.Type !== 'AWS::IAM::Policy' || !r.Properties.Roles.some((x: Json) => x.Ref === roleId)) continue;
    for (const st of asArray<Json>(r.Properties.PolicyDocument.Statement)) {
      for (const res of asArray<Json>(st.Resource)) {
        const text = JSON.stringify(res);
        if (!text.includes(`"${tableId}"`)) continue;
        const where = res['Fn::GetAtt'] ? 'table' : String(res['Fn::Join']?.[1]?.[1] ?? text).replace(/^\//, '');
        for (const a of asArray<string>(st.Action)) out.push(`${a} ${where}`);
      }
    }
  }
  return out.sort();
}

describe('audit trail infrastructure', SLOW, () => {
  let stack: ServiceStack;
  let resources: Json;
  let auditId: string;

  beforeAll(() => {
    ({ stack } = buildApp({ context }));
    resources = Template.fromStack(stack).toJSON().Resources;
    auditId = logicalId(stack.audit.table);
  }, SLOW.timeout);

  it('has a table of its own: pk/sk and gsi1 (ALL), on-demand, PITR, deletion protection, AWS-managed encryption, retained, no TTL', () => {
    const t = resources[auditId];
    expect(t.Type).toBe('AWS::DynamoDB::Table');
    expect(auditId).not.toBe(logicalId(stack.table));
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.UpdateReplacePolicy).toBe('Retain');
    expect(t.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    // The same encryption as the service's table.
    expect(t.Properties.SSESpecification).toEqual(resources[logicalId(stack.table)].Properties.SSESpecification);
    expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(t.Properties.TimeToLiveSpecification).toBeUndefined();
    const outputs = Template.fromStack(stack).toJSON().Outputs as Json;
    expect(outputs.AuditTableName.Value).toEqual({ Ref: auditId });
  });

  it('no policy statement anywhere in the template allows UpdateItem, DeleteItem, BatchWriteItem or a wildcard on it', () => {
    const statements = allStatements(resources);
    expect(statements.length).toBeGreaterThan(20); // the walk does see the stack's policies
    expect(statements.some(({ statement }) => JSON.stringify(statement.Resource ?? '').includes(`"${auditId}"`))).toBe(true);
    expect(writesOn(resources, auditId)).toEqual([]);
  });

  it('the check can fail: a write grant, a wildcard action or a `*` resource added anywhere is found', () => {
    const { stack: bad } = buildApp({ context, nag: false });
    const role = (name: FunctionName) => bad.functions.get(name)!;
    bad.audit.table.grantWriteData(role('web'));
    role('status').addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: [bad.audit.table.tableArn] }));
    role('mailer').addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Update*'], resources: ['*'] }));
    new iam.ManagedPolicy(bad, 'Sloppy', { statements: [new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [bad.audit.table.tableArn] })] });
    const found = writesOn(Template.fromStack(bad).toJSON().Resources, logicalId(bad.audit.table));
    const policyOf = (name: FunctionName) => logicalId(role(name).executionRole.node.findChild('DefaultPolicy'));
    for (const where of [policyOf('web'), policyOf('status'), policyOf('mailer'), logicalId(bad.node.findChild('Sloppy'))]) {
      expect(found.some((f) => f.startsWith(`${where}:`)), `${where} in ${JSON.stringify(found)}`).toBe(true);
    }
  });

  it('grants exactly what each function’s `audit` says: PutItem on the table (append), Query on the table and gsi1 (read); AUDIT_TABLE with it', () => {
    const withAudit = specs.filter(([, s]) => s.grants.audit);
    expect(withAudit.map(([n]) => n)).toContain('audit');
    for (const [name, spec] of specs) {
      const fn = stack.functions.get(name)!;
      const grants = auditGrantsOf(resources, logicalId(fn.executionRole), auditId);
      const access = spec.grants.audit;
      const expected = [
        ...(access === 'append' || access === 'append+read' ? ['dynamodb:PutItem table'] : []),
        ...(access === 'read' || access === 'append+read' ? ['dynamodb:Query index/gsi1', 'dynamodb:Query table'] : []),
      ].sort();
      expect(grants, name).toEqual(expected);
      const vars = resources[logicalId(fn)].Properties.Environment.Variables as Json;
      expect(vars.AUDIT_TABLE, name).toEqual(access ? { Ref: auditId } : undefined);
    }
    expect(functions.audit.grants).toEqual({ table: 'read', signingKey: true, audit: 'read' });
  });

  it('serves the Bureau’s view: GET /audit and GET /api/audit on the audit function', () => {
    expect(routes.filter((r) => r.fn === 'audit').map((r) => `${r.method} ${r.path}`)).toEqual(['GET /audit', 'GET /api/audit']);
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /api/audit' });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: Match.exact('GET /audit') });
  });
});
