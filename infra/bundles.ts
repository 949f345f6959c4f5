import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface BundlesProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The reminders' outbox: the Centre's and the District's mails about a bundle go there. */
  readonly outbox: sqs.IQueue;
  readonly auditTable: dynamodb.ITable;
}

/** The bundles capability (a District forwards its jurisdiction, the Centre receives): the functions under functions/bundles/. */
const ENTRY_PREFIX = 'functions/bundles/';

export class Bundles extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: BundlesProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
