/** PutRow, UpdateRow, DeleteRow (planned in write-plan.ts), and BatchWriteRow (batch-write.ts). */
import {
  decodeMessage,
  encodeMessage,
  type WideMessages,
  type WriteRowResponse,
} from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler, ApiHandlers, HandlerContext } from '../context';
import { requireTableOrIndex } from '../../indexes/lookup';
import { indexErrors } from '../../indexes/definition';
import { consumed } from './capacity';
import { batchWriteRow } from './batch-write';
import { planDelete, planPut, planUpdate, type Planned } from './write-plan';
import type { WideTable } from './table';

function writeResponse(p: Planned): Uint8Array {
  const res: WriteRowResponse = { consumed: consumed(p.readCu, p.writeCu) };
  if (p.returnRow) res.row = p.returnRow;
  return encodeMessage('PutRowResponse', res);
}

/** A single-row write API: decode, authorize on the table, plan the change, write it, answer. */
function singleRowWrite<Api extends 'PutRow' | 'UpdateRow' | 'DeleteRow'>(
  api: Api,
  plan: (ctx: HandlerContext, table: WideTable, req: WideMessages[`${Api}Request`]) => Planned,
): ApiHandler {
  return async (ctx, body) => {
    const req = decodeMessage(`${api}Request`, body);
    ctx.authorize(`ots:${api}`, [req.table_name]);
    const table = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
    if (table.indexOf) throw indexErrors.readOnly(table.name);
    const planned = plan(ctx, table, req);
    await ctx.store.write(planned.writes);
    return writeResponse(planned);
  };
}

const putRow = singleRowWrite('PutRow', (ctx, table, req) =>
  planPut(ctx, ctx.store, table, req.row, req.condition, req.return_content, new Map()),
);
const updateRow = singleRowWrite('UpdateRow', (ctx, table, req) =>
  planUpdate(ctx, ctx.store, table, req.row_change, req.condition, req.return_content),
);
const deleteRow = singleRowWrite('DeleteRow', (ctx, table, req) =>
  planDelete(ctx, ctx.store, table, req.primary_key, req.condition, req.return_content),
);

export const writeHandlers: ApiHandlers = {
  PutRow: putRow,
  UpdateRow: updateRow,
  DeleteRow: deleteRow,
  BatchWriteRow: batchWriteRow,
};
