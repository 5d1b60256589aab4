export type { FcContext, FcCredentials, FcHttpEvent, FcHttpResponse, FcTimerEvent, HttpRequest } from './types';
export { ApiError, badRequest, notFound, errorResponse, type ErrorBody } from './errors';
export { toApiError, otsCodeOf, RETRY_AFTER_SECONDS, type CallSite } from './error-mapping';
export { fcHttpEvent, toHttpRequest, asFcHttpEvent, decodePayload, decodePath } from './http-event';
export { fcTimerEvent, parseTimerPayload, asTimerEvent, type TimerRequest } from './timer-event';
export { fcErrorResponse } from './error-response';
export { createLogger, fcLogger, REDACTED_PATHS, type ScrubbingLogger, type LoggedContext, type RequestLogger } from './logger';
export { withDeadline } from './deadline';
export { silenceWarnings } from './warnings';
