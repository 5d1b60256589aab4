/**
 * What every route module shares: the Route contract (lib/api/routes.ts holds the table), and the small
 * helpers routes use to enforce the table allowlist, map Tablestore failures, bind page tokens and shape rows.
 * Route modules (lib/api/routes/*.ts) import from here, never from routes.ts, so the table imports them
 * without a cycle.
 */
import { ApiError } from '../fc/errors';
import type { ApiConfig } from './config';
import { toApiError } from './error-mapping';
import { compileFilter, filterSchema } from './filter';
import { decodePkValue, encodeValue, parseJsonObjectParam, restorePk, type JsonValue, type PkBound } from './lossless';
import type { PageTokens, TokenBinding } from './page-token';
import type { ColumnFilter, PkColumn, PrimaryKeyBound, TablestoreReaders, WideRow, WideTableInfo } from './ports';
import type { Schema } from './schemas';

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  /** Validated and coerced query parameters. */
  readonly query: Readonly<Record<string, unknown>>;
  /** The validated JSON body of a route that declares `body` (POST); absent otherwise. */
  readonly body?: Readonly<Record<string, unknown>>;
  readonly requestId: string;
}

/** Resolved lazily so that routes that need no Tablestore (health, OpenAPI) work without configuration. */
export interface RouteDeps {
  config(): ApiConfig;
  readers(): Promise<TablestoreReaders>;
  tokens(): PageTokens;
  openapi(): unknown;
}

export interface Route {
  /** GET routes read path and query only; POST routes also take a JSON `body` (lib/api/router.ts). */
  readonly method: 'GET' | 'POST';
  /** OpenAPI-style template, e.g. /tables/{table}/rows */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly params: Readonly<Record<string, Schema>>;
  readonly query: Readonly<Record<string, Schema>>;
  readonly requiredQuery?: readonly string[];
  /**
   * JSON Schema of the request body (an object) of a POST route; validated with the parameters by the same
   * request validator, so it is compiled at build time too.
   */
  readonly body?: Schema;
  readonly response: Schema;
  /** RAM actions this route calls. */
  readonly actions: readonly string[];
  /** HTTP statuses the route documents besides 200. */
  readonly errors: readonly number[];
  handle(request: RouteRequest, deps: RouteDeps): Promise<JsonValue>;
}

/** Runs one Tablestore call and maps its failure with the action and table that failed. */
export async function call<T>(action: string, table: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toApiError(error, { action, ...(table === undefined ? {} : { table }) });
  }
}

export function visible(config: ApiConfig, table: string): boolean {
  return config.tables === undefined || config.tables.has(table);
}

export function requireVisible(config: ApiConfig, table: string): void {
  if (!visible(config, table)) throw new ApiError(404, 'TableNotFound', `Table '${table}' does not exist.`);
}

/** The table named in the path, once it is known to be visible, and this invocation's readers. */
export async function openTable(
  req: RouteRequest,
  deps: RouteDeps,
): Promise<{ table: string; readers: TablestoreReaders }> {
  const table = req.params.table;
  requireVisible(deps.config(), table);
  return { table, readers: await deps.readers() };
}

export const str = (q: RouteRequest['query'], k: string): string | undefined =>
  typeof q[k] === 'string' ? q[k] : undefined;

export function binding(route: string, table: string, q: RouteRequest['query']): TokenBinding {
  const flat: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) flat[k] = String(v);
  return { route, table, query: flat };
}

export function rowJson(row: WideRow): JsonValue {
  const primaryKey: Record<string, JsonValue> = {};
  for (const [name, value] of row.primaryKey) primaryKey[name] = encodeValue(value);
  const columns: Record<string, JsonValue> = {};
  for (const c of row.columns) if (!Object.hasOwn(columns, c.name)) columns[c.name] = encodeValue(c.value);
  return { primaryKey, columns };
}

/**
 * Builds a range bound from `start`/`end` JSON. The given columns must be a prefix of the primary key; the
 * rest take `fill` (forward: INF_MIN, backward: INF_MAX) so that a prefix bound sits at the first row of that
 * prefix in scan order, for start (inclusive) and end (exclusive) alike. After an explicit INF_MIN/INF_MAX the
 * remaining columns repeat it. An absent bound covers the whole table.
 */
export function rangeBound(
  schema: readonly PkColumn[],
  name: 'start' | 'end',
  raw: string | undefined,
  fill: 'INF_MIN' | 'INF_MAX',
  whole: 'INF_MIN' | 'INF_MAX',
): PrimaryKeyBound {
  if (raw === undefined) return schema.map((col): [string, PkBound] => [col.name, whole]);
  const given = parseJsonObjectParam(name, raw);
  for (const key of Object.keys(given)) {
    if (!schema.some((c) => c.name === key))
      throw new ApiError(400, 'InvalidParameter', `query parameter '${name}': '${key}' is not a primary-key column`);
  }
  let open: 'INF_MIN' | 'INF_MAX' | undefined;
  let missing: string | undefined;
  return schema.map((col): [string, PkBound] => {
    const present = Object.hasOwn(given, col.name);
    if (open !== undefined) return [col.name, open];
    if (!present) {
      missing ??= col.name;
      return [col.name, fill];
    }
    if (missing !== undefined) {
      throw new ApiError(
        400,
        'InvalidParameter',
        `query parameter '${name}' gives '${col.name}' but not the earlier primary-key column '${missing}'`,
      );
    }
    const v = decodePkValue(given[col.name], col.type, `query parameter '${name}' column '${col.name}'`, true);
    if (v === 'INF_MIN' || v === 'INF_MAX') open = v;
    return [col.name, v];
  });
}

/** What /rows and /indexes/{index}/rows read: parsed once, the same way, from the same query parameters. */
export interface RangeRequest {
  readonly direction: 'forward' | 'backward';
  readonly start: PrimaryKeyBound;
  readonly end: PrimaryKeyBound;
  readonly limit: number;
  readonly filter: ColumnFilter | undefined;
}

/**
 * The range parameters of a table (or an index table, `info`): direction, bounds in its key, limit and filter
 * typed by its columns; a `next` token (bound to `bind`) resumes the start where the previous page ended.
 */
export function rangeRequest(
  info: WideTableInfo,
  q: RouteRequest['query'],
  deps: RouteDeps,
  bind: TokenBinding,
): RangeRequest {
  const direction = q.direction === 'backward' ? 'backward' : 'forward';
  const [lo, hi] = direction === 'forward' ? (['INF_MIN', 'INF_MAX'] as const) : (['INF_MAX', 'INF_MIN'] as const);
  let start = rangeBound(info.primaryKey, 'start', str(q, 'start'), lo, lo);
  const end = rangeBound(info.primaryKey, 'end', str(q, 'end'), lo, hi);
  const next = str(q, 'next');
  if (next !== undefined) start = restorePk(deps.tokens().open(next, bind), info.primaryKey);
  const filterRaw = str(q, 'filter');
  const filter = filterRaw === undefined ? undefined : compileFilter(filterRaw, filterSchema(info));
  return { direction, start, end, limit: Number(q.limit), filter };
}

/** A row with only the asked columns (the others were read for a filter), or the row as read. */
export function askedColumns(row: WideRow, asked: ReadonlySet<string> | undefined): WideRow {
  return asked ? { ...row, columns: row.columns.filter((c) => asked.has(c.name)) } : row;
}
