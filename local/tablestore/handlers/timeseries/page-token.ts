/**
 * Opaque page tokens of the time series reads: a header (kind, a CRC of what the token belongs to, flags)
 * followed by the storage key to resume at. A token from another request or table is refused.
 */
import { errors } from '../../errors';
import { concat } from './keys';

export const TOKEN_DATA = 1;
export const TOKEN_META = 2;
export const TOKEN_SCAN = 3;

function tokenHeader(kind: number, check: number, flags: number): Uint8Array {
  const h = Buffer.alloc(7);
  h[0] = 0x54; // 'T'
  h[1] = kind;
  h.writeUInt32LE(check >>> 0, 2);
  h[6] = flags;
  return h;
}

/** Opaque page token = header (kind, CRC of what it belongs to, flags) + the storage key to resume at. */
export function makeToken(kind: number, check: number, flags: number, key: Uint8Array): Uint8Array {
  return concat(tokenHeader(kind, check, flags), key);
}

export function readToken(token: Uint8Array, kind: number, check: number, flags: number): Uint8Array {
  const h = tokenHeader(kind, check, flags);
  if (token.length < h.length || !Buffer.from(token.subarray(0, h.length)).equals(h)) {
    throw errors.parameterInvalid('Invalid token: it does not belong to this request.');
  }
  return token.subarray(h.length);
}
