import type { MiddlewareObj } from '@middy/core';
import { ApiError, errorResponse } from './errors';
import type { FcContext, FcHttpResponse, HttpRequest } from './types';

/**
 * middy `onError`: turns whatever was thrown (through `toApiError`, the application's mapping) into `{error: {code, message, requestId}}` with the mapped HTTP
 * status. Replaces @middy/http-error-handler, whose body is the bare error message rather than our envelope.
 * `request.error` is replaced by the mapped ApiError (whose `cause` keeps the original) for the logger.
 */
export function fcErrorResponse(
  toApiError: (error: unknown) => ApiError = (error) =>
    error instanceof ApiError ? error : new ApiError(500, 'InternalError', 'Internal error.', { cause: error }),
): MiddlewareObj<unknown, FcHttpResponse, Error, FcContext> {
  return {
    onError: (request) => {
      const apiError = toApiError(request.error);
      request.error = apiError;
      const event = request.event as Partial<HttpRequest> | undefined;
      const requestId = (typeof event?.requestId === 'string' && event.requestId) || request.context.requestId;
      request.response = errorResponse(apiError, requestId);
    },
  };
}
