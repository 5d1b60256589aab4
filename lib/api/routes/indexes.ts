/**
 * Secondary indexes (docs/functions.md, "Secondary indexes"; wire: docs/protocol-indexes.md):
 * `GET /tables/{table}/indexes` lists a table's indexes, `GET /tables/{table}/indexes/{index}/rows` reads one
 * in index-key order with the parameters of /rows. The allowlist applies to the base table; the index must be
 * one DescribeTable lists for it, so the path can never name another table. Columns the index does not carry
 * are read back from the base table with BatchGetRow, and the answer says so (`joined`), with the cost.
 */
import { ApiError, notFound } from '../../fc/errors';
import { filterColumns } from '../filter';
import { snapshotPk, type JsonValue, type PkType } from '../lossless';
import { parseNameList } from '../params';
import type { IndexInfo, PkColumn, PrimaryKey, WideReader, WideRow, WideTableInfo } from '../ports';
import { askedColumns, binding, call, openTable, rangeRequest, rowJson, str, type Route } from '../route-kit';
import { TABLE_NAME, query } from '../schemas';

const KEY_TYPES: ReadonlySet<string> = new Set<PkType>(['INTEGER', 'STRING', 'BINARY']);

/** The index table's key: the index columns, then the base key columns not among them (protocol-indexes §2). */
function indexKey(base: WideTableInfo, index: IndexInfo): PkColumn[] {
  const typeOf = (name: string): PkType => {
    const pk = base.primaryKey.find((c) => c.name === name);
    if (pk) return pk.type;
    const t = base.definedColumns.find((c) => c.name === name)?.type;
    return t !== undefined && KEY_TYPES.has(t) ? (t as PkType) : 'STRING';
  };
  const cols = index.primaryKey.map((name) => ({ name, type: typeOf(name) }));
  for (const c of base.primaryKey) if (!index.primaryKey.includes(c.name)) cols.push({ name: c.name, type: c.type });
  return cols;
}

/** The index as a table, for the filter's column types and the range bounds. */
function indexTable(base: WideTableInfo, index: IndexInfo): WideTableInfo {
  return {
    name: index.name,
    primaryKey: indexKey(base, index),
    definedColumns: index.definedColumns.map((name) => ({
      name,
      type: base.definedColumns.find((c) => c.name === name)?.type ?? 'STRING',
    })),
    options: {},
  };
}

/** The table's indexes; a schema cached before an index was created is refreshed once before a 404. */
async function findIndex(wide: WideReader, table: string, name: string): Promise<[WideTableInfo, IndexInfo]> {
  let info = await call('ots:DescribeTable', table, () => wide.schema(table));
  let index = info.indexes?.find((i) => i.name === name);
  if (!index) {
    info = await call('ots:DescribeTable', table, () => wide.describeTable(table));
    index = info.indexes?.find((i) => i.name === name);
  }
  if (!index) throw notFound(`Table '${table}' has no index '${name}'.`, 'IndexNotFound');
  return [info, index];
}

const Column = {
  type: 'object',
  required: ['name', 'type'],
  properties: { name: { type: 'string' }, type: { type: 'string' } },
} as const;

const indexesResponse = {
  type: 'object',
  required: ['table', 'indexes'],
  properties: {
    table: { type: 'string' },
    indexes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type', 'updateMode', 'indexColumns', 'primaryKey', 'definedColumns'],
        properties: {
          name: { type: 'string' },
          type: { enum: ['global', 'local'] },
          updateMode: { enum: ['async', 'sync'] },
          indexColumns: { type: 'array', items: { type: 'string' }, description: 'The index columns, in order.' },
          primaryKey: {
            type: 'array',
            items: Column,
            description: "The index table's key: the index columns, then the base key columns not among them.",
          },
          definedColumns: { type: 'array', items: Column, description: 'Attribute columns the index carries.' },
          syncPhase: { enum: ['full', 'incremental'] },
        },
      },
    },
  },
} as const;

const indexRowsResponse = {
  type: 'object',
  required: ['table', 'index', 'rows', 'next'],
  properties: {
    table: { type: 'string' },
    index: { type: 'string' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['primaryKey', 'columns'],
        properties: {
          primaryKey: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
          columns: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Value' } },
        },
      },
    },
    next: { type: ['string', 'null'] },
    joined: {
      type: 'object',
      description:
        'Present when columns named columns the index does not carry: they were read from the base table with BatchGetRow.',
      required: ['columns', 'baseReads', 'missing'],
      properties: {
        columns: { type: 'array', items: { type: 'string' } },
        baseReads: { type: 'integer', description: 'Base rows read (one BatchGetRow per 100).' },
        missing: { type: 'integer', description: 'Index rows whose base row was not found (an index catching up).' },
      },
    },
  },
} as const;

const indexParams = { table: TABLE_NAME, index: { ...TABLE_NAME, description: 'Index name.' } };

export const indexesRoute: Route = {
  method: 'GET',
  path: '/tables/{table}/indexes',
  operationId: 'listIndexes',
  summary: 'The secondary indexes of a wide table: type, index columns, key and attribute columns.',
  params: { table: TABLE_NAME },
  query: {},
  response: indexesResponse,
  actions: ['ots:DescribeTable'],
  errors: [400, 403, 404, 503, 504],
  async handle(req, deps) {
    const {
      table,
      readers: { wide },
    } = await openTable(req, deps);
    const info = await call('ots:DescribeTable', table, () => wide.describeTable(table));
    return {
      table,
      indexes: (info.indexes ?? []).map((index) => {
        const t = indexTable(info, index);
        return {
          name: index.name,
          type: index.type === 'LOCAL' ? 'local' : 'global',
          updateMode: index.updateMode === 'SYNC' ? 'sync' : 'async',
          indexColumns: [...index.primaryKey],
          primaryKey: t.primaryKey.map((c) => ({ name: c.name, type: c.type })),
          definedColumns: t.definedColumns.map((c) => ({ name: c.name, type: c.type })),
          ...(index.syncPhase ? { syncPhase: index.syncPhase === 'FULL' ? 'full' : 'incremental' } : {}),
        };
      }),
    };
  },
};

export const indexRowsRoute: Route = {
  method: 'GET',
  path: '/tables/{table}/indexes/{index}/rows',
  operationId: 'getIndexRange',
  summary:
    'A page of index rows in index-key order (parameters as /rows, keys in the index key); columns the index lacks are joined from the base table.',
  params: indexParams,
  query: query.rows,
  response: indexRowsResponse,
  actions: ['ots:DescribeTable', 'ots:GetRange', 'ots:BatchGetRow'],
  errors: [400, 403, 404, 503, 504],
  async handle(req, deps): Promise<JsonValue> {
    const {
      table,
      readers: { wide },
    } = await openTable(req, deps);
    const q = req.query;
    const [base, index] = await findIndex(wide, table, req.params.index);
    const info = indexTable(base, index);
    const columns = parseNameList('columns', str(q, 'columns'));
    const bind = binding(`index-rows/${index.name}`, table, q);
    // The bounds are in the index's key; the filter runs on the index table, on the columns the index carries.
    const { direction, start, end, limit, filter } = rangeRequest(info, q, deps, bind);
    const carried = new Set([...info.primaryKey.map((c) => c.name), ...index.definedColumns]);
    const missing = columns?.filter((c) => !carried.has(c)) ?? [];
    // Joining reads every index column: asking for a subset would drop index rows that hold none of it. As on
    // /rows, a filter sees only the columns read, so they are read too and dropped from the answer.
    const read =
      missing.length > 0 || !columns
        ? undefined
        : filter
          ? [...new Set([...columns, ...filterColumns(filter)])]
          : columns;
    const page = await call('ots:GetRange', index.name, () =>
      wide.getRange({
        table: index.name,
        direction,
        start,
        end,
        limit,
        ...(read ? { columns: read } : {}),
        ...(filter ? { filter } : {}),
      }),
    );
    const nextToken = page.next ? deps.tokens().issue(bind, snapshotPk(page.next)) : null;
    const asked = columns ? new Set(columns) : undefined;
    if (missing.length === 0)
      return {
        table,
        index: index.name,
        rows: page.rows.map((r) => rowJson(askedColumns(r, read !== columns ? asked : undefined))),
        next: nextToken,
      };
    const baseKey = (r: WideRow): PrimaryKey =>
      base.primaryKey.map((c) => {
        const cell = r.primaryKey.find(([name]) => name === c.name);
        if (!cell) throw new ApiError(502, 'UpstreamError', `Index '${index.name}' row lacks base key '${c.name}'.`);
        return cell;
      });
    const baseRows =
      page.rows.length === 0
        ? []
        : await call('ots:BatchGetRow', table, () => wide.batchGetRow(table, page.rows.map(baseKey), missing));
    const rows: JsonValue[] = [];
    let absent = 0;
    page.rows.forEach((r, i) => {
      const b = baseRows[i];
      if (!b) absent += 1;
      const cols = [...r.columns.filter((c) => asked?.has(c.name)), ...(b?.columns ?? [])];
      // As on /rows: a row holding none of the asked columns is left out.
      if (cols.length > 0) rows.push(rowJson({ primaryKey: r.primaryKey, columns: cols }));
    });
    return {
      table,
      index: index.name,
      rows,
      next: nextToken,
      joined: { columns: missing, baseReads: page.rows.length, missing: absent },
    };
  },
};
