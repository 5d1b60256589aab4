/**
 * GetTimeseriesData rows: one PlainBuffer row per point (docs/protocol.md §9.6).
 *   PK:         _#h (hidden hash, STRING), _m_name, _data_source, _tags (string form),
 *               [custom timeseries_key_schema columns], _time (INTEGER µs), [field_primary_key_schema columns]
 *   attributes: `<field>:<typecode>` with a typed value.
 * The decoder looks columns up by name (so `_#h` may be present or not) and strips the type suffix after the
 * last ':'; the value's own PlainBuffer type gives the field type. Extra PK columns after `_time` are
 * returned as fields, as the SDKs do.
 */
import { ByteWriter } from '../protocol/byte-writer';
import { CRC8_TABLE as CRC8, crc8Bytes } from '../protocol/crc8';
import { FormatError } from '../protocol/format-error';
import {
  decodeRows,
  encodeRows,
  type AttributeCell,
  type PlainBufferRow,
  type PrimaryKeyCell,
} from '../protocol/plainbuffer';
import type { TimeseriesFieldValue } from '../protocol/flatbuffer-rows';
import { parseTags } from './tags';
import type { TimeseriesKey, TimeseriesRow } from './types';
import { setOwn } from '../set-own';

export const HASH_COLUMN = '_#h';
export const MEASUREMENT_COLUMN = '_m_name';
export const DATA_SOURCE_COLUMN = '_data_source';
export const TAGS_COLUMN = '_tags';
export const TIME_COLUMN = '_time';

/** Rows one PutTimeseriesData may carry (the service's limit, docs/protocol.md §9.7); the client sends more in parts. */
export const MAX_ROWS_PER_WRITE = 200;

/** Field names the service reserves. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  '_m_name',
  '_data_source',
  '_tags',
  '_time',
  '_meta_update_time',
  '_attributes',
]);

/**
 * Column-name suffixes per field type. `i`, `d`, `s` are confirmed against the real service; `b` (boolean)
 * and `x` (binary) are our choice — no SDK reads the suffix, only the part before it.
 */
export function fieldTypeCode(value: TimeseriesFieldValue): string {
  switch (typeof value) {
    case 'bigint':
      return 'i';
    case 'number':
      return 'd';
    case 'boolean':
      return 'b';
    case 'string':
      return 's';
    default:
      return 'x';
  }
}

export class TimeseriesRowFormatError extends FormatError {
  override readonly name = 'TimeseriesRowFormatError';
}

/** What the server needs to lay out one point. */
export interface PointRowInput {
  readonly hash: string;
  readonly measurement: string;
  readonly dataSource: string;
  readonly tags: string;
  /** Values of custom timeseries_key_schema columns, in schema order. */
  readonly extraKey?: readonly PrimaryKeyCell[] | undefined;
  readonly time: bigint;
  /** Field-primary-key columns that follow `_time`. */
  readonly fieldKey?: readonly PrimaryKeyCell[] | undefined;
  /** Fields in output order. */
  readonly fields: readonly (readonly [string, TimeseriesFieldValue])[];
}

export function pointToPlainBufferRow(p: PointRowInput): PlainBufferRow {
  const primaryKey: PrimaryKeyCell[] = [
    { name: HASH_COLUMN, value: p.hash },
    { name: MEASUREMENT_COLUMN, value: p.measurement },
    { name: DATA_SOURCE_COLUMN, value: p.dataSource },
    { name: TAGS_COLUMN, value: p.tags },
  ];
  if (p.extraKey) primaryKey.push(...p.extraKey);
  primaryKey.push({ name: TIME_COLUMN, value: p.time });
  if (p.fieldKey) primaryKey.push(...p.fieldKey);
  const attributes: AttributeCell[] = p.fields.map(([name, value]) => ({
    name: `${name}:${fieldTypeCode(value)}`,
    value,
  }));
  return { primaryKey, attributes };
}

/** Generic (slower) form: the same bytes through protocol/plainbuffer's writer. Kept for tests. */
export function encodePointRowsGeneric(points: readonly PointRowInput[]): Uint8Array {
  if (points.length === 0) return new Uint8Array(0);
  return encodeRows(points.map(pointToPlainBufferRow));
}

const utf8 = new TextEncoder();

/** The point-row writer's buffer, with the CRC-8 of what was written since an offset. */
class Out extends ByteWriter {
  constructor() {
    super(4096);
  }
  crc(crc: number, from: number): number {
    return crc8Bytes(crc, this.buf, from, this.pos);
  }
}

interface CellName {
  readonly bytes: Uint8Array;
  readonly crc: number;
}

function cellName(cache: Map<string, CellName>, name: string): CellName {
  let c = cache.get(name);
  if (!c) {
    const bytes = utf8.encode(name);
    c = { bytes, crc: crc8Bytes(0, bytes) };
    cache.set(name, c);
  }
  return c;
}

/** Writes one cell (no timestamp, no op); returns its CRC-8. */
function writeCell(o: Out, name: CellName, value: TimeseriesFieldValue): number {
  let payload: Uint8Array | undefined;
  let valueLen: number;
  let textLen = 0;
  if (typeof value === 'string') {
    textLen = Buffer.byteLength(value, 'utf8');
    valueLen = 5 + textLen;
  } else if (value instanceof Uint8Array) {
    payload = value;
    valueLen = 5 + payload.length;
  } else {
    valueLen = typeof value === 'boolean' ? 2 : 9;
  }
  o.ensure(16 + name.bytes.length + valueLen);
  const b = o.buf;
  b[o.pos++] = 0x03; // cell
  b[o.pos++] = 0x04; // cell name
  o.pos = b.writeUInt32LE(name.bytes.length, o.pos);
  b.set(name.bytes, o.pos);
  o.pos += name.bytes.length;
  b[o.pos++] = 0x05; // cell value
  o.pos = b.writeUInt32LE(valueLen, o.pos);
  const from = o.pos;
  switch (typeof value) {
    case 'bigint':
      b[o.pos++] = 0x00;
      o.pos = b.writeBigInt64LE(BigInt.asIntN(64, value), o.pos);
      break;
    case 'number':
      b[o.pos++] = 0x01;
      o.pos = b.writeDoubleLE(value, o.pos);
      break;
    case 'boolean':
      b[o.pos++] = 0x02;
      b[o.pos++] = value ? 1 : 0;
      break;
    case 'string':
      b[o.pos++] = 0x03;
      o.pos = b.writeUInt32LE(textLen, o.pos);
      o.pos += b.write(value, o.pos, textLen, 'utf8');
      break;
    default:
      b[o.pos++] = 0x07;
      o.pos = b.writeUInt32LE(payload!.length, o.pos);
      b.set(payload!, o.pos);
      o.pos += payload!.length;
  }
  const crc = o.crc(name.crc, from);
  b[o.pos++] = 0x0a; // cell checksum
  b[o.pos++] = crc;
  return crc;
}

/**
 * Encodes points as GetTimeseriesData rows. Byte-identical to `encodePointRowsGeneric` (a property test
 * checks it) but several times faster: the key cells shared by consecutive points of one series are encoded
 * once, and field column names once per response.
 */
export function encodePointRows(points: readonly PointRowInput[]): Uint8Array {
  if (points.length === 0) return new Uint8Array(0);
  const names = new Map<string, CellName>();
  const o = new Out();
  o.ensure(4);
  o.pos = o.buf.writeUInt32LE(0x75, 0);
  let prefix: Uint8Array | undefined;
  let prefixCrcs: number[] = [];
  let prefixOf: PointRowInput | undefined;
  for (const p of points) {
    if (
      !prefixOf ||
      p.hash !== prefixOf.hash ||
      p.measurement !== prefixOf.measurement ||
      p.dataSource !== prefixOf.dataSource ||
      p.tags !== prefixOf.tags ||
      p.extraKey !== prefixOf.extraKey
    ) {
      const k = new Out();
      const cells: [string, string | bigint | Uint8Array][] = [
        [HASH_COLUMN, p.hash],
        [MEASUREMENT_COLUMN, p.measurement],
        [DATA_SOURCE_COLUMN, p.dataSource],
        [TAGS_COLUMN, p.tags],
      ];
      for (const c of p.extraKey ?? []) cells.push([c.name, c.value as string | bigint | Uint8Array]);
      prefixCrcs = cells.map(([n, v]) => writeCell(k, cellName(names, n), v));
      prefix = k.result();
      prefixOf = p;
    }
    o.ensure(1 + prefix!.length);
    o.buf[o.pos++] = 0x01; // row primary key
    o.buf.set(prefix!, o.pos);
    o.pos += prefix!.length;
    let rowCrc = 0;
    for (const c of prefixCrcs) rowCrc = CRC8[rowCrc ^ c];
    rowCrc = CRC8[rowCrc ^ writeCell(o, cellName(names, TIME_COLUMN), p.time)];
    for (const c of p.fieldKey ?? [])
      rowCrc = CRC8[rowCrc ^ writeCell(o, cellName(names, c.name), c.value as string | bigint | Uint8Array)];
    if (p.fields.length) {
      o.ensure(1);
      o.buf[o.pos++] = 0x02; // row data
      for (const [name, value] of p.fields) {
        rowCrc = CRC8[rowCrc ^ writeCell(o, cellName(names, `${name}:${fieldTypeCode(value)}`), value)];
      }
    }
    rowCrc = CRC8[rowCrc ^ 0]; // no delete marker
    o.ensure(2);
    o.buf[o.pos++] = 0x09; // row checksum
    o.buf[o.pos++] = rowCrc;
  }
  return o.result();
}

/** Turns decoded PlainBuffer rows into points. Throws TimeseriesRowFormatError when a row lacks its key. */
export function plainBufferRowsToPoints(rows: readonly PlainBufferRow[]): TimeseriesRow[] {
  const out: TimeseriesRow[] = [];
  let lastTagsText: string | undefined;
  let lastTags: Record<string, string> = {};
  let lastKey: TimeseriesKey | undefined;
  for (const row of rows) {
    let measurement: string | undefined;
    let dataSource: string | undefined;
    let tagsText: string | undefined;
    let time: bigint | undefined;
    const fields: Record<string, TimeseriesFieldValue> = {};
    for (const cell of row.primaryKey) {
      const v = cell.value;
      switch (cell.name) {
        case HASH_COLUMN:
          break;
        case MEASUREMENT_COLUMN:
          if (typeof v === 'string') measurement = v;
          break;
        case DATA_SOURCE_COLUMN:
          if (typeof v === 'string') dataSource = v;
          break;
        case TAGS_COLUMN:
          if (typeof v === 'string') tagsText = v;
          break;
        case TIME_COLUMN:
          if (typeof v === 'bigint') time = v;
          break;
        default:
          // Custom key columns come before _time and repeat a tag; field-PK columns come after it.
          if (time !== undefined && (typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array)) {
            setOwn(fields, cell.name, v);
          }
      }
    }
    if (measurement === undefined || dataSource === undefined || tagsText === undefined || time === undefined) {
      throw new TimeseriesRowFormatError('time series row lacks _m_name, _data_source, _tags or _time');
    }
    if (tagsText !== lastTagsText) {
      lastTags = parseTags(tagsText);
      lastTagsText = tagsText;
    }
    for (const cell of row.attributes) {
      if (cell.value === undefined) continue;
      const colon = cell.name.lastIndexOf(':');
      setOwn(fields, colon >= 0 ? cell.name.slice(0, colon) : cell.name, cell.value);
    }
    // Rows of one response normally share one series: share its key object too.
    if (
      !lastKey ||
      lastKey.measurement !== measurement ||
      lastKey.dataSource !== dataSource ||
      lastKey.tags !== lastTags
    ) {
      lastKey = { measurement, dataSource, tags: lastTags };
    }
    out.push({ key: lastKey, time, fields });
  }
  return out;
}

export function decodePointRows(bytes: Uint8Array): TimeseriesRow[] {
  return plainBufferRowsToPoints(decodeRows(bytes));
}
