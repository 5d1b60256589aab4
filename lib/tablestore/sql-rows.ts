/**
 * SQLQuery results for the lean client: the SQL_FLAT_BUFFERS rows decoder (docs/protocol-sql.md §3) and the
 * shaping of a SQLQueryResponse into `{ columns, rows, type, consumed }`.
 *
 * The payload is columnar: a SQLResponseColumns table (columns, row_count), each column a name, a DataType
 * and a ColumnValues table holding `is_nullvalues` plus the value vector of its type (STRING_RLE: the runs
 * and a per-row run index). Values follow the wide client's convention (values.ts): int64 as a `number`
 * when safe and a `bigint` beyond, binary as a `Uint8Array`, NULL as `null`. Every offset is bounds-checked
 * by the shared FlatBufferReader, so malformed bytes raise SqlRowsFormatError, never a crash or garbage.
 */
import { FlatBufferReader } from './protocol/flatbuffer-rows';
import { FormatError } from './protocol/format-error';
import type { ConsumedCapacity, SqlQueryResponse } from './protocol/proto/wide';
import { setOwn } from './set-own';

export class SqlRowsFormatError extends FormatError {
  override readonly name = 'SqlRowsFormatError';
}

/** A result column's type; STRING_RLE on the wire is an encoding of STRING and reads as STRING. */
export type SqlColumnType = 'LONG' | 'BOOLEAN' | 'DOUBLE' | 'STRING' | 'BINARY';
export type SqlValue = number | bigint | boolean | string | Uint8Array;
export type SqlRow = Record<string, SqlValue | null>;

export interface SqlColumn {
  readonly name: string;
  readonly type: SqlColumnType;
}

export interface SqlRows {
  readonly columns: SqlColumn[];
  /** One object per row, keyed by column name (a repeated name keeps its last column's value). */
  readonly rows: SqlRow[];
}

/** SQLStatementType names, by wire code. */
const STATEMENT_TYPES = [
  '',
  'SQL_SELECT',
  'SQL_CREATE_TABLE',
  'SQL_SHOW_TABLE',
  'SQL_DESCRIBE_TABLE',
  'SQL_DROP_TABLE',
  'SQL_ALTER_TABLE',
] as const;
export type SqlStatementType = Exclude<(typeof STATEMENT_TYPES)[number], ''> | 'UNKNOWN';

export interface SqlQueryResult extends SqlRows {
  readonly type: SqlStatementType;
  /**
   * Capacity units per Tablestore table the statement read, then per search index it read (`index` set: the
   * service reports those apart, as `search_consumes`).
   */
  readonly consumed: Array<{
    readonly table: string;
    readonly index?: string;
    readonly read: number;
    readonly write: number;
  }>;
}

// sql.fbs DataType codes and table slots.
const LONG = 1;
const BOOLEAN = 2;
const DOUBLE = 3;
const STRING = 4;
const BINARY = 5;
const STRING_RLE = 6;
const TYPE_NAME: Record<number, SqlColumnType> = {
  [LONG]: 'LONG',
  [BOOLEAN]: 'BOOLEAN',
  [DOUBLE]: 'DOUBLE',
  [STRING]: 'STRING',
  [BINARY]: 'BINARY',
  [STRING_RLE]: 'STRING',
};
/** ColumnValues slot of each type's value vector. */
const VALUE_SLOT: Record<number, number> = {
  [LONG]: 1,
  [BOOLEAN]: 2,
  [DOUBLE]: 3,
  [STRING]: 4,
  [BINARY]: 5,
  [STRING_RLE]: 6,
};
const ELEM_SIZE: Record<number, number> = { [LONG]: 8, [BOOLEAN]: 1, [DOUBLE]: 8, [STRING]: 4, [BINARY]: 4 };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One column's values, one per row (null where the row's null flag is set). */
function readColumn(
  r: FlatBufferReader,
  values: number,
  type: number,
  rowCount: number,
  name: string,
): (SqlValue | null)[] {
  const fail = (what: string) => new SqlRowsFormatError(`column ${JSON.stringify(name)}: ${what}`);
  const nullsPos = r.field(values, 0);
  let nulls: { start: number; length: number } | undefined;
  if (nullsPos) {
    nulls = r.vector(nullsPos, 1);
    if (nulls.length < rowCount) throw fail(`${nulls.length} null flags for ${rowCount} rows`);
  }
  const isNull = (i: number) => nulls !== undefined && r.bytes[nulls.start + i] !== 0;
  const out = new Array<SqlValue | null>(rowCount).fill(null);
  let lastValue = -1;
  for (let i = rowCount - 1; i >= 0; i--) {
    if (!isNull(i)) {
      lastValue = i;
      break;
    }
  }
  if (lastValue < 0) return out;

  const pos = r.field(values, VALUE_SLOT[type]);
  if (!pos) throw fail(`no ${TYPE_NAME[type]} values`);
  if (type === STRING_RLE) {
    const rle = r.indirect(pos);
    const runs = r.stringList(rle, 0);
    const mappingPos = r.field(rle, 1);
    if (!mappingPos) throw fail('run-length strings without an index mapping');
    const mapping = r.vector(mappingPos, 4);
    if (mapping.length <= lastValue) throw fail(`${mapping.length} run indexes for ${rowCount} rows`);
    for (let i = 0; i <= lastValue; i++) {
      if (isNull(i)) continue;
      const run = r.bb.readInt32(mapping.start + i * 4);
      if (run < 0 || run >= runs.length) throw fail(`row ${i} refers to run ${run} of ${runs.length}`);
      out[i] = runs[run];
    }
    return out;
  }
  const { start, length } = r.vector(pos, ELEM_SIZE[type]);
  if (length <= lastValue) throw fail(`${length} ${TYPE_NAME[type]} values for ${rowCount} rows`);
  for (let i = 0; i <= lastValue; i++) {
    if (isNull(i)) continue;
    switch (type) {
      case LONG: {
        const v = r.bb.readInt64(start + i * 8);
        out[i] = v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
        break;
      }
      case BOOLEAN:
        out[i] = r.bytes[start + i] !== 0;
        break;
      case DOUBLE:
        out[i] = r.bb.readFloat64(start + i * 8);
        break;
      case STRING:
        out[i] = r.stringAt(start + i * 4);
        break;
      default: {
        const bytesValue = r.indirect(start + i * 4);
        const data = r.field(bytesValue, 0);
        if (!data) {
          out[i] = new Uint8Array(0);
        } else {
          const v = r.vector(data, 1);
          // A plain copy: the response may be a Buffer, whose slice would share (and keep alive) its memory.
          out[i] = new Uint8Array(r.bytes.subarray(v.start, v.start + v.length));
        }
      }
    }
  }
  return out;
}

/** Decodes a SQL_FLAT_BUFFERS payload; an empty payload is an empty result. Throws SqlRowsFormatError. */
export function decodeSqlRows(bytes: Uint8Array): SqlRows {
  if (bytes.length === 0) return { columns: [], rows: [] };
  if (bytes.length < 8) throw new SqlRowsFormatError('SQL rows buffer too short');
  const r = new FlatBufferReader(bytes, SqlRowsFormatError);
  const root = r.indirect(0);
  const countPos = r.field(root, 1);
  let count = 0n;
  if (countPos) {
    r.need(countPos, 8);
    count = r.bb.readInt64(countPos);
  }
  // Every row costs at least a byte per column, so a count beyond the buffer's size cannot be true (and
  // would only make us allocate).
  if (count < 0n || count > BigInt(bytes.length))
    throw new SqlRowsFormatError(`row_count ${count} does not fit a ${bytes.length}-byte buffer`);
  const rowCount = Number(count);

  const columns: SqlColumn[] = [];
  const data: (SqlValue | null)[][] = [];
  for (const col of r.tableList(root, 0)) {
    const name = r.optionalString(col, 0) ?? '';
    const typePos = r.field(col, 1);
    if (typePos) r.need(typePos, 1);
    const code = typePos ? r.bytes[typePos] : 0;
    const type = TYPE_NAME[code];
    if (!type) throw new SqlRowsFormatError(`column ${JSON.stringify(name)} has unknown type ${code}`);
    const valuesPos = r.field(col, 2);
    if (!valuesPos) throw new SqlRowsFormatError(`column ${JSON.stringify(name)} has no values`);
    columns.push({ name, type });
    data.push(readColumn(r, r.indirect(valuesPos), code, rowCount, name));
  }
  const rows = new Array<SqlRow>(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const row: SqlRow = {};
    for (let c = 0; c < columns.length; c++) setOwn(row, columns[c].name, data[c][i]);
    rows[i] = row;
  }
  return { columns, rows };
}

const units = (c: ConsumedCapacity | undefined) => ({
  read: c?.capacity_unit?.read ?? 0,
  write: c?.capacity_unit?.write ?? 0,
});

/** Shapes a decoded SQLQueryResponse (rows decoded here; SqlRowsFormatError when they are malformed). */
export function sqlQueryResult(r: SqlQueryResponse): SqlQueryResult {
  const { columns, rows } = decodeSqlRows(r.rows ?? new Uint8Array(0));
  return {
    columns,
    rows,
    type: STATEMENT_TYPES[r.type ?? 0] || 'UNKNOWN',
    consumed: [
      ...(r.consumes ?? []).map((c) => ({ table: c.table_name ?? '', ...units(c.consumed) })),
      ...(r.search_consumes ?? []).map((c) => ({
        table: c.table_name ?? '',
        index: c.index_name ?? '',
        ...units(c.consumed),
      })),
    ],
  };
}
