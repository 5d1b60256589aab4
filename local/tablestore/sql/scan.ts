/**
 * Reading SQL rows out of the KvStore: wide-table rows (primary key + newest visible version of each mapped
 * attribute column, TTL and max versions applied as GetRange does), time series points (one row per field,
 * single-value model) and series meta. Every scan counts the rows and bytes it reads against the service's
 * per-query scan limit (docs/protocol-sql.md §7) and fails past it rather than return a partial answer.
 */
import type { KvRecord, KvStore } from '../persistence/store';
import { decodeStoredRow } from '../handlers/wide/row-codec';
import { liveRow } from '../handlers/wide/rows';
import { decodeKey } from '../handlers/wide/keys';
import { KeyReader } from '../handlers/timeseries/keys';
import { decodeMeta } from '../handlers/timeseries/meta-record';
import { decodeFields, FieldNameCache } from '../handlers/timeseries/point-codec';
import { dataSpace as tsDataSpace, metaSpace as tsMetaSpace } from '../handlers/timeseries/table';
import type { Row } from './expr';
import type { SqlTable } from './mapping';
import { describeValue, sqlError, typeName, typeOfValue, type SqlValue } from './values';

export const MAX_SCAN_ROWS = 100_000;
export const MAX_SCAN_BYTES = 128 * 1024 * 1024;

export interface KeyRange {
  readonly gte?: Uint8Array | undefined;
  readonly lt?: Uint8Array | undefined;
  readonly reverse?: boolean | undefined;
}

export class ScanStats {
  rows = 0;
  bytes = 0;
  count(keyLength: number, valueLength: number): void {
    this.rows++;
    this.bytes += keyLength + valueLength;
    if (this.rows > MAX_SCAN_ROWS || this.bytes > MAX_SCAN_BYTES) {
      throw sqlError(
        `The query scans more than ${MAX_SCAN_ROWS} rows or ${MAX_SCAN_BYTES / 1024 / 1024} MB; narrow it with a primary key condition or a LIMIT.`,
      );
    }
  }
}

function typeMismatch(table: string, column: string, declared: number, v: Exclude<SqlValue, null>): Error {
  return sqlError(
    `Type mismatch in table '${table}': column '${column}' holds a ${describeValue(v)} value but is mapped as ${typeName(declared as never)}.`,
  );
}

/**
 * Rows of `table` in key order within `range`; the caller stops iterating when it has enough. With
 * `keyColumns` false the wide-table key columns are left NULL (no query reference needs them), which spares
 * decoding every key.
 */
export function* scanRows(
  store: KvStore,
  table: SqlTable,
  range: KeyRange,
  nowMs: number,
  stats: ScanStats,
  keyColumns = true,
): Generator<Row> {
  switch (table.kind) {
    case 'wide':
      yield* scanWide(store, table, range, nowMs, stats, keyColumns);
      return;
    case 'ts-data':
      yield* scanPoints(store, table, range, nowMs, stats);
      return;
    case 'ts-meta':
      yield* scanMeta(store, table, range, nowMs, stats);
      return;
  }
}

function scanWide(
  store: KvStore,
  table: Extract<SqlTable, { kind: 'wide' }>,
  range: KeyRange,
  nowMs: number,
  stats: ScanStats,
  keyColumns: boolean,
): Generator<Row> {
  return wideRows(table, store.scan(table.space, range), nowMs, stats, keyColumns);
}

/**
 * Rows of wide table `table` at `keys` (base primary keys, in the order given; absent rows are skipped): how
 * an index access reads the base rows it found (docs/protocol-sql.md §7).
 */
export function readRows(
  store: KvStore,
  table: Extract<SqlTable, { kind: 'wide' }>,
  keys: Iterable<Uint8Array>,
  nowMs: number,
  stats: ScanStats,
  keyColumns = true,
): Generator<Row> {
  return wideRows(table, fetch(store, table.space, keys), nowMs, stats, keyColumns);
}

function* fetch(store: KvStore, space: string, keys: Iterable<Uint8Array>): Generator<KvRecord> {
  for (const key of keys) {
    const value = store.get(space, key);
    if (value) yield { key, value };
  }
}

function* wideRows(
  table: Extract<SqlTable, { kind: 'wide' }>,
  records: Iterable<KvRecord>,
  nowMs: number,
  stats: ScanStats,
  keyColumns: boolean,
): Generator<Row> {
  const def = table.def;
  const width = table.columns.length;
  const pkCount = def.primaryKey.length;
  const attrIndex = new Map<string, number>();
  table.columns.forEach((c, i) => {
    if (!c.pk) attrIndex.set(c.name, i);
  });
  for (const rec of records) {
    stats.count(rec.key.length, rec.value.length);
    const live = liveRow(def, decodeStoredRow(rec.value), nowMs);
    if (!live.exists) continue;
    const row: Row = new Array<SqlValue>(width).fill(null);
    if (keyColumns) {
      const pk = decodeKey(def, rec.key);
      for (let i = 0; i < pkCount; i++) row[i] = pk[i].value as SqlValue;
    }
    for (const c of live.columns) {
      const i = attrIndex.get(c.name);
      if (i === undefined) continue;
      const v = c.versions[0].value;
      if (typeOfValue(v) !== table.columns[i].type) throw typeMismatch(table.name, c.name, table.columns[i].type, v);
      row[i] = v;
    }
    yield row;
  }
}

function* scanPoints(
  store: KvStore,
  table: Extract<SqlTable, { kind: 'ts-data' }>,
  range: KeyRange,
  nowMs: number,
  stats: ScanStats,
): Generator<Row> {
  const def = table.def;
  const oldest = def.timeToLive === -1 ? undefined : BigInt(nowMs) * 1000n - BigInt(def.timeToLive) * 1_000_000n;
  const fpk = def.fieldPrimaryKeySchema;
  const names = new FieldNameCache();
  const valueBase = 4 + fpk.length + 1;
  for (const rec of store.scan(tsDataSpace(table.source), range)) {
    stats.count(rec.key.length, rec.value.length);
    const r = new KeyReader(rec.key);
    const measurement = r.string();
    const dataSource = r.string();
    const tags = r.string();
    const time = r.int64();
    if (oldest !== undefined && time < oldest) continue;
    const keyCells: SqlValue[] = fpk.map((c) => (c.type === 1 ? r.int64() : c.type === 2 ? r.string() : r.bytes()));
    for (const [name, value] of decodeFields(rec.value, undefined, names)) {
      const row: Row = [measurement, dataSource, tags, time, ...keyCells, name, null, null, null, null, null];
      const slot =
        typeof value === 'bigint'
          ? 0
          : typeof value === 'number'
            ? 1
            : typeof value === 'boolean'
              ? 2
              : typeof value === 'string'
                ? 3
                : 4;
      row[valueBase + slot] = value;
      yield row;
    }
  }
}

function* scanMeta(
  store: KvStore,
  table: Extract<SqlTable, { kind: 'ts-meta' }>,
  range: KeyRange,
  nowMs: number,
  stats: ScanStats,
): Generator<Row> {
  const ttl = table.def.metaTimeToLive;
  const now = BigInt(nowMs) * 1000n;
  for (const rec of store.scan(tsMetaSpace(table.source), range)) {
    stats.count(rec.key.length, rec.value.length);
    const m = decodeMeta(rec.value);
    if (ttl !== -1 && now - m.updateTime >= BigInt(ttl) * 1_000_000n) continue;
    yield [m.measurement, m.dataSource, m.tags, m.attributes, m.updateTime];
  }
}
