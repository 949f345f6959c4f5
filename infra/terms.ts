import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface TermsProps {
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The audit trail: every extension, exemption and internal deadline set or revoked is appended there. */
  readonly auditTable?: dynamodb.ITable;
}

/** The terms capability owns the functions whose entries live under functions/terms/. */
const ENTRY_PREFIX = 'functions/terms/';

/**
 * Extensions, exemptions and Districts' internal deadlines: the page (read-only) and the writer, each with
 * exactly its grants (the writer: the table and appending to the audit trail).
 */
export class Terms extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: TermsProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
