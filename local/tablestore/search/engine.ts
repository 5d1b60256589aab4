/**
 * The search engine of one Tablestore Local store (docs/protocol-search.md §6): index definitions persisted
 * in the KvStore space `search-index`, index data held in memory and rebuilt from the base tables when the
 * engine attaches (server start-up), then kept in step with every row write through the store's change feed
 * — synchronously, before the write is acknowledged.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../../lib/tablestore/protocol/errors';
import {
  encodeRow,
  type AttributeCell,
  type ColumnValue,
  type PrimaryKeyValue,
} from '../../../lib/tablestore/protocol/plainbuffer';
import { CATALOG_SPACE, type TableRecord } from '../catalog';
import { errors } from '../errors';
import { decodeNewestCells, decodeStoredRow } from '../handlers/wide/row-codec';
import { decodeKey } from '../handlers/wide/keys';
import type { WideTableDefinition } from '../handlers/wide/table';
import type { ChangeFeedKvStore, KvChange, KvObserver } from '../persistence/change-feed';
import type { KvStore, KvWrite } from '../persistence/store';
import { aggregate, groupBy, type AggContext } from './aggregation';
import { compareKeys, decodeToken, encodeToken, matchDocs, page, sortKey, withTieBreak } from './execute';
import {
  ReturnType,
  decodeSearch,
  type ColumnsToGetMsg,
  type ParallelScanRequestMsg,
  type SearchQueryMsg,
  type SearchRequestMsg,
} from './proto';
import { compileQuery } from './query';
import { fieldValues, holdsExactly, mayHoldExactly, type FieldValue, type IndexDefinition } from './schema';
import { SearchIndex, type Doc } from './search-index';
import type { SortSpec } from './sort-spec';

export const SEARCH_INDEX_SPACE = 'search-index';
const DATA_PREFIX = 'wide/';
const enc = new TextEncoder();
const dec = new TextDecoder();

const invalid = (m: string) => errors.parameterInvalid(m);
const indexNotExist = (table: string, name: string) =>
  errors.make(ErrorCode.ObjectNotExist, 404, `The search index ${name} of table ${table} does not exist.`);

function defKey(table: string, name: string): Uint8Array {
  return enc.encode(`${table}\u0000${name}`);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * How the rows of one table become documents of its indexes, worked out once per table (not per row): the
 * columns any index reads, and whether one reads a primary-key column (then the key is decoded).
 */
interface TablePlan {
  readonly indexes: readonly SearchIndex[];
  readonly columns: ReadonlySet<string>;
  readonly tableDef: WideTableDefinition | undefined;
  readonly readsKey: boolean;
}

export interface SearchOutcome {
  readonly totalHits: number;
  readonly rows: Uint8Array[];
  /** The relevance score (§4) of each returned row, in the order of `rows` (one per row). */
  readonly scores: number[];
  readonly nextToken?: Uint8Array | undefined;
  readonly aggs?: Uint8Array | undefined;
  readonly groupBys?: Uint8Array | undefined;
}

interface ScanSession {
  readonly table: string;
  readonly index: string;
  readonly splits: number;
  expiresAtMs: number;
}

export const DEFAULT_LIMIT = 10;
const MAX_LIMIT_FROM_TABLE = 100;
const MAX_LIMIT_FROM_INDEX = 1000;
const MAX_SCAN_LIMIT = 2000;
const DOCS_PER_SPLIT = 10_000;
const MAX_SPLITS = 16;

export class SearchEngine implements KvObserver {
  private readonly tables = new Map<string, Map<string, SearchIndex>>();
  private readonly tableDefs = new Map<string, WideTableDefinition>();
  private readonly sessions = new Map<string, ScanSession>();

  /** Per table, how its rows become documents (dropped whenever its indexes or its definition change). */
  private readonly plans = new Map<string, TablePlan>();

  constructor(private readonly store: KvStore) {
    // Start-up rebuild: all indexes of a table are filled in one pass over its rows (docs/protocol-search.md §6).
    const byTable = new Map<string, SearchIndex[]>();
    for (const { value } of store.scan(SEARCH_INDEX_SPACE)) {
      const def = JSON.parse(dec.decode(value)) as IndexDefinition;
      // A definition whose table is gone (a crash between the two writes of a DeleteTable) is ignored.
      if (!this.tableDef(def.table)) continue;
      const list = byTable.get(def.table) ?? [];
      list.push(this.register(def));
      byTable.set(def.table, list);
    }
    for (const [table, indexes] of byTable) this.fill(table, indexes);
  }

  // ------------------------------------------------------------------------------------ change feed

  observes(space: string): boolean {
    return (
      space === CATALOG_SPACE || (space.startsWith(DATA_PREFIX) && this.tables.has(space.slice(DATA_PREFIX.length)))
    );
  }

  extraWrites(writes: readonly KvWrite[]): readonly KvWrite[] {
    const extra: KvWrite[] = [];
    for (const w of writes) {
      if (w.space !== CATALOG_SPACE || w.value !== undefined) continue;
      const table = dec.decode(w.key);
      for (const name of this.tables.get(table)?.keys() ?? [])
        extra.push({ space: SEARCH_INDEX_SPACE, key: defKey(table, name) });
    }
    return extra;
  }

  changed(changes: readonly KvChange[]): void {
    for (const c of changes) {
      if (c.space === CATALOG_SPACE) {
        const table = dec.decode(c.key);
        this.tableDefs.delete(table);
        this.plans.delete(table);
        if (c.after === undefined) this.tables.delete(table);
        continue;
      }
      const table = c.space.slice(DATA_PREFIX.length);
      const indexes = this.tables.get(table);
      if (!indexes) continue;
      const key = latin1(c.key);
      if (c.after === undefined) {
        for (const index of indexes.values()) index.remove(key);
        continue;
      }
      this.putRow(this.planOf(table), key, c.key, c.after);
    }
  }

  dropped(space: string): void {
    if (!space.startsWith(DATA_PREFIX)) return;
    for (const index of this.tables.get(space.slice(DATA_PREFIX.length))?.values() ?? []) index.clear();
  }

  private planOf(table: string): TablePlan {
    let plan = this.plans.get(table);
    if (!plan) {
      plan = this.planFor(table, [...(this.tables.get(table)?.values() ?? [])]);
      this.plans.set(table, plan);
    }
    return plan;
  }

  private planFor(table: string, indexes: readonly SearchIndex[]): TablePlan {
    const tableDef = this.tableDef(table);
    const columns = new Set(indexes.flatMap((index) => index.def.fields.map((f) => f.name)));
    const readsKey = tableDef !== undefined && tableDef.primaryKey.some((c) => columns.has(c.name));
    return { indexes, columns, tableDef, readsKey };
  }

  /**
   * The one way a row becomes a document, on every write and in a rebuild: the row is decoded once (newest
   * versions of the columns the table's indexes read) and put into each index of the plan.
   */
  private putRow(plan: TablePlan, key: string, keyBytes: Uint8Array, value: Uint8Array): void {
    const cells = decodeNewestCells(value, plan.columns);
    // Primary-key columns may be index fields too; their values live in the key.
    let pk: Map<string, PrimaryKeyValue> | undefined;
    if (plan.readsKey) pk = new Map(decodeKey(plan.tableDef!, keyBytes).map((c) => [c.name, c.value]));
    for (const index of plan.indexes) {
      const values = new Map<string, FieldValue[]>();
      let inexact: string[] | undefined;
      for (const f of index.def.fields) {
        const v = (pk?.get(f.name) as ColumnValue | undefined) ?? cells.values.get(f.name);
        if (v === undefined) continue;
        const vs = fieldValues(f, v);
        if (vs.length > 0) values.set(f.name, vs);
        // Counted only for the fields SQL may read from documents (they are few, TEXT ones are many).
        if (mayHoldExactly(f) && !holdsExactly(f, v, vs)) (inexact ??= []).push(f.name);
      }
      index.put(key, values, cells.ts, inexact);
    }
  }

  /** Fills new (empty) indexes of one table from its rows: one pass over the table, each row decoded once. */
  private fill(table: string, indexes: readonly SearchIndex[]): void {
    const plan = this.planFor(table, indexes);
    for (const { key, value } of this.store.scan(`${DATA_PREFIX}${table}`)) this.putRow(plan, latin1(key), key, value);
  }

  // --------------------------------------------------------------------------------------- catalog

  tableDef(table: string): WideTableDefinition | undefined {
    let def = this.tableDefs.get(table);
    if (!def) {
      const raw = this.store.get(CATALOG_SPACE, enc.encode(table));
      if (!raw) return undefined;
      const record = JSON.parse(dec.decode(raw)) as TableRecord;
      if (record.kind !== 'wide') return undefined;
      def = record.definition as WideTableDefinition;
      this.tableDefs.set(table, def);
    }
    return def;
  }

  /** Adds an empty index to the table's set (fill it before the next write is applied). */
  private register(def: IndexDefinition): SearchIndex {
    const index = new SearchIndex(def);
    let byName = this.tables.get(def.table);
    if (!byName) this.tables.set(def.table, (byName = new Map<string, SearchIndex>()));
    byName.set(def.name, index);
    this.plans.delete(def.table);
    return index;
  }

  // ------------------------------------------------------------------------------------ index admin

  async create(def: IndexDefinition): Promise<void> {
    if (this.tables.get(def.table)?.has(def.name)) {
      throw errors.make(
        ErrorCode.ObjectAlreadyExist,
        409,
        `The search index ${def.name} of table ${def.table} already exists.`,
      );
    }
    this.fill(def.table, [this.register(def)]);
    await this.store.write([
      { space: SEARCH_INDEX_SPACE, key: defKey(def.table, def.name), value: enc.encode(JSON.stringify(def)) },
    ]);
  }

  list(table: string | undefined): IndexDefinition[] {
    const out: IndexDefinition[] = [];
    for (const [t, byName] of this.tables) {
      if (table !== undefined && t !== table) continue;
      for (const index of byName.values()) out.push(index.def);
    }
    return out.sort((a, b) => (a.table === b.table ? (a.name < b.name ? -1 : 1) : a.table < b.table ? -1 : 1));
  }

  /** The search indexes of a table, by name order (the SQL planner picks among them, docs/protocol-sql.md §7). */
  indexesOf(table: string): SearchIndex[] {
    return [...(this.tables.get(table)?.values() ?? [])].sort((a, b) => (a.def.name < b.def.name ? -1 : 1));
  }

  get(table: string, name: string): SearchIndex {
    const index = this.tables.get(table)?.get(name);
    if (!index) throw indexNotExist(table, name);
    return index;
  }

  async updateTtl(table: string, name: string, ttl: number): Promise<void> {
    const index = this.get(table, name);
    index.def = { ...index.def, ttl };
    await this.store.write([
      { space: SEARCH_INDEX_SPACE, key: defKey(table, name), value: enc.encode(JSON.stringify(index.def)) },
    ]);
  }

  async delete(table: string, name: string): Promise<void> {
    this.get(table, name);
    const byName = this.tables.get(table)!;
    byName.delete(name);
    this.plans.delete(table);
    if (byName.size === 0) this.tables.delete(table);
    await this.store.write([{ space: SEARCH_INDEX_SPACE, key: defKey(table, name) }]);
  }

  // ---------------------------------------------------------------------------------------- reading

  /** Encodes result rows: primary key plus the columns asked for, read from the base row. */
  private rows(index: SearchIndex, docs: readonly Doc[], columns: ColumnsToGetMsg | undefined): Uint8Array[] {
    const tableDef = this.tableDef(index.def.table);
    if (!tableDef) throw errors.tableNotExist();
    const type = columns?.return_type ?? ReturnType.NONE;
    const indexFields = new Set(index.def.fields.map((f) => f.name));
    const wanted =
      type === ReturnType.SPECIFIED
        ? new Set(columns?.column_names ?? [])
        : type === ReturnType.ALL_FROM_INDEX
          ? indexFields
          : undefined;
    const space = `${DATA_PREFIX}${index.def.table}`;
    return docs.map((doc) => {
      const keyBytes = Buffer.from(doc.key, 'latin1');
      const primaryKey = decodeKey(tableDef, keyBytes);
      const attributes: AttributeCell[] = [];
      if (type !== ReturnType.NONE) {
        const raw = this.store.get(space, keyBytes);
        if (raw) {
          for (const c of decodeStoredRow(raw).columns) {
            if (wanted && !wanted.has(c.name)) continue;
            const v = c.versions[0];
            if (v) attributes.push({ name: c.name, value: v.value, timestamp: v.ts });
          }
        }
      }
      return encodeRow({ primaryKey, attributes });
    });
  }

  private limitFor(index: SearchIndex, columns: ColumnsToGetMsg | undefined, requested: number | undefined): number {
    const limit = requested ?? DEFAULT_LIMIT;
    const type = columns?.return_type ?? ReturnType.NONE;
    const fields = new Set(index.def.fields.map((f) => f.name));
    const fromIndexOnly =
      type === ReturnType.NONE ||
      type === ReturnType.ALL_FROM_INDEX ||
      (type === ReturnType.SPECIFIED && (columns?.column_names ?? []).every((n) => fields.has(n)));
    const max = fromIndexOnly ? MAX_LIMIT_FROM_INDEX : MAX_LIMIT_FROM_TABLE;
    if (limit < 0 || limit > max)
      throw invalid(`Invalid limit: ${limit}. It must be in [0, ${max}] for these columns_to_get.`);
    return limit;
  }

  private checkColumns(columns: ColumnsToGetMsg | undefined): void {
    const type = columns?.return_type;
    if (type !== undefined && !Object.values(ReturnType).includes(type as 1))
      throw invalid(`Invalid columns_to_get return_type: ${type}.`);
    if (type === ReturnType.SPECIFIED && (columns?.column_names.length ?? 0) === 0)
      throw invalid('RETURN_SPECIFIED needs column_names.');
  }

  search(req: SearchRequestMsg, nowMs: number): SearchOutcome {
    const index = this.get(req.table_name ?? '', req.index_name ?? '');
    if (!req.search_query || req.search_query.length === 0) throw invalid('The search request needs a search_query.');
    const sq = decodeSearch<SearchQueryMsg>('SearchQuery', req.search_query);
    if (sq.highlight && sq.highlight.length > 0) throw invalid('Highlighting is not supported by Tablestore Local.');
    this.checkColumns(req.columns_to_get);
    const limit = this.limitFor(index, req.columns_to_get, sq.limit);
    const query = compileQuery(index, sq.query);
    const matched = matchDocs(index, query, nowMs);
    const result = page(index, sq, query, matched, limit);
    const ctx: AggContext = {
      index,
      topRows: (docs, n, sort) => {
        const spec = withTieBreak(sort ?? index.def.indexSort ?? []);
        const keyed = docs.map((d) => ({ d, k: sortKey(index, d, spec, query) }));
        keyed.sort((a, b) => compareKeys(a.k, b.k, spec));
        return this.rows(
          index,
          keyed.slice(0, n).map((x) => x.d),
          req.columns_to_get ?? { return_type: ReturnType.ALL, column_names: [] },
        );
      },
    };
    return {
      totalHits: sq.getTotalCount ? matched.length : -1,
      rows: this.rows(index, result.page, req.columns_to_get),
      // Scored whatever the sort, like the service's search_hits (docs/protocol-search.md §4); only the page is scored.
      scores: result.page.map((d) => query.score(d.values)),
      nextToken: result.nextToken,
      aggs: aggregate(ctx, sq.aggs, matched),
      groupBys: groupBy(ctx, sq.group_bys, matched),
    };
  }

  // --------------------------------------------------------------------------------- parallel scan

  computeSplits(table: string, name: string, nowMs: number): { sessionId: Uint8Array; splits: number } {
    const index = this.get(table, name);
    const splits = Math.min(MAX_SPLITS, Math.max(1, Math.ceil(index.size / DOCS_PER_SPLIT)));
    const id = randomBytes(16);
    for (const [k, s] of this.sessions) if (s.expiresAtMs < nowMs) this.sessions.delete(k);
    this.sessions.set(id.toString('hex'), { table, index: name, splits, expiresAtMs: nowMs + 3600_000 });
    return { sessionId: id, splits };
  }

  /**
   * One page of a parallel scan: rows in primary-key order (walking the base table's ordered space, so a
   * page costs about its size), each parallel id taking the rows whose key hashes to it.
   */
  parallelScan(req: ParallelScanRequestMsg, nowMs: number): { rows: Uint8Array[]; nextToken?: Uint8Array | undefined } {
    const index = this.get(req.table_name ?? '', req.index_name ?? '');
    const sessionHex = Buffer.from(req.session_id ?? new Uint8Array(0)).toString('hex');
    const session = this.sessions.get(sessionHex);
    if (
      !session ||
      session.expiresAtMs < nowMs ||
      session.table !== index.def.table ||
      session.index !== index.def.name
    ) {
      throw invalid('The parallel scan session does not exist or has expired: call ComputeSplits again.');
    }
    const sq = req.scan_query ?? {};
    const maxParallel = sq.max_parallel ?? 1;
    const current = sq.current_parallel_id ?? 0;
    if (maxParallel < 1 || maxParallel > session.splits)
      throw invalid(`max_parallel must be in [1, ${session.splits}] (the splits_size of the session).`);
    if (current < 0 || current >= maxParallel) throw invalid(`current_parallel_id must be in [0, ${maxParallel - 1}].`);
    const limit = sq.limit ?? 100;
    if (limit < 1 || limit > MAX_SCAN_LIMIT)
      throw invalid(`Invalid scan limit: ${limit}. It must be in [1, ${MAX_SCAN_LIMIT}].`);
    this.checkColumns(req.columns_to_get);
    const type = req.columns_to_get?.return_type;
    if (type === ReturnType.ALL)
      throw invalid('ParallelScan does not support RETURN_ALL: use RETURN_ALL_FROM_INDEX or RETURN_SPECIFIED.');
    session.expiresAtMs = nowMs + Math.max(60, sq.alive_time ?? 60) * 1000;
    const query = compileQuery(index, sq.query);
    let after: string | undefined;
    if (sq.token && sq.token.length > 0) {
      const t = decodeToken(sq.token, index.def.name);
      after = typeof t.after[0] === 'string' ? t.after[0] : undefined;
    }
    const cutoff = index.def.ttl > 0 ? nowMs - index.def.ttl * 1000 : -Infinity;
    const found: Doc[] = [];
    let more = false;
    const gte = after !== undefined ? Buffer.from(`${after}\u0000`, 'latin1') : undefined;
    for (const { key } of this.store.scan(`${DATA_PREFIX}${index.def.table}`, gte ? { gte } : {})) {
      const k = latin1(key);
      if (maxParallel > 1 && hash(k) % maxParallel !== current) continue;
      const doc = index.docByKey(k);
      if (!doc || doc.ts <= cutoff || !query.test(doc.values)) continue;
      if (found.length === limit) {
        more = true;
        break;
      }
      found.push(doc);
    }
    const last = found[found.length - 1];
    const spec: SortSpec = [{ kind: 'pk', order: 1 }];
    return {
      rows: this.rows(index, found, req.columns_to_get),
      nextToken: more && last ? encodeToken({ v: 1, index: index.def.name, sort: spec, after: [last.key] }) : undefined,
    };
  }
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const engines = new WeakMap<KvStore, SearchEngine>();

/** Attaches the search engine to a store's change feed (once per store) and returns it. */
export function attachSearchEngine(store: ChangeFeedKvStore): SearchEngine {
  let engine = engines.get(store);
  if (!engine) {
    engine = new SearchEngine(store);
    store.addObserver(engine);
    engines.set(store, engine);
  }
  return engine;
}

/** The engine attached to a handler's store. */
export function searchEngineOf(store: KvStore): SearchEngine {
  const engine = engines.get(store);
  if (!engine) throw errors.internal();
  return engine;
}

/** Same as `searchEngineOf`, but undefined for a store without one (no search index can exist there). */
export function findSearchEngine(store: KvStore): SearchEngine | undefined {
  return engines.get(store);
}
