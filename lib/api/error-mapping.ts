/**
 * Tablestore → HTTP: what the data API answers when a Tablestore call (or anything else) fails. Built on
 * the OTS error codes and the retry classes of lib/tablestore/protocol: every code the client retries for
 * any API (the service did not run the request: throttling, contention, a busy partition) is "Throttled"
 * (503 + Retry-After) once the client's retries are used up, and so are the codes that mean the same to a
 * caller of a read-only API (a hard quota, an unavailable server). Test: test/functions/api-unit.test.ts.
 */
import { ApiError } from '../fc/errors';
import { ErrorCode } from '../tablestore/protocol/errors';
import { RETRYABLE_FOR_ANY_API } from '../tablestore/protocol/retry-policy';
import { ClientErrorCode } from '../tablestore/transport/index';

/** What the failing call was doing, so a denial can name the RAM action and table. */
export interface CallSite {
  readonly action?: string;
  readonly table?: string;
}

/**
 * Codes answered 503 Throttled: the retry-for-any-API class, plus OTSQuotaExhausted (retried only in its
 * "too frequent" flavour, a hard quota is no better for the caller now), OTSServerUnavailable (retried for
 * reads; for the caller it is unavailability) and the reserved-throughput adjustment limit.
 */
export const THROTTLED: ReadonlySet<string> = new Set([
  ...RETRYABLE_FOR_ANY_API,
  ErrorCode.QuotaExhausted,
  ErrorCode.ServerUnavailable,
  'OTSTooFrequentReservedThroughputAdjustment',
]);
const TIMEOUT: ReadonlySet<string> = new Set([ErrorCode.Timeout, ErrorCode.RequestTimeout]);
const DENIED: ReadonlySet<string> = new Set([
  ErrorCode.NoPermissionAccess,
  ErrorCode.AuthFailed,
  'OTSPermissionDenied',
]);
const BAD_INPUT: ReadonlySet<string> = new Set([
  ErrorCode.ParameterInvalid,
  ErrorCode.InvalidPK,
  ErrorCode.MetaNotMatch,
  ErrorCode.OutOfColumnCountLimit,
]);

/** Seconds a throttled caller should wait; Tablestore gives no hint, so this is a conservative constant. */
export const RETRY_AFTER_SECONDS = 1;

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly httpStatus?: unknown;
  readonly cause?: unknown;
  readonly statusCode?: unknown;
}

/**
 * Extracts the OTS error code from our TablestoreError (code is a string) or from the official Node SDK's
 * defective errors (code is the HTTP status and the message holds the raw protobuf Error bytes).
 */
export function otsCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorLike;
  if (typeof e.code === 'string' && e.code.startsWith('OTS')) return e.code;
  if (typeof e.code === 'number' && typeof e.message === 'string') return /OTS[A-Za-z]+/.exec(e.message)?.[0];
  return undefined;
}

function isTimeout(e: ErrorLike): boolean {
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  if (typeof e.code === 'string' && /deadline|timedout|timeout/i.test(e.code) && !e.code.startsWith('OTS')) return true;
  return typeof e.code === 'string' && (e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT');
}

function isNetwork(e: ErrorLike): boolean {
  return (
    typeof e.code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|UND_ERR_)/.test(e.code)
  );
}

/**
 * Maps anything thrown while serving a request to an ApiError whose message is safe for callers: never a
 * stack trace, a raw upstream body or a credential. The original error stays attached as `cause` for logs.
 */
export function toApiError(error: unknown, site: CallSite = {}): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error !== 'object' || error === null)
    return new ApiError(500, 'InternalError', 'Internal error.', { cause: error });
  const e = error as ErrorLike;

  const validation = fromValidator(e);
  if (validation) return validation;

  if (e.name === 'CredentialsError') {
    // The provider's messages describe what is missing ("the function has no role"), never a key.
    const detail = typeof e.message === 'string' ? e.message.slice(0, 300) : 'no credentials';
    return new ApiError(500, 'CredentialsUnavailable', `No credentials for Tablestore: ${detail}`, { cause: error });
  }
  const ots = otsCodeOf(error);
  const where = site.table ? ` on table '${site.table}'` : '';
  if (ots !== undefined && ots.startsWith('OTSClient')) {
    // Failures on our side of the wire, from the shared transport.
    if (
      ots === ClientErrorCode.DeadlineExceeded ||
      ots === ClientErrorCode.Timeout ||
      ots === ClientErrorCode.Aborted
    ) {
      return new ApiError(504, 'DeadlineExceeded', `Tablestore did not answer in time${where}.`, { cause: error });
    }
    if (ots === ClientErrorCode.Network) {
      return new ApiError(503, 'Unavailable', 'The Tablestore endpoint could not be reached; retry later.', {
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        cause: error,
      });
    }
    if (ots === ClientErrorCode.Credentials) {
      return new ApiError(500, 'CredentialsUnavailable', 'No credentials for Tablestore could be resolved.', {
        cause: error,
      });
    }
    return new ApiError(502, 'UpstreamError', `Tablestore sent a response that could not be read${where}.`, {
      cause: error,
    });
  }
  if (ots !== undefined) {
    if (ots === ErrorCode.ObjectNotExist) {
      return new ApiError(
        404,
        'TableNotFound',
        site.table ? `Table '${site.table}' does not exist.` : 'The requested table does not exist.',
        { cause: error },
      );
    }
    if (DENIED.has(ots)) {
      const action = site.action ? ` ${site.action}` : '';
      return new ApiError(
        403,
        'AccessDenied',
        `The function's role is not allowed to call${action}${where} (${ots}).`,
        { cause: error },
      );
    }
    if (BAD_INPUT.has(ots)) {
      return new ApiError(
        400,
        'InvalidParameter',
        `Tablestore rejected the request${where} (${ots}); check the primary key and parameters against the table schema.`,
        { cause: error },
      );
    }
    if (THROTTLED.has(ots)) {
      return new ApiError(
        503,
        'Throttled',
        `Tablestore is busy${where} (${ots}) and retries were exhausted; retry later.`,
        {
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
          cause: error,
        },
      );
    }
    if (TIMEOUT.has(ots))
      return new ApiError(504, 'DeadlineExceeded', `Tablestore timed out${where} (${ots}).`, { cause: error });
    return new ApiError(502, 'UpstreamError', `Tablestore returned an error${where} (${ots}).`, { cause: error });
  }
  if (isTimeout(e)) {
    return new ApiError(504, 'DeadlineExceeded', 'The request did not complete before the function deadline.', {
      cause: error,
    });
  }
  if (isNetwork(e)) {
    return new ApiError(503, 'Unavailable', 'The Tablestore endpoint could not be reached; retry later.', {
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      cause: error,
    });
  }
  return new ApiError(500, 'InternalError', 'Internal error.', { cause: error });
}

interface AjvIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/** @middy/validator throws a 400 whose cause carries ajv's errors; turn them into "which parameter and why". */
function fromValidator(e: ErrorLike): ApiError | undefined {
  const cause = e.cause as { package?: unknown; data?: unknown } | undefined;
  if (!cause || cause.package !== '@middy/validator' || e.statusCode !== 400) return undefined;
  const issues = Array.isArray(cause.data) ? (cause.data as AjvIssue[]) : [];
  const parts = issues.map(describeIssue);
  const message = parts.length > 0 ? [...new Set(parts)].join('; ') : 'The request is invalid.';
  return new ApiError(400, 'InvalidParameter', message, { cause: e });
}

function describeIssue(issue: AjvIssue): string {
  const segments = (issue.instancePath ?? '').split('/').filter(Boolean);
  const [where, ...rest] = segments;
  const kind =
    where === 'query'
      ? 'query parameter'
      : where === 'params'
        ? 'path parameter'
        : where === 'payload'
          ? 'payload field'
          : where === 'body'
            ? 'body field'
            : 'request';
  if (where === 'body' && rest.length === 0 && issue.keyword !== 'required' && issue.keyword !== 'additionalProperties')
    return `request body ${issue.message ?? 'is invalid'}`;
  if (issue.keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') {
    return `unknown ${kind} '${issue.params.additionalProperty}'`;
  }
  if (issue.keyword === 'required' && typeof issue.params?.missingProperty === 'string') {
    return `${kind} '${issue.params.missingProperty}' is required`;
  }
  const name = rest.length > 0 ? ` '${rest.join('.')}'` : '';
  return `${kind}${name} ${issue.message ?? 'is invalid'}`;
}
