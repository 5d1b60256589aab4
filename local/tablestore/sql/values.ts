/**
 * Values and types of the SQL engine. A value is what a cell holds after mapping: INTEGER → bigint (int64,
 * lossless), DOUBLE → number, BOOLEAN → boolean, STRING → string, BINARY → Uint8Array, NULL → null.
 * Datetime results of the date/time functions are strings 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC), whose
 * string order is time order (see docs/protocol-sql.md §6).
 */
import { errors } from '../errors';

export type SqlValue = bigint | number | boolean | string | Uint8Array | null;

/** Column types on the wire (sql.fbs DataType), STRING_RLE being an encoding of STRING. */
export const SqlType = { LONG: 1, BOOLEAN: 2, DOUBLE: 3, STRING: 4, BINARY: 5 } as const;
export type SqlType = (typeof SqlType)[keyof typeof SqlType];

export function typeOfValue(v: Exclude<SqlValue, null>): SqlType {
  switch (typeof v) {
    case 'bigint':
      return SqlType.LONG;
    case 'number':
      return SqlType.DOUBLE;
    case 'boolean':
      return SqlType.BOOLEAN;
    case 'string':
      return SqlType.STRING;
    default:
      return SqlType.BINARY;
  }
}

const TYPE_NAMES: Record<SqlType, string> = { 1: 'BIGINT', 2: 'BOOL', 3: 'DOUBLE', 4: 'VARCHAR', 5: 'VARBINARY' };

export function typeName(t: SqlType): string {
  return TYPE_NAMES[t];
}

export function describeValue(v: SqlValue): string {
  return v === null ? 'NULL' : typeName(typeOfValue(v));
}

/** The SQL error every client mistake becomes (the service answers SQL errors with OTSParameterInvalid). */
export function sqlError(message: string): Error {
  return errors.parameterInvalid(message);
}

function isNumeric(v: SqlValue): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** UTF-8 byte order (the order of Tablestore STRING primary keys), not UTF-16 code-unit order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // Below U+D800 (no surrogates) UTF-16 order equals UTF-8 byte order; fall back to bytes otherwise.
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x < 0xd800 && y < 0xd800) return x - y;
      return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    }
  }
  return a.length - b.length;
}

/**
 * Three-way comparison of two non-null values of comparable types: numbers with numbers (bigint and double
 * mixed exactly), strings with strings, booleans with booleans, binaries with binaries. Anything else is a
 * type mismatch.
 */
export function compareValues(a: Exclude<SqlValue, null>, b: Exclude<SqlValue, null>): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (isNumeric(a) && isNumeric(b)) return compareMixed(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  throw sqlError(`Type mismatch: cannot compare ${describeValue(a)} with ${describeValue(b)}.`);
}

function compareMixed(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'number' && Number.isNaN(a)) return typeof b === 'number' && Number.isNaN(b) ? 0 : -1;
  if (typeof b === 'number' && Number.isNaN(b)) return 1;
  if (typeof a === 'bigint' && typeof b === 'number') return -compareMixed(b, a);
  const x = a as number;
  if (typeof b === 'number') return x < b ? -1 : x > b ? 1 : 0;
  // double vs bigint without losing precision: compare integer parts exactly, then the fraction.
  if (!Number.isFinite(x)) return x < 0 ? -1 : 1;
  const whole = BigInt(Math.trunc(x));
  if (whole !== b) return whole < b ? -1 : 1;
  const frac = x - Math.trunc(x);
  return frac > 0 ? 1 : frac < 0 ? -1 : 0;
}

/** Order for ORDER BY / MIN / MAX: NULL first, then by value. */
export function compareNullable(a: SqlValue, b: SqlValue): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  return compareValues(a, b);
}

/** Key of a value for grouping and DISTINCT (type-tagged so 1 and '1' differ; 1 and 1.0 are one group). */
export function valueKey(v: SqlValue): string {
  if (v === null) return 'n';
  switch (typeof v) {
    case 'bigint':
      return `i${v}`;
    case 'number':
      return Number.isInteger(v) && Number.isSafeInteger(v) ? `i${v}` : `d${v}`;
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'string':
      return `s${v}`;
    default:
      return `x${Buffer.from(v).toString('hex')}`;
  }
}
