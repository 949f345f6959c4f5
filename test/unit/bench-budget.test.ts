import { describe, expect, it } from 'vitest';
import { BUDGET_OVERRIDES, checkBudget, esbuildOptions, FIGURE_COLUMNS, figureRows, floorSource, KB, MAX_FLOOR_RATIO, MAX_GZIP_BYTES, packageOf, percentile } from '../../bench/bench.js';
import { functions } from '../../functions/routes.js';
import { LAMBDA_ESBUILD } from '../../infra/bundling.js';

describe('bench budget', () => {
  it('passes a handler within both limits', () => {
    expect(checkBudget([{ fn: 'a', gzipBytes: 120 * KB, floorGzipBytes: 100 * KB }])).toEqual([]);
  });

  it('allows 1.30× the floor (middy in every HTTP handler), not more', () => {
    expect(MAX_FLOOR_RATIO).toBe(1.3);
    expect(checkBudget([{ fn: 'web', gzipBytes: 129 * KB, floorGzipBytes: 100 * KB }])).toEqual([]);
    expect(checkBudget([{ fn: 'web', gzipBytes: 130 * KB, floorGzipBytes: 100 * KB }])).toEqual([]);
    expect(checkBudget([{ fn: 'web', gzipBytes: 130 * KB + 1, floorGzipBytes: 100 * KB }])).toEqual([
      'web: gzip 130.0 KB = 1.30× its floor 100.0 KB > 1.3× = 130.0 KB (over by 0.0 KB)',
    ]);
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

describe('bench figures', () => {
  const names = Object.keys(functions);
  // Sizes 120–129 KB over a 100 KB floor: all within 1.30×, however many functions the table lists.
  const size = (i: number) => 120 + (i % 10);
  const measured = names.map((fn, i) => ({
    fn,
    clients: functions[fn as keyof typeof functions].clients,
    handler: { file: `/b/${fn}.mjs`, minBytes: 400 * KB, gzipBytes: size(i) * KB },
    floor: { file: '/b/floor.mjs', gzipBytes: 100 * KB },
  }));
  const init = new Map([...names.map((fn, i) => [`/b/${fn}.mjs`, 70 + i] as const), ['/b/floor.mjs', 50]]);

  it('reports, for every handler, its init time beside its size, each next to its floor', () => {
    const rows = figureRows(measured, init);
    expect(rows.map((r) => r[0])).toEqual(names);
    const col = (name: (typeof FIGURE_COLUMNS)[number]) => FIGURE_COLUMNS.indexOf(name);
    rows.forEach((r, i) => {
      expect(r).toHaveLength(FIGURE_COLUMNS.length);
      expect(r[col('gzip KB')]).toBe(`${size(i)}.0`);
      expect(r[col('ratio')]).toBe(`${(size(i) / 100).toFixed(2)}×`);
      expect(r[col('init ms')]).toBe(`${70 + i}.0`);
      expect(r[col('floor init ms')]).toBe('50.0');
      expect(r[col('init ratio')]).toBe(`${((70 + i) / 50).toFixed(2)}×`);
      expect(r[col('budget')]).toBe('ok');
    });
  });

  it('refuses a handler without an init time', () => {
    const partial = new Map(init);
    partial.delete(`/b/${names[0]}.mjs`);
    expect(() => figureRows(measured, partial)).toThrow(`no init time for ${names[0]}`);
  });
});

describe('bench: a function’s own budget (BUDGET_OVERRIDES)', () => {
  it('only precheck has one, with its reason, the library it exempts and a limit above the ordinary one', () => {
    expect(Object.keys(BUDGET_OVERRIDES)).toEqual(['precheck']);
    const o = BUDGET_OVERRIDES.precheck!;
    expect(o.exempt).toBe('unpdf');
    expect(o.reason).toMatch(/^precheck: PDF text extraction library .*≤ 680 KB gzip/);
    expect(o.maxGzipBytes).toBe(680 * KB);
  });

  it('holds precheck to its own limit on the whole bundle, and to the ordinary ratio without the library', () => {
    const floor = 134.7 * KB;
    expect(checkBudget([{ fn: 'precheck', gzipBytes: 658 * KB, floorGzipBytes: floor, restGzipBytes: 170 * KB }])).toEqual([]);
    expect(checkBudget([{ fn: 'precheck', gzipBytes: 680 * KB + 1, floorGzipBytes: floor, restGzipBytes: 170 * KB }])).toEqual([
      'precheck: gzip 680.0 KB > 680.0 KB (its own budget) (over by 0.0 KB)',
    ]);
    // Everything but the library still meets ≤ 1.30× the floor.
    const [ratio] = checkBudget([{ fn: 'precheck', gzipBytes: 658 * KB, floorGzipBytes: floor, restGzipBytes: 180 * KB }]);
    expect(ratio).toMatch(/^precheck: gzip without unpdf 180\.0 KB = 1\.34× its floor 134\.7 KB > 1\.3×/);
    // Not measured without the library: the whole bundle is held to the ratio (it is never smaller).
    expect(checkBudget([{ fn: 'precheck', gzipBytes: 658 * KB, floorGzipBytes: floor }])).toHaveLength(1);
  });

  it('leaves every other function on the ordinary budget', () => {
    expect(checkBudget([{ fn: 'validate-upload', gzipBytes: 251 * KB, floorGzipBytes: 250 * KB, restGzipBytes: 100 * KB }])).toEqual([
      'validate-upload: gzip 251.0 KB > 250.0 KB (over by 1.0 KB)',
    ]);
    expect(checkBudget([{ fn: 'web', gzipBytes: 131 * KB, floorGzipBytes: 100 * KB, restGzipBytes: 100 * KB }])).toHaveLength(1);
    // An override table without the function: the ordinary limits again.
    expect(checkBudget([{ fn: 'precheck', gzipBytes: 300 * KB, floorGzipBytes: 134.7 * KB }], {})).toHaveLength(2);
  });
});
