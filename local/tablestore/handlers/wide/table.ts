/** Looking up wide tables and their KvStore spaces from a handler. */
import type { HandlerContext } from '../../dispatch';
import type { WideTableDefinition } from './schema';

export const EMPTY = new Uint8Array(0);

export interface WideTable {
  readonly name: string;
  readonly def: WideTableDefinition;
  /** KvStore space holding the rows (key = encoded primary key). */
  readonly space: string;
}

export const AUTOINC_SPACE = 'wide-autoinc';

export function dataSpace(tableName: string): string {
  return `wide/${tableName}`;
}

export function findWideTable(ctx: HandlerContext, name: string): WideTable | undefined {
  const record = ctx.catalog.get(name);
  if (!record || record.kind !== 'wide') return undefined;
  return { name, def: record.definition as WideTableDefinition, space: dataSpace(name) };
}

export function requireWideTable(ctx: HandlerContext, name: string): WideTable {
  const table = findWideTable(ctx, name);
  if (!table) throw ctx.errors.tableNotExist();
  return table;
}
