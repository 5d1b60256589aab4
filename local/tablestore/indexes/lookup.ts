/**
 * Row APIs address a secondary index by its name as if it were a table (docs/protocol-indexes.md §4): reads
 * go to the index's own table, writes are refused (the caller checks `indexOf`). Lives beside the indexes so
 * the wide-table lookup in handlers/wide/table.ts stays free of them (no import cycle).
 */
import type { TableCatalog } from '../catalog';
import { errors } from '../errors';
import { findWideTable, validateTableName, type WideTable } from '../handlers/wide/table';
import type { KvStore } from '../persistence/store';
import { findIndexMaintainer } from './maintainer';

export function findTableOrIndex(catalog: TableCatalog, store: KvStore, name: string): WideTable | undefined {
  if (catalog.get(name)) return findWideTable(catalog, name);
  const index = findIndexMaintainer(store)?.find(name);
  return index && { name, def: index.tableDef, space: index.space, indexOf: index.def.table };
}

export function requireTableOrIndex(catalog: TableCatalog, store: KvStore, name: string): WideTable {
  validateTableName(name);
  const table = findTableOrIndex(catalog, store, name);
  if (!table) throw errors.tableNotExist();
  return table;
}
