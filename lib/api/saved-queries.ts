/**
 * Saved queries of the scheduled audit: each names a query route of the HTTP API and its parameters, and the
 * audit runs it through the same router (same validation, same results) page by page, logging what it
 * returns as metrics — one `saved-query-point` line per point or bucket of a time series query, and a
 * `saved-query` line per query with the counts (rows matched by a filtered range, points, series). It stops
 * with the audit's deadline rule: no new page once the reserve is reached, and a call cut off by the
 * deadline ends the run as partial.
 *
 * Kinds: GET routes (filtered ranges, time series points/aggregates, latest points); `sql` (route /sql
 * with `sql: {query, limit?}`: one POST /sql, each result row logged as a `saved-query-row` line); and
 * `search` (a `body` holding the JSON query DSL of POST /tables/{t}/search; its `totalCount`, aggregation
 * values and group-by buckets are logged as metrics).
 */
import type { Logger } from '../fc/logger';
import { ApiError } from '../fc/errors';
import { toApiError } from './error-mapping';
import type { HttpRequest } from '../fc/types';
import type { ApiConfig } from './config';
import type { JsonValue } from './lossless';
import { createPageTokens } from './page-token';
import type { TablestoreReaders } from './ports';
import { createRouter } from './router';
import { routes, type RouteDeps } from './routes';

export interface SavedQuery {
  /** Names the query in the logs and the summary. */
  readonly name: string;
  /** An HTTP API query route, e.g. /tables/orders/rows or /timeseries/metrics/points. */
  readonly route: string;
  /** Its query parameters, exactly as in a URL (the filter as JSON text, etc.). */
  readonly query?: Readonly<Record<string, string>>;
  /** Time series routes: `start` = this many minutes before the run. */
  readonly lastMinutes?: number;
  /** Pages to follow at most (default 10). */
  readonly maxPages?: number;
  /** Kind `sql` (route /sql): the statement, checked as POST /sql checks it; each result row is logged. */
  readonly sql?: { readonly query: string; readonly limit?: number };
  /** Kind `search`: the JSON query DSL (docs/search-api.md) POSTed to a /tables/{t}/search route. */
  readonly body?: Readonly<Record<string, unknown>>;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]{0,254}';
export const SAVED_QUERY_SCHEMA = {
  type: 'object',
  required: ['name', 'route'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    route: { type: 'string', pattern: `^/(tables/${NAME}/(rows|search)|timeseries/${NAME}/(points|latest)|sql)$` },
    query: { type: 'object', additionalProperties: { type: 'string', maxLength: 8192 }, maxProperties: 32 },
    lastMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 5256000 },
    maxPages: { type: 'integer', minimum: 1, maximum: 1000 },
    sql: {
      type: 'object',
      required: ['query'],
      properties: { query: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    },
    body: { type: 'object', maxProperties: 32 },
  },
  // Kind sql: route /sql with a statement, and only then.
  if: { properties: { route: { const: '/sql' } } },
  then: { properties: { sql: true }, required: ['sql'] },
  else: { not: { properties: { sql: true }, required: ['sql'] } },
  additionalProperties: false,
} as const;

export interface SavedQueryResult {
  readonly name: string;
  readonly route: string;
  readonly pages: number;
  /** Rows returned (filtered ranges, searches). */
  readonly rows?: number;
  /** Rows the search matched (a search body with `trackTotalCount`). */
  readonly totalCount?: number;
  /** Points or buckets returned (time series routes). */
  readonly points?: number;
  /** Distinct series seen (time series routes). */
  readonly series?: number;
  /** False when maxPages, the deadline or an error stopped it before the last page. */
  readonly complete: boolean;
  readonly error?: { readonly status: number; readonly code: string; readonly message: string };
}

export interface SavedQueryOptions {
  readonly config: ApiConfig;
  readonly readers: TablestoreReaders;
  readonly log: Logger;
  /** False once the audit must stop (its reserve is reached). */
  readonly timeLeft: () => boolean;
  readonly now: () => number;
}

const router = createRouter(routes);

type Obj = Record<string, JsonValue>;
const isObj = (v: JsonValue | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs one saved query; `deadline` is set when a call was cut off by the function deadline. */
export async function runSavedQuery(
  q: SavedQuery,
  options: SavedQueryOptions,
): Promise<{ result: SavedQueryResult; deadline: boolean }> {
  const { log } = options;
  const deps: RouteDeps = {
    config: () => options.config,
    readers: async () => options.readers,
    tokens: () => createPageTokens(options.config.tokenKey),
    openapi: () => ({}),
  };
  const query: Record<string, string> = { ...(q.query ?? {}) };
  if (q.lastMinutes !== undefined)
    query.start = String(Math.max(0, Math.round((options.now() - q.lastMinutes * 60_000) * 1000)));
  let pages = 0;
  let rows = 0;
  let points = 0;
  const series = new Set<string>();
  let next: string | undefined;
  let complete = false;
  let error: SavedQueryResult['error'];
  const seriesLine = (s: Obj) => ({ measurement: s.measurement, source: s.source, tags: s.tags });
  const point = (s: Obj | undefined, p: JsonValue) => {
    points += 1;
    if (s) series.add(JSON.stringify(seriesLine(s)));
    log.info(
      { event: 'saved-query-point', query: q.name, ...(s ? seriesLine(s) : {}), ...(isObj(p) ? p : {}) },
      'saved query point',
    );
  };
  let totalCount: number | undefined;
  try {
    // Kind sql: one POST /sql through the same router (read-only gate, allowlist on every table); no pages.
    if (q.sql !== undefined) {
      if (!options.timeLeft()) throw new ApiError(504, 'DeadlineExceeded', 'No time left for this saved query.');
      const body = await router.dispatch(
        {
          method: 'POST',
          path: '/sql',
          headers: { 'content-type': 'application/json' },
          query: {},
          body: Buffer.from(JSON.stringify(q.sql)),
          requestId: `saved-query-${q.name}`,
        },
        deps,
      );
      pages = 1;
      if (isObj(body) && Array.isArray(body.rows)) {
        for (const row of body.rows)
          log.info({ event: 'saved-query-row', query: q.name, ...(isObj(row) ? row : {}) }, 'saved query row');
        rows = body.rows.length;
        complete = body.truncated !== true;
      }
    }
    while (q.sql === undefined && pages < (q.maxPages ?? 10) && options.timeLeft()) {
      const request: HttpRequest = {
        method: 'GET',
        path: q.route,
        headers: {},
        query: { ...query, ...(next === undefined ? {} : { next }) },
        body: Buffer.alloc(0),
        requestId: `saved-query-${q.name}`,
        ...(q.body === undefined ? {} : searchRequest(q.body, next)),
      };
      const body = await router.dispatch(request, deps);
      pages += 1;
      if (!isObj(body)) break;
      if (q.body !== undefined && pages === 1) {
        if (typeof body.totalCount === 'number') totalCount = body.totalCount;
        searchMetrics(q.name, body, log);
      }
      if (Array.isArray(body.rows)) rows += body.rows.length;
      if (Array.isArray(body.points))
        for (const p of body.points) point(isObj(body.series) ? body.series : undefined, p);
      if (Array.isArray(body.series)) {
        for (const s of body.series) {
          if (!isObj(s)) continue;
          if (Array.isArray(s.points)) for (const p of s.points) point(s, p);
          else if (isObj(s.point)) point(s, s.point);
          else series.add(JSON.stringify(seriesLine(s)));
        }
      }
      if (typeof body.next !== 'string') {
        complete = true;
        break;
      }
      next = body.next;
    }
  } catch (e) {
    const mapped = toApiError(e);
    error = { status: mapped.status, code: mapped.code, message: mapped.message };
  }
  const isRows = q.route.endsWith('/rows') || q.sql !== undefined || q.body !== undefined;
  const result: SavedQueryResult = {
    name: q.name,
    route: q.route,
    pages,
    ...(isRows ? { rows } : { points, series: series.size }),
    ...(totalCount === undefined ? {} : { totalCount }),
    complete,
    ...(error ? { error } : {}),
  };
  log.info({ event: 'saved-query', ...result }, 'saved query');
  return { result, deadline: error?.status === 504 };
}

// ------------------------------------------------------------------------------------------ kind search

/** The POST of a search saved query: its body, plus the page token of the previous page. */
function searchRequest(body: Readonly<Record<string, unknown>>, next: string | undefined): Partial<HttpRequest> {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    query: {},
    body: Buffer.from(JSON.stringify({ ...body, ...(next === undefined ? {} : { next }) }), 'utf8'),
  };
}

/**
 * One `saved-query-aggregation` line per aggregation value (percentiles: one per percentile) and one
 * `saved-query-bucket` line per group-by bucket (top level), from the first page (every page repeats them).
 */
function searchMetrics(query: string, body: Obj, log: Logger): void {
  const aggs = isObj(body.aggregations) ? body.aggregations : {};
  for (const [aggregation, a] of Object.entries(aggs)) {
    if (!isObj(a)) continue;
    if (Array.isArray(a.percentiles))
      for (const p of a.percentiles)
        if (isObj(p))
          log.info(
            { event: 'saved-query-aggregation', query, aggregation, percentile: p.percentile, value: p.value },
            'saved query aggregation',
          );
    if ('value' in a)
      log.info({ event: 'saved-query-aggregation', query, aggregation, value: a.value }, 'saved query aggregation');
    if (Array.isArray(a.rows))
      log.info(
        { event: 'saved-query-aggregation', query, aggregation, rows: a.rows.length },
        'saved query aggregation',
      );
  }
  const groups = isObj(body.groupBys) ? body.groupBys : {};
  for (const [groupBy, g] of Object.entries(groups)) {
    if (!isObj(g) || !Array.isArray(g.items)) continue;
    for (const item of g.items) {
      if (!isObj(item)) continue;
      const { aggregations, groupBys: _nested, ...bucket } = item;
      const values: Obj = {};
      if (isObj(aggregations))
        for (const [name, a] of Object.entries(aggregations)) if (isObj(a) && 'value' in a) values[name] = a.value;
      log.info({ event: 'saved-query-bucket', query, groupBy, ...bucket, ...values }, 'saved query bucket');
    }
  }
}
