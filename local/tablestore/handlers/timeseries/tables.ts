/** CreateTimeseriesTable, ListTimeseriesTable, DescribeTimeseriesTable, UpdateTimeseriesTable, DeleteTimeseriesTable. */
import { decodeTimeseriesMessage, encodeTimeseriesMessage } from '../../../../lib/tablestore/protocol/proto/timeseries';
import { MAX_TABLE_SLOTS } from '../../catalog';
import { errors } from '../../errors';
import type { ApiHandler, ApiHandlers } from '../context';
import {
  applyOptions,
  dataSpace,
  definitionFromCreate,
  listTimeseriesTables,
  metaSpace,
  requireTimeseriesTable,
  tableMetaMsg,
  validateTableName,
} from './table';

const EMPTY = new Uint8Array(0);

const createTimeseriesTable: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('CreateTimeseriesTableRequest', body);
  const name = validateTableName(req.table_meta.table_name);
  ctx.authorize('ots:CreateTimeseriesTable', [name]);
  // Nothing here could serve them, so they are refused rather than described back; the bare
  // enable_analytical_store flag is accepted, since the Go SDK sets it on every create (docs/timeseries.md).
  if ((req.analytical_stores ?? []).length > 0)
    throw errors.parameterInvalid('Analytical stores are not supported by Tablestore Local.');
  if ((req.lastpoint_index_metas ?? []).length > 0)
    throw errors.parameterInvalid('Lastpoint indexes are not supported by Tablestore Local.');
  const definition = definitionFromCreate(
    req.table_meta,
    req.analytical_stores ?? [],
    (req.lastpoint_index_metas ?? []).map((m) => m.index_table_name),
  );
  if (ctx.catalog.get(name)) throw errors.tableAlreadyExist();
  if (ctx.catalog.usedSlots() + 2 > MAX_TABLE_SLOTS) {
    throw errors.quotaExhausted(
      `Number of tables exceeded the quota (${MAX_TABLE_SLOTS} per instance; a time series table counts as 2).`,
    );
  }
  // No await between the checks above and this put: the catalog updates its map synchronously, so two
  // concurrent creates of one name cannot both pass. (Deletes drop the data spaces before the record.)
  await ctx.catalog.put({ name, kind: 'timeseries', createdAtMs: ctx.now().getTime(), definition });
  return EMPTY;
};

const listTimeseriesTable: ApiHandler = async (ctx, body) => {
  decodeTimeseriesMessage('ListTimeseriesTableRequest', body);
  ctx.authorize('ots:ListTimeseriesTable', ['*']);
  return encodeTimeseriesMessage('ListTimeseriesTableResponse', {
    table_metas: listTimeseriesTables(ctx.catalog).map((t) => tableMetaMsg(t.name, t.definition)),
  });
};

const describeTimeseriesTable: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('DescribeTimeseriesTableRequest', body);
  ctx.authorize('ots:DescribeTimeseriesTable', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  return encodeTimeseriesMessage('DescribeTimeseriesTableResponse', {
    table_meta: tableMetaMsg(table.name, table.definition),
    analytical_stores: table.definition.analyticalStores.map((s) => ({
      store_name: s.storeName,
      time_to_live: s.timeToLive,
      sync_option: s.syncOption,
    })),
    lastpoint_indexes: table.definition.lastpointIndexes.map((index_table_name) => ({ index_table_name })),
  });
};

const updateTimeseriesTable: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('UpdateTimeseriesTableRequest', body);
  ctx.authorize('ots:UpdateTimeseriesTable', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  if (!req.table_options && !req.meta_options)
    throw errors.parameterInvalid('Nothing to update: give table_options or meta_options.');
  const options = applyOptions(table.definition, req.table_options, req.meta_options);
  const record = ctx.catalog.get(table.name)!;
  await ctx.catalog.put({ ...record, definition: { ...table.definition, ...options } });
  return EMPTY;
};

const deleteTimeseriesTable: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('DeleteTimeseriesTableRequest', body);
  ctx.authorize('ots:DeleteTimeseriesTable', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  await ctx.catalog.delete(table.name, [dataSpace(table.name), metaSpace(table.name)]);
  return EMPTY;
};

export const tableHandlers: ApiHandlers = {
  CreateTimeseriesTable: createTimeseriesTable,
  ListTimeseriesTable: listTimeseriesTable,
  DescribeTimeseriesTable: describeTimeseriesTable,
  UpdateTimeseriesTable: updateTimeseriesTable,
  DeleteTimeseriesTable: deleteTimeseriesTable,
};
