import type { MiddlewareObj } from '@middy/core';
import { ApiError } from './errors';
import type { FcContext, FcHttpEvent, HttpRequest } from './types';

/** Decodes the raw invocation payload (Buffer, string or already-parsed object) into JSON. */
export function decodePayload(event: unknown): unknown {
  if (Buffer.isBuffer(event) || event instanceof Uint8Array) {
    const text = Buffer.from(event).toString('utf8');
    return text.length === 0 ? undefined : JSON.parse(text);
  }
  if (typeof event === 'string') return event.length === 0 ? undefined : JSON.parse(event);
  return event;
}

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

/** Checks the structure of an FC 3.0 HTTP-trigger event; throws a 400 naming the first thing that is wrong. */
export function asFcHttpEvent(value: unknown): FcHttpEvent {
  const fail = (why: string): never => {
    throw new ApiError(400, 'InvalidEvent', `The invocation payload is not an FC 3.0 HTTP trigger event: ${why}.`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
  const e = value as Record<string, unknown>;
  const rc = e.requestContext as Record<string, unknown> | undefined;
  if (typeof rc !== 'object' || rc === null) return fail('requestContext is missing');
  const http = rc.http as Record<string, unknown> | undefined;
  if (typeof http !== 'object' || http === null) return fail('requestContext.http is missing');
  if (typeof http.method !== 'string' || http.method.length === 0) return fail('requestContext.http.method is missing');
  if (typeof e.rawPath !== 'string' && typeof http.path !== 'string') return fail('rawPath is missing');
  if (e.headers !== undefined && e.headers !== null && !isStringMap(e.headers))
    return fail('headers must be a map of strings');
  if (e.queryParameters !== undefined && e.queryParameters !== null && !isStringMap(e.queryParameters)) {
    return fail('queryParameters must be a map of strings');
  }
  if (e.body !== undefined && e.body !== null && typeof e.body !== 'string') return fail('body must be a string');
  return value as FcHttpEvent;
}

/** Splits the URL-encoded path into decoded segments so an encoded "/" cannot change the route. */
export function decodePath(rawPath: string): string {
  const segments = rawPath.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment).replaceAll('/', '%2F');
    } catch {
      throw new ApiError(400, 'InvalidPath', 'The request path is not valid URL encoding.');
    }
  });
  const joined = segments.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/**
 * Normalises an FC 3.0 HTTP-trigger event into the request our routes see. The request id is the
 * invocation's (`context.requestId`, the id FC prints in its logs); the event's own id is the fallback.
 */
export function toHttpRequest(event: FcHttpEvent, invocationRequestId: string | undefined): HttpRequest {
  const http = event.requestContext.http;
  const body =
    event.body === undefined || event.body === null || event.body === ''
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name] = value;
  return {
    method: http.method.toUpperCase(),
    path: decodePath(typeof event.rawPath === 'string' && event.rawPath !== '' ? event.rawPath : http.path),
    headers,
    query: { ...(event.queryParameters ?? {}) },
    body,
    requestId: invocationRequestId || event.requestContext.requestId || 'unknown',
    ...(http.sourceIp === undefined ? {} : { sourceIp: http.sourceIp }),
  };
}

/**
 * middy `before`: replaces the raw Buffer event with a typed HttpRequest. Header names are left as sent;
 * @middy/http-header-normalizer (next in the chain) lower-cases them.
 */
export function fcHttpEvent(): MiddlewareObj<unknown, unknown, Error, FcContext> {
  return {
    before: (request) => {
      let payload: unknown;
      try {
        payload = decodePayload(request.event);
      } catch {
        throw new ApiError(400, 'InvalidEvent', 'The invocation payload is not valid JSON.');
      }
      request.event = toHttpRequest(asFcHttpEvent(payload), request.context.requestId);
    },
  };
}
