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

function escapedLength(bytes: Uint8Array): number {
  let n = bytes.length + 2;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) n++;
  return n;
}

function writeEscaped(out: Buffer, pos: number, bytes: Uint8Array): number {
  let p = pos;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out[p++] = b;
    if (b === 0) out[p++] = 0xff;
  }
  out[p++] = 0x00;
  out[p++] = 0x01;
  return p;
}

function valueBytes(type: PkType, value: PrimaryKeyValue): Uint8Array | undefined {
  if (type === PkType.INTEGER) return undefined;
  return type === PkType.STRING ? Buffer.from(value as string, 'utf8') : (value as Uint8Array);
}

/** Encodes the first `count` columns (all concrete values) of a key. */
function encodePrefix(def: WideTableDefinition, cells: readonly PrimaryKeyCell[], count: number): Buffer {
  const parts: (Uint8Array | undefined)[] = new Array(count);
  let size = 0;
  for (let i = 0; i < count; i++) {
    const bytes = valueBytes(def.primaryKey[i].type, cells[i].value);
    parts[i] = bytes;
    size += bytes ? escapedLength(bytes) : 8;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const bytes = parts[i];
    if (bytes) {
      pos = writeEscaped(out, pos, bytes);
    } else {
      out.writeBigUInt64BE(BigInt.asUintN(64, cells[i].value as bigint) ^ SIGN, pos);
      pos += 8;
    }
  }
  return out;
}

/** Encodes a complete, validated primary key (no markers). */
export function encodeKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[]): Buffer {
  return encodePrefix(def, cells, def.primaryKey.length);
}

/** Smallest byte string greater than every string starting with `prefix`; undefined = +infinity. */
function successor(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]++;
  return out;
}

export type Bound = { readonly kind: 'exact'; readonly key: Buffer } | { readonly kind: 'inf'; readonly key: Buffer | undefined };

/** Byte bound of a range key: exact key, or for the first INF marker the prefix (INF_MIN) or its successor (INF_MAX; undefined = +inf). */
export function boundKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[]): Bound {
  for (let i = 0; i < def.primaryKey.length; i++) {
    const v = cells[i].value;
    if (v === INF_MIN) return { kind: 'inf', key: encodePrefix(def, cells, i) };
    if (v === INF_MAX) return { kind: 'inf', key: successor(encodePrefix(def, cells, i)) };
  }
  return { kind: 'exact', key: encodeKey(def, cells) };
}

/** Decodes a stored key back into primary-key cells. */
export function decodeKey(def: WideTableDefinition, key: Uint8Array): PrimaryKeyCell[] {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const cells: PrimaryKeyCell[] = [];
  let pos = 0;
  for (const col of def.primaryKey) {
    if (col.type === PkType.INTEGER) {
      const u = buf.readBigUInt64BE(pos);
      pos += 8;
      cells.push({ name: col.name, value: BigInt.asIntN(64, u ^ SIGN) });
    } else {
      let end = pos;
      let zeros = 0;
      while (!(buf[end] === 0 && buf[end + 1] === 0x01)) {
        if (buf[end] === 0) {
          zeros++;
          end += 2;
        } else end++;
      }
      let value: Buffer;
      if (zeros === 0) value = Buffer.from(buf.subarray(pos, end));
      else {
        value = Buffer.allocUnsafe(end - pos - zeros);
        let o = 0;
        for (let i = pos; i < end; i++) {
          value[o++] = buf[i];
          if (buf[i] === 0) i++;
        }
      }
      pos = end + 2;
      const bytesOut = value;
      cells.push({ name: col.name, value: col.type === PkType.STRING ? bytesOut.toString('utf8') : new Uint8Array(bytesOut) });
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
    const col = [def.primaryKey[i]];
    const c = Buffer.compare(encodePrefix({ ...def, primaryKey: col }, [a[i]], 1), encodePrefix({ ...def, primaryKey: col }, [b[i]], 1));
    if (c !== 0) return c;
  }
  return 0;
}
