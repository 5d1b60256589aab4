import type { Route } from './routes';
import { components, type Schema } from './schemas';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid parameter (the message names it and says why).',
  403: "Denied by the function's RAM role.",
  404: 'Table, row or route not found.',
  405: 'Method not allowed.',
  409: 'The series a page token points into changed; repeat the query without next.',
  413: 'The request body is larger than the API accepts.',
  415: 'The request body is not sent as application/json.',
  500: 'Invalid function configuration or internal error.',
  503: 'Tablestore throttled the request after retries; see Retry-After.',
  504: 'The function deadline was reached.',
};

/** Builds the OpenAPI 3.1 document from the route table (the same schemas the validator uses). */
export function buildOpenApi(routes: readonly Route[], version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: Schema[] = [
      ...Object.entries(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries(route.query).map(([name, schema]) => ({
        name,
        in: 'query',
        required: route.requiredQuery?.includes(name) ?? false,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
        schema,
      })),
    ];
    const responses: Record<string, unknown> = {
      200: { description: 'OK', content: { 'application/json': { schema: route.response } } },
    };
    // A body brings its own failures: too large, or not JSON; a malformed one is a 400.
    const bodyErrors = route.body ? [400, 413, 415] : [];
    for (const status of [...new Set([...route.errors, ...bodyErrors, 405])].sort()) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? 'Error.',
        ...(status === 503
          ? { headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } } }
          : {}),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: route.operationId,
        summary: route.summary,
        ...(route.actions.length > 0 ? { 'x-ram-actions': [...route.actions] } : {}),
        parameters,
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'tablestore-fc data API',
      version,
      description:
        'Read-only HTTP API over Tablestore wide and time series tables, served by Function Compute 3.0. ' +
        'Values use lossless JSON: integers outside ±(2^53−1) as {"$int64":"…"}, binary as {"$binary":"<base64>"}, times in microseconds.',
    },
    paths,
    components: { schemas: components },
  };
}
