/** GetRow, PutRow, UpdateRow, DeleteRow, GetRange, BatchGetRow, BatchWriteRow. */
import {
  AUTO_INCREMENT,
  CellOp,
  decodeRow,
  encodePrimaryKey,
  encodeRow,
  encodeRows,
  type AttributeCell,
  type PlainBufferRow,
  type PrimaryKeyCell,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import { TablestoreError } from '../../../../lib/tablestore/protocol/errors';
import {
  Direction,
  OperationType,
  ReturnType,
  decodeMessage,
  encodeMessage,
  type BatchGetRowRequest,
  type BatchGetRowResponse,
  type BatchWriteRowRequest,
  type BatchWriteRowResponse,
  type Condition,
  type ConsumedCapacity,
  type DeleteRowRequest,
  type GetRangeRequest,
  type GetRangeResponse,
  type GetRowRequest,
  type GetRowResponse,
  type PutRowRequest,
  type ReturnContent,
  type RowInBatchGetRowResponse,
  type RowInBatchWriteRowResponse,
  type UpdateRowRequest,
  type WriteRowResponse,
} from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler, HandlerContext } from '../../dispatch';
import type { KvWrite } from '../../persistence/store';
import { decodeStoredRow, encodeStoredRow } from './row-codec';
import {
  applyPut,
  applyUpdate,
  capacityUnits,
  checkCondition,
  liveRow,
  parseReadSpec,
  readRow,
  rowBytes,
  validateCells,
  type ReadSpec,
} from './rows';
import { boundKey, checkPrimaryKey, compareBoundKeys, decodeKey, encodeKey } from './schema';
import { AUTOINC_SPACE, findWideTable, requireWideTable, type WideTable } from './table';
import { errors } from '../../errors';
import { indexErrors } from '../../indexes/definition';

/** At most this many rows and bytes per GetRange page, whatever the limit (spec §6.3). */
export const PAGE_MAX_ROWS = 5000;
export const PAGE_MAX_BYTES = 4 * 1024 * 1024;
const BATCH_GET_MAX_ROWS = 100;
const BATCH_WRITE_MAX_ROWS = 200;
const BATCH_WRITE_MAX_BYTES = 4 * 1024 * 1024;

const consumed = (read: number, write: number): ConsumedCapacity => ({ capacity_unit: { read, write } });

// ---------------------------------------------------------------------------------------------- reading

function getOne(ctx: HandlerContext, table: WideTable, pkBytes: Uint8Array, spec: ReadSpec): { row?: PlainBufferRow; read: number } {
  const pk = decodeRow(pkBytes).primaryKey;
  checkPrimaryKey(table.def, pk, 'exact');
  const stored = ctx.store.get(table.space, encodeKey(table.def, pk));
  const row = stored ? decodeStoredRow(stored) : undefined;
  const out = readRow(pk, liveRow(table.def, row, ctx.now().getTime()), spec);
  return { row: out, read: capacityUnits(out ? rowBytes(out.primaryKey, out.attributes) : 0) };
}

const getRow: ApiHandler = async (ctx, body) => {
  const req = decodeMessage<GetRowRequest>('GetRowRequest', body);
  ctx.authorize('ots:GetRow', [req.table_name]);
  const table = requireWideTable(ctx, req.table_name, { indexes: true });
  const spec = parseReadSpec(table.def, req);
  const { row, read } = getOne(ctx, table, req.primary_key, spec);
  return encodeMessage<GetRowResponse>('GetRowResponse', { consumed: consumed(read, 0), row: row ? encodeRow(row) : new Uint8Array(0) });
};

const getRange: ApiHandler = async (ctx, body) => {
  const req = decodeMessage<GetRangeRequest>('GetRangeRequest', body);
  ctx.authorize('ots:GetRange', [req.table_name]);
  const table = requireWideTable(ctx, req.table_name, { indexes: true });
  const { def } = table;
  const spec = parseReadSpec(def, req);
  if (req.direction !== Direction.FORWARD && req.direction !== Direction.BACKWARD) throw errors.parameterInvalid(`Invalid direction: ${req.direction}.`);
  if (req.limit !== undefined && req.limit <= 0) throw errors.parameterInvalid(`Invalid limit: ${req.limit}. It must be greater than 0.`);
  const start = decodeRow(req.inclusive_start_primary_key).primaryKey;
  const end = decodeRow(req.exclusive_end_primary_key).primaryKey;
  checkPrimaryKey(def, start, 'bound');
  checkPrimaryKey(def, end, 'bound');
  const forward = req.direction === Direction.FORWARD;
  const order = compareBoundKeys(def, start, end);
  if (forward && order >= 0) throw errors.parameterInvalid('The start primary key must be less than the end primary key when the direction is FORWARD.');
  if (!forward && order <= 0) throw errors.parameterInvalid('The start primary key must be greater than the end primary key when the direction is BACKWARD.');

  const sb = boundKey(def, start);
  const eb = boundKey(def, end);
  const after = (k: Buffer) => Buffer.concat([k, Buffer.from([0])]);
  let gte: Buffer | undefined;
  let lt: Buffer | undefined;
  let empty = false;
  if (forward) {
    gte = sb.key;
    lt = eb.key;
    if (sb.kind === 'inf' && sb.key === undefined) empty = true;
  } else {
    lt = sb.kind === 'exact' ? after(sb.key) : sb.key;
    gte = eb.kind === 'exact' ? after(eb.key) : eb.key;
    if (eb.kind === 'inf' && eb.key === undefined) empty = true;
  }

  const limit = Math.min(req.limit ?? PAGE_MAX_ROWS, PAGE_MAX_ROWS);
  const nowMs = ctx.now().getTime();
  const rows: PlainBufferRow[] = [];
  let scanned = 0;
  let bytes = 0;
  let next: Uint8Array | undefined;
  if (!empty) {
    for (const record of ctx.store.scan(table.space, { gte, lt, reverse: !forward })) {
      if (rows.length >= limit || scanned >= PAGE_MAX_ROWS || bytes >= PAGE_MAX_BYTES) {
        next = record.key;
        break;
      }
      scanned++;
      bytes += record.key.length + record.value.length;
      const out = readRow(decodeKey(def, record.key), liveRow(def, decodeStoredRow(record.value), nowMs), spec);
      if (out) rows.push(out);
    }
  }
  const res: GetRangeResponse = { consumed: consumed(capacityUnits(bytes), 0), rows: rows.length > 0 ? encodeRows(rows) : new Uint8Array(0) };
  if (next) res.next_start_primary_key = encodePrimaryKey(decodeKey(def, next));
  return encodeMessage<GetRangeResponse>('GetRangeResponse', res);
};

function rowError(err: unknown): { code: string; message: string } {
  if (err instanceof TablestoreError) return { code: err.code, message: err.message };
  if (err instanceof Error && (err.name === 'PlainBufferError' || err.name === 'ProtoDecodeError')) return { code: 'OTSParameterInvalid', message: err.message };
  throw err;
}

const batchGetRow: ApiHandler = async (ctx, body) => {
  const req = decodeMessage<BatchGetRowRequest>('BatchGetRowRequest', body);
  if (req.tables.length === 0) throw errors.parameterInvalid('BatchGetRow needs at least one table.');
  const names = req.tables.map((t) => t.table_name);
  if (new Set(names).size !== names.length) throw errors.parameterInvalid('BatchGetRow lists a table more than once.');
  const total = req.tables.reduce((n, t) => n + t.primary_key.length, 0);
  if (total > BATCH_GET_MAX_ROWS) throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${total} > ${BATCH_GET_MAX_ROWS}.`);
  if (total === 0) throw errors.parameterInvalid('BatchGetRow needs at least one row.');
  ctx.authorize('ots:BatchGetRow', names);
  const tables = req.tables.map((t) => {
    const table = findWideTable(ctx, t.table_name, { indexes: true });
    const rows: RowInBatchGetRowResponse[] = [];
    if (!table) {
      const err = errors.tableNotExist();
      for (let i = 0; i < t.primary_key.length; i++) rows.push({ is_ok: false, error: { code: err.code, message: err.message } });
      return { table_name: t.table_name, rows };
    }
    const spec = parseReadSpec(table.def, t);
    for (const pk of t.primary_key) {
      try {
        const { row, read } = getOne(ctx, table, pk, spec);
        rows.push({ is_ok: true, consumed: consumed(read, 0), row: row ? encodeRow(row) : new Uint8Array(0) });
      } catch (err) {
        rows.push({ is_ok: false, error: rowError(err) });
      }
    }
    return { table_name: t.table_name, rows };
  });
  return encodeMessage<BatchGetRowResponse>('BatchGetRowResponse', { tables });
};

// ---------------------------------------------------------------------------------------------- writing

interface Planned {
  /** Encoded primary key of the row the operation addresses. */
  readonly key: Buffer;
  readonly writes: KvWrite[];
  readonly writeCu: number;
  readonly returnRow?: Uint8Array;
}

/** Per-request auto-increment state, so several puts in one batch get distinct, increasing values. */
type AutoIncState = Map<string, bigint>;

function nextAutoIncrement(ctx: HandlerContext, table: WideTable, state: AutoIncState, writes: KvWrite[]): bigint {
  const key = Buffer.from(table.name);
  let last = state.get(table.name);
  if (last === undefined) {
    const stored = ctx.store.get(AUTOINC_SPACE, key);
    last = stored ? Buffer.from(stored).readBigInt64BE(0) : 0n;
  }
  // Values look like the service's (microsecond-scale), are unique and strictly increasing per table.
  const candidate = BigInt(ctx.now().getTime()) * 1000n;
  const value = candidate > last ? candidate : last + 1n;
  state.set(table.name, value);
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(value);
  writes.push({ space: AUTOINC_SPACE, key, value: buf });
  return value;
}

function returnContent(
  rc: ReturnContent | undefined,
  pk: readonly PrimaryKeyCell[],
  after: ReturnType<typeof liveRow> | undefined,
  touched: readonly string[],
): Uint8Array | undefined {
  const type = rc?.return_type ?? ReturnType.RT_NONE;
  if (type === ReturnType.RT_NONE) return undefined;
  if (type === ReturnType.RT_PK) return encodeRow({ primaryKey: pk, attributes: [] });
  if (type === ReturnType.RT_AFTER_MODIFY) {
    const names = new Set(rc?.return_column_names?.length ? rc.return_column_names : touched);
    const attributes: AttributeCell[] = [];
    for (const c of after?.columns ?? []) {
      if (names.has(c.name) && c.versions.length > 0) attributes.push({ name: c.name, value: c.versions[0].value, timestamp: c.versions[0].ts });
    }
    return encodeRow({ primaryKey: pk, attributes });
  }
  throw errors.parameterInvalid(`Invalid return_type: ${type}.`);
}

function planPut(ctx: HandlerContext, table: WideTable, rowBytesIn: Uint8Array, condition: Condition, rc: ReturnContent | undefined, auto: AutoIncState): Planned {
  const { def } = table;
  const row = decodeRow(rowBytesIn);
  if (row.deleteMarker) throw errors.parameterInvalid('A PutRow row must not carry the delete marker.');
  checkPrimaryKey(def, row.primaryKey, 'put');
  const nowMs = ctx.now().getTime();
  validateCells(def, row.attributes, 'put', nowMs);
  const writes: KvWrite[] = [];
  const pk: PrimaryKeyCell[] = row.primaryKey.map((c) => (c.value === AUTO_INCREMENT ? { name: c.name, value: nextAutoIncrement(ctx, table, auto, writes) } : c));
  const key = encodeKey(def, pk);
  const current = ctx.store.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'put');
  const stored = applyPut(def, row.attributes, nowMs);
  writes.push({ space: table.space, key, value: encodeStoredRow(stored) });
  return {
    key,
    writes,
    writeCu: capacityUnits(rowBytes(pk, row.attributes)),
    returnRow: returnContent(rc, pk, liveRow(def, stored, nowMs), row.attributes.map((a) => a.name)),
  };
}

function planUpdate(ctx: HandlerContext, table: WideTable, rowBytesIn: Uint8Array, condition: Condition, rc: ReturnContent | undefined): Planned {
  const { def } = table;
  if (!def.options.allowUpdate) throw errors.parameterInvalid('UpdateRow is not allowed on this table (allow_update is false).');
  const row = decodeRow(rowBytesIn);
  if (row.deleteMarker) throw errors.parameterInvalid('An UpdateRow row change must not carry the delete marker.');
  checkPrimaryKey(def, row.primaryKey, 'exact');
  if (row.attributes.length === 0) throw errors.parameterInvalid('UpdateRow needs at least one attribute column.');
  const nowMs = ctx.now().getTime();
  // The Node SDK's documented form for deleting one version sends the timestamp as the INTEGER value.
  const cells = row.attributes.map((c) =>
    c.op === CellOp.DELETE_ONE_VERSION && c.timestamp === undefined && typeof c.value === 'bigint'
      ? { name: c.name, op: c.op, timestamp: Number(c.value) }
      : c,
  );
  validateCells(def, cells, 'update', nowMs);
  const key = encodeKey(def, row.primaryKey);
  const current = ctx.store.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'update');
  const stored = applyUpdate(def, live, cells, nowMs);
  const writes: KvWrite[] = stored ? [{ space: table.space, key, value: encodeStoredRow(stored) }] : [];
  return {
    key,
    writes,
    writeCu: capacityUnits(rowBytes(row.primaryKey, row.attributes)),
    returnRow: returnContent(rc, row.primaryKey, stored ? liveRow(def, stored, nowMs) : undefined, row.attributes.map((a) => a.name)),
  };
}

function planDelete(ctx: HandlerContext, table: WideTable, pkBytes: Uint8Array, condition: Condition, rc: ReturnContent | undefined): Planned {
  const { def } = table;
  const row = decodeRow(pkBytes);
  if (row.attributes.length > 0) throw errors.parameterInvalid('A DeleteRow primary key must not carry attribute columns.');
  checkPrimaryKey(def, row.primaryKey, 'exact');
  const nowMs = ctx.now().getTime();
  const key = encodeKey(def, row.primaryKey);
  const current = ctx.store.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'delete');
  const type = rc?.return_type ?? ReturnType.RT_NONE;
  return {
    key,
    writes: current ? [{ space: table.space, key }] : [],
    writeCu: capacityUnits(rowBytes(row.primaryKey, [])),
    returnRow: type === ReturnType.RT_PK ? encodeRow({ primaryKey: row.primaryKey, attributes: [] }) : undefined,
  };
}

function writeResponse(p: Planned): Uint8Array {
  const res: WriteRowResponse = { consumed: consumed(0, p.writeCu) };
  if (p.returnRow) res.row = p.returnRow;
  return encodeMessage<WriteRowResponse>('PutRowResponse', res);
}

/** A single-row write API: decode, authorize on the table, plan the change, write it, answer. */
function singleRowWrite<Req extends { table_name: string }>(
  api: 'PutRow' | 'UpdateRow' | 'DeleteRow',
  plan: (ctx: HandlerContext, table: WideTable, req: Req) => Planned,
): ApiHandler {
  return async (ctx, body) => {
    const req = decodeMessage<Req>(`${api}Request`, body);
    ctx.authorize(`ots:${api}`, [req.table_name]);
    const table = requireWideTable(ctx, req.table_name, { indexes: true });
    if (table.indexOf) throw indexErrors.readOnly(table.name);
    const planned = plan(ctx, table, req);
    await ctx.store.write(planned.writes);
    return writeResponse(planned);
  };
}

const putRow = singleRowWrite<PutRowRequest>('PutRow', (ctx, table, req) => planPut(ctx, table, req.row, req.condition, req.return_content, new Map()));
const updateRow = singleRowWrite<UpdateRowRequest>('UpdateRow', (ctx, table, req) => planUpdate(ctx, table, req.row_change, req.condition, req.return_content));
const deleteRow = singleRowWrite<DeleteRowRequest>('DeleteRow', (ctx, table, req) => planDelete(ctx, table, req.primary_key, req.condition, req.return_content));

const batchWriteRow: ApiHandler = async (ctx, body) => {
  if (body.length > BATCH_WRITE_MAX_BYTES) throw errors.parameterInvalid(`BatchWriteRow request exceeds ${BATCH_WRITE_MAX_BYTES} bytes.`);
  const req = decodeMessage<BatchWriteRowRequest>('BatchWriteRowRequest', body);
  if (req.tables.length === 0) throw errors.parameterInvalid('BatchWriteRow needs at least one table.');
  const names = req.tables.map((t) => t.table_name);
  if (new Set(names).size !== names.length) throw errors.parameterInvalid('BatchWriteRow lists a table more than once.');
  const total = req.tables.reduce((n, t) => n + t.rows.length, 0);
  if (total > BATCH_WRITE_MAX_ROWS) throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${total} > ${BATCH_WRITE_MAX_ROWS}.`);
  if (total === 0) throw errors.parameterInvalid('BatchWriteRow needs at least one row.');
  ctx.authorize('ots:BatchWriteRow', names);

  // Rows are independent (a primary key may appear once per table), so all are checked against the state
  // before the batch and their writes are committed together in one atomic, durable store write.
  const writes: KvWrite[] = [];
  const auto: AutoIncState = new Map();
  const tables = req.tables.map((t) => {
    const table = findWideTable(ctx, t.table_name, { indexes: true });
    const rows: RowInBatchWriteRowResponse[] = [];
    const seen = new Set<string>();
    for (const r of t.rows) {
      if (!table || table.indexOf) {
        const err = table ? indexErrors.readOnly(table.name) : errors.tableNotExist();
        rows.push({ is_ok: false, error: { code: err.code, message: err.message } });
        continue;
      }
      try {
        let planned: Planned;
        if (r.type === OperationType.PUT) planned = planPut(ctx, table, r.row_change, r.condition, r.return_content, auto);
        else if (r.type === OperationType.UPDATE) planned = planUpdate(ctx, table, r.row_change, r.condition, r.return_content);
        else if (r.type === OperationType.DELETE) planned = planDelete(ctx, table, r.row_change, r.condition, r.return_content);
        else throw errors.parameterInvalid(`Invalid operation type: ${r.type}.`);
        const id = planned.key.toString('latin1');
        if (seen.has(id)) throw errors.parameterInvalid('The same row appears more than once in BatchWriteRow.');
        seen.add(id);
        writes.push(...planned.writes);
        const res: RowInBatchWriteRowResponse = { is_ok: true, consumed: consumed(0, planned.writeCu) };
        if (planned.returnRow) res.row = planned.returnRow;
        rows.push(res);
      } catch (err) {
        rows.push({ is_ok: false, error: rowError(err) });
      }
    }
    return { table_name: t.table_name, rows };
  });
  await ctx.store.write(writes);
  return encodeMessage<BatchWriteRowResponse>('BatchWriteRowResponse', { tables });
};

export const rowHandlers: Record<string, ApiHandler> = {
  GetRow: getRow,
  PutRow: putRow,
  UpdateRow: updateRow,
  DeleteRow: deleteRow,
  GetRange: getRange,
  BatchGetRow: batchGetRow,
  BatchWriteRow: batchWriteRow,
};
