/**
 * The route table: the public contract of the HTTP data API. Each route lists the RAM actions it needs
 * (policies/tablestore-fc-read.json is written by hand; the least-privilege tests check that it grants exactly
 * these), its parameter schemas and its response schema (both published in /openapi.json) and a plain
 * handler of a typed request.
 */
import { ApiError, notFound } from '../fc/errors';
import { filterColumns, needsAllVersions } from './filter';
import { decodePkValue, encodeValue, parseJsonObjectParam, snapshotPk, type JsonValue } from './lossless';
import { parseNameList, parseTags, parseTimeParam } from './params';
import type { MetaQuery, PkColumn, Point, PrimaryKey, WideTableInfo, TimeseriesTableInfo, SeriesKey } from './ports';
import { TABLE_NAME, query, queryResponses, responses } from './schemas';
import { parseAgg, parseInterval } from './aggregate';
import { isPosition, readPoints, type PointsPlan } from './series-query';
import { searchRoutes } from './routes/search';
import { sqlRoute } from './routes/sql';
import { indexesRoute, indexRowsRoute } from './routes/indexes';
import {
  askedColumns,
  binding,
  call,
  openTable,
  rangeRequest,
  rowJson,
  str,
  visible,
  type Route,
  type RouteDeps,
  type RouteRequest,
} from './route-kit';
import type { TokenBinding } from './page-token';
import { setOwn } from '../tablestore/set-own';

export type { Route, RouteDeps } from './route-kit';

function tableJson(info: WideTableInfo): JsonValue {
  const options: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(info.options)) if (v !== undefined) options[k] = v;
  return {
    table: info.name,
    primaryKey: info.primaryKey.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.autoIncrement ? { autoIncrement: true } : {}),
    })),
    definedColumns: info.definedColumns.map((c) => ({ name: c.name, type: c.type })),
    options,
    ...(info.reservedThroughput ? { reservedThroughput: { ...info.reservedThroughput } } : {}),
  };
}

function tsTableJson(info: TimeseriesTableInfo): JsonValue {
  const out: Record<string, JsonValue> = { table: info.name };
  if (info.timeToLive !== undefined) out.timeToLive = info.timeToLive;
  if (info.metaTimeToLive !== undefined) out.metaTimeToLive = info.metaTimeToLive;
  if (info.allowUpdateAttributes !== undefined) out.allowUpdateAttributes = info.allowUpdateAttributes;
  if (info.timeseriesKeys && info.timeseriesKeys.length > 0) out.timeseriesKeys = [...info.timeseriesKeys];
  if (info.fieldPrimaryKeys && info.fieldPrimaryKeys.length > 0) out.fieldPrimaryKeys = [...info.fieldPrimaryKeys];
  if (info.status !== undefined) out.status = info.status;
  return out;
}

function fullPk(schema: readonly PkColumn[], raw: string): PrimaryKey {
  const given = parseJsonObjectParam('pk', raw);
  for (const key of Object.keys(given)) {
    if (!schema.some((c) => c.name === key))
      throw new ApiError(400, 'InvalidParameter', `query parameter 'pk': '${key}' is not a primary-key column`);
  }
  return schema.map((col) => {
    if (!Object.hasOwn(given, col.name))
      throw new ApiError(400, 'InvalidParameter', `query parameter 'pk' is missing primary-key column '${col.name}'`);
    const v = decodePkValue(given[col.name], col.type, `query parameter 'pk' column '${col.name}'`, false);
    return [col.name, v];
  });
}

function decodePosition(position: JsonValue): Uint8Array {
  if (typeof position !== 'string')
    throw new ApiError(400, 'InvalidToken', "query parameter 'next' is not a token issued by this API");
  return new Uint8Array(Buffer.from(position, 'base64'));
}

function seriesKeyJson(key: SeriesKey): JsonValue {
  return { measurement: key.measurement, source: key.source, tags: { ...key.tags } };
}

const tableParam = { table: TABLE_NAME };
/** GetTimeseriesData calls in flight at once for /latest. */
const LATEST_CONCURRENCY = 8;

/**
 * A point as JSON: its time and the asked fields (all when `wanted` is undefined), values lossless. The
 * decoded record itself goes out when every field is asked for and already JSON as it is (finite numbers,
 * strings, booleans: the usual point), which spares /points a copy per point.
 */
function pointJson(p: Point, wanted: ReadonlySet<string> | undefined): JsonValue {
  const fields = p.fields;
  if (!wanted) {
    let plain = true;
    for (const name in fields) {
      const v = fields[name];
      if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string' && typeof v !== 'boolean') {
        plain = false;
        break;
      }
    }
    if (plain) return { time: p.time, fields: fields as Readonly<Record<string, JsonValue>> };
  }
  const out: Record<string, JsonValue> = {};
  for (const name in fields) if (!wanted || wanted.has(name)) setOwn(out, name, encodeValue(fields[name]));
  return { time: p.time, fields: out };
}

/** The meta query of /series and /latest: measurement, source, tags, updatedAfter, limit, and `next` resumed. */
function metaQuery(
  table: string,
  q: RouteRequest['query'],
  tags: Record<string, string>,
  deps: RouteDeps,
  bind: TokenBinding,
): MetaQuery {
  const updatedAfterRaw = str(q, 'updatedAfter');
  const next = str(q, 'next');
  const token = next === undefined ? undefined : decodePosition(deps.tokens().open(next, bind));
  const measurement = str(q, 'measurement');
  const source = str(q, 'source');
  return {
    table,
    limit: Number(q.limit),
    ...(measurement === undefined ? {} : { measurement }),
    ...(source === undefined ? {} : { source }),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(updatedAfterRaw === undefined ? {} : { updatedAfter: parseTimeParam('updatedAfter', updatedAfterRaw) }),
    ...(token === undefined ? {} : { token }),
  };
}

export const routes: readonly Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness and configuration check (does not call Tablestore).',
    params: {},
    query: {},
    response: responses.health,
    actions: [],
    errors: [500],
    async handle(_req, deps) {
      const config = deps.config();
      return { status: 'ok', instance: config.instance, region: config.region };
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This API as an OpenAPI 3.1 document.',
    params: {},
    query: {},
    response: responses.openapi,
    actions: [],
    errors: [],
    async handle(_req, deps) {
      return deps.openapi() as JsonValue;
    },
  },
  {
    method: 'GET',
    path: '/tables',
    operationId: 'listTables',
    summary: 'Names of the wide tables of the instance (filtered by the allowlist when configured).',
    params: {},
    query: {},
    response: responses.tables,
    actions: ['ots:ListTable'],
    errors: [403, 503, 504],
    async handle(_req, deps) {
      const config = deps.config();
      const { wide } = await deps.readers();
      const names = await call('ots:ListTable', undefined, () => wide.listTables());
      // Time series tables are backed by hidden "<name>#timeseries" tables; those are not user tables.
      return { tables: names.filter((n) => !n.includes('#') && visible(config, n)).sort() };
    },
  },
  {
    method: 'GET',
    path: '/tables/{table}',
    operationId: 'describeTable',
    summary: 'Schema and options of a wide table.',
    params: tableParam,
    query: {},
    response: responses.table,
    actions: ['ots:DescribeTable'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { wide },
      } = await openTable(req, deps);
      return tableJson(await call('ots:DescribeTable', table, () => wide.describeTable(table)));
    },
  },
  {
    method: 'GET',
    path: '/tables/{table}/rows',
    operationId: 'getRange',
    summary: 'A page of rows in primary-key order between start (inclusive) and end (exclusive).',
    params: tableParam,
    query: query.rows,
    response: responses.rows,
    actions: ['ots:DescribeTable', 'ots:GetRange'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { wide },
      } = await openTable(req, deps);
      const q = req.query;
      const columns = parseNameList('columns', str(q, 'columns'));
      const info = await call('ots:DescribeTable', table, () => wide.schema(table));
      const bind = binding('rows', table, q);
      const { direction, start, end, limit, filter } = rangeRequest(info, q, deps, bind);
      // Tablestore evaluates a filter on the columns it reads: fetch the filtered columns too, return only the asked ones.
      const read = columns && filter ? [...new Set([...columns, ...filterColumns(filter)])] : columns;
      const page = await call('ots:GetRange', table, () =>
        wide.getRange({
          table,
          direction,
          start,
          end,
          limit,
          ...(read ? { columns: read } : {}),
          ...(filter ? { filter } : {}),
          // rowJson keeps the newest version of each column, so reading older ones changes only what the filter sees.
          ...(filter && needsAllVersions(filter) && (info.options.maxVersions ?? 1) > 1
            ? { maxVersions: info.options.maxVersions }
            : {}),
        }),
      );
      const asked = read !== columns && columns ? new Set(columns) : undefined;
      return {
        table,
        rows: page.rows.map((r) => rowJson(askedColumns(r, asked))),
        next: page.next ? deps.tokens().issue(bind, snapshotPk(page.next)) : null,
      };
    },
  },
  {
    method: 'GET',
    path: '/tables/{table}/row',
    operationId: 'getRow',
    summary: 'One row by its full primary key; 404 when absent.',
    params: tableParam,
    query: query.row,
    requiredQuery: ['pk'],
    response: responses.row,
    actions: ['ots:DescribeTable', 'ots:GetRow'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { wide },
      } = await openTable(req, deps);
      const columns = parseNameList('columns', str(req.query, 'columns'));
      const info = await call('ots:DescribeTable', table, () => wide.schema(table));
      const pk = fullPk(info.primaryKey, str(req.query, 'pk') as string);
      const row = await call('ots:GetRow', table, () => wide.getRow(table, pk, columns));
      if (!row) throw notFound(`No row with this primary key in table '${table}'.`, 'RowNotFound');
      return { table, row: rowJson(row) };
    },
  },
  {
    method: 'GET',
    path: '/timeseries',
    operationId: 'listTimeseriesTables',
    summary: 'Time series tables of the instance with their options.',
    params: {},
    query: {},
    response: responses.timeseriesTables,
    actions: ['ots:ListTimeseriesTable'],
    errors: [403, 503, 504],
    async handle(_req, deps) {
      const config = deps.config();
      const { timeseries } = await deps.readers();
      const tables = await call('ots:ListTimeseriesTable', undefined, () => timeseries.listTables());
      return {
        tables: tables
          .filter((t) => visible(config, t.name))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map(tsTableJson),
      };
    },
  },
  {
    method: 'GET',
    path: '/timeseries/{table}',
    operationId: 'describeTimeseriesTable',
    summary: 'Options of a time series table.',
    params: tableParam,
    query: {},
    response: responses.timeseriesTable,
    actions: ['ots:DescribeTimeseriesTable'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { timeseries },
      } = await openTable(req, deps);
      return tsTableJson(await call('ots:DescribeTimeseriesTable', table, () => timeseries.describeTable(table)));
    },
  },
  {
    method: 'GET',
    path: '/timeseries/{table}/series',
    operationId: 'querySeries',
    summary: 'A page of series (meta) matching measurement, source, tags and update time.',
    params: tableParam,
    query: query.series,
    response: responses.series,
    actions: ['ots:QueryTimeseriesMeta'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { timeseries },
      } = await openTable(req, deps);
      const q = req.query;
      const tags = parseTags(str(q, 'tag'));
      const bind = binding('series', table, q);
      // Parameters and the token are checked here, outside `call`, which maps Tablestore's failures.
      const meta = metaQuery(table, q, tags, deps, bind);
      const page = await call('ots:QueryTimeseriesMeta', table, () => timeseries.queryMeta(meta));
      return {
        table,
        series: page.series.map((s) => ({
          ...(seriesKeyJson(s.key) as Record<string, JsonValue>),
          attributes: { ...s.attributes },
          ...(s.updateTime === undefined ? {} : { updateTime: s.updateTime }),
        })),
        next:
          page.next && page.next.length > 0
            ? deps.tokens().issue(bind, Buffer.from(page.next).toString('base64'))
            : null,
      };
    },
  },
  {
    method: 'GET',
    path: '/timeseries/{table}/points',
    operationId: 'getPoints',
    summary:
      'A page of points of one series (match=exact: measurement, source and its full tag set) or of every series a meta query selects ' +
      '(match=meta), raw or in epoch-aligned buckets (interval + agg).',
    params: tableParam,
    query: query.points,
    response: queryResponses.points,
    actions: ['ots:GetTimeseriesData', 'ots:QueryTimeseriesMeta'],
    errors: [400, 403, 404, 409, 503, 504],
    async handle(req, deps) {
      const q = req.query;
      const meta = q.match === 'meta';
      const measurement = str(q, 'measurement');
      if (!meta && measurement === undefined)
        throw new ApiError(
          400,
          'InvalidParameter',
          "query parameter 'measurement' is required (or match=meta to select series by a meta query)",
        );
      if (!meta && (q.updatedAfter !== undefined || q.maxSeries !== undefined)) {
        throw new ApiError(
          400,
          'InvalidParameter',
          `query parameter '${q.updatedAfter !== undefined ? 'updatedAfter' : 'maxSeries'}' needs match=meta`,
        );
      }
      const tags = parseTags(str(q, 'tag'));
      const startRaw = str(q, 'start');
      const endRaw = str(q, 'end');
      const begin = startRaw === undefined ? 0 : parseTimeParam('start', startRaw);
      const end = endRaw === undefined ? undefined : parseTimeParam('end', endRaw);
      if (end !== undefined && begin >= end)
        throw new ApiError(
          400,
          'InvalidParameter',
          startRaw === undefined
            ? "query parameter 'end' must be after the epoch (start defaults to 0)"
            : "query parameter 'start' must be before 'end'",
        );
      const intervalRaw = str(q, 'interval');
      const aggRaw = str(q, 'agg');
      if ((intervalRaw === undefined) !== (aggRaw === undefined))
        throw new ApiError(
          400,
          'InvalidParameter',
          `query parameter '${intervalRaw === undefined ? 'interval' : 'agg'}' is required with '${intervalRaw === undefined ? 'agg' : 'interval'}'`,
        );
      const agg =
        intervalRaw === undefined || aggRaw === undefined
          ? undefined
          : { intervalUs: parseInterval(intervalRaw), spec: parseAgg(aggRaw) };
      if (agg && q.backward === true)
        throw new ApiError(
          400,
          'InvalidParameter',
          "query parameter 'backward' cannot be combined with 'interval' (buckets come oldest first)",
        );
      const fields = parseNameList('fields', str(q, 'fields'));
      const {
        table,
        readers: { timeseries },
      } = await openTable(req, deps);
      const bind = binding('points', table, q);
      const next = str(q, 'next');
      const position = next === undefined ? undefined : deps.tokens().open(next, bind);
      const key: SeriesKey = { measurement: measurement ?? '', source: str(q, 'source') ?? '', tags };
      const wanted = fields ? new Set(fields) : undefined;
      const asJson = (p: Point): JsonValue => pointJson(p, wanted);
      if (!meta && !agg) {
        // One series, raw: the original behaviour (the position is the GetTimeseriesData token).
        const token = position === undefined ? undefined : decodePosition(position);
        const page = await call('ots:GetTimeseriesData', table, () =>
          timeseries.getData({
            table,
            key,
            begin,
            ...(end === undefined ? {} : { end }),
            backward: q.backward === true,
            limit: Number(q.limit),
            ...(token === undefined ? {} : { token }),
          }),
        );
        return {
          table,
          series: seriesKeyJson(key),
          points: page.points.map(asJson),
          next:
            page.next && page.next.length > 0
              ? deps.tokens().issue(bind, Buffer.from(page.next).toString('base64'))
              : null,
        };
      }
      if (position !== undefined && !isPosition(position))
        throw new ApiError(400, 'InvalidToken', "query parameter 'next' is not a token issued by this API");
      const updatedAfterRaw = str(q, 'updatedAfter');
      const metaSource = str(q, 'source');
      const plan: PointsPlan = {
        table,
        begin,
        ...(end === undefined ? {} : { end }),
        limit: Number(q.limit),
        maxSeries: meta ? Number(q.maxSeries ?? 100) : 1,
        backward: q.backward === true,
        series: meta
          ? {
              select: {
                ...(measurement === undefined ? {} : { measurement }),
                // The parameter defaults to '' (the exact-series default); for a meta query '' means any source.
                ...(metaSource ? { source: metaSource } : {}),
                tags,
                ...(updatedAfterRaw === undefined
                  ? {}
                  : { updatedAfter: parseTimeParam('updatedAfter', updatedAfterRaw) }),
              },
            }
          : { key },
        ...(agg ? { agg } : {}),
      };
      const page = await readPoints(timeseries, plan, position, (action, run) => call(action, table, run));
      const nextToken = page.next ? deps.tokens().issue(bind, page.next as unknown as JsonValue) : null;
      const extra: Record<string, JsonValue> = agg ? { interval: intervalRaw as string, agg: aggRaw as string } : {};
      if (!meta)
        return {
          table,
          series: seriesKeyJson(key),
          points: (page.series[0]?.points ?? []).map(asJson),
          ...extra,
          next: nextToken,
        };
      const body: JsonValue = {
        table,
        series: page.series.map((s) => ({
          ...(seriesKeyJson(s.key) as Record<string, JsonValue>),
          points: s.points.map(asJson),
        })),
        ...extra,
        next: nextToken,
      };
      return body;
    },
  },
  {
    method: 'GET',
    path: '/timeseries/{table}/latest',
    operationId: 'getLatestPoints',
    summary:
      'The last point of each series a meta query on measurement, source, tags and update time selects (a page of series).',
    params: tableParam,
    query: query.latest,
    response: queryResponses.latest,
    actions: ['ots:QueryTimeseriesMeta', 'ots:GetTimeseriesData'],
    errors: [400, 403, 404, 503, 504],
    async handle(req, deps) {
      const {
        table,
        readers: { timeseries },
      } = await openTable(req, deps);
      const q = req.query;
      const tags = parseTags(str(q, 'tag'));
      const fields = parseNameList('fields', str(q, 'fields'));
      const wanted = fields ? new Set(fields) : undefined;
      const bind = binding('latest', table, q);
      // Parameters and the token are checked here, outside `call`, which maps Tablestore's failures.
      const meta = metaQuery(table, q, tags, deps, bind);
      const page = await call('ots:QueryTimeseriesMeta', table, () => timeseries.queryMeta(meta));
      // One backward read of one point per series, a few series at a time.
      const latest: Array<Point | undefined> = [];
      for (let i = 0; i < page.series.length; i += LATEST_CONCURRENCY) {
        latest.push(
          ...(await Promise.all(
            page.series.slice(i, i + LATEST_CONCURRENCY).map(async (s) => {
              const data = await call('ots:GetTimeseriesData', table, () =>
                timeseries.getData({ table, key: s.key, begin: 0, backward: true, limit: 1 }),
              );
              return data.points[0];
            }),
          )),
        );
      }
      return {
        table,
        series: page.series.map((s, i) => {
          const p = latest[i];
          return {
            ...(seriesKeyJson(s.key) as Record<string, JsonValue>),
            point: p ? pointJson(p, wanted) : null,
          };
        }),
        next:
          page.next && page.next.length > 0
            ? deps.tokens().issue(bind, Buffer.from(page.next).toString('base64'))
            : null,
      };
    },
  },
  sqlRoute,
  indexesRoute,
  indexRowsRoute,
  ...searchRoutes,
];

/** Every RAM action any route calls (plus the audit's, which uses the same set). */
export const requiredActions = (): string[] => [...new Set(routes.flatMap((r) => r.actions))].sort();
