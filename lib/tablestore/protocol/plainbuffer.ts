/**
 * PlainBuffer: the row encoding Tablestore carries inside protobuf `bytes` fields (docs/protocol.md §5).
 *
 * Values are typed by their JavaScript type so encoding is unambiguous: INTEGER = bigint, DOUBLE = number,
 * BOOLEAN = boolean, STRING = string, BINARY = Uint8Array; range bounds and auto-increment placeholders are
 * the INF_MIN / INF_MAX / AUTO_INCREMENT markers. Decoding validates every length and both checksums and
 * throws PlainBufferError on anything malformed, so callers can turn it into a 400 instead of crashing.
 * This is the one PlainBuffer decoder of the project (server, wide and time series clients, tests, benches).
 */
import { ByteWriter } from './byte-writer';
import { FormatError } from './format-error';
import { CRC8_TABLE, crc8Byte, crc8Bytes, crc8U32 } from './crc8';

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

export class PlainBufferError extends FormatError {
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

class Writer extends ByteWriter {
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
}

type Encodable = ColumnValue | InfMin | InfMax | AutoIncrement;

/** Writes `vtype payload` and returns the crc folded over them (docs/protocol.md §5.3). */
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
  for (const cell of row.primaryKey)
    rowCrc = crc8Byte(rowCrc, writeCell(w, cell.name, cell.value, undefined, undefined));
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
//
// Built for throughput: this decoder serves every read path (clients' responses, the server's requests).
// No per-value result objects, integers and checksums read straight from the bytes (no BigInt arithmetic for
// checksums or millisecond timestamps), short ASCII decoded without TextDecoder, and column names and STRING
// values reused from the previous row when their bytes repeat, which they do in nearly every real response.
// Every tag, length, UTF-8 sequence and both CRC-8s are still checked.

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(message: string): never {
  throw new PlainBufferError(message);
}

/** The previous row's decoded strings by cell position: where their bytes start, how long they are, the text. */
interface StringCache {
  readonly start: number[];
  readonly len: number[];
  readonly text: string[];
}

const newStringCache = (): StringCache => ({ start: [], len: [], text: [] });

class Reader {
  pos = 0;
  readonly end: number;
  /** The same bytes as a Buffer, for its native latin1 and float decoding. */
  readonly view: Buffer;
  private readonly names = newStringCache();
  private readonly values = newStringCache();

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
    this.view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) fail(`PlainBuffer truncated while reading ${what} at offset ${this.pos}`);
  }

  /** True when the next byte is `tag` (false at the end). */
  at(tag: number): boolean {
    return this.pos < this.end && this.buf[this.pos] === tag;
  }

  u8(what: string): number {
    if (this.pos >= this.end) fail(`PlainBuffer truncated while reading ${what} at offset ${this.pos}`);
    return this.buf[this.pos++];
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  expect(tag: number, what: string): void {
    const got = this.u8(what);
    if (got !== tag)
      fail(
        `PlainBuffer expected ${what} tag 0x${tag.toString(16)} at offset ${this.pos - 1}, got 0x${got.toString(16)}`,
      );
  }

  /** Strict UTF-8 text of bytes [start, start + len). */
  text(start: number, len: number, what: string): string {
    const b = this.buf;
    const end = start + len;
    let i = start;
    while (i < end && b[i] < 0x80) i++;
    if (i === end) {
      // ASCII: short strings are fastest built directly, longer ones through Buffer's native latin1 path.
      if (len <= 12) {
        let s = '';
        for (let k = start; k < end; k++) s += String.fromCharCode(b[k]);
        return s;
      }
      return this.view.toString('latin1', start, end);
    }
    try {
      return utf8.decode(b.subarray(start, end));
    } catch {
      return fail(`PlainBuffer ${what} is not valid UTF-8`);
    }
  }

  name(slot: number, start: number, len: number): string {
    return this.cachedText(this.names, slot, start, len, 'cell name');
  }

  value(slot: number, start: number, len: number): string {
    return this.cachedText(this.values, slot, start, len, 'STRING value');
  }

  /** Text of the cell at position `slot`; the previous row's string when the bytes are the same. */
  private cachedText(cache: StringCache, slot: number, start: number, len: number, what: string): string {
    const b = this.buf;
    if (cache.len[slot] === len) {
      const prev = cache.start[slot];
      let same = true;
      for (let i = 0; i < len; i++) {
        if (b[prev + i] !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        cache.start[slot] = start;
        return cache.text[slot];
      }
    }
    const s = this.text(start, len, what);
    cache.start[slot] = start;
    cache.len[slot] = len;
    cache.text[slot] = s;
    return s;
  }
}

function readInt64(b: Uint8Array, p: number): bigint {
  const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24); // signed
  // Exact as a double when |value| < 2^53; otherwise combine as BigInt.
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** INTEGER as a number when |value| < 2^53 (client reads: values go to JSON as they are); set per decode. */
let safeIntegersAsNumbers = false;

// Per-cell results, returned through module state instead of allocating an object per cell (decoding is
// synchronous, so no two decodes interleave).
let cellValue: Encodable | undefined;
let cellTimestamp: number | undefined;
let cellOp: number | undefined;
let cellCrc = 0;
/** The value type byte of the last cell read (-1 when it had no value). */
let cellType = -1;

/** Reads `vtype payload` of exactly `len` bytes into `cellValue`; returns the crc folded over it. */
function readTypedValue(r: Reader, slot: number, len: number, crcIn: number): number {
  const b = r.buf;
  r.need(len, 'cell value');
  if (len < 1) fail('PlainBuffer cell value is empty');
  const valueEnd = r.pos + len;
  const vt = b[r.pos++];
  cellType = vt;
  let crc = CRC8_TABLE[crcIn ^ vt];
  const p = r.pos;
  switch (vt) {
    case VT.INTEGER:
      r.need(8, 'INTEGER');
      if (safeIntegersAsNumbers) {
        const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
        cellValue =
          hi >= -0x200000 && hi < 0x200000
            ? hi * 4294967296 + ((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0)
            : readInt64(b, p);
      } else {
        cellValue = readInt64(b, p);
      }
      crc = crc8Bytes(crc, b, p, p + 8);
      r.pos = p + 8;
      break;
    case VT.DOUBLE:
      r.need(8, 'DOUBLE');
      cellValue = r.view.readDoubleLE(p);
      crc = crc8Bytes(crc, b, p, p + 8);
      r.pos = p + 8;
      break;
    case VT.BOOLEAN: {
      const v = r.u8('BOOLEAN');
      cellValue = v !== 0;
      crc = CRC8_TABLE[crc ^ v];
      break;
    }
    case VT.STRING:
    case VT.BLOB: {
      const n = r.u32('value length');
      r.need(n, 'value bytes');
      const start = r.pos;
      r.pos += n;
      crc = crc8Bytes(crc, b, p, r.pos);
      // BINARY values are copied so they do not pin the request/response buffer.
      cellValue = vt === VT.STRING ? r.value(slot, start, n) : new Uint8Array(b.subarray(start, r.pos));
      break;
    }
    case VT.INF_MIN:
      cellValue = INF_MIN;
      break;
    case VT.INF_MAX:
      cellValue = INF_MAX;
      break;
    case VT.AUTO_INCREMENT:
      cellValue = AUTO_INCREMENT;
      break;
    case VT.NULL:
      return fail('PlainBuffer NULL values are not supported');
    default:
      return fail(`PlainBuffer unknown value type 0x${vt.toString(16)}`);
  }
  if (r.pos !== valueEnd) fail('PlainBuffer value length does not match its type');
  return crc;
}

/** Reads one cell into the module's cell state, verifying its checksum; returns the column name. */
function readCell(r: Reader, slot: number): string {
  const b = r.buf;
  r.expect(TAG.CELL, 'cell');
  r.expect(TAG.CELL_NAME, 'cell name');
  const nameLen = r.u32('cell name length');
  r.need(nameLen, 'cell name');
  const nameStart = r.pos;
  r.pos += nameLen;
  const name = r.name(slot, nameStart, nameLen);
  let crc = crc8Bytes(0, b, nameStart, r.pos);
  cellValue = undefined;
  cellTimestamp = undefined;
  cellOp = undefined;
  cellType = -1;
  if (r.at(TAG.CELL_VALUE)) {
    r.pos++;
    crc = readTypedValue(r, slot, r.u32('cell value length'), crc);
  }
  if (r.at(TAG.CELL_TYPE)) {
    r.pos++;
    cellOp = r.u8('cell op');
  }
  if (r.at(TAG.CELL_TIMESTAMP)) {
    r.pos++;
    r.need(8, 'cell timestamp');
    const p = r.pos;
    crc = crc8Bytes(crc, b, p, p + 8);
    const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    cellTimestamp = hi * 4294967296 + lo;
    r.pos = p + 8;
  }
  if (cellOp !== undefined) crc = CRC8_TABLE[crc ^ cellOp];
  r.expect(TAG.CELL_CHECKSUM, 'cell checksum');
  const stored = r.u8('cell checksum');
  if (stored !== crc) fail(`PlainBuffer cell checksum mismatch for column "${name}"`);
  cellCrc = crc;
  return name;
}

function readRow(r: Reader): PlainBufferRow {
  r.expect(TAG.ROW_PK, 'row');
  let rowCrc = 0;
  let slot = 0;
  const primaryKey: PrimaryKeyCell[] = [];
  while (r.at(TAG.CELL)) {
    const name = readCell(r, slot++);
    const v = cellValue;
    if (v === undefined) fail(`PlainBuffer primary key column "${name}" has no value`);
    if (cellType === VT.DOUBLE || cellType === VT.BOOLEAN)
      fail(`PlainBuffer primary key column "${name}" has an invalid type`);
    if (cellOp !== undefined || cellTimestamp !== undefined)
      fail(`PlainBuffer primary key column "${name}" may not carry an op or timestamp`);
    primaryKey.push({ name, value: v as PrimaryKeyValue });
    rowCrc = CRC8_TABLE[rowCrc ^ cellCrc];
  }
  const attributes: AttributeCell[] = [];
  if (r.at(TAG.ROW_DATA)) {
    r.pos++;
    while (r.at(TAG.CELL)) {
      const name = readCell(r, slot++);
      const v = cellValue;
      if (v === INF_MIN || v === INF_MAX || v === AUTO_INCREMENT)
        fail(`PlainBuffer attribute column "${name}" has an invalid type`);
      const op = cellOp;
      if (op !== undefined && op !== 1 && op !== 3 && op !== 4)
        fail(`PlainBuffer attribute column "${name}" has unknown op ${op}`);
      const attr: { name: string; value?: ColumnValue; timestamp?: number; op?: CellOp } = { name };
      if (v !== undefined) attr.value = v;
      if (cellTimestamp !== undefined) attr.timestamp = cellTimestamp;
      if (op !== undefined) attr.op = op;
      attributes.push(attr);
      rowCrc = CRC8_TABLE[rowCrc ^ cellCrc];
    }
  }
  let deleteMarker = false;
  if (r.at(TAG.DELETE_ROW_MARKER)) {
    r.pos++;
    deleteMarker = true;
  }
  if (r.at(TAG.EXTENSION)) {
    r.pos++;
    const len = r.u32('extension length');
    r.need(len, 'extension');
    r.pos += len;
  }
  rowCrc = CRC8_TABLE[rowCrc ^ (deleteMarker ? 1 : 0)];
  r.expect(TAG.ROW_CHECKSUM, 'row checksum');
  const stored = r.u8('row checksum');
  if (stored !== rowCrc) fail('PlainBuffer row checksum mismatch');
  return deleteMarker ? { primaryKey, attributes, deleteMarker } : { primaryKey, attributes };
}

/** True when bytes [from, end) are all zero. */
function zeroTail(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** A decoded row whose INTEGER values are numbers when safe (bigint otherwise), as clients hand them out. */
export interface ReadRow {
  readonly primaryKey: ReadonlyArray<{ readonly name: string; readonly value: PrimaryKeyValue | number }>;
  readonly attributes: readonly AttributeCell[];
}

/**
 * Decodes rows for a reader: like decodeRows, but INTEGER values within ±(2^53−1) come out as numbers
 * (so they go to JSON untouched) and only larger ones as bigint. DOUBLE values are numbers too: the
 * schema, not the JavaScript type, tells them apart.
 */
export function decodeReadRows(bytes: Uint8Array): ReadRow[] {
  safeIntegersAsNumbers = true;
  try {
    return decodeRows(bytes);
  } finally {
    safeIntegersAsNumbers = false;
  }
}

/** Decodes a blob into rows. Empty input means no rows (servers send empty bytes for "no row"). */
export function decodeRows(bytes: Uint8Array): PlainBufferRow[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const header = r.u32('header');
  if (header !== HEADER) fail(`PlainBuffer header mismatch: 0x${header.toString(16)}`);
  const rows: PlainBufferRow[] = [];
  while (r.pos < r.end) {
    // The Node SDK over-allocates one byte per INF_MIN / INF_MAX / AUTO_INCREMENT value and sends the
    // zero padding after the row checksum; tolerate trailing zero bytes (and only those).
    if (rows.length > 0 && r.buf[r.pos] === 0 && zeroTail(bytes, r.pos)) break;
    rows.push(readRow(r));
  }
  return rows;
}

/** Decodes a blob that must hold exactly one row. */
export function decodeRow(bytes: Uint8Array): PlainBufferRow {
  const rows = decodeRows(bytes);
  if (rows.length !== 1) fail(`PlainBuffer expected exactly one row, got ${rows.length}`);
  return rows[0];
}

/** Decodes a filter's bare `vtype payload` value. */
export function decodeColumnValue(bytes: Uint8Array): ColumnValue {
  readTypedValue(new Reader(bytes), 0, bytes.length, 0);
  const value = cellValue;
  if (value === undefined || value === INF_MIN || value === INF_MAX || value === AUTO_INCREMENT) {
    return fail('PlainBuffer column value may not be INF_MIN, INF_MAX or AUTO_INCREMENT');
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
