/**
 * Values of the wide-table client, in and out.
 *
 * Out: INTEGER is a `number` when |value| ≤ 2^53 − 1 and a `bigint` beyond; DOUBLE a `number`; BINARY a
 * `Uint8Array`; STRING and BOOLEAN as themselves. In: a `bigint`, or a `number` that is an integer, writes
 * an INTEGER; any other `number` a DOUBLE; `double(x)` forces DOUBLE for integral values (a value read from
 * a DOUBLE column and written back keeps its type only through `double`).
 */
import {
  AUTO_INCREMENT,
  INF_MAX,
  INF_MIN,
  type AutoIncrement,
  type ColumnValue,
  type InfMax,
  type InfMin,
  type PrimaryKeyValue,
} from './protocol/plainbuffer';

export { AUTO_INCREMENT, INF_MAX, INF_MIN };

/** A DOUBLE written explicitly (see `double`). */
export class DoubleValue {
  constructor(readonly value: number) {}
}

/** Writes `value` as a DOUBLE even when it is integral. */
export const double = (value: number): DoubleValue => new DoubleValue(value);

/** A cell or primary-key value as the client returns it. */
export type CellValue = number | bigint | string | boolean | Uint8Array;
export type PrimaryKeyCellValue = number | bigint | string | Uint8Array;
/** A cell value as the client takes it. */
export type ColumnInput = CellValue | DoubleValue;
/** A primary-key value as the client takes it (markers for range bounds and auto-increment columns). */
export type PrimaryKeyInputValue = PrimaryKeyCellValue | InfMin | InfMax | AutoIncrement;

/** `{ column: value }` in schema order. Column names start with a letter or `_`, so the order is kept. */
export type PrimaryKeyInput = Readonly<Record<string, PrimaryKeyInputValue>>;
export type PrimaryKey = Record<string, PrimaryKeyCellValue>;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function int64(value: bigint, where: string): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${where}: ${value} is outside the int64 range`);
  return value;
}

/** Client input → the PlainBuffer writer's typed value (bigint = INTEGER, number = DOUBLE). */
export function toColumnValue(value: ColumnInput, where: string): ColumnValue {
  switch (typeof value) {
    case 'number':
      if (Number.isInteger(value)) {
        if (!Number.isSafeInteger(value))
          throw new RangeError(`${where}: ${value} is not a safe integer; pass a bigint (or double(x) for a DOUBLE)`);
        return BigInt(value);
      }
      return value;
    case 'bigint':
      return int64(value, where);
    case 'string':
    case 'boolean':
      return value;
    default:
      if (value instanceof Uint8Array) return value;
      if (value instanceof DoubleValue) return value.value;
      throw new TypeError(`${where}: unsupported value type`);
  }
}

export function toPrimaryKeyValue(value: PrimaryKeyInputValue, where: string): PrimaryKeyValue {
  if (value === INF_MIN || value === INF_MAX || value === AUTO_INCREMENT) return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${where}: ${value} is not a safe integer; pass a bigint`);
    return BigInt(value);
  }
  if (typeof value === 'bigint') return int64(value, where);
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw new TypeError(`${where}: unsupported primary key value type`);
}

/** A primary-key column's type, and its wire code in PrimaryKeySchema (wide and time series alike). */
export type PrimaryKeyType = 'INTEGER' | 'STRING' | 'BINARY';
export const PK_TYPE_CODE: Readonly<Record<PrimaryKeyType, number>> = { INTEGER: 1, STRING: 2, BINARY: 3 };
export const PK_TYPE_NAME: Readonly<Record<number, PrimaryKeyType>> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };
