import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type FunctionName, type FunctionSpec, functions } from '../functions/routes.js';
import { LambdaFunction } from './lambda-function.js';

export interface PlansProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The SES sender; functions that send mail get it (receipts are off in a deployment without one). */
  readonly mailFrom?: string;
}

/** The plans capability owns the functions whose entries live under functions/plans/. */
const ENTRY_PREFIX = 'functions/plans/';

/** "create-upload" → "CreateUpload" (construct ids, hence stable logical ids). */
export const constructIdOf = (name: string): string =>
  name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

/**
 * Plan submission: the functions listed in functions/routes.ts under functions/plans/, each granted
 * exactly what its `grants` say, with the environment variables that go with those grants.
 * Routes and S3 triggers are wired by the stack from the same route table.
 */
export class Plans extends Construct {
  readonly functions = new Map<FunctionName, LambdaFunction>();

  constructor(scope: Construct, id: string, props: PlansProps) {
    super(scope, id);
    for (const [name, spec] of Object.entries(functions) as [FunctionName, FunctionSpec][]) {
      if (!spec.entry.startsWith(ENTRY_PREFIX)) continue;
      const { grants } = spec;
      const fn = new LambdaFunction(this, constructIdOf(name), {
        spec,
        siteOrigin: props.siteOrigin,
        secretsExtension: grants.signingKey === true,
      });
      if (grants.table) fn.bindTable(props.table, grants.table);
      if (grants.bucketRead?.length || grants.bucketWrite?.length) {
        fn.bindBucket(props.bucket, { read: grants.bucketRead, write: grants.bucketWrite });
      }
      if (grants.signingKey) fn.bindSigningKey(props.signingKey);
      if (grants.mail && props.mailFrom) fn.bindMail(props.mailFrom);
      this.functions.set(name, fn);
    }
  }
}
