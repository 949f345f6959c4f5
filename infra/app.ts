import { buildApp } from './app-builder.js';
import { assertNoNagFindings } from './nag.js';

// Environment-agnostic unless the CLI knows a region/account; synths offline without credentials.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const { app } = buildApp({ env: account || region ? { account, region } : undefined });

try {
  // Unacknowledged nag findings fail synth (validation plugin; the CLI prints the report)...
  app.synth();
  // ...and, should the plugin ever let warnings pass, they are refused here.
  assertNoNagFindings(app);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
