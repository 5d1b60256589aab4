import { INF_MAX, INF_MIN, int64, type WideCallOptions, type WideRow as SdkRow, type WideTableClient, type WideValue } from '../tablestore/wide';
import type { PkBound, PkType, TsValue } from './lossless';
import type { PrimaryKey, PrimaryKeyBound, WideReader, WideRow, WideTableInfo } from './ports';
import { sdkColumnFilter } from './sdk-filter';

const PK_TYPES: Record<string, PkType> = { '1': 'INTEGER', '2': 'STRING', '3': 'BINARY', INTEGER: 'INTEGER', STRING: 'STRING', BINARY: 'BINARY' };

/** Our typed value → the SDK's input form (Int64 for integers, Buffer for binary, marker objects for ±∞). */
function toSdk(value: PkBound): WideValue {
  if (value === 'INF_MIN') return INF_MIN;
  if (value === 'INF_MAX') return INF_MAX;
  if (typeof value === 'bigint') return int64(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

const pkInput = (pk: PrimaryKeyBound | PrimaryKey) => pk.map(([name, v]) => ({ [name]: toSdk(v) }));

/** The SDK's output values → ours (Int64 → bigint, Buffer → Uint8Array). */
function fromSdk(value: unknown): TsValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'object' && value !== null && typeof (value as { toString?: unknown }).toString === 'function') {
    const text = String(value);
    if (/^-?\d+$/.test(text)) return BigInt(text);
  }
  throw new TypeError('unexpected value type from the tablestore SDK');
}

function row(r: SdkRow): WideRow {
  return {
    primaryKey: r.primaryKey.map((c): [string, TsValue] => [c.name, fromSdk(c.value)]),
    columns: (r.attributes ?? []).map((a) => ({
      name: a.columnName,
      value: fromSdk(a.columnValue),
      ...(a.timestamp === undefined ? {} : { timestamp: Number(String(a.timestamp)) }),
    })),
  };
}

/**
 * The routes' wide-table port over the shared WideTableClient (official SDK underneath). `call` gives each
 * call its options (the invocation's abort signal and the time left before the function deadline), read
 * when the call starts.
 */
export function wideReader(client: WideTableClient, call: () => WideCallOptions = () => ({})): WideReader {
  return {
    listTables: () => client.listTables(call()),
    async describeTable(table): Promise<WideTableInfo> {
      const d = await client.describeTable(table, call());
      const meta = d.tableMeta as typeof d.tableMeta & { definedColumn?: ReadonlyArray<{ name: string; type: number | string }> };
      const options = (d.tableOptions ?? {}) as { timeToLive?: number; maxVersions?: number; deviationCellVersionInSec?: unknown; allowUpdate?: boolean };
      const cu = d.reservedThroughputDetails?.capacityUnit;
      const deviation = options.deviationCellVersionInSec === undefined ? undefined : Number(String(options.deviationCellVersionInSec));
      return {
        name: meta.tableName,
        primaryKey: meta.primaryKey.map((c) => {
          // proto2 enums read as their first value when unset, so only an own property means "set".
          const option = Object.hasOwn(c, 'option') ? (c as { option?: unknown }).option : undefined;
          return { name: c.name, type: PK_TYPES[String(c.type)] ?? 'STRING', ...(option === 1 || option === 'AUTO_INCREMENT' ? { autoIncrement: true } : {}) };
        }),
        definedColumns: (meta.definedColumn ?? []).map((c) => ({ name: c.name, type: String(c.type) })),
        options: {
          ...(options.timeToLive === undefined ? {} : { timeToLive: options.timeToLive }),
          ...(options.maxVersions === undefined ? {} : { maxVersions: options.maxVersions }),
          ...(deviation === undefined || Number.isNaN(deviation) ? {} : { deviationCellVersionInSec: deviation }),
          ...(options.allowUpdate === undefined ? {} : { allowUpdate: options.allowUpdate }),
        },
        ...(cu ? { reservedThroughput: { read: cu.read ?? 0, write: cu.write ?? 0 } } : {}),
      };
    },
    async getRow(table, primaryKey, columns) {
      const r = await client.getRow({ tableName: table, primaryKey: pkInput(primaryKey), ...(columns ? { columnsToGet: columns } : {}) }, call());
      return r.row && r.row.primaryKey.length > 0 ? row(r.row) : undefined;
    },
    async getRange(q) {
      const r = await client.getRange({
        tableName: q.table,
        direction: q.direction === 'backward' ? 'BACKWARD' : 'FORWARD',
        inclusiveStartPrimaryKey: pkInput(q.start),
        exclusiveEndPrimaryKey: pkInput(q.end),
        limit: q.limit,
        ...(q.columns ? { columnsToGet: q.columns } : {}),
        ...(q.filter ? { columnFilter: sdkColumnFilter(q.filter) } : {}),
        ...(q.maxVersions ? { maxVersions: q.maxVersions } : {}),
      }, call());
      return {
        rows: r.rows.map(row),
        ...(r.nextStartPrimaryKey ? { next: r.nextStartPrimaryKey.map((c): [string, TsValue] => [c.name, fromSdk(c.value)]) } : {}),
      };
    },
  };
}
