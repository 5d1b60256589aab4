/**
 * CreateIndex and DropIndex (docs/protocol-indexes.md §1–§3), plus the pieces the wide-table handlers call
 * for indexes: CreateTable's index_metas, DescribeTable's list, the table quota and name checks.
 */
import { decodeMessage, type IndexMeta } from '../../../lib/tablestore/protocol/proto/wide';
import { MAX_TABLE_SLOTS } from '../catalog';
import type { ApiHandler, HandlerContext } from '../handlers/context';
import { errors } from '../errors';
import type { KvWrite } from '../persistence/store';
import type { WideTableDefinition } from '../handlers/wide/table';
import { requireWideTable } from '../handlers/wide/table';
import { MAX_INDEXES_PER_TABLE, indexErrors, indexMetaMessage, parseIndexMeta } from './definition';
import { findIndexMaintainer, indexMaintainerOf, indexSpace, skippedSpace } from './maintainer';

const EMPTY = new Uint8Array(0);

/** Whether `name` is taken by a table or an index (one namespace per instance). */
export function nameTaken(ctx: HandlerContext, name: string): boolean {
  return ctx.catalog.get(name) !== undefined || findIndexMaintainer(ctx.store)?.find(name) !== undefined;
}

/** Table slots in use, counting index tables (docs/protocol-indexes.md §3). */
export function usedSlotsWithIndexes(ctx: HandlerContext): number {
  return ctx.catalog.usedSlots() + (findIndexMaintainer(ctx.store)?.count() ?? 0);
}

/** Drops leftover rows of a previous index of the same name (a crash inside a DropIndex/DeleteTable). */
async function clearLeftovers(ctx: HandlerContext, names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (const space of [indexSpace(name), skippedSpace(name)])
      if (ctx.store.count(space) > 0) await ctx.store.dropSpace(space);
  }
}

/**
 * CreateTable's `index_metas`: checks them against the new table and returns the writes that persist them,
 * to commit in one batch with the table's catalog record. Call `prepareTableIndexes` (async) first.
 */
export function tableIndexWrites(
  ctx: HandlerContext,
  table: string,
  def: WideTableDefinition,
  metas: readonly IndexMeta[],
): KvWrite[] {
  if (metas.length === 0) return [];
  if (metas.length > MAX_INDEXES_PER_TABLE) throw indexErrors.tooMany(table);
  const nowMs = ctx.now().getTime();
  const defs = metas.map((m) => parseIndexMeta(table, def, m, nowMs));
  const names = new Set<string>([table]);
  for (const d of defs) {
    if (names.has(d.name) || nameTaken(ctx, d.name)) throw errors.tableAlreadyExist();
    names.add(d.name);
  }
  if (usedSlotsWithIndexes(ctx) + 1 + defs.length > MAX_TABLE_SLOTS) {
    throw errors.quotaExhausted(`Number of tables exceeded the quota of ${MAX_TABLE_SLOTS} per instance.`);
  }
  return indexMaintainerOf(ctx.store).register(table, def, defs);
}

/** Before CreateTable's synchronous checks: clears leftover rows under the names its indexes will use. */
export function prepareTableIndexes(ctx: HandlerContext, metas: readonly IndexMeta[]): Promise<void> {
  return clearLeftovers(
    ctx,
    metas.filter((m) => !nameTaken(ctx, m.name)).map((m) => m.name),
  );
}

/** DeleteTable drops these spaces with the table's own (its catalog record's removal drops the definitions). */
export function indexSpacesOf(ctx: HandlerContext, table: string): string[] {
  return findIndexMaintainer(ctx.store)?.spacesOf(table) ?? [];
}

/** DescribeTable's `index_metas` for a table. */
export function describeIndexes(ctx: HandlerContext, table: string): IndexMeta[] {
  return (findIndexMaintainer(ctx.store)?.list(table) ?? []).map(indexMetaMessage);
}

const createIndex: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('CreateIndexRequest', body);
  ctx.authorize('ots:CreateIndex', [req.main_table_name]);
  const name = req.index_meta.name;
  if (!nameTaken(ctx, name)) await clearLeftovers(ctx, [name]);
  // From here to the write: no await, so the checks hold when the index appears.
  const table = requireWideTable(ctx.catalog, req.main_table_name);
  const maintainer = indexMaintainerOf(ctx.store);
  const def = parseIndexMeta(table.name, table.def, req.index_meta, ctx.now().getTime());
  if (nameTaken(ctx, name)) throw errors.tableAlreadyExist();
  if (maintainer.list(table.name).length >= MAX_INDEXES_PER_TABLE) throw indexErrors.tooMany(table.name);
  if (usedSlotsWithIndexes(ctx) + 1 > MAX_TABLE_SLOTS) {
    throw errors.quotaExhausted(`Number of tables exceeded the quota of ${MAX_TABLE_SLOTS} per instance.`);
  }
  const writes = maintainer.register(table.name, table.def, [def]);
  // One push per write: a spread of a large table's backfill would overflow the call stack.
  if (req.include_base_data) for (const w of maintainer.backfill(name)) writes.push(w);
  await ctx.store.write(writes);
  return EMPTY;
};

const dropIndex: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('DropIndexRequest', body);
  ctx.authorize('ots:DropIndex', [req.main_table_name]);
  const table = requireWideTable(ctx.catalog, req.main_table_name);
  const maintainer = indexMaintainerOf(ctx.store);
  const index = maintainer.find(req.index_name);
  if (!index || index.def.table !== table.name) throw indexErrors.notExist(table.name, req.index_name);
  await maintainer.drop(index.def.name);
  return EMPTY;
};

export const indexHandlers: Record<string, ApiHandler> = { CreateIndex: createIndex, DropIndex: dropIndex };
