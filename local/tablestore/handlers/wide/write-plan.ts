/**
 * Planning one row change of PutRow, UpdateRow, DeleteRow or a BatchWriteRow row: validate it against the
 * table, read the current row through a view, check the condition and compute the store writes, the capacity
 * units and the row to return. Nothing is written here: the caller sends the writes to the store or to a local
 * transaction.
 */
import {
  AUTO_INCREMENT,
  CellOp,
  decodeRow,
  encodeRow,
  type AttributeCell,
  type PrimaryKeyCell,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  ReturnType,
  RowExistence,
  type Condition,
  type ReturnContent,
} from '../../../../lib/tablestore/protocol/proto/wide';
import type { HandlerContext } from '../context';
import type { KvStore, KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import { encodeKey } from './keys';
import { decodeStoredRow, encodeStoredRow } from './row-codec';
import { capacityUnits, rowBytes } from './capacity';
import { liveRow } from './rows';
import { applyPut, applyUpdate, checkCondition, validateCells } from './row-writes';
import { AUTOINC_SPACE, checkPrimaryKey, type WideTable } from './table';

export interface Planned {
  /** Encoded primary key of the row the operation addresses. */
  readonly key: Buffer;
  readonly writes: KvWrite[];
  readonly readCu: number;
  readonly writeCu: number;
  readonly returnRow: Uint8Array | undefined;
}

/** Where a plan reads the current row: the store, or the store plus the earlier rows of the same batch. */
export type RowView = Pick<KvStore, 'get'>;

/**
 * A conditional write (row existence other than IGNORE, or a column condition) reads the row first and
 * consumes read CU for its primary key: max(1, ceil(PK bytes / 4 KB)) (docs/protocol.md §8.7).
 */
function conditionReadCu(condition: Condition, pk: readonly PrimaryKeyCell[]): number {
  const conditional = condition.row_existence !== RowExistence.IGNORE || (condition.column_condition?.length ?? 0) > 0;
  return conditional ? capacityUnits(rowBytes(pk, [])) : 0;
}

/** Per-request auto-increment state, so several puts in one batch get distinct, increasing values. */
export type AutoIncState = Map<string, bigint>;

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

export function planPut(
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

export function planUpdate(
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

export function planDelete(
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
