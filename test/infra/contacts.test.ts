/**
 * The contact logs' infrastructure: their own table (no index, TTL, PITR, deletion protection, retained),
 * encrypted with a customer-managed KMS key of its own (rotated, retained) — and, over every IAM policy
 * statement the stack synthesizes, not only the functions', no access to that table or that key except
 * what `grants.contactLogs` gives the functions that have it: read or write items, never delete, no Scan.
 */
import { readFileSync } from 'node:fs';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functions } from '../../functions/routes.js';
import { buildApp, STACK_NAME } from '../../infra/app-builder.js';
import type { ServiceStack } from '../../infra/service-stack.js';
import { CONTACTS_TABLE_DESIGN } from '../../schemas/table.js';

const SLOW = { timeout: 180_000 };
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
const context = { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], siteOrigin: 'https://plans.example.cn' };

type Json = Record<string, any>;
const specs = Object.entries(functions) as [FunctionName, FunctionSpec][];
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What each level of `grants.contactLogs` may do, written out here (not taken from infra/). */
const EXPECTED = {
  read: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
    key: ['kms:Decrypt'],
  },
  readwrite: {
    table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    key: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
  },
} as const;

/** Actions no policy may allow on the contact-log table: deleting, batch writes (which delete too), Scan, PartiQL, table-level changes. */
const FORBIDDEN = [
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Scan',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:ExportTableToPointInTime',
  'dynamodb:RestoreTableToPointInTime',
];

/** IAM's action match: case-insensitive, `*` and `?` wildcards. */
const actionMatches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

interface Found {
  /** The template resource carrying the statement. */
  where: string;
  /** The roles it is attached to (IAM policies), or the role itself (inline policies). */
  roles: string[];
  statement: Json;
}

/** Every policy statement in the template, wherever it is attached: IAM policies, managed policies, roles' inline policies, resource policies. */
function allStatements(resources: Json): Found[] {
  const out: Found[] = [];
  for (const [id, r] of Object.entries(resources) as [string, Json][]) {
    const docs: { doc: Json; roles: string[] }[] = [];
    const refs = (v: unknown) => asArray<Json>(v as Json[]).map((x) => String(x.Ref ?? JSON.stringify(x)));
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push({ doc: r.Properties.PolicyDocument, roles: refs(r.Properties.Roles) });
    if (r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::User' || r.Type === 'AWS::IAM::Group') {
      for (const p of asArray<Json>(r.Properties?.Policies)) docs.push({ doc: p.PolicyDocument, roles: [id] });
    }
    if (r.Type === 'AWS::DynamoDB::Table' && r.Properties?.ResourcePolicy) docs.push({ doc: r.Properties.ResourcePolicy.PolicyDocument, roles: [] });
    for (const { doc, roles } of docs) for (const statement of asArray<Json>(doc.Statement)) out.push({ where: id, roles, statement });
  }
  return out;
}

/** Whether an Allow statement's resources could include the resource with this logical id (or anything: `*`, NotResource). */
const covers = (st: Json, id: string) =>
  st.NotResource !== undefined || asArray<unknown>(st.Resource).some((r) => r === '*' || JSON.stringify(r).includes(`"${id}"`));

/** The actions of a statement that fall in a service (`dynamodb:`, `kms:`), or `(NotAction)`. */
const serviceActions = (st: Json, service: string): string[] =>
  st.NotAction !== undefined ? ['(NotAction)'] : asArray<string>(st.Action).filter((a) => actionMatches(a, `${service}:Anything`) || a.toLowerCase().startsWith(`${service}:`));

/**
 * Who may do what on the contact-log table and its key, from every statement of the template:
 * "<where or role> <action> <table|key|other resource>" for each Allow that covers them.
 */
function accessTo(resources: Json, tableId: string, keyId: string): { who: string; action: string; on: string }[] {
  const out: { who: string; action: string; on: string }[] = [];
  for (const { where, roles, statement: st } of allStatements(resources)) {
    if (st.Effect !== 'Allow') continue;
    for (const [id, service, label] of [
      [tableId, 'dynamodb', 'table'],
      [keyId, 'kms', 'key'],
    ] as const) {
      if (!covers(st, id)) continue;
      // The exact resource, or how it is broader than that (index/*, `*`, NotResource).
      const exact = asArray<unknown>(st.Resource).every((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
      const on = exact ? label : `${label} (${JSON.stringify(st.Resource ?? 'NotResource')})`;
      for (const action of serviceActions(st, service)) for (const who of roles.length ? roles : [where]) out.push({ who, action, on });
    }
  }
  return out;
}

describe('contact-log infrastructure', SLOW, () => {
  let stack: ServiceStack;
  let resources: Json;
  let tableId: string;
  let keyId: string;

  beforeAll(() => {
    ({ stack } = buildApp({ context }));
    resources = Template.fromStack(stack).toJSON().Resources;
    tableId = logicalId(stack.contacts.table);
    keyId = logicalId(stack.contacts.key);
  }, SLOW.timeout);

  it('has a customer-managed KMS key of its own: rotated, retained, with an alias and a description, and only the account in its policy', () => {
    const key = resources[keyId];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.Description).toMatch(/contact/i);
    // The default key policy alone: the account delegates use of the key to IAM (checked below), nobody is named in it.
    const statements = asArray<Json>(key.Properties.KeyPolicy.Statement);
    expect(statements).toHaveLength(1);
    const [only] = statements as [Json];
    expect(JSON.stringify(only.Principal)).toMatch(/:root/);
    expect(only.Principal.Service).toBeUndefined();
    const aliases = Object.values(resources).filter((r: Json) => r.Type === 'AWS::KMS::Alias') as Json[];
    expect(aliases.map((a) => [a.Properties.AliasName, a.Properties.TargetKeyId])).toEqual([[`alias/${STACK_NAME}-contact-logs`, { 'Fn::GetAtt': [keyId, 'Arn'] }]]);
  });

  it('has a table of its own: pk/sk, no index, TTL on `ttl`, on-demand, PITR, deletion protection, encrypted with that key, retained', () => {
    const t = resources[tableId];
    expect(t.Type).toBe('AWS::DynamoDB::Table');
    expect(tableId).not.toBe(logicalId(stack.table));
    expect(tableId).not.toBe(logicalId(stack.audit.table));
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.UpdateReplacePolicy).toBe('Retain');
    expect(t.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    // Nothing of a log is copied into an index, and no stream carries it anywhere.
    expect(t.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(t.Properties.LocalSecondaryIndexes).toBeUndefined();
    expect(t.Properties.StreamSpecification).toBeUndefined();
    expect(CONTACTS_TABLE_DESIGN.indexes).toEqual([]);
    const outputs = Template.fromStack(stack).toJSON().Outputs as Json;
    expect(outputs.ContactLogsTableName.Value).toEqual({ Ref: tableId });
    expect(outputs.ContactLogsKeyArn.Value).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  it('only the functions granted `contactLogs` may touch the table or its key, exactly as granted (every statement of the template)', () => {
    const granted = specs.filter(([, s]) => s.grants.contactLogs).map(([n]) => n);
    expect(granted.sort()).toEqual(['contact-log', 'contact-logs', 'contact-pages']);
    expect(functions['contact-pages'].grants.contactLogs).toBe('read');
    expect(functions['contact-log'].grants.contactLogs).toBe('read');
    expect(functions['contact-logs'].grants.contactLogs).toBe('readwrite');

    const access = accessTo(resources, tableId, keyId);
    const roleOf = new Map(specs.map(([name]) => [logicalId(stack.functions.get(name)!.executionRole), name]));
    // Nobody else: every grant on the table or the key is on the role of a function granted contactLogs.
    const strangers = access.filter((a) => !granted.includes(roleOf.get(a.who) as FunctionName));
    expect(strangers).toEqual([]);
    for (const [name, spec] of specs) {
      const role = logicalId(stack.functions.get(name)!.executionRole);
      const mine = access.filter((a) => a.who === role).map((a) => `${a.action} ${a.on}`).sort();
      const level = spec.grants.contactLogs;
      const expected = level ? [...EXPECTED[level].table.map((a) => `${a} table`), ...EXPECTED[level].key.map((a) => `${a} key`)].sort() : [];
      expect(mine, name).toEqual(expected);
      const vars = resources[logicalId(stack.functions.get(name)!)].Properties.Environment.Variables as Json;
      expect(vars.CONTACTS_TABLE, name).toEqual(level ? { Ref: tableId } : undefined);
    }
    // Spelled out for the functions the brief names.
    const actionsOf = (name: FunctionName) => access.filter((a) => a.who === logicalId(stack.functions.get(name)!.executionRole)).map((a) => a.action);
    expect(actionsOf('contact-pages')).not.toContain('dynamodb:PutItem');
    expect(actionsOf('contact-pages')).not.toContain('dynamodb:UpdateItem');
    expect(actionsOf('contact-pages').filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt']);
    expect(actionsOf('roster')).toEqual([]);
    expect(actionsOf('roster-page')).toEqual([]);
    expect(actionsOf('contact-rates')).toEqual([]);
    expect(actionsOf('contact-sweep')).toEqual([]);
    expect(actionsOf('contact-log').filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt']);
  });

  it('no policy statement anywhere allows DeleteItem, BatchWriteItem, Scan or PartiQL on the table', () => {
    const forbidden = accessTo(resources, tableId, keyId).filter((a) => a.on.startsWith('table') && (a.action === '(NotAction)' || FORBIDDEN.some((f) => actionMatches(a.action, f))));
    expect(allStatements(resources).length).toBeGreaterThan(20); // the walk does see the stack's policies
    expect(forbidden).toEqual([]);
  });

  it('the checks can fail: a grant to another function, a wildcard, a Scan or a delete anywhere is found', () => {
    const { stack: bad } = buildApp({ context, nag: false });
    const fn = (name: FunctionName) => bad.functions.get(name)!;
    bad.contacts.table.grantReadData(fn('contact-rates')); // + kms:Decrypt, kms:DescribeKey on the key
    bad.contacts.key.grantDecrypt(fn('roster'));
    fn('contact-pages').addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [bad.contacts.table.tableArn] }));
    fn('mailer').addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    new iam.ManagedPolicy(bad, 'Sloppy', { statements: [new iam.PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [bad.contacts.table.tableArn] })] });
    const badResources = Template.fromStack(bad).toJSON().Resources as Json;
    const access = accessTo(badResources, logicalId(bad.contacts.table), logicalId(bad.contacts.key));
    const role = (name: FunctionName) => logicalId(fn(name).executionRole);
    const has = (who: string, action: string, on: string) => access.some((a) => a.who === who && a.action === action && a.on.startsWith(on));
    expect(has(role('contact-rates'), 'dynamodb:Scan', 'table')).toBe(true);
    expect(has(role('contact-rates'), 'kms:Decrypt', 'key')).toBe(true);
    expect(has(role('roster'), 'kms:Decrypt', 'key')).toBe(true);
    expect(has(role('contact-pages'), 'dynamodb:DeleteItem', 'table')).toBe(true);
    expect(has(role('mailer'), 'dynamodb:*', 'table ("*")')).toBe(true);
    expect(has(logicalId(bad.node.findChild('Sloppy')), 'dynamodb:BatchWriteItem', 'table')).toBe(true);
  });
});
