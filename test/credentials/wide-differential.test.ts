/**
 * Differential property test: the official `tablestore` SDK is the judge of WideTableClient's reads.
 * fast-check builds random tables (every primary-key type, every column type, several versions per cell),
 * the SDK writes them to Tablestore Local, and random GetRow / GetRange (both directions, limits, filters,
 * columns, time ranges, versions) / BatchGetRow must return the same rows through both clients.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import {
  double,
  INF_MAX,
  INF_MIN,
  WideTableClient,
  type ColumnFilter,
  type ColumnInput,
  type PrimaryKeyInput,
  type Row,
} from '../../lib/tablestore/wide';
import {
  sdkClient,
  startLocal,
  TableStore,
  type LocalTablestoreHandle,
  type SdkClient,
  type SdkBatchRowResult,
  type SdkPkCell,
  type SdkRow,
} from '../helpers/tablestore-local';

type PkType = 'INTEGER' | 'STRING' | 'BINARY';
/** A column value of the model: tagged so the DOUBLE 3 and the INTEGER 3 stay apart. */
type Cell =
  | { t: 'int'; v: bigint }
  | { t: 'dbl'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'bin'; v: Uint8Array };

const INT64 = fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.bigInt({ min: -1000n, max: 1000n }));
const pkValue = (type: PkType): fc.Arbitrary<bigint | string | Uint8Array> =>
  type === 'INTEGER'
    ? INT64
    : type === 'STRING'
      ? fc.string({ maxLength: 5, unit: 'grapheme-ascii' })
      : fc.uint8Array({ maxLength: 4 });
const cell: fc.Arbitrary<Cell> = fc.oneof(
  INT64.map((v) => ({ t: 'int' as const, v })),
  fc.double({ noNaN: true }).map((v) => ({ t: 'dbl' as const, v })),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.string({ maxLength: 8 }).map((v) => ({ t: 'str' as const, v })),
  fc.uint8Array({ maxLength: 6 }).map((v) => ({ t: 'bin' as const, v })),
);
const COLUMNS = ['a', 'b', 'c'] as const;
/** Cell versions (ms): recent, as the service accepts only versions near its own time. */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const TIMES = [BASE + 1000, BASE + 2000, BASE + 3000, BASE + 4000] as const;

interface Model {
  readonly schema: PkType[];
  readonly rows: Array<{
    pk: Array<bigint | string | Uint8Array>;
    cells: Array<{ column: string; time: number; value: Cell }>;
  }>;
}

const model: fc.Arbitrary<Model> = fc
  .array(fc.constantFrom<PkType>('INTEGER', 'STRING', 'BINARY'), { minLength: 1, maxLength: 3 })
  .chain((schema) =>
    fc.record({
      schema: fc.constant(schema),
      rows: fc.uniqueArray(
        fc.record({
          pk: fc.tuple(...schema.map(pkValue)),
          cells: fc.array(
            fc.record({ column: fc.constantFrom(...COLUMNS), time: fc.constantFrom(...TIMES), value: cell }),
            { minLength: 1, maxLength: 6 },
          ),
        }),
        {
          minLength: 1,
          maxLength: 12,
          selector: (r) =>
            JSON.stringify(r.pk, (_, v: unknown) =>
              typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v,
            ),
        },
      ),
    }),
  );

const ops = ['=', '!=', '>', '>=', '<', '<='] as const;
const SDK_OPS = {
  '=': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '>': 'GREATER_THAN',
  '>=': 'GREATER_EQUAL',
  '<': 'LESS_THAN',
  '<=': 'LESS_EQUAL',
} as const;
const filter: fc.Arbitrary<ColumnFilter> = fc.letrec<{ f: ColumnFilter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('compare' as const),
      column: fc.constantFrom(...COLUMNS),
      op: fc.constantFrom(...ops),
      value: cell.map((c) => (c.t === 'dbl' ? double(c.v) : (c.v as ColumnInput))),
      passIfMissing: fc.boolean(),
      latestVersionOnly: fc.boolean(),
    }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      filters: fc.array(tie('f'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('not' as const), filter: tie('f') }),
  ),
})).f;

const readOptions = fc.record(
  {
    columns: fc.subarray([...COLUMNS], { minLength: 1 }),
    maxVersions: fc.integer({ min: 1, max: 4 }),
    // No `{ at }`: the SDK always sends max_versions, which the service refuses beside a specific timestamp.
    timeRange: fc
      .tuple(fc.constantFrom(0, ...TIMES), fc.constantFrom(...TIMES, BASE + 5000))
      .map(([start, end]) => ({ start, end: Math.max(end, start + 1) })),
    filter,
  },
  { requiredKeys: ['maxVersions'] },
);
type ReadOpts = typeof readOptions extends fc.Arbitrary<infer R> ? R : never;

// ------------------------------------------------------------------------------------- both clients' forms

const sdkValue = (c: Cell): unknown =>
  c.t === 'int' ? TableStore.Long.fromString(c.v.toString()) : c.t === 'bin' ? Buffer.from(c.v) : c.v;
const sdkPkValue = (v: bigint | string | Uint8Array): unknown =>
  typeof v === 'bigint' ? TableStore.Long.fromString(v.toString()) : v instanceof Uint8Array ? Buffer.from(v) : v;

function sdkFilter(f: ColumnFilter): object {
  if (f.kind === 'compare') {
    const v = f.value;
    const value =
      typeof v === 'bigint' || typeof v === 'number'
        ? TableStore.Long.fromString(String(v))
        : v instanceof Uint8Array
          ? Buffer.from(v)
          : typeof v === 'object'
            ? v.value
            : v;
    return new TableStore.SingleColumnCondition(
      f.column,
      value,
      TableStore.ComparatorType[SDK_OPS[f.op]],
      f.passIfMissing,
      f.latestVersionOnly,
    );
  }
  const c = new TableStore.CompositeCondition(
    TableStore.LogicalOperator[f.kind === 'and' ? 'AND' : f.kind === 'or' ? 'OR' : 'NOT'],
  );
  for (const sub of f.kind === 'not' ? [f.filter] : f.filters) c.addSubCondition(sdkFilter(sub));
  return c;
}

function sdkReadParams(o: ReadOpts): Record<string, unknown> {
  return {
    maxVersions: o.maxVersions,
    ...(o.columns ? { columnsToGet: o.columns } : {}),
    ...(o.timeRange
      ? {
          timeRange:
            'at' in o.timeRange
              ? { specificTime: o.timeRange.at }
              : { startTime: o.timeRange.start, endTime: o.timeRange.end },
        }
      : {}),
    ...(o.filter ? { columnFilter: sdkFilter(o.filter) } : {}),
  };
}

/** A comparable form of any value either client returns. */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `${v}n`;
  if (v instanceof Uint8Array) return { bin: Buffer.from(v).toString('hex') };
  if (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { toString?: unknown }).toString === 'function' &&
    !Array.isArray(v)
  )
    return norm(BigInt(String(v)));
  return v;
}

const normPk = (cells: readonly SdkPkCell[]) => Object.fromEntries(cells.map((c) => [c.name, norm(c.value)]));

function fromSdk(r: SdkRow | undefined): unknown {
  if (!r || !r.primaryKey || r.primaryKey.length === 0) return undefined;
  const versions: Record<string, Array<{ value: unknown; timestamp: number }>> = {};
  for (const a of r.attributes ?? [])
    (versions[a.columnName] ??= []).push({ value: norm(a.columnValue), timestamp: Number(String(a.timestamp)) });
  return { primaryKey: normPk(r.primaryKey), versions };
}

function fromLean(r: Row | undefined): unknown {
  if (!r) return undefined;
  const versions: Record<string, Array<{ value: unknown; timestamp: number }>> = {};
  for (const [name, list] of Object.entries(r.versions ?? {}))
    versions[name] = list.map((x) => ({ value: norm(x.value), timestamp: x.timestamp }));
  // The newest version is the one under `columns`.
  for (const [name, value] of Object.entries(r.columns)) expect(norm(value)).toEqual(versions[name][0].value);
  return { primaryKey: Object.fromEntries(Object.entries(r.primaryKey).map(([k, v]) => [k, norm(v)])), versions };
}

// ------------------------------------------------------------------------------------------------ the test

let local: LocalTablestoreHandle;
let sdk: SdkClient;
let lean: WideTableClient;
let tableSeq = 0;

beforeAll(async () => {
  local = await startLocal({ instance: 'diffinst', region: 'cn-hangzhou' });
  sdk = sdkClient(local);
  lean = new WideTableClient({
    endpoint: local.endpoint,
    instance: local.instance,
    region: local.region,
    credentials: fromStatic({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret }),
  });
});
afterAll(async () => {
  lean?.close();
  await local?.stop();
});

describe('WideTableClient vs the official SDK (judge) on random tables', () => {
  it('GetRow, GetRange and BatchGetRow return identical rows', async () => {
    const query = fc.record({
      kind: fc.constantFrom('getRow' as const, 'getRange' as const, 'batchGetRow' as const),
      row: fc.nat(),
      backward: fc.boolean(),
      fromRow: fc.boolean(),
      limit: fc.integer({ min: 1, max: 8 }),
      read: readOptions,
    });
    await fc.assert(
      fc.asyncProperty(model, fc.array(query, { minLength: 3, maxLength: 6 }), async (m, queries) => {
        const table = `diff_${++tableSeq}`;
        const names = m.schema.map((_, i) => `pk${i}`);
        await sdk.createTable({
          tableMeta: { tableName: table, primaryKey: m.schema.map((type, i) => ({ name: names[i], type })) },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: -1, maxVersions: 4, deviationCellVersionInSec: 2_000_000_000 },
        });
        const sdkPk = (pk: Array<bigint | string | Uint8Array>) => pk.map((v, i) => ({ [names[i]]: sdkPkValue(v) }));
        const leanPk = (pk: Array<bigint | string | Uint8Array>): PrimaryKeyInput =>
          Object.fromEntries(pk.map((v, i) => [names[i], v]));
        try {
          for (const r of m.rows) {
            await sdk.putRow({
              tableName: table,
              condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
              primaryKey: sdkPk(r.pk),
              attributeColumns: r.cells.map((c) => ({
                [c.column]: sdkValue(c.value),
                timestamp: TableStore.Long.fromNumber(c.time),
              })),
            });
          }
          for (const q of queries) {
            const target = m.rows[q.row % m.rows.length].pk;
            const read = q.read;
            if (q.kind === 'getRow') {
              const expected = await sdk.getRow({
                tableName: table,
                primaryKey: sdkPk(target),
                ...sdkReadParams(read),
              });
              const got = await lean.getRow({ table, primaryKey: leanPk(target), ...read, versions: true });
              expect(fromLean(got)).toEqual(fromSdk(expected.row));
            } else if (q.kind === 'getRange') {
              const [lo, hi] = q.backward ? [INF_MAX, INF_MIN] : [INF_MIN, INF_MAX];
              const [sdkLo, sdkHi] = q.backward
                ? [TableStore.INF_MAX, TableStore.INF_MIN]
                : [TableStore.INF_MIN, TableStore.INF_MAX];
              const start = (
                q.fromRow ? leanPk(target) : Object.fromEntries(names.map((n) => [n, lo]))
              ) as PrimaryKeyInput;
              const end = Object.fromEntries(names.map((n) => [n, hi])) as PrimaryKeyInput;
              const sdkStart = q.fromRow ? sdkPk(target) : names.map((n) => ({ [n]: sdkLo }));
              const expected = await sdk.getRange({
                tableName: table,
                direction: q.backward ? TableStore.Direction.BACKWARD : TableStore.Direction.FORWARD,
                inclusiveStartPrimaryKey: sdkStart,
                exclusiveEndPrimaryKey: names.map((n) => ({ [n]: sdkHi })),
                limit: q.limit,
                ...sdkReadParams(read),
              });
              const got = await lean.getRange({
                table,
                direction: q.backward ? 'backward' : 'forward',
                start,
                end,
                limit: q.limit,
                ...read,
                versions: true,
              });
              expect(got.rows.map(fromLean)).toEqual((expected.rows ?? []).map(fromSdk));
              expect(
                got.next === undefined
                  ? null
                  : Object.fromEntries(Object.entries(got.next).map(([k, v]) => [k, norm(v)])),
              ).toEqual(expected.nextStartPrimaryKey ? normPk(expected.nextStartPrimaryKey) : null);
            } else {
              const keys = m.rows.length > 1 ? [target, m.rows[(q.row + 1) % m.rows.length].pk] : [target];
              const expected = await sdk.batchGetRow({
                tables: [{ tableName: table, primaryKey: keys.map(sdkPk), ...sdkReadParams(read) }],
              });
              const got = await lean.batchGetRow({
                tables: [{ table, primaryKeys: keys.map(leanPk), ...read, versions: true }],
              });
              // The SDK answers one list of rows per table.
              const sdkRows = ((expected.tables ?? []) as unknown as SdkBatchRowResult[][])[0].map((t) =>
                t.isOk ? fromSdk({ primaryKey: t.primaryKey ?? [], attributes: t.attributes ?? [] }) : t.errorCode,
              );
              const leanRows = got.tables[0].rows.map((r) => (r.ok ? fromLean(r.row) : r.code));
              expect(leanRows).toEqual(sdkRows);
            }
          }
        } finally {
          // Tablestore Local keeps the service's per-instance table quota.
          await lean.deleteTable(table);
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
