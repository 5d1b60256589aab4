/**
 * The order-preserving key encoding of wide-table rows (the KvStore key of a row); bytewise order of encoded
 * keys = Tablestore primary-key order, column by column:
 *   INTEGER  8 bytes big-endian with the sign bit flipped (numeric order);
 *   STRING   UTF-8 bytes, BINARY raw bytes, each with 0x00 escaped as 0x00 0xFF and terminated by 0x00 0x01,
 *            so a shorter value sorts before its extensions and no key is a prefix of another key.
 * INF_MIN / INF_MAX in a bound at position i stand for "every key with the preceding columns" from below /
 * above: the bound is the encoded prefix itself, or the prefix's successor (see `boundKey`).
 */
import {
  INF_MAX,
  INF_MIN,
  type PrimaryKeyCell,
  type PrimaryKeyValue,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import { PkType, type WideTableDefinition } from './table';

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
  const parts = new Array<Uint8Array | undefined>(count);
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

/**
 * The encoded partition key (first column, a concrete value): the first bytes of every row key of that
 * partition and of no other row key, since each encoded column is self-delimiting.
 */
export function encodePartitionKey(def: WideTableDefinition, cell: PrimaryKeyCell): Buffer {
  return encodePrefix(def, [cell], 1);
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

export type Bound =
  { readonly kind: 'exact'; readonly key: Buffer } | { readonly kind: 'inf'; readonly key: Buffer | undefined };

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
      cells.push({
        name: col.name,
        value: col.type === PkType.STRING ? bytesOut.toString('utf8') : new Uint8Array(bytesOut),
      });
    }
  }
  return cells;
}

/** Logical comparison of two range keys with INF semantics (used to validate range direction). */
export function compareBoundKeys(
  def: WideTableDefinition,
  a: readonly PrimaryKeyCell[],
  b: readonly PrimaryKeyCell[],
): number {
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
    const c = Buffer.compare(
      encodePrefix({ ...def, primaryKey: col }, [a[i]], 1),
      encodePrefix({ ...def, primaryKey: col }, [b[i]], 1),
    );
    if (c !== 0) return c;
  }
  return 0;
}

/** Whether two partition key values are equal. */
export function samePartKey(a: PrimaryKeyValue, b: PrimaryKeyValue): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return typeof a === typeof b && a === b;
}

/** A partition key value as the service's scope errors show it (docs/protocol.md §8.5, §8.8). */
export function partKeyText(v: PrimaryKeyValue): string {
  if (v === INF_MIN) return 'INF_MIN';
  if (v === INF_MAX) return 'INF_MAX';
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v);
}
