/**
 * A growable output buffer: what the protocol encoders (PlainBuffer, protobuf, time series point rows) write
 * into. Each adds its own encodings on top; this holds the buffer, the write position and the growth rule.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes at `pos`, at least doubling the buffer so appends stay amortised O(1). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view, not a copy). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
