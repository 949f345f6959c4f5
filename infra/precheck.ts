import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface PrecheckProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly siteOrigin: string;
}

/** The pre-check capability owns the functions whose entries live under functions/precheck/. */
const ENTRY_PREFIX = 'functions/precheck/';

/**
 * The advisory plan pre-check: the function listed in functions/routes.ts under functions/precheck/, granted
 * exactly what its `grants` say (the table; GetObject on accepted/*, nothing else in S3 — it writes nothing
 * there, so its trigger cannot loop). The stack wires its S3 trigger (accepted/) from the route table.
 */
export class Precheck extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: PrecheckProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
