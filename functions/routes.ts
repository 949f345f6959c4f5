/**
 * The one route table and function list. The CDK HTTP API (infra/) and the local router
 * (local/) both read it; each entry file exports `handler`.
 */
export type AwsClient = 'dynamodb' | 's3' | 'sesv2' | 'sqs';

export interface FunctionSpec {
  /** Entry file, relative to the project root. */
  entry: string;
  /** The AWS SDK clients the function constructs (the bench floor builds exactly these). */
  clients: AwsClient[];
  /** What the function may do; infra grants exactly this. */
  grants: {
    table?: 'read' | 'readwrite';
    /** S3 prefixes it may read/write ("incoming/*" etc.). */
    bucketRead?: string[];
    bucketWrite?: string[];
    /** Writes are multipart (lib-storage Upload): also s3:AbortMultipartUpload on the bucketWrite prefixes. */
    bucketMultipart?: boolean;
    /**
     * s3:ListBucket on the bucket, so that HeadObject of a missing key answers 404 instead of 403
     * (an existence check); the function can then list key names, which name no content.
     */
    bucketList?: boolean;
    signingKey?: boolean;
    /**
     * Sends mail: MAIL_FROM, the SES configuration set (MAIL_CONFIGURATION_SET) and ses:SendEmail on the
     * sender identity and the configuration set (when the deployment has a sender).
     */
    mail?: boolean;
    /**
     * The outbox queue (functions/reminders/outbox.ts): 'send' puts mail jobs on it (OUTBOX_QUEUE_URL,
     * sqs:SendMessage); 'consume' is the mailer, which the queue invokes (event source, partial batch failures).
     */
    outbox?: 'send' | 'consume';
    /**
     * The audit trail's own table (functions/audit/store.ts): AUDIT_TABLE, and 'append' dynamodb:PutItem
     * on it (the store always writes with attribute_not_exists), 'read' dynamodb:Query on it and its index.
     * Never UpdateItem, DeleteItem or BatchWriteItem: the trail is append-only.
     */
    audit?: 'append' | 'read' | 'append+read';
    /**
     * The contact-log table (schemas/contacts.ts: log content, encrypted with its own customer-managed KMS key):
     * CONTACTS_TABLE, CONTACT_RETENTION_DAYS and 'read' GetItem/Query (+ kms:Decrypt) or 'readwrite' (+ PutItem,
     * UpdateItem and kms:Encrypt/GenerateDataKey). Only the functions that show content to its readers, and the
     * one that writes it, have it: the rates, the roster and the sweeps cannot read a log.
     */
    contactLogs?: 'read' | 'readwrite';
  };
  description: string;
  memoryMb?: number;
  timeoutSeconds?: number;
}

export const functions = {
  web: {
    entry: 'functions/plans/web.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'Pages: link exchange, landing and upload pages, the $default route (Chinese 404)',
  },
  'create-upload': {
    entry: 'functions/plans/create-upload.ts',
    clients: ['dynamodb', 's3'],
    grants: { table: 'readwrite', bucketWrite: ['incoming/*'], signingKey: true },
    description: 'Issues a pre-signed S3 POST for one required document',
  },
  status: {
    entry: 'functions/plans/status.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'Submission status as a page, JSON or CSV, scoped to the session',
  },
  files: {
    entry: 'functions/plans/files.ts',
    clients: ['dynamodb', 's3'],
    grants: { table: 'read', bucketRead: ['accepted/*', 'exports/*', 'export-requests/*'], bucketWrite: ['export-requests/*'], bucketList: true, signingKey: true, audit: 'append' },
    description: 'Downloads: one accepted version or the scope’s zip, by pre-signed GET (5 minutes, readable Chinese name), each recorded in the audit trail; the client script',
  },
  'validate-upload': {
    entry: 'functions/plans/validate-upload.ts',
    clients: ['dynamodb', 's3', 'sesv2'],
    grants: { table: 'readwrite', bucketRead: ['incoming/*', 'accepted/*'], bucketWrite: ['accepted/*'], bucketList: true, signingKey: true, mail: true, audit: 'append' },
    description: 'On ObjectCreated under incoming/: checks the bytes, claims the attempt, stores them under accepted/, records the version and the audit entry, sends the receipt',
    memoryMb: 1024,
    timeoutSeconds: 60,
  },
  'export-zip': {
    entry: 'functions/plans/export-zip.ts',
    clients: ['s3'],
    // Reads the request and the accepted plans; HeadObject on exports/ (is the zip there?) needs
    // GetObject there and ListBucket for an honest 404; the zip is a multipart upload.
    grants: {
      bucketRead: ['accepted/*', 'export-requests/*', 'exports/*'],
      bucketWrite: ['exports/*'],
      bucketMultipart: true,
      bucketList: true,
    },
    description: 'On ObjectCreated under export-requests/: streams the zip of the listed plans and its manifest to exports/',
    // Asynchronous (the HTTP API gives up after 30 s); bounded memory: one object open, 4 parts in flight.
    memoryMb: 1024,
    timeoutSeconds: 300,
  },
  sweep: {
    entry: 'functions/reminders/sweep.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', signingKey: true, outbox: 'send' },
    description: 'Scheduled (functions/schedules.ts): plans the reminders and digests due, claims each in the send ledger, puts it on the outbox',
    timeoutSeconds: 120,
  },
  mailer: {
    entry: 'functions/reminders/mailer.ts',
    clients: ['dynamodb', 'sesv2'],
    grants: { table: 'readwrite', mail: true, signingKey: true, outbox: 'consume' },
    description: 'Outbox consumer: sends each claimed mail or group-robot message once (SES rate kept), records the message id',
    timeoutSeconds: 60,
  },
  'ses-events': {
    entry: 'functions/reminders/ses-events.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', outbox: 'send' },
    description: 'SES bounce and complaint events (configuration set → EventBridge): suppresses the address, marks the contact invalid, tells the Bureau',
  },
  dashboard: {
    entry: 'functions/dashboard/http.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'The dashboard page: completeness and timeliness per District and for Direct schools, as numbers and SVG pictures',
  },
  'dashboard-data': {
    entry: 'functions/dashboard/data.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'The dashboard’s numbers as JSON or CSV',
  },
  'review-queue': {
    entry: 'functions/reviews/queue.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'The review page: a District office’s schools, or the Direct schools for the Centre, by review state',
  },
  review: {
    entry: 'functions/reviews/decide.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', signingKey: true, outbox: 'send', audit: 'append' },
    description: 'A review decision: accept or return one version (a return is mailed to the school through the outbox)',
  },
  'terms-page': {
    entry: 'functions/terms/page.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'The terms page: the Bureau’s extensions and exemptions, a District office’s exemptions of its schools and their internal deadline',
  },
  terms: {
    entry: 'functions/terms/write.ts',
    clients: ['dynamodb'],
    grants: { table: 'readwrite', signingKey: true, audit: 'append' },
    description: 'Grants, changes or revokes an extension or an exemption, or sets a District’s internal deadline for its schools (status item, registers, audit trail)',
  },
  bundles: {
    entry: 'functions/bundles/view.ts',
    clients: ['dynamodb', 's3'],
    // Reads the table; the zip of a bundle like the scope's zip (files): exports/ read, its request written.
    grants: { table: 'read', signingKey: true, bucketRead: ['exports/*', 'export-requests/*'], bucketWrite: ['export-requests/*'], bucketList: true, audit: 'append' },
    description: 'The bundles page (a District office’s forwarding, every District’s bundles for the Centre) and a bundle’s zip',
  },
  'bundle-actions': {
    entry: 'functions/bundles/act.ts',
    clients: ['dynamodb', 's3', 'sqs'],
    grants: { table: 'readwrite', signingKey: true, bucketRead: ['export-requests/*'], bucketWrite: ['export-requests/*'], bucketList: true, outbox: 'send', audit: 'append' },
    description: 'Forward a District’s bundle (its zip requested, the Centre mailed); the Centre receives (回执) or returns it',
  },
  audit: {
    entry: 'functions/audit/view.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true, audit: 'read' },
    description: 'The audit trail for the Bureau and the Centre: per campaign or per org, as a page, JSON or CSV',
  },
  precheck: {
    entry: 'functions/precheck/handler.ts',
    clients: ['dynamodb', 's3'],
    grants: { table: 'readwrite', bucketRead: ['accepted/*'] },
    description: 'On ObjectCreated under accepted/: extracts the text of the accepted plan (DOCX, PDF) and records which of the notice’s sections it shows (advisory)',
    // A 20 MiB PDF and PDF.js's structures for it, with room to spare; more memory is also more CPU.
    memoryMb: 1024,
    timeoutSeconds: 120,
  },
  'contact-pages': {
    entry: 'functions/contacts/pages.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', contactLogs: 'read', signingKey: true, audit: 'append' },
    description: 'Parent-contact logs: a head teacher’s or staff member’s link, the class page and form (a refused one shown again), a class’s logs and open concerns for staff (each read of content audited)',
  },
  'contact-log': {
    entry: 'functions/contacts/log.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', contactLogs: 'read', signingKey: true, audit: 'append' },
    description: 'Parent-contact logs: one log with its versions, and the school’s (or the class’s) CSV — each read audited, a refused one too',
  },
  'contact-logs': {
    entry: 'functions/contacts/write.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', contactLogs: 'readwrite', signingKey: true, outbox: 'send', audit: 'append' },
    description: 'Writes a parent-contact log or its correction, a period’s “no contact needed”, a concern’s acknowledgement; a 紧急 concern is mailed to the crisis group at once',
  },
  'roster-page': {
    entry: 'functions/contacts/roster-page.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'A school’s roster page (classes and head teachers, staff, cadence and term) for its administrator: names and link versions, never a log',
  },
  roster: {
    entry: 'functions/contacts/roster.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', signingKey: true, outbox: 'send', audit: 'append' },
    description: 'Changes a school’s roster (classes and head teachers, psychology teachers, crisis group), cadence and term: CSV import, edits; new personal links mailed',
  },
  'contact-rates': {
    entry: 'functions/contacts/rates.ts',
    clients: ['dynamodb'],
    grants: { table: 'read', signingKey: true },
    description: 'Parent-contact completeness without content: a school’s class × period matrix (page and picture), per-school and per-District rates (page, JSON, CSV)',
  },
  'contact-sweep': {
    entry: 'functions/contacts/sweep.ts',
    clients: ['dynamodb', 'sqs'],
    grants: { table: 'readwrite', signingKey: true, outbox: 'send' },
    description: 'Scheduled (functions/schedules.ts): head teachers’ reminders, missed periods to the school, District digests, the daily 关注 list, unacknowledged 紧急 re-sent and escalated — from rosters, summaries and concerns, never a log',
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway path syntax: /l/{token} */
  path: string;
  fn: FunctionName;
}

export const routes: Route[] = [
  { method: 'GET', path: '/', fn: 'web' },
  { method: 'GET', path: '/l/{token}', fn: 'web' },
  { method: 'GET', path: '/upload', fn: 'web' },
  { method: 'GET', path: '/status', fn: 'status' },
  { method: 'GET', path: '/assets/app.js', fn: 'files' },
  { method: 'POST', path: '/api/uploads', fn: 'create-upload' },
  { method: 'GET', path: '/api/plans', fn: 'status' },
  { method: 'GET', path: '/api/status', fn: 'status' },
  { method: 'GET', path: '/files/zip', fn: 'files' },
  { method: 'GET', path: '/files/{org}/{document}/{version}', fn: 'files' },
  { method: 'GET', path: '/api/exports', fn: 'files' },
  { method: 'GET', path: '/review', fn: 'review-queue' },
  { method: 'GET', path: '/dashboard', fn: 'dashboard' },
  { method: 'GET', path: '/api/dashboard', fn: 'dashboard-data' },
  { method: 'POST', path: '/review', fn: 'review' },
  { method: 'POST', path: '/api/reviews', fn: 'review' },
  { method: 'GET', path: '/terms', fn: 'terms-page' },
  { method: 'POST', path: '/terms', fn: 'terms' },
  { method: 'POST', path: '/api/extensions', fn: 'terms' },
  { method: 'POST', path: '/api/exemptions', fn: 'terms' },
  { method: 'POST', path: '/api/schools-deadline', fn: 'terms' },
  { method: 'GET', path: '/bundles', fn: 'bundles' },
  { method: 'GET', path: '/bundles/{district}/{seq}/zip', fn: 'bundles' },
  { method: 'POST', path: '/bundles', fn: 'bundle-actions' },
  { method: 'POST', path: '/api/bundles', fn: 'bundle-actions' },
  { method: 'GET', path: '/audit', fn: 'audit' },
  { method: 'GET', path: '/api/audit', fn: 'audit' },
  { method: 'GET', path: '/c/{token}', fn: 'contact-pages' },
  { method: 'GET', path: '/contacts', fn: 'contact-pages' },
  { method: 'GET', path: '/contacts/new', fn: 'contact-pages' },
  { method: 'GET', path: '/contacts/logs/{class}/{log}', fn: 'contact-log' },
  { method: 'GET', path: '/contacts/export.csv', fn: 'contact-log' },
  { method: 'POST', path: '/contacts/refused', fn: 'contact-pages' },
  { method: 'POST', path: '/contacts', fn: 'contact-logs' },
  { method: 'POST', path: '/api/contact-logs', fn: 'contact-logs' },
  { method: 'GET', path: '/roster', fn: 'roster-page' },
  { method: 'POST', path: '/roster', fn: 'roster' },
  { method: 'POST', path: '/api/roster', fn: 'roster' },
  { method: 'GET', path: '/contact-rates', fn: 'contact-rates' },
  { method: 'GET', path: '/api/contact-rates', fn: 'contact-rates' },
];

/**
 * The HTTP API's `$default` route: every request that no route above matches (unknown path or method).
 * Without it API Gateway answers an English `{"message":"Not Found"}`; `web` answers a Chinese 404 page,
 * or a JSON 404 under /api/. The local router mimics it with the same route key.
 */
export const defaultRoute = { routeKey: '$default', fn: 'web' } as const satisfies { routeKey: '$default'; fn: FunctionName };

/** Functions triggered by S3 ObjectCreated under this prefix. */
export const s3Triggers: { fn: FunctionName; prefix: string }[] = [
  { fn: 'validate-upload', prefix: 'incoming/' },
  { fn: 'export-zip', prefix: 'export-requests/' },
  // The advisory pre-check of each accepted version; it writes only to the table, so no loop.
  { fn: 'precheck', prefix: 'accepted/' },
];
