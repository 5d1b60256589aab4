/**
 * PlainBuffer: the row encoding Tablestore carries inside protobuf `bytes` fields (spec §5).
 *
 * Values are typed by their JavaScript type so encoding is unambiguous: INTEGER = bigint, DOUBLE = number,
 * BOOLEAN = boolean, STRING = string, BINARY = Uint8Array; range bounds and auto-increment placeholders are
 * the INF_MIN / INF_MAX / AUTO_INCREMENT markers. Decoding validates every length and both checksums and
 * throws PlainBufferError on anything malformed, so callers can turn it into a 400 instead of crashing.
 */
import { crc8Byte, crc8Bytes, crc8U32 } from './crc8';

export const INF_MIN: unique symbol = Symbol.for('tablestore.INF_MIN');
export const INF_MAX: unique symbol = Symbol.for('tablestore.INF_MAX');
export const AUTO_INCREMENT: unique symbol = Symbol.for('tablestore.AUTO_INCREMENT');
export type InfMin = typeof INF_MIN;
export type InfMax = typeof INF_MAX;
export type AutoIncrement = typeof AUTO_INCREMENT;

export type ColumnValue = bigint | number | boolean | string | Uint8Array;
export type PrimaryKeyValue = bigint | string | Uint8Array | InfMin | InfMax | AutoIncrement;

/** Cell operations inside UpdateRow / BatchWriteRow row changes. */
export const CellOp = {
  DELETE_ALL_VERSIONS: 1,
  DELETE_ONE_VERSION: 3,
  INCREMENT: 4,
} as const;
export type CellOp = (typeof CellOp)[keyof typeof CellOp];

export interface PrimaryKeyCell {
  readonly name: string;
  readonly value: PrimaryKeyValue;
}

export interface AttributeCell {
  readonly name: string;
  /** Absent for delete operations. */
  readonly value?: ColumnValue;
  /** Cell version in milliseconds. */
  readonly timestamp?: number;
  readonly op?: CellOp;
}

export interface PlainBufferRow {
  readonly primaryKey: readonly PrimaryKeyCell[];
  readonly attributes: readonly AttributeCell[];
  readonly deleteMarker?: boolean;
}

export class PlainBufferError extends Error {
  override readonly name = 'PlainBufferError';
}

export const HEADER = 0x75;
export const TAG = {
  ROW_PK: 0x01,
  ROW_DATA: 0x02,
  CELL: 0x03,
  CELL_NAME: 0x04,
  CELL_VALUE: 0x05,
  CELL_TYPE: 0x06,
  CELL_TIMESTAMP: 0x07,
  DELETE_ROW_MARKER: 0x08,
  ROW_CHECKSUM: 0x09,
  CELL_CHECKSUM: 0x0a,
  EXTENSION: 0x0b,
} as const;
export const VT = {
  INTEGER: 0x00,
  DOUBLE: 0x01,
  BOOLEAN: 0x02,
  STRING: 0x03,
  NULL: 0x06,
  BLOB: 0x07,
  INF_MIN: 0x09,
  INF_MAX: 0x0a,
  AUTO_INCREMENT: 0x0b,
} as const;


// ---------------------------------------------------------------------------------------------- writing

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** u32 UTF-8 length + bytes; returns the offset of the bytes. ASCII is copied directly (the common case). */
  lengthPrefixedString(text: string): number {
    const n = text.length;
    let ascii = n <= 64;
    for (let i = 0; ascii && i < n; i++) if (text.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      this.ensure(4 + n);
      this.buf.writeUInt32LE(n, this.pos);
      const start = this.pos + 4;
      for (let i = 0; i < n; i++) this.buf[start + i] = text.charCodeAt(i);
      this.pos = start + n;
      return start;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    this.ensure(4 + bytes);
    this.buf.writeUInt32LE(bytes, this.pos);
    const start = this.pos + 4;
    this.buf.write(text, start, bytes, 'utf8');
    this.pos = start + bytes;
    return start;
  }
  /** A millisecond timestamp as i64 without BigInt arithmetic (exact for safe integers). */
  timestamp(ms: number): void {
    this.ensure(8);
    const v = Math.trunc(ms);
    const hi = Math.floor(v / 0x100000000);
    this.buf.writeUInt32LE(v - hi * 0x100000000, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

type Encodable = ColumnValue | InfMin | InfMax | AutoIncrement;

/** Writes `vtype payload` and returns the crc folded over them (spec §5.2). */
function writeTypedValue(w: Writer, value: Encodable, crc: number): number {
  let c = crc;
  if (typeof value === 'bigint') {
    w.u8(VT.INTEGER);
    const start = w.pos;
    w.i64(value);
    c = crc8Bytes(crc8Byte(c, VT.INTEGER), w.buf, start, start + 8);
  } else if (typeof value === 'number') {
    w.u8(VT.DOUBLE);
    const start = w.pos;
    w.f64(value);
    c = crc8Bytes(crc8Byte(c, VT.DOUBLE), w.buf, start, start + 8);
  } else if (typeof value === 'boolean') {
    w.u8(VT.BOOLEAN);
    w.u8(value ? 1 : 0);
    c = crc8Byte(crc8Byte(c, VT.BOOLEAN), value ? 1 : 0);
  } else if (typeof value === 'string') {
    w.u8(VT.STRING);
    const lenAt = w.pos;
    w.lengthPrefixedString(value);
    c = crc8Bytes(crc8Byte(c, VT.STRING), w.buf, lenAt, w.pos);
  } else if (value instanceof Uint8Array) {
    w.u8(VT.BLOB);
    w.u32(value.length);
    w.bytes(value);
    c = crc8Bytes(crc8U32(crc8Byte(c, VT.BLOB), value.length), value);
  } else {
    const vt = value === INF_MIN ? VT.INF_MIN : value === INF_MAX ? VT.INF_MAX : VT.AUTO_INCREMENT;
    w.u8(vt);
    c = crc8Byte(c, vt);
  }
  return c;
}

function writeCell(
  w: Writer,
  name: string,
  value: Encodable | undefined,
  timestamp: number | undefined,
  op: number | undefined,
): number {
  w.u8(TAG.CELL);
  w.u8(TAG.CELL_NAME);
  const nameStart = w.lengthPrefixedString(name);
  let crc = crc8Bytes(0, w.buf, nameStart, w.pos);
  if (value !== undefined) {
    w.u8(TAG.CELL_VALUE);
    // The value length is patched in once the value is written (saves measuring strings twice).
    const lenAt = w.pos;
    w.u32(0);
    crc = writeTypedValue(w, value, crc);
    w.buf.writeUInt32LE(w.pos - lenAt - 4, lenAt);
  }
  if (op !== undefined) {
    w.u8(TAG.CELL_TYPE);
    w.u8(op);
  }
  if (timestamp !== undefined) {
    w.u8(TAG.CELL_TIMESTAMP);
    const start = w.pos;
    w.timestamp(timestamp);
    crc = crc8Bytes(crc, w.buf, start, start + 8);
  }
  if (op !== undefined) crc = crc8Byte(crc, op);
  w.u8(TAG.CELL_CHECKSUM);
  w.u8(crc);
  return crc;
}

function writeRow(w: Writer, row: PlainBufferRow): void {
  w.u8(TAG.ROW_PK);
  let rowCrc = 0;
  for (const cell of row.primaryKey) rowCrc = crc8Byte(rowCrc, writeCell(w, cell.name, cell.value, undefined, undefined));
  if (row.attributes.length > 0) {
    w.u8(TAG.ROW_DATA);
    for (const cell of row.attributes) {
      rowCrc = crc8Byte(rowCrc, writeCell(w, cell.name, cell.value, cell.timestamp, cell.op));
    }
  }
  if (row.deleteMarker) w.u8(TAG.DELETE_ROW_MARKER);
  rowCrc = crc8Byte(rowCrc, row.deleteMarker ? 1 : 0);
  w.u8(TAG.ROW_CHECKSUM);
  w.u8(rowCrc);
}

/** Encodes rows into one blob (header + rows). Zero rows still produce the 4-byte header. */
export function encodeRows(rows: readonly PlainBufferRow[]): Uint8Array {
  const w = new Writer(256 + rows.length * 128);
  w.u32(HEADER);
  for (const row of rows) writeRow(w, row);
  return w.result();
}

export function encodeRow(row: PlainBufferRow): Uint8Array {
  return encodeRows([row]);
}

export function encodePrimaryKey(primaryKey: readonly PrimaryKeyCell[], deleteMarker = false): Uint8Array {
  return encodeRows([{ primaryKey, attributes: [], deleteMarker }]);
}

/** A bare `vtype payload` value as used in filters' `column_value` (no header, length or checksum). */
export function encodeColumnValue(value: ColumnValue): Uint8Array {
  const w = new Writer(16);
  writeTypedValue(w, value, 0);
  return w.result();
}

// ---------------------------------------------------------------------------------------------- reading

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new PlainBufferError(`PlainBuffer truncated while reading ${what} at offset ${this.pos}`);
    }
  }
  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos] : -1;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  expect(tag: number, what: string): void {
    const got = this.u8(what);
    if (got !== tag) {
      throw new PlainBufferError(`PlainBuffer expected ${what} tag 0x${tag.toString(16)} at offset ${this.pos - 1}, got 0x${got.toString(16)}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A plain Uint8Array copy (never a Buffer view), so decoded values do not pin the request buffer. */
function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  if (end - start > 64) out.set(bytes.subarray(start, end));
  else for (let i = start; i < end; i++) out[i - start] = bytes[i];
  return out;
}

/** Strict UTF-8 decoding of bytes[start, end), with a fast path for the short ASCII strings most names are. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number, what: string): string {
  if (end - start <= 32) {
    let out = '';
    let i = start;
    for (; i < end; i++) {
      const b = bytes[i];
      if (b > 0x7f) break;
      out += String.fromCharCode(b);
    }
    if (i === end) return out;
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new PlainBufferError(`PlainBuffer ${what} is not valid UTF-8`);
  }
}

interface RawCell {
  name: string;
  value?: Encodable;
  timestamp?: number;
  op?: number;
  crc: number;
}

/** Reads `vtype payload` of exactly `len` bytes; returns the value and the crc folded over it. */
function readTypedValue(r: Reader, len: number, crcIn: number): { value: Encodable; crc: number } {
  const end = r.pos + len;
  r.need(len, 'cell value');
  if (len < 1) throw new PlainBufferError('PlainBuffer cell value is empty');
  const vt = r.u8('value type');
  let crc = crc8Byte(crcIn, vt);
  let value: Encodable;
  switch (vt) {
    case VT.INTEGER: {
      const start = r.pos;
      value = r.i64('INTEGER');
      crc = crc8Bytes(crc, r.buf, start, start + 8);
      break;
    }
    case VT.DOUBLE: {
      const start = r.pos;
      value = r.f64('DOUBLE');
      crc = crc8Bytes(crc, r.buf, start, start + 8);
      break;
    }
    case VT.BOOLEAN: {
      const b = r.u8('BOOLEAN');
      value = b !== 0;
      crc = crc8Byte(crc, b);
      break;
    }
    case VT.STRING:
    case VT.BLOB: {
      const start = r.pos;
      const n = r.u32('value length');
      r.need(n, 'value bytes');
      const dataStart = r.pos;
      r.pos += n;
      crc = crc8Bytes(crc, r.buf, start, r.pos);
      value = vt === VT.STRING ? decodeUtf8(r.buf, dataStart, r.pos, 'STRING value') : copyBytes(r.buf, dataStart, r.pos);
      break;
    }
    case VT.INF_MIN:
      value = INF_MIN;
      break;
    case VT.INF_MAX:
      value = INF_MAX;
      break;
    case VT.AUTO_INCREMENT:
      value = AUTO_INCREMENT;
      break;
    case VT.NULL:
      throw new PlainBufferError('PlainBuffer NULL values are not supported');
    default:
      throw new PlainBufferError(`PlainBuffer unknown value type 0x${vt.toString(16)}`);
  }
  if (r.pos !== end) throw new PlainBufferError('PlainBuffer value length does not match its type');
  return { value, crc };
}

function readCell(r: Reader): RawCell {
  r.expect(TAG.CELL, 'cell');
  r.expect(TAG.CELL_NAME, 'cell name');
  const nameLen = r.u32('cell name length');
  r.need(nameLen, 'cell name');
  const nameStart = r.pos;
  r.pos += nameLen;
  const name = decodeUtf8(r.buf, nameStart, r.pos, 'cell name');
  let crc = crc8Bytes(0, r.buf, nameStart, r.pos);
  const cell: RawCell = { name, crc: 0 };
  if (r.peek() === TAG.CELL_VALUE) {
    r.pos++;
    const len = r.u32('cell value length');
    const v = readTypedValue(r, len, crc);
    cell.value = v.value;
    crc = v.crc;
  }
  if (r.peek() === TAG.CELL_TYPE) {
    r.pos++;
    cell.op = r.u8('cell op');
  }
  if (r.peek() === TAG.CELL_TIMESTAMP) {
    r.pos++;
    const start = r.pos;
    const ts = r.i64('cell timestamp');
    crc = crc8Bytes(crc, r.buf, start, start + 8);
    cell.timestamp = Number(ts);
  }
  if (cell.op !== undefined) crc = crc8Byte(crc, cell.op);
  r.expect(TAG.CELL_CHECKSUM, 'cell checksum');
  const stored = r.u8('cell checksum');
  if (stored !== crc) throw new PlainBufferError(`PlainBuffer cell checksum mismatch for column "${name}"`);
  cell.crc = crc;
  return cell;
}

function readRow(r: Reader): PlainBufferRow {
  r.expect(TAG.ROW_PK, 'row');
  let rowCrc = 0;
  const primaryKey: PrimaryKeyCell[] = [];
  while (r.peek() === TAG.CELL) {
    const cell = readCell(r);
    if (cell.value === undefined) throw new PlainBufferError(`PlainBuffer primary key column "${cell.name}" has no value`);
    if (typeof cell.value === 'number' || typeof cell.value === 'boolean') {
      throw new PlainBufferError(`PlainBuffer primary key column "${cell.name}" has an invalid type`);
    }
    if (cell.op !== undefined || cell.timestamp !== undefined) {
      throw new PlainBufferError(`PlainBuffer primary key column "${cell.name}" may not carry an op or timestamp`);
    }
    primaryKey.push({ name: cell.name, value: cell.value });
    rowCrc = crc8Byte(rowCrc, cell.crc);
  }
  const attributes: AttributeCell[] = [];
  if (r.peek() === TAG.ROW_DATA) {
    r.pos++;
    while (r.peek() === TAG.CELL) {
      const cell = readCell(r);
      const v = cell.value;
      if (v === INF_MIN || v === INF_MAX || v === AUTO_INCREMENT) {
        throw new PlainBufferError(`PlainBuffer attribute column "${cell.name}" has an invalid type`);
      }
      if (cell.op !== undefined && cell.op !== 1 && cell.op !== 3 && cell.op !== 4) {
        throw new PlainBufferError(`PlainBuffer attribute column "${cell.name}" has unknown op ${cell.op}`);
      }
      const attr: { name: string; value?: ColumnValue; timestamp?: number; op?: CellOp } = { name: cell.name };
      if (v !== undefined) attr.value = v;
      if (cell.timestamp !== undefined) attr.timestamp = cell.timestamp;
      if (cell.op !== undefined) attr.op = cell.op as CellOp;
      attributes.push(attr);
      rowCrc = crc8Byte(rowCrc, cell.crc);
    }
  }
  let deleteMarker = false;
  if (r.peek() === TAG.DELETE_ROW_MARKER) {
    r.pos++;
    deleteMarker = true;
  }
  if (r.peek() === TAG.EXTENSION) {
    r.pos++;
    const len = r.u32('extension length');
    r.need(len, 'extension');
    r.pos += len;
  }
  rowCrc = crc8Byte(rowCrc, deleteMarker ? 1 : 0);
  r.expect(TAG.ROW_CHECKSUM, 'row checksum');
  const stored = r.u8('row checksum');
  if (stored !== rowCrc) throw new PlainBufferError('PlainBuffer row checksum mismatch');
  return deleteMarker ? { primaryKey, attributes, deleteMarker } : { primaryKey, attributes };
}

/** Decodes a blob into rows. Empty input means no rows (servers send empty bytes for "no row"). */
export function decodeRows(bytes: Uint8Array): PlainBufferRow[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const header = r.u32('header');
  if (header !== HEADER) throw new PlainBufferError(`PlainBuffer header mismatch: 0x${header.toString(16)}`);
  const rows: PlainBufferRow[] = [];
  while (r.pos < bytes.length) {
    // The Node SDK over-allocates one byte per INF_MIN / INF_MAX / AUTO_INCREMENT value and sends the
    // zero padding after the row checksum; tolerate trailing zero bytes (and only those).
    if (rows.length > 0 && r.peek() === 0 && bytes.subarray(r.pos).every((b) => b === 0)) break;
    rows.push(readRow(r));
  }
  return rows;
}

/** Decodes a blob that must hold exactly one row. */
export function decodeRow(bytes: Uint8Array): PlainBufferRow {
  const rows = decodeRows(bytes);
  if (rows.length !== 1) throw new PlainBufferError(`PlainBuffer expected exactly one row, got ${rows.length}`);
  return rows[0];
}

/** Decodes a filter's bare `vtype payload` value. */
export function decodeColumnValue(bytes: Uint8Array): ColumnValue {
  const r = new Reader(bytes);
  const { value } = readTypedValue(r, bytes.length, 0);
  if (value === INF_MIN || value === INF_MAX || value === AUTO_INCREMENT) {
    throw new PlainBufferError('PlainBuffer column value may not be INF_MIN, INF_MAX or AUTO_INCREMENT');
  }
  return value;
}

/** Human-readable type name of a value, for error messages. */
export function valueTypeName(value: PrimaryKeyValue | ColumnValue): string {
  if (typeof value === 'bigint') return 'INTEGER';
  if (typeof value === 'number') return 'DOUBLE';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'string') return 'STRING';
  if (value instanceof Uint8Array) return 'BINARY';
  return value === INF_MIN ? 'INF_MIN' : value === INF_MAX ? 'INF_MAX' : 'AUTO_INCREMENT';
}
