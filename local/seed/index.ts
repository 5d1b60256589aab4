/**
 * Seeds Tablestore Local with the demo data (data.ts) when the instance has no tables: the wide table through
 * the official `tablestore` SDK (BatchWriteRow, 200 rows a request), the time series table through our
 * TimeseriesClient (PutTimeseriesData in large batches). A feeder can keep the fresh series live afterwards.
 */
import { createRequire } from 'node:module';
import type { CredentialProvider } from '../../lib/credentials/types';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import type { TimeseriesKey, TimeseriesRowInput } from '../../lib/tablestore/timeseries/types';
import { orderRows, prng, SERIES, STALE_SERIES, TIMESERIES_TABLE, WIDE_TABLE, type OrderRow } from './data';

export { TIMESERIES_TABLE } from './data';

export interface SeedTarget {
  /** `http://127.0.0.1:port` */
  readonly endpoint: string;
  readonly instance: string;
  readonly region?: string;
  /** Keys allowed to create tables and write (the local admin user). */
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

export interface SeedOptions {
  readonly wideRows?: number | undefined;
  readonly days?: number | undefined;
  readonly stepSeconds?: number | undefined;
  /** End of the time series data; default now. */
  readonly now?: Date | undefined;
  /**
   * Where the stale series is written (default: the same target). npm start points this at an endpoint over
   * the same storage whose clock runs behind, so the series' meta update time is really old.
   */
  readonly staleTarget?: SeedTarget | (() => Promise<SeedTarget>) | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /**
   * Also give `orders` the demo's indexes (npm start does; see DEMO_INDEXES): status, amount and sku as
   * defined columns, the secondary index `orders_by_status` and the search index `orders_search`.
   */
  readonly indexes?: boolean | undefined;
}

/** The indexes `indexes: true` creates on `orders`, so the explorer's index and search views have data. */
export const DEMO_INDEXES = { secondary: 'orders_by_status', search: 'orders_search' } as const;

export interface SeedResult {
  /** False when the instance already had tables and nothing was written. */
  readonly seeded: boolean;
  readonly wideTable: string;
  readonly wideRows: number;
  readonly timeseriesTable: string;
  readonly series: readonly TimeseriesKey[];
  readonly points: number;
  readonly staleSeries: TimeseriesKey;
  readonly elapsedMs: number;
}

// --- the official SDK, typed as far as we use it --------------------------------------------------------------
interface OtsLong {
  toString(): string;
}
interface OtsModule {
  Client: new (config: Record<string, unknown>) => OtsClient;
  Long: { fromString(s: string): OtsLong; fromNumber(n: number): OtsLong };
  DefinedColumnType: { DCT_STRING: number; DCT_DOUBLE: number };
  FieldType: { KEYWORD: number; LONG: number; DOUBLE: number; BOOLEAN: number; TEXT: number };
  Condition: new (expectation: number, columnCondition: null) => unknown;
  RowExistenceExpectation: { IGNORE: number };
}
type Callback<T> = (err: (Error & { code?: number }) | null, data: T) => void;
interface OtsClient {
  listTable(params: object, cb: Callback<{ tableNames: string[] }>): void;
  createTable(params: object, cb: Callback<unknown>): void;
  createSearchIndex(params: object, cb: Callback<unknown>): void;
  batchWriteRow(
    params: object,
    cb: Callback<{ tables: { isOk: boolean; errorCode?: string; errorMessage?: string }[] }>,
  ): void;
}
const requireCjs = createRequire(import.meta.url);
const TableStore = requireCjs('tablestore') as OtsModule;

function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));
}

export function otsClient(target: SeedTarget): OtsClient {
  return new TableStore.Client({
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.accessKeySecret,
    endpoint: target.endpoint,
    instancename: target.instance,
    maxRetries: 3,
  });
}

function staticProvider(target: SeedTarget): CredentialProvider {
  return async () => ({ accessKeyId: target.accessKeyId, accessKeySecret: target.accessKeySecret, source: 'seed' });
}

export function timeseriesClient(target: SeedTarget): TimeseriesClient {
  return new TimeseriesClient({
    endpoint: target.endpoint,
    instance: target.instance,
    region: target.region,
    credentials: staticProvider(target),
  });
}

/** True when the instance has neither wide nor time series tables. */
export async function isEmpty(target: SeedTarget): Promise<boolean> {
  const wide = await call<{ tableNames: string[] }>((cb) => otsClient(target).listTable({}, cb));
  const ts = await timeseriesClient(target).listTimeseriesTables();
  return wide.tableNames.filter((t) => !t.includes('#')).length === 0 && ts.length === 0;
}

export async function seedDemoData(target: SeedTarget, options: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const result = (seeded: boolean, wideRows: number, points: number): SeedResult => ({
    seeded,
    wideTable: WIDE_TABLE,
    wideRows,
    timeseriesTable: TIMESERIES_TABLE,
    series: SERIES.map((s) => s.key),
    points,
    staleSeries: STALE_SERIES,
    elapsedMs: performance.now() - started,
  });
  if (!(await isEmpty(target))) {
    log('[seed] the instance already has tables; not seeding');
    return result(false, 0, 0);
  }
  const [wideRows, points] = await Promise.all([
    seedWide(target, options.wideRows ?? 10_000, options.indexes === true),
    seedTimeseries(target, options),
  ]);
  const r = result(true, wideRows, points);
  log(
    `[seed] ${WIDE_TABLE}: ${wideRows} rows; ${TIMESERIES_TABLE}: ${points} points in ${SERIES.length} series (${r.elapsedMs.toFixed(0)} ms)`,
  );
  return r;
}

async function seedWide(target: SeedTarget, rows: number, indexes: boolean): Promise<number> {
  const client = otsClient(target);
  const T = TableStore.DefinedColumnType;
  await call((cb) =>
    client.createTable(
      {
        tableMeta: {
          tableName: WIDE_TABLE,
          primaryKey: [
            { name: 'customer_id', type: 'STRING' },
            { name: 'order_id', type: 'INTEGER' },
          ],
          ...(indexes
            ? {
                definedColumn: [
                  { name: 'status', type: T.DCT_STRING },
                  { name: 'amount', type: T.DCT_DOUBLE },
                  { name: 'sku', type: T.DCT_STRING },
                ],
              }
            : {}),
        },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
        // Keyed by status, carrying amount: other columns are joined back from orders.
        ...(indexes
          ? { indexMetas: [{ name: DEMO_INDEXES.secondary, primaryKey: ['status'], definedColumn: ['amount'] }] }
          : {}),
      },
      cb,
    ),
  );
  const batches: OrderRow[][] = [];
  let batch: OrderRow[] = [];
  for (const row of orderRows(rows)) {
    batch.push(row);
    if (batch.length === 200) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length) batches.push(batch);
  let written = 0;
  // A few requests in flight at once: fast, and still gentle on a 2-core machine.
  const queue = [...batches];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        const res = await call<{ tables: { isOk: boolean; errorCode?: string; errorMessage?: string }[] }>((cb) =>
          client.batchWriteRow({ tables: [{ tableName: WIDE_TABLE, rows: b.map(toPut) }] }, cb),
        );
        const failed = res.tables.filter((t) => !t.isOk);
        if (failed.length)
          throw new Error(
            `seeding ${WIDE_TABLE}: ${failed.length} rows failed, e.g. ${failed[0].errorCode}: ${failed[0].errorMessage}`,
          );
        written += b.length;
      }
    }),
  );
  if (indexes) {
    const F = TableStore.FieldType;
    const field = (fieldName: string, fieldType: number): object => ({
      fieldName,
      fieldType,
      index: true,
      // TEXT is analyzed: it can be matched, not sorted or aggregated.
      enableSortAndAgg: fieldType !== F.TEXT,
    });
    await call((cb) =>
      client.createSearchIndex(
        {
          tableName: WIDE_TABLE,
          indexName: DEMO_INDEXES.search,
          schema: {
            fieldSchemas: [
              field('customer_id', F.KEYWORD),
              field('status', F.KEYWORD),
              field('sku', F.KEYWORD),
              field('amount', F.DOUBLE),
              field('quantity', F.LONG),
              field('created_at', F.LONG),
              field('paid', F.BOOLEAN),
              field('note', F.TEXT),
            ],
          },
        },
        cb,
      ),
    );
  }
  return written;
}

function toPut(r: OrderRow): object {
  const columns: Record<string, unknown>[] = [
    { status: r.status },
    { amount: r.amount },
    { quantity: TableStore.Long.fromString(r.quantity.toString()) },
    { paid: r.paid },
    { created_at: TableStore.Long.fromString(r.createdAt.toString()) },
    { sku: r.sku },
    { checksum: Buffer.from(r.checksum) },
  ];
  if (r.note !== undefined) columns.push({ note: r.note });
  return {
    type: 'PUT',
    condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
    primaryKey: [{ customer_id: r.customerId }, { order_id: TableStore.Long.fromString(r.orderId.toString()) }],
    attributeColumns: columns,
  };
}

const MINUTE_US = 60_000_000n;

async function seedTimeseries(target: SeedTarget, options: SeedOptions): Promise<number> {
  const client = timeseriesClient(target);
  await client.createTimeseriesTable({ tableName: TIMESERIES_TABLE, timeToLive: -1 });
  // Resolved after the table exists: a second endpoint reads the table catalog when it starts.
  const stale = typeof options.staleTarget === 'function' ? await options.staleTarget() : options.staleTarget;
  const staleClient = stale ? timeseriesClient(stale) : client;
  const stepUs = BigInt(options.stepSeconds ?? 60) * 1_000_000n;
  const nowUs = BigInt((options.now ?? new Date()).getTime()) * 1000n;
  const endUs = nowUs - (nowUs % stepUs);
  const startUs = endUs - BigInt(options.days ?? 7) * 1440n * MINUTE_US;
  let points = 0;
  const ordered = [...SERIES].sort((a, b) => b.stopsMinutesAgo - a.stopsMinutesAgo);
  for (const spec of ordered) {
    const rnd = prng(
      spec.key.measurement.length * 1000 + spec.key.dataSource.charCodeAt(spec.key.dataSource.length - 1),
    );
    const lastUs = endUs - BigInt(spec.stopsMinutesAgo) * MINUTE_US;
    let rows: TimeseriesRowInput[] = [];
    const flush = async (): Promise<void> => {
      if (!rows.length) return;
      const res = await (spec.stopsMinutesAgo > 0 ? staleClient : client).putTimeseriesData({
        tableName: TIMESERIES_TABLE,
        rows,
      });
      if (res.failedRows.length)
        throw new Error(
          `seeding ${TIMESERIES_TABLE}: ${res.failedRows.length} points failed, e.g. ${res.failedRows[0].code}: ${res.failedRows[0].message}`,
        );
      points += rows.length;
      rows = [];
    };
    for (let t = startUs; t <= lastUs; t += stepUs) {
      const minute = Number(t / MINUTE_US); // minutes since the epoch: the daily cycle follows UTC, as the feeder's does
      rows.push({ key: spec.key, time: t, fields: spec.fields(minute, rnd) });
      if (rows.length === 1000) await flush();
    }
    await flush();
  }
  return points;
}

export interface Feeder {
  stop(): void;
}

/**
 * Keeps the demo "live": every `intervalMs`, one new point for every series except the stale one, so the
 * stale series stays the only one whose meta update time falls behind.
 */
export function startFeeder(target: SeedTarget, intervalMs: number, log: (line: string) => void = () => {}): Feeder {
  const client = timeseriesClient(target);
  const rnd = prng(7);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    // On the minute, like the seeded points; a second write within the same minute replaces the point.
    const minuteMs = Math.floor(Date.now() / 60_000) * 60_000;
    const rows: TimeseriesRowInput[] = SERIES.filter((s) => s.stopsMinutesAgo === 0).map((s) => ({
      key: s.key,
      time: BigInt(minuteMs) * 1000n,
      fields: s.fields(minuteMs / 60_000, rnd),
    }));
    client
      .putTimeseriesData({ tableName: TIMESERIES_TABLE, rows })
      .catch((e: unknown) => log(`[seed] feeder: ${(e as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
