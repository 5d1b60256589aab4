/** Capacity units of row operations (docs/protocol.md §8.7) and the per-row results of batches. */
import { FormatError } from '../../../../lib/tablestore/protocol/format-error';
import { ErrorCode, TablestoreError } from '../../../../lib/tablestore/protocol/errors';
import type { ColumnValue, PrimaryKeyCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import type { ConsumedCapacity, ErrorMessage } from '../../../../lib/tablestore/protocol/proto/wide';
import { valueSize } from './row-codec';

// -------------------------------------------------------------------------------------- capacity units

const CU_BYTES = 4096;

export const consumed = (read: number, write: number): ConsumedCapacity => ({ capacity_unit: { read, write } });

export function capacityUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / CU_BYTES));
}

export function rowBytes(
  primaryKey: readonly PrimaryKeyCell[],
  attributes: readonly { name: string; value?: ColumnValue }[],
): number {
  let n = 0;
  for (const c of primaryKey) {
    const v = c.value;
    n += c.name.length + (typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : 8);
  }
  for (const a of attributes) n += a.name.length + (a.value === undefined ? 0 : valueSize(a.value));
  return n;
}

// --------------------------------------------------------------------------------------- batch results

/**
 * The per-row error of a batch answer: an OTS error or malformed row bytes fail that row only (as on the
 * service); anything else is a bug and fails the request.
 */
export function rowFailure(err: unknown): ErrorMessage {
  if (err instanceof TablestoreError) return { code: err.code, message: err.message };
  if (err instanceof FormatError) return { code: ErrorCode.ParameterInvalid, message: err.message };
  throw err;
}
