import { readFileSync } from 'node:fs';
import { type App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRoute, type FunctionName, type FunctionSpec, functions, routes, s3Triggers } from '../../functions/routes.js';
import { buildApp, parseMailFrom } from '../../infra/app-builder.js';
import { assertNoNagFindings, formatFindings, nagFindings } from '../../infra/nag.js';
import type { ServiceStack } from '../../infra/service-stack.js';

const SLOW = { timeout: 120_000 };
const SITE = 'https://plans.example.cn';

/** The same feature flags the CLI passes from cdk.json, and no esbuild (assets are not under test). */
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
const context = (extra: Record<string, unknown> = {}) => ({ ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...extra });

type Json = Record<string, any>;
const specs = Object.entries(functions) as [FunctionName, FunctionSpec][];
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
const getAtt = (c: IConstruct, attr = 'Arn') => ({ 'Fn::GetAtt': [logicalId(c), attr] });

/** All IAM statements attached to a role, from the synthesized template. */
function statementsOf(resources: Json, roleLogicalId: string): Json[] {
  return Object.values(resources)
    .filter((r: Json) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === roleLogicalId))
    .flatMap((r: Json) => r.Properties.PolicyDocument.Statement as Json[]);
}
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** "s3:GetObject on <Bucket.Arn>/incoming/*" for every s3 action/resource pair of the statements. */
function s3Grants(statements: Json[], bucketLogicalId: string): string[] {
  const out: string[] = [];
  for (const st of statements) {
    for (const action of asArray<string>(st.Action).filter((a) => a.startsWith('s3:'))) {
      for (const res of asArray<Json | string>(st.Resource)) {
        const join = typeof res === 'object' && res['Fn::Join'] ? (res['Fn::Join'][1] as Json[]) : undefined;
        const isBucket = typeof res === 'object' && res['Fn::GetAtt']?.[0] === bucketLogicalId && res['Fn::GetAtt']?.[1] === 'Arn';
        const pattern = isBucket
          ? '(bucket)'
          : join && join[0]?.['Fn::GetAtt']?.[0] === bucketLogicalId
            ? String(join[1]).replace(/^\//, '')
            : JSON.stringify(res);
        out.push(`${action} ${pattern}`);
      }
    }
  }
  return out.sort();
}

describe('service stack template', SLOW, () => {
  let stack: ServiceStack;
  let template: Template;
  let resources: Json;

  beforeAll(() => {
    ({ stack } = buildApp({ context: context({ siteOrigin: SITE }) }));
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  }, SLOW.timeout);

  it('has one table: pk/sk, gsi1 and the sparse gsi2 (ALL), on-demand, PITR, deletion protection, TTL, retained', () => {
    // This one, the audit trail's own (test/infra/audit.test.ts) and the contact logs' own (test/infra/contacts.test.ts).
    template.resourceCountIs('AWS::DynamoDB::Table', 3);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
          { AttributeName: 'gsi2pk', AttributeType: 'S' },
          { AttributeName: 'gsi2sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'gsi2',
            KeySchema: [
              { AttributeName: 'gsi2pk', KeyType: 'HASH' },
              { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it('keeps uploads in a private, encrypted, versioned, retained bucket with access logs', () => {
    const bucket = resources[logicalId(stack.bucket)];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(stack.accessLogBucket) });
    for (const [id, b] of Object.entries(resources).filter(([, r]) => (r as Json).Type === 'AWS::S3::Bucket') as [string, Json][]) {
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, id).toMatch(/^(AES256|aws:kms)$/);
      expect(b.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('denies non-TLS requests on every bucket', () => {
    for (const bucket of [stack.bucket, stack.accessLogBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('allows CORS from the site origin only', () => {
    const cors = resources[logicalId(stack.bucket)].Properties.CorsConfiguration.CorsRules as Json[];
    expect(cors).toHaveLength(1);
    expect(cors[0]!.AllowedOrigins).toEqual([SITE]);
    expect(cors[0]!.AllowedMethods).toContain('POST');
    expect(cors[0]!.AllowedMethods).not.toContain('PUT');
    expect(cors[0]!.AllowedMethods).not.toContain('DELETE');
  });

  it('expires incoming/, export-requests/ and exports/ (objects, old versions, delete markers, unfinished multipart uploads)', () => {
    const all = resources[logicalId(stack.bucket)].Properties.LifecycleConfiguration.Rules as Json[];
    for (const [prefix, days] of [
      ['incoming/', 7],
      ['export-requests/', 1],
      ['exports/', 1],
    ] as const) {
      const rules = all.filter((r) => r.Prefix === prefix && r.Status === 'Enabled');
      expect(rules, prefix).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            ExpirationInDays: days,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
          expect.objectContaining({ ExpiredObjectDeleteMarker: true }),
        ]),
      );
      expect(rules, prefix).toHaveLength(2);
    }
    // Nothing else expires: not the accepted plans, and no rule without a prefix.
    expect(all.map((r) => r.Prefix).sort()).toEqual(['export-requests/', 'export-requests/', 'exports/', 'exports/', 'incoming/', 'incoming/']);
  });

  it('has exactly one route per route-table entry, each on its function, payload 2.0', () => {
    const routeResources = Object.values(resources).filter((r: Json) => r.Type === 'AWS::ApiGatewayV2::Route') as Json[];
    const actual = routeResources.map((r) => r.Properties.RouteKey).sort();
    const expected = [...routes.map((r) => `${r.method} ${r.path}`), defaultRoute.routeKey].sort();
    expect(actual).toEqual(expected);
    expect(actual).toContain('GET /l/{token}');
    expect(actual).toContain('$default');

    for (const route of [...routes.map((r) => ({ key: `${r.method} ${r.path}`, fn: r.fn })), { key: defaultRoute.routeKey, fn: defaultRoute.fn }]) {
      const res = routeResources.find((r) => r.Properties.RouteKey === route.key)!;
      const integrationId = res.Properties.Target['Fn::Join'][1][1].Ref as string;
      const integration = resources[integrationId].Properties;
      expect(integration.IntegrationUri, res.Properties.RouteKey).toEqual(getAtt(stack.functions.get(route.fn)!));
      expect(integration.PayloadFormatVersion).toBe('2.0');
    }
    // One integration per function, shared by its routes.
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', new Set(routes.map((r) => r.fn)).size);
  });

  it('builds every route-table function on nodejs24.x / arm64 with its own log group', () => {
    expect([...stack.functions.keys()].sort()).toEqual(specs.map(([n]) => n).sort());
    const lambdaIds = new Set<string>();
    for (const [name, spec] of specs) {
      const fn = stack.functions.get(name)!;
      const id = logicalId(fn);
      lambdaIds.add(id);
      const props = resources[id].Properties;
      expect(props.Runtime, name).toBe('nodejs24.x');
      expect(props.Architectures, name).toEqual(['arm64']);
      expect(props.Handler, name).toBe('index.handler');
      expect(props.MemorySize, name).toBe(spec.memoryMb ?? 512);
      expect(props.Timeout, name).toBe(spec.timeoutSeconds ?? 10);
      const logGroup = resources[props.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(365);
    }
    // The only other Lambda is CDK's bucket-notifications handler.
    const others = Object.entries(resources)
      .filter(([id, r]) => (r as Json).Type === 'AWS::Lambda::Function' && !lambdaIds.has(id))
      .map(([id]) => id);
    expect(others).toHaveLength(1);
    expect(others[0]).toMatch(/^BucketNotificationsHandler/);
  });

  it('gives each function exactly the environment its grants imply', () => {
    for (const [name, spec] of specs) {
      const vars = resources[logicalId(stack.functions.get(name)!)].Properties.Environment.Variables as Json;
      const layers = (resources[logicalId(stack.functions.get(name)!)].Properties.Layers ?? []) as unknown[];
      expect(vars.SITE_ORIGIN, name).toBe(SITE);
      expect(vars.TABLE_NAME, name).toEqual(spec.grants.table ? { Ref: logicalId(stack.table) } : undefined);
      const bucketGrant = Boolean(spec.grants.bucketRead?.length || spec.grants.bucketWrite?.length);
      expect(vars.BUCKET_NAME, name).toEqual(bucketGrant ? { Ref: logicalId(stack.bucket) } : undefined);
      expect(vars.SIGNING_SECRET_ARN, name).toEqual(spec.grants.signingKey ? { Ref: logicalId(stack.signingKey) } : undefined);
      expect(vars.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, name).toBe(spec.grants.signingKey ? '2773' : undefined);
      expect(layers.length, name).toBe(spec.grants.signingKey ? 1 : 0);
      expect(vars.MAIL_FROM, name).toBeUndefined();
    }
  });

  it('logs API access as JSON with the route key, never the raw path', () => {
    const stage = resources[logicalId(stack.apiStage)].Properties;
    expect(stage.StageName).toBe('$default');
    expect(stage.AccessLogSettings.DestinationArn).toEqual(expect.anything());
    const format = stage.AccessLogSettings.Format as string;
    expect(format).not.toContain('$context.path');
    expect(format).not.toContain('$context.resourcePath');
    const fields = JSON.parse(format) as Record<string, string>;
    expect(Object.values(fields)).toEqual(
      expect.arrayContaining([
        '$context.routeKey',
        '$context.requestId',
        '$context.status',
        '$context.identity.sourceIp',
        '$context.responseLatency',
        '$context.identity.userAgent',
      ]),
    );
    expect(stage.DefaultRouteSettings).toEqual(
      expect.objectContaining({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) }),
    );
  });

  it('triggers each S3-triggered function on ObjectCreated under its prefix, with a failure queue', () => {
    const [notifications] = Object.values(resources).filter((r: Json) => r.Type === 'Custom::S3BucketNotifications') as Json[];
    expect(notifications!.Properties.BucketName).toEqual({ Ref: logicalId(stack.bucket) });
    const configs = notifications!.Properties.NotificationConfiguration.LambdaFunctionConfigurations as Json[];
    expect(configs).toHaveLength(s3Triggers.length);
    for (const trigger of s3Triggers) {
      expect(configs).toContainEqual({
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: trigger.prefix }] } },
        LambdaFunctionArn: getAtt(stack.functions.get(trigger.fn)!),
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.functions.get(trigger.fn)!) },
        DestinationConfig: { OnFailure: { Destination: getAtt(stack.failedEvents) } },
      });
    }
    expect(s3Triggers).toContainEqual({ fn: 'validate-upload', prefix: 'incoming/' });
  });

  it('grants S3 object access exactly as the route table says, and nothing more', () => {
    const bucketId = logicalId(stack.bucket);
    for (const [name, spec] of specs) {
      const statements = statementsOf(resources, logicalId(stack.functions.get(name)!.executionRole));
      const grants: FunctionSpec['grants'] = spec.grants;
      const expected = [
        ...(grants.bucketRead ?? []).map((p) => `s3:GetObject ${p}`),
        ...(grants.bucketWrite ?? []).map((p) => `s3:PutObject ${p}`),
        ...(grants.bucketMultipart ? (grants.bucketWrite ?? []).map((p) => `s3:AbortMultipartUpload ${p}`) : []),
        ...(grants.bucketList ? ['s3:ListBucket (bucket)'] : []),
      ].sort();
      expect(s3Grants(statements, bucketId), name).toEqual(expected);
    }
    const s3Of = (name: FunctionName) =>
      s3Grants(statementsOf(resources, logicalId(stack.functions.get(name)!.executionRole)), bucketId);
    expect(s3Of('web')).toEqual([]);
    expect(s3Of('status')).toEqual([]);
    expect(s3Of('validate-upload')).not.toContain('s3:PutObject incoming/*');
    expect(s3Of('validate-upload')).toContain('s3:GetObject incoming/*');
    expect(s3Of('validate-upload')).toContain('s3:PutObject accepted/*');
    expect(s3Of('create-upload')).toEqual(['s3:PutObject incoming/*']);
    // The zip builder: reads the request and the plans, writes zips (multipart), checks whether a zip exists.
    expect(s3Of('export-zip')).toEqual([
      's3:AbortMultipartUpload exports/*',
      's3:GetObject accepted/*',
      's3:GetObject export-requests/*',
      's3:GetObject exports/*',
      's3:ListBucket (bucket)',
      's3:PutObject exports/*',
    ]);
    // Only the zip builder may abort multipart uploads; only the functions that check whether an
    // object exists (HeadObject: 404 rather than 403 needs ListBucket) may list the bucket.
    for (const [name] of specs.filter(([n]) => n !== 'export-zip')) {
      expect(s3Of(name).filter((g) => /AbortMultipart/.test(g)), name).toEqual([]);
    }
    const listers = specs.filter(([, s]) => (s.grants as { bucketList?: boolean }).bucketList).map(([n]) => n).sort();
    // bundles and bundle-actions: is a bundle's zip (or its request) there yet?
    expect(listers).toEqual(['bundle-actions', 'bundles', 'export-zip', 'files', 'validate-upload']);
    for (const [name] of specs) expect(s3Of(name).includes('s3:ListBucket (bucket)'), name).toBe(listers.includes(name));
  });

  it('builds zips asynchronously: export-zip is triggered by export-requests/, 1024 MB, 300 s, no table', () => {
    expect(s3Triggers).toContainEqual({ fn: 'export-zip', prefix: 'export-requests/' });
    const props = resources[logicalId(stack.functions.get('export-zip')!)].Properties;
    expect(props.MemorySize).toBe(1024);
    expect(props.Timeout).toBe(300);
    expect(props.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(props.Environment.Variables.BUCKET_NAME).toEqual({ Ref: logicalId(stack.bucket) });
    // No route: the HTTP API only writes the request.
    expect(routes.some((r) => r.fn === 'export-zip')).toBe(false);
  });

  it('grants table access by level, without Scan, and the signing key only where listed', () => {
    const tableArn = getAtt(stack.table);
    for (const [name, spec] of specs) {
      const statements = statementsOf(resources, logicalId(stack.functions.get(name)!.executionRole));
      const actions = statements.flatMap((s) => asArray<string>(s.Action));
      expect(actions.some((a) => a === '*' || a.endsWith(':*')), name).toBe(false);
      expect(actions, name).not.toContain('dynamodb:Scan');
      // Writes on the service's table (the audit trail's own table is granted per `grants.audit`: test/infra/audit.test.ts).
      const onTable = statements.filter((s) => JSON.stringify(asArray(s.Resource)[0]) === JSON.stringify(tableArn));
      const tableActions = onTable.flatMap((s) => asArray<string>(s.Action));
      const writes = tableActions.includes('dynamodb:PutItem') || tableActions.includes('dynamodb:UpdateItem');
      expect(writes, name).toBe(spec.grants.table === 'readwrite');
      // Any other DynamoDB write is the audit trail's append or a contact-log write, and only where it is granted.
      const writesOn = (other: IConstruct) =>
        statements.some(
          (s) =>
            JSON.stringify(asArray(s.Resource)[0]) === JSON.stringify(getAtt(other)) &&
            asArray<string>(s.Action).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem'),
        );
      const elsewhere = statements.filter((s) => !onTable.includes(s) && asArray<string>(s.Action).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem'));
      expect(writesOn(stack.audit.table), name).toBe(String((spec.grants as { audit?: string }).audit ?? '').includes('append'));
      expect(writesOn(stack.contacts.table), name).toBe(spec.grants.contactLogs === 'readwrite');
      expect(elsewhere.length, name).toBe(Number(writesOn(stack.audit.table)) + Number(writesOn(stack.contacts.table)));
      expect(actions.includes('dynamodb:Query'), name).toBe(Boolean(spec.grants.table));
      const secretStatements = statements.filter((s) => asArray<string>(s.Action).includes('secretsmanager:GetSecretValue'));
      expect(secretStatements.map((s) => s.Resource), name).toEqual(spec.grants.signingKey ? [{ Ref: logicalId(stack.signingKey) }] : []);
      if (spec.grants.table) {
        const tableStatement = statements.find((s) => asArray<string>(s.Action).includes('dynamodb:Query'))!;
        expect(asArray(tableStatement.Resource)[0], name).toEqual(tableArn);
      }
    }
    // No function role carries an AWS managed policy.
    for (const [name] of specs) {
      expect(resources[logicalId(stack.functions.get(name)!.executionRole)].Properties.ManagedPolicyArns, name).toBeUndefined();
    }
  });

  it('keeps a generated, retained signing key', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
      }),
    });
  });

  it('outputs what the operator CLI needs', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(outputs.TableName.Value).toEqual({ Ref: logicalId(stack.table) });
    expect(outputs.BucketName.Value).toEqual({ Ref: logicalId(stack.bucket) });
    expect(outputs.SigningSecretArn.Value).toEqual({ Ref: logicalId(stack.signingKey) });
    expect(outputs.SiteOrigin.Value).toBe(SITE);
    expect(outputs.ApiUrl.Value).toEqual(getAtt(stack.httpApi, 'ApiEndpoint'));
  });
});

describe('site origin', SLOW, () => {
  it('defaults to the HTTP API endpoint (CORS and SITE_ORIGIN), without a dependency cycle', () => {
    const { stack } = buildApp({ context: context() });
    const template = Template.fromStack(stack);
    const resources = template.toJSON().Resources as Json;
    const endpoint = getAtt(stack.httpApi, 'ApiEndpoint');
    expect(resources[logicalId(stack.bucket)].Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual([endpoint]);
    for (const [name] of specs) {
      expect(resources[logicalId(stack.functions.get(name)!)].Properties.Environment.Variables.SITE_ORIGIN).toEqual(endpoint);
    }
  });

  it.each(['http://plans.example.cn', 'https://plans.example.cn/', 'https://plans.example.cn/app', 'plans.example.cn'])(
    'rejects siteOrigin %s',
    (siteOrigin) => {
      expect(() => buildApp({ context: context({ siteOrigin }), nag: false })).toThrow(/siteOrigin must be an https origin/);
    },
  );

  it('rejects a malformed mailFrom and accepts an address with or without a display name', () => {
    expect(() => buildApp({ context: context({ mailFrom: 'not-an-address' }), nag: false })).toThrow(/mailFrom/);
    expect(() => buildApp({ context: context({ mailFrom: 'Name <a@b' }), nag: false })).toThrow(/mailFrom/);
    expect(parseMailFrom('noreply@psy.example.org')).toBe('noreply@psy.example.org');
    expect(parseMailFrom('南昌市未成年人心理健康辅导中心 <noreply@psy.example.org>')).toBe('南昌市未成年人心理健康辅导中心 <noreply@psy.example.org>');
  });
});

/** Where each acknowledgement was made: `${ruleId} @ ${constructPath}`. */
function acknowledgements(app: App): string[] {
  const out: string[] = [];
  const walk = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
        for (const id of Object.keys(entry.data as object)) out.push(`${id.replace(/^annotation::/i, '')} @ ${c.node.path}`);
      }
    }
    c.node.children.forEach(walk);
  };
  walk(app);
  return out;
}

describe('cdk-nag (AwsSolutions)', SLOW, () => {
  it('reports no unacknowledged finding, error or warning, and synth passes', () => {
    const { app } = buildApp({ context: context({ siteOrigin: SITE }) });
    expect(() => app.synth()).not.toThrow();
    const findings = nagFindings(app);
    expect(findings, formatFindings(findings)).toEqual([]);
    expect(() => assertNoNagFindings(app)).not.toThrow();
  });

  it('needs every acknowledgement: each one covers a finding that is there without it', () => {
    const raw = buildApp({ context: context({ siteOrigin: SITE }), acknowledge: false, nag: false }).app;
    raw.synth();
    const findings = nagFindings(raw).flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
    expect(findings.length).toBeGreaterThan(0);

    const acked = buildApp({ context: context({ siteOrigin: SITE }), nag: false }).app;
    acked.synth();
    const acks = acknowledgements(acked).map((a) => {
      const [rule, path] = a.split(' @ ') as [string, string];
      return { rule, path };
    });
    const covers = (a: { rule: string; path: string }, f: { rule: string; path: string }) =>
      a.rule === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    const stale = acks.filter((a) => !findings.some((f) => covers(a, f)));
    expect(stale, 'acknowledgements that match no finding').toEqual([]);
    const uncovered = findings.filter((f) => !acks.some((a) => covers(a, f)));
    expect(uncovered, 'findings nobody acknowledged').toEqual([]);
    // Wildcard acknowledgements name the exact resource pattern, never the whole rule.
    for (const a of acks.filter((x) => x.rule.startsWith('AwsSolutions-IAM'))) expect(a.rule).toMatch(/\[.+\]$/);
  });

  it('does report a deliberately non-compliant bucket, and synth then fails', () => {
    const { app, stack } = buildApp({ context: context({ siteOrigin: SITE }) });
    const throwaway = new Stack(app, 'Throwaway');
    new s3.Bucket(throwaway, 'Sloppy'); // no access logs, no TLS-only policy
    new s3.Bucket(stack, 'SloppyInService');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    const reported = nagFindings(app).flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(reported).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 Throwaway/Sloppy/Resource',
        'AwsSolutions-S10 Throwaway/Sloppy/Resource',
        `AwsSolutions-S1 ${stack.stackName}/SloppyInService/Resource`,
      ]),
    );
  });

  it('refuses warnings too (synth and assertNoNagFindings)', () => {
    const { app } = buildApp({ context: context({ siteOrigin: SITE }) });
    const throwaway = new Stack(app, 'Throwaway');
    // AwsSolutions-DDB3 (no point-in-time recovery) is a warning-level rule.
    new dynamodb.Table(throwaway, 'NoPitr', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
    const findings = nagFindings(app);
    expect(findings.map((f) => [f.ruleName, f.severity])).toContainEqual(['AwsSolutions-DDB3', 'warning']);
    expect(() => assertNoNagFindings(app)).toThrow(/AwsSolutions-DDB3/);
  });
});
