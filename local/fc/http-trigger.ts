/**
 * FC 3.0 HTTP trigger translation (docs/protocol-fc.md §2): a real HTTP request becomes the JSON event the
 * handler receives as a Buffer, and the `{ statusCode, headers, isBase64Encoded, body }` struct it returns
 * becomes the HTTP response.
 */
import type { IncomingMessage } from 'node:http';
import type { InvocationOutcome } from './instance-pool';

export interface HttpTriggerEvent {
  version: 'v1';
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
    triggerId?: string;
  };
}

export interface EventInput {
  readonly req: IncomingMessage;
  /** The path the function sees (runner prefix removed), still percent-encoded. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly body: Buffer;
  readonly requestId: string;
  readonly accountId: string;
  readonly functionName: string;
  readonly region: string;
  readonly now: Date;
}

const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|x-www-form-urlencoded|javascript))/i;

/**
 * A header name as FC's front end hands it on (docs/protocol-fc.md §2.2): the first letter and every letter
 * after a hyphen upper case, the rest lower case (`accept-encoding` → `Accept-Encoding`). Names with a
 * character outside the HTTP token set are passed unchanged, as that canonicalisation does.
 */
export function canonicalHeaderName(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

export function buildHttpEvent(input: EventInput): HttpTriggerEvent {
  const { req } = input;
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderName(raw[i]);
    // Host is FC's own (the trigger's domain), not part of the event's headers.
    if (name === 'Host') continue;
    // Repeated headers are joined with ',' (no arrays).
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${raw[i + 1]}` : raw[i + 1];
  }
  const queryParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(input.rawQuery)) {
    queryParameters[k] = k in queryParameters ? `${queryParameters[k]},${v}` : v;
  }
  const contentType = req.headers['content-type'] ?? '';
  let body = '';
  let isBase64Encoded = false;
  if (input.body.length > 0) {
    const text = TEXT_TYPES.test(contentType) ? decodeUtf8(input.body) : undefined;
    if (text === undefined) {
      body = input.body.toString('base64');
      isBase64Encoded = true;
    } else body = text;
  }
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(input.rawPath);
  } catch {
    decodedPath = input.rawPath;
  }
  const domainPrefix = `${input.functionName}-local`;
  return {
    version: 'v1',
    rawPath: input.rawPath,
    body,
    isBase64Encoded,
    headers,
    queryParameters,
    requestContext: {
      accountId: input.accountId,
      domainName: `${domainPrefix}.${input.region}.fcapp.run`,
      domainPrefix,
      http: {
        method: req.method ?? 'GET',
        path: decodedPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      time: input.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(input.now.getTime()),
    },
  };
}

function decodeUtf8(buf: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}

export interface HttpReply {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** Response headers FC ignores or sets itself. */
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'content-length',
  'date',
  'server',
  'upgrade',
  'transfer-encoding',
]);

/**
 * The handler's return value as HTTP. A struct with a numeric statusCode is mapped field by field; any other
 * value is sent as a 200 with the bytes as they are (FC's mapping for non-struct returns is unconfirmed).
 * Function errors and timeouts become 502 with FC's error JSON and X-Fc-Error-Type (local choice, see docs).
 */
export function toHttpReply(outcome: InvocationOutcome): HttpReply {
  const base: Record<string, string | string[]> = { 'x-fc-request-id': outcome.requestId };
  if (!outcome.ok) {
    return {
      statusCode: 502,
      headers: {
        ...base,
        'content-type': 'application/json',
        'x-fc-error-type': outcome.errorType ?? 'UnhandledInvocationError',
      },
      body: outcome.body,
    };
  }
  const struct = parseStruct(outcome.body);
  if (!struct) return { statusCode: 200, headers: base, body: outcome.body };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(struct.headers ?? {})) {
    const lower = k.toLowerCase();
    if (RESERVED.has(lower) || lower.startsWith('x-fc-')) continue;
    headers[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  const bodyText =
    struct.body === undefined || struct.body === null
      ? ''
      : typeof struct.body === 'string'
        ? struct.body
        : JSON.stringify(struct.body);
  const body = struct.isBase64Encoded ? Buffer.from(bodyText, 'base64') : Buffer.from(bodyText, 'utf8');
  return { statusCode: struct.statusCode, headers: { ...headers, ...base }, body };
}

interface ResponseStruct {
  statusCode: number;
  headers?: Record<string, unknown>;
  isBase64Encoded?: boolean;
  body?: unknown;
}

function parseStruct(bytes: Buffer): ResponseStruct | undefined {
  if (bytes.length === 0 || bytes[0] !== 0x7b /* { */) return undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && typeof (v as ResponseStruct).statusCode === 'number') {
      const s = v as ResponseStruct;
      if (s.statusCode >= 100 && s.statusCode <= 599 && Number.isInteger(s.statusCode)) return s;
    }
  } catch {
    /* not JSON: sent as is */
  }
  return undefined;
}
