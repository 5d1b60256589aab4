/** Looking up wide tables and their KvStore spaces from a handler. */
import type { HandlerContext } from '../../dispatch';
import { findIndexMaintainer } from '../../indexes/maintainer';
import type { WideTableDefinition } from './schema';

export const EMPTY = new Uint8Array(0);

export interface WideTable {
  readonly name: string;
  readonly def: WideTableDefinition;
  /** KvStore space holding the rows (key = encoded primary key). */
  readonly space: string;
  /** Set for a secondary index's table (read-only): the base table's name. */
  readonly indexOf?: string;
}

export const AUTOINC_SPACE = 'wide-autoinc';

export function dataSpace(tableName: string): string {
  return `wide/${tableName}`;
}

/** `indexes: true` also resolves a secondary index's name to its (read-only) index table. */
export function findWideTable(ctx: HandlerContext, name: string, options: { indexes?: boolean } = {}): WideTable | undefined {
  const record = ctx.catalog.get(name);
  if (!record) {
    const index = options.indexes ? findIndexMaintainer(ctx.store)?.find(name) : undefined;
    return index && { name, def: index.tableDef, space: index.space, indexOf: index.def.table };
  }
  if (record.kind !== 'wide') return undefined;
  return { name, def: record.definition as WideTableDefinition, space: dataSpace(name) };
}

export function requireWideTable(ctx: HandlerContext, name: string, options: { indexes?: boolean } = {}): WideTable {
  const table = findWideTable(ctx, name, options);
  if (!table) throw ctx.errors.tableNotExist();
  return table;
}
