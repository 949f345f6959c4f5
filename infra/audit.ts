import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { AUDIT_TABLE_DESIGN } from '../schemas/table.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface AuditProps {
  /** The service's table (the view reads orgs and campaigns, and checks sessions). */
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
}

/** The audit capability owns the functions whose entries live under functions/audit/. */
const ENTRY_PREFIX = 'functions/audit/';

/**
 * The append-only audit trail: a table of its own — so that no function needs UpdateItem or DeleteItem
 * on it, and none is granted them: writers get PutItem (`grants.audit: 'append'`), readers Query — and
 * the Bureau's view of it (the functions under functions/audit/). Created before the other capabilities,
 * which pass `table` on to their functions as `auditTable`.
 */
export class Audit extends Construct {
  readonly table: dynamodb.Table;
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: AuditProps) {
    super(scope, id);
    const t = AUDIT_TABLE_DESIGN; // the same key design the local runtime creates
    // Retained and recoverable like the service's table, with the same encryption. No TTL: nothing expires.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: t.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of t.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    this.functions = createFunctions(this, ENTRY_PREFIX, { ...props, auditTable: this.table });
  }
}
