/**
 * Table metadata of one Tablestore Local instance, kept in the KvStore space `catalog` (key = table name,
 * value = JSON) so it persists exactly like the data, and cached in memory for O(1) lookups.
 * Wide tables and time series tables share one namespace, as on the service.
 */
import type { KvStore, KvWrite } from './persistence/store';

export type TableKind = 'wide' | 'timeseries';

export interface TableRecord {
  readonly name: string;
  readonly kind: TableKind;
  readonly createdAtMs: number;
  /**
   * Kind-specific, JSON-serializable definition (no bigint): `WideTableDefinition` for wide tables
   * (handlers/wide/table.ts); the time series handlers own the shape of theirs.
   */
  readonly definition: unknown;
}

export const CATALOG_SPACE = 'catalog';
/** Tables per instance; a time series table counts twice (docs/protocol.md §8.6). */
export const MAX_TABLE_SLOTS = 64;

const enc = new TextEncoder();
const dec = new TextDecoder();

export class TableCatalog {
  private readonly tables = new Map<string, TableRecord>();

  constructor(private readonly store: KvStore) {
    for (const { value } of store.scan(CATALOG_SPACE)) {
      const record = JSON.parse(dec.decode(value)) as TableRecord;
      this.tables.set(record.name, record);
    }
  }

  get(name: string): TableRecord | undefined {
    return this.tables.get(name);
  }

  /** Tables sorted by name, optionally of one kind. */
  list(kind?: TableKind): TableRecord[] {
    const all = [...this.tables.values()].filter((t) => !kind || t.kind === kind);
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  usedSlots(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.kind === 'timeseries' ? 2 : 1;
    return n;
  }

  /** The KvWrite that stores `record`; combine it with other writes to commit them atomically. */
  putWrite(record: TableRecord): KvWrite {
    return { space: CATALOG_SPACE, key: enc.encode(record.name), value: enc.encode(JSON.stringify(record)) };
  }

  /** Creates or replaces a table record (plus any extra writes, atomically). */
  async put(record: TableRecord, extra: readonly KvWrite[] = []): Promise<void> {
    this.tables.set(record.name, record);
    await this.store.write([this.putWrite(record), ...extra]);
  }

  /**
   * Removes a table: drops its data spaces first, then the record, so a crash in between leaves the table
   * listed (the delete was never acknowledged) rather than orphaned data that a re-created table would see.
   */
  async delete(name: string, spaces: readonly string[] = []): Promise<void> {
    this.tables.delete(name);
    for (const space of spaces) await this.store.dropSpace(space);
    await this.store.write([{ space: CATALOG_SPACE, key: enc.encode(name) }]);
  }
}
