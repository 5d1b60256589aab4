/**
 * The search routes' work (lib/api/routes/search.ts): the JSON query DSL and the `q` syntax turned into
 * SearchClient requests, and the results written as lossless JSON. Loaded on the first search request only:
 * in the function bundles it is a separate file beside index.js (scripts/build.ts, SIDE_MODULES), so the
 * search encoders stay out of every other request's cold start.
 *
 * Bad input is a 400 naming its part: a JSON pointer into the body (`/query/term/value`, from the
 * encoders' SearchInputError) or the query parameter. In a bundle this part has its own copy of ApiError;
 * search-routes.ts re-makes its errors as the router's.
 */
import type { CallOptions, Transport } from '../../tablestore/transport/index';
import type { Row } from '../../tablestore/wide';
import type { AggregationResult, GroupByResult } from '../../tablestore/search/aggregations';
import { SearchClient, type SearchResult } from '../../tablestore/search/client';
import { isSearchInputError, SearchInputError } from '../../tablestore/search/input-error';
import { type EncodeContext, type Query, type QueryValue, type Sort } from '../../tablestore/search/query';
import type { SearchField } from '../../tablestore/search/schema';
import { ApiError } from '../../fc/errors';
import { otsCodeOf, toApiError } from '../error-mapping';
import { encodeValue, type JsonValue } from '../lossless';
import type { TokenBinding } from '../page-token';
import { requireVisible, type RouteDeps, type RouteRequest } from '../route-kit';

/** What the routes hand over: the shared transport and this call's deadline/cancellation. */
export interface SearchCall {
  readonly transport: Transport;
  readonly options: Pick<CallOptions, 'deadlineMs' | 'signal'>;
}

const clients = new WeakMap<Transport, SearchClient>();
const clientOf = (transport: Transport): SearchClient => {
  let c = clients.get(transport);
  if (!c) {
    c = new SearchClient({ transport });
    clients.set(transport, c);
  }
  return c;
};

const fail = (pointer: string, message: string): never => {
  throw new SearchInputError(pointer, message);
};

// ---------------------------------------------------------------------------------- lossless values

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** DSL values: JSON numbers, strings, booleans, or {"$int64": "<decimal>"} (docs/search-api.md). */
const readLossless = (raw: unknown, pointer: string): QueryValue => {
  if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail(pointer, 'must be a finite number');
    if (Number.isInteger(raw) && !Number.isSafeInteger(raw))
      return fail(pointer, 'is not a safe integer; send {"$int64": "<decimal>"}');
    return raw;
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$int64 === 'string') {
      if (!/^-?\d{1,19}$/.test(o.$int64)) return fail(`${pointer}/$int64`, 'must be a decimal integer');
      const v = BigInt(o.$int64);
      if (v < INT64_MIN || v > INT64_MAX) return fail(`${pointer}/$int64`, 'is outside the int64 range');
      return v;
    }
  }
  return fail(pointer, 'must be a string, number, boolean or {"$int64": "<decimal>"}');
};

const LOSSLESS: EncodeContext = { value: readLossless };

// ------------------------------------------------------------------------------------------- results

function rowJson(row: Row): JsonValue {
  const primaryKey: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row.primaryKey)) primaryKey[k] = encodeValue(v);
  const columns: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row.columns)) columns[k] = encodeValue(v);
  return { primaryKey, columns };
}

function aggregationsJson(aggs: Readonly<Record<string, AggregationResult>>): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [name, a] of Object.entries(aggs)) {
    switch (a.kind) {
      case 'topRows':
        out[name] = { rows: a.rows.map(rowJson) };
        break;
      case 'percentiles':
        out[name] = {
          percentiles: a.percentiles.map((p) => ({
            percentile: p.percentile,
            value: p.value === null ? null : encodeValue(p.value),
          })),
        };
        break;
      default:
        out[name] = { value: a.value === null ? null : encodeValue(a.value) };
    }
  }
  return out;
}

function groupBysJson(groups: Readonly<Record<string, GroupByResult>>): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [name, g] of Object.entries(groups)) {
    out[name] = {
      items: (g.items as unknown as ReadonlyArray<Record<string, unknown>>).map((item) => {
        const o: Record<string, JsonValue> = {};
        for (const [k, v] of Object.entries(item)) {
          if (k === 'aggregations') {
            if (Object.keys(v as object).length > 0)
              o.aggregations = aggregationsJson(v as Record<string, AggregationResult>);
          } else if (k === 'groupBys') {
            if (Object.keys(v as object).length > 0) o.groupBys = groupBysJson(v as Record<string, GroupByResult>);
          } else o[k] = encodeValue(v);
        }
        return o;
      }),
    };
  }
  return out;
}

export interface SearchPage {
  readonly rows: JsonValue[];
  readonly totalCount?: number;
  /** The search's own next token (base64), for the route to wrap in an API page token. */
  readonly nextToken?: string;
  readonly aggregations: JsonValue;
  readonly groupBys: JsonValue;
  /** Each row's relevance score (null for none), when the request sorts by score and the hits came back. */
  readonly scores?: (number | null)[];
}

function page(r: SearchResult, scored = false): SearchPage {
  return {
    rows: r.rows.map(rowJson),
    ...(scored && r.scores ? { scores: r.scores.map((s) => (Number.isFinite(s) ? s : null)) } : {}),
    ...(r.totalCount === undefined ? {} : { totalCount: r.totalCount }),
    ...(r.nextToken ? { nextToken: Buffer.from(r.nextToken).toString('base64') } : {}),
    aggregations: aggregationsJson(r.aggregations),
    groupBys: groupBysJson(r.groupBys),
  };
}

// ---------------------------------------------------------------------------------------------- DSL

/** Keys of the POST body besides the SearchRequest ones (read by the route module). */
const ROUTE_KEYS = new Set(['index', 'next']);

/**
 * Runs the POST body's search (`index` and `next` already taken out by the route; `token` is the search's
 * own next token from the API token). The body's other keys are the SearchRequest, checked as encoded.
 */
export async function searchDsl(
  call: SearchCall,
  table: string,
  index: string,
  body: Readonly<Record<string, unknown>>,
  token: string | undefined,
): Promise<SearchPage> {
  const request: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!ROUTE_KEYS.has(k)) request[k] = v;
  if (request.nextToken !== undefined) fail('/nextToken', "is not allowed here (send the API's 'next')");
  if (request.routingValues !== undefined) fail('/routingValues', 'is not allowed here');
  if (request.timeoutMs !== undefined) fail('/timeoutMs', 'is not allowed here');
  if (request.limit === undefined) request.limit = 10;
  // Read before a token page drops the sort: the API token is bound to the body, so later pages keep it.
  const scored =
    Array.isArray(request.sort) && request.sort.some((x) => typeof x === 'object' && x !== null && 'score' in x);
  if (token !== undefined) {
    // The token carries the sort and the position; the rest of the body is the first page's (the API token
    // is bound to it).
    delete request.sort;
    delete request.offset;
    request.nextToken = new Uint8Array(Buffer.from(token, 'base64'));
  }
  return page(await clientOf(call.transport).searchWith(table, index, request, LOSSLESS, call.options), scored);
}

// ----------------------------------------------------------------------------------------- q syntax

const TERM_RE = /^(-?)([A-Za-z_][A-Za-z0-9_.]*)(:|>=|<=|>|<|~)(.*)$/s;

/** Splits `q` on whitespace outside double quotes. */
function splitTerms(q: string): string[] {
  const terms: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === '\\' && quoted && i + 1 < q.length) {
      cur += c + q[++i];
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (/\s/.test(c) && !quoted) {
      if (cur) terms.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) fail('q', 'has an unterminated quote');
  if (cur) terms.push(cur);
  return terms;
}

function unquote(text: string, where: string): { text: string; quoted: boolean } {
  if (!text.startsWith('"')) {
    if (text.includes('"')) fail('q', `${where}: a quote may only enclose the whole value`);
    return { text, quoted: false };
  }
  if (text.length < 2 || !text.endsWith('"')) fail('q', `${where}: a quote may only enclose the whole value`);
  const inner = text.slice(1, -1);
  if (/(^|[^\\])"/.test(inner)) fail('q', `${where}: escape quotes inside a quoted value as \\"`);
  return { text: inner.replace(/\\(.)/gs, '$1'), quoted: true };
}

/** A bare value: a JSON-style number or true/false, else text. Quoted values are always text. */
function scalar(text: string, quoted: boolean): QueryValue {
  if (quoted) return text;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text);
    if (Number.isInteger(n) && !Number.isSafeInteger(n)) {
      if (!/^-?\d+$/.test(text)) return n;
      const v = BigInt(text);
      if (v < INT64_MIN || v > INT64_MAX) fail('q', `'${text.slice(0, 40)}' is outside the int64 range`);
      return v;
    }
    return n;
  }
  return text;
}

/**
 * `q` (docs/search-api.md): whitespace-separated terms, all of which must hold; `field:value` term,
 * `field:*` exists, `field:pre*` / `field:a?c` wildcard, `field>=v` (also > < <=) range, `field~text` match,
 * a leading `-` negates. An empty `q` matches every row.
 */
export function parseQueryString(q: string): Query {
  const terms = splitTerms(q);
  if (terms.length > 64) fail('q', 'has more than 64 terms');
  const must: Query[] = [];
  const mustNot: Query[] = [];
  terms.forEach((term, i) => {
    const where = `term ${i + 1} ('${term.slice(0, 60)}')`;
    const m = TERM_RE.exec(term);
    if (!m)
      return fail('q', `${where}: expected field:value, field>=value, field~text (field names start with a letter)`);
    const [, neg, field, op, rawValue] = m;
    if (rawValue === '') fail('q', `${where}: the value is missing`);
    const { text, quoted } = unquote(rawValue, where);
    let query: Query;
    if (op === '~') query = { match: { field, text } };
    else if (op === ':') {
      if (!quoted && text === '*') query = { exists: { field } };
      else if (!quoted && /[*?]/.test(text)) query = { wildcard: { field, value: text } };
      else query = { term: { field, value: scalar(text, quoted) } };
    } else {
      const bound = op === '>' ? 'gt' : op === '>=' ? 'gte' : op === '<' ? 'lt' : 'lte';
      query = { range: { field, [bound]: scalar(text, quoted) } };
    }
    (neg ? mustNot : must).push(query);
  });
  if (must.length + mustNot.length === 0) return { matchAll: {} };
  if (must.length === 1 && mustNot.length === 0) return must[0];
  return { bool: { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { mustNot } : {}) } };
}

/** `sort` of the GET route: `field[:asc|desc]` comma-separated; `_pk` is the primary key. */
function parseSort(text: string): Sort[] {
  return text.split(',').map((part, i) => {
    const [field, order = 'asc', ...rest] = part.trim().split(':');
    if (!field || rest.length > 0 || (order !== 'asc' && order !== 'desc'))
      return fail('sort', `entry ${i + 1} ('${part.slice(0, 60)}'): expected field, field:asc or field:desc`);
    return field === '_pk' ? { primaryKey: order } : { field, order };
  });
}

export interface QueryStringParams {
  readonly q?: string;
  readonly limit: number;
  readonly columns?: string;
  readonly sort?: string;
  readonly total?: boolean;
}

/** The GET route's search: `q`, `sort`, `columns` as documented; `token` as in searchDsl. */
export async function searchQueryString(
  call: SearchCall,
  table: string,
  index: string,
  p: QueryStringParams,
  token: string | undefined,
): Promise<SearchPage> {
  let columns: unknown = 'all';
  if (p.columns !== undefined) {
    columns =
      p.columns === 'all' || p.columns === 'none' || p.columns === 'allFromIndex'
        ? p.columns
        : p.columns.split(',').map((c) => c.trim());
  }
  const request = {
    query: parseQueryString(p.q ?? ''),
    limit: p.limit,
    columns,
    ...(p.sort !== undefined && token === undefined ? { sort: parseSort(p.sort) } : {}),
    ...(p.total ? { trackTotalCount: true } : {}),
    ...(token === undefined ? {} : { nextToken: new Uint8Array(Buffer.from(token, 'base64')) }),
  };
  try {
    return page(await clientOf(call.transport).searchWith(table, index, request, LOSSLESS, call.options));
  } catch (err) {
    // The request was built here from the parameters: name the parameter rather than a pointer into it.
    if (err instanceof SearchInputError) {
      const param = err.pointer.startsWith('/columns') ? 'columns' : err.pointer.startsWith('/sort') ? 'sort' : 'q';
      throw new SearchInputError(param, `${err.pointer.slice(1)} ${err.detail}`);
    }
    throw err;
  }
}

// ------------------------------------------------------------------------------------------ indexes

function fieldJson(f: SearchField): JsonValue {
  return {
    name: f.name,
    type: f.type,
    ...(f.array ? { array: true } : {}),
    ...(f.index === false ? { index: false } : {}),
    ...(f.sortAndAgg !== undefined ? { sortAndAgg: f.sortAndAgg } : {}),
    ...(f.analyzer ? { analyzer: { ...f.analyzer } } : {}),
    ...(f.dateFormats ? { dateFormats: [...f.dateFormats] } : {}),
    ...(f.fields ? { fields: f.fields.map(fieldJson) } : {}),
  };
}

function sortJson(s: Sort): JsonValue {
  if ('field' in s)
    return { ...s, ...(s.missing === undefined ? {} : { missing: encodeValue(s.missing) }) } as JsonValue;
  return s as unknown as JsonValue;
}

/** The table's search indexes with their schemas (ListSearchIndex, then DescribeSearchIndex for each). */
async function listIndexes(call: SearchCall, table: string): Promise<JsonValue> {
  const client = clientOf(call.transport);
  let indexes;
  try {
    indexes = await client.listSearchIndex(table, call.options);
  } catch (error) {
    throw searchError(error, table, 'query', 'ots:ListSearchIndex');
  }
  const described = await Promise.all(
    indexes.map(async (i) => {
      let d;
      try {
        d = await client.describeSearchIndex(table, i.index, call.options);
      } catch (error) {
        throw searchError(error, table, 'query', 'ots:DescribeSearchIndex');
      }
      return {
        index: i.index,
        fields: d.schema.fields.map(fieldJson),
        ...(d.schema.indexSort ? { indexSort: d.schema.indexSort.map(sortJson) } : {}),
        ...(d.timeToLive === undefined ? {} : { timeToLive: d.timeToLive }),
        ...(d.status ? { status: d.status } : {}),
        ...(d.createTime === undefined ? {} : { createTime: d.createTime * 1000 }),
      };
    }),
  );
  return { table, indexes: described.sort((a, b) => (a.index < b.index ? -1 : 1)) };
}

// ------------------------------------------------------------------------------------------- routes

/** Search failures as the API answers them: bad input names its part, unknown table or index is a 404. */
function searchError(error: unknown, table: string, where: 'body' | 'query', action: string): ApiError {
  if (isSearchInputError(error)) {
    const part =
      where === 'body'
        ? `request body '${error.pointer || '/'}'`
        : `query parameter '${error.pointer}'${error.pointer === 'q' ? ':' : ''}`;
    return new ApiError(400, 'InvalidParameter', `${part} ${error.detail}`.slice(0, 500));
  }
  const ots = otsCodeOf(error);
  if (ots === 'OTSObjectNotExist')
    return new ApiError(404, 'NotFound', `Table '${table}' or its search index does not exist.`, { cause: error });
  if (ots === 'OTSParameterInvalid') {
    const m = String((error as { message?: unknown }).message).replace(/^Search: /, '');
    return new ApiError(400, 'InvalidParameter', `Tablestore rejected the search: ${m.slice(0, 300)}`, {
      cause: error,
    });
  }
  return toApiError(error, { action, table });
}

async function access(req: RouteRequest, deps: RouteDeps): Promise<{ table: string; call: SearchCall }> {
  const table = req.params.table;
  requireVisible(deps.config(), table);
  const { search } = await deps.readers();
  if (!search) throw new ApiError(501, 'NotImplemented', 'Search is not available here.');
  return { table, call: { transport: search.transport, options: search.options() } };
}

/** Object keys sorted at every level, so a token is bound to the body's content, not its key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

async function searchRoute(
  req: RouteRequest,
  deps: RouteDeps,
  where: 'body' | 'query',
  next: unknown,
  binding: (table: string) => TokenBinding,
  search: (call: SearchCall, table: string, token: string | undefined) => Promise<SearchPage>,
): Promise<JsonValue> {
  const { table, call } = await access(req, deps);
  const bound = binding(table);
  const part = where === 'body' ? "request body '/next'" : "query parameter 'next'";
  let token: string | undefined;
  if (next !== undefined) {
    if (typeof next !== 'string') throw new ApiError(400, 'InvalidToken', `${part} must be a string`);
    const position = deps.tokens().open(next, bound);
    if (typeof position !== 'string')
      throw new ApiError(400, 'InvalidToken', `${part} is not a token issued by this API`);
    token = position;
  }
  let result: SearchPage;
  try {
    result = await search(call, table, token);
  } catch (error) {
    throw searchError(error, table, where, 'ots:Search');
  }
  return {
    table,
    rows: result.rows,
    ...(result.totalCount === undefined ? {} : { totalCount: result.totalCount }),
    ...(Object.keys(result.aggregations as object).length > 0 ? { aggregations: result.aggregations } : {}),
    ...(Object.keys(result.groupBys as object).length > 0 ? { groupBys: result.groupBys } : {}),
    ...(result.scores ? { scores: result.scores } : {}),
    next: result.nextToken === undefined ? null : deps.tokens().issue(bound, result.nextToken),
  };
}

/**
 * The handlers of lib/api/routes/search.ts, reached through its dynamic import.
 * @public
 */
export const handlers = {
  search(req: RouteRequest, deps: RouteDeps): Promise<JsonValue> {
    const body = req.body ?? {};
    if (typeof body.index !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(body.index))
      throw new ApiError(
        400,
        'InvalidParameter',
        `request body '/index' ${body.index === undefined ? 'is required' : 'must be a search index name'}`,
      );
    const index = body.index;
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (k !== 'index' && k !== 'next' && k !== 'limit') rest[k] = v;
    return searchRoute(
      req,
      deps,
      'body',
      body.next,
      (table) => ({ route: 'search', table, query: { index, body: canonical(rest) } }),
      (call, table, token) => searchDsl(call, table, index, body, token),
    );
  },
  searchQuery(req: RouteRequest, deps: RouteDeps): Promise<JsonValue> {
    const q = req.query as {
      index: string;
      q?: string;
      limit?: string;
      next?: string;
      sort?: string;
      columns?: string;
      total?: boolean;
    };
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(q.index))
      throw new ApiError(400, 'InvalidParameter', "query parameter 'index' must be a search index name");
    const limit = q.limit === undefined || q.limit === '' ? 10 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !/^\d+$/.test(q.limit ?? '10'))
      throw new ApiError(400, 'InvalidParameter', "query parameter 'limit' must be an integer from 1 to 100");
    const params = {
      limit,
      ...(q.q === undefined ? {} : { q: q.q }),
      ...(q.sort === undefined ? {} : { sort: q.sort }),
      ...(q.columns === undefined ? {} : { columns: q.columns }),
      ...(q.total === true ? { total: true } : {}),
    };
    return searchRoute(
      req,
      deps,
      'query',
      q.next,
      (table) => ({ route: 'searchQuery', table, query: { index: q.index, q: q.q, sort: q.sort, columns: q.columns } }),
      (call, table, token) => searchQueryString(call, table, q.index, params, token),
    );
  },
  async listSearchIndexes(req: RouteRequest, deps: RouteDeps): Promise<JsonValue> {
    const { table, call } = await access(req, deps);
    return listIndexes(call, table);
  },
};
