import type { FcHttpResponse } from './types';

/**
 * An error our API answers with: HTTP status, a stable machine-readable code and a message safe to show the
 * caller. Anything that is not an ApiError is mapped by `toApiError` (see error-mapping.ts).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    options?: { headers?: Record<string, string>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

export const notFound = (message: string, code = 'NotFound'): ApiError => new ApiError(404, code, message);

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly requestId: string };
}

export function errorResponse(error: ApiError, requestId: string): FcHttpResponse {
  const body: ErrorBody = { error: { code: error.code, message: error.message, requestId } };
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...error.headers },
    body: JSON.stringify(body),
  };
}
