/** CreateTable, ListTable, DescribeTable, UpdateTable, DeleteTable. */
import { decodeMessage, encodeMessage } from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler, ApiHandlers } from '../context';
import { errors } from '../../errors';
import { requireTableOrIndex } from '../../indexes/lookup';
import { MAX_TABLE_SLOTS } from '../../catalog';
import {
  AUTOINC_SPACE,
  EMPTY,
  MAX_PK_COLUMNS,
  PkType,
  dataSpace,
  requireWideTable,
  validateSchemaColumnName,
  validateTableName,
  type PkColumn,
  type WideTableDefinition,
} from './table';
import {
  DEFAULT_OPTIONS,
  checkThroughput,
  mergeOptions,
  sseDetails,
  sseOf,
  streamDetails,
  streamOf,
  tableOptions,
  throughputDetails,
} from './table-options';
import { checkBaseOptions } from '../../indexes/definition';
import {
  describeIndexes,
  indexSpacesOf,
  nameTaken,
  prepareTableIndexes,
  tableIndexWrites,
  usedSlotsWithIndexes,
} from '../../indexes/api';

const DEFINED_COLUMN_TYPES = new Set([1, 2, 3, 4, 7]);

const createTable: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('CreateTableRequest', body);
  const name = req.table_meta.table_name;
  ctx.authorize('ots:CreateTable', [name]);
  validateTableName(name);
  const pk = req.table_meta.primary_key ?? [];
  if (pk.length < 1 || pk.length > MAX_PK_COLUMNS) {
    throw errors.parameterInvalid(
      `The number of primary key columns must be in range [1, ${MAX_PK_COLUMNS}], got ${pk.length}.`,
    );
  }
  const seen = new Set<string>();
  const primaryKey: PkColumn[] = pk.map((c, i) => {
    validateSchemaColumnName(c.name, 'primary key column');
    if (seen.has(c.name)) throw errors.parameterInvalid(`Duplicated primary key name: '${c.name}'.`);
    seen.add(c.name);
    if (c.type !== PkType.INTEGER && c.type !== PkType.STRING && c.type !== PkType.BINARY) {
      throw errors.parameterInvalid(`Invalid type of primary key column ${c.name}: ${c.type}.`);
    }
    if (c.option !== undefined && c.option !== 1)
      throw errors.parameterInvalid(`Invalid option of primary key column ${c.name}.`);
    const autoIncrement = c.option === 1;
    if (autoIncrement && (c.type !== PkType.INTEGER || i === 0)) {
      throw errors.parameterInvalid(
        `Auto-increment column ${c.name} must be an INTEGER column other than the partition key.`,
      );
    }
    return autoIncrement ? { name: c.name, type: c.type, autoIncrement } : { name: c.name, type: c.type };
  });
  if (primaryKey.filter((c) => c.autoIncrement).length > 1)
    throw errors.parameterInvalid('A table may have at most one auto-increment column.');
  // The service offers auto-increment and local transactions only apart (docs/protocol.md §8.8).
  if (req.enable_local_txn && primaryKey.some((c) => c.autoIncrement))
    throw errors.parameterInvalid('Local transactions cannot be enabled on a table with an auto-increment column.');
  const definedColumns = (req.table_meta.defined_column ?? []).map((c) => {
    validateSchemaColumnName(c.name, 'defined column');
    if (seen.has(c.name)) throw errors.parameterInvalid(`Duplicated column name: ${c.name}.`);
    seen.add(c.name);
    if (!DEFINED_COLUMN_TYPES.has(c.type))
      throw errors.parameterInvalid(`Invalid type of defined column ${c.name}: ${c.type}.`);
    return { name: c.name, type: c.type };
  });
  const options = mergeOptions(DEFAULT_OPTIONS, req.table_options);
  const cu = req.reserved_throughput.capacity_unit;
  checkThroughput(cu.read, cu.write);
  const nowMs = ctx.now().getTime();
  const indexMetas = req.index_metas ?? [];
  await prepareTableIndexes(ctx, indexMetas);
  if (nameTaken(ctx, name)) throw errors.tableAlreadyExist();
  if (usedSlotsWithIndexes(ctx) + 1 > MAX_TABLE_SLOTS) {
    throw errors.quotaExhausted(`Number of tables exceeded the quota of ${MAX_TABLE_SLOTS} per instance.`);
  }
  // A write racing a DeleteTable can leave rows behind in a persisted space; a new table starts empty.
  const space = dataSpace(name);
  if (ctx.store.count(space) > 0) {
    await ctx.store.dropSpace(space);
    if (nameTaken(ctx, name)) throw errors.tableAlreadyExist();
  }
  const definition: WideTableDefinition = {
    primaryKey,
    definedColumns,
    options,
    reservedThroughput: { read: cu.read ?? 0, write: cu.write ?? 0, lastIncreaseTime: Math.floor(nowMs / 1000) },
    ...streamOf(req.stream_spec, nowMs),
    ...(req.sse_spec ? { sse: sseOf(req.sse_spec) } : {}),
    ...(req.enable_local_txn !== undefined ? { localTxn: req.enable_local_txn } : {}),
  };
  const indexWrites = tableIndexWrites(ctx, name, definition, indexMetas);
  await ctx.catalog.put({ name, kind: 'wide', createdAtMs: nowMs, definition }, indexWrites);
  return EMPTY;
};

const listTable: ApiHandler = async (ctx) => {
  ctx.authorize('ots:ListTable', ['*']);
  return encodeMessage('ListTableResponse', { table_names: ctx.catalog.list('wide').map((t) => t.name) });
};

const describeTable: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('DescribeTableRequest', body);
  ctx.authorize('ots:DescribeTable', [req.table_name]);
  const { name, def } = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
  return encodeMessage('DescribeTableResponse', {
    table_meta: {
      table_name: name,
      primary_key: def.primaryKey.map((c) =>
        c.autoIncrement ? { name: c.name, type: c.type, option: 1 } : { name: c.name, type: c.type },
      ),
      defined_column: def.definedColumns.map((c) => ({ name: c.name, type: c.type })),
    },
    reserved_throughput_details: throughputDetails(def),
    table_options: tableOptions(def),
    table_status: 1,
    stream_details: streamDetails(name, def),
    sse_details: sseDetails(def),
    index_metas: describeIndexes(ctx, name),
  });
};

const updateTable: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('UpdateTableRequest', body);
  ctx.authorize('ots:UpdateTable', [req.table_name]);
  const table = requireWideTable(ctx.catalog, req.table_name);
  const record = ctx.catalog.get(table.name)!;
  const def = table.def;
  if (!req.reserved_throughput && !req.table_options && !req.stream_spec) {
    throw errors.parameterInvalid(
      'UpdateTable needs at least one of reserved_throughput, table_options and stream_spec.',
    );
  }
  // update_full_row is fixed at CreateTable; the service refuses it here even when unchanged (docs/protocol.md §8.6).
  if (req.table_options?.update_full_row !== undefined)
    throw errors.parameterInvalid('UpdateTable request can not contain updateFullRow.');
  const options = mergeOptions(def.options, req.table_options);
  const nowSec = Math.floor(ctx.now().getTime() / 1000);
  let reservedThroughput = def.reservedThroughput;
  if (req.reserved_throughput) {
    const cu = req.reserved_throughput.capacity_unit;
    checkThroughput(cu.read, cu.write);
    const read = cu.read ?? reservedThroughput.read;
    const write = cu.write ?? reservedThroughput.write;
    const up = read > reservedThroughput.read || write > reservedThroughput.write;
    const down = read < reservedThroughput.read || write < reservedThroughput.write;
    const lastDecreaseTime = down ? nowSec : reservedThroughput.lastDecreaseTime;
    reservedThroughput = {
      read,
      write,
      lastIncreaseTime: up ? nowSec : reservedThroughput.lastIncreaseTime,
      ...(lastDecreaseTime === undefined ? {} : { lastDecreaseTime }),
    };
  }
  const { stream: _previous, ...rest } = def;
  const next: WideTableDefinition = {
    ...rest,
    options,
    reservedThroughput,
    ...(req.stream_spec ? streamOf(req.stream_spec, ctx.now().getTime()) : def.stream ? { stream: def.stream } : {}),
  };
  if (describeIndexes(ctx, table.name).length > 0) checkBaseOptions(table.name, next);
  await ctx.catalog.put({ ...record, definition: next });
  return encodeMessage('UpdateTableResponse', {
    reserved_throughput_details: throughputDetails(next),
    table_options: tableOptions(next),
    stream_details: streamDetails(table.name, next),
  });
};

const deleteTable: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('DeleteTableRequest', body);
  ctx.authorize('ots:DeleteTable', [req.table_name]);
  const table = requireWideTable(ctx.catalog, req.table_name);
  // Open transactions on the table end with it: their ids are unknown from now on.
  ctx.transactions.dropSpace(table.space);
  await ctx.store.write([{ space: AUTOINC_SPACE, key: Buffer.from(table.name) }]);
  await ctx.catalog.delete(table.name, [dataSpace(table.name), ...indexSpacesOf(ctx, table.name)]);
  return EMPTY;
};

export const tableHandlers: ApiHandlers = {
  CreateTable: createTable,
  ListTable: listTable,
  DescribeTable: describeTable,
  UpdateTable: updateTable,
  DeleteTable: deleteTable,
};
