import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/routes.js';
import { CONTACTS_TABLE_DESIGN } from '../schemas/table.js';
import { createFunctions, type LambdaFunction } from './lambda-function.js';

export interface ContactsProps {
  /** The service's table: rosters, per-period summaries and concerns (no log content). */
  readonly table: dynamodb.ITable;
  readonly signingKey: secretsmanager.ISecret;
  readonly siteOrigin: string;
  /** The reminders' outbox: new personal links and 紧急 concerns are mailed through it. */
  readonly outbox: sqs.IQueue;
  /** The audit trail: every write, and every read of a log's content, is appended there. */
  readonly auditTable: dynamodb.ITable;
}

/** The contacts capability owns the functions whose entries live under functions/contacts/. */
const ENTRY_PREFIX = 'functions/contacts/';

/**
 * Head teachers' parent-contact logs: the contact-log table — a table of its own, encrypted with a
 * customer-managed KMS key of its own — and the functions under functions/contacts/. Only the functions whose
 * spec grants `contactLogs` get the table and the key (LambdaFunction's bindContactLogs: read or write items,
 * never delete, no Scan); the rates and the roster read the main table only, so they cannot read a log even by
 * mistake. Content is kept CONTACT_RETENTION_DAYS: TTL `ttl` removes it in the cloud, reads filter it everywhere.
 */
export class Contacts extends Construct {
  /** The key the contact-log table is encrypted with (rotated yearly, retained). */
  readonly key: kms.Key;
  /** The contact-log table (schemas/table.ts CONTACTS_TABLE_DESIGN). */
  readonly table: dynamodb.Table;
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;

  constructor(scope: Construct, id: string, props: ContactsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    // The default key policy: the account may delegate use of the key through IAM — and only the functions
    // granted `contactLogs` are (its Decrypt/Encrypt/GenerateDataKey in their role policies). Retained: without
    // it, the table (and its point-in-time backups) could never be read again.
    this.key = new kms.Key(this, 'Key', {
      description: `${stackName}: encrypts the parent-contact logs table (log content, readable by its school only)`,
      alias: `alias/${stackName}-contact-logs`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const t = CONTACTS_TABLE_DESIGN; // the same key design the local runtime creates
    // No index (nothing of a log may be copied out of this table); retained and recoverable like the others.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: t.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      // Cloud-side clean-up after CONTACT_RETENTION_DAYS; reads filter expired items anyway.
      timeToLiveAttribute: t.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.functions = createFunctions(this, ENTRY_PREFIX, { ...props, contactLogsTable: this.table });
  }
}
