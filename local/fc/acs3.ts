/**
 * ACS3-HMAC-SHA256, the signature `@alicloud/openapi-core` (used by `@alicloud/fc20230330`) puts on every
 * Function Compute 3.0 API request, recomputed on the server side from the request as received
 * (docs/protocol.md §10.3; openapi-core `Utils.getAuthorization`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Authorization {
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`; undefined when malformed. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== ALGORITHM) return undefined;
  const fields: Record<string, string> = {};
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { Credential: accessKeyId, SignedHeaders: signed, Signature: signature } = fields;
  if (!accessKeyId || !signed || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { accessKeyId, signedHeaders: signed.split(';').map((h) => h.trim().toLowerCase()), signature };
}

/** The SDK's query value encoding: encodeURIComponent plus ! ' ( ) *. */
export function encodeValue(v: string): string {
  return encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface CanonicalInput {
  readonly method: string;
  /** The path exactly as on the wire (still percent-encoded), without the query. */
  readonly rawPath: string;
  /** Decoded query parameters. */
  readonly query: readonly (readonly [string, string])[];
  /** Header name (lower case) → every value received for it. */
  readonly headers: Readonly<Record<string, readonly string[] | undefined>>;
  readonly signedHeaders: readonly string[];
  readonly payloadSha256Hex: string;
}

export function canonicalRequest(input: CanonicalInput): string {
  const uri = input.rawPath.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const query = [...input.query]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${encodeValue(v)}`)
    .join('&');
  const names = [...input.signedHeaders].sort();
  const headers = names.map((n) => `${n}:${[...(input.headers[n] ?? [])].map((v) => v.trim()).sort().join(',')}\n`).join('');
  return `${input.method}\n${uri}\n${query}\n${headers}\n${names.join(';')}\n${input.payloadSha256Hex}`;
}

export function stringToSign(canonical: string): string {
  return `${ALGORITHM}\n${createHash('sha256').update(canonical).digest('hex')}`;
}

export function sign(secret: string, toSign: string): string {
  return createHmac('sha256', secret).update(toSign).digest('hex');
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
