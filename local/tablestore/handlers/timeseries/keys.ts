/**
 * Order-preserving byte keys for time series storage in the KvStore.
 *
 *   series key = str(measurement) str(dataSource) str(tagsText)
 *   point key  = series key, i64(time), then one component per field-primary-key column
 *
 * str() escapes 0x00 as 00 FF and ends with 00 01, so bytewise order of keys equals the order of the
 * component tuples and no key is a prefix of another of the same shape. i64() is big-endian with the sign
 * bit flipped, so negative times sort before positive ones.
 */
import { FormatError } from '../../../../lib/tablestore/protocol/format-error';

const enc = new TextEncoder();

export class KeyWriter {
  private buf: Buffer;
  private len = 0;

  constructor(capacity = 64) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length * 2 + 2);
    for (let i = 0; i < value.length; i++) {
      const b = value[i];
      this.buf[this.len++] = b;
      if (b === 0) this.buf[this.len++] = 0xff;
    }
    this.buf[this.len++] = 0;
    this.buf[this.len++] = 1;
    return this;
  }

  string(value: string): this {
    return this.bytes(enc.encode(value));
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, value) ^ 0x8000000000000000n, this.len);
    this.len += 8;
    return this;
  }

  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  finish(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.len));
  }
}

export function seriesKey(measurement: string, dataSource: string, tagsText: string): Uint8Array {
  return new KeyWriter(32 + measurement.length + dataSource.length + tagsText.length)
    .string(measurement)
    .string(dataSource)
    .string(tagsText)
    .finish();
}

export function decodeInt64(b: Uint8Array, offset: number): bigint {
  // Big-endian with the sign bit flipped: undo the flip on the high word, then combine.
  const hi = ((b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3]) ^ 0x80000000; // signed
  const lo = ((b[offset + 4] << 24) | (b[offset + 5] << 16) | (b[offset + 6] << 8) | b[offset + 7]) >>> 0;
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The smallest key greater than every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]++;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error('prefix has no upper bound');
}

/** The smallest key greater than `key` itself (keys of one table are prefix-free). */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class KeyFormatError extends FormatError {
  override readonly name = 'KeyFormatError';
}

/** Reads components written by KeyWriter. */
export class KeyReader {
  pos: number;
  constructor(
    readonly key: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  int64(): bigint {
    if (this.pos + 8 > this.key.length) throw new KeyFormatError('truncated int64 key component');
    const v = decodeInt64(this.key, this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const out: number[] = [];
    for (;;) {
      if (this.pos >= this.key.length) throw new KeyFormatError('truncated byte-string key component');
      const b = this.key[this.pos++];
      if (b !== 0) {
        out.push(b);
        continue;
      }
      if (this.pos >= this.key.length) throw new KeyFormatError('truncated byte-string key component');
      const next = this.key[this.pos++];
      if (next === 0xff) out.push(0);
      else if (next === 1) return Uint8Array.from(out);
      else throw new KeyFormatError('bad escape in byte-string key component');
    }
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }
}
