/**
 * Each event in events/ against the demo data set (local/seed, the data `npm start` serves) produces the
 * response documented in docs/functions.md. The deterministic parts (wide table rows, schemas) are compared
 * exactly; time series values depend on "now", so their shape and the planted stale series are checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditHandler } from '../../lib/api/audit-app';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import { startLaggingEndpoint, type TablestoreLocal } from '../../local/tablestore/server';
import { seedDemoData, type SeedTarget } from '../../local/seed/index';
import { memoryStream } from './fc-event';
import { ADMIN, startFixture, type Fixture } from './fixture';

const EVENTS = join(__dirname, '../../events');
const TWO_DAYS_MS = 2 * 24 * 3600_000;
let f: Fixture;
let http: ReturnType<typeof createHttpHandler>;

const event = (name: string) => readFileSync(join(EVENTS, `${name}.json`));
async function invoke(name: string) {
  const res = await http(event(name), f.context());
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

beforeAll(async () => {
  f = await startFixture('tsfcevents');
  const target: SeedTarget = {
    endpoint: f.local.endpoint,
    instance: 'tsfcevents',
    region: 'cn-hangzhou',
    accessKeyId: ADMIN.id,
    accessKeySecret: ADMIN.secret,
  };
  let past: TablestoreLocal | undefined;
  try {
    await seedDemoData(target, {
      // Written through a server whose clock is two days behind, over the same storage: a really stale series.
      staleTarget: async () => {
        past = await startLaggingEndpoint(f.local.server, TWO_DAYS_MS, { identities: f.iam });
        return { ...target, endpoint: past.endpoint };
      },
    });
  } finally {
    await past?.stop();
  }
  const logger = createLogger({ destination: memoryStream() });
  http = createHttpHandler({ readers: readersFor, env: f.env(), logger });
}, 120_000);

afterAll(async () => {
  await f?.stop();
});

describe('events/', () => {
  it('has one HTTP event per route and a timer event', () => {
    const names = readdirSync(EVENTS)
      .filter((n) => n.endsWith('.json'))
      .sort();
    expect(names).toEqual([
      'http-describe-table.json',
      'http-describe-timeseries-table.json',
      'http-get-latest.json',
      'http-get-points-aggregated.json',
      'http-get-points-multi.json',
      'http-get-points.json',
      'http-get-range-filtered.json',
      'http-get-range.json',
      'http-get-row.json',
      'http-healthz.json',
      'http-list-tables.json',
      'http-list-timeseries-tables.json',
      'http-openapi.json',
      'http-query-series.json',
      'timer-table-audit.json',
    ]);
  });

  it('wide-table events produce the documented responses', async () => {
    expect(await invoke('http-list-tables')).toEqual({ status: 200, body: { tables: ['orders'] } });
    expect(await invoke('http-describe-table')).toEqual({
      status: 200,
      body: {
        table: 'orders',
        primaryKey: [
          { name: 'customer_id', type: 'STRING' },
          { name: 'order_id', type: 'INTEGER' },
        ],
        definedColumns: [],
        options: { timeToLive: -1, maxVersions: 1, deviationCellVersionInSec: 86400, allowUpdate: true },
        reservedThroughput: { read: 0, write: 0 },
      },
    });
    const first = {
      primaryKey: { customer_id: 'c0001', order_id: 100000 },
      columns: {
        amount: 847.6,
        checksum: { $binary: 'W7HEVg==' },
        created_at: 1767225614891,
        paid: true,
        quantity: 5,
        sku: 'laptop-stand',
        status: 'shipped',
      },
    };
    expect(await invoke('http-get-row')).toEqual({ status: 200, body: { table: 'orders', row: first } });
    const range = await invoke('http-get-range');
    expect(range.status).toBe(200);
    expect(range.body.rows.map((r: any) => r.primaryKey)).toEqual([
      { customer_id: 'c0001', order_id: 100000 },
      { customer_id: 'c0001', order_id: 100500 },
      { customer_id: 'c0001', order_id: 101000 },
    ]);
    expect(range.body.rows[0]).toEqual(first);
    expect(typeof range.body.next).toBe('string');
  });

  it('time series, health and OpenAPI events produce the documented shapes', async () => {
    expect(await invoke('http-healthz')).toEqual({
      status: 200,
      body: { status: 'ok', instance: 'tsfcevents', region: 'cn-hangzhou' },
    });
    expect((await invoke('http-openapi')).body.openapi).toBe('3.1.0');
    expect(await invoke('http-list-timeseries-tables')).toEqual({
      status: 200,
      body: {
        tables: [
          { table: 'metrics', timeToLive: -1, metaTimeToLive: -1, allowUpdateAttributes: true, status: 'CREATED' },
        ],
      },
    });
    expect(await invoke('http-describe-timeseries-table')).toEqual({
      status: 200,
      body: { table: 'metrics', timeToLive: -1, metaTimeToLive: -1, allowUpdateAttributes: true, status: 'CREATED' },
    });
    const series = await invoke('http-query-series');
    expect(series.status).toBe(200);
    expect(series.body.series.map((s: any) => `${s.measurement}/${s.source}`)).toEqual(['cpu/host-a', 'cpu/host-b']);
    expect(series.body.next).toBeNull();
    const points = await invoke('http-get-points');
    expect(points.status).toBe(200);
    expect(points.body.series).toEqual({
      measurement: 'cpu',
      source: 'host-a',
      tags: { env: 'prod', region: 'cn-hangzhou' },
    });
    expect(points.body.points).toHaveLength(3);
    // backward=true: newest first, one minute apart.
    const times = points.body.points.map((p: any) => p.time);
    expect(times[0] - times[1]).toBe(60_000_000);
    expect(Object.keys(points.body.points[0].fields).sort()).toEqual(['cores', 'throttled', 'usage']);
  });

  it('query events (filter, aggregation, several series, latest) produce the documented shapes', async () => {
    const filtered = await invoke('http-get-range-filtered');
    expect(filtered.status).toBe(200);
    expect(filtered.body.rows.length).toBeGreaterThan(0);
    for (const r of filtered.body.rows) {
      expect(Object.keys(r.columns).sort()).toEqual(['amount', 'status']);
      expect(r.columns.status).toBe('cancelled');
      expect(r.columns.amount).toBeGreaterThanOrEqual(500);
    }
    const hourly = await invoke('http-get-points-aggregated');
    expect(hourly.status).toBe(200);
    expect(hourly.body).toMatchObject({ interval: '1h', agg: 'avg', series: { measurement: 'cpu', source: 'host-a' } });
    expect(hourly.body.points).toHaveLength(24);
    for (const p of hourly.body.points) {
      expect(p.time % 3_600_000_000).toBe(0);
      expect(Object.keys(p.fields)).toEqual(['usage']);
    }
    const multi = await invoke('http-get-points-multi');
    expect(multi.status).toBe(200);
    expect(multi.body.series.map((s: any) => s.source)).toEqual(['sensor-1', 'sensor-2']);
    for (const s of multi.body.series)
      for (const p of s.points) expect(Object.keys(p.fields).sort()).toEqual(['celsius', 'unit']);
    // sensor-2 stopped two days ago: its daily buckets end earlier.
    const lastDay = (s: any) => s.points[s.points.length - 1].time;
    expect(lastDay(multi.body.series[0])).toBeGreaterThan(lastDay(multi.body.series[1]));
    const latest = await invoke('http-get-latest');
    expect(latest.status).toBe(200);
    expect(latest.body.series.map((s: any) => s.source)).toEqual(['host-a', 'host-b']);
    for (const s of latest.body.series) expect(Object.keys(s.point.fields).sort()).toEqual(['cores', 'usage']);
  });

  it("the timer event finds the demo data set's stale series", async () => {
    const logs = memoryStream();
    const h = createAuditHandler({ readers: readersFor, env: f.env(), logger: createLogger({ destination: logs }) });
    const summary = (await h(event('timer-table-audit'), f.context())) as any;
    expect(summary).toMatchObject({
      staleAfterMinutes: 60,
      partial: false,
      staleSeriesTotal: 1,
      errors: 0,
      wideTables: [
        { table: 'orders', primaryKey: ['customer_id:STRING', 'order_id:INTEGER'], timeToLive: -1, maxVersions: 1 },
      ],
      timeseriesTables: [{ table: 'metrics', timeToLive: -1, staleSeries: 1, complete: true }],
    });
    const stale = logs.json().filter((l) => l.event === 'stale-series');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({
      measurement: 'temperature',
      source: 'sensor-2',
      tags: { rack: 'r02', site: 'hz-dc1' },
    });
    expect(stale[0].minutesSinceUpdate as number).toBeGreaterThanOrEqual(2 * 24 * 60 - 1);
  });
});
