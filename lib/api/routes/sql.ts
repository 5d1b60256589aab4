/**
 * `POST /sql`: one read-only SQL statement (docs/functions.md, "SQL"; wire: docs/protocol-sql.md). The gate
 * of lib/api/sql-guard.ts refuses anything but a single SELECT, SHOW TABLES, SHOW INDEX or DESCRIBE before
 * Tablestore is called, and yields every table the statement names, each of which must pass the allowlist.
 * SQLQuery has no paging: a SELECT is sent with its top-level LIMIT capped at `limit + 1`, so the scan stops
 * early and one extra row tells a cut answer (`truncated: true`) from a complete one.
 */
import { ApiError } from '../../fc/errors';
import { ErrorCode } from '../../tablestore/protocol/errors';
import type { SqlQueryResult } from '../../tablestore/wide';
import { otsCodeOf, toApiError } from '../error-mapping';
import { encodeValue, type JsonValue } from '../lossless';
import { requireVisible, visible, type Route, type RouteDeps } from '../route-kit';
import type { SqlKind } from '../sql-guard';

/** Longest statement accepted (characters). */
const MAX_SQL_LENGTH = 16_384;

type Guard = typeof import('../sql-guard');
let guard: Promise<Guard> | undefined;
/**
 * The gate, on first use: bundles carry it as a file beside index.js (scripts/build.ts, SIDE_MODULES). A CommonJS
 * file imported from CommonJS may show its exports under `default` only.
 */
const loadGuard = (): Promise<Guard> =>
  (guard ??= import('../sql-guard').then((m) => ('checkSql' in m ? m : (m as { default: Guard }).default)));

/** Rows one answer carries at most (the body's `limit` is at most this). */
export const SQL_MAX_ROWS = 10_000;
const SQL_DEFAULT_ROWS = 1_000;
/** An answer stops growing past this many bytes of rows (FC answers at most 16 MB), marked truncated. */
export const SQL_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** The RAM action each kind of statement is authorised as (docs/protocol-sql.md §2). */
const ACTION: Record<SqlKind, string> = {
  SELECT: 'ots:SQLSelect',
  'SHOW TABLES': 'ots:SQLShowTable',
  'SHOW INDEX': 'ots:SQLDescribeTable',
  DESCRIBE: 'ots:SQLDescribeTable',
};

export const sqlBody = {
  type: 'object',
  required: ['query'],
  additionalProperties: false,
  properties: {
    query: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_SQL_LENGTH,
      description:
        'One read-only statement: SELECT, SHOW TABLES, SHOW INDEX FROM t or DESCRIBE t (a trailing ";" is fine; no comments).',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: SQL_MAX_ROWS,
      default: SQL_DEFAULT_ROWS,
      description: `Rows to return at most, 1–${SQL_MAX_ROWS} (default ${SQL_DEFAULT_ROWS}); more rows set truncated.`,
    },
  },
} as const;

const sqlResponse = {
  type: 'object',
  required: ['statement', 'columns', 'rows', 'truncated'],
  properties: {
    statement: { enum: Object.keys(ACTION) },
    columns: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type'],
        properties: { name: { type: 'string' }, type: { enum: ['LONG', 'BOOLEAN', 'DOUBLE', 'STRING', 'BINARY'] } },
      },
    },
    rows: {
      type: 'array',
      description: 'One object per row, keyed by column name (alias repeated names); NULL is null.',
      items: {
        type: 'object',
        additionalProperties: { anyOf: [{ $ref: '#/components/schemas/Value' }, { type: 'null' }] },
      },
    },
    truncated: {
      type: 'boolean',
      description: 'True when the statement had more rows than limit (or than 6 MB of JSON): narrow it or raise limit.',
    },
    consumed: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          table: { type: 'string' },
          index: {
            type: 'string',
            description: 'Set when a search index was read: the index, read on behalf of table.',
          },
          read: { type: 'integer' },
        },
      },
    },
  },
} as const;

/** Tablestore's own words for a statement it refused: they name the column, the type, the syntax error. */
function mapSqlError(error: unknown, action: string, tables: readonly string[]): ApiError {
  const code = otsCodeOf(error);
  const message = (error as { message?: unknown } | null)?.message;
  if (code === ErrorCode.ParameterInvalid && typeof message === 'string')
    return new ApiError(
      400,
      'InvalidParameter',
      `body field 'query': Tablestore refused the statement: ${message.slice(0, 300)}`,
      { cause: error },
    );
  return toApiError(error, { action, ...(tables.length > 0 ? { table: tables.join("', '") } : {}) });
}

function answer(kind: SqlKind, result: SqlQueryResult, limit: number, keep: (row: JsonValue[]) => boolean): JsonValue {
  const names = result.columns.map((c) => c.name);
  const rows: JsonValue[] = [];
  let bytes = 0;
  let truncated = false;
  for (const row of result.rows) {
    const values = names.map((n) => encodeValue(row[n]));
    if (!keep(values)) continue;
    if (rows.length === limit) {
      truncated = true;
      break;
    }
    const out: Record<string, JsonValue> = {};
    names.forEach((n, i) => (out[n] = values[i]));
    bytes += JSON.stringify(out).length + 1;
    if (bytes > SQL_MAX_RESPONSE_BYTES) {
      truncated = true;
      break;
    }
    rows.push(out);
  }
  return {
    statement: kind,
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows,
    truncated,
    consumed: result.consumed.map((c) => ({
      table: c.table,
      ...(c.index === undefined ? {} : { index: c.index }),
      read: c.read,
    })),
  };
}

async function handleSql(body: Readonly<Record<string, unknown>>, deps: RouteDeps): Promise<JsonValue> {
  const limit = Number(body.limit ?? SQL_DEFAULT_ROWS);
  const checked = (await loadGuard()).checkSql(String(body.query), limit);
  if ('refused' in checked) throw new ApiError(400, 'InvalidParameter', checked.refused);
  const config = deps.config();
  for (const t of checked.tables) requireVisible(config, t);
  const { wide } = await deps.readers();
  const action = ACTION[checked.kind];
  let result: SqlQueryResult;
  try {
    result = await wide.sql(checked.statement);
  } catch (error) {
    throw mapSqlError(error, action, checked.tables);
  }
  // SHOW TABLES: the allowlist and the hidden "<name>#…" tables apply as on /tables; `t::meta` goes with t.
  const keep =
    checked.kind === 'SHOW TABLES'
      ? (row: JsonValue[]) =>
          typeof row[0] === 'string' && !row[0].includes('#') && visible(config, row[0].replace(/::meta$/, ''))
      : () => true;
  return answer(checked.kind, result, limit, keep);
}

export const sqlRoute: Route = {
  method: 'POST',
  path: '/sql',
  operationId: 'sqlQuery',
  summary:
    'One read-only SQL statement (SELECT, SHOW TABLES, SHOW INDEX, DESCRIBE) over the visible tables; typed, lossless rows.',
  params: {},
  query: {},
  body: sqlBody,
  response: sqlResponse,
  actions: Object.values(ACTION).filter((a, i, all) => all.indexOf(a) === i),
  errors: [400, 403, 404, 413, 415, 503, 504],
  handle: (req, deps) => handleSql(req.body ?? {}, deps),
};
