/**
 * How every Lambda is bundled — read by the one NodejsFunction construct (infra/lambda-function.ts)
 * and by `npm run bench`, so the measured bundle is the deployed bundle.
 * The AWS SDK is bundled (not taken from the runtime): it starts faster and is pinned by our lockfile.
 */
export const LAMBDA_ESBUILD = {
  format: 'esm' as const,
  platform: 'node' as const,
  target: 'node22',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  /** ESM bundles still meet CommonJS dependencies that call require(). */
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  legalComments: 'none' as const,
};
