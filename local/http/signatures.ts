/**
 * Every request signature the local FC runner and the local STS verify, computed server-side from the request
 * as received (docs/protocol-fc.md §4–§5 and docs/credentials.md):
 *  - ACS3-HMAC-SHA256 (`@alicloud/openapi-core`: `@alicloud/fc20230330`, `@alicloud/sts20150401`);
 *  - RPC HMAC-SHA1 (`@alicloud/credentials` calling STS);
 *  - `FC <AccessKeyId>:<signature>` (`@alicloud/fc2`, HMAC-SHA256 over method, MD5, type, date, x-fc-* headers, path).
 * Tablestore's own V2/V4 signatures live in lib/tablestore/protocol/sign.ts (the client signs with them too).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { safeDecode } from './helpers';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Timing-safe comparison of two signatures as text. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** POP percent-encoding: RFC 3986 unreserved kept, everything else %XX upper case; space → %20. */
export function popEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// ------------------------------------------------------------------------------------------ RPC HMAC-SHA1

/** Every parameter but Signature, decoded, sorted by name, re-encoded. */
export function rpcStringToSign(method: string, params: Readonly<Record<string, string>>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k])}`)
    .join('&');
  return `${method.toUpperCase()}&${popEncode('/')}&${popEncode(canonical)}`;
}

export function rpcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

// ------------------------------------------------------------------------------------- ACS3-HMAC-SHA256

export const ACS3 = 'ACS3-HMAC-SHA256';

export interface Acs3Authorization {
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`; undefined when malformed. */
export function parseAcs3Authorization(header: string | undefined): Acs3Authorization | undefined {
  const m = header === undefined ? null : /^ACS3-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of m[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { Credential, SignedHeaders, Signature } = fields;
  if (!Credential || !SignedHeaders || !Signature || !/^[0-9a-fA-F]{64}$/.test(Signature)) return undefined;
  return {
    accessKeyId: Credential,
    signedHeaders: SignedHeaders.toLowerCase()
      .split(';')
      .map((h) => h.trim())
      .filter(Boolean),
    signature: Signature.toLowerCase(),
  };
}

export interface Acs3Input {
  readonly method: string;
  /** The path as on the wire (percent-encoded or not: each segment is decoded, then re-encoded). */
  readonly path: string;
  /** Decoded query parameters (repeats allowed). */
  readonly query: Iterable<readonly [string, string]>;
  /** Lower-case header name → every value received (node's `req.headersDistinct`) or one value. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly signedHeaders: readonly string[];
  readonly hashedPayload: string;
}

export function acs3CanonicalRequest(input: Acs3Input): string {
  const query = [...input.query]
    .map(([k, v]) => [popEncode(k), popEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = [...input.signedHeaders].sort();
  const values = (n: string): string => {
    const v = input.headers[n];
    return (typeof v === 'string' ? [v] : [...(v ?? [])])
      .map((x) => x.trim())
      .sort()
      .join(',');
  };
  const headers = names.map((n) => `${n}:${values(n)}\n`).join('');
  const uri =
    input.path
      .split('/')
      .map((seg) => popEncode(safeDecode(seg)))
      .join('/') || '/';
  return [input.method.toUpperCase(), uri, query, headers, names.join(';'), input.hashedPayload].join('\n');
}

export function acs3StringToSign(canonicalRequest: string): string {
  return `${ACS3}\n${sha256Hex(canonicalRequest)}`;
}

export function acs3Signature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('hex');
}

/** Recomputes the ACS3 signature of `input` with `secret`; `stringToSign` is what the error message shows. */
export function verifyAcs3(
  input: Acs3Input,
  auth: Acs3Authorization,
  secret: string,
): { ok: boolean; stringToSign: string } {
  const stringToSign = acs3StringToSign(acs3CanonicalRequest(input));
  return { ok: sameText(acs3Signature(stringToSign, secret), auth.signature), stringToSign };
}

// ------------------------------------------------------------------------------- FC (@alicloud/fc2)

export interface FcAuthorization {
  readonly accessKeyId: string;
  readonly signature: string;
}

/** `FC <AccessKeyId>:<base64 HMAC-SHA256>`; undefined when malformed. */
export function parseFcAuthorization(header: string | undefined): FcAuthorization | undefined {
  const m = header === undefined ? null : /^FC ([^\s:]+):([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  return m ? { accessKeyId: m[1], signature: m[2] } : undefined;
}

export interface FcSignInput {
  readonly method: string;
  /** The signed path: `/<version>/...` exactly as requested, without the query. */
  readonly path: string;
  /** Lower-case header name → value. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Only `/proxy/` paths sign their query; undefined otherwise. */
  readonly query?: Iterable<readonly [string, string]>;
}

/** Method, Content-MD5, Content-Type, Date, the sorted `x-fc-*` headers, then the path (docs/protocol-fc.md §5). */
export function fcStringToSign(input: FcSignInput): string {
  const fcHeaders = Object.keys(input.headers)
    .filter((k) => k.startsWith('x-fc-') && input.headers[k] !== undefined)
    .sort()
    .map((k) => `${k}:${input.headers[k]}\n`)
    .join('');
  const h = (n: string): string => input.headers[n] ?? '';
  let text = `${input.method.toUpperCase()}\n${h('content-md5')}\n${h('content-type')}\n${h('date')}\n${fcHeaders}${input.path}`;
  if (input.query)
    text += `\n${[...input.query]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('\n')}`;
  return text;
}

export function fcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}
