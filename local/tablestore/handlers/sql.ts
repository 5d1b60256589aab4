/**
 * SQLQuery handler: decodes the request, runs the SQL engine (local/tablestore/sql) with the caller's
 * RAM checks, and answers consumed capacity, statement type and SQL_FLAT_BUFFERS rows
 * (docs/protocol-sql.md §1).
 */
import { decodeMessage, encodeMessage, SqlPayloadVersion } from '../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler } from './context';
import { errors } from '../errors';
import { executeSql } from '../sql/engine';
import { encodeSqlRows } from '../sql/flatbuffer';

const sqlQuery: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('SQLQueryRequest', body);
  if (req.version !== undefined && req.version !== SqlPayloadVersion.SQL_FLAT_BUFFERS) {
    throw errors.parameterInvalid(`SQL payload version ${req.version} is not supported; use SQL_FLAT_BUFFERS (2).`);
  }
  const outcome = await executeSql(
    {
      store: ctx.store,
      catalog: ctx.catalog,
      instance: ctx.instance,
      nowMs: ctx.now().getTime(),
      authorize: (action, tables) => ctx.authorize(action, tables),
      options: ctx.sql,
    },
    req.query,
  );
  return encodeMessage('SQLQueryResponse', {
    consumes: outcome.consumed
      .filter((c) => c.index === undefined)
      .map((c) => ({ table_name: c.table, consumed: { capacity_unit: { read: c.read, write: 0 } } })),
    search_consumes: outcome.consumed.flatMap((c) =>
      c.index === undefined
        ? []
        : [{ table_name: c.table, index_name: c.index, consumed: { capacity_unit: { read: c.read, write: 0 } } }],
    ),
    rows: encodeSqlRows(outcome.columns, outcome.rowCount),
    version: SqlPayloadVersion.SQL_FLAT_BUFFERS,
    type: outcome.type,
  });
};

export const sqlHandlers: Record<string, ApiHandler> = { SQLQuery: sqlQuery };
