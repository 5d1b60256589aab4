/**
 * Keeps secondary indexes in step with their base tables (docs/protocol-indexes.md §4). Index definitions are
 * KvStore records (space `secondary-index`, key = index name); index rows are KvStore records too (space
 * `wide-index/<index>`, key = encoded index primary key, value = a stored row of the index's attribute
 * columns), so both persist exactly like table rows.
 *
 * Maintenance rides the store's change feed: for every base-row write in a batch the observer adds the index
 * writes (old index row deleted, new one put) to the same batch, so base and index change atomically on every
 * write path (PutRow, UpdateRow, DeleteRow, BatchWriteRow, auto-increment) without the handlers knowing.
 */
import type { PrimaryKeyCell, PrimaryKeyValue } from '../../../lib/tablestore/protocol/plainbuffer';
import { CATALOG_SPACE, type TableRecord } from '../catalog';
import { errors } from '../errors';
import { decodeStoredRow, encodeStoredRow, type Column, type StoredRow } from '../handlers/wide/row-codec';
import { decodeKey, encodeKey } from '../handlers/wide/keys';
import { MAX_PK_VALUE_BYTES, PkType, type WideTableDefinition } from '../handlers/wide/table';
import type { ChangeFeedKvStore, KvChange, KvObserver } from '../persistence/change-feed';
import type { KvStore, KvWrite } from '../persistence/store';
import { indexTableDefinition, type SecondaryIndexDefinition } from './definition';

export const SECONDARY_INDEX_SPACE = 'secondary-index';
const BASE_PREFIX = 'wide/';
const enc = new TextEncoder();
const dec = new TextDecoder();

export function indexSpace(name: string): string {
  return `wide-index/${name}`;
}

/**
 * Base keys of the rows an index leaves out although every index column has a value: a value the index key
 * cannot take (docs/protocol-indexes.md §4). Kept so a reader that must see every matching row (the SQL
 * planner, docs/protocol-sql.md §7) can add them to what the index range yields. Normally empty.
 */
export function skippedSpace(name: string): string {
  return `wide-index-skipped/${name}`;
}

const EMPTY = new Uint8Array(0);

/** An index with the schema of its index table (derived from the base table's current definition). */
export interface LiveIndex {
  readonly def: SecondaryIndexDefinition;
  readonly tableDef: WideTableDefinition;
  readonly space: string;
}

interface IndexedTable {
  base: WideTableDefinition;
  readonly indexes: Map<string, LiveIndex>;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function matchesType(type: number, v: unknown): v is PrimaryKeyValue {
  if (type === PkType.INTEGER) return typeof v === 'bigint';
  if (type === PkType.STRING) return typeof v === 'string' && Buffer.byteLength(v) <= MAX_PK_VALUE_BYTES;
  return v instanceof Uint8Array && v.length <= MAX_PK_VALUE_BYTES;
}

/** A base row as the index builder reads it: primary-key values and newest column versions by name. */
interface RowView {
  readonly rowTs: number;
  readonly pk: ReadonlyMap<string, PrimaryKeyValue>;
  readonly columns: ReadonlyMap<string, Column>;
}

function rowView(base: WideTableDefinition, key: Uint8Array, row: StoredRow): RowView {
  return {
    rowTs: row.rowTs,
    pk: new Map(decodeKey(base, key).map((c) => [c.name, c.value])),
    columns: new Map(row.columns.map((c) => [c.name, c])),
  };
}

/**
 * The index row of a base row, or undefined when the row is not in the index: one of the index columns is
 * missing (or holds a value an index key cannot take: another type, over 1 KB). Attribute columns are
 * optional (a sparse index keeps the row without them).
 */
export function indexRow(index: LiveIndex, row: RowView): { key: Buffer; value: Buffer } | undefined {
  const cells: PrimaryKeyCell[] = [];
  for (const col of index.tableDef.primaryKey) {
    const value = row.pk.get(col.name) ?? row.columns.get(col.name)?.versions[0]?.value;
    if (!matchesType(col.type, value)) return undefined;
    cells.push({ name: col.name, value });
  }
  const columns: Column[] = [];
  for (const name of index.def.attributes) {
    const newest = row.columns.get(name)?.versions[0];
    if (newest) columns.push({ name, versions: [newest] });
  }
  columns.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { key: encodeKey(index.tableDef, cells), value: encodeStoredRow({ rowTs: row.rowTs, columns }) };
}

/** Whether every index column of the row has a value (so the row is in the index, or in its skipped list). */
function hasIndexValues(index: LiveIndex, row: RowView): boolean {
  return index.tableDef.primaryKey.every((c) => row.pk.has(c.name) || row.columns.get(c.name)?.versions[0]);
}

export class IndexMaintainer implements KvObserver {
  private readonly tables = new Map<string, IndexedTable>();
  private readonly byName = new Map<string, LiveIndex>();

  constructor(private readonly store: KvStore) {
    for (const { value } of store.scan(SECONDARY_INDEX_SPACE)) {
      const def = JSON.parse(dec.decode(value)) as SecondaryIndexDefinition;
      const base = this.baseDefinition(def.table);
      // A definition whose table is gone (a crash inside a DeleteTable) is ignored.
      if (base) this.add(base, def);
    }
  }

  private baseDefinition(table: string): WideTableDefinition | undefined {
    const raw = this.store.get(CATALOG_SPACE, enc.encode(table));
    if (!raw) return undefined;
    const record = JSON.parse(dec.decode(raw)) as TableRecord;
    return record.kind === 'wide' ? (record.definition as WideTableDefinition) : undefined;
  }

  private add(base: WideTableDefinition, def: SecondaryIndexDefinition): void {
    let table = this.tables.get(def.table);
    if (!table) this.tables.set(def.table, (table = { base, indexes: new Map() }));
    const live: LiveIndex = { def, tableDef: indexTableDefinition(base, def), space: indexSpace(def.name) };
    table.indexes.set(def.name, live);
    this.byName.set(def.name, live);
  }

  // ----------------------------------------------------------------------------------------- lookups

  /** The index called `name` (index names are unique in the instance, like table names). */
  find(name: string): LiveIndex | undefined {
    return this.byName.get(name);
  }

  /** Indexes of a table, in creation order. */
  list(table: string): SecondaryIndexDefinition[] {
    return [...(this.tables.get(table)?.indexes.values() ?? [])].map((i) => i.def);
  }

  /** Number of indexes in the instance (they count against the table quota). */
  count(): number {
    return this.byName.size;
  }

  /** KvStore spaces holding the rows of a table's indexes (and their skipped lists). */
  spacesOf(table: string): string[] {
    return [...(this.tables.get(table)?.indexes.values() ?? [])].flatMap((i) => [i.space, skippedSpace(i.def.name)]);
  }

  // ------------------------------------------------------------------------------------ definitions

  /**
   * Registers indexes of `table` (in memory at once, so the caller's next write is maintained) and returns the
   * writes that persist them; commit those in the same batch as the table's catalog record, if any.
   */
  register(table: string, base: WideTableDefinition, defs: readonly SecondaryIndexDefinition[]): KvWrite[] {
    return defs.map((def) => {
      this.add(base, { ...def, table });
      return { space: SECONDARY_INDEX_SPACE, key: enc.encode(def.name), value: enc.encode(JSON.stringify(def)) };
    });
  }

  /** Index rows for every existing row of the base table (CreateIndex with include_base_data). */
  backfill(name: string): KvWrite[] {
    const index = this.byName.get(name);
    const table = index && this.tables.get(index.def.table);
    if (!index || !table) return [];
    const writes: KvWrite[] = [];
    for (const record of this.store.scan(BASE_PREFIX + index.def.table)) {
      const view = rowView(table.base, record.key, decodeStoredRow(record.value));
      const entry = indexRow(index, view);
      if (entry) writes.push({ space: index.space, key: entry.key, value: entry.value });
      else if (hasIndexValues(index, view))
        writes.push({ space: skippedSpace(name), key: Uint8Array.from(record.key), value: EMPTY });
    }
    return writes;
  }

  /** Drops an index: forgets it, removes its definition, then its rows. */
  async drop(name: string): Promise<void> {
    const index = this.byName.get(name);
    if (!index) return;
    this.byName.delete(name);
    const table = this.tables.get(index.def.table);
    table?.indexes.delete(name);
    if (table && table.indexes.size === 0) this.tables.delete(index.def.table);
    // Definition first: a crash in between leaves rows no definition names, cleared when the name is reused.
    await this.store.write([{ space: SECONDARY_INDEX_SPACE, key: enc.encode(name) }]);
    await this.store.dropSpace(index.space);
    await this.store.dropSpace(skippedSpace(name));
  }

  // ------------------------------------------------------------------------------------ change feed

  observes(space: string): boolean {
    return space === CATALOG_SPACE;
  }

  extraWrites(writes: readonly KvWrite[]): readonly KvWrite[] {
    let extra: KvWrite[] | undefined;
    // `before` follows earlier writes of the same batch, as the change feed does.
    let pending: Map<string, Uint8Array | undefined> | undefined;
    for (const w of writes) {
      if (w.space === CATALOG_SPACE) {
        if (w.value !== undefined) continue;
        for (const name of this.tables.get(dec.decode(w.key))?.indexes.keys() ?? []) {
          (extra ??= []).push({ space: SECONDARY_INDEX_SPACE, key: enc.encode(name) });
        }
        continue;
      }
      if (!w.space.startsWith(BASE_PREFIX)) continue;
      const table = this.tables.get(w.space.slice(BASE_PREFIX.length));
      if (!table) continue;
      const id = `${w.space}\u0000${latin1(w.key)}`;
      const before = pending?.has(id) ? pending.get(id) : this.store.get(w.space, w.key);
      (pending ??= new Map()).set(id, w.value);
      if (before === undefined && w.value === undefined) continue;
      const oldView = before ? rowView(table.base, w.key, decodeStoredRow(before)) : undefined;
      const newView = w.value ? rowView(table.base, w.key, decodeStoredRow(w.value)) : undefined;
      for (const index of table.indexes.values()) {
        const oldRow = oldView && indexRow(index, oldView);
        const newRow = newView && indexRow(index, newView);
        if (oldRow && !(newRow && oldRow.key.equals(newRow.key)))
          (extra ??= []).push({ space: index.space, key: oldRow.key });
        if (newRow) (extra ??= []).push({ space: index.space, key: newRow.key, value: newRow.value });
        const oldSkipped = oldView !== undefined && !oldRow && hasIndexValues(index, oldView);
        const newSkipped = newView !== undefined && !newRow && hasIndexValues(index, newView);
        if (oldSkipped && !newSkipped) (extra ??= []).push({ space: skippedSpace(index.def.name), key: w.key });
        if (newSkipped) (extra ??= []).push({ space: skippedSpace(index.def.name), key: w.key, value: EMPTY });
      }
    }
    return extra ?? [];
  }

  changed(changes: readonly KvChange[]): void {
    for (const c of changes) {
      const name = dec.decode(c.key);
      const table = this.tables.get(name);
      if (!table) continue;
      if (c.after === undefined) {
        for (const index of table.indexes.keys()) this.byName.delete(index);
        this.tables.delete(name);
        continue;
      }
      // The base table's options changed (UpdateTable): index tables follow them.
      const record = JSON.parse(dec.decode(c.after)) as TableRecord;
      table.base = record.definition as WideTableDefinition;
      for (const index of [...table.indexes.values()]) this.add(table.base, index.def);
    }
  }
}

const maintainers = new WeakMap<KvStore, IndexMaintainer>();

/** Attaches the index maintainer to a store's change feed (once per store) and returns it. */
export function attachIndexMaintainer(store: ChangeFeedKvStore): IndexMaintainer {
  let maintainer = maintainers.get(store);
  if (!maintainer) {
    maintainer = new IndexMaintainer(store);
    store.addObserver(maintainer);
    maintainers.set(store, maintainer);
  }
  return maintainer;
}

/** The maintainer attached to a handler's store. */
export function indexMaintainerOf(store: KvStore): IndexMaintainer {
  const maintainer = maintainers.get(store);
  if (!maintainer) throw errors.internal();
  return maintainer;
}

/** Same as `indexMaintainerOf`, but undefined for a store without one (no index can exist there). */
export function findIndexMaintainer(store: KvStore): IndexMaintainer | undefined {
  return maintainers.get(store);
}
