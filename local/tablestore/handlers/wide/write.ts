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
import { planDelete, planPut, planUpdate, type Planned, type RowView } from './write-plan';
import { writeTarget } from './transactions';
import type { WideTable } from './table';

function writeResponse(p: Planned): Uint8Array {
  const res: WriteRowResponse = { consumed: consumed(p.readCu, p.writeCu) };
  if (p.returnRow) res.row = p.returnRow;
  return encodeMessage('PutRowResponse', res);
}

/**
 * A single-row write API: decode, authorize on the table, plan the change against the rows the request sees,
 * write it (to the store, or into the request's local transaction), answer.
 */
function singleRowWrite<Api extends 'PutRow' | 'UpdateRow' | 'DeleteRow'>(
  api: Api,
  plan: (ctx: HandlerContext, view: RowView, table: WideTable, req: WideMessages[`${Api}Request`]) => Planned,
): ApiHandler {
  return async (ctx, body) => {
    const req = decodeMessage(`${api}Request`, body);
    ctx.authorize(`ots:${api}`, [req.table_name]);
    const table = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
    if (table.indexOf) throw indexErrors.readOnly(table.name);
    const target = writeTarget(ctx, req.transaction_id);
    const planned = plan(ctx, target.view, table, req);
    await target.apply(planned.writes);
    return writeResponse(planned);
  };
}

const putRow = singleRowWrite('PutRow', (ctx, view, table, req) =>
  planPut(ctx, view, table, req.row, req.condition, req.return_content, new Map()),
);
const updateRow = singleRowWrite('UpdateRow', (ctx, view, table, req) =>
  planUpdate(ctx, view, table, req.row_change, req.condition, req.return_content),
);
const deleteRow = singleRowWrite('DeleteRow', (ctx, view, table, req) =>
  planDelete(ctx, view, table, req.primary_key, req.condition, req.return_content),
);

export const writeHandlers: ApiHandlers = {
  PutRow: putRow,
  UpdateRow: updateRow,
  DeleteRow: deleteRow,
  BatchWriteRow: batchWriteRow,
};
