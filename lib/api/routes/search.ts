/**
 * Search routes (docs/search-api.md): `POST /tables/{table}/search` (JSON query DSL), `GET
 * /tables/{table}/search` (the `q` syntax) and `GET /tables/{table}/search-indexes`. Their work is in
 * search-service.ts, imported on the first search request: a separate part of the bundle (scripts/build.ts),
 * so the search encoders cost nothing to requests that do not search. Kept small for the same reason.
 */
import { ApiError } from '../../fc/errors';
import type { JsonValue } from '../lossless';
import type { Route, RouteDeps, RouteRequest } from '../route-kit';
import { NEXT, TABLE_NAME } from '../schemas';

type Part = typeof import('./search-service');
let part: Promise<Part> | undefined;

/**
 * Runs a handler of the lazily loaded part. Its ApiErrors come from its own copy of lib/fc/errors.ts in a
 * bundle, so they are re-made here as the router's ApiError (same status, code, message and headers).
 */
async function lazy(name: keyof Part['handlers'], req: RouteRequest, deps: RouteDeps): Promise<JsonValue> {
  const { handlers } = await (part ??= import('./search-service').then((m) =>
    'handlers' in m ? m : (m as { default: Part }).default,
  ));
  try {
    return await handlers[name](req, deps);
  } catch (error) {
    const e = error as Partial<ApiError>;
    if (error instanceof ApiError || !(error instanceof Error) || e.name !== 'ApiError' || typeof e.status !== 'number')
      throw error;
    throw new ApiError(e.status, String(e.code), error.message, { headers: e.headers ?? {}, cause: error.cause });
  }
}

// Checked by the lazily loaded part, so the bundle's validator stays small.
const INDEX = { type: 'string', maxLength: 128, description: 'Search index name.' };

const searchResponse = {
  type: 'object',
  required: ['table', 'rows', 'next'],
  properties: {
    table: { type: 'string' },
    rows: { type: 'array', items: { type: 'object' } },
    totalCount: { type: 'integer' },
    aggregations: { type: 'object' },
    groupBys: { type: 'object' },
    scores: {
      type: 'array',
      items: { type: ['number', 'null'] },
      description: 'POST with a score sort: the relevance score of each row, in the order of rows.',
    },
    next: { type: ['string', 'null'] },
  },
};
const ERRORS = [400, 403, 404, 503, 504];

export const searchRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/tables/{table}/search',
    operationId: 'search',
    summary: 'Search a search index with the JSON query DSL (docs/search-api.md).',
    params: { table: TABLE_NAME },
    query: {},
    // The body is checked as it is encoded (search-service.ts), which names the bad part by JSON pointer.
    body: { type: 'object' },
    response: searchResponse,
    actions: ['ots:Search'],
    errors: ERRORS,
    handle: (req, deps) => lazy('search', req, deps),
  },
  {
    method: 'GET',
    path: '/tables/{table}/search',
    operationId: 'searchQuery',
    summary: 'Search with the `q` syntax: status:paid amount>=10 name~"foo bar" (docs/search-api.md).',
    params: { table: TABLE_NAME },
    query: {
      index: INDEX,
      q: { type: 'string', maxLength: 4096 },
      // Query values are strings (lib/fc/http-event.ts); limit and next are checked by the lazily loaded part.
      limit: { description: 'Page size, 1–100 (default 10).' },
      next: { description: NEXT.description },
      sort: {
        type: 'string',
        maxLength: 1024,
        description: 'Comma-separated field[:asc|desc]; _pk sorts by primary key.',
      },
      columns: {
        type: 'string',
        maxLength: 4096,
        description: 'all (default), none, allFromIndex or a comma-separated list.',
      },
      total: { type: 'boolean', description: 'Count every match (totalCount).' },
    },
    requiredQuery: ['index'],
    response: searchResponse,
    actions: ['ots:Search'],
    errors: ERRORS,
    handle: (req, deps) => lazy('searchQuery', req, deps),
  },
  {
    method: 'GET',
    path: '/tables/{table}/search-indexes',
    operationId: 'listSearchIndexes',
    summary: 'The search indexes of a table, with their schemas.',
    params: { table: TABLE_NAME },
    query: {},
    response: { type: 'object', required: ['table', 'indexes'] },
    actions: ['ots:ListSearchIndex', 'ots:DescribeSearchIndex'],
    errors: ERRORS,
    handle: (req, deps) => lazy('listSearchIndexes', req, deps),
  },
];
