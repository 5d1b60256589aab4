/**
 * WideTableClient: the wide-table APIs (tables, single-row and batch reads and writes, ranges) over the
 * project's own transport, the same one the time series client uses, so both models share one retry,
 * forced-refresh, deadline and cancellation engine (transport/index.ts). Requests are protobuf messages
 * (protocol/proto/wide.ts) carrying rows as PlainBuffer (protocol/plainbuffer.ts); see
 * docs/protocol-wide-client.md for the wire facts this relies on.
 *
 * Rows are plain objects: `{ primaryKey: { id: 1 }, columns: { name: 'x' } }`, with every version of each
 * column under `versions` when a read asks for them. Values: see values.ts.
 */
import { encodeFilter, type ColumnFilter } from './filter';
import { invalidInput } from './protocol/errors';
import {
  CellOp,
  decodeReadRows,
  encodePrimaryKey,
  encodeRow,
  PlainBufferError,
  type AttributeCell,
  type PrimaryKeyCell,
  type ReadRow,
} from './protocol/plainbuffer';
import {
  decodeMessage,
  DefinedColumnType,
  Direction,
  encodeMessage,
  OperationType,
  ReturnType,
  RowExistence,
  SqlPayloadVersion,
  type Condition,
  type ConsumedCapacity,
  type WideMessageName,
  type WideMessages,
  type ReadOptions as ReadOptionsMsg,
  type RowInBatchWriteRowRequest,
  type TableOptions as TableOptionsMsg,
} from './protocol/proto/wide';
import { FormatError } from './protocol/format-error';
import { sqlQueryResult, type SqlQueryResult } from './sql-rows';
import {
  callApi,
  createTransport,
  malformedResponse,
  type CallOptions,
  type Transport,
  type ClientConnection,
  type TransportStats,
} from './transport/index';
import {
  PK_TYPE_CODE,
  PK_TYPE_NAME,
  toColumnValue,
  toPrimaryKeyValue,
  type PrimaryKeyType,
  type CellValue,
  type ColumnInput,
  type PrimaryKey,
  type PrimaryKeyCellValue,
  type PrimaryKeyInput,
} from './values';

export type { PrimaryKeyType } from './values';
export {
  AUTO_INCREMENT,
  double,
  DoubleValue,
  INF_MAX,
  INF_MIN,
  type CellValue,
  type ColumnInput,
  type PrimaryKey,
  type PrimaryKeyCellValue,
  type PrimaryKeyInput,
} from './values';
import { setOwn } from './set-own';
export type { ColumnFilter, CompareOp } from './filter';
export type { SqlColumn, SqlColumnType, SqlQueryResult, SqlRow, SqlStatementType, SqlValue } from './sql-rows';

/** Per call: `deadlineMs` overrides the client's overall budget, `signal` cancels the call. */
export type WideCallOptions = Pick<CallOptions, 'deadlineMs' | 'signal'>;

export interface Version {
  readonly value: CellValue;
  /** ms since the epoch */
  readonly timestamp: number;
}

export interface Row {
  readonly primaryKey: PrimaryKey;
  /** The newest version of each returned column. */
  readonly columns: Record<string, CellValue>;
  /** Every returned version, newest first; only when the read asked for `versions`. */
  readonly versions?: Record<string, Version[]>;
}

export interface CapacityUnit {
  readonly read: number;
  readonly write: number;
}

export type DefinedColumnTypeName = 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'BINARY';

export interface TableOptions {
  /** Seconds; -1 = forever. */
  readonly timeToLive?: number;
  readonly maxVersions?: number;
  readonly deviationCellVersionInSec?: number;
  readonly allowUpdate?: boolean;
}

/** A secondary index of a table, as DescribeTable lists it (docs/protocol-indexes.md §1). */
export interface IndexDescription {
  readonly name: string;
  readonly type: 'GLOBAL' | 'LOCAL';
  readonly updateMode: 'ASYNC' | 'SYNC';
  /** Index columns, in order; the index table's key is these, then the base key columns not among them (§2). */
  readonly primaryKey: readonly string[];
  /** Attribute columns the index carries. */
  readonly definedColumns: readonly string[];
  /** FULL while the index is built from base data, INCR once it follows writes. */
  readonly syncPhase?: 'FULL' | 'INCR';
}

export interface TableDescription {
  readonly name: string;
  readonly primaryKey: ReadonlyArray<{
    readonly name: string;
    readonly type: PrimaryKeyType;
    readonly autoIncrement?: boolean;
  }>;
  readonly definedColumns: ReadonlyArray<{ readonly name: string; readonly type: DefinedColumnTypeName }>;
  readonly options: TableOptions;
  readonly reservedThroughput: CapacityUnit;
  readonly status?: string;
  /** Secondary indexes, in creation order (absent from descriptions made elsewhere than describeTable). */
  readonly indexes?: readonly IndexDescription[];
}

/** Which columns, versions and rows a read returns. */
export interface ReadOptions {
  /** Attribute columns to return (default all). */
  readonly columns?: readonly string[];
  /** Versions per column (default 1 unless a time range is given). */
  readonly maxVersions?: number;
  /** Cell versions in [start, end) ms, or exactly `at`. */
  readonly timeRange?: { readonly start?: number; readonly end?: number } | { readonly at: number };
  /** Rows that fail it are left out (a page may then be short or empty yet carry `next`). */
  readonly filter?: ColumnFilter;
  /** Return every version of each column under `row.versions`. */
  readonly versions?: boolean;
}

export interface GetRowParams extends ReadOptions {
  readonly table: string;
  readonly primaryKey: PrimaryKeyInput;
}

export interface GetRangeParams extends ReadOptions {
  readonly table: string;
  /** Inclusive; INF_MIN / INF_MAX for open bounds. */
  readonly start: PrimaryKeyInput;
  /** Exclusive. */
  readonly end: PrimaryKeyInput;
  readonly direction?: 'forward' | 'backward';
  readonly limit?: number;
}

export interface GetRangeResult {
  readonly rows: Row[];
  /** Where the next page starts; absent once the range is done. */
  readonly next?: PrimaryKey;
  readonly consumed: CapacityUnit;
}

export type RowExistenceExpectation = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
/** A row-existence expectation, optionally with a column condition the row must meet. */
export type WriteCondition =
  RowExistenceExpectation | { readonly row?: RowExistenceExpectation; readonly columns?: ColumnFilter };

interface WriteCommon {
  readonly primaryKey: PrimaryKeyInput;
  readonly condition?: WriteCondition;
  /** Return the row's primary key (e.g. an auto-increment value the service filled in). */
  readonly returnPrimaryKey?: boolean;
}

export interface PutRowChange extends WriteCommon {
  readonly columns: Readonly<Record<string, ColumnInput>>;
  /** Version of every written cell, ms (default: the service's time). */
  readonly timestamp?: number;
}

export interface UpdateRowChange extends WriteCommon {
  readonly put?: Readonly<Record<string, ColumnInput>>;
  /** Version of the `put` cells, ms. */
  readonly timestamp?: number;
  /** Column → the one version (ms) to delete. */
  readonly deleteVersions?: Readonly<Record<string, number>>;
  /** Columns to delete with every version. */
  readonly deleteColumns?: readonly string[];
  /** Column → integer to add. */
  readonly increment?: Readonly<Record<string, number | bigint>>;
}

export type DeleteRowChange = WriteCommon;

export interface WriteResult {
  readonly consumed: CapacityUnit;
  /** The primary key written, with `returnPrimaryKey`. */
  readonly row?: Row;
}

export interface BatchGetRowParams {
  readonly tables: ReadonlyArray<
    ReadOptions & { readonly table: string; readonly primaryKeys: readonly PrimaryKeyInput[] }
  >;
}

/** Per-row outcome: batch calls succeed as a whole and report row failures here. */
export type BatchRowResult =
  | { readonly ok: true; readonly row: Row | undefined; readonly consumed: CapacityUnit }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface BatchGetRowResult {
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: readonly BatchRowResult[] }>;
}

export type BatchWriteRowChange =
  | ({ readonly type: 'put' } & PutRowChange)
  | ({ readonly type: 'update' } & UpdateRowChange)
  | ({ readonly type: 'delete' } & DeleteRowChange);

export interface BatchWriteRowParams {
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: readonly BatchWriteRowChange[] }>;
}

export interface BatchWriteRowResult {
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: readonly BatchRowResult[] }>;
}

export interface CreateTableParams {
  readonly table: string;
  readonly primaryKey: ReadonlyArray<{
    readonly name: string;
    readonly type: PrimaryKeyType;
    readonly autoIncrement?: boolean;
  }>;
  readonly definedColumns?: ReadonlyArray<{ readonly name: string; readonly type: DefinedColumnTypeName }>;
  /** Seconds; -1 = forever (default). */
  readonly timeToLive?: number;
  /** Default 1. */
  readonly maxVersions?: number;
  readonly deviationCellVersionInSec?: number;
  readonly reservedThroughput?: Partial<CapacityUnit>;
}

export interface UpdateTableParams extends TableOptions {
  readonly table: string;
  readonly reservedThroughput?: Partial<CapacityUnit>;
}

/** Where and how to connect; V4 signing when the region is known, V2 otherwise (or when chosen). */
export type WideTableClientConnection = ClientConnection;

export type WideTableClientOptions = WideTableClientConnection | { readonly transport: Transport };

const DEFINED_TYPE_CODE: Record<DefinedColumnTypeName, number> = {
  INTEGER: DefinedColumnType.DCT_INTEGER,
  DOUBLE: DefinedColumnType.DCT_DOUBLE,
  BOOLEAN: DefinedColumnType.DCT_BOOLEAN,
  STRING: DefinedColumnType.DCT_STRING,
  BINARY: DefinedColumnType.DCT_BLOB,
};
const DEFINED_TYPE_NAME: Record<number, DefinedColumnTypeName> = {
  1: 'INTEGER',
  2: 'DOUBLE',
  3: 'BOOLEAN',
  4: 'STRING',
  7: 'BINARY',
};
const TABLE_STATUS: Record<number, string> = {
  1: 'ACTIVE',
  2: 'INACTIVE',
  3: 'LOADING',
  4: 'UNLOADING',
  5: 'UPDATING',
};

const INT64_MAX = (1n << 63n) - 1n;

function primaryKeyCells(pk: PrimaryKeyInput, where: string): PrimaryKeyCell[] {
  if (typeof pk !== 'object' || pk === null) throw invalidInput(`${where}: primary key must be an object`);
  const cells: PrimaryKeyCell[] = [];
  for (const name of Object.keys(pk))
    cells.push({ name, value: toPrimaryKeyValue(pk[name], `${where} column "${name}"`) });
  if (cells.length === 0) throw invalidInput(`${where}: primary key is empty`);
  return cells;
}

function putCells(
  columns: Readonly<Record<string, ColumnInput>> | undefined,
  timestamp: number | undefined,
  out: AttributeCell[],
): void {
  if (!columns) return;
  for (const name of Object.keys(columns)) {
    const value = toColumnValue(columns[name], `column "${name}"`);
    out.push(timestamp === undefined ? { name, value } : { name, value, timestamp });
  }
}

function updateCells(change: UpdateRowChange): AttributeCell[] {
  const cells: AttributeCell[] = [];
  putCells(change.put, change.timestamp, cells);
  for (const [name, timestamp] of Object.entries(change.deleteVersions ?? {}))
    cells.push({ name, timestamp, op: CellOp.DELETE_ONE_VERSION });
  for (const name of change.deleteColumns ?? []) cells.push({ name, op: CellOp.DELETE_ALL_VERSIONS });
  for (const [name, by] of Object.entries(change.increment ?? {})) {
    const value = toColumnValue(by, `increment of column "${name}"`);
    if (typeof value !== 'bigint') throw invalidInput(`increment of column "${name}" must be an integer`);
    cells.push({ name, value, op: CellOp.INCREMENT });
  }
  if (cells.length === 0) throw invalidInput('an update changes no column');
  return cells;
}

function condition(c: WriteCondition | undefined): Condition {
  if (c === undefined) return { row_existence: RowExistence.IGNORE };
  const { row, columns } = typeof c === 'string' ? { row: c, columns: undefined } : c;
  const existence = RowExistence[row ?? 'IGNORE'];
  if (existence === undefined) throw invalidInput(`unknown row existence expectation ${String(row)}`);
  return columns ? { row_existence: existence, column_condition: encodeFilter(columns) } : { row_existence: existence };
}

const returnContent = (w: WriteCommon) =>
  w.returnPrimaryKey ? { return_content: { return_type: ReturnType.RT_PK } } : {};

function readOptions(o: ReadOptions): ReadOptionsMsg {
  const msg: ReadOptionsMsg = {};
  if (o.columns && o.columns.length > 0) msg.columns_to_get = [...o.columns];
  if (o.timeRange) {
    msg.time_range =
      'at' in o.timeRange
        ? { specific_time: o.timeRange.at }
        : { start_time: o.timeRange.start ?? 0, end_time: o.timeRange.end ?? INT64_MAX };
  }
  if (o.maxVersions !== undefined) msg.max_versions = o.maxVersions;
  else if (!o.timeRange) msg.max_versions = 1;
  if (o.filter) msg.filter = encodeFilter(o.filter);
  return msg;
}

/** A decoded PlainBuffer row as the client returns it (also search results, search/client.ts). */
export function toRow(r: ReadRow, withVersions: boolean): Row {
  const primaryKey: PrimaryKey = {};
  for (const c of r.primaryKey) setOwn(primaryKey, c.name, c.value as PrimaryKeyCellValue);
  const columns: Record<string, CellValue> = {};
  if (!withVersions) {
    // Versions of a column come newest first: the first one read is the one to keep.
    for (const a of r.attributes)
      if (a.value !== undefined && !Object.hasOwn(columns, a.name)) setOwn(columns, a.name, a.value);
    return { primaryKey, columns };
  }
  const versions: Record<string, Version[]> = {};
  for (const a of r.attributes) {
    if (a.value === undefined) continue;
    let list = Object.hasOwn(versions, a.name) ? versions[a.name] : undefined;
    if (!list) {
      list = [];
      setOwn(versions, a.name, list);
      setOwn(columns, a.name, a.value);
    }
    list.push({ value: a.value, timestamp: a.timestamp ?? 0 });
  }
  return { primaryKey, columns, versions };
}

function decodeRowsOf(api: string, bytes: Uint8Array | undefined): ReadRow[] {
  if (!bytes || bytes.length === 0) return [];
  try {
    return decodeReadRows(bytes);
  } catch (err) {
    if (err instanceof PlainBufferError) throw malformedResponse(api, err.message);
    throw err;
  }
}

function singleRow(api: string, bytes: Uint8Array | undefined, withVersions: boolean): Row | undefined {
  const rows = decodeRowsOf(api, bytes);
  return rows.length > 0 && rows[0].primaryKey.length > 0 ? toRow(rows[0], withVersions) : undefined;
}

const capacity = (c: ConsumedCapacity | undefined): CapacityUnit => ({
  read: c?.capacity_unit?.read ?? 0,
  write: c?.capacity_unit?.write ?? 0,
});

function tableOptionsMsg(o: TableOptions): TableOptionsMsg {
  const msg: TableOptionsMsg = {};
  if (o.timeToLive !== undefined) msg.time_to_live = o.timeToLive;
  if (o.maxVersions !== undefined) msg.max_versions = o.maxVersions;
  if (o.deviationCellVersionInSec !== undefined) msg.deviation_cell_version_in_sec = o.deviationCellVersionInSec;
  if (o.allowUpdate !== undefined) msg.allow_update = o.allowUpdate;
  return msg;
}

function tableOptions(msg: TableOptionsMsg | undefined): TableOptions {
  const out: { -readonly [K in keyof TableOptions]: TableOptions[K] } = {};
  if (msg?.time_to_live !== undefined) out.timeToLive = msg.time_to_live;
  if (msg?.max_versions !== undefined) out.maxVersions = msg.max_versions;
  if (msg?.deviation_cell_version_in_sec !== undefined)
    out.deviationCellVersionInSec = Number(msg.deviation_cell_version_in_sec);
  if (msg?.allow_update !== undefined) out.allowUpdate = msg.allow_update;
  return out;
}

function rowChange(change: BatchWriteRowChange | (PutRowChange & { type?: 'put' }), where: string): Uint8Array {
  const primaryKey = primaryKeyCells(change.primaryKey, where);
  switch (change.type) {
    case 'update':
      return encodeRow({ primaryKey, attributes: updateCells(change) });
    case 'delete':
      return encodePrimaryKey(primaryKey, true);
    default: {
      const attributes: AttributeCell[] = [];
      putCells((change as PutRowChange).columns, (change as PutRowChange).timestamp, attributes);
      return encodeRow({ primaryKey, attributes });
    }
  }
}

const OPERATION: Record<BatchWriteRowChange['type'], number> = {
  put: OperationType.PUT,
  update: OperationType.UPDATE,
  delete: OperationType.DELETE,
};

export class WideTableClient {
  readonly transport: Transport;
  private readonly ownsTransport: boolean;

  constructor(options: WideTableClientOptions) {
    if ('transport' in options) {
      this.transport = options.transport;
      this.ownsTransport = false;
    } else {
      this.transport = createTransport(options);
      this.ownsTransport = true;
    }
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  get instance(): string {
    return this.transport.instance;
  }

  /** The transport's counters (shared with any other client on the same transport). */
  get stats(): Readonly<TransportStats> {
    return this.transport.stats;
  }

  /** Closes the transport's connections when this client created it. */
  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  /** Encodes (input mistakes become OTSParameterInvalid before anything is sent), calls, decodes. */
  private async call<R extends WideMessageName>(
    api: string,
    build: () => Uint8Array,
    responseName: R,
    options?: WideCallOptions,
  ): Promise<WideMessages[R]> {
    return callApi(this.transport, api, build, (reply) => decodeMessage(responseName, reply), options);
  }

  async listTables(options?: WideCallOptions): Promise<string[]> {
    const r = await this.call('ListTable', () => encodeMessage('ListTableRequest', {}), 'ListTableResponse', options);
    return r.table_names ?? [];
  }

  async describeTable(table: string, options?: WideCallOptions): Promise<TableDescription> {
    const r = await this.call(
      'DescribeTable',
      () => encodeMessage('DescribeTableRequest', { table_name: table }),
      'DescribeTableResponse',
      options,
    );
    const meta = r.table_meta;
    return {
      name: meta.table_name,
      primaryKey: (meta.primary_key ?? []).map((c) => ({
        name: c.name,
        type: PK_TYPE_NAME[c.type] ?? 'STRING',
        ...(c.option === 1 ? { autoIncrement: true } : {}),
      })),
      definedColumns: (meta.defined_column ?? []).map((c) => ({
        name: c.name,
        type: DEFINED_TYPE_NAME[c.type] ?? 'STRING',
      })),
      options: tableOptions(r.table_options),
      reservedThroughput: capacity(r.reserved_throughput_details),
      ...(r.table_status !== undefined && TABLE_STATUS[r.table_status] ? { status: TABLE_STATUS[r.table_status] } : {}),
      indexes: (r.index_metas ?? []).map((m): IndexDescription => ({
        name: m.name,
        type: m.index_type === 1 ? 'LOCAL' : 'GLOBAL',
        updateMode: m.index_update_mode === 1 ? 'SYNC' : 'ASYNC',
        primaryKey: m.primary_key ?? [],
        definedColumns: m.defined_column ?? [],
        ...(m.index_sync_phase === 1 ? { syncPhase: 'FULL' } : m.index_sync_phase === 2 ? { syncPhase: 'INCR' } : {}),
      })),
    };
  }

  async createTable(p: CreateTableParams, options?: WideCallOptions): Promise<void> {
    await this.call(
      'CreateTable',
      () =>
        encodeMessage('CreateTableRequest', {
          table_meta: {
            table_name: p.table,
            primary_key: p.primaryKey.map((k) => ({
              name: k.name,
              type: PK_TYPE_CODE[k.type],
              ...(k.autoIncrement ? { option: 1 } : {}),
            })),
            defined_column: (p.definedColumns ?? []).map((c) => ({ name: c.name, type: DEFINED_TYPE_CODE[c.type] })),
          },
          reserved_throughput: {
            capacity_unit: { read: p.reservedThroughput?.read ?? 0, write: p.reservedThroughput?.write ?? 0 },
          },
          table_options: tableOptionsMsg({
            timeToLive: p.timeToLive ?? -1,
            maxVersions: p.maxVersions ?? 1,
            deviationCellVersionInSec: p.deviationCellVersionInSec ?? 86_400,
          }),
        }),
      'CreateTableResponse',
      options,
    );
  }

  async updateTable(
    p: UpdateTableParams,
    options?: WideCallOptions,
  ): Promise<{ options: TableOptions; reservedThroughput: CapacityUnit }> {
    const r = await this.call(
      'UpdateTable',
      () =>
        encodeMessage('UpdateTableRequest', {
          table_name: p.table,
          ...(p.reservedThroughput ? { reserved_throughput: { capacity_unit: { ...p.reservedThroughput } } } : {}),
          table_options: tableOptionsMsg(p),
        }),
      'UpdateTableResponse',
      options,
    );
    return { options: tableOptions(r.table_options), reservedThroughput: capacity(r.reserved_throughput_details) };
  }

  async deleteTable(table: string, options?: WideCallOptions): Promise<void> {
    await this.call(
      'DeleteTable',
      () => encodeMessage('DeleteTableRequest', { table_name: table }),
      'DeleteTableResponse',
      options,
    );
  }

  /** `undefined` when the row does not exist (or the filter left it out). */
  async getRow(p: GetRowParams, options?: WideCallOptions): Promise<Row | undefined> {
    const r = await this.call(
      'GetRow',
      () =>
        encodeMessage('GetRowRequest', {
          table_name: p.table,
          primary_key: encodePrimaryKey(primaryKeyCells(p.primaryKey, 'primaryKey')),
          ...readOptions(p),
        }),
      'GetRowResponse',
      options,
    );
    return singleRow('GetRow', r.row, p.versions === true);
  }

  async getRange(p: GetRangeParams, options?: WideCallOptions): Promise<GetRangeResult> {
    const r = await this.call(
      'GetRange',
      () =>
        encodeMessage('GetRangeRequest', {
          table_name: p.table,
          direction: p.direction === 'backward' ? Direction.BACKWARD : Direction.FORWARD,
          inclusive_start_primary_key: encodePrimaryKey(primaryKeyCells(p.start, 'start')),
          exclusive_end_primary_key: encodePrimaryKey(primaryKeyCells(p.end, 'end')),
          ...(p.limit !== undefined ? { limit: p.limit } : {}),
          ...readOptions(p),
        }),
      'GetRangeResponse',
      options,
    );
    const withVersions = p.versions === true;
    const decoded = decodeRowsOf('GetRange', r.rows);
    const rows = new Array<Row>(decoded.length);
    for (let i = 0; i < decoded.length; i++) rows[i] = toRow(decoded[i], withVersions);
    const next =
      r.next_start_primary_key && r.next_start_primary_key.length > 0
        ? decodeRowsOf('GetRange', r.next_start_primary_key)[0]
        : undefined;
    return { rows, ...(next ? { next: toRow(next, false).primaryKey } : {}), consumed: capacity(r.consumed) };
  }

  async putRow(p: PutRowChange & { readonly table: string }, options?: WideCallOptions): Promise<WriteResult> {
    return this.write(
      'PutRow',
      'PutRowRequest',
      'PutRowResponse',
      () => ({
        table_name: p.table,
        row: rowChange(p, 'primaryKey'),
        condition: condition(p.condition),
        ...returnContent(p),
      }),
      options,
    );
  }

  async updateRow(p: UpdateRowChange & { readonly table: string }, options?: WideCallOptions): Promise<WriteResult> {
    return this.write(
      'UpdateRow',
      'UpdateRowRequest',
      'UpdateRowResponse',
      () => ({
        table_name: p.table,
        row_change: rowChange({ ...p, type: 'update' }, 'primaryKey'),
        condition: condition(p.condition),
        ...returnContent(p),
      }),
      options,
    );
  }

  async deleteRow(p: DeleteRowChange & { readonly table: string }, options?: WideCallOptions): Promise<WriteResult> {
    return this.write(
      'DeleteRow',
      'DeleteRowRequest',
      'DeleteRowResponse',
      () => ({
        table_name: p.table,
        primary_key: rowChange({ ...p, type: 'delete' }, 'primaryKey'),
        condition: condition(p.condition),
        ...returnContent(p),
      }),
      options,
    );
  }

  private async write<Q extends 'PutRowRequest' | 'UpdateRowRequest' | 'DeleteRowRequest'>(
    api: string,
    requestName: Q,
    responseName: 'PutRowResponse' | 'UpdateRowResponse' | 'DeleteRowResponse',
    request: () => WideMessages[Q],
    options?: WideCallOptions,
  ): Promise<WriteResult> {
    const r = await this.call(api, () => encodeMessage(requestName, request()), responseName, options);
    const row = singleRow(api, r.row, false);
    return { consumed: capacity(r.consumed), ...(row ? { row } : {}) };
  }

  async batchGetRow(p: BatchGetRowParams, options?: WideCallOptions): Promise<BatchGetRowResult> {
    const r = await this.call(
      'BatchGetRow',
      () =>
        encodeMessage('BatchGetRowRequest', {
          tables: p.tables.map((t) => ({
            table_name: t.table,
            primary_key: t.primaryKeys.map((pk, i) =>
              encodePrimaryKey(primaryKeyCells(pk, `${t.table} primaryKeys[${i}]`)),
            ),
            ...readOptions(t),
          })),
        }),
      'BatchGetRowResponse',
      options,
    );
    return {
      tables: (r.tables ?? []).map((t, i) => {
        const withVersions = p.tables[i]?.versions === true;
        return {
          table: t.table_name,
          rows: (t.rows ?? []).map((row): BatchRowResult =>
            row.is_ok
              ? { ok: true, row: singleRow('BatchGetRow', row.row, withVersions), consumed: capacity(row.consumed) }
              : { ok: false, code: row.error?.code ?? '', message: row.error?.message ?? '' },
          ),
        };
      }),
    };
  }

  /** One SQL statement (docs/protocol-sql.md): typed columns, rows as objects, statement type, capacity. */
  async sqlQuery(query: string, options?: WideCallOptions): Promise<SqlQueryResult> {
    const r = await this.call(
      'SQLQuery',
      () => encodeMessage('SQLQueryRequest', { query, version: SqlPayloadVersion.SQL_FLAT_BUFFERS }),
      'SQLQueryResponse',
      options,
    );
    if (r.version !== undefined && r.version !== SqlPayloadVersion.SQL_FLAT_BUFFERS)
      throw malformedResponse('SQLQuery', `rows in payload version ${r.version}`);
    try {
      return sqlQueryResult(r);
    } catch (err) {
      if (err instanceof FormatError) throw malformedResponse('SQLQuery', err.message);
      throw err;
    }
  }

  async batchWriteRow(p: BatchWriteRowParams, options?: WideCallOptions): Promise<BatchWriteRowResult> {
    const r = await this.call(
      'BatchWriteRow',
      () =>
        encodeMessage('BatchWriteRowRequest', {
          tables: p.tables.map((t) => ({
            table_name: t.table,
            rows: t.rows.map((row, i): RowInBatchWriteRowRequest => {
              const type = OPERATION[row.type];
              if (type === undefined) throw invalidInput(`${t.table} rows[${i}]: unknown type ${String(row.type)}`);
              return {
                type,
                row_change: rowChange(row, `${t.table} rows[${i}]`),
                condition: condition(row.condition),
                ...returnContent(row),
              };
            }),
          })),
        }),
      'BatchWriteRowResponse',
      options,
    );
    return {
      tables: (r.tables ?? []).map((t) => ({
        table: t.table_name,
        rows: (t.rows ?? []).map((row): BatchRowResult =>
          row.is_ok
            ? { ok: true, row: singleRow('BatchWriteRow', row.row, false), consumed: capacity(row.consumed) }
            : { ok: false, code: row.error?.code ?? '', message: row.error?.message ?? '' },
        ),
      })),
    };
  }
}
