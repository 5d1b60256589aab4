/**
 * Tablestore errors: the `TablestoreError` thrown by our clients and raised by Tablestore Local, the
 * protobuf `Error` body codec (docs/protocol.md §4.1) and the OTS error codes (§4.2).
 */
import { decodeMessage, encodeMessage } from './proto/wide';

export const ErrorCode = {
  AuthFailed: 'OTSAuthFailed',
  NoPermissionAccess: 'OTSNoPermissionAccess',
  ParameterInvalid: 'OTSParameterInvalid',
  MethodNotAllowed: 'OTSMethodNotAllowed',
  RequestTimeout: 'OTSRequestTimeout',
  RequestBodyTooLarge: 'OTSRequestBodyTooLarge',
  ObjectNotExist: 'OTSObjectNotExist',
  ObjectAlreadyExist: 'OTSObjectAlreadyExist',
  ConditionCheckFail: 'OTSConditionCheckFail',
  NotEnoughCapacityUnit: 'OTSNotEnoughCapacityUnit',
  InvalidPK: 'OTSInvalidPK',
  MetaNotMatch: 'OTSMetaNotMatch',
  SessionExpired: 'OTSSessionExpired',
  SessionNotExist: 'OTSSessionNotExist',
  ServerBusy: 'OTSServerBusy',
  PartitionUnavailable: 'OTSPartitionUnavailable',
  ServerUnavailable: 'OTSServerUnavailable',
  Timeout: 'OTSTimeout',
  RowOperationConflict: 'OTSRowOperationConflict',
  TableNotReady: 'OTSTableNotReady',
  QuotaExhausted: 'OTSQuotaExhausted',
  InternalServerError: 'OTSInternalServerError',
  OutOfColumnCountLimit: 'OTSOutOfColumnCountLimit',
  OutOfRowSizeLimit: 'OTSOutOfRowSizeLimit',
  OperationThrottled: 'OTSOperationThrottled',
  StorageServerBusy: 'OTSStorageServerBusy',
  DataOutOfRange: 'OTSDataOutOfRange',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface TablestoreErrorOptions {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
  /** Absent and undefined both mean "no request id": the constructor copies it as is. */
  readonly requestId?: string | undefined;
  readonly retryable?: boolean;
}

export class TablestoreError extends Error {
  override readonly name = 'TablestoreError';
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  /** Whether a retry may succeed; set by whoever classifies the error (a retry policy, a client). */
  retryable: boolean;

  constructor(options: TablestoreErrorOptions) {
    super(options.message);
    this.code = options.code;
    this.httpStatus = options.httpStatus;
    this.requestId = options.requestId;
    this.retryable = options.retryable ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      retryable: this.retryable,
    };
  }
}

/** Serializes `Error { code, message }`. */
/** A mistake in a call's input, caught by a client before sending and reported like the service's parameter errors. */
export function invalidInput(message: string): TablestoreError {
  return new TablestoreError({ code: ErrorCode.ParameterInvalid, message, httpStatus: 0 });
}

export function encodeErrorBody(code: string, message: string): Uint8Array {
  return encodeMessage('Error', { code, message });
}

/** Parses an `Error` body; undefined when the bytes are not a valid `Error` message. */
export function decodeErrorBody(body: Uint8Array): { code: string; message: string } | undefined {
  if (body.length === 0) return undefined;
  try {
    const e = decodeMessage('Error', body);
    if (!e.code) return undefined;
    return { code: e.code, message: e.message ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Builds the TablestoreError for a non-2xx response. When the body is not an `Error` message, the code is
 * invented the way the Go SDK does: OTSServerUnavailable for 5xx, OTSClientUnknownError otherwise.
 */
export function errorFromResponse(httpStatus: number, body: Uint8Array, requestId?: string): TablestoreError {
  const decoded = decodeErrorBody(body);
  if (decoded) return new TablestoreError({ code: decoded.code, message: decoded.message, httpStatus, requestId });
  return new TablestoreError({
    code: httpStatus >= 500 ? ErrorCode.ServerUnavailable : 'OTSClientUnknownError',
    message: `Tablestore returned HTTP ${httpStatus} without a decodable error body`,
    httpStatus,
    requestId,
  });
}

/**
 * Recovers code and message from an error thrown by the official Node SDK 5.6.5, which reports
 * `code` = HTTP status and `message` = raw protobuf body bytes as text + " requestId:<id>" (docs/protocol.md §4.4).
 */
export function fromNodeSdkError(err: unknown): TablestoreError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; requestId?: unknown };
  if (typeof e.code !== 'number' || typeof e.message !== 'string') return undefined;
  const m = /^([\s\S]*?) requestId:(\S*)$/.exec(e.message);
  const raw = m ? m[1] : e.message;
  const requestId = m ? m[2] : undefined;
  const decoded = decodeErrorBody(Buffer.from(raw, 'utf8'));
  if (decoded) return new TablestoreError({ ...decoded, httpStatus: e.code, requestId });
  const code = /OTS[A-Za-z]+/.exec(raw)?.[0];
  if (!code) return undefined;
  // The SDK's message follows the code after protobuf framing bytes (control characters): drop them.
  // eslint-disable-next-line no-control-regex
  const rest = raw.slice(raw.indexOf(code) + code.length).replace(/^[\x00-\x1f]+/, '');
  return new TablestoreError({ code, message: rest, httpStatus: e.code, requestId });
}
