import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface ReviewsProps {
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The reminders' outbox: a returned plan's mail is queued there and sent by the mailer. */
  readonly outbox: sqs.IQueue;
  /** The audit trail: every decision is appended there. */
  readonly auditTable?: dynamodb.ITable;
}

/** The reviews capability owns the functions whose entries live under functions/reviews/. */
const ENTRY_PREFIX = 'functions/reviews/';

/** Review (accept / return) by District offices and the Centre: its functions, each with exactly its grants. */
export class Reviews extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: ReviewsProps) {
    super(scope, id);
    this.functions = createFunctions(this, ENTRY_PREFIX, props);
  }
}
