/**
 * A small proto2 codec driven by static field tables (descriptors.ts, generated from the .proto files
 * beside it by scripts/gen-proto.ts). Only what Tablestore's messages use: int32, uint32, int64, bool,
 * string, bytes, enums (as numbers), nested messages, required / optional / repeated (packed repeated
 * scalars are read too). Nothing is parsed or code-generated at load, and the bundle carries no protobuf
 * library.
 *
 * Plain objects in and out, with field names as on the wire: int64 decodes as bigint (encodes from bigint,
 * number or decimal string), bytes as Buffer views of the input, repeated fields are always arrays, absent
 * optional fields are absent. A missing required field or malformed bytes throw ProtoDecodeError.
 */

import { ByteWriter } from '../byte-writer';
import { FormatError } from '../format-error';

/** Wire types of the field kinds (T.*): 0 varint, 2 length-delimited. */
export const T = {
  int32: 0,
  uint32: 1,
  int64: 2,
  bool: 3,
  string: 4,
  bytes: 5,
  enum: 6,
  message: 7,
  double: 8,
  float: 9,
  sint64: 10,
} as const;
export type FieldKind = (typeof T)[keyof typeof T];
/** 0 optional, 1 required, 2 repeated */
export type FieldRule = 0 | 1 | 2;

/** [field number, name, kind, rule, message type name (kind message only)] */
export type FieldDesc = readonly [no: number, name: string, kind: FieldKind, rule: FieldRule, type?: string];
export type Descriptors = Readonly<Record<string, readonly FieldDesc[]>>;

/** Malformed bytes or a missing required field in a protobuf message. */
export class ProtoDecodeError extends FormatError {
  override readonly name = 'ProtoDecodeError';
}

// ------------------------------------------------------------------------------------------ encoding

class Writer extends ByteWriter {
  /** An unsigned varint of a non-negative number below 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  /** A 64-bit two's complement varint (negative int32 / int64 take 10 bytes). */
  varint64(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    const b = this.buf;
    while (u > 0x7fn) {
      b[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    b[this.pos++] = Number(u);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }
}

function toBigInt(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`${where}: expected an integer`);
}

function toInt(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(`${where}: expected an integer`);
}

function writeValue(w: Writer, d: Descriptors, f: FieldDesc, v: unknown): void {
  const [no, name, kind] = f;
  switch (kind) {
    case T.int32:
    case T.enum: {
      w.varint((no << 3) >>> 0);
      const n = toInt(v, name) | 0;
      if (n >= 0) w.varint(n);
      else w.varint64(BigInt(n));
      return;
    }
    case T.uint32:
      w.varint((no << 3) >>> 0);
      w.varint(toInt(v, name) >>> 0);
      return;
    case T.int64: {
      w.varint((no << 3) >>> 0);
      if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) w.varint(v);
      else w.varint64(toBigInt(v, name));
      return;
    }
    case T.bool:
      w.varint((no << 3) >>> 0);
      w.varint(v ? 1 : 0);
      return;
    case T.sint64: {
      w.varint((no << 3) >>> 0);
      const n = toBigInt(v, name);
      w.varint64(n >= 0n ? n << 1n : (-n << 1n) - 1n);
      return;
    }
    case T.double:
      w.varint(((no << 3) | 1) >>> 0);
      w.ensure(8);
      w.buf.writeDoubleLE(Number(v), w.pos);
      w.pos += 8;
      return;
    case T.float:
      w.varint(((no << 3) | 5) >>> 0);
      w.ensure(4);
      w.buf.writeFloatLE(Number(v), w.pos);
      w.pos += 4;
      return;
    case T.string:
      w.varint(((no << 3) | 2) >>> 0);
      w.string(typeof v === 'string' ? v : String(v));
      return;
    case T.bytes:
      w.varint(((no << 3) | 2) >>> 0);
      if (!(v instanceof Uint8Array)) throw new TypeError(`${name}: expected bytes`);
      w.bytes(v);
      return;
    case T.message: {
      w.varint(((no << 3) | 2) >>> 0);
      // Length-prefixed: written after the body, which is encoded in place and moved up if needed.
      const lengthAt = w.pos;
      w.ensure(5);
      w.pos += 1;
      const start = w.pos;
      writeMessage(w, d, f[4] as string, (v ?? {}) as Record<string, unknown>, false);
      const len = w.pos - start;
      if (len < 0x80) {
        w.buf[lengthAt] = len;
      } else {
        const body = Buffer.from(w.buf.subarray(start, w.pos));
        w.pos = lengthAt;
        w.bytes(body);
      }
      return;
    }
  }
}

const DEFAULTS: Record<number, unknown> = {
  [T.int32]: 0,
  [T.uint32]: 0,
  [T.int64]: 0,
  [T.sint64]: 0,
  [T.double]: 0,
  [T.float]: 0,
  [T.bool]: false,
  [T.string]: '',
  [T.bytes]: new Uint8Array(0),
  [T.enum]: 0,
};

function writeMessage(w: Writer, d: Descriptors, type: string, value: Record<string, unknown>, strict: boolean): void {
  const fields = d[type];
  if (!fields) throw new TypeError(`unknown message ${type}`);
  for (const f of fields) {
    const v = value[f[1]];
    if (v === undefined || v === null) {
      if (f[3] !== 1) continue;
      if (strict) throw new TypeError(`${type}: missing required field ${f[1]}`);
      // Like protobufjs: a required field is always written, with its type's default when unset.
      writeValue(w, d, f, f[2] === T.message ? {} : DEFAULTS[f[2]]);
      continue;
    }
    if (f[3] === 2) {
      if (!Array.isArray(v)) throw new TypeError(`${type}.${f[1]}: expected an array`);
      for (const item of v) writeValue(w, d, f, item);
    } else {
      writeValue(w, d, f, v);
    }
  }
}

/** Encodes `value` as message `type`. `strict`: a missing required field throws instead of defaulting. */
export function encode(d: Descriptors, type: string, value: object, strict = false): Uint8Array {
  const w = new Writer();
  writeMessage(w, d, type, value as Record<string, unknown>, strict);
  return w.result();
}

// ------------------------------------------------------------------------------------------ decoding

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new ProtoDecodeError(`${what} at offset ${this.pos}`);
  }

  /** A varint as a number (exact below 2^53; callers of 64-bit fields use varint64). */
  varint(): number {
    const b = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = b[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    return this.fail('varint too long');
  }

  /** The low 32 bits of a varint, signed (how int32 and enum values are read). */
  varint32(): number {
    const b = this.buf;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = b[this.pos++];
      if (i < 5) result |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) return result | 0;
    }
    return this.fail('varint too long');
  }

  varint64(): bigint {
    const b = this.buf;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = b[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    return this.fail('varint too long');
  }

  /** [start, end) of a length-delimited field. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) this.fail('truncated length-delimited field');
    this.pos = start + len;
    return [start, start + len];
  }

  /** The next `n` bytes (a fixed64 / fixed32 value). */
  fixed(n: number): Buffer {
    if (this.pos + n > this.end) this.fail('truncated fixed-width value');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) this.fail('truncated field');
  }
}

const utf8 = new TextDecoder('utf-8');

function readScalar(r: Reader, kind: FieldKind): unknown {
  switch (kind) {
    case T.int32:
    case T.enum:
      return r.varint32();
    case T.uint32:
      return r.varint32() >>> 0;
    case T.int64:
      return r.varint64();
    case T.bool:
      return r.varint() !== 0;
    case T.sint64: {
      const u = BigInt.asUintN(64, r.varint64());
      return (u & 1n) === 0n ? u >> 1n : -(u >> 1n) - 1n;
    }
    case T.double:
      return r.fixed(8).readDoubleLE(0);
    case T.float:
      return r.fixed(4).readFloatLE(0);
    case T.string: {
      const [s, e] = r.span();
      return utf8.decode(r.buf.subarray(s, e));
    }
    case T.bytes: {
      const [s, e] = r.span();
      return r.buf.subarray(s, e);
    }
    default:
      return undefined;
  }
}

interface Index {
  readonly byNumber: Map<number, FieldDesc>;
  readonly required: readonly FieldDesc[];
  readonly repeated: readonly FieldDesc[];
}

const indexes = new WeakMap<Descriptors, Map<string, Index>>();

function indexOf(d: Descriptors, type: string): Index {
  let perType = indexes.get(d);
  if (!perType) indexes.set(d, (perType = new Map<string, Index>()));
  let idx = perType.get(type);
  if (!idx) {
    const fields = d[type];
    if (!fields) throw new TypeError(`unknown message ${type}`);
    idx = {
      byNumber: new Map(fields.map((f) => [f[0], f])),
      required: fields.filter((f) => f[3] === 1),
      repeated: fields.filter((f) => f[3] === 2),
    };
    perType.set(type, idx);
  }
  return idx;
}

const WIRE_TYPE: Record<FieldKind, number> = {
  [T.int32]: 0,
  [T.uint32]: 0,
  [T.int64]: 0,
  [T.sint64]: 0,
  [T.bool]: 0,
  [T.enum]: 0,
  [T.double]: 1,
  [T.float]: 5,
  [T.string]: 2,
  [T.bytes]: 2,
  [T.message]: 2,
};

function readMessage(r: Reader, d: Descriptors, type: string, depth: number): Record<string, unknown> {
  if (depth > 64) r.fail('messages nested too deeply');
  const idx = indexOf(d, type);
  const out: Record<string, unknown> = {};
  for (const f of idx.repeated) out[f[1]] = [];
  while (r.pos < r.end) {
    const key = r.varint();
    const no = Math.floor(key / 8);
    const wireType = key & 7;
    const f = idx.byNumber.get(no);
    if (no === 0) r.fail('field number 0');
    if (!f) {
      r.skip(wireType);
      continue;
    }
    const kind = f[2];
    if (kind === T.message) {
      if (wireType !== 2) r.fail(`${type}.${f[1]}: wrong wire type ${wireType}`);
      const [s, e] = r.span();
      const sub = readMessage(new Reader(r.buf, s, e), d, f[4] as string, depth + 1);
      if (f[3] === 2) (out[f[1]] as unknown[]).push(sub);
      else out[f[1]] = sub;
      continue;
    }
    if (f[3] === 2 && wireType === 2 && WIRE_TYPE[kind] !== 2) {
      // A packed run of scalars.
      const [s, e] = r.span();
      const packed = new Reader(r.buf, s, e);
      const list = out[f[1]] as unknown[];
      while (packed.pos < packed.end) list.push(readScalar(packed, kind));
      continue;
    }
    if (wireType !== WIRE_TYPE[kind]) r.fail(`${type}.${f[1]}: wrong wire type ${wireType}`);
    const v = readScalar(r, kind);
    if (f[3] === 2) (out[f[1]] as unknown[]).push(v);
    else out[f[1]] = v;
  }
  for (const f of idx.required)
    if (!Object.hasOwn(out, f[1])) throw new ProtoDecodeError(`${type}: missing required field '${f[1]}'`);
  return out;
}

/** Decodes message `type`; ProtoDecodeError on malformed bytes or a missing required field. */
export function decode<T extends object>(d: Descriptors, type: string, bytes: Uint8Array): T {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readMessage(new Reader(buf, 0, buf.length), d, type, 0) as T;
}

/** Name-keyed, type-checked codec of one message family: `M` maps message names to their plain-object shapes. */
export interface ProtoCodec<M> {
  encode<N extends keyof M & string>(name: N, value: M[N]): Uint8Array;
  /** Throws ProtoDecodeError (naming the message) on malformed bytes or missing required fields. */
  decode<N extends keyof M & string>(name: N, bytes: Uint8Array): M[N];
}

export interface ProtoCodecOptions {
  /** A missing required field throws on encode instead of defaulting (for messages we must get right). */
  readonly strict?: boolean;
}

/** The codec over one family's descriptors (descriptors.ts); a misspelt message name does not compile. */
export function protoCodec<M>(d: Descriptors, options: ProtoCodecOptions = {}): ProtoCodec<M> {
  return {
    encode: (name, value) => encode(d, name, value as object, options.strict),
    decode<N extends keyof M & string>(name: N, bytes: Uint8Array): M[N] {
      try {
        return decode<M[N] & object>(d, name, bytes);
      } catch (err) {
        if (err instanceof ProtoDecodeError) throw new ProtoDecodeError(`Malformed ${name}: ${err.message}`);
        throw err;
      }
    },
  };
}
