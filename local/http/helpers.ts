/** Small HTTP helpers shared by the three local servers (Tablestore Local, the STS, the FC runner). */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';

/** Beyond this many bytes of an oversized body we stop draining and drop the connection. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads the whole body; resolves `undefined` when it exceeds `max` bytes (the rest is drained up to a limit
 * so the reply can still be read, then the connection is dropped). Rejects when the request errors.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > DRAIN_LIMIT) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        tooLarge = true;
        chunks.length = 0;
        if (size > DRAIN_LIMIT) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', (err) => (tooLarge ? resolve(undefined) : reject(err)));
    req.on('close', () => {
      if (tooLarge) resolve(undefined);
    });
  });
}

/** decodeURIComponent that keeps a malformed escape as sent (a signature then simply does not match). */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** One header's value; repeated headers joined with ','. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** FC 3.0 request ids: `1-<8 hex seconds>-<24 hex>`. */
export function fcRequestId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

const otsPrefix = randomBytes(4).toString('hex');
let otsCounter = 0;
/** Tablestore request ids: unique per process, cheap (a counter), shaped like the service's. */
export function otsRequestId(): string {
  otsCounter = (otsCounter + 1) % 0x1000000000000;
  const n = otsCounter.toString(16).padStart(12, '0');
  return `${otsPrefix}-${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}-${Date.now().toString(16)}`;
}
