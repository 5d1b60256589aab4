import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { withDeadline } from '../fc/deadline';
import { fcErrorResponse } from '../fc/error-response';
import { toApiError } from './error-mapping';
import { fcHttpEvent } from '../fc/http-event';
import { createLogger, fcLogger, type LoggedContext, type ScrubbingLogger } from '../fc/logger';
import type { FcContext, FcHttpResponse, HttpRequest } from '../fc/types';
import { readConfig, warnIfDerivedTokenKey, type ApiConfig } from './config';
import type { JsonValue } from './lossless';
import { buildOpenApi } from './openapi';
import { createPageTokens, type PageTokens } from './page-token';
import type { TablestoreReaders } from './ports';
import { createRouter } from './router';
import { routes as apiRoutes, type Route, type RouteDeps } from './routes';
import { isExplorerPath } from '../explorer/paths';

export interface HttpAppOptions {
  /**
   * Builds the readers for this invocation (credentials come from the context on every call). `signal`
   * aborts when the function deadline is reached, so in-flight Tablestore calls are cancelled.
   */
  readers(config: ApiConfig, context: FcContext, signal?: AbortSignal): Promise<TablestoreReaders> | TablestoreReaders;
  readonly logger?: ScrubbingLogger;
  /** Environment to read the configuration from on each invocation; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Stop this long before the function deadline with a 504 (default 300 ms). */
  readonly timeoutEarlyInMillis?: number;
  /** The route table; the API's own (lib/api/routes.ts) unless a test serves others through the same chain. */
  readonly routes?: readonly Route[];
}

type ChainMiddleware = MiddlewareObj<HttpRequest, FcHttpResponse, Error, LoggedContext>;
/** Our middlewares are typed on what they read; the chain's event type changes from Buffer to HttpRequest. */
const as = (m: object): ChainMiddleware => m;

export type FcHttpHandler = (event: Buffer | Uint8Array | string, context: FcContext) => Promise<FcHttpResponse>;

export function jsonResponse(statusCode: number, body: JsonValue, requestId: string): FcHttpResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': requestId,
      'cache-control': 'no-store',
    },
    body: JSON.stringify(body),
  };
}

/**
 * The HTTP data API as an FC 3.0 handler: Buffer event → middy chain (logging with the request id, FC event
 * normalisation, header normalisation, error envelope) → route table → FC response struct.
 */
export function createHttpHandler(options: HttpAppOptions): FcHttpHandler {
  const log = options.logger ?? createLogger();
  const routes = options.routes ?? apiRoutes;
  const router = createRouter(routes);
  let openapi: unknown;
  const tokenCache = new Map<string, PageTokens>();

  const chain = middy<HttpRequest, FcHttpResponse, Error, LoggedContext>({
    timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 300,
  })
    .use(as(fcLogger(log, { trigger: 'http' })))
    .use(as(fcHttpEvent()))
    .use(as(httpHeaderNormalizer()))
    .use(as(fcErrorResponse(toApiError)))
    .handler(async (request, context, { signal }) => {
      context.log?.debug({ method: request.method, path: request.path }, 'request');
      // The browser explorer (HTML, not part of the JSON contract, so not in /openapi.json): its module and files
      // are loaded on the first page request only, so JSON requests never pay for them.
      if (isExplorerPath(request.path)) return (await import('../explorer/serve')).serveExplorer(request);
      let config: ApiConfig | undefined;
      const deps: RouteDeps = {
        config: () => {
          if (config) return config;
          config = readConfig(options.env ?? process.env);
          warnIfDerivedTokenKey(config, (message) => context.log?.warn(message));
          return config;
        },
        readers: async () => options.readers(deps.config(), context, signal),
        tokens: () => {
          const key = deps.config().tokenKey;
          let tokens = tokenCache.get(key);
          if (!tokens) {
            tokens = createPageTokens(key);
            tokenCache.clear();
            tokenCache.set(key, tokens);
          }
          return tokens;
        },
        openapi: () => (openapi ??= buildOpenApi(routes)),
      };
      const body = await router.dispatch(request, deps);
      return jsonResponse(200, body, request.requestId);
    });

  return (event, context) => chain(event as unknown as HttpRequest, withDeadline(context));
}
