/**
 * Rows written straight into Tablestore Local's store with the handlers' own key and row codecs, as the benches
 * do: a table of 100,000+ rows in about a second, where the SDK would take minutes. The table must exist; its
 * secondary and search indexes follow the writes through the store's change feed.
 */
import type { ColumnValue } from '../../lib/tablestore/protocol/plainbuffer';
import { encodeKey } from '../../local/tablestore/handlers/wide/keys';
import { encodeStoredRow } from '../../local/tablestore/handlers/wide/row-codec';
import { dataSpace, type WideTableDefinition } from '../../local/tablestore/handlers/wide/table';
import type { KvWrite } from '../../local/tablestore/persistence/store';
import type { LocalTablestoreHandle } from './tablestore-local';

export interface PreloadedRow {
  /** Primary-key cells in key order: INTEGER as bigint, STRING as string. */
  readonly key: readonly { readonly name: string; readonly value: bigint | string }[];
  readonly columns?: Readonly<Record<string, ColumnValue>>;
}

export async function preloadRows(
  local: LocalTablestoreHandle,
  table: string,
  count: number,
  row: (i: number) => PreloadedRow,
  ts = Date.now(),
): Promise<void> {
  let def: WideTableDefinition | undefined;
  let batch: KvWrite[] = [];
  for (let i = 0; i < count; i++) {
    const { key, columns = {} } = row(i);
    // The key codec reads only the key columns' names and types.
    def ??= {
      primaryKey: key.map((c) => ({ name: c.name, type: typeof c.value === 'bigint' ? 1 : 2 })),
    } as unknown as WideTableDefinition;
    batch.push({
      space: dataSpace(table),
      key: encodeKey(def, [...key]),
      value: encodeStoredRow({
        rowTs: ts,
        columns: Object.entries(columns).map(([name, value]) => ({ name, versions: [{ ts, value }] })),
      }),
    });
    if (batch.length === 10_000) {
      await local.server.store.write(batch);
      batch = [];
    }
  }
  await local.server.store.write(batch);
}
