/**
 * Stored form of a point's fields (the KvStore value): u16 count, then per field
 * u16 nameLen, name, u8 type (FlatBuffer DataType codes), payload
 * (LONG/DOUBLE 8 bytes LE, BOOLEAN 1 byte, STRING/BINARY u32 length + bytes). Fields are kept sorted by name.
 */
import {
  FlatBufferDataType,
  fieldTypeOf,
  type TimeseriesFieldValue,
} from '../../../../lib/tablestore/protocol/flatbuffer-rows';

const enc = new TextEncoder();
const dec = new TextDecoder();

export type StoredField = readonly [name: string, value: TimeseriesFieldValue];

export function encodeFields(fields: readonly StoredField[]): Uint8Array {
  const parts: { name: Uint8Array; type: number; payload: Uint8Array | undefined; value: TimeseriesFieldValue }[] = [];
  let size = 2;
  for (const [name, value] of fields) {
    const nameBytes = enc.encode(name);
    const type = fieldTypeOf(value);
    let payload: Uint8Array | undefined;
    size += 2 + nameBytes.length + 1;
    if (type === FlatBufferDataType.STRING) payload = enc.encode(value as string);
    else if (type === FlatBufferDataType.BINARY) payload = value as Uint8Array;
    size += payload ? 4 + payload.length : type === FlatBufferDataType.BOOLEAN ? 1 : 8;
    parts.push({ name: nameBytes, type, payload, value });
  }
  const out = Buffer.allocUnsafe(size);
  let p = out.writeUInt16LE(parts.length, 0);
  for (const f of parts) {
    p = out.writeUInt16LE(f.name.length, p);
    out.set(f.name, p);
    p += f.name.length;
    out[p++] = f.type;
    switch (f.type) {
      case FlatBufferDataType.LONG:
        p = out.writeBigInt64LE(f.value as bigint, p);
        break;
      case FlatBufferDataType.DOUBLE:
        p = out.writeDoubleLE(f.value as number, p);
        break;
      case FlatBufferDataType.BOOLEAN:
        out[p++] = f.value ? 1 : 0;
        break;
      default:
        p = out.writeUInt32LE(f.payload!.length, p);
        out.set(f.payload!, p);
        p += f.payload!.length;
    }
  }
  return out;
}

/**
 * Remembers the field names of the previous record by position: consecutive points of a series nearly
 * always have the same fields, so their names are compared as bytes instead of decoded again.
 */
export class FieldNameCache {
  readonly bytes: Uint8Array[] = [];
  readonly names: string[] = [];
}

function nameAt(b: Buffer, start: number, len: number, i: number, cache: FieldNameCache | undefined): string {
  if (cache) {
    const prev = cache.bytes[i];
    if (prev && prev.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (prev[k] !== b[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return cache.names[i];
    }
  }
  const name = dec.decode(b.subarray(start, start + len));
  if (cache) {
    cache.bytes[i] = new Uint8Array(b.subarray(start, start + len));
    cache.names[i] = name;
  }
  return name;
}

/** Decodes stored fields; `want`, when given, maps name → required type and drops everything else. */
export function decodeFields(
  bytes: Uint8Array,
  want?: ReadonlyMap<string, number>,
  cache?: FieldNameCache,
): StoredField[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = b.readUInt16LE(0);
  let p = 2;
  const out: StoredField[] = [];
  for (let i = 0; i < n; i++) {
    const nameLen = b.readUInt16LE(p);
    p += 2;
    const name = nameAt(b, p, nameLen, i, cache);
    p += nameLen;
    const type = b[p++];
    let value: TimeseriesFieldValue;
    switch (type) {
      case FlatBufferDataType.LONG:
        value = b.readBigInt64LE(p);
        p += 8;
        break;
      case FlatBufferDataType.DOUBLE:
        value = b.readDoubleLE(p);
        p += 8;
        break;
      case FlatBufferDataType.BOOLEAN:
        value = b[p++] !== 0;
        break;
      case FlatBufferDataType.STRING: {
        const len = b.readUInt32LE(p);
        value = dec.decode(b.subarray(p + 4, p + 4 + len));
        p += 4 + len;
        break;
      }
      default: {
        const len = b.readUInt32LE(p);
        value = new Uint8Array(b.subarray(p + 4, p + 4 + len));
        p += 4 + len;
      }
    }
    if (want && want.get(name) !== type) continue;
    out.push([name, value]);
  }
  return out;
}
