/**
 * Function Compute's InvokeFunction API on the runner (docs/protocol-fc.md §4–§6):
 *  - `POST /2023-03-30/functions/<name>/invocations[?qualifier=]`, ACS3-HMAC-SHA256 signed as
 *    `@alicloud/fc20230330` sends it, or `FC <AccessKeyId>:<signature>` signed as `@alicloud/fc2` sends it
 *    with `client.version = '2023-03-30'` (what the fc3 component does);
 *  - `POST /2016-08-15/services/<service>[.<qualifier>]/functions/<name>/invocations`, `FC`-signed
 *    (`@alicloud/fc2`'s default), resolved to the function `<service>$<name>` if there is one, else `<name>`.
 * Raw event bytes in the body, optional `x-fc-invocation-type: Sync|Async` and `x-fc-log-type: None|Tail`.
 * The reply carries the function's response bytes, `x-fc-request-id`, and on a function error
 * `x-fc-error-type` with FC's error JSON; `Tail` adds the base64 log tail in `x-fc-log-result`. API-level
 * failures are JSON: `{Code, Message, RequestId}` for ACS3 callers, `{ErrorCode, ErrorMessage}` for FC ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityStore } from '../tablestore/auth/identity';
import { createHash } from 'node:crypto';
import { fcRequestId, headerValue as header, safeDecode } from '../http/helpers';
import {
  fcSignature,
  fcStringToSign,
  parseAcs3Authorization,
  parseFcAuthorization,
  sameText,
  sha256Hex,
  verifyAcs3,
} from '../http/signatures';
import type { FunctionSpec } from './config';
import type { InvocationOutcome } from './instance-pool';

const V3_INVOKE = /^\/2023-03-30\/functions\/([^/]+)\/invocations\/?$/;
const V2_INVOKE = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations\/?$/;
/** Paths in Function Compute's API namespace: never handed to an HTTP trigger. */
export const API_PATH = /^\/(2023-03-30|2016-08-15)(\/|$)/;
export const SERVED_APIS = [
  'POST /2023-03-30/functions/{functionName}/invocations (ACS3-HMAC-SHA256 or FC signature)',
  'POST /2016-08-15/services/{serviceName}/functions/{functionName}/invocations (FC signature)',
] as const;

export interface InvokeApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly body: Buffer;
  readonly identities: IdentityStore;
  readonly accountId: string;
  /** Seen signature nonces (ACS3) or signatures (FC, which has no nonce) → expiry time: replay protection. */
  readonly nonces: Map<string, number>;
  readonly clockSkewMs: number;
  readonly lookupFunction: (name: string) => FunctionSpec | undefined;
  readonly invoke: (
    name: string,
    event: Buffer,
    options: { qualifier?: string },
    requestId: string,
  ) => Promise<InvocationOutcome>;
  readonly log: { info(m: string): void; warn(m: string): void };
}

/** Long-term keys that may do anything: the `accessKeys` shortcut of the runner. */
export function staticKeyStore(
  keys: readonly { readonly id: string; readonly secret: string }[],
  accountId: string,
): IdentityStore {
  const byId = new Map(keys.map((k) => [k.id, k.secret]));
  return {
    lookup(accessKeyId) {
      const secret = byId.get(accessKeyId);
      if (secret === undefined)
        return {
          ok: false,
          code: 'InvalidAccessKeyId.NotFound',
          message: 'Specified access key is not found.',
          httpStatus: 403,
        };
      return { ok: true, secret, accountId, principal: accessKeyId, authorize: () => ({ allowed: true }) };
    },
  };
}

const TAIL_BYTES = 4096;

interface Target {
  readonly name: string;
  readonly qualifier: string | undefined;
}

/** Where an API request is going, or undefined for a path in the API namespace that is not served. */
function target(
  rawPath: string,
  query: URLSearchParams,
): (Target & { version: '2023-03-30' | '2016-08-15'; service?: string }) | undefined {
  const v3 = V3_INVOKE.exec(rawPath);
  if (v3) return { version: '2023-03-30', name: safeDecode(v3[1]), qualifier: query.get('qualifier') ?? undefined };
  const v2 = V2_INVOKE.exec(rawPath);
  if (!v2) return undefined;
  const service = safeDecode(v2[1]);
  const dot = service.indexOf('.');
  return {
    version: '2016-08-15',
    service: dot < 0 ? service : service.slice(0, dot),
    name: safeDecode(v2[2]),
    qualifier: dot < 0 ? undefined : service.slice(dot + 1),
  };
}

export async function handleInvokeApi(r: InvokeApiRequest): Promise<void> {
  const { req, res } = r;
  const requestId = fcRequestId();
  const authorization = header(req, 'authorization');
  const scheme = authorization?.startsWith('FC ') ? 'fc' : 'acs3';
  const fail = (status: number, code: string, message: string): void => {
    const body =
      scheme === 'fc'
        ? { ErrorCode: code, ErrorMessage: message, RequestId: requestId }
        : { Code: code, Message: message, RequestId: requestId };
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-acs-request-id': requestId,
      'x-fc-request-id': requestId,
    });
    res.end(JSON.stringify(body));
    r.log.warn(`[fc] InvokeFunction rejected: ${status} ${code}`);
  };
  const query = new URLSearchParams(r.rawQuery);
  const to = target(r.rawPath, query);
  if (!to || req.method !== 'POST') {
    return fail(
      404,
      'ApiNotServed',
      `${req.method} ${r.rawPath} is not served by the local runner; it serves: ${SERVED_APIS.join('; ')}`,
    );
  }
  const now = Date.now();
  const payloadHash = sha256Hex(r.body);

  // --- authentication ---------------------------------------------------------------------------------------
  let accessKeyId: string;
  let token: string | undefined;
  let check: (secret: string) => string | undefined; // returns the failure message
  let replayKey: string;
  if (scheme === 'fc') {
    const auth = parseFcAuthorization(authorization);
    if (!auth) return fail(400, 'InvalidArgument', 'The Authorization header is not "FC <AccessKeyId>:<signature>".');
    const date = Date.parse(header(req, 'date') ?? '');
    if (!Number.isFinite(date) || Math.abs(now - date) > r.clockSkewMs) {
      return fail(
        403,
        'RequestTimeTooSkewed',
        `The Date header ${JSON.stringify(header(req, 'date') ?? '')} is outside the allowed clock skew.`,
      );
    }
    const md5 = header(req, 'content-md5');
    if (md5 !== undefined) {
      const hex = createHash('md5').update(r.body).digest('hex');
      // @alicloud/fc2 sends base64 of the hex digest; RFC 1864 says base64 of the raw digest: accept both.
      if (md5 !== Buffer.from(hex, 'utf8').toString('base64') && md5 !== Buffer.from(hex, 'hex').toString('base64')) {
        return fail(400, 'InvalidArgument', 'Content-MD5 does not match the request body.');
      }
    } else if (r.body.length > 0) return fail(400, 'InvalidArgument', 'Content-MD5 is required with a request body.');
    const accountHeader = header(req, 'x-fc-account-id');
    if (accountHeader !== undefined && accountHeader !== r.accountId)
      return fail(403, 'AccessDenied', `x-fc-account-id ${accountHeader} is not this account.`);
    accessKeyId = auth.accessKeyId;
    token = header(req, 'x-fc-security-token');
    const lower: Record<string, string | undefined> = {};
    for (const k of Object.keys(req.headers)) lower[k] = header(req, k);
    const toSign = fcStringToSign({ method: req.method, path: r.rawPath, headers: lower });
    check = (secret) =>
      sameText(fcSignature(toSign, secret), auth.signature)
        ? undefined
        : 'The request signature we calculated does not match the signature you provided.';
    // FC signatures carry no nonce: the same signature twice within the clock-skew window is a replay.
    replayKey = `fc:${auth.signature}`;
  } else {
    const auth = parseAcs3Authorization(authorization);
    if (!auth)
      return fail(400, 'IncompleteSignature', 'The Authorization header is missing or not ACS3-HMAC-SHA256 or FC.');
    for (const h of [
      'host',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-content-sha256',
      'x-acs-action',
      'x-acs-version',
    ]) {
      if (!auth.signedHeaders.includes(h) || header(req, h) === undefined)
        return fail(400, 'IncompleteSignature', `Header ${h} must be present and signed.`);
    }
    for (const h of Object.keys(req.headers)) {
      if (h.startsWith('x-acs-') && !auth.signedHeaders.includes(h))
        return fail(400, 'IncompleteSignature', `Header ${h} must be signed.`);
    }
    if (
      header(req, 'x-acs-action') !== 'InvokeFunction' ||
      header(req, 'x-acs-version') !== '2023-03-30' ||
      to.version !== '2023-03-30'
    ) {
      return fail(400, 'InvalidAction.NotFound', `Only InvokeFunction (version 2023-03-30) is served locally.`);
    }
    const date = Date.parse(header(req, 'x-acs-date') ?? '');
    if (!Number.isFinite(date) || Math.abs(now - date) > r.clockSkewMs) {
      return fail(
        403,
        'InvalidTimeStamp.Expired',
        `x-acs-date ${header(req, 'x-acs-date')} is outside the allowed clock skew.`,
      );
    }
    if (header(req, 'x-acs-content-sha256') !== payloadHash)
      return fail(400, 'InvalidContentSha256', 'x-acs-content-sha256 does not match the request body.');
    accessKeyId = auth.accessKeyId;
    token = header(req, 'x-acs-security-token');
    check = (secret) => {
      const v = verifyAcs3(
        {
          method: req.method ?? 'POST',
          path: r.rawPath,
          query,
          headers: req.headersDistinct,
          signedHeaders: auth.signedHeaders,
          hashedPayload: payloadHash,
        },
        auth,
        secret,
      );
      return v.ok
        ? undefined
        : `Specified signature is not matched with our calculation. server string to sign is:${v.stringToSign}`;
    };
    replayKey = `acs3:${header(req, 'x-acs-signature-nonce') ?? ''}`;
  }
  const identity = r.identities.lookup(accessKeyId, token, new Date(now));
  if (!identity.ok)
    return fail(
      identity.httpStatus || 403,
      identity.code.startsWith('OTS') ? 'InvalidAccessKeyId.NotFound' : identity.code,
      identity.message,
    );
  const mismatch = check(identity.secret);
  if (mismatch !== undefined) return fail(403, 'SignatureDoesNotMatch', mismatch);
  for (const [n, exp] of r.nonces) if (exp < now) r.nonces.delete(n);
  if (r.nonces.has(replayKey)) {
    return fail(
      403,
      scheme === 'fc' ? 'SignatureReplayed' : 'SignatureNonceUsed',
      scheme === 'fc'
        ? 'This signed request was already received (an FC signature has no nonce; identical requests in the same second look like a replay).'
        : 'The request signature nonce has been used.',
    );
  }
  r.nonces.set(replayKey, now + 2 * r.clockSkewMs);

  // --- authorization and dispatch -----------------------------------------------------------------------------
  const fn =
    (to.service !== undefined ? r.lookupFunction(`${to.service}$${to.name}`) : undefined) ?? r.lookupFunction(to.name);
  if (!fn) return fail(404, 'FunctionNotFound', `function '${to.name}' does not exist`);
  const decision = identity.authorize({
    action: 'fc:InvokeFunction',
    resources: [`acs:fc:${fn.region}:${identity.accountId}:functions/${fn.functionName}`],
    region: fn.region,
    instance: '',
    sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    secureTransport: false,
    now: new Date(now),
  });
  if (!decision.allowed)
    return fail(
      403,
      'AccessDenied',
      `${identity.principal} is not allowed fc:InvokeFunction on ${fn.functionName}: ${decision.reason}`,
    );

  const qualifier = to.qualifier ?? 'LATEST';
  const invocationType = header(req, 'x-fc-invocation-type') ?? 'Sync';
  if (invocationType === 'Async' || invocationType === 'Task') {
    const asyncId = header(req, 'x-fc-async-task-id');
    void r.invoke(fn.functionName, r.body, { qualifier }, requestId).catch(() => undefined);
    res.writeHead(202, {
      'x-fc-request-id': requestId,
      'x-acs-request-id': requestId,
      ...(asyncId ? { 'x-fc-async-task-id': asyncId } : {}),
    });
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
  r.log.info(
    `[fc] InvokeFunction ${fn.functionName} by ${identity.principal} (${scheme}) -> ${outcome.ok ? 'ok' : outcome.errorType} ${outcome.durationMs.toFixed(0)}ms ${requestId}`,
  );
}
