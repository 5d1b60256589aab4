/**
 * Stored form of a wide-table row (the KvStore value; the primary key is the KvStore key):
 *   u8 format(1) | f64 rowTs | u16 columnCount | per column (sorted by name):
 *   u16 nameLen name | u32 versionCount | per version (newest first): f64 ts(ms) | u8 vtype | payload
 * vtype/payload as in PlainBuffer (INTEGER i64, DOUBLE f64, BOOLEAN u8, STRING/BLOB u32 len + bytes).
 * `rowTs` is when the row was last created by PutRow/UpdateRow, so a row without attribute columns exists
 * (until the table TTL passes it).
 */
import type { ColumnValue } from '../../../../lib/tablestore/protocol/plainbuffer';

export interface Version {
  readonly ts: number;
  readonly value: ColumnValue;
}

export interface Column {
  readonly name: string;
  /** Newest first; timestamps unique. */
  versions: Version[];
}

export interface StoredRow {
  rowTs: number;
  /** Sorted by name. */
  columns: Column[];
}

const VT_INTEGER = 0;
const VT_DOUBLE = 1;
const VT_BOOLEAN = 2;
const VT_STRING = 3;
const VT_BLOB = 7;

export function valueSize(value: ColumnValue): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'boolean') return 1;
  return 8;
}

export function encodeStoredRow(row: StoredRow): Buffer {
  let size = 1 + 8 + 2;
  const names = row.columns.map((c) => Buffer.from(c.name, 'utf8'));
  const strings = new Map<Version, Buffer>();
  row.columns.forEach((c, i) => {
    size += 2 + names[i].length + 4;
    for (const v of c.versions) {
      size += 9;
      if (typeof v.value === 'string') {
        const b = Buffer.from(v.value, 'utf8');
        strings.set(v, b);
        size += 4 + b.length;
      } else if (v.value instanceof Uint8Array) size += 4 + v.value.length;
      else size += typeof v.value === 'boolean' ? 1 : 8;
    }
  });
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  out[p++] = 1;
  out.writeDoubleLE(row.rowTs, p);
  p += 8;
  out.writeUInt16LE(row.columns.length, p);
  p += 2;
  row.columns.forEach((c, i) => {
    out.writeUInt16LE(names[i].length, p);
    p += 2;
    p += names[i].copy(out, p);
    out.writeUInt32LE(c.versions.length, p);
    p += 4;
    for (const v of c.versions) {
      out.writeDoubleLE(v.ts, p);
      p += 8;
      const value = v.value;
      if (typeof value === 'bigint') {
        out[p++] = VT_INTEGER;
        out.writeBigInt64LE(value, p);
        p += 8;
      } else if (typeof value === 'number') {
        out[p++] = VT_DOUBLE;
        out.writeDoubleLE(value, p);
        p += 8;
      } else if (typeof value === 'boolean') {
        out[p++] = VT_BOOLEAN;
        out[p++] = value ? 1 : 0;
      } else {
        const bytes = typeof value === 'string' ? strings.get(v)! : value;
        out[p++] = typeof value === 'string' ? VT_STRING : VT_BLOB;
        out.writeUInt32LE(bytes.length, p);
        p += 4;
        out.set(bytes, p);
        p += bytes.length;
      }
    }
  });
  return out;
}

export function decodeStoredRow(bytes: Uint8Array): StoredRow {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 1;
  const rowTs = buf.readDoubleLE(p);
  p += 8;
  const count = buf.readUInt16LE(p);
  p += 2;
  const columns = new Array<Column>(count);
  for (let i = 0; i < count; i++) {
    const nameLen = buf.readUInt16LE(p);
    p += 2;
    const name = buf.toString('utf8', p, p + nameLen);
    p += nameLen;
    const n = buf.readUInt32LE(p);
    p += 4;
    const versions = new Array<Version>(n);
    for (let j = 0; j < n; j++) {
      const ts = buf.readDoubleLE(p);
      p += 8;
      const vt = buf[p++];
      let value: ColumnValue;
      if (vt === VT_INTEGER) {
        value = buf.readBigInt64LE(p);
        p += 8;
      } else if (vt === VT_DOUBLE) {
        value = buf.readDoubleLE(p);
        p += 8;
      } else if (vt === VT_BOOLEAN) {
        value = buf[p++] !== 0;
      } else {
        const len = buf.readUInt32LE(p);
        p += 4;
        value = vt === VT_STRING ? buf.toString('utf8', p, p + len) : new Uint8Array(buf.subarray(p, p + len));
        p += len;
      }
      versions[j] = { ts, value };
    }
    columns[i] = { name, versions };
  }
  return { rowTs, columns };
}

/** What the search index needs of a stored row: the newest version of some columns and the row's newest time. */
export interface NewestCells {
  /** Newest value of each wanted column the row has. */
  readonly values: Map<string, ColumnValue>;
  /** The newest timestamp of the row: its rowTs or a column's newest version, whichever is later (ms). */
  readonly ts: number;
}

/**
 * Decodes only the newest version of the columns named in `wanted` (every column when undefined), skipping
 * the other versions and columns without materialising their values: a search-index rebuild reads every row
 * of a table, usually for a few of its columns (docs/protocol-search.md §6).
 */
export function decodeNewestCells(bytes: Uint8Array, wanted: ReadonlySet<string> | undefined): NewestCells {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 1;
  let ts = buf.readDoubleLE(p);
  p += 8;
  const count = buf.readUInt16LE(p);
  p += 2;
  const values = new Map<string, ColumnValue>();
  for (let i = 0; i < count; i++) {
    const nameLen = buf.readUInt16LE(p);
    p += 2;
    const name = buf.toString('utf8', p, p + nameLen);
    p += nameLen;
    const n = buf.readUInt32LE(p);
    p += 4;
    const keep = wanted === undefined || wanted.has(name);
    for (let j = 0; j < n; j++) {
      if (j === 0) {
        const vts = buf.readDoubleLE(p);
        if (vts > ts) ts = vts;
      }
      p += 8;
      const vt = buf[p++];
      if (vt === VT_INTEGER || vt === VT_DOUBLE) {
        if (j === 0 && keep) values.set(name, vt === VT_INTEGER ? buf.readBigInt64LE(p) : buf.readDoubleLE(p));
        p += 8;
      } else if (vt === VT_BOOLEAN) {
        if (j === 0 && keep) values.set(name, buf[p] !== 0);
        p += 1;
      } else {
        const len = buf.readUInt32LE(p);
        p += 4;
        if (j === 0 && keep)
          values.set(
            name,
            vt === VT_STRING ? buf.toString('utf8', p, p + len) : new Uint8Array(buf.subarray(p, p + len)),
          );
        p += len;
      }
    }
  }
  return { values, ts };
}
