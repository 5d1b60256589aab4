/**
 * Search-index API handlers: decode → search engine → encode (docs/protocol-search.md). The engine
 * (local/tablestore/search) owns all search semantics; these functions only check the table and RAM action.
 */
import type { ApiHandler, HandlerContext } from '../context';
import { errors } from '../../errors';
import { searchEngineOf } from '../../search/engine';
import {
  decodeSearch,
  encodeSearch,
  type ComputeSplitsRequestMsg,
  type CreateSearchIndexRequestMsg,
  type IndexNameRequestMsg,
  type ParallelScanRequestMsg,
  type SearchRequestMsg,
  type UpdateSearchIndexRequestMsg,
} from '../../search/proto';
import { parseDefinition, schemaToMsg, validateTtl } from '../../search/schema';
import { computeSplitPointsBySize } from './split-points';

const EMPTY = new Uint8Array(0);

function wideTable(ctx: HandlerContext, name: string | undefined) {
  const record = ctx.catalog.get(name ?? '');
  if (!record || record.kind !== 'wide') throw errors.tableNotExist();
  return record;
}

const createSearchIndex: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<CreateSearchIndexRequestMsg>('CreateSearchIndexRequest', body);
  ctx.authorize('ots:CreateSearchIndex', [req.table_name]);
  const engine = searchEngineOf(ctx.store);
  const pk = engine.tableDef(wideTable(ctx, req.table_name).name)!.primaryKey.map((c) => c.name);
  await engine.create(parseDefinition(req, pk, ctx.now().getTime()));
  return EMPTY;
};

const listSearchIndex: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<{ table_name?: string }>('ListSearchIndexRequest', body);
  ctx.authorize('ots:ListSearchIndex', [req.table_name || '*']);
  if (req.table_name) wideTable(ctx, req.table_name);
  const indices = searchEngineOf(ctx.store)
    .list(req.table_name || undefined)
    .map((d) => ({ table_name: d.table, index_name: d.name }));
  return encodeSearch('ListSearchIndexResponse', { indices });
};

const describeSearchIndex: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<IndexNameRequestMsg>('IndexNameRequest', body);
  ctx.authorize('ots:DescribeSearchIndex', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  const index = searchEngineOf(ctx.store).get(req.table_name ?? '', req.index_name ?? '');
  const nowMs = ctx.now().getTime();
  return encodeSearch('DescribeSearchIndexResponse', {
    schema: schemaToMsg(index.def),
    // Maintained synchronously: the index is always caught up (incremental phase, as of now).
    sync_stat: { sync_phase: 2, current_sync_timestamp: BigInt(nowMs) * 1_000_000n },
    metering_info: { storage_size: 0, row_count: index.size, reserved_read_cu: 0, timestamp: Math.floor(nowMs / 1000) },
    create_time: BigInt(index.def.createdAtMs) * 1000n,
    time_to_live: index.def.ttl,
    index_status: { status: 3, status_description: 'RUNNING' },
  });
};

const updateSearchIndex: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<UpdateSearchIndexRequestMsg>('UpdateSearchIndexRequest', body);
  ctx.authorize('ots:UpdateSearchIndex', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  const engine = searchEngineOf(ctx.store);
  engine.get(req.table_name ?? '', req.index_name ?? '');
  if (req.time_to_live === undefined) throw errors.parameterInvalid('UpdateSearchIndex needs time_to_live.');
  await engine.updateTtl(req.table_name ?? '', req.index_name ?? '', validateTtl(req.time_to_live));
  return EMPTY;
};

const deleteSearchIndex: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<IndexNameRequestMsg>('IndexNameRequest', body);
  ctx.authorize('ots:DeleteSearchIndex', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  await searchEngineOf(ctx.store).delete(req.table_name ?? '', req.index_name ?? '');
  return EMPTY;
};

const search: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<SearchRequestMsg>('SearchRequest', body);
  ctx.authorize('ots:Search', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  const out = searchEngineOf(ctx.store).search(req, ctx.now().getTime());
  return encodeSearch('SearchResponse', {
    total_hits: out.totalHits,
    rows: out.rows,
    is_all_succeeded: true,
    // One hit per row, paired by position: the SDKs drop all hits when the counts differ.
    search_hits: out.scores.map((score) => ({ score })),
    ...(out.nextToken ? { next_token: out.nextToken } : {}),
    ...(out.aggs ? { aggs: out.aggs } : {}),
    ...(out.groupBys ? { group_bys: out.groupBys } : {}),
    consumed: { capacity_unit: { read: 1, write: 0 } },
  });
};

const computeSplits: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<ComputeSplitsRequestMsg>('ComputeSplitsRequest', body);
  ctx.authorize('ots:ComputeSplits', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  const name = req.search_index_splits_options?.index_name;
  if (!name) throw errors.parameterInvalid('ComputeSplits needs search_index_splits_options.index_name.');
  const out = searchEngineOf(ctx.store).computeSplits(req.table_name ?? '', name, ctx.now().getTime());
  return encodeSearch('ComputeSplitsResponse', { session_id: out.sessionId, splits_size: out.splits });
};

const parallelScan: ApiHandler = async (ctx, body) => {
  const req = decodeSearch<ParallelScanRequestMsg>('ParallelScanRequest', body);
  ctx.authorize('ots:ParallelScan', [req.table_name ?? '']);
  wideTable(ctx, req.table_name);
  const out = searchEngineOf(ctx.store).parallelScan(req, ctx.now().getTime());
  return encodeSearch('ParallelScanResponse', {
    rows: out.rows,
    ...(out.nextToken ? { next_token: out.nextToken } : {}),
  });
};

export const searchHandlers: Record<string, ApiHandler> = {
  CreateSearchIndex: createSearchIndex,
  ListSearchIndex: listSearchIndex,
  DescribeSearchIndex: describeSearchIndex,
  UpdateSearchIndex: updateSearchIndex,
  DeleteSearchIndex: deleteSearchIndex,
  Search: search,
  ComputeSplits: computeSplits,
  ParallelScan: parallelScan,
  ComputeSplitPointsBySize: computeSplitPointsBySize,
};
