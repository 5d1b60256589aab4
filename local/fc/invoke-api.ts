/**
 * Function Compute 3.0 InvokeFunction, as `@alicloud/fc20230330` calls it:
 * `POST /2023-03-30/functions/<name>/invocations[?qualifier=]`, ACS3-HMAC-SHA256 signed, raw event bytes in
 * the body (`content-type: application/octet-stream`), optional `x-fc-invocation-type: Sync|Async` and
 * `x-fc-log-type: None|Tail`. The reply carries the function's response bytes, `x-fc-request-id`, and on a
 * function error `x-fc-error-type` with FC's error JSON; `Tail` adds the base64 log tail in `x-fc-log-result`.
 * API-level failures (signature, permission, unknown function) are POP-style JSON `{Code, Message, RequestId}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityStore } from '../tablestore/auth/identity';
import { canonicalRequest, parseAuthorization, sha256Hex, sign, signaturesEqual, stringToSign } from './acs3';
import type { FunctionSpec } from './config';
import type { InvocationOutcome } from './instance-pool';

export const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations\/?$/;

export interface InvokeApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly body: Buffer;
  readonly identities: IdentityStore;
  readonly accountId: string;
  /** Seen signature nonces → expiry time (replay protection within the skew window). */
  readonly nonces: Map<string, number>;
  readonly clockSkewMs: number;
  readonly lookupFunction: (name: string) => FunctionSpec | undefined;
  readonly invoke: (name: string, event: Buffer, options: { qualifier?: string }, requestId: string) => Promise<InvocationOutcome>;
  readonly log: { info(m: string): void; warn(m: string): void };
}

/** Long-term keys that may do anything: the `accessKeys` shortcut of the runner. */
export function staticKeyStore(keys: readonly { readonly id: string; readonly secret: string }[], accountId: string): IdentityStore {
  const byId = new Map(keys.map((k) => [k.id, k.secret]));
  return {
    lookup(accessKeyId) {
      const secret = byId.get(accessKeyId);
      if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.', httpStatus: 403 };
      return { ok: true, secret, accountId, principal: accessKeyId, authorize: () => ({ allowed: true }) };
    },
  };
}

const TAIL_BYTES = 4096;

export async function handleInvokeApi(r: InvokeApiRequest): Promise<void> {
  const { req, res } = r;
  const requestId = randomRequestId();
  const fail = (status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-acs-request-id': requestId, 'x-fc-request-id': requestId });
    res.end(JSON.stringify({ Code: code, Message: message, RequestId: requestId }));
    r.log.warn(`[fc] InvokeFunction rejected: ${status} ${code}`);
  };
  if (req.method !== 'POST') return fail(405, 'MethodNotAllowed', 'InvokeFunction must be a POST');
  const name = safeDecode(INVOKE_PATH.exec(r.rawPath)?.[1] ?? '');

  // --- authentication: recompute the ACS3-HMAC-SHA256 signature -------------------------------------------
  const auth = parseAuthorization(header(req, 'authorization'));
  if (!auth) return fail(400, 'IncompleteSignature', 'The Authorization header is missing or not ACS3-HMAC-SHA256.');
  for (const h of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-action', 'x-acs-version']) {
    if (!auth.signedHeaders.includes(h) || header(req, h) === undefined) return fail(400, 'IncompleteSignature', `Header ${h} must be present and signed.`);
  }
  for (const h of Object.keys(req.headers)) {
    if (h.startsWith('x-acs-') && !auth.signedHeaders.includes(h)) return fail(400, 'IncompleteSignature', `Header ${h} must be signed.`);
  }
  if (header(req, 'x-acs-action') !== 'InvokeFunction' || header(req, 'x-acs-version') !== '2023-03-30') {
    return fail(400, 'InvalidAction.NotFound', `Only InvokeFunction (version 2023-03-30) is served locally.`);
  }
  const date = Date.parse(header(req, 'x-acs-date') ?? '');
  const now = Date.now();
  if (!Number.isFinite(date) || Math.abs(now - date) > r.clockSkewMs) {
    return fail(403, 'InvalidTimeStamp.Expired', `x-acs-date ${header(req, 'x-acs-date')} is outside the allowed clock skew.`);
  }
  const payloadHash = sha256Hex(r.body);
  if (header(req, 'x-acs-content-sha256') !== payloadHash) return fail(400, 'InvalidContentSha256', 'x-acs-content-sha256 does not match the request body.');
  const token = header(req, 'x-acs-security-token');
  const identity = r.identities.lookup(auth.accessKeyId, token, new Date(now));
  if (!identity.ok) return fail(identity.httpStatus || 403, identity.code.startsWith('OTS') ? 'InvalidAccessKeyId.NotFound' : identity.code, identity.message);
  const headers: Record<string, string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headersDistinct)) headers[k] = v;
  const toSign = stringToSign(
    canonicalRequest({
      method: req.method,
      rawPath: r.rawPath,
      query: [...new URLSearchParams(r.rawQuery)],
      headers,
      signedHeaders: auth.signedHeaders,
      payloadSha256Hex: payloadHash,
    }),
  );
  if (!signaturesEqual(sign(identity.secret, toSign), auth.signature)) {
    return fail(403, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${toSign}`);
  }
  const nonce = header(req, 'x-acs-signature-nonce') ?? '';
  for (const [n, exp] of r.nonces) if (exp < now) r.nonces.delete(n);
  if (r.nonces.has(nonce)) return fail(403, 'SignatureNonceUsed', 'The request signature nonce has been used.');
  r.nonces.set(nonce, now + 2 * r.clockSkewMs);

  // --- authorization and dispatch -----------------------------------------------------------------------------
  const fn = r.lookupFunction(name);
  if (!fn) return fail(404, 'FunctionNotFound', `function '${name}' does not exist`);
  const decision = identity.authorize({
    action: 'fc:InvokeFunction',
    resources: [`acs:fc:${fn.region}:${identity.accountId}:functions/${fn.functionName}`],
    region: fn.region,
    instance: '',
    sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    secureTransport: false,
    now: new Date(now),
  });
  if (!decision.allowed) return fail(403, 'AccessDenied', `${identity.principal} is not allowed fc:InvokeFunction on ${fn.functionName}: ${decision.reason}`);

  const query = new URLSearchParams(r.rawQuery);
  const qualifier = query.get('qualifier') ?? 'LATEST';
  const invocationType = header(req, 'x-fc-invocation-type') ?? 'Sync';
  if (invocationType === 'Async' || invocationType === 'Task') {
    const asyncId = header(req, 'x-fc-async-task-id');
    void r.invoke(fn.functionName, r.body, { qualifier }, requestId).catch(() => undefined);
    res.writeHead(202, { 'x-fc-request-id': requestId, 'x-acs-request-id': requestId, ...(asyncId ? { 'x-fc-async-task-id': asyncId } : {}) });
    res.end();
    return;
  }
  const outcome = await r.invoke(fn.functionName, r.body, { qualifier }, requestId);
  const out: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'x-fc-request-id': requestId,
    'x-acs-request-id': requestId,
    'x-fc-invocation-duration': String(Math.max(1, Math.round(outcome.durationMs))),
    'x-fc-instance-id': outcome.instanceId,
  };
  if (!outcome.ok) out['x-fc-error-type'] = outcome.errorType ?? 'UnhandledInvocationError';
  if (header(req, 'x-fc-log-type') === 'Tail') {
    const tail = Buffer.from(outcome.logs.map((l) => `${l}\n`).join(''), 'utf8');
    out['x-fc-log-result'] = tail.subarray(Math.max(0, tail.length - TAIL_BYTES)).toString('base64');
  }
  res.writeHead(200, out);
  res.end(outcome.body);
  r.log.info(`[fc] InvokeFunction ${fn.functionName} by ${identity.principal} -> ${outcome.ok ? 'ok' : outcome.errorType} ${outcome.durationMs.toFixed(0)}ms ${requestId}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function randomRequestId(): string {
  const hex = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${hex}`;
}
