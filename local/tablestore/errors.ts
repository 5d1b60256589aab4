/**
 * The one error factory of Tablestore Local: every failure a client sees is built here, with the OTS code,
 * HTTP status and message the real service uses (docs/protocol.md §4.2, §11.6).
 */
import { ErrorCode, TablestoreError } from '../../lib/tablestore/protocol/errors';

function make(code: string, httpStatus: number, message: string): TablestoreError {
  return new TablestoreError({ code, httpStatus, message });
}

export const errors = {
  make,
  parameterInvalid: (message: string) => make(ErrorCode.ParameterInvalid, 400, message),
  /** A request primary key that does not match the table's schema (count, name or type; docs/protocol.md §8.1). */
  invalidPk: (message: string) => make(ErrorCode.InvalidPK, 400, message),
  missingHeader: (name: string) => make(ErrorCode.ParameterInvalid, 400, `Missing header: ${name}.`),
  invalidDate: (value: string) => make(ErrorCode.ParameterInvalid, 400, `Invalid date format: ${value}.`),
  unsupportedOperation: (api: string) => make(ErrorCode.ParameterInvalid, 400, `Unsupported operation: ${api}.`),
  methodNotAllowed: () => make(ErrorCode.MethodNotAllowed, 405, 'Only POST method for requests is supported.'),
  bodyTooLarge: () => make(ErrorCode.RequestBodyTooLarge, 413, 'The size of POST data is too large.'),
  authFailed: (message: string) => make(ErrorCode.AuthFailed, 403, message),
  signatureMismatch: () => make(ErrorCode.AuthFailed, 403, 'Signature mismatch.'),
  clockSkew: (date: string) => make(ErrorCode.AuthFailed, 403, `Mismatch between system time and x-ots-date: ${date}.`),
  md5Mismatch: () =>
    make(ErrorCode.AuthFailed, 403, 'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.'),
  instanceNotFound: () => make(ErrorCode.AuthFailed, 403, 'The instance is not found.'),
  noPermission: () =>
    make(
      ErrorCode.NoPermissionAccess,
      403,
      'You have no permission to access the requested resource, please contact the resource owner',
    ),
  tableNotExist: () => make(ErrorCode.ObjectNotExist, 404, 'Requested table does not exist.'),
  tableAlreadyExist: () => make(ErrorCode.ObjectAlreadyExist, 409, 'Requested table already exists.'),
  /** An atomic BatchWriteRow whose rows span partition keys (docs/protocol.md §8.5). */
  atomicScope: (atomic: string, data: string) =>
    make(ErrorCode.DataOutOfRange, 400, `Data out of scope of atomic. Atomic PartKey:${atomic}. Data PartKey:${data}`),
  /** The row's partition key is held by another request or local transaction (docs/protocol.md §8.8). */
  rowOperationConflict: () => make(ErrorCode.RowOperationConflict, 409, 'Data is being modified by the other request.'),
  /** A local transaction id that is unknown, finished or timed out (docs/protocol.md §8.8). */
  sessionNotExist: () => make(ErrorCode.SessionNotExist, 404, 'Session not exist or may be timeout.'),
  /** A row or range outside the partition key of the request's local transaction (docs/protocol.md §8.8). */
  transactionScope: (txn: string, data: string) =>
    make(
      ErrorCode.DataOutOfRange,
      400,
      `Data out of scope of transaction. Transaction PartKey:${txn}. Data PartKey:${data}`,
    ),
  conditionCheckFail: () => make(ErrorCode.ConditionCheckFail, 403, 'Condition check failed.'),
  quotaExhausted: (message: string) => make(ErrorCode.QuotaExhausted, 403, message),
  outOfColumnCountLimit: (message: string) => make(ErrorCode.OutOfColumnCountLimit, 400, message),
  outOfRowSizeLimit: (message: string) => make(ErrorCode.OutOfRowSizeLimit, 400, message),
  internal: () => make(ErrorCode.InternalServerError, 500, 'Internal server error.'),
} as const;
