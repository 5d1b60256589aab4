/** GetRow, GetRange, BatchGetRow. */
import {
  decodeRow,
  encodePrimaryKey,
  encodeRow,
  encodeRows,
  type PlainBufferRow,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  DataBlockType,
  Direction,
  decodeMessage,
  encodeMessage,
  type GetRangeResponse,
  type RowInBatchGetRowResponse,
} from '../../../../lib/tablestore/protocol/proto/wide';
import { encodeSimpleRowMatrix } from '../../../../lib/tablestore/protocol/simple-row-matrix';
import type { ApiHandler, ApiHandlers, HandlerContext } from '../context';
import { errors } from '../../errors';
import { requireTableOrIndex, findTableOrIndex } from '../../indexes/lookup';
import { boundKey, compareBoundKeys, decodeKey, encodeKey } from './keys';
import { decodeStoredRow } from './row-codec';
import { capacityUnits, consumed, rowBytes, rowFailure } from './capacity';
import { liveRow, parseReadSpec, readRow, type ReadSpec } from './rows';
import { checkPrimaryKey, type WideTable } from './table';

/** At most this many rows and bytes per GetRange page, whatever the limit (docs/protocol.md §8.3). */
export const PAGE_MAX_ROWS = 5000;
export const PAGE_MAX_BYTES = 4 * 1024 * 1024;
const BATCH_GET_MAX_ROWS = 100;

function getOne(
  ctx: HandlerContext,
  table: WideTable,
  pkBytes: Uint8Array,
  spec: ReadSpec,
): { row: PlainBufferRow | undefined; read: number } {
  const pk = decodeRow(pkBytes).primaryKey;
  checkPrimaryKey(table.def, pk, 'exact');
  const stored = ctx.store.get(table.space, encodeKey(table.def, pk));
  const row = stored ? decodeStoredRow(stored) : undefined;
  const out = readRow(pk, liveRow(table.def, row, ctx.now().getTime()), spec);
  return { row: out, read: capacityUnits(out ? rowBytes(out.primaryKey, out.attributes) : 0) };
}

const getRow: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('GetRowRequest', body);
  ctx.authorize('ots:GetRow', [req.table_name]);
  const table = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
  const spec = parseReadSpec(table.def, req);
  const { row, read } = getOne(ctx, table, req.primary_key, spec);
  return encodeMessage('GetRowResponse', {
    consumed: consumed(read, 0),
    row: row ? encodeRow(row) : new Uint8Array(0),
  });
};

const getRange: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('GetRangeRequest', body);
  ctx.authorize('ots:GetRange', [req.table_name]);
  const table = requireTableOrIndex(ctx.catalog, ctx.store, req.table_name);
  const { def } = table;
  const spec = parseReadSpec(def, req);
  if (req.direction !== Direction.FORWARD && req.direction !== Direction.BACKWARD)
    throw errors.parameterInvalid(`Invalid direction: ${req.direction}.`);
  if (req.limit !== undefined && req.limit <= 0) throw errors.parameterInvalid('The limit must be greater than 0.');
  const start = decodeRow(req.inclusive_start_primary_key).primaryKey;
  const end = decodeRow(req.exclusive_end_primary_key).primaryKey;
  checkPrimaryKey(def, start, 'bound');
  checkPrimaryKey(def, end, 'bound');
  const forward = req.direction === Direction.FORWARD;
  const order = compareBoundKeys(def, start, end);
  // The service's own wording (docs/protocol.md §8.3).
  if (forward && order >= 0) throw errors.parameterInvalid('Begin key must less than end key in FORWARD');
  if (!forward && order <= 0) throw errors.parameterInvalid('Begin key must more than end key in BACKWARD');

  const sb = boundKey(def, start);
  const eb = boundKey(def, end);
  const after = (k: Buffer) => Buffer.concat([k, Buffer.from([0])]);
  let gte: Buffer | undefined;
  let lt: Buffer | undefined;
  let empty = false;
  if (forward) {
    gte = sb.key;
    lt = eb.key;
    if (sb.kind === 'inf' && sb.key === undefined) empty = true;
  } else {
    lt = sb.kind === 'exact' ? after(sb.key) : sb.key;
    gte = eb.kind === 'exact' ? after(eb.key) : eb.key;
    if (eb.kind === 'inf' && eb.key === undefined) empty = true;
  }

  const limit = Math.min(req.limit ?? PAGE_MAX_ROWS, PAGE_MAX_ROWS);
  const nowMs = ctx.now().getTime();
  const rows: PlainBufferRow[] = [];
  let scanned = 0;
  let bytes = 0;
  let next: Uint8Array | undefined;
  if (!empty) {
    for (const record of ctx.store.scan(table.space, { gte, lt, reverse: !forward })) {
      if (rows.length >= limit || scanned >= PAGE_MAX_ROWS || bytes >= PAGE_MAX_BYTES) {
        next = record.key;
        break;
      }
      scanned++;
      bytes += record.key.length + record.value.length;
      const out = readRow(decodeKey(def, record.key), liveRow(def, decodeStoredRow(record.value), nowMs), spec);
      if (out) rows.push(out);
    }
  }
  // `return_entire_primary_keys = false` with `columns_to_get` keeps only the key columns named there
  // (docs/protocol.md §5.8).
  const named = req.columns_to_get ?? [];
  const entire = req.return_entire_primary_keys !== false || named.length === 0;
  const keyNames = def.primaryKey.map((c) => c.name).filter((n) => entire || named.includes(n));
  const out = entire
    ? rows
    : rows.map((r) => ({ ...r, primaryKey: r.primaryKey.filter((c) => keyNames.includes(c.name)) }));
  // A client may ask for the simple row matrix form; any other hint gets PlainBuffer (docs/protocol.md §5.8).
  const matrix = req.data_block_type_hint === DataBlockType.DBT_SIMPLE_ROW_MATRIX;
  const res: GetRangeResponse = {
    consumed: consumed(capacityUnits(bytes), 0),
    rows: matrix ? encodeSimpleRowMatrix(keyNames, out, entire) : out.length > 0 ? encodeRows(out) : new Uint8Array(0),
    data_block_type: matrix ? DataBlockType.DBT_SIMPLE_ROW_MATRIX : DataBlockType.DBT_PLAIN_BUFFER,
  };
  if (next) res.next_start_primary_key = encodePrimaryKey(decodeKey(def, next));
  return encodeMessage('GetRangeResponse', res);
};

const batchGetRow: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('BatchGetRowRequest', body);
  // The service accepts a table listed twice, a row listed twice and a table entry without rows (answered
  // with no rows); only a request without tables is refused (docs/protocol.md §8.5).
  if (req.tables.length === 0) throw errors.parameterInvalid('No row specified in the request of BatchGetRow.');
  const names = req.tables.map((t) => t.table_name);
  const total = req.tables.reduce((n, t) => n + t.primary_key.length, 0);
  if (total > BATCH_GET_MAX_ROWS)
    throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${total} > ${BATCH_GET_MAX_ROWS}.`);
  ctx.authorize('ots:BatchGetRow', names);
  const tables = req.tables.map((t) => {
    const table = findTableOrIndex(ctx.catalog, ctx.store, t.table_name);
    const rows: RowInBatchGetRowResponse[] = [];
    if (!table) {
      const err = errors.tableNotExist();
      for (let i = 0; i < t.primary_key.length; i++)
        rows.push({ is_ok: false, error: { code: err.code, message: err.message } });
      return { table_name: t.table_name, rows };
    }
    const spec = parseReadSpec(table.def, t, 'batch');
    for (const pk of t.primary_key) {
      try {
        const { row, read } = getOne(ctx, table, pk, spec);
        rows.push({ is_ok: true, consumed: consumed(read, 0), row: row ? encodeRow(row) : new Uint8Array(0) });
      } catch (err) {
        rows.push({ is_ok: false, error: rowFailure(err) });
      }
    }
    return { table_name: t.table_name, rows };
  });
  return encodeMessage('BatchGetRowResponse', { tables });
};

export const readHandlers: ApiHandlers = { GetRow: getRow, GetRange: getRange, BatchGetRow: batchGetRow };
