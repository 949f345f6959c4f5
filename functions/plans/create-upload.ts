import { CreateUploadBody } from '../../schemas/plans.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { s3Client } from '../shared/clients/s3.js';
import { readEnv } from '../shared/env.js';
import { forbidden } from '../shared/errors.js';
import { cookie, httpRoute, json, jsonBody } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { plansDeps, requireBucket } from './deps.js';
import { s3Presigner } from './s3.js';
import { authenticate, createUpload } from './service.js';
import { uploadStore } from './store.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...plansDeps(env, ddb), uploads: uploadStore(ddb, env.TABLE_NAME), presigner: s3Presigner(s3Client(), requireBucket(env)) };
const siteOrigin = new URL(env.SITE_ORIGIN).origin;

/** POST /api/uploads — a pre-signed POST for one required document of the session's org (body checked by httpRoute). */
export const handler = httpRoute(
  async (event) => {
    const origin = event.headers?.origin;
    if (origin && origin !== siteOrigin) throw forbidden('BAD_ORIGIN', '请求来源不正确，请从报送页面上传。');
    const session = await authenticate(deps, cookie(event, SESSION_COOKIE));
    return json(201, await createUpload(deps, session, event.body));
  },
  { errors: 'json', body: jsonBody(CreateUploadBody) },
);
