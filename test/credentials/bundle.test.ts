/**
 * The built http-api bundle as FC runs it: strict mode throughout, within its size budget, without the
 * official SDK, protobufjs or a run-time Ajv, and serving /rows against Tablestore Local from a fresh
 * process (precompiled validators included).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import { SearchClient } from '../../lib/tablestore/search/client';
import { WideTableClient } from '../../lib/tablestore/wide';
import { buildFunctions } from '../../scripts/build';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

let out: string;
let local: LocalTablestoreHandle;
let bundle: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'tsfc-bundle-'));
  const [built] = await buildFunctions(['http-api'], out);
  bundle = built.outfile;
  local = await startLocal({ instance: 'bundleinst', region: 'cn-hangzhou' });
  const wide = new WideTableClient({
    endpoint: local.endpoint,
    instance: local.instance,
    region: local.region,
    credentials: fromStatic({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret }),
  });
  await wide.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await wide.batchWriteRow({
    tables: [
      {
        table: 'orders',
        rows: Array.from({ length: 5 }, (_, i) => ({
          type: 'put' as const,
          primaryKey: { id: i },
          columns: { n: i, big: 9007199254740993n },
        })),
      },
    ],
  });
  await new SearchClient({ transport: wide.transport }).createSearchIndex('orders', 'orders_idx', {
    fields: [{ name: 'n', type: 'LONG' }],
  });
  wide.close();
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(out, { recursive: true, force: true });
});

/**
 * Runs the built http-api bundle in a fresh strict Node process (no node_modules beside it) on the given FC
 * events at once, against this process's Tablestore Local; returns the FC response structs in event order.
 */
async function invokeBundle(events: readonly string[]): Promise<Array<{ statusCode: number; body: string }>> {
  const script = `const { handler } = require(${JSON.stringify(bundle)});
      const ctx = { requestId: 'c', credentials: ${JSON.stringify({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret })}, function: { name: 'http-api', timeout: 30 }, region: 'cn-hangzhou' };
      Promise.all(${JSON.stringify(events)}.map((e) => handler(Buffer.from(e), ctx))).then((r) => process.stdout.write(JSON.stringify(r)));`;
  // Asynchronously: Tablestore Local answers from this process.
  const child = await promisify(execFile)(process.execPath, ['--use-strict', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      TABLESTORE_INSTANCE: local.instance,
      TABLESTORE_ENDPOINT: local.endpoint,
      FC_REGION: 'cn-hangzhou',
      LOG_LEVEL: 'silent',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as Array<{ statusCode: number; body: string }>;
}

describe('dist/http-api bundle', () => {
  it('is strict, within 250 KiB, and carries no SDK, protobufjs or run-time Ajv', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code.startsWith('"use strict";')).toBe(true);
    expect(code.length).toBeLessThanOrEqual(250 * 1024);
    expect(code).not.toMatch(/new Ajv|protobufjs|plian_buffer|tablestore_compiled_proto/);
    // The SQL gate is a side file loaded by the first POST /sql; no SQL parser is bundled anywhere.
    expect(code).toContain('import("./sql-guard.js")');
    expect(code).not.toMatch(/a subquery must be in parentheses|node-sql-parser|peg\$/);
    const guard = readFileSync(join(dirname(bundle), 'sql-guard.js'), 'utf8');
    expect(guard.length).toBeLessThanOrEqual(16 * 1024);
    expect(guard).not.toMatch(/node-sql-parser|peg\$/);
  });

  it('answers /rows and rejects a bad parameter from a fresh strict process', async () => {
    const event = (query: Record<string, string>) =>
      JSON.stringify({
        version: 'v1',
        rawPath: '/tables/orders/rows',
        headers: {},
        queryParameters: query,
        requestContext: { requestId: 'r', http: { method: 'GET', path: '/tables/orders/rows' } },
      });
    const sqlEvent = (query: string) =>
      JSON.stringify({
        version: 'v1',
        rawPath: '/sql',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify({ query })).toString('base64'),
        isBase64Encoded: true,
        requestContext: { requestId: 'r', http: { method: 'POST', path: '/sql' } },
      });
    const [ok, bad, sql, write] = await invokeBundle([
      event({ limit: '3' }),
      event({ limit: '0' }),
      sqlEvent('SELECT id FROM orders WHERE id > 2'),
      sqlEvent('DELETE FROM orders'),
    ]);

    expect(sql.statusCode, sql.body).toBe(200);
    expect(JSON.parse(sql.body)).toMatchObject({ statement: 'SELECT', rows: [{ id: 3 }, { id: 4 }], truncated: false });
    expect(write.statusCode).toBe(400);
    expect(JSON.parse(write.body).error.message).toMatch(/^body field 'query' must be one read-only statement/);
    expect(ok.statusCode).toBe(200);
    const body = JSON.parse(ok.body) as {
      rows: Array<{ primaryKey: { id: number }; columns: Record<string, unknown> }>;
      next: string | null;
    };
    expect(body.rows).toEqual(
      [0, 1, 2].map((i) => ({ primaryKey: { id: i }, columns: { n: i, big: { $int64: '9007199254740993' } } })),
    );
    expect(body.next).toEqual(expect.any(String));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/limit/);
  }, 90_000);
});

describe('dist/http-api search part', () => {
  it('keeps the search encoders out of index.js and loads search-service.js on the first search request', async () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).not.toMatch(/GroupByDateHistogram|PercentilesAggregation/);
    expect(readFileSync(join(bundle, '..', 'search-service.js'), 'utf8')).toMatch(/GroupByDateHistogram/);
    const event = (method: string, query: Record<string, string>, body?: object) =>
      JSON.stringify({
        version: 'v1',
        rawPath: '/tables/orders/search',
        headers: body ? { 'content-type': 'application/json' } : {},
        queryParameters: query,
        ...(body ? { body: JSON.stringify(body), isBase64Encoded: false } : {}),
        requestContext: { requestId: 'r', http: { method, path: '/tables/orders/search' } },
      });
    const events = [
      event('POST', {}, { index: 'orders_idx', query: { range: { field: 'n', gte: 2 } }, trackTotalCount: true }),
      event('GET', { index: 'orders_idx', q: 'n<2' }),
      event('POST', {}, { index: 'orders_idx', query: { range: { field: 'n', gte: 1, gt: 2 } } }),
    ];
    const [post, get, bad] = (await invokeBundle(events)).map((r) => ({
      status: r.statusCode,
      body: JSON.parse(r.body) as {
        rows: Array<{ primaryKey: { id: number } }>;
        totalCount?: number;
        error?: { message: string };
      },
    }));
    expect(post.status).toBe(200);
    expect(post.body.rows.map((r) => r.primaryKey.id)).toEqual([2, 3, 4]);
    expect(post.body.totalCount).toBe(3);
    expect(get.status).toBe(200);
    expect(get.body.rows.map((r) => r.primaryKey.id)).toEqual([0, 1]);
    // An error of the lazily loaded part is still the router's 400, naming the part.
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain("request body '/query/range/gte'");
  }, 90_000);
});

describe('TABLESTORE_SIGNATURE_VERSION', () => {
  it('selects V2 for the functions (V4 by default); anything else is a configuration error', async () => {
    const { readConfig } = await import('../../lib/api/config');
    const env = { TABLESTORE_INSTANCE: local.instance, FC_REGION: 'cn-hangzhou' };
    expect(readConfig(env).signatureVersion).toBeUndefined();
    expect(readConfig({ ...env, TABLESTORE_SIGNATURE_VERSION: 'V2' }).signatureVersion).toBe('v2');
    expect(() => readConfig({ ...env, TABLESTORE_SIGNATURE_VERSION: 'v3' })).toThrow(/TABLESTORE_SIGNATURE_VERSION/);
    // Both signatures are accepted by Tablestore Local through the cached clients.
    const { getTablestoreClients, clearTablestoreClients } = await import('../../lib/tablestore/clients');
    for (const signatureVersion of ['v2', 'v4'] as const) {
      const { wide } = getTablestoreClients({
        region: 'cn-hangzhou',
        instance: local.instance,
        endpoint: local.endpoint,
        signatureVersion,
        credentials: fromStatic({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret }),
      });
      expect(await wide.listTables()).toContain('orders');
    }
    clearTablestoreClients();
  });
});
