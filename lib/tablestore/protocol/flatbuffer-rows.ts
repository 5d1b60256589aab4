/**
 * FlatBuffer rows of PutTimeseriesData (`TimeseriesRows.type = RST_FLAT_BUFFER`), schema per
 * docs/protocol.md §9.5:
 *
 *   FlatBufferRows       { row_groups: [FlatBufferRowGroup] }
 *   FlatBufferRowGroup   { measurement_name: string, field_names: [string], field_types: [byte], rows: [FlatBufferRowInGroup] }
 *   FlatBufferRowInGroup { data_source: string, tags: string, time: int64, field_values: FieldValues,
 *                          meta_cache_update_time: uint32, tag_list: [Tag] }
 *   FieldValues          { long_values: [long], bool_values: [bool], double_values: [double],
 *                          string_values: [string], binary_values: [BytesValue] }
 *   Tag                  { name: string, value: string }      BytesValue { value: [byte] }
 *
 * Encoding uses the `flatbuffers` Builder; decoding uses its ByteBuffer with our own bounds checks on every
 * offset, so hostile bytes raise FlatBufferFormatError instead of reading garbage or looping for long.
 */
import { FormatError } from './format-error';
import { Builder, ByteBuffer } from 'flatbuffers';
import { setOwn } from '../set-own';

export const FlatBufferDataType = { NONE: 0, LONG: 1, BOOLEAN: 2, DOUBLE: 3, STRING: 4, BINARY: 5 } as const;
export type FlatBufferDataTypeCode = (typeof FlatBufferDataType)[keyof typeof FlatBufferDataType];

/** A field value; its JS type decides the wire type: bigint LONG, number DOUBLE, boolean, string, bytes BINARY. */
export type TimeseriesFieldValue = bigint | number | boolean | string | Uint8Array;

export interface TimeseriesTagPair {
  readonly name: string;
  readonly value: string;
}

export interface FlatBufferRowGroup {
  readonly measurement: string;
  /** Field names and types shared by every row of the group (the writer sorts them by name). */
  readonly fields: readonly { readonly name: string; readonly type: FlatBufferDataTypeCode }[];
  readonly rows: readonly FlatBufferGroupRow[];
}

export interface FlatBufferGroupRow {
  readonly dataSource: string;
  /** Old-model string form (`["k=v"]`); written only when given (undefined counts as not given). */
  readonly tags?: string | undefined;
  readonly tagList?: readonly TimeseriesTagPair[] | undefined;
  /** Microseconds. */
  readonly time: bigint;
  /** One value per group field, in the group's field order. */
  readonly values: readonly TimeseriesFieldValue[];
  readonly metaCacheUpdateTime?: number | undefined;
}

/** A decoded row, flattened out of its group (request `row_index` counts these in order). */
export interface FlatBufferRow {
  measurement: string;
  dataSource: string;
  /** The `tags` slot as sent (undefined when absent). */
  tags: string | undefined;
  tagList: TimeseriesTagPair[];
  time: bigint;
  fields: Record<string, TimeseriesFieldValue>;
  metaCacheUpdateTime: number;
}

/** The input of the SDK-style writer: one row, written as a one-row group. */
export interface FlatBufferRowInput {
  readonly measurement: string;
  readonly dataSource: string;
  readonly tags?: string | undefined;
  readonly tagList?: readonly TimeseriesTagPair[] | undefined;
  readonly time: bigint;
  readonly fields: Readonly<Record<string, TimeseriesFieldValue>>;
  readonly metaCacheUpdateTime?: number | undefined;
}

export class FlatBufferFormatError extends FormatError {
  override readonly name = 'FlatBufferFormatError';
}

export function fieldTypeOf(value: TimeseriesFieldValue): FlatBufferDataTypeCode {
  switch (typeof value) {
    case 'bigint':
      return FlatBufferDataType.LONG;
    case 'number':
      return FlatBufferDataType.DOUBLE;
    case 'boolean':
      return FlatBufferDataType.BOOLEAN;
    case 'string':
      return FlatBufferDataType.STRING;
    default:
      if (value instanceof Uint8Array) return FlatBufferDataType.BINARY;
      throw new TypeError(`unsupported field value type: ${typeof value}`);
  }
}

const utf8 = new TextEncoder();

/** Bytewise (UTF-8) order, the order the SDKs and the service sort names in. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(i);
  // Below the surrogate range UTF-16 order equals code point order equals UTF-8 order.
  if (ca < 0xd800 && cb < 0xd800) return ca - cb;
  return Buffer.compare(utf8.encode(a.slice(i)), utf8.encode(b.slice(i)));
}

// ------------------------------------------------------------------------------------------------ encode

function stringVector(builder: Builder, values: readonly string[]): number {
  const offsets = values.map((v) => builder.createString(v));
  builder.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
  return builder.endVector();
}

function offsetVector(builder: Builder, offsets: readonly number[]): number {
  builder.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
  return builder.endVector();
}

function writeFieldValues(
  builder: Builder,
  fields: FlatBufferRowGroup['fields'],
  values: readonly TimeseriesFieldValue[],
): number {
  const longs: bigint[] = [];
  const bools: boolean[] = [];
  const doubles: number[] = [];
  const strings: string[] = [];
  const binaries: Uint8Array[] = [];
  for (let i = 0; i < fields.length; i++) {
    const v = values[i];
    switch (fields[i].type) {
      case FlatBufferDataType.LONG:
        if (typeof v !== 'bigint') throw new TypeError(`field ${fields[i].name}: LONG needs a bigint`);
        longs.push(v);
        break;
      case FlatBufferDataType.BOOLEAN:
        if (typeof v !== 'boolean') throw new TypeError(`field ${fields[i].name}: BOOLEAN needs a boolean`);
        bools.push(v);
        break;
      case FlatBufferDataType.DOUBLE:
        if (typeof v !== 'number') throw new TypeError(`field ${fields[i].name}: DOUBLE needs a number`);
        doubles.push(v);
        break;
      case FlatBufferDataType.STRING:
        if (typeof v !== 'string') throw new TypeError(`field ${fields[i].name}: STRING needs a string`);
        strings.push(v);
        break;
      case FlatBufferDataType.BINARY:
        if (!(v instanceof Uint8Array)) throw new TypeError(`field ${fields[i].name}: BINARY needs bytes`);
        binaries.push(v);
        break;
      default:
        throw new TypeError(`field ${fields[i].name}: unsupported type ${fields[i].type}`);
    }
  }
  let longVec = 0;
  if (longs.length) {
    builder.startVector(8, longs.length, 8);
    for (let i = longs.length - 1; i >= 0; i--) builder.addInt64(BigInt.asIntN(64, longs[i]));
    longVec = builder.endVector();
  }
  let boolVec = 0;
  if (bools.length) {
    builder.startVector(1, bools.length, 1);
    for (let i = bools.length - 1; i >= 0; i--) builder.addInt8(bools[i] ? 1 : 0);
    boolVec = builder.endVector();
  }
  let doubleVec = 0;
  if (doubles.length) {
    builder.startVector(8, doubles.length, 8);
    for (let i = doubles.length - 1; i >= 0; i--) builder.addFloat64(doubles[i]);
    doubleVec = builder.endVector();
  }
  const stringVec = strings.length ? stringVector(builder, strings) : 0;
  let binaryVec = 0;
  if (binaries.length) {
    const tables = binaries.map((b) => {
      const data = builder.createByteVector(b);
      builder.startObject(1);
      builder.addFieldOffset(0, data, 0);
      return builder.endObject();
    });
    binaryVec = offsetVector(builder, tables);
  }
  builder.startObject(5);
  if (longVec) builder.addFieldOffset(0, longVec, 0);
  if (boolVec) builder.addFieldOffset(1, boolVec, 0);
  if (doubleVec) builder.addFieldOffset(2, doubleVec, 0);
  if (stringVec) builder.addFieldOffset(3, stringVec, 0);
  if (binaryVec) builder.addFieldOffset(4, binaryVec, 0);
  return builder.endObject();
}

function writeRow(builder: Builder, group: FlatBufferRowGroup, row: FlatBufferGroupRow): number {
  if (row.values.length !== group.fields.length) {
    throw new TypeError(`row has ${row.values.length} values for ${group.fields.length} fields`);
  }
  const dataSource = builder.createString(row.dataSource);
  const tags = row.tags !== undefined ? builder.createString(row.tags) : 0;
  const values = writeFieldValues(builder, group.fields, row.values);
  let tagList = 0;
  if (row.tagList && row.tagList.length) {
    const tagTables = row.tagList.map((t) => {
      const name = builder.createString(t.name);
      const value = builder.createString(t.value);
      builder.startObject(2);
      builder.addFieldOffset(0, name, 0);
      builder.addFieldOffset(1, value, 0);
      return builder.endObject();
    });
    tagList = offsetVector(builder, tagTables);
  }
  builder.startObject(6);
  builder.addFieldOffset(0, dataSource, 0);
  if (tags) builder.addFieldOffset(1, tags, 0);
  builder.addFieldInt64(2, BigInt.asIntN(64, row.time), 0n);
  builder.addFieldOffset(3, values, 0);
  if (row.metaCacheUpdateTime) builder.addFieldInt32(4, row.metaCacheUpdateTime | 0, 0);
  if (tagList) builder.addFieldOffset(5, tagList, 0);
  return builder.endObject();
}

/** Writes row groups exactly as given (a group may hold many rows). */
export function encodeFlatBufferRowGroups(groups: readonly FlatBufferRowGroup[]): Uint8Array {
  const builder = new Builder(1024);
  const groupOffsets = groups.map((group) => {
    const measurement = builder.createString(group.measurement);
    const names = stringVector(
      builder,
      group.fields.map((f) => f.name),
    );
    builder.startVector(1, group.fields.length, 1);
    for (let i = group.fields.length - 1; i >= 0; i--) builder.addInt8(group.fields[i].type);
    const types = builder.endVector();
    const rows = offsetVector(
      builder,
      group.rows.map((r) => writeRow(builder, group, r)),
    );
    builder.startObject(4);
    builder.addFieldOffset(0, measurement, 0);
    builder.addFieldOffset(1, names, 0);
    builder.addFieldOffset(2, types, 0);
    builder.addFieldOffset(3, rows, 0);
    return builder.endObject();
  });
  const groupsVec = offsetVector(builder, groupOffsets);
  builder.startObject(1);
  builder.addFieldOffset(0, groupsVec, 0);
  builder.finish(builder.endObject());
  return builder.asUint8Array();
}

/** Sorts a row's fields by name (bytewise) and pairs each with its type, as the SDKs do. */
export function rowFields(fields: Readonly<Record<string, TimeseriesFieldValue>>): {
  fields: { name: string; type: FlatBufferDataTypeCode }[];
  values: TimeseriesFieldValue[];
} {
  const names = Object.keys(fields).sort(compareUtf8);
  return {
    fields: names.map((name) => ({ name, type: fieldTypeOf(fields[name]) })),
    values: names.map((name) => fields[name]),
  };
}

/** SDK-style writer: one row group per row, fields sorted by name, tag list sorted by name. */
export function encodeFlatBufferRows(rows: readonly FlatBufferRowInput[]): Uint8Array {
  return encodeFlatBufferRowGroups(
    rows.map((row) => {
      const { fields, values } = rowFields(row.fields);
      return {
        measurement: row.measurement,
        fields,
        rows: [
          {
            dataSource: row.dataSource,
            tags: row.tags,
            tagList: row.tagList ? [...row.tagList].sort((a, b) => compareUtf8(a.name, b.name)) : undefined,
            time: row.time,
            values,
            metaCacheUpdateTime: row.metaCacheUpdateTime,
          },
        ],
      };
    }),
  );
}

// ------------------------------------------------------------------------------------------------ decode

const textDecoder = new TextDecoder();

/**
 * Bounds-checked table/vector navigation over a flatbuffers ByteBuffer, shared by every FlatBuffer decoder
 * (these rows, SQL result rows); `Fault` is the FormatError subclass the decoder reports.
 */
export class FlatBufferReader {
  readonly bb: ByteBuffer;
  readonly size: number;
  readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    readonly Fault: new (message: string) => FormatError = FlatBufferFormatError,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.bytes = bytes;
    this.size = bytes.length;
  }

  need(pos: number, len: number): void {
    if (!Number.isInteger(pos) || pos < 0 || len < 0 || pos + len > this.size) {
      throw new this.Fault(`offset ${pos}+${len} outside the ${this.size}-byte buffer`);
    }
  }

  /** Position of the table an offset at `pos` refers to. */
  indirect(pos: number): number {
    this.need(pos, 4);
    const target = pos + this.bb.readUint32(pos);
    this.need(target, 4);
    return target;
  }

  /** Absolute position of field `slot` inside the table at `table`, or 0 when absent. */
  field(table: number, slot: number): number {
    this.need(table, 4);
    const vtable = table - this.bb.readInt32(table);
    this.need(vtable, 4);
    const vtableSize = this.bb.readUint16(vtable);
    const tableSize = this.bb.readUint16(vtable + 2);
    const entry = 4 + slot * 2;
    if (entry + 2 > vtableSize) return 0;
    this.need(vtable, vtableSize);
    const rel = this.bb.readUint16(vtable + entry);
    if (rel === 0) return 0;
    if (rel >= tableSize) throw new this.Fault(`field ${slot} lies outside its table`);
    return table + rel;
  }

  /** Start and length of the vector referenced at `pos`; checks the whole vector fits the buffer. */
  vector(pos: number, elemSize: number): { start: number; length: number } {
    const at = this.indirect(pos);
    const length = this.bb.readUint32(at);
    this.need(at + 4, length * elemSize);
    return { start: at + 4, length };
  }

  stringAt(pos: number): string {
    const { start, length } = this.vector(pos, 1);
    return textDecoder.decode(this.bytes.subarray(start, start + length));
  }

  optionalString(table: number, slot: number): string | undefined {
    const f = this.field(table, slot);
    return f ? this.stringAt(f) : undefined;
  }

  stringList(table: number, slot: number): string[] {
    const f = this.field(table, slot);
    if (!f) return [];
    const { start, length } = this.vector(f, 4);
    const out = new Array<string>(length);
    for (let i = 0; i < length; i++) out[i] = this.stringAt(start + i * 4);
    return out;
  }

  tableList(table: number, slot: number): number[] {
    const f = this.field(table, slot);
    if (!f) return [];
    const { start, length } = this.vector(f, 4);
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.indirect(start + i * 4);
    return out;
  }
}

function readRow(
  r: FlatBufferReader,
  rowTable: number,
  measurement: string,
  names: readonly string[],
  types: readonly number[],
): FlatBufferRow {
  const dataSource = r.optionalString(rowTable, 0) ?? '';
  const tags = r.optionalString(rowTable, 1);
  const timePos = r.field(rowTable, 2);
  let time = 0n;
  if (timePos) {
    r.need(timePos, 8);
    time = r.bb.readInt64(timePos);
  }
  const metaPos = r.field(rowTable, 4);
  let metaCacheUpdateTime = 0;
  if (metaPos) {
    r.need(metaPos, 4);
    metaCacheUpdateTime = r.bb.readUint32(metaPos);
  }
  const tagList = r.tableList(rowTable, 5).map((t) => ({
    name: r.optionalString(t, 0) ?? '',
    value: r.optionalString(t, 1) ?? '',
  }));

  const fields: Record<string, TimeseriesFieldValue> = {};
  if (names.length) {
    const valuesPos = r.field(rowTable, 3);
    if (!valuesPos) throw new FlatBufferFormatError('row without field_values');
    const values = r.indirect(valuesPos);
    const vec = (slot: number, elemSize: number) => {
      const f = r.field(values, slot);
      return f ? r.vector(f, elemSize) : { start: 0, length: 0 };
    };
    const longs = vec(0, 8);
    const bools = vec(1, 1);
    const doubles = vec(2, 8);
    const strings = vec(3, 4);
    const binaries = vec(4, 4);
    const next = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < names.length; i++) {
      const type = types[i];
      const k = next[type]++;
      const take = (v: { start: number; length: number }) => {
        if (k >= v.length) throw new FlatBufferFormatError(`field ${names[i]} has no value`);
      };
      switch (type) {
        case FlatBufferDataType.LONG:
          take(longs);
          setOwn(fields, names[i], r.bb.readInt64(longs.start + k * 8));
          break;
        case FlatBufferDataType.BOOLEAN:
          take(bools);
          setOwn(fields, names[i], r.bytes[bools.start + k] !== 0);
          break;
        case FlatBufferDataType.DOUBLE:
          take(doubles);
          setOwn(fields, names[i], r.bb.readFloat64(doubles.start + k * 8));
          break;
        case FlatBufferDataType.STRING:
          take(strings);
          setOwn(fields, names[i], r.stringAt(strings.start + k * 4));
          break;
        case FlatBufferDataType.BINARY: {
          take(binaries);
          const t = r.indirect(binaries.start + k * 4);
          const f = r.field(t, 0);
          let bytes = new Uint8Array(0);
          if (f) {
            const { start, length } = r.vector(f, 1);
            bytes = new Uint8Array(r.bytes.subarray(start, start + length));
          }
          setOwn(fields, names[i], bytes);
          break;
        }
        default:
          throw new FlatBufferFormatError(`field ${names[i]} has unknown type ${type}`);
      }
    }
  }
  return { measurement, dataSource, tags, tagList, time, fields, metaCacheUpdateTime };
}

/** Decodes every row of every group, in order. Throws FlatBufferFormatError on malformed bytes. */
export function decodeFlatBufferRows(bytes: Uint8Array): FlatBufferRow[] {
  const r = new FlatBufferReader(bytes);
  if (bytes.length < 8) throw new FlatBufferFormatError('buffer too short');
  const root = r.indirect(0);
  const rows: FlatBufferRow[] = [];
  for (const group of r.tableList(root, 0)) {
    const measurement = r.optionalString(group, 0) ?? '';
    const names = r.stringList(group, 1);
    const typesPos = r.field(group, 2);
    const types: number[] = [];
    if (typesPos) {
      const { start, length } = r.vector(typesPos, 1);
      for (let i = 0; i < length; i++) types.push(r.bytes[start + i]);
    }
    if (types.length !== names.length) {
      throw new FlatBufferFormatError(`${names.length} field names but ${types.length} field types`);
    }
    for (const row of r.tableList(group, 3)) rows.push(readRow(r, row, measurement, names, types));
  }
  return rows;
}
