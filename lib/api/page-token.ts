import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../fc/errors';
import type { JsonValue } from './lossless';

/**
 * Opaque `next` tokens. A token is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))[:16 bytes]`
 * where the payload names the route, the table and a digest of the query that produced it. A token is
 * accepted only with the same route, table and query (every parameter except `next` and `limit`), so it cannot
 * be replayed against another table or used to widen a query, and it cannot be forged without the key.
 */
export interface TokenBinding {
  readonly route: string;
  readonly table: string;
  /** Query parameters that shape the result (not `next`/`limit`). */
  readonly query: Readonly<Record<string, string | undefined>>;
}

interface Payload {
  readonly v: 1;
  readonly r: string;
  readonly t: string;
  readonly q: string;
  readonly p: JsonValue;
}

const b64url = (buf: Buffer): string => buf.toString('base64url');

export function queryDigest(query: TokenBinding['query']): string {
  const canonical = Object.keys(query)
    .filter((k) => query[k] !== undefined && k !== 'next' && k !== 'limit')
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k] as string)}`)
    .join('&');
  return b64url(createHash('sha256').update(canonical).digest().subarray(0, 12));
}

export interface PageTokens {
  issue(binding: TokenBinding, position: JsonValue): string;
  /** Returns the position, or throws a 400 naming the `next` parameter. */
  open(token: string, binding: TokenBinding): JsonValue;
}

const invalid = (why: string): ApiError => new ApiError(400, 'InvalidToken', `query parameter 'next' ${why}`);

export function createPageTokens(key: string | Uint8Array): PageTokens {
  const keyBytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (keyBytes.length === 0) throw new Error('page token key must not be empty');
  const mac = (data: Buffer): Buffer => createHmac('sha256', keyBytes).update(data).digest().subarray(0, 16);
  return {
    issue(binding, position) {
      const payload: Payload = { v: 1, r: binding.route, t: binding.table, q: queryDigest(binding.query), p: position };
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      return `${b64url(body)}.${b64url(mac(body))}`;
    },
    open(token, binding) {
      if (token.length > 8192) throw invalid('is too long');
      const parts = token.split('.');
      if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
        throw invalid('is not a token issued by this API');
      }
      const body = Buffer.from(parts[0], 'base64url');
      const sig = Buffer.from(parts[1], 'base64url');
      const expected = mac(body);
      if (sig.length !== expected.length || !timingSafeEqual(sig, expected))
        throw invalid('is not a token issued by this API');
      let payload: Payload;
      try {
        payload = JSON.parse(body.toString('utf8')) as Payload;
      } catch {
        throw invalid('is not a token issued by this API');
      }
      if (payload.v !== 1 || payload.r !== binding.route || payload.t !== binding.table) {
        throw invalid(`was issued for another ${payload.t !== binding.table ? 'table' : 'route'}`);
      }
      if (payload.q !== queryDigest(binding.query))
        throw invalid('was issued for a different query; repeat the original parameters');
      return payload.p;
    },
  };
}
