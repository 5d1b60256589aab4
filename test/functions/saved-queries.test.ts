/**
 * Saved queries in the timer audit's payload, through real FC timer events against Tablestore Local under the
 * function's policy: a filtered range counts exactly the matching rows, an aggregate logs exactly the buckets
 * the HTTP route returns, latest logs one point per series, the deadline stops them as partial, and a bad
 * saved query is a clear payload error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../lib/api/audit';
import { createAuditHandler } from '../../lib/api/audit-app';
import { readConfig } from '../../lib/api/config';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import type { SavedQuery } from '../../lib/api/saved-queries';
import { createLogger } from '../../lib/fc/logger';
import { httpEvent, memoryStream } from './fc-event';
import { SearchClient } from '../../lib/tablestore/search/client';
import { double } from '../../lib/tablestore/wide';
import { int64, putRows, startFixture, type Fixture } from './fixture';

let f: Fixture;
const ROWS = 3000;
const NOW_MS = Date.now();
const T_START = (Math.floor(NOW_MS / 3_600_000) - 3) * 3_600_000_000; // µs, three whole hours ago

const timerEvent = (payload: unknown) =>
  Buffer.from(
    JSON.stringify({
      triggerTime: new Date().toISOString(),
      triggerName: 'every-5-minutes',
      payload: JSON.stringify(payload),
    }),
  );

beforeAll(async () => {
  f = await startFixture('tsfcsaved');
  await f.wide.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await putRows(
    f.wide,
    'orders',
    Array.from({ length: ROWS }, (_, i) => ({
      pk: [{ id: int64(i) }],
      cols: [{ status: i % 7 === 0 ? 'unpaid' : 'paid' }, { amount: double(i / 2) }],
    })),
  );
  await f.ts.createTimeseriesTable({ tableName: 'metrics' });
  for (const host of ['a', 'b', 'c']) {
    const rows = Array.from({ length: 180 }, (_, m) => ({
      key: { measurement: 'cpu', dataSource: host, tags: { env: 'prod' } },
      time: BigInt(T_START + m * 60_000_000),
      fields: { usage: (m % 13) + host.charCodeAt(0) / 10 },
    }));
    await f.ts.putTimeseriesData({ tableName: 'metrics', rows });
  }
}, 120_000);

afterAll(async () => {
  await f?.stop();
});

const QUERIES: SavedQuery[] = [
  {
    name: 'unpaid',
    route: '/tables/orders/rows',
    query: { filter: '{"column":"status","op":"=","value":"unpaid"}', limit: '100' },
    maxPages: 1000,
  },
  {
    name: 'cpu-hourly',
    route: '/timeseries/metrics/points',
    query: { match: 'meta', measurement: 'cpu', interval: '1h', agg: 'avg' },
    lastMinutes: 6 * 60,
  },
  { name: 'cpu-latest', route: '/timeseries/metrics/latest', query: { measurement: 'cpu' } },
];

describe('saved queries in the audit payload', () => {
  it('count filtered rows, log aggregate buckets and latest points as metrics, equal to what the HTTP routes return', async () => {
    const logs = memoryStream();
    const audit = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: logs }),
    });
    const summary = (await audit(
      timerEvent({ staleAfterMinutes: 60 * 24 * 365, queries: QUERIES }),
      f.context('fc-reader', 60),
    )) as any;
    expect(summary).toMatchObject({ partial: false, errors: 0 });
    expect(summary.queries).toEqual([
      {
        name: 'unpaid',
        route: '/tables/orders/rows',
        pages: expect.any(Number),
        rows: Math.ceil(ROWS / 7),
        complete: true,
      },
      { name: 'cpu-hourly', route: '/timeseries/metrics/points', pages: 1, points: 9, series: 3, complete: true },
      { name: 'cpu-latest', route: '/timeseries/metrics/latest', pages: 1, points: 3, series: 3, complete: true },
    ]);
    // The buckets logged are the ones the HTTP route answers for the same query.
    const http = createHttpHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: memoryStream() }),
    });
    const res = await http(
      httpEvent('GET', '/timeseries/metrics/points', { ...QUERIES[1].query, start: String(T_START) }),
      f.context(),
    );
    const expected = (JSON.parse(res.body).series as any[]).flatMap((s) =>
      s.points.map((p: any) => ({ source: s.source, time: p.time, fields: p.fields })),
    );
    const logged = logs.json().filter((l) => l.event === 'saved-query-point' && l.query === 'cpu-hourly');
    expect(logged.map((l) => ({ source: l.source, time: l.time, fields: l.fields }))).toEqual(expected);
    expect(expected).toHaveLength(9);
    const latest = logs.json().filter((l) => l.event === 'saved-query-point' && l.query === 'cpu-latest');
    expect(latest.map((l) => l.time)).toEqual([0, 1, 2].map(() => T_START + 179 * 60_000_000));
    expect(
      logs
        .json()
        .filter((l) => l.event === 'saved-query')
        .map((l) => l.name),
    ).toEqual(['unpaid', 'cpu-hourly', 'cpu-latest']);
  });

  it('kind search: pages the search DSL, logs its total count, aggregation values and group-by buckets', async () => {
    await new SearchClient({ transport: f.wide.transport }).createSearchIndex('orders', 'orders_idx', {
      fields: [
        { name: 'status', type: 'KEYWORD' },
        { name: 'amount', type: 'DOUBLE' },
      ],
    });
    const logs = memoryStream();
    const audit = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: logs }),
    });
    const query: SavedQuery = {
      name: 'unpaid-search',
      route: '/tables/orders/search',
      body: {
        index: 'orders_idx',
        query: { term: { field: 'status', value: 'unpaid' } },
        limit: 100,
        trackTotalCount: true,
        aggregations: {
          total: { sum: { field: 'amount' } },
          p50: { percentiles: { field: 'amount', percentiles: [50] } },
        },
        groupBys: { byStatus: { field: { field: 'status' } } },
      },
      maxPages: 100,
    };
    const summary = (await audit(
      timerEvent({ staleAfterMinutes: 60, wideTables: [], timeseriesTables: [], queries: [query] }),
      f.context(),
    )) as any;
    const unpaid = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 7 === 0);
    expect(summary.queries).toEqual([
      {
        name: 'unpaid-search',
        route: '/tables/orders/search',
        pages: Math.ceil(unpaid.length / 100),
        rows: unpaid.length,
        totalCount: unpaid.length,
        complete: true,
      },
    ]);
    const aggs = logs.json().filter((l) => l.event === 'saved-query-aggregation');
    expect(aggs).toEqual([
      expect.objectContaining({
        query: 'unpaid-search',
        aggregation: 'total',
        value: unpaid.reduce((a, i) => a + i / 2, 0),
      }),
      expect.objectContaining({ aggregation: 'p50', percentile: 50, value: expect.any(Number) }),
    ]);
    const buckets = logs.json().filter((l) => l.event === 'saved-query-bucket');
    expect(buckets).toEqual([expect.objectContaining({ groupBy: 'byStatus', key: 'unpaid', rowCount: unpaid.length })]);
  });

  it('maxPages bounds a query, which then reports complete: false', async () => {
    const logs = memoryStream();
    const audit = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: logs }),
    });
    const summary = (await audit(
      timerEvent({
        staleAfterMinutes: 60,
        wideTables: [],
        timeseriesTables: [],
        queries: [{ ...QUERIES[0], maxPages: 2 }],
      }),
      f.context(),
    )) as any;
    expect(summary.queries).toEqual([
      { name: 'unpaid', route: '/tables/orders/rows', pages: 2, rows: expect.any(Number), complete: false },
    ]);
  });

  it('stops before the deadline with a partial result, like the audit', async () => {
    const config = readConfig(f.env());
    const readers = readersFor(config, f.context());
    const log = createLogger({ destination: memoryStream() }).logger;
    let budget = 4;
    const partial = await runAudit(
      { staleAfterMinutes: 60, wideTables: [], timeseriesTables: [], queries: QUERIES },
      { config, readers, log, remainingMs: () => (budget-- > 0 ? 60_000 : 100), reserveMs: 1000 },
    );
    expect(partial.partial).toBe(true);
    expect(partial.stoppedBecause).toBe('deadline');
    expect(partial.queries?.[0]).toMatchObject({ name: 'unpaid', complete: false });
    expect(partial.queries?.slice(1)).toEqual([
      { name: 'cpu-hourly', route: '/timeseries/metrics/points', pages: 0, complete: false },
      { name: 'cpu-latest', route: '/timeseries/metrics/latest', pages: 0, complete: false },
    ]);
  });

  it('reports a saved query the API rejects, and refuses a malformed one in the payload', async () => {
    const logs = memoryStream();
    const audit = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: logs }),
    });
    const bad = (await audit(
      timerEvent({
        staleAfterMinutes: 60,
        wideTables: [],
        timeseriesTables: [],
        queries: [{ name: 'x', route: '/tables/orders/rows', query: { filter: '{"column":"status","op":"~"}' } }],
      }),
      f.context(),
    )) as any;
    expect(bad.errors).toBe(1);
    expect(bad.queries[0]).toMatchObject({
      name: 'x',
      pages: 0,
      complete: false,
      error: { status: 400, code: 'InvalidParameter' },
    });
    expect(bad.queries[0].error.message).toContain("'filter'");
    const malformed = (await audit(
      timerEvent({ staleAfterMinutes: 60, queries: [{ name: 'x', route: '/tables/orders/row' }] }),
      f.context(),
    )) as any;
    expect(malformed.error.code).toBe('InvalidParameter');
    expect(malformed.error.message).toMatch(/queries/);
  });

  it('kind sql: logs each result row as a metric, with the read-only gate and the allowlist of POST /sql', async () => {
    const logs = memoryStream();
    const run = (env: Record<string, string>, queries: SavedQuery[]) =>
      createAuditHandler({ readers: readersFor, env: f.env(env), logger: createLogger({ destination: logs }) })(
        timerEvent({ staleAfterMinutes: 60, wideTables: [], timeseriesTables: [], queries }),
        f.context(),
      ) as Promise<any>;
    const queries: SavedQuery[] = [
      {
        name: 'count',
        route: '/sql',
        sql: { query: 'SELECT COUNT(*) AS n, MAX(id) AS top FROM orders WHERE id < 70' },
      },
      { name: 'first', route: '/sql', sql: { query: 'SELECT id FROM orders', limit: 3 } },
      { name: 'write', route: '/sql', sql: { query: 'DELETE FROM orders' } },
    ];
    const summary = await run({}, queries);
    expect(summary.queries).toEqual([
      { name: 'count', route: '/sql', pages: 1, rows: 1, complete: true },
      { name: 'first', route: '/sql', pages: 1, rows: 3, complete: false },
      {
        name: 'write',
        route: '/sql',
        pages: 0,
        rows: 0,
        complete: false,
        error: {
          status: 400,
          code: 'InvalidParameter',
          message: expect.stringMatching(/^body field 'query' must be one read-only/),
        },
      },
    ]);
    const rows = logs.json().filter((l) => l.event === 'saved-query-row');
    expect(rows.map(({ query, n, top, id }) => ({ query, n, top, id }))).toEqual([
      { query: 'count', n: 70, top: 69, id: undefined },
      ...[0, 1, 2].map((id) => ({ query: 'first', n: undefined, top: undefined, id })),
    ]);
    const hidden = await run({ TABLESTORE_TABLES: 'metrics' }, [queries[0]]);
    expect(hidden.queries[0].error).toMatchObject({ status: 404, code: 'TableNotFound' });
    // A statement without route /sql, or /sql without a statement, is a payload error.
    for (const q of [
      { name: 'x', route: '/sql' },
      { name: 'x', route: '/tables/orders/rows', sql: { query: 'SELECT 1' } },
    ]) {
      const malformed = await run({}, [q]);
      expect(malformed.error?.code, JSON.stringify(q)).toBe('InvalidParameter');
    }
  });
});
