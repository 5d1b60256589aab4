import middy from '@middy/core';
import validator from '@middy/validator';
import { ApiError } from '../fc/errors';
import type { HttpRequest } from '../fc/types';
import type { JsonValue } from './lossless';
import type { Route, RouteDeps } from './routes';
import { eventValidator } from './validators';

/** The id of a route's request validator (validators.ts, validator-schemas.ts). */
export const routeValidatorId = (route: Route): string => `route:${route.method} ${route.path}`;

interface ValidatedEvent {
  params: Record<string, string>;
  query: Record<string, unknown>;
  requestId: string;
  deps: RouteDeps;
}

type Inner = (event: ValidatedEvent, context: object) => Promise<JsonValue>;

/** The request schema @middy/validator checks: path and query parameters, unknown query parameters rejected. */
export function requestSchema(route: Route): Record<string, unknown> {
  return {
    type: 'object',
    required: ['params', 'query'],
    properties: {
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
      c.route.handle({ params: event.params, query: event.query, requestId: event.requestId }, event.deps),
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
