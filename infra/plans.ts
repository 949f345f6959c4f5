import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface PlansProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The SES sender; functions that send mail get it (receipts are off in a deployment without one). */
  readonly mailFrom?: string;
  /** The SES configuration set every send names (bounce and complaint events come from it). */
  readonly mailConfigurationSet: ses.IConfigurationSet;
  /** The audit trail's table, for functions granted `audit`. */
  readonly auditTable?: dynamodb.ITable;
}

/** The plans capability owns the functions whose entries live under functions/plans/. */
const ENTRY_PREFIX = 'functions/plans/';

/**
 * Plan submission: the functions listed in functions/routes.ts under functions/plans/, each granted
 * exactly what its `grants` say, with the environment variables that go with those grants.
 * Routes and S3 triggers are wired by the stack from the same route table.
 */
export class Plans extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: PlansProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
