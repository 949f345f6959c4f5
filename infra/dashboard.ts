import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface DashboardProps {
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
}

/** The dashboard capability owns the functions whose entries live under functions/dashboard/ (read-only). */
const ENTRY_PREFIX = 'functions/dashboard/';

export class Dashboard extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
