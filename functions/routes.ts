/**
 * The one route table and function list. The CDK HTTP API (infra/) and the local router
 * (local/) both read it; each entry file exports `handler`.
 */
export type AwsClient = 'dynamodb' | 's3' | 'sesv2';

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
    signingKey?: boolean;
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
    description: 'Pages: link exchange, upload page, client script',
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
  'validate-upload': {
    entry: 'functions/plans/validate-upload.ts',
    clients: ['dynamodb', 's3'],
    grants: { table: 'readwrite', bucketRead: ['incoming/*'], bucketWrite: ['accepted/*'] },
    description: 'On ObjectCreated under incoming/: checks magic bytes and size, copies to accepted/, records the version',
    memoryMb: 1024,
    timeoutSeconds: 60,
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
  { method: 'GET', path: '/assets/app.js', fn: 'web' },
  { method: 'POST', path: '/api/uploads', fn: 'create-upload' },
  { method: 'GET', path: '/api/plans', fn: 'status' },
  { method: 'GET', path: '/api/status', fn: 'status' },
];

/**
 * The HTTP API's `$default` route: every request that no route above matches (unknown path or method).
 * Without it API Gateway answers an English `{"message":"Not Found"}`; `web` answers a Chinese 404 page,
 * or a JSON 404 under /api/. The local router mimics it with the same route key.
 */
export const defaultRoute = { routeKey: '$default', fn: 'web' } as const satisfies { routeKey: '$default'; fn: FunctionName };

/** Functions triggered by S3 ObjectCreated under this prefix. */
export const s3Triggers: { fn: FunctionName; prefix: string }[] = [{ fn: 'validate-upload', prefix: 'incoming/' }];
