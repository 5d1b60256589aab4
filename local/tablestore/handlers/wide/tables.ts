/** CreateTable, ListTable, DescribeTable, UpdateTable, DeleteTable. */
import {
  SSEKeyType,
  decodeMessage,
  encodeMessage,
  type DescribeTableResponse,
  type SSESpecification,
  type StreamSpecification,
  type TableOptions,
} from '../../../../lib/tablestore/protocol/proto/wide';
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
  validateColumnName,
  validateSchemaColumnName,
  validateTableName,
  type PkColumn,
  type WideTableDefinition,
} from './table';
import { checkBaseOptions } from '../../indexes/definition';
import {
  describeIndexes,
  indexSpacesOf,
  nameTaken,
  prepareTableIndexes,
  tableIndexWrites,
  usedSlotsWithIndexes,
} from '../../indexes/api';

const DEFAULT_OPTIONS = {
  timeToLive: -1,
  maxVersions: 1,
  deviationCellVersionInSec: 86400,
  allowUpdate: true,
  updateFullRow: false,
};
const MIN_TTL_SECONDS = 86400;
const DEFINED_COLUMN_TYPES = new Set([1, 2, 3, 4, 7]);

function mergeOptions(
  base: WideTableDefinition['options'],
  o: TableOptions | undefined,
): WideTableDefinition['options'] {
  const next = {
    timeToLive: o?.time_to_live ?? base.timeToLive,
    maxVersions: o?.max_versions ?? base.maxVersions,
    deviationCellVersionInSec:
      o?.deviation_cell_version_in_sec !== undefined
        ? Number(o.deviation_cell_version_in_sec)
        : base.deviationCellVersionInSec,
    allowUpdate: o?.allow_update ?? base.allowUpdate,
    updateFullRow: o?.update_full_row ?? base.updateFullRow ?? false,
  };
  if (next.timeToLive !== -1 && next.timeToLive < MIN_TTL_SECONDS) {
    throw errors.parameterInvalid(
      `Invalid time_to_live: ${next.timeToLive}. It must be -1 (forever) or at least ${MIN_TTL_SECONDS} seconds.`,
    );
  }
  if (!Number.isInteger(next.maxVersions) || next.maxVersions < 1) {
    throw errors.parameterInvalid(`Invalid max_versions: ${next.maxVersions}. It must be at least 1.`);
  }
  if (!Number.isSafeInteger(next.deviationCellVersionInSec) || next.deviationCellVersionInSec <= 0) {
    throw errors.parameterInvalid(
      `Invalid deviation_cell_version_in_sec: ${next.deviationCellVersionInSec}. It must be greater than 0.`,
    );
  }
  return next;
}

function checkThroughput(read: number | undefined, write: number | undefined): void {
  for (const [what, v] of [
    ['read', read],
    ['write', write],
  ] as const) {
    if (v !== undefined && (v < 0 || v > 100000))
      throw errors.parameterInvalid(`Invalid reserved ${what} capacity unit: ${v}.`);
  }
}

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
  };
  const indexWrites = tableIndexWrites(ctx, name, definition, indexMetas);
  await ctx.catalog.put({ name, kind: 'wide', createdAtMs: nowMs, definition }, indexWrites);
  return EMPTY;
};

const listTable: ApiHandler = async (ctx) => {
  ctx.authorize('ots:ListTable', ['*']);
  return encodeMessage('ListTableResponse', { table_names: ctx.catalog.list('wide').map((t) => t.name) });
};

function throughputDetails(def: WideTableDefinition): DescribeTableResponse['reserved_throughput_details'] {
  const rt = def.reservedThroughput;
  return {
    capacity_unit: { read: rt.read, write: rt.write },
    last_increase_time: rt.lastIncreaseTime,
    ...(rt.lastDecreaseTime !== undefined ? { last_decrease_time: rt.lastDecreaseTime } : {}),
  };
}

function tableOptions(def: WideTableDefinition): TableOptions {
  return {
    time_to_live: def.options.timeToLive,
    max_versions: def.options.maxVersions,
    deviation_cell_version_in_sec: def.options.deviationCellVersionInSec,
    allow_update: def.options.allowUpdate,
    update_full_row: def.options.updateFullRow ?? false,
  };
}

function streamDetails(name: string, def: WideTableDefinition): DescribeTableResponse['stream_details'] {
  if (!def.stream?.enabled) return { enable_stream: false };
  const details: NonNullable<DescribeTableResponse['stream_details']> = {
    enable_stream: true,
    stream_id: `${name}_stream`,
    columns_to_get: [...(def.stream.columnsToGet ?? [])],
  };
  if (def.stream.expirationTime !== undefined) details.expiration_time = def.stream.expirationTime;
  if (def.stream.lastEnableTime !== undefined) details.last_enable_time = def.stream.lastEnableTime;
  return details;
}

/** The stream part of a definition for a CreateTable / UpdateTable `stream_spec` (docs/protocol.md §8.6). */
function streamOf(spec: StreamSpecification | undefined, nowMs: number): Pick<WideTableDefinition, 'stream'> {
  if (!spec?.enable_stream) return {};
  for (const c of spec.columns_to_get ?? []) validateColumnName(c);
  return {
    stream: {
      enabled: true,
      expirationTime: spec.expiration_time ?? 24,
      lastEnableTime: nowMs * 1000,
      ...(spec.columns_to_get?.length ? { columnsToGet: [...spec.columns_to_get] } : {}),
    },
  };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function sseOf(spec: SSESpecification): NonNullable<WideTableDefinition['sse']> {
  if (
    spec.key_type !== undefined &&
    spec.key_type !== SSEKeyType.SSE_KMS_SERVICE &&
    spec.key_type !== SSEKeyType.SSE_BYOK
  )
    throw errors.parameterInvalid(`Invalid SSE key type: ${spec.key_type}.`);
  return {
    enabled: spec.enable,
    ...(spec.key_type !== undefined ? { keyType: spec.key_type } : {}),
    ...(spec.key_id ? { keyId: b64(spec.key_id) } : {}),
    ...(spec.role_arn ? { roleArn: b64(spec.role_arn) } : {}),
  };
}

/** Always sent: the Java SDK reads `sse_details` without checking that it is there (docs/protocol.md §8.6). */
function sseDetails(def: WideTableDefinition): SSESpecification {
  const sse = def.sse;
  if (!sse?.enabled) return { enable: false };
  return {
    enable: true,
    ...(sse.keyType !== undefined ? { key_type: sse.keyType } : {}),
    ...(sse.keyId !== undefined ? { key_id: Buffer.from(sse.keyId, 'base64') } : {}),
    ...(sse.roleArn !== undefined ? { role_arn: Buffer.from(sse.roleArn, 'base64') } : {}),
  };
}

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
