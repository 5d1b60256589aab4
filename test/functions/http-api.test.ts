/**
 * Every route of the HTTP data API through real FC 3.0 HTTP-trigger events (Buffers), into the real entry
 * point functions/http-api, against Tablestore Local over HTTP, with role credentials under exactly the
 * policy in policies/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FcContext, FcHttpResponse } from '../../lib/fc/types';
import { tablestoreClientStats } from '../../lib/tablestore/clients';
import { httpEvent } from './fc-event';
import { int64, putRows, startFixture, type Fixture } from './fixture';

const INSTANCE = 'tsfcapi';
const ROWS_PER_PART = 150;
const PARTS = ['alpha', 'beta', 'gamma', 'delta'];
const POINTS = 1234;
const T0 = 1_790_000_000_000_000; // µs
const SERIES = { measurement: 'cpu', source: 'host-a', tags: { env: 'prod', region: 'hz' } };

let f: Fixture;
let handler: (event: Buffer, context: FcContext) => Promise<FcHttpResponse>;
let openapi: any;
const ajv = new Ajv2020({ strict: false });

async function get(path: string, query: Record<string, string> = {}, ctx?: FcContext) {
  const res = await handler(httpEvent('GET', path, query), ctx ?? f.context());
  return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(res.body) };
}

/** Checks a 200 body against the response schema the OpenAPI document publishes for the route. */
function conforms(route: string, body: unknown): void {
  const schema = openapi.paths[route].get.responses['200'].content['application/json'].schema;
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"doc#/components')));
  expect(validate(body), `${route}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

beforeAll(async () => {
  f = await startFixture(INSTANCE);
  Object.assign(process.env, f.env());
  ({ handler } = await import('../../functions/http-api/index'));

  await f.wide.createTable({
    table: 'items',
    primaryKey: [
      { name: 'part', type: 'STRING' },
      { name: 'id', type: 'INTEGER' },
    ],
  });
  await f.wide.createTable({ table: 'blobs', primaryKey: [{ name: 'k', type: 'BINARY' }] });
  const rows = PARTS.flatMap((part) =>
    Array.from({ length: ROWS_PER_PART }, (_, i) => ({
      pk: [{ part }, { id: int64(i * 3) }],
      cols: [{ n: int64(i) }, { label: `${part}-${i}` }],
    })),
  );
  await putRows(f.wide, 'items', rows);
  await putRows(f.wide, 'items', [
    {
      pk: [{ part: 'zz-values' }, { id: int64('9223372036854775807') }],
      cols: [
        { big: int64('-9223372036854775808') },
        { safe: int64(9007199254740991) },
        { unsafe: int64('9007199254740993') },
        { bin: Buffer.from([0, 1, 2, 253, 254, 255]) },
        { dbl: 3.25 },
        { flag: true },
        { text: 'héllo, 世界 "quoted"' },
      ],
    },
  ]);
  await putRows(f.wide, 'blobs', [{ pk: [{ k: Buffer.from([0xde, 0xad]) }], cols: [{ v: 'x' }] }]);

  await f.ts.createTimeseriesTable({ tableName: 'metrics' });
  for (let i = 0; i < POINTS; i += 500) {
    const n = Math.min(500, POINTS - i);
    await f.ts.putTimeseriesData({
      tableName: 'metrics',
      rows: Array.from({ length: n }, (_, j) => ({
        key: { measurement: SERIES.measurement, dataSource: SERIES.source, tags: SERIES.tags },
        time: BigInt(T0 + (i + j) * 1_000_000),
        fields: { seq: BigInt(i + j), usage: (i + j) / 10, big: 9007199254740993n + BigInt(i + j) },
      })),
    });
  }
  await f.ts.putTimeseriesData({
    tableName: 'metrics',
    rows: [
      {
        key: { measurement: 'cpu', dataSource: 'host-b', tags: { env: 'staging', region: 'hz' } },
        time: BigInt(T0),
        fields: { usage: 1.5 },
      },
      {
        key: { measurement: 'mem', dataSource: 'host-a', tags: { env: 'prod', region: 'hz' } },
        time: BigInt(T0),
        fields: { used: 7n },
      },
    ],
  });
  openapi = (await get('/openapi.json')).body;
  ajv.addSchema({ $id: 'doc', components: openapi.components });
});

afterAll(async () => {
  await f?.stop();
});

describe('wide tables', () => {
  it('GET /tables lists the wide tables (not the hidden time series backing tables)', async () => {
    const r = await get('/tables');
    expect(r.status).toBe(200);
    conforms('/tables', r.body);
    expect(r.body.tables).toEqual(expect.arrayContaining(['blobs', 'items']));
    expect(r.body.tables.some((t: string) => t.includes('#'))).toBe(false);
  });

  it('GET /tables/{table} describes the schema and options', async () => {
    const r = await get('/tables/items');
    expect(r.status).toBe(200);
    conforms('/tables/{table}', r.body);
    expect(r.body.table).toBe('items');
    expect(r.body.primaryKey).toEqual([
      { name: 'part', type: 'STRING' },
      { name: 'id', type: 'INTEGER' },
    ]);
    expect(r.body.options).toMatchObject({ timeToLive: -1, maxVersions: 1 });
  });

  it('pages through every row exactly once, forward and backward, whatever the page size', async () => {
    const expected = [...PARTS].sort().flatMap((p) => Array.from({ length: ROWS_PER_PART }, (_, i) => `${p}/${i * 3}`));
    expected.push('zz-values/{"$int64":"9223372036854775807"}');
    for (const [direction, limit] of [
      ['forward', 97],
      ['backward', 250],
    ] as const) {
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const q: Record<string, string> = { limit: String(limit), direction, ...(next ? { next } : {}) };
        const r = await get('/tables/items/rows', q);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        conforms('/tables/{table}/rows', r.body);
        expect(r.body.rows.length).toBeLessThanOrEqual(limit);
        for (const row of r.body.rows)
          seen.push(
            `${row.primaryKey.part}/${typeof row.primaryKey.id === 'number' ? row.primaryKey.id : JSON.stringify(row.primaryKey.id)}`,
          );
        next = r.body.next;
        pages += 1;
        expect(pages).toBeLessThan(100);
      } while (next);
      expect(seen).toEqual(direction === 'forward' ? expected : [...expected].reverse());
      expect(pages).toBeGreaterThan(1);
    }
  });

  it('reads a key range with start/end objects, INF_MIN/INF_MAX and column selection', async () => {
    const r = await get('/tables/items/rows', {
      start: JSON.stringify({ part: 'beta', id: 30 }),
      end: JSON.stringify({ part: 'beta', id: 'INF_MAX' }),
      columns: 'label',
      limit: '1000',
    });
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(ROWS_PER_PART - 10);
    expect(r.body.rows[0]).toEqual({ primaryKey: { part: 'beta', id: 30 }, columns: { label: 'beta-10' } });
    expect(r.body.next).toBeNull();
    // A partial start object means "from the first row of that prefix".
    const p = await get('/tables/items/rows', {
      start: JSON.stringify({ part: 'delta' }),
      end: JSON.stringify({ part: 'gamma' }),
      limit: '1000',
    });
    expect(p.body.rows).toHaveLength(ROWS_PER_PART);
    expect(new Set(p.body.rows.map((x: any) => x.primaryKey.part))).toEqual(new Set(['delta']));
  });

  it('GET /tables/{table}/row returns values losslessly and 404 when absent', async () => {
    const r = await get('/tables/items/row', {
      pk: JSON.stringify({ part: 'zz-values', id: { $int64: '9223372036854775807' } }),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    conforms('/tables/{table}/row', r.body);
    expect(r.body.row).toEqual({
      primaryKey: { part: 'zz-values', id: { $int64: '9223372036854775807' } },
      columns: {
        big: { $int64: '-9223372036854775808' },
        safe: 9007199254740991,
        unsafe: { $int64: '9007199254740993' },
        bin: { $binary: Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64') },
        dbl: 3.25,
        flag: true,
        text: 'héllo, 世界 "quoted"',
      },
    });
    // The decimal-string form is accepted for an INTEGER column too.
    const same = await get('/tables/items/row', {
      pk: JSON.stringify({ part: 'zz-values', id: '9223372036854775807' }),
    });
    expect(same.body.row.columns.unsafe).toEqual({ $int64: '9007199254740993' });
    const blob = await get('/tables/blobs/row', { pk: JSON.stringify({ k: { $binary: '3q0=' } }) });
    expect(blob.status).toBe(200);
    expect(blob.body.row.primaryKey.k).toEqual({ $binary: '3q0=' });
    const missing = await get('/tables/items/row', { pk: JSON.stringify({ part: 'alpha', id: 1 }) });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RowNotFound');
  });

  it('answers 400 naming the parameter for primary keys that do not fit the schema', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['/tables/items/row', { pk: '{"part":"a"}' }, /missing primary-key column 'id'/],
      ['/tables/items/row', { pk: '{"part":"a","id":"x"}' }, /'pk' column 'id'/],
      ['/tables/items/row', { pk: 'not json' }, /'pk' must be a JSON object/],
      ['/tables/items/row', { pk: '{"part":"a","id":1,"extra":2}' }, /'extra' is not a primary-key column/],
      ['/tables/items/rows', { start: '{"part":"a","id":1e30}' }, /'start' column 'id'/],
      ['/tables/items/rows', { start: '{"id":1}' }, /gives 'id' but not the earlier primary-key column 'part'/],
    ];
    for (const [path, q, pattern] of cases) {
      const r = await get(path, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.body.error.message).toMatch(pattern);
    }
  });

  it('binds next tokens to their table and query', async () => {
    const first = await get('/tables/items/rows', { limit: '5' });
    const next = first.body.next as string;
    expect(typeof next).toBe('string');
    const other = await get('/tables/blobs/rows', { limit: '5', next });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ code: 'InvalidToken' });
    const changed = await get('/tables/items/rows', { limit: '5', direction: 'backward', next });
    expect(changed.status).toBe(400);
    const tampered = await get('/tables/items/rows', {
      limit: '5',
      next: next.slice(0, -2) + (next.endsWith('AA') ? 'BB' : 'AA'),
    });
    expect(tampered.status).toBe(400);
    // A different page size is fine.
    expect((await get('/tables/items/rows', { limit: '7', next })).status).toBe(200);
  });

  it('answers 404 for missing tables and for tables outside the allowlist', async () => {
    const missing = await get('/tables/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TableNotFound');
    expect((await get('/tables/nope/rows')).status).toBe(404);
    process.env.TABLESTORE_TABLES = 'items,metrics';
    try {
      expect((await get('/tables')).body.tables).toEqual(['items']);
      expect((await get('/tables/blobs')).status).toBe(404);
      expect((await get('/tables/items')).status).toBe(200);
    } finally {
      delete process.env.TABLESTORE_TABLES;
    }
  });
});

describe('time series tables', () => {
  it('GET /timeseries and /timeseries/{table}', async () => {
    const list = await get('/timeseries');
    expect(list.status).toBe(200);
    conforms('/timeseries', list.body);
    expect(list.body.tables.map((t: any) => t.table)).toEqual(['metrics']);
    const d = await get('/timeseries/metrics');
    expect(d.status).toBe(200);
    conforms('/timeseries/{table}', d.body);
    expect(d.body).toMatchObject({ table: 'metrics', timeToLive: -1 });
    expect((await get('/timeseries/nope')).status).toBe(404);
  });

  it('GET /timeseries/{table}/series filters by measurement, source and tags, and pages', async () => {
    const all: string[] = [];
    let next: string | null = null;
    do {
      const r = await get('/timeseries/metrics/series', { limit: '1', ...(next ? { next } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      conforms('/timeseries/{table}/series', r.body);
      for (const s of r.body.series) all.push(`${s.measurement}/${s.source}/${JSON.stringify(s.tags)}`);
      next = r.body.next;
    } while (next);
    expect(all.sort()).toEqual([
      'cpu/host-a/{"env":"prod","region":"hz"}',
      'cpu/host-b/{"env":"staging","region":"hz"}',
      'mem/host-a/{"env":"prod","region":"hz"}',
    ]);
    const cpu = await get('/timeseries/metrics/series', { measurement: 'cpu' });
    expect(cpu.body.series).toHaveLength(2);
    const prod = await get('/timeseries/metrics/series', { measurement: 'cpu', tag: 'env=prod' });
    expect(prod.body.series.map((s: any) => s.source)).toEqual(['host-a']);
    expect(typeof prod.body.series[0].updateTime).toBe('number');
    const future = await get('/timeseries/metrics/series', { updatedAfter: '2200-01-01T00:00:00Z' });
    expect(future.body.series).toEqual([]);
  });

  it('pages through every point of a series exactly once, both directions, with lossless fields', async () => {
    for (const backward of [false, true]) {
      const times: number[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const r = await get('/timeseries/metrics/points', {
          measurement: 'cpu',
          source: 'host-a',
          tag: 'region=hz,env=prod',
          limit: '300',
          backward: String(backward),
          ...(next ? { next } : {}),
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        conforms('/timeseries/{table}/points', r.body);
        for (const p of r.body.points) {
          const i = (p.time - T0) / 1_000_000;
          expect(p.fields).toEqual({ seq: i, usage: i / 10, big: { $int64: String(9007199254740993n + BigInt(i)) } });
          times.push(p.time);
        }
        next = r.body.next;
        pages += 1;
        expect(pages).toBeLessThan(50);
      } while (next);
      const expected = Array.from({ length: POINTS }, (_, i) => T0 + i * 1_000_000);
      expect(times).toEqual(backward ? expected.reverse() : expected);
    }
  });

  it('takes start/end as ISO-8601 or microseconds and selects fields', async () => {
    const startIso = new Date((T0 + 10_000_000) / 1000).toISOString();
    const r = await get('/timeseries/metrics/points', {
      measurement: 'cpu',
      source: 'host-a',
      tag: 'env=prod,region=hz',
      start: startIso,
      end: String(T0 + 20_000_000),
      fields: 'seq',
    });
    expect(r.status).toBe(200);
    expect(r.body.points.map((p: any) => p.fields.seq)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(r.body.series).toEqual({ measurement: 'cpu', source: 'host-a', tags: { env: 'prod', region: 'hz' } });
    const bad = await get('/timeseries/metrics/points', { measurement: 'cpu', start: String(T0 + 5), end: String(T0) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/start/);
  });
});

describe('credentials', () => {
  it("uses each invocation's context.credentials: rotation between invocations works, revoked keys are not reused", async () => {
    const first = f.roleCredentials();
    const ctx1 = { ...f.context(), credentials: first };
    expect((await get('/tables', {}, ctx1)).status).toBe(200);
    const clientsBefore = tablestoreClientStats().constructions;
    // FC rotates the role's keys; the old session stops working.
    const second = f.roleCredentials();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    f.iam.revoke(first.accessKeyId);
    for (const path of ['/tables', '/tables/items/rows', '/timeseries', '/timeseries/metrics/series']) {
      const r = await get(path, {}, { ...f.context(), credentials: second });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    // Same cached clients (and connections) throughout: only the keys changed.
    expect(tablestoreClientStats().constructions).toBe(clientsBefore);
    // Sending the revoked keys again is refused by Tablestore: the client really uses what the context holds.
    const stale = await get('/tables', {}, { ...f.context(), credentials: first });
    expect(stale.status).toBe(403);
    expect(JSON.stringify(stale.body)).not.toContain(first.accessKeySecret);
    expect(JSON.stringify(stale.body)).not.toContain(first.securityToken);
  });

  it('without a role (empty context.credentials, no env keys) answers one clear 500', async () => {
    const r = await get('/tables', {}, { ...f.context(), credentials: {} });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('CredentialsUnavailable');
    expect(r.body.error.message).toMatch(/no role/);
  });
});
