/**
 * The HTTP transport every Tablestore call of ours goes through: POST /<ApiName> with a protobuf body,
 * signed x-ots headers, keep-alive connections, per-attempt timeout, retries per the official SDKs' retry
 * classes with jittered exponential backoff, an overall deadline, and decoded OTS errors.
 *
 * Credentials are asked from the provider for every attempt, so a rotating provider (STS in Function
 * Compute) just works. When the service refuses an STS token (403 OTSAuthFailed / OTSNoPermissionAccess),
 * the call is retried once with newer credentials: the provider's current ones if they changed meanwhile,
 * else a forced refresh (`credentials({ forceRefresh: true })`).
 */
import http from 'node:http';
import https from 'node:https';
import { CredentialsError } from '../../credentials/errors';
import type { CredentialProvider, Credentials } from '../../credentials/types';
import { TablestoreError, errorFromResponse, ErrorCode, invalidInput } from '../protocol/errors';
import { contentMd5, signRequestHeaders } from '../protocol/sign';
import {
  backoffDelayMs,
  isIdempotentApi,
  isRetryable,
  MIN_ATTEMPT_MS,
  type FailureInfo,
} from '../protocol/retry-policy';

/** Codes for failures that happen on our side of the wire (httpStatus 0). */
export const ClientErrorCode = {
  Timeout: 'OTSClientTimeout',
  Network: 'OTSClientNetworkError',
  DeadlineExceeded: 'OTSClientDeadlineExceeded',
  BadResponse: 'OTSClientBadResponse',
  Credentials: 'OTSClientCredentialsError',
  Aborted: 'OTSClientAborted',
} as const;

/** A reply whose body does not decode as the API's response (httpStatus 200: the service did answer). */
export function malformedResponse(api: string, detail: string): TablestoreError {
  return new TablestoreError({
    code: ClientErrorCode.BadResponse,
    message: `${api}: malformed response: ${detail}`,
    httpStatus: 200,
  });
}

/**
 * One API call of a client over `transport`: `build` encodes the request (a mistake in the caller's input
 * becomes OTSParameterInvalid and nothing is sent), the transport sends it with retries, `decode` reads the
 * reply (bytes that do not decode become OTSClientBadResponse). TablestoreErrors from either pass through.
 */
export async function callApi<T>(
  transport: Transport,
  api: string,
  build: () => Uint8Array,
  decode: (reply: Uint8Array) => T,
  options?: CallOptions,
): Promise<T> {
  let body: Uint8Array;
  try {
    body = build();
  } catch (err) {
    if (err instanceof TablestoreError) throw err;
    throw invalidInput(`${api}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const reply = await transport.call(api, body, options);
  try {
    return decode(reply);
  } catch (err) {
    if (err instanceof TablestoreError) throw err;
    throw malformedResponse(api, err instanceof Error ? err.message : String(err));
  }
}

export interface RetryOptions {
  /** Retries after the first attempt (default 10). 0 disables retrying. */
  readonly maxRetries?: number;
  /** Backoff ceiling of the first retry in ms (default 20); doubles per retry. */
  readonly baseDelayMs?: number;
  /** Upper bound of a single backoff in ms (default 2000). */
  readonly maxDelayMs?: number;
}

export interface RetryEvent {
  readonly apiName: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId?: string;
}

export interface TransportOptions {
  /** `https://<instance>.<region>.ots.aliyuncs.com` or `http://127.0.0.1:port`; any path is ignored. */
  readonly endpoint: string;
  readonly instance: string;
  readonly credentials: CredentialProvider;
  /** Needed for V4 signing. */
  readonly region?: string | undefined;
  /** Default V4 when `region` is given, V2 otherwise (docs/protocol-wide-client.md §1). */
  readonly signatureVersion?: 'v2' | 'v4' | undefined;
  /** Per-attempt timeout in ms (default 10 000). */
  readonly timeoutMs?: number | undefined;
  /** Overall time budget of one call including retries and backoff, in ms (default 30 000). */
  readonly deadlineMs?: number | undefined;
  readonly retry?: RetryOptions | undefined;
  /** Keep-alive pool size per host (default 64). */
  readonly maxSockets?: number;
  /** Observability hook; receives no secrets. */
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Random source for jitter (tests). */
  readonly random?: () => number;
  /** Clock used for x-ots-date and the V4 sign date (tests; default the system clock). */
  readonly now?: () => Date;
  /** Keep-alive agent to send through (e.g. one shared with other clients); one is made when absent. */
  readonly agent?: http.Agent;
}

/**
 * What a client takes to build its own transport (the wide-table and time series clients take the same;
 * `now` stays a transport-level test hook).
 */
export type ClientConnection = Omit<TransportOptions, 'now'>;

/** Counters of one transport (diagnostics and test evidence). */
export interface TransportStats {
  calls: number;
  /** Attempts repeated after a retryable failure (backoffs taken). */
  retries: number;
  /** Attempts signed with different keys than the attempt before. */
  credentialSwaps: number;
  /** Retries with newer keys after the service refused an STS token. */
  authRetries: number;
}

export interface CallOptions {
  /** Whether repeating the request is harmless; defaults to the read-only API list. */
  readonly idempotent?: boolean;
  /** Overrides the transport's overall deadline for this call. */
  readonly deadlineMs?: number;
  /** Cancels the call (in-flight request and backoff alike); it then fails with OTSClientAborted. */
  readonly signal?: AbortSignal;
}

export interface Transport {
  readonly endpoint: string;
  readonly instance: string;
  readonly stats: TransportStats;
  call(apiName: string, requestBytes: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /** Closes the keep-alive sockets; calls still in flight fail with a network error. */
  close(): void;
}

interface AttemptResult {
  readonly status: number;
  readonly body: Uint8Array;
  readonly requestId?: string | undefined;
  readonly md5?: string | undefined;
}

/** A failure before a complete response arrived. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'aborted',
    readonly requestSent: boolean,
  ) {
    super(message);
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const AUTH_CODES = new Set<string>([ErrorCode.AuthFailed, ErrorCode.NoPermissionAccess]);
/** Keys this young from a forced refresh cannot be stale: a refusal then is a policy decision. */
const FORCED_FRESH_MS = 60_000;

/** Resolves after `ms`, or early (without error) when `signal` aborts; the caller checks the signal. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function abortedError(apiName: string): TablestoreError {
  return new TablestoreError({ code: ClientErrorCode.Aborted, message: `${apiName} was cancelled`, httpStatus: 0 });
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return (
    a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken
  );
}

export function createTransport(options: TransportOptions): Transport {
  const url = new URL(options.endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`endpoint must be http(s)://host[:port], got ${url.protocol}`);
  }
  const secure = url.protocol === 'https:';
  const signatureVersion = options.signatureVersion ?? (options.region ? 'v4' : 'v2');
  if (signatureVersion === 'v4' && !options.region) throw new TypeError('V4 signing needs a region');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const defaultDeadlineMs = options.deadlineMs ?? 30_000;
  const maxRetries = options.retry?.maxRetries ?? 10;
  const backoff = { baseMs: options.retry?.baseDelayMs ?? 20, capMs: options.retry?.maxDelayMs ?? 2000 };
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const agent = options.agent ?? (secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions));
  const request = secure ? https.request : http.request;
  const endpoint = `${url.protocol}//${url.host}`;

  function attempt(
    apiName: string,
    body: Uint8Array,
    headers: Record<string, string>,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<AttemptResult> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        fail(new AttemptFailure(`${apiName} was cancelled`, 'aborted', true));
        req.destroy();
      };
      const fail = (err: AttemptFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const req = request({
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || (secure ? 443 : 80),
        method: 'POST',
        path: `/${apiName}`,
        agent,
        headers: { ...headers, 'content-length': String(body.length), 'content-type': 'application/x-protobuf' },
      });
      const timer = setTimeout(() => {
        fail(new AttemptFailure(`${apiName} timed out after ${timeout} ms`, 'timeout', true));
        req.destroy();
      }, timeout);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A stale keep-alive socket closed by the server before it read anything: the request was not run.
        const notSent = NOT_SENT_CODES.has(err.code ?? '') || (req.reusedSocket && err.code === 'ECONNRESET');
        fail(new AttemptFailure(`${apiName} failed on the network: ${err.code ?? err.message}`, 'network', !notSent));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => fail(new AttemptFailure(`${apiName}: response interrupted`, 'network', true)));
        res.on('aborted', () => fail(new AttemptFailure(`${apiName}: response aborted`, 'network', true)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const requestId = res.headers['x-ots-requestid'] ?? res.headers['x-ots-request-id'];
          const md5 = res.headers['x-ots-contentmd5'];
          resolve({
            status: res.statusCode ?? 0,
            body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
            requestId: Array.isArray(requestId) ? requestId[0] : requestId,
            md5: Array.isArray(md5) ? md5[0] : md5,
          });
        });
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /** AccessKeyIds obtained by a forced refresh → when (bounded). */
  const forcedKeys = new Map<string, number>();
  const stats: TransportStats = { calls: 0, retries: 0, credentialSwaps: 0, authRetries: 0 };
  let lastSigned: Credentials | undefined;

  async function resolveCredentials(forceRefresh = false): Promise<Credentials> {
    try {
      return await options.credentials(forceRefresh ? { forceRefresh: true } : undefined);
    } catch (err) {
      // Our own providers' errors say what is missing (never a key): they pass through as they are.
      if (err instanceof CredentialsError) throw err;
      // Any other provider's message may be anything; report only that it failed and its error class.
      throw new TablestoreError({
        code: ClientErrorCode.Credentials,
        message: `credential provider failed (${err instanceof Error ? err.name : typeof err})`,
        httpStatus: 0,
      });
    }
  }

  async function call(apiName: string, requestBytes: Uint8Array, callOptions: CallOptions = {}): Promise<Uint8Array> {
    const idempotent = callOptions.idempotent ?? isIdempotentApi(apiName);
    const started = Date.now();
    const deadline = started + (callOptions.deadlineMs ?? defaultDeadlineMs);
    let retries = 0;
    let authRetried = false;
    let nextCredentials: Credentials | undefined;
    let lastError: TablestoreError | undefined;

    const signal = callOptions.signal;
    stats.calls++;
    for (;;) {
      if (signal?.aborted) throw abortedError(apiName);
      const credentials = nextCredentials ?? (await resolveCredentials());
      nextCredentials = undefined;
      if (lastSigned === undefined || !sameCredentials(lastSigned, credentials)) {
        lastSigned = credentials;
        stats.credentialSwaps++;
      }
      const headers = signRequestHeaders({
        apiName,
        body: requestBytes,
        instance: options.instance,
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        securityToken: credentials.securityToken,
        signatureVersion,
        region: options.region,
        date: now(),
      });
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        // The failure that used up the budget says more than "deadline exceeded".
        if (lastError) throw lastError;
        throw new TablestoreError({
          code: ClientErrorCode.DeadlineExceeded,
          message: `${apiName}: deadline of ${deadline - started} ms exceeded before attempt ${retries + 1}`,
          httpStatus: 0,
        });
      }

      if (signal?.aborted) throw abortedError(apiName);
      let error: TablestoreError;
      let failure: FailureInfo;
      // A shortened attempt that times out was cut by the overall deadline, not by a slow server.
      const cutByDeadline = remaining < timeoutMs;
      try {
        const result = await attempt(apiName, requestBytes, headers, Math.min(timeoutMs, remaining), signal);
        if (result.status >= 200 && result.status < 300) {
          if (result.md5 !== undefined && result.md5 !== contentMd5(result.body)) {
            error = new TablestoreError({
              code: ClientErrorCode.BadResponse,
              message: `${apiName}: response body does not match x-ots-contentmd5`,
              httpStatus: result.status,
              requestId: result.requestId,
            });
            failure = { transportFailure: true, requestSent: true };
          } else {
            return result.body;
          }
        } else {
          error = errorFromResponse(result.status, result.body, result.requestId);
          failure = { code: error.code, message: error.message, httpStatus: result.status };
        }
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        if (err.kind === 'aborted') throw abortedError(apiName);
        // An answer the service gave earlier (e.g. OTSServerBusy) says more than the deadline that cut this
        // attempt short; an earlier client-side failure does not, so the deadline is reported then.
        if (err.kind === 'timeout' && cutByDeadline) {
          if (lastError && lastError.httpStatus > 0) throw lastError;
          throw new TablestoreError({
            code: ClientErrorCode.DeadlineExceeded,
            message: `${apiName}: deadline of ${deadline - started} ms exceeded during attempt ${retries + 1}`,
            httpStatus: 0,
          });
        }
        error = new TablestoreError({
          code: err.kind === 'timeout' ? ClientErrorCode.Timeout : ClientErrorCode.Network,
          message: err.message,
          httpStatus: 0,
        });
        failure = { transportFailure: true, requestSent: err.requestSent };
      }

      error.retryable = isRetryable(failure, idempotent);
      lastError = error;

      // An expired or replaced STS token: fresh credentials (forced if the provider has none newer) and one
      // more try. Keys that themselves came from a forced refresh are not refreshed again: a refusal then
      // is a real permission denial (the service may use OTSNoPermissionAccess for both) and must not cost
      // an AssumeRole per call.
      const forcedAt = forcedKeys.get(credentials.accessKeyId);
      if (
        !authRetried &&
        error.httpStatus === 403 &&
        AUTH_CODES.has(error.code) &&
        credentials.securityToken !== undefined &&
        (forcedAt === undefined || Date.now() - forcedAt >= FORCED_FRESH_MS)
      ) {
        authRetried = true;
        // Another call (or client) may already have refreshed: the provider's current keys then differ.
        let fresh = await resolveCredentials();
        if (sameCredentials(fresh, credentials)) {
          fresh = await resolveCredentials(true);
          forcedKeys.set(fresh.accessKeyId, Date.now());
          if (forcedKeys.size > 64) forcedKeys.delete(forcedKeys.keys().next().value as string);
        }
        if (sameCredentials(fresh, credentials)) throw error;
        stats.authRetries++;
        nextCredentials = fresh;
        continue;
      }

      if (!error.retryable || retries >= maxRetries) throw error;
      const delay = backoffDelayMs(retries, backoff, random);
      if (Date.now() + delay + MIN_ATTEMPT_MS >= deadline) throw error;
      retries++;
      stats.retries++;
      options.onRetry?.({
        apiName,
        retry: retries,
        delayMs: delay,
        code: error.code,
        httpStatus: error.httpStatus,
        ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      });
      await sleep(delay, signal);
    }
  }

  return {
    endpoint,
    instance: options.instance,
    stats,
    call,
    close: () => agent.destroy(),
  };
}
