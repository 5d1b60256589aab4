/**
 * Wide-table definitions, name rules, primary-key validation and the order-preserving key encoding.
 *
 * Key encoding (bytewise order = Tablestore PK order, column by column):
 *   INTEGER  8 bytes big-endian with the sign bit flipped (numeric order);
 *   STRING   UTF-8 bytes, BINARY raw bytes, each with 0x00 escaped as 0x00 0xFF and terminated by 0x00 0x01,
 *            so a shorter value sorts before its extensions and no key is a prefix of another key.
 * INF_MIN / INF_MAX in a bound at position i stand for "every key with the preceding columns" from below /
 * above: the bound is the encoded prefix itself, or the prefix's successor (see `boundKey`).
 */
import {
  AUTO_INCREMENT,
  INF_MAX,
  INF_MIN,
  valueTypeName,
  type PrimaryKeyCell,
  type PrimaryKeyValue,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import { errors } from '../../errors';

export const PkType = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;
export type PkType = (typeof PkType)[keyof typeof PkType];

export interface PkColumn {
  readonly name: string;
  readonly type: PkType;
  readonly autoIncrement?: boolean;
}

export interface WideTableDefinition {
  readonly primaryKey: readonly PkColumn[];
  readonly definedColumns: readonly { readonly name: string; readonly type: number }[];
  readonly options: {
    /** Seconds; -1 = keep forever. */
    readonly timeToLive: number;
    readonly maxVersions: number;
    readonly deviationCellVersionInSec: number;
    readonly allowUpdate: boolean;
  };
  readonly reservedThroughput: { readonly read: number; readonly write: number; readonly lastIncreaseTime: number; readonly lastDecreaseTime?: number };
  readonly stream?: { readonly enabled: boolean; readonly expirationTime?: number; readonly lastEnableTime?: number };
}

export const MAX_PK_COLUMNS = 4;
export const MAX_PK_VALUE_BYTES = 1024;
export const MAX_ATTR_VALUE_BYTES = 2 * 1024 * 1024;
export const MAX_COLUMNS_PER_WRITE = 1024;
export const MAX_COLUMNS_TO_GET = 128;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateTableName(name: string): void {
  if (!NAME_RE.test(name) || Buffer.byteLength(name) > 255) {
    throw errors.parameterInvalid(
      `Invalid table name: '${name}'. A table name must be 1 to 255 characters of letters, digits and underscores and must not start with a digit.`,
    );
  }
}

export function validateColumnName(name: string, what = 'column'): void {
  if (!NAME_RE.test(name) || Buffer.byteLength(name) > 255) {
    throw errors.parameterInvalid(
      `Invalid ${what} name: '${name}'. A column name must be 1 to 255 characters of letters, digits and underscores and must not start with a digit.`,
    );
  }
}

const PK_TYPE_NAMES: Record<number, string> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };

function matchesType(type: PkType, value: PrimaryKeyValue): boolean {
  if (type === PkType.INTEGER) return typeof value === 'bigint';
  if (type === PkType.STRING) return typeof value === 'string';
  return value instanceof Uint8Array;
}

export type PkMode = 'exact' | 'put' | 'bound';

/**
 * Checks a request primary key against the schema: same count, names in schema order, matching types,
 * size limits; INF_MIN/INF_MAX only in range bounds, AUTO_INCREMENT only on the auto-increment column of a put.
 */
export function checkPrimaryKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[], mode: PkMode): void {
  const schema = def.primaryKey;
  if (cells.length !== schema.length) {
    throw errors.parameterInvalid(`Validate PK size fail. Input: ${cells.length}, Meta: ${schema.length}.`);
  }
  for (let i = 0; i < schema.length; i++) {
    const col = schema[i];
    const cell = cells[i];
    if (cell.name !== col.name) throw errors.parameterInvalid(`Validate PK name fail. Input: ${cell.name}, Meta: ${col.name}.`);
    const v = cell.value;
    if (v === INF_MIN || v === INF_MAX) {
      if (mode !== 'bound') throw errors.parameterInvalid(`INF_MIN and INF_MAX are only allowed in range bounds (column ${col.name}).`);
      continue;
    }
    if (v === AUTO_INCREMENT) {
      if (mode !== 'put' || !col.autoIncrement) {
        throw errors.parameterInvalid(`AUTO_INCREMENT is only allowed when putting a row, on an auto-increment column (column ${col.name}).`);
      }
      continue;
    }
    if (!matchesType(col.type, v)) {
      throw errors.parameterInvalid(`Validate PK type fail. Input: ${valueTypeName(v)}, Meta: ${PK_TYPE_NAMES[col.type]} (column ${col.name}).`);
    }
    const size = typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : 8;
    if (size > MAX_PK_VALUE_BYTES) {
      throw errors.parameterInvalid(`The length of primary key column ${col.name} exceeds the limit of ${MAX_PK_VALUE_BYTES} bytes.`);
    }
  }
}

// -------------------------------------------------------------------------------------------- key codec

const SIGN = 0x8000000000000000n;

function writeEscaped(out: number[], bytes: Uint8Array): void {
  for (const b of bytes) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  out.push(0x00, 0x01);
}

function pushValue(out: number[], type: PkType, value: PrimaryKeyValue): void {
  if (type === PkType.INTEGER) {
    const u = BigInt.asUintN(64, value as bigint) ^ SIGN;
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((u >> shift) & 0xffn));
  } else if (type === PkType.STRING) {
    writeEscaped(out, Buffer.from(value as string, 'utf8'));
  } else {
    writeEscaped(out, value as Uint8Array);
  }
}

/** Encodes a complete, validated primary key (no markers). */
export function encodeKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[]): Buffer {
  const out: number[] = [];
  for (let i = 0; i < def.primaryKey.length; i++) pushValue(out, def.primaryKey[i].type, cells[i].value);
  return Buffer.from(out);
}

/** Smallest byte string greater than every string starting with `prefix`; undefined = +infinity. */
function successor(prefix: number[]): Buffer | undefined {
  const out = prefix.slice();
  while (out.length > 0 && out[out.length - 1] === 0xff) out.pop();
  if (out.length === 0) return undefined;
  out[out.length - 1]++;
  return Buffer.from(out);
}

export type Bound = { readonly kind: 'exact'; readonly key: Buffer } | { readonly kind: 'inf'; readonly key: Buffer | undefined };

/** Byte bound of a range key: exact key, or for the first INF marker the prefix (INF_MIN) or its successor (INF_MAX; undefined = +inf). */
export function boundKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[]): Bound {
  const out: number[] = [];
  for (let i = 0; i < def.primaryKey.length; i++) {
    const v = cells[i].value;
    if (v === INF_MIN) return { kind: 'inf', key: Buffer.from(out) };
    if (v === INF_MAX) return { kind: 'inf', key: successor(out) };
    pushValue(out, def.primaryKey[i].type, v);
  }
  return { kind: 'exact', key: Buffer.from(out) };
}

/** Decodes a stored key back into primary-key cells. */
export function decodeKey(def: WideTableDefinition, key: Uint8Array): PrimaryKeyCell[] {
  const cells: PrimaryKeyCell[] = [];
  let pos = 0;
  for (const col of def.primaryKey) {
    if (col.type === PkType.INTEGER) {
      let u = 0n;
      for (let i = 0; i < 8; i++) u = (u << 8n) | BigInt(key[pos + i]);
      pos += 8;
      cells.push({ name: col.name, value: BigInt.asIntN(64, u ^ SIGN) });
    } else {
      const bytes: number[] = [];
      for (;;) {
        const b = key[pos++];
        if (b === 0) {
          const next = key[pos++];
          if (next === 0x01) break;
          bytes.push(0);
        } else {
          bytes.push(b);
        }
      }
      const buf = Buffer.from(bytes);
      cells.push({ name: col.name, value: col.type === PkType.STRING ? buf.toString('utf8') : new Uint8Array(buf) });
    }
  }
  return cells;
}

/** Logical comparison of two range keys with INF semantics (used to validate range direction). */
export function compareBoundKeys(def: WideTableDefinition, a: readonly PrimaryKeyCell[], b: readonly PrimaryKeyCell[]): number {
  for (let i = 0; i < def.primaryKey.length; i++) {
    const x = a[i].value;
    const y = b[i].value;
    const rank = (v: PrimaryKeyValue) => (v === INF_MIN ? -1 : v === INF_MAX ? 1 : 0);
    const rx = rank(x);
    const ry = rank(y);
    if (rx !== 0 || ry !== 0) {
      if (rx !== ry) return rx - ry;
      return 0;
    }
    const ex: number[] = [];
    const ey: number[] = [];
    pushValue(ex, def.primaryKey[i].type, x);
    pushValue(ey, def.primaryKey[i].type, y);
    const c = Buffer.compare(Buffer.from(ex), Buffer.from(ey));
    if (c !== 0) return c;
  }
  return 0;
}
