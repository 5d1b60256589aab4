import type {
  ColumnFilter as ClientFilter,
  PrimaryKeyInput,
  Row,
  TableDescription,
  WideCallOptions,
  WideTableClient,
} from '../tablestore/wide';
import { INF_MAX, INF_MIN } from '../tablestore/wide';
import { double } from '../tablestore/values';
import { ErrorCode, TablestoreError } from '../tablestore/protocol/errors';
import { ClientErrorCode } from '../tablestore/transport/index';
import type { PkBound, TsValue } from './lossless';
import type { ColumnFilter, PrimaryKey, PrimaryKeyBound, WideReader, WideRow, WideTableInfo } from './ports';

/** How long a table's schema is reused before DescribeTable is called again. */
export const SCHEMA_TTL_MS = 60_000;
const SCHEMA_CACHE_MAX = 512;

/** Answers meaning the table is not what the cached schema says: drop the entry. */
const SCHEMA_ERRORS = new Set<string>([
  ErrorCode.ParameterInvalid,
  ErrorCode.InvalidPK,
  ErrorCode.MetaNotMatch,
  ErrorCode.ObjectNotExist,
]);

/** (endpoint, instance, caller key, table) → schema; insertion order = age. */
const schemas = new Map<string, { readonly info: WideTableInfo; readonly expires: number }>();

function pkInput(pk: PrimaryKeyBound | PrimaryKey): PrimaryKeyInput {
  const out: Record<string, PrimaryKeyInput[string]> = {};
  for (const [name, v] of pk)
    out[name] =
      v === 'INF_MIN' ? INF_MIN : v === 'INF_MAX' ? INF_MAX : (v as Exclude<PkBound, 'INF_MIN' | 'INF_MAX' | boolean>);
  return out;
}

function row(r: Row): WideRow {
  const primaryKey: [string, TsValue][] = [];
  for (const name in r.primaryKey) primaryKey.push([name, r.primaryKey[name]]);
  const columns: { name: string; value: TsValue }[] = [];
  for (const name in r.columns) columns.push({ name, value: r.columns[name] });
  return { primaryKey, columns };
}

/**
 * Our filter terms → the client's. Our values are typed by kind (bigint = INTEGER, number = DOUBLE, see
 * lib/api/filter.ts); the client reads an integral number as INTEGER, so numbers are marked DOUBLE here.
 */
function clientFilter(f: ColumnFilter): ClientFilter {
  switch (f.kind) {
    case 'compare':
      return { ...f, value: typeof f.value === 'number' ? double(f.value) : f.value };
    case 'not':
      return { kind: 'not', filter: clientFilter(f.filter) };
    default:
      return { kind: f.kind, filters: f.filters.map(clientFilter) };
  }
}

function info(d: TableDescription): WideTableInfo {
  return {
    name: d.name,
    primaryKey: d.primaryKey.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.autoIncrement ? { autoIncrement: true } : {}),
    })),
    definedColumns: d.definedColumns.map((c) => ({ name: c.name, type: c.type })),
    options: { ...d.options },
    reservedThroughput: { ...d.reservedThroughput },
    ...(d.status === undefined ? {} : { status: d.status }),
    ...(d.indexes === undefined ? {} : { indexes: d.indexes.map((i) => ({ ...i })) }),
  };
}

/** BatchGetRow reads at most this many rows per request. */
const BATCH_GET_MAX = 100;

/**
 * The routes' wide-table port over the shared WideTableClient. `call` gives each call its options (the
 * invocation's abort signal and the time left before the function deadline), read when the call starts.
 * `caller` names the keys in use: cached schemas are per caller, so a role that may not DescribeTable is
 * never served a schema another role fetched.
 */
export function wideReader(
  client: WideTableClient,
  call: () => WideCallOptions = () => ({}),
  caller: () => Promise<string> | string = () => '',
): WideReader {
  async function cacheKey(table: string): Promise<string> {
    return `${client.endpoint}\u0000${client.instance}\u0000${await caller()}\u0000${table}`;
  }
  async function describe(table: string): Promise<WideTableInfo> {
    const described = info(await client.describeTable(table, call()));
    const key = await cacheKey(table);
    schemas.delete(key);
    schemas.set(key, { info: described, expires: Date.now() + SCHEMA_TTL_MS });
    if (schemas.size > SCHEMA_CACHE_MAX) schemas.delete(schemas.keys().next().value as string);
    return described;
  }
  /** Runs a read; a schema or parameter error drops the table's cached schema before it is rethrown. */
  async function reading<T>(table: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && SCHEMA_ERRORS.has(code)) schemas.delete(await cacheKey(table));
      throw error;
    }
  }
  return {
    listTables: () => client.listTables(call()),
    describeTable: describe,
    async schema(table) {
      const hit = schemas.get(await cacheKey(table));
      if (hit && hit.expires > Date.now()) return hit.info;
      return describe(table);
    },
    getRow: (table, primaryKey, columns) =>
      reading(table, async () => {
        const r = await client.getRow(
          { table, primaryKey: pkInput(primaryKey), ...(columns ? { columns } : {}) },
          call(),
        );
        return r ? row(r) : undefined;
      }),
    getRange: (q) =>
      reading(q.table, async () => {
        const r = await client.getRange(
          {
            table: q.table,
            direction: q.direction,
            start: pkInput(q.start),
            end: pkInput(q.end),
            limit: q.limit,
            ...(q.columns ? { columns: q.columns } : {}),
            ...(q.filter ? { filter: clientFilter(q.filter) } : {}),
            ...(q.maxVersions ? { maxVersions: q.maxVersions } : {}),
          },
          call(),
        );
        const rows = new Array<WideRow>(r.rows.length);
        for (let i = 0; i < rows.length; i++) rows[i] = row(r.rows[i]);
        return { rows, ...(r.next ? { next: Object.entries(r.next) } : {}) };
      }),
    batchGetRow: (table, primaryKeys, columns) =>
      reading(table, async () => {
        const out: Array<WideRow | undefined> = [];
        for (let i = 0; i < primaryKeys.length; i += BATCH_GET_MAX) {
          const keys = primaryKeys.slice(i, i + BATCH_GET_MAX).map(pkInput);
          const r = await client.batchGetRow(
            { tables: [{ table, primaryKeys: keys, ...(columns ? { columns } : {}) }] },
            call(),
          );
          const rows = r.tables[0]?.rows ?? [];
          if (rows.length !== keys.length)
            throw new TablestoreError({
              code: ClientErrorCode.BadResponse,
              message: `BatchGetRow answered ${rows.length} rows for ${keys.length} keys`,
              httpStatus: 0,
            });
          for (const x of rows) {
            // A failed row fails the read, with the service's code (throttling → 503, denial → 403, …).
            if (!x.ok) throw new TablestoreError({ code: x.code, message: x.message, httpStatus: 0 });
            out.push(x.row ? row(x.row) : undefined);
          }
        }
        return out;
      }),
    sql: (statement) => client.sqlQuery(statement, call()),
  };
}
