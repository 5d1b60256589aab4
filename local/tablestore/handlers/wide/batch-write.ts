/** BatchWriteRow: rows apply in request order, per row or all-or-nothing per table (`is_atomic`). */
import { decodeRow, type PrimaryKeyValue } from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  OperationType,
  decodeMessage,
  encodeMessage,
  type ErrorMessage,
  type RowInBatchWriteRowResponse,
} from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler } from '../context';
import type { KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import { findTableOrIndex } from '../../indexes/lookup';
import { indexErrors } from '../../indexes/definition';
import { consumed, rowFailure } from './capacity';
import { partKeyText, samePartKey } from './keys';
import { planDelete, planPut, planUpdate, type AutoIncState, type Planned, type RowView } from './write-plan';
import { writeTarget } from './transactions';

const BATCH_WRITE_MAX_ROWS = 200;
const BATCH_WRITE_MAX_BYTES = 4 * 1024 * 1024;

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

export const batchWriteRow: ApiHandler = async (ctx, body) => {
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
  // With a transaction id, rows read and land in the transaction and must stay in its partition (§8.8).
  const destination = writeTarget(ctx, req.transaction_id);
  const pending = new PendingWrites(destination.view);
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
  await destination.apply(pending.list());
  return encodeMessage('BatchWriteRowResponse', { tables });
};
