/** PutRow, UpdateRow, DeleteRow, BatchWriteRow. */
import {
  AUTO_INCREMENT,
  CellOp,
  decodeRow,
  encodeRow,
  type AttributeCell,
  type PrimaryKeyCell,
  type PrimaryKeyValue,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  OperationType,
  ReturnType,
  RowExistence,
  decodeMessage,
  encodeMessage,
  type Condition,
  type ErrorMessage,
  type ReturnContent,
  type RowInBatchWriteRowResponse,
  type WideMessages,
  type WriteRowResponse,
} from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler, ApiHandlers, HandlerContext } from '../context';
import type { KvStore, KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import { requireTableOrIndex, findTableOrIndex } from '../../indexes/lookup';
import { indexErrors } from '../../indexes/definition';
import { encodeKey } from './keys';
import { decodeStoredRow, encodeStoredRow } from './row-codec';
import { capacityUnits, consumed, rowBytes, rowFailure } from './capacity';
import { applyPut, applyUpdate, checkCondition, liveRow, validateCells } from './rows';
import { AUTOINC_SPACE, checkPrimaryKey, type WideTable } from './table';

const BATCH_WRITE_MAX_ROWS = 200;
const BATCH_WRITE_MAX_BYTES = 4 * 1024 * 1024;

interface Planned {
  /** Encoded primary key of the row the operation addresses. */
  readonly key: Buffer;
  readonly writes: KvWrite[];
  readonly readCu: number;
  readonly writeCu: number;
  readonly returnRow: Uint8Array | undefined;
}

/** Where a plan reads the current row: the store, or the store plus the earlier rows of the same batch. */
type RowView = Pick<KvStore, 'get'>;

/**
 * The writes planned so far in one BatchWriteRow: the service applies a batch's rows in order, so a row
 * listed twice sees the first change (docs/protocol.md §8.5). Later writes of a key replace earlier ones.
 */
class PendingWrites implements RowView {
  private readonly byKey = new Map<string, KvWrite>();
  constructor(private readonly base: RowView) {}
  get(space: string, key: Uint8Array): Uint8Array | undefined {
    const w = this.byKey.get(PendingWrites.id(space, key));
    return w ? w.value : this.base.get(space, key);
  }
  add(writes: readonly KvWrite[]): void {
    for (const w of writes) this.byKey.set(PendingWrites.id(w.space, w.key), w);
  }
  list(): KvWrite[] {
    return [...this.byKey.values()];
  }
  private static id(space: string, key: Uint8Array): string {
    return `${space}\0${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
  }
}

/**
 * An atomic BatchWriteRow must stay within one partition key per table; otherwise every row of the table
 * fails with OTSDataOutOfRange naming the first row's partition key and the first one that differs
 * (docs/protocol.md §8.5). Rows whose key cannot be read are left to fail on their own.
 */
function atomicScopeRefusal(rows: readonly { row_change: Uint8Array }[]): ErrorMessage | undefined {
  let atomic: PrimaryKeyValue | undefined;
  for (const r of rows) {
    let partKey: PrimaryKeyValue | undefined;
    try {
      partKey = decodeRow(r.row_change).primaryKey[0]?.value;
    } catch {
      continue;
    }
    if (partKey === undefined) continue;
    if (atomic === undefined) atomic = partKey;
    else if (!samePartKey(atomic, partKey)) {
      const err = errors.atomicScope(partKeyText(atomic), partKeyText(partKey));
      return { code: err.code, message: err.message };
    }
  }
  return undefined;
}

function samePartKey(a: PrimaryKeyValue, b: PrimaryKeyValue): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return typeof a === typeof b && a === b;
}

function partKeyText(v: PrimaryKeyValue): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v);
}

/**
 * A conditional write (row existence other than IGNORE, or a column condition) reads the row first and
 * consumes read CU for its primary key: max(1, ceil(PK bytes / 4 KB)) (docs/protocol.md §8.7).
 */
function conditionReadCu(condition: Condition, pk: readonly PrimaryKeyCell[]): number {
  const conditional = condition.row_existence !== RowExistence.IGNORE || (condition.column_condition?.length ?? 0) > 0;
  return conditional ? capacityUnits(rowBytes(pk, [])) : 0;
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
      if (names.has(c.name) && c.versions.length > 0)
        attributes.push({ name: c.name, value: c.versions[0].value, timestamp: c.versions[0].ts });
    }
    return encodeRow({ primaryKey: pk, attributes });
  }
  throw errors.parameterInvalid(`Invalid return_type: ${type}.`);
}

function planPut(
  ctx: HandlerContext,
  view: RowView,
  table: WideTable,
  rowBytesIn: Uint8Array,
  condition: Condition,
  rc: ReturnContent | undefined,
  auto: AutoIncState,
): Planned {
  const { def } = table;
  const row = decodeRow(rowBytesIn);
  if (row.deleteMarker) throw errors.parameterInvalid('A PutRow row must not carry the delete marker.');
  checkPrimaryKey(def, row.primaryKey, 'put');
  const nowMs = ctx.now().getTime();
  validateCells(def, row.attributes, 'put', nowMs);
  const writes: KvWrite[] = [];
  const pk: PrimaryKeyCell[] = row.primaryKey.map((c) =>
    c.value === AUTO_INCREMENT ? { name: c.name, value: nextAutoIncrement(ctx, table, auto, writes) } : c,
  );
  const key = encodeKey(def, pk);
  const current = view.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'put');
  const stored = applyPut(def, row.attributes, nowMs);
  writes.push({ space: table.space, key, value: encodeStoredRow(stored) });
  return {
    key,
    writes,
    readCu: conditionReadCu(condition, pk),
    writeCu: capacityUnits(rowBytes(pk, row.attributes)),
    returnRow: returnContent(
      rc,
      pk,
      liveRow(def, stored, nowMs),
      row.attributes.map((a) => a.name),
    ),
  };
}

function planUpdate(
  ctx: HandlerContext,
  view: RowView,
  table: WideTable,
  rowBytesIn: Uint8Array,
  condition: Condition,
  rc: ReturnContent | undefined,
): Planned {
  const { def } = table;
  if (!def.options.allowUpdate)
    throw errors.parameterInvalid('UpdateRow is not allowed on this table (allow_update is false).');
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
  const current = view.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'update');
  const stored = applyUpdate(def, live, cells, nowMs);
  const writes: KvWrite[] = stored ? [{ space: table.space, key, value: encodeStoredRow(stored) }] : [];
  return {
    key,
    writes,
    readCu: conditionReadCu(condition, row.primaryKey),
    writeCu: capacityUnits(rowBytes(row.primaryKey, row.attributes)),
    returnRow: returnContent(
      rc,
      row.primaryKey,
      stored ? liveRow(def, stored, nowMs) : undefined,
      row.attributes.map((a) => a.name),
    ),
  };
}

function planDelete(
  ctx: HandlerContext,
  view: RowView,
  table: WideTable,
  pkBytes: Uint8Array,
  condition: Condition,
  rc: ReturnContent | undefined,
): Planned {
  const { def } = table;
  const row = decodeRow(pkBytes);
  if (row.attributes.length > 0)
    throw errors.parameterInvalid('A DeleteRow primary key must not carry attribute columns.');
  checkPrimaryKey(def, row.primaryKey, 'exact');
  const nowMs = ctx.now().getTime();
  const key = encodeKey(def, row.primaryKey);
  const current = view.get(table.space, key);
  const live = liveRow(def, current ? decodeStoredRow(current) : undefined, nowMs);
  checkCondition(condition, live, 'delete');
  const type = rc?.return_type ?? ReturnType.RT_NONE;
  return {
    key,
    writes: current ? [{ space: table.space, key }] : [],
    readCu: conditionReadCu(condition, row.primaryKey),
    writeCu: capacityUnits(rowBytes(row.primaryKey, [])),
    returnRow: type === ReturnType.RT_PK ? encodeRow({ primaryKey: row.primaryKey, attributes: [] }) : undefined,
  };
}

function writeResponse(p: Planned): Uint8Array {
  const res: WriteRowResponse = { consumed: consumed(p.readCu, p.writeCu) };
  if (p.returnRow) res.row = p.returnRow;
  return encodeMessage('PutRowResponse', res);
}

/** A single-row write API: decode, authorize on the table, plan the change, write it, answer. */
function singleRowWrite<Api extends 'PutRow' | 'UpdateRow' | 'DeleteRow'>(
  api: Api,
  plan: (ctx: HandlerContext, table: WideTable, req: WideMessages[`${Api}Request`]) => Planned,
): ApiHandler {
  return async (ctx, body) => {
    const req = decodeMessage(`${api}Request`, body);
    ctx.authorize(`ots:${api}`, [req.table_name]);
    const table = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
    if (table.indexOf) throw indexErrors.readOnly(table.name);
    const planned = plan(ctx, table, req);
    await ctx.store.write(planned.writes);
    return writeResponse(planned);
  };
}

const putRow = singleRowWrite('PutRow', (ctx, table, req) =>
  planPut(ctx, ctx.store, table, req.row, req.condition, req.return_content, new Map()),
);
const updateRow = singleRowWrite('UpdateRow', (ctx, table, req) =>
  planUpdate(ctx, ctx.store, table, req.row_change, req.condition, req.return_content),
);
const deleteRow = singleRowWrite('DeleteRow', (ctx, table, req) =>
  planDelete(ctx, ctx.store, table, req.primary_key, req.condition, req.return_content),
);

const batchWriteRow: ApiHandler = async (ctx, body) => {
  if (body.length > BATCH_WRITE_MAX_BYTES)
    throw errors.parameterInvalid(`BatchWriteRow request exceeds ${BATCH_WRITE_MAX_BYTES} bytes.`);
  const req = decodeMessage('BatchWriteRowRequest', body);
  // The service's wording for an empty request and an empty table entry (docs/protocol.md §8.5).
  if (req.tables.length === 0) throw errors.parameterInvalid('No row is specified in BatchWriteRow.');
  for (const t of req.tables) {
    if (t.rows.length === 0) throw errors.parameterInvalid(`No operation is specified for table: '${t.table_name}'.`);
  }
  const total = req.tables.reduce((n, t) => n + t.rows.length, 0);
  if (total > BATCH_WRITE_MAX_ROWS)
    throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${total} > ${BATCH_WRITE_MAX_ROWS}.`);
  ctx.authorize(
    'ots:BatchWriteRow',
    req.tables.map((t) => t.table_name),
  );

  // Rows apply in request order, each seeing the ones before it (a row may be listed more than once); a
  // failed row changes nothing. Every planned change is committed in one atomic, durable store write.
  const pending = new PendingWrites(ctx.store);
  const auto: AutoIncState = new Map();
  const tables = req.tables.map((t) => {
    const table = findTableOrIndex(ctx.catalog, ctx.store, t.table_name);
    if (!table || table.indexOf) {
      const err = table ? indexErrors.readOnly(table.name) : errors.tableNotExist();
      return {
        table_name: t.table_name,
        rows: t.rows.map(() => ({ is_ok: false, error: { code: err.code, message: err.message } })),
      };
    }
    if (req.is_atomic) {
      const refusal = atomicScopeRefusal(t.rows);
      if (refusal) return { table_name: t.table_name, rows: t.rows.map(() => ({ is_ok: false, error: refusal })) };
    }
    // An atomic table's rows are planned apart and kept only if every one of them succeeds.
    const target = req.is_atomic ? new PendingWrites(pending) : pending;
    const rows: RowInBatchWriteRowResponse[] = [];
    let firstFailure: ErrorMessage | undefined;
    for (const r of t.rows) {
      try {
        let planned: Planned;
        if (r.type === OperationType.PUT)
          planned = planPut(ctx, target, table, r.row_change, r.condition, r.return_content, auto);
        else if (r.type === OperationType.UPDATE)
          planned = planUpdate(ctx, target, table, r.row_change, r.condition, r.return_content);
        else if (r.type === OperationType.DELETE)
          planned = planDelete(ctx, target, table, r.row_change, r.condition, r.return_content);
        else throw errors.parameterInvalid(`Invalid operation type: ${r.type}.`);
        target.add(planned.writes);
        const res: RowInBatchWriteRowResponse = { is_ok: true, consumed: consumed(planned.readCu, planned.writeCu) };
        if (planned.returnRow) res.row = planned.returnRow;
        rows.push(res);
      } catch (err) {
        const error = rowFailure(err);
        firstFailure ??= error;
        rows.push({ is_ok: false, error });
      }
    }
    if (!req.is_atomic) return { table_name: t.table_name, rows };
    if (firstFailure) {
      const failure = firstFailure;
      return { table_name: t.table_name, rows: rows.map((r) => (r.is_ok ? { is_ok: false, error: failure } : r)) };
    }
    pending.add(target.list());
    return { table_name: t.table_name, rows };
  });
  await ctx.store.write(pending.list());
  return encodeMessage('BatchWriteRowResponse', { tables });
};

export const writeHandlers: ApiHandlers = {
  PutRow: putRow,
  UpdateRow: updateRow,
  DeleteRow: deleteRow,
  BatchWriteRow: batchWriteRow,
};
