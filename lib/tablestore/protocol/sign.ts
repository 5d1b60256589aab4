/**
 * Tablestore request and response signatures (docs/protocol.md §2, §3.2): V2 (HMAC-SHA1 over the canonical x-ots
 * headers), V4 (HMAC-SHA256 with a date/region-scoped signing key), the response `authorization` header and
 * the Base64 MD5 of bodies. Used by clients to sign and by Tablestore Local to verify and to sign replies.
 */
import { createHash, createHmac } from 'node:crypto';

export const API_VERSION = '2015-12-31';
export const EMPTY_BODY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';

export type HeaderBag = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** The only x-ots headers the Go SDK (v1.7.x) signs; a verifier may fall back to this list. */
export const GO_SIGNED_HEADERS: readonly string[] = [
  'x-ots-date',
  'x-ots-apiversion',
  'x-ots-accesskeyid',
  'x-ots-contentmd5',
  'x-ots-instancename',
  'x-ots-request-compress-type',
  'x-ots-request-compress-size',
  'x-ots-response-compress-type',
  'x-ots-ststoken',
  'x-ots-charge-for-admin',
  'x-ots-tunnel-type',
  'x-ots-playeraccountid',
  'x-ots-admin-task-type',
  'x-ots-admin-target-userid',
  'x-ots-sdk-traceid',
  'x-ots-request-priority',
  'x-ots-request-tag',
  'x-ots-sourceip',
  'x-ots-issecuretransport',
];

const SIGNATURE_HEADERS = new Set(['x-ots-signature', 'x-ots-signaturev4']);

function headerValue(v: string | readonly string[] | number): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * `lower(name):trim(value)\n` for every x-ots-* header except the signatures, sorted by name.
 * `only`, when given, restricts the headers to that list (Go-compatible verification).
 */
export function canonicalHeaders(headers: HeaderBag, only?: readonly string[]): string {
  const lines: [string, string][] = [];
  const allow = only ? new Set(only) : undefined;
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    if (!name.startsWith('x-ots-') || SIGNATURE_HEADERS.has(name)) continue;
    if (allow && !allow.has(name)) continue;
    lines.push([name, headerValue(rawValue).trim()]);
  }
  lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = '';
  for (const [n, v] of lines) out += `${n}:${v}\n`;
  return out;
}

export function stringToSignV2(apiName: string, headers: HeaderBag, only?: readonly string[]): string {
  return `/${apiName}\nPOST\n\n${canonicalHeaders(headers, only)}`;
}

/** Base64 HMAC-SHA1 of the V2 string to sign, keyed with the AccessKey secret. */
export function signV2(secret: string, apiName: string, headers: HeaderBag, only?: readonly string[]): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8'))
    .update(stringToSignV2(apiName, headers, only), 'utf8')
    .digest('base64');
}

/**
 * Derived V4 keys by (sign date, region, secret). The key changes once a day, yet deriving it costs four HMACs
 * on every request of a client and on every verification in Tablestore Local; a handful of entries covers the
 * keys a process signs with (rotation replaces them), and the map is emptied when it fills.
 */
const v4Keys = new Map<string, string>();
const V4_KEYS_MAX = 64;

/** V4 signing key text: Base64 of the HMAC chain date → region → "ots" → "aliyun_v4_request". */
export function deriveV4SigningKey(secret: string, signDate: string, region: string): string {
  const id = `${signDate}\u0000${region}\u0000${secret}`;
  let key = v4Keys.get(id);
  if (key === undefined) {
    if (v4Keys.size >= V4_KEYS_MAX) v4Keys.clear();
    key = computeV4SigningKey(secret, signDate, region);
    v4Keys.set(id, key);
  }
  return key;
}

function computeV4SigningKey(secret: string, signDate: string, region: string): string {
  const k1 = createHmac('sha256', Buffer.from(`aliyun_v4${secret}`, 'utf8'))
    .update(signDate, 'utf8')
    .digest();
  const k2 = createHmac('sha256', k1).update(region, 'utf8').digest();
  const k3 = createHmac('sha256', k2).update('ots', 'utf8').digest();
  const k4 = createHmac('sha256', k3).update('aliyun_v4_request', 'utf8').digest();
  return k4.toString('base64');
}

export function stringToSignV4(apiName: string, headers: HeaderBag, only?: readonly string[]): string {
  return `${stringToSignV2(apiName, headers, only)}ots`;
}

/** `headers` must already contain x-ots-signdate and x-ots-signregion. */
export function signV4(signingKey: string, apiName: string, headers: HeaderBag, only?: readonly string[]): string {
  return createHmac('sha256', Buffer.from(signingKey, 'utf8'))
    .update(stringToSignV4(apiName, headers, only), 'utf8')
    .digest('base64');
}

/** Response signature (docs/protocol.md §3.2): HMAC-SHA1 over the canonical x-ots response headers + "/" + ApiName. */
export function signResponse(secret: string, apiName: string, headers: HeaderBag): string {
  const text = `${canonicalHeaders(headers)}/${apiName}`;
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('base64');
}

export function responseAuthorization(
  accessKeyId: string,
  secret: string,
  apiName: string,
  headers: HeaderBag,
): string {
  return `OTS ${accessKeyId}:${signResponse(secret, apiName, headers)}`;
}

export function contentMd5(body: Uint8Array): string {
  return createHash('md5').update(body).digest('base64');
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` as every official SDK sends it. */
export function otsDate(date: Date): string {
  return date.toISOString();
}

/** `yyyyMMdd` in UTC, the V4 sign date. */
export function v4SignDate(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

export interface SignRequestOptions {
  readonly apiName: string;
  readonly body: Uint8Array;
  readonly instance: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
  /** 'v2' (default) or 'v4'; V4 needs `region`. */
  readonly signatureVersion?: 'v2' | 'v4' | undefined;
  readonly region?: string | undefined;
  readonly date?: Date | undefined;
  /** Extra x-ots headers to send (they are signed too). */
  readonly extraHeaders?: Readonly<Record<string, string>> | undefined;
}

/** Builds the complete x-ots header set of a request, signature included. */
export function signRequestHeaders(options: SignRequestOptions): Record<string, string> {
  const date = options.date ?? new Date();
  const headers: Record<string, string> = {
    'x-ots-date': otsDate(date),
    'x-ots-apiversion': API_VERSION,
    'x-ots-accesskeyid': options.accessKeyId,
    'x-ots-instancename': options.instance,
    'x-ots-contentmd5': contentMd5(options.body),
    ...options.extraHeaders,
  };
  if (options.securityToken) headers['x-ots-ststoken'] = options.securityToken;
  if (options.signatureVersion === 'v4') {
    if (!options.region) throw new Error('V4 signing needs a region');
    const signDate = v4SignDate(date);
    headers['x-ots-signdate'] = signDate;
    headers['x-ots-signregion'] = options.region;
    const key = deriveV4SigningKey(options.accessKeySecret, signDate, options.region);
    headers['x-ots-signaturev4'] = signV4(key, options.apiName, headers);
  } else {
    headers['x-ots-signature'] = signV2(options.accessKeySecret, options.apiName, headers);
  }
  return headers;
}
