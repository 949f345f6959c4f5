import { describe, expect, it } from 'vitest';
import { checkBudget, esbuildOptions, floorSource, KB, MAX_FLOOR_RATIO, MAX_GZIP_BYTES, packageOf, percentile } from '../../bench/bench.js';
import { LAMBDA_ESBUILD } from '../../infra/bundling.js';

describe('bench budget', () => {
  it('passes a handler within both limits', () => {
    expect(checkBudget([{ fn: 'a', gzipBytes: 120 * KB, floorGzipBytes: 100 * KB }])).toEqual([]);
  });

  it('names the function and the limit it exceeds', () => {
    const over = checkBudget([
      { fn: 'ratio', gzipBytes: Math.ceil(100 * KB * MAX_FLOOR_RATIO) + 1, floorGzipBytes: 100 * KB },
      { fn: 'size', gzipBytes: MAX_GZIP_BYTES + 1, floorGzipBytes: MAX_GZIP_BYTES },
    ]);
    expect(over).toHaveLength(2);
    expect(over[0]).toMatch(/^ratio: .*× its floor/);
    expect(over[1]).toMatch(/^size: gzip .* > 250\.0 KB/);
  });

  it('flags both limits when both are exceeded', () => {
    expect(checkBudget([{ fn: 'x', gzipBytes: 300 * KB, floorGzipBytes: 100 * KB }])).toHaveLength(2);
  });
});

describe('bench floor and bundling', () => {
  it('constructs exactly the listed SDK clients, exported', () => {
    expect(floorSource(['s3', 'dynamodb'])).toBe(
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
        "import { S3Client } from '@aws-sdk/client-s3';\n" +
        'export const clients = [new DynamoDBClient({}), new S3Client({})];\n',
    );
  });

  it('builds with the deployed options', () => {
    const o = esbuildOptions();
    expect(o).toMatchObject({ format: LAMBDA_ESBUILD.format, target: LAMBDA_ESBUILD.target, minify: true, bundle: true, banner: { js: LAMBDA_ESBUILD.banner } });
    expect(o.external).toBeUndefined();
  });

  it('groups metafile inputs by package', () => {
    expect(packageOf('node_modules/@aws-sdk/client-s3/dist-es/index.js')).toBe('@aws-sdk/client-s3');
    expect(packageOf('node_modules/a/node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(packageOf('functions/plans/service.ts')).toBe('(project) functions/');
    expect(packageOf('floor-dynamodb.ts')).toBe('(entry)');
  });

  it('takes nearest-rank percentiles', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 95)).toBe(5);
    expect(percentile([...Array(100).keys()], 95)).toBe(94);
  });
});
