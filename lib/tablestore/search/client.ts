/**
 * SearchClient: the search-index APIs (docs/protocol-search.md) over the project's one transport, so search
 * calls share the wide and time series clients' retries, deadlines and keep-alive pool. A separate module
 * from wide.ts so that bundles which never search do not carry the search encoders.
 *
 *   const search = new SearchClient({ transport: wide.transport });
 *   const page = await search.search('orders', 'orders_idx', { query: q.term('status', 'paid'), limit: 20 });
 *
 * Rows are the wide client's plain objects (int64 as number or bigint, binary as Uint8Array). Input mistakes
 * are reported before anything is sent, as OTSParameterInvalid whose message starts with a JSON pointer
 * naming the bad part (the encoders of query.ts / aggregations.ts).
 */
import { decodeReadRows, encodePrimaryKey, PlainBufferError } from '../protocol/plainbuffer';
import { invalidInput } from '../protocol/errors';
import type { CallOptions, Transport } from '../transport/index';
import { callApi, malformedResponse } from '../transport/index';
import { toPrimaryKeyValue, type PrimaryKeyInput } from '../values';
import { toRow, type CapacityUnit, type Row } from '../wide';
import {
  decodeAggregationsBytes,
  decodeGroupBysBytes,
  encodeAggregations,
  encodeGroupBys,
  type Aggregation,
  type AggregationResultOf,
  type GroupBy,
  type GroupByResultOf,
} from './aggregations';
import { SearchInputError } from './input-error';
import {
  arrayAt,
  boolAt,
  DEFAULT_CONTEXT,
  encodeQuery,
  encodeSort,
  intAt,
  objectAt,
  stringAt,
  type EncodeContext,
  type Query,
  type Sort,
} from './query';
import { decodeIndexSchema, encodeIndexSchema, type SearchIndexSchema } from './schema';
import {
  decodeSearch,
  encodeSearch,
  ReturnType,
  type ColumnsToGetMsg,
  type QueryMsg,
  type SearchQueryMsg,
} from './wire';

export type SearchCallOptions = Pick<CallOptions, 'deadlineMs' | 'signal'>;

/** Which columns come back with each row besides the primary key. */
export type SearchColumns = 'none' | 'all' | 'allFromIndex' | readonly string[];

export interface SearchRequest<
  A extends Readonly<Record<string, Aggregation>> = Readonly<Record<string, Aggregation>>,
  G extends Readonly<Record<string, GroupBy>> = Readonly<Record<string, GroupBy>>,
> {
  /** Default: match all. */
  readonly query?: Query;
  /** Default: the index sort, else primary key ascending. Not allowed together with `nextToken`. */
  readonly sort?: readonly Sort[];
  readonly offset?: number;
  /** Rows per page (default 10; 0 for aggregations only). */
  readonly limit?: number;
  /** The previous page's `nextToken`. */
  readonly nextToken?: Uint8Array;
  /** Return `totalCount`, the number of matching rows. */
  readonly trackTotalCount?: boolean;
  /** Default 'none' (primary key only). */
  readonly columns?: SearchColumns;
  /** Keep the first row per value of this field. */
  readonly collapse?: string;
  readonly aggregations?: A;
  readonly groupBys?: G;
  readonly routingValues?: readonly PrimaryKeyInput[];
  readonly timeoutMs?: number;
}

export interface SearchResult<
  A extends Readonly<Record<string, Aggregation>> = Readonly<Record<string, Aggregation>>,
  G extends Readonly<Record<string, GroupBy>> = Readonly<Record<string, GroupBy>>,
> {
  readonly rows: Row[];
  /**
   * The relevance score of each row, `scores[i]` belonging to `rows[i]`, when the server returns one search hit
   * per row (Tablestore Local always does; docs/protocol-search.md §4); empty for a page without rows. NaN for a
   * hit without a score. Absent when rows come without hits, or with a number of hits other than the rows'
   * (ignored, as the official SDKs do).
   */
  readonly scores?: number[];
  /** With `trackTotalCount`. */
  readonly totalCount?: number;
  /** Present while more rows follow this page. */
  readonly nextToken?: Uint8Array;
  readonly isAllSucceeded: boolean;
  readonly aggregations: { readonly [K in keyof A]: AggregationResultOf<A[K]> };
  readonly groupBys: { readonly [K in keyof G]: GroupByResultOf<G[K]> };
  readonly consumed: CapacityUnit;
}

export interface SearchIndexInfo {
  readonly table: string;
  readonly index: string;
}

export interface SearchIndexDescription {
  readonly schema: SearchIndexSchema;
  /** 'full' while the index is built from the table, then 'incremental'. */
  readonly syncPhase?: 'full' | 'incremental';
  /** ms since the epoch up to which writes are visible in the index. */
  readonly currentSyncTimestamp?: number;
  readonly status?: 'pending' | 'failed' | 'running';
  readonly statusDescription?: string;
  /** ms since the epoch (the wire carries µs). */
  readonly createTime?: number;
  /** Seconds; -1 = forever. */
  readonly timeToLive?: number;
  readonly meteringInfo?: { readonly storageSize: number; readonly rowCount: number; readonly timestamp: number };
}

export interface ParallelScanOptions {
  readonly query?: Query;
  /** Default 'allFromIndex'; 'all' is not served by a parallel scan. */
  readonly columns?: Exclude<SearchColumns, 'all'>;
  /** Rows per page (default 100, at most 2000). */
  readonly limit?: number;
  /** How many splits run at once (default: every split of the session, one after the other when 1). */
  readonly concurrency?: number;
  /** Seconds the session stays alive between pages (default 60). */
  readonly aliveTimeS?: number;
  readonly timeoutMs?: number;
}

export interface ComputeSplitsResult {
  readonly sessionId: Uint8Array;
  readonly splits: number;
}

export interface ParallelScanPage {
  readonly rows: Row[];
  readonly nextToken?: Uint8Array;
}

export type SearchClientOptions = { readonly transport: Transport };

const RETURN_TYPE = { all: ReturnType.ALL, none: ReturnType.NONE, allFromIndex: ReturnType.ALL_FROM_INDEX } as const;

/** Encodes (and checks) `columns`. */
export function encodeColumns(raw: unknown, pointer: string, fallback: keyof typeof RETURN_TYPE): ColumnsToGetMsg {
  if (raw === undefined) return { return_type: RETURN_TYPE[fallback], column_names: [] };
  if (typeof raw === 'string') {
    if (!Object.hasOwn(RETURN_TYPE, raw))
      throw new SearchInputError(pointer, "must be 'none', 'all', 'allFromIndex' or an array of column names");
    return { return_type: RETURN_TYPE[raw as keyof typeof RETURN_TYPE], column_names: [] };
  }
  const names = arrayAt(raw, pointer, 1024, 1).map((n, i) => stringAt(n, `${pointer}/${i}`));
  return { return_type: ReturnType.SPECIFIED, column_names: names };
}

const REQUEST_KEYS = [
  'query',
  'sort',
  'offset',
  'limit',
  'nextToken',
  'trackTotalCount',
  'columns',
  'collapse',
  'aggregations',
  'groupBys',
  'routingValues',
  'timeoutMs',
];

/** The checked wire form of a SearchRequest (or of the HTTP DSL, through `ctx`). */
export function encodeSearchRequest(
  raw: unknown,
  ctx: EncodeContext = DEFAULT_CONTEXT,
): { query: SearchQueryMsg; columns: ColumnsToGetMsg; routingValues: Uint8Array[]; timeoutMs?: number } {
  const r = objectAt(raw, '', REQUEST_KEYS);
  const limit = r.limit === undefined ? undefined : intAt(r.limit, '/limit', 0, 1000);
  const offset = r.offset === undefined ? undefined : intAt(r.offset, '/offset', 0, 100_000);
  if ((offset ?? 0) + (limit ?? 10) > 100_000)
    throw new SearchInputError('/offset', 'plus limit must not exceed 100000');
  if (r.nextToken !== undefined && !(r.nextToken instanceof Uint8Array))
    throw new SearchInputError('/nextToken', 'must be the bytes of a previous nextToken');
  if (r.nextToken !== undefined && r.sort !== undefined)
    throw new SearchInputError('/sort', 'cannot be given with a next token (the token carries the sort)');
  const query: SearchQueryMsg = {
    query: r.query === undefined ? { type: 11, query: new Uint8Array(0) } : encodeQuery(r.query, '/query', ctx),
    ...(offset === undefined ? {} : { offset }),
    ...(limit === undefined ? {} : { limit }),
    ...(r.sort === undefined ? {} : { sort: encodeSort(r.sort, '/sort', ctx) }),
    ...(r.trackTotalCount === undefined ? {} : { getTotalCount: boolAt(r.trackTotalCount, '/trackTotalCount') }),
    ...(r.nextToken === undefined ? {} : { token: r.nextToken }),
    ...(r.collapse === undefined ? {} : { collapse: { field_name: stringAt(r.collapse, '/collapse') } }),
    ...(r.aggregations === undefined ? {} : { aggs: encodeAggregations(r.aggregations, '/aggregations', ctx) }),
    ...(r.groupBys === undefined ? {} : { group_bys: encodeGroupBys(r.groupBys, '/groupBys', ctx) }),
  };
  const routingValues =
    r.routingValues === undefined
      ? []
      : arrayAt(r.routingValues, '/routingValues', 1000).map((pk, i) => {
          const o = objectAt(pk, `/routingValues/${i}`, Object.keys(pk ?? {}));
          return encodePrimaryKey(
            Object.keys(o).map((name) => ({
              name,
              value: toPrimaryKeyValue(o[name] as PrimaryKeyInput[string], `/routingValues/${i}/${name}`),
            })),
          );
        });
  return {
    query,
    columns: encodeColumns(r.columns, '/columns', 'none'),
    routingValues,
    ...(r.timeoutMs === undefined ? {} : { timeoutMs: intAt(r.timeoutMs, '/timeoutMs', 1, 3_600_000) }),
  };
}

function rowsOf(api: string, list: readonly Uint8Array[]): Row[] {
  const rows: Row[] = [];
  try {
    for (const bytes of list) for (const r of decodeReadRows(bytes)) rows.push(toRow(r, false));
  } catch (err) {
    if (err instanceof PlainBufferError) throw malformedResponse(api, err.message);
    throw err;
  }
  return rows;
}

const capacity = (c: { capacity_unit?: { read?: number; write?: number } } | undefined): CapacityUnit => ({
  read: c?.capacity_unit?.read ?? 0,
  write: c?.capacity_unit?.write ?? 0,
});

const SYNC_PHASE: Record<number, 'full' | 'incremental'> = { 1: 'full', 2: 'incremental' };
const STATUS: Record<number, 'pending' | 'failed' | 'running'> = { 1: 'pending', 2: 'failed', 3: 'running' };

export class SearchClient {
  readonly transport: Transport;

  constructor(options: SearchClientOptions) {
    this.transport = options.transport;
  }

  /** Encodes (input mistakes become OTSParameterInvalid before anything is sent), calls, decodes. */
  private async call<T>(
    api: string,
    build: () => Uint8Array,
    decode: (reply: Uint8Array) => T,
    options?: SearchCallOptions,
  ): Promise<T> {
    return callApi(this.transport, api, build, decode, options);
  }

  /** Every search index of `table` (or of the instance). */
  async listSearchIndex(table?: string, options?: SearchCallOptions): Promise<SearchIndexInfo[]> {
    return this.call(
      'ListSearchIndex',
      () => encodeSearch('ListSearchIndexRequest', table === undefined ? {} : { table_name: table }),
      (reply) =>
        decodeSearch<{ indices: Array<{ table_name?: string; index_name?: string }> }>(
          'ListSearchIndexResponse',
          reply,
        ).indices.map((i) => ({ table: i.table_name ?? '', index: i.index_name ?? '' })),
      options,
    );
  }

  async describeSearchIndex(
    table: string,
    index: string,
    options?: SearchCallOptions,
  ): Promise<SearchIndexDescription> {
    return this.call(
      'DescribeSearchIndex',
      () => encodeSearch('IndexNameRequest', { table_name: table, index_name: index }),
      (reply) => {
        const r = decodeSearch<{
          schema?: Parameters<typeof decodeIndexSchema>[0];
          sync_stat?: { sync_phase?: number; current_sync_timestamp?: bigint };
          metering_info?: { storage_size?: bigint; row_count?: bigint; timestamp?: bigint };
          create_time?: bigint;
          time_to_live?: number;
          index_status?: { status?: number; status_description?: string };
        }>('DescribeSearchIndexResponse', reply);
        const phase = SYNC_PHASE[r.sync_stat?.sync_phase ?? 0];
        const status = STATUS[r.index_status?.status ?? 0];
        const ts = r.sync_stat?.current_sync_timestamp;
        return {
          schema: decodeIndexSchema(r.schema),
          ...(phase ? { syncPhase: phase } : {}),
          // The wire carries nanoseconds here and microseconds in create_time (docs/protocol-search.md §1).
          ...(ts !== undefined ? { currentSyncTimestamp: Math.floor(Number(ts) / 1e6) } : {}),
          ...(status ? { status } : {}),
          ...(r.index_status?.status_description ? { statusDescription: r.index_status.status_description } : {}),
          ...(r.create_time !== undefined ? { createTime: Math.floor(Number(r.create_time) / 1000) } : {}),
          ...(r.time_to_live !== undefined ? { timeToLive: r.time_to_live } : {}),
          ...(r.metering_info
            ? {
                meteringInfo: {
                  storageSize: Number(r.metering_info.storage_size ?? 0),
                  rowCount: Number(r.metering_info.row_count ?? 0),
                  timestamp: Number(r.metering_info.timestamp ?? 0),
                },
              }
            : {}),
        };
      },
      options,
    );
  }

  async createSearchIndex(
    table: string,
    index: string,
    schema: SearchIndexSchema,
    options?: SearchCallOptions,
  ): Promise<void> {
    await this.call(
      'CreateSearchIndex',
      () =>
        encodeSearch('CreateSearchIndexRequest', {
          table_name: table,
          index_name: index,
          schema: encodeIndexSchema(schema),
          ...(schema.timeToLive === undefined ? {} : { time_to_live: schema.timeToLive }),
        }),
      () => undefined,
      options,
    );
  }

  /** Changes what an index allows changing after creation: its time to live (seconds, -1 = forever). */
  async updateSearchIndex(
    table: string,
    index: string,
    change: { readonly timeToLive: number },
    options?: SearchCallOptions,
  ): Promise<void> {
    await this.call(
      'UpdateSearchIndex',
      () =>
        encodeSearch('UpdateSearchIndexRequest', {
          table_name: table,
          index_name: index,
          time_to_live: change.timeToLive,
        }),
      () => undefined,
      options,
    );
  }

  async deleteSearchIndex(table: string, index: string, options?: SearchCallOptions): Promise<void> {
    await this.call(
      'DeleteSearchIndex',
      () => encodeSearch('IndexNameRequest', { table_name: table, index_name: index }),
      () => undefined,
      options,
    );
  }

  /** One page of a search; pass the result's `nextToken` back as `nextToken` for the next page. */
  async search<
    const A extends Readonly<Record<string, Aggregation>> = Record<never, Aggregation>,
    const G extends Readonly<Record<string, GroupBy>> = Record<never, GroupBy>,
  >(
    table: string,
    index: string,
    request: SearchRequest<A, G> = {},
    options?: SearchCallOptions,
  ): Promise<SearchResult<A, G>> {
    try {
      return (await this.searchWith(table, index, request, DEFAULT_CONTEXT, options)) as SearchResult<A, G>;
    } catch (err) {
      if (err instanceof SearchInputError) throw invalidInput(`Search: ${err.message}`);
      throw err;
    }
  }

  /**
   * `search` for a request that is not (yet) known to be a SearchRequest: `raw` is checked as it is encoded
   * and `ctx.value` reads its values (the HTTP API's lossless JSON). Throws SearchInputError on bad input.
   */
  async searchWith(
    table: string,
    index: string,
    raw: unknown,
    ctx: EncodeContext,
    options?: SearchCallOptions,
  ): Promise<SearchResult> {
    const encoded = encodeSearchRequest(raw, ctx);
    return this.call(
      'Search',
      () =>
        encodeSearch('SearchRequest', {
          table_name: table,
          index_name: index,
          columns_to_get: encoded.columns,
          search_query: encodeSearch('SearchQuery', encoded.query),
          routing_values: encoded.routingValues,
          ...(encoded.timeoutMs === undefined ? {} : { timeout_ms: encoded.timeoutMs }),
        }),
      (reply) => {
        const r = decodeSearch<{
          total_hits?: bigint;
          rows: Uint8Array[];
          is_all_succeeded?: boolean;
          search_hits: { score?: number }[];
          next_token?: Uint8Array;
          aggs?: Uint8Array;
          group_bys?: Uint8Array;
          consumed?: { capacity_unit?: { read?: number; write?: number } };
        }>('SearchResponse', reply);
        const total = r.total_hits === undefined ? -1 : Number(r.total_hits);
        const hits = r.search_hits;
        return {
          rows: rowsOf('Search', r.rows),
          // Zero hits for zero rows is one per row too: a page without rows has `scores: []`.
          ...(hits.length === r.rows.length ? { scores: hits.map((h) => h.score ?? Number.NaN) } : {}),
          ...(encoded.query.getTotalCount && total >= 0 ? { totalCount: total } : {}),
          ...(r.next_token && r.next_token.length > 0 ? { nextToken: new Uint8Array(r.next_token) } : {}),
          isAllSucceeded: r.is_all_succeeded ?? true,
          aggregations: decodeAggregationsBytes(r.aggs),
          groupBys: decodeGroupBysBytes(r.group_bys),
          consumed: capacity(r.consumed),
        };
      },
      options,
    );
  }

  /** Every page of a search, following `nextToken` (the request must not set a sort together with a token). */
  async *searchPages<
    const A extends Readonly<Record<string, Aggregation>> = Record<never, Aggregation>,
    const G extends Readonly<Record<string, GroupBy>> = Record<never, GroupBy>,
  >(
    table: string,
    index: string,
    request: SearchRequest<A, G> = {},
    options?: SearchCallOptions,
  ): AsyncGenerator<SearchResult<A, G>> {
    let page = await this.search(table, index, request, options);
    yield page;
    while (page.nextToken) {
      const { sort: _sort, offset: _offset, ...rest } = request;
      page = await this.search(table, index, { ...rest, nextToken: page.nextToken }, options);
      yield page;
    }
  }

  /** Starts a parallel-scan session: its id and how many splits (parallel ids) it has. */
  async computeSplits(table: string, index: string, options?: SearchCallOptions): Promise<ComputeSplitsResult> {
    return this.call(
      'ComputeSplits',
      () =>
        encodeSearch('ComputeSplitsRequest', { table_name: table, search_index_splits_options: { index_name: index } }),
      (reply) => {
        const r = decodeSearch<{ session_id?: Uint8Array; splits_size?: number }>('ComputeSplitsResponse', reply);
        if (!r.session_id || !r.splits_size || r.splits_size < 1) throw new TypeError('no session or no splits');
        return { sessionId: new Uint8Array(r.session_id), splits: r.splits_size };
      },
      options,
    );
  }

  /** One page of one split of a parallel scan (low level; `parallelScan` walks them all). */
  async parallelScanPage(
    table: string,
    index: string,
    p: {
      readonly sessionId: Uint8Array;
      readonly parallelId: number;
      readonly maxParallel: number;
      readonly query?: Query;
      readonly columns?: Exclude<SearchColumns, 'all'>;
      readonly limit?: number;
      readonly aliveTimeS?: number;
      readonly token?: Uint8Array;
      readonly timeoutMs?: number;
    },
    options?: SearchCallOptions,
  ): Promise<ParallelScanPage> {
    return this.call(
      'ParallelScan',
      () => {
        const query: QueryMsg =
          p.query === undefined ? { type: 11, query: new Uint8Array(0) } : encodeQuery(p.query, '/query');
        return encodeSearch('ParallelScanRequest', {
          table_name: table,
          index_name: index,
          columns_to_get: encodeColumns(p.columns, '/columns', 'allFromIndex'),
          session_id: p.sessionId,
          scan_query: {
            query,
            limit: p.limit === undefined ? 100 : intAt(p.limit, '/limit', 1, 2000),
            alive_time: p.aliveTimeS ?? 60,
            current_parallel_id: p.parallelId,
            max_parallel: p.maxParallel,
            ...(p.token ? { token: p.token } : {}),
          },
          ...(p.timeoutMs === undefined ? {} : { timeout_ms: p.timeoutMs }),
        });
      },
      (reply) => {
        const r = decodeSearch<{ rows: Uint8Array[]; next_token?: Uint8Array }>('ParallelScanResponse', reply);
        return {
          rows: rowsOf('ParallelScan', r.rows),
          ...(r.next_token && r.next_token.length > 0 ? { nextToken: new Uint8Array(r.next_token) } : {}),
        };
      },
      options,
    );
  }

  /**
   * Every row the query matches, each exactly once: ComputeSplits, then every split's ParallelScan pages
   * chained by their tokens, `concurrency` splits at a time (rows of different splits interleave then).
   */
  async *parallelScan(
    table: string,
    index: string,
    scan: ParallelScanOptions = {},
    options?: SearchCallOptions,
  ): AsyncGenerator<Row> {
    const { sessionId, splits } = await this.computeSplits(table, index, options);
    const concurrency = Math.max(1, Math.min(scan.concurrency ?? 1, splits));
    const base = {
      sessionId,
      maxParallel: splits,
      ...(scan.query === undefined ? {} : { query: scan.query }),
      ...(scan.columns === undefined ? {} : { columns: scan.columns }),
      ...(scan.limit === undefined ? {} : { limit: scan.limit }),
      ...(scan.aliveTimeS === undefined ? {} : { aliveTimeS: scan.aliveTimeS }),
      ...(scan.timeoutMs === undefined ? {} : { timeoutMs: scan.timeoutMs }),
    };
    // Each split is a chain of pages; up to `concurrency` chains have one page request in flight.
    interface Chain {
      readonly parallelId: number;
      pending: Promise<{ chain: Chain; page: ParallelScanPage }>;
    }
    const start = (parallelId: number, token?: Uint8Array): Chain => {
      const chain: Chain = { parallelId, pending: undefined as never };
      chain.pending = this.parallelScanPage(
        table,
        index,
        { ...base, parallelId, ...(token ? { token } : {}) },
        options,
      ).then((page) => ({ chain, page }));
      return chain;
    };
    let nextSplit = 0;
    const running = new Set<Chain>();
    try {
      while (nextSplit < splits && running.size < concurrency) running.add(start(nextSplit++));
      while (running.size > 0) {
        const { chain, page } = await Promise.race([...running].map((c) => c.pending));
        running.delete(chain);
        if (page.nextToken) running.add(start(chain.parallelId, page.nextToken));
        else if (nextSplit < splits) running.add(start(nextSplit++));
        yield* page.rows;
      }
    } finally {
      // An abandoned iteration leaves requests in flight: their outcome no longer matters.
      for (const c of running) c.pending.catch(() => undefined);
    }
  }
}

export type { SearchIndexSchema } from './schema';
