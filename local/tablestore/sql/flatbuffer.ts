/**
 * The SQL_FLAT_BUFFERS result payload (docs/protocol-sql.md §3): one SQLResponseColumns table holding, per
 * output column, its name, DataType and a ColumnValues table. Every column carries `is_nullvalues` (one flag
 * per row) and a value vector with one slot per row (a placeholder where the row is NULL), which is what the
 * Python SDK requires (it zips values with the null flags). A STRING column without NULLs whose values
 * repeat is sent as STRING_RLE (distinct runs + per-row run index); the Python SDK ignores null flags for
 * STRING_RLE, so columns with NULLs always go as plain STRING.
 */
import { Builder } from 'flatbuffers';
import { SqlType, type SqlValue } from './values';

/** sql.fbs DataType codes. */
export const FbsDataType = { NONE: 0, LONG: 1, BOOLEAN: 2, DOUBLE: 3, STRING: 4, BINARY: 5, STRING_RLE: 6 } as const;

export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
  /** One value per row; null or a value of `type`. */
  readonly values: readonly SqlValue[];
}

const EMPTY = new Uint8Array(0);

function boolVector(b: Builder, flags: readonly boolean[]): number {
  b.startVector(1, flags.length, 1);
  for (let i = flags.length - 1; i >= 0; i--) b.addInt8(flags[i] ? 1 : 0);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** Runs of equal strings: [distinct run values, run index per row]; undefined when RLE would not pay. */
function runs(values: readonly SqlValue[]): { array: string[]; mapping: number[] } | undefined {
  const array: string[] = [];
  const mapping = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') return undefined;
    if (array.length === 0 || array[array.length - 1] !== v) array.push(v);
    mapping[i] = array.length - 1;
  }
  return values.length > 0 && array.length * 2 <= values.length ? { array, mapping } : undefined;
}

function columnValues(b: Builder, col: ResultColumn): { type: number; offset: number } {
  const n = col.values.length;
  const nulls = col.values.map((v) => v === null);
  switch (col.type) {
    case SqlType.LONG: {
      b.startVector(8, n, 8);
      for (let i = n - 1; i >= 0; i--) b.addInt64((col.values[i] as bigint | null) ?? 0n);
      const longs = b.endVector();
      const nullOff = boolVector(b, nulls);
      b.startObject(7);
      b.addFieldOffset(0, nullOff, 0);
      b.addFieldOffset(1, longs, 0);
      return { type: FbsDataType.LONG, offset: b.endObject() };
    }
    case SqlType.BOOLEAN: {
      const bools = boolVector(
        b,
        col.values.map((v) => v === true),
      );
      const nullOff = boolVector(b, nulls);
      b.startObject(7);
      b.addFieldOffset(0, nullOff, 0);
      b.addFieldOffset(2, bools, 0);
      return { type: FbsDataType.BOOLEAN, offset: b.endObject() };
    }
    case SqlType.DOUBLE: {
      b.startVector(8, n, 8);
      for (let i = n - 1; i >= 0; i--) b.addFloat64((col.values[i] as number | null) ?? 0);
      const doubles = b.endVector();
      const nullOff = boolVector(b, nulls);
      b.startObject(7);
      b.addFieldOffset(0, nullOff, 0);
      b.addFieldOffset(3, doubles, 0);
      return { type: FbsDataType.DOUBLE, offset: b.endObject() };
    }
    case SqlType.STRING: {
      const rle = runs(col.values);
      if (rle) {
        const arr = offsetVector(
          b,
          rle.array.map((s) => b.createString(s)),
        );
        b.startVector(4, n, 4);
        for (let i = n - 1; i >= 0; i--) b.addInt32(rle.mapping[i]);
        const mapping = b.endVector();
        b.startObject(2);
        b.addFieldOffset(0, arr, 0);
        b.addFieldOffset(1, mapping, 0);
        const rleOff = b.endObject();
        const nullOff = boolVector(b, nulls);
        b.startObject(7);
        b.addFieldOffset(0, nullOff, 0);
        b.addFieldOffset(6, rleOff, 0);
        return { type: FbsDataType.STRING_RLE, offset: b.endObject() };
      }
      const strings = offsetVector(
        b,
        col.values.map((v) => b.createString((v as string | null) ?? '')),
      );
      const nullOff = boolVector(b, nulls);
      b.startObject(7);
      b.addFieldOffset(0, nullOff, 0);
      b.addFieldOffset(4, strings, 0);
      return { type: FbsDataType.STRING, offset: b.endObject() };
    }
    case SqlType.BINARY: {
      const items = col.values.map((v) => {
        const bytes = (v as Uint8Array | null) ?? EMPTY;
        b.startVector(1, bytes.length, 1);
        for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
        const vec = b.endVector();
        b.startObject(1);
        b.addFieldOffset(0, vec, 0);
        return b.endObject();
      });
      const binaries = offsetVector(b, items);
      const nullOff = boolVector(b, nulls);
      b.startObject(7);
      b.addFieldOffset(0, nullOff, 0);
      b.addFieldOffset(5, binaries, 0);
      return { type: FbsDataType.BINARY, offset: b.endObject() };
    }
  }
}

/** Encodes a result set; `rowCount` is explicit so a result without columns still says how many rows. */
export function encodeSqlRows(columns: readonly ResultColumn[], rowCount: number): Uint8Array {
  const b = new Builder(1024);
  const cols = columns.map((col) => {
    const name = b.createString(col.name);
    const { type, offset } = columnValues(b, col);
    b.startObject(3);
    b.addFieldOffset(0, name, 0);
    b.addFieldInt8(1, type, 0);
    b.addFieldOffset(2, offset, 0);
    return b.endObject();
  });
  const vec = offsetVector(b, cols);
  b.startObject(2);
  b.addFieldOffset(0, vec, 0);
  b.addFieldInt64(1, BigInt(rowCount), 0n);
  b.finish(b.endObject());
  return b.asUint8Array();
}
