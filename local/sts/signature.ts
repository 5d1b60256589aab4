/** The two signatures STS clients send (docs/protocol.md §10.2, §10.3), computed server-side. */
import { createHash, createHmac } from 'node:crypto';

/** POP percent-encoding: RFC 3986 unreserved kept, everything else %XX upper case; space → %20. */
export function popEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RPC (HMAC-SHA1): every parameter but Signature, decoded, sorted by name, re-encoded. */
export function rpcStringToSign(method: string, params: Readonly<Record<string, string>>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k]!)}`)
    .join('&');
  return `${method.toUpperCase()}&${popEncode('/')}&${popEncode(canonical)}`;
}

export function rpcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export interface Acs3Input {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case names, as listed in the Authorization header. */
  readonly signedHeaders: readonly string[];
  readonly hashedPayload: string;
}

/** A malformed escape is kept as sent; the signature then simply does not match. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function acs3CanonicalRequest(input: Acs3Input): string {
  const query = Object.keys(input.query)
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(input.query[k]!)}`)
    .join('&');
  const names = [...input.signedHeaders].sort();
  const headers = names.map((n) => `${n}:${(input.headers[n] ?? '').trim()}\n`).join('');
  const uri = input.path.split('/').map((seg) => popEncode(safeDecode(seg))).join('/') || '/';
  return [input.method.toUpperCase(), uri, query, headers, names.join(';'), input.hashedPayload].join('\n');
}

export function acs3StringToSign(canonicalRequest: string): string {
  return `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
}

export function acs3Signature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('hex');
}

export interface Acs3Authorization {
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`; undefined when malformed. */
export function parseAcs3Authorization(header: string): Acs3Authorization | undefined {
  const m = /^ACS3-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { Credential, SignedHeaders, Signature } = fields;
  if (!Credential || !SignedHeaders || !Signature) return undefined;
  return { accessKeyId: Credential, signedHeaders: SignedHeaders.toLowerCase().split(';').filter(Boolean), signature: Signature };
}
