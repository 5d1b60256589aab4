import middy from '@middy/core';
import validator from '@middy/validator';
import { ApiError } from '../fc/errors';
import type { HttpRequest } from '../fc/types';
import type { JsonValue } from './lossless';
import type { Route, RouteDeps } from './routes';
import { eventValidator } from './validators';
import { treeDepth } from '../tablestore/tree-depth';

/** The id of a route's request validator (validators.ts, validator-schemas.ts). */
export const routeValidatorId = (route: Route): string => `route:${route.method} ${route.path}`;

interface ValidatedEvent {
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** Present for routes that declare a body: the parsed JSON, checked by the same validator. */
  body?: Record<string, unknown>;
  requestId: string;
  deps: RouteDeps;
}

/**
 * The largest request body a route takes, in bytes after FC's base64 decoding (lib/fc/http-event.ts). The
 * bodies are small JSON documents (a SQL statement, a search query); anything larger is refused with a 413
 * before it is parsed.
 */
export const MAX_BODY_BYTES = 64 * 1024;

/** application/json or a +json type, optionally with a UTF-8 charset (JSON has no other encoding, RFC 8259 §8.1). */
const JSON_TYPE = /^application\/(?:json|[\w.+-]+\+json)\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * How deeply a JSON body may nest: far above what any route accepts (search queries nest at most 32 levels
 * of a few JSON levels each, aggregations 8), far below what overflows a recursive walk.
 */
export const MAX_BODY_DEPTH = 256;

/**
 * The JSON body of a request to a route that declares one: 400 when it is absent or not JSON (naming the
 * request body), 415 for another content type, 413 above MAX_BODY_BYTES. The shape is the validator's job.
 */
export function readJsonBody(request: HttpRequest): unknown {
  if (request.body.length === 0)
    throw new ApiError(
      400,
      'InvalidBody',
      'the request body is required: a JSON object (Content-Type: application/json)',
    );
  const type = request.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type.trim()))
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the request body must be sent as Content-Type: application/json${type === undefined ? '' : ` (got '${type.slice(0, 100)}')`}`,
    );
  if (request.body.length > MAX_BODY_BYTES)
    throw new ApiError(
      413,
      'PayloadTooLarge',
      `the request body is ${request.body.length} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch {
    throw new ApiError(400, 'InvalidBody', 'the request body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'InvalidBody', 'the request body is not valid JSON');
  }
  // Routes walk bodies recursively (validation, the page token's canonical form, the search encoders): a
  // body nested deeper than any request needs is refused here, before a walk could overflow the stack.
  if (treeDepth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH)
    throw new ApiError(400, 'InvalidBody', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  return body;
}

type Inner = (event: ValidatedEvent, context: object) => Promise<JsonValue>;

/**
 * The request schema @middy/validator checks: path and query parameters, unknown query parameters rejected,
 * and the body of a route that declares one.
 */
export function requestSchema(route: Route): Record<string, unknown> {
  return {
    type: 'object',
    required: route.body ? ['params', 'query', 'body'] : ['params', 'query'],
    properties: {
      ...(route.body ? { body: route.body } : {}),
      params: { type: 'object', properties: route.params, required: Object.keys(route.params) },
      query: {
        type: 'object',
        properties: route.query,
        ...(route.requiredQuery && route.requiredQuery.length > 0 ? { required: [...route.requiredQuery] } : {}),
        additionalProperties: false,
      },
    },
  };
}

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
  inner?: Inner;
}

function innerHandler(c: Compiled): Inner {
  // Each route is its own small middy chain so @middy/validator can use that route's validator, made on
  // first use (bundles carry them precompiled).
  c.inner ??= middy<ValidatedEvent, JsonValue>()
    .use(validator({ eventSchema: eventValidator(routeValidatorId(c.route), requestSchema(c.route)) }))
    .handler((event) =>
      c.route.handle(
        {
          params: event.params,
          query: event.query,
          ...(event.body === undefined ? {} : { body: event.body }),
          requestId: event.requestId,
        },
        event.deps,
      ),
    ) as unknown as Inner;
  return c.inner;
}

function match(template: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (template.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith('{') && t.endsWith('}')) {
      if (path[i] === '') return undefined;
      params[t.slice(1, -1)] = path[i];
    } else if (t !== path[i]) {
      return undefined;
    }
  }
  return params;
}

export interface Router {
  dispatch(request: HttpRequest, deps: RouteDeps): Promise<JsonValue>;
}

export function createRouter(routes: readonly Route[]): Router {
  const compiled: Compiled[] = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  return {
    async dispatch(request, deps) {
      // A trailing slash is tolerated: /tables/ is /tables.
      const path = request.path.length > 1 && request.path.endsWith('/') ? request.path.slice(0, -1) : request.path;
      const segments = path.split('/').slice(1);
      const allowed: string[] = [];
      for (const c of compiled) {
        const params = match(c.segments, segments);
        if (!params) continue;
        if (c.route.method !== request.method) {
          allowed.push(c.route.method);
          continue;
        }
        const event: ValidatedEvent = {
          params: { ...params },
          query: { ...request.query },
          // Only routes that declare a body read one; a GET's body is ignored as before.
          ...(c.route.body ? { body: readJsonBody(request) as Record<string, unknown> } : {}),
          requestId: request.requestId,
          deps,
        };
        return innerHandler(c)(event, {});
      }
      if (allowed.length > 0) {
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(', ')}.`,
          {
            headers: { allow: [...new Set(allowed)].join(', ') },
          },
        );
      }
      throw new ApiError(404, 'RouteNotFound', `No route for ${request.method} ${path.slice(0, 200)}.`);
    },
  };
}
