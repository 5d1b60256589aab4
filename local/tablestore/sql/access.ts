/**
 * Access path of one FROM source (docs/protocol-sql.md §7): a search index, a secondary index, the primary-key
 * range, or a scan — in the service's order of preference. An index only ever yields candidate base keys (a
 * superset of the rows WHERE can accept); the base rows are then read at those keys, in primary-key order,
 * and every condition is evaluated on them as on a scan. So the rows that reach the filter are the rows a scan
 * of the key range would let through, in the same order, and an index changes the cost of a query, never its
 * answer. An index whose candidates would pass the scan limit is not used (the key range is read instead).
 */
import { decodeKey, encodeKey } from '../handlers/wide/keys';
import { PkType } from '../handlers/wide/table';
import { findIndexMaintainer, skippedSpace } from '../indexes/maintainer';
import type { KvStore } from '../persistence/store';
import { findSearchEngine } from '../search/engine';
import { FieldType } from '../search/proto';
import { addIds, type Doc, type SearchIndex } from '../search/search-index';
import { literalValue, type Row } from './expr';
import type { MappedColumn, SqlTable } from './mapping';
import type { AccessPlan, SqlEngineOptions } from './options';
import type { AstNode } from './parse';
import { columnName } from './parse';
import { keyColumns, planKeyRange, type KeyColumn } from './plan';
import { MAX_SCAN_ROWS, type KeyRange } from './scan';
import { compareStrings, SqlType, type SqlValue } from './values';

export interface SourceAccess {
  readonly plan: AccessPlan;
  /** Key range of the base table the conditions allow ('empty': nothing can match). */
  readonly range: KeyRange | 'empty';
  /** Index access: the candidate base keys, ascending, read instead of scanning `range`. */
  readonly keys?: readonly Uint8Array[];
  /** Bytes read from the index (consumed capacity), under the index table's name or the search index's. */
  readonly indexRead?: { readonly name: string; readonly search: boolean; readonly bytes: number };
}

export interface AccessQuery {
  readonly store: KvStore;
  readonly table: SqlTable;
  readonly where: AstNode | null;
  /** Whether a column reference names this source. */
  readonly refersTo: (ref: AstNode) => boolean;
  /** Columns of this source the query names anywhere (select list, WHERE, GROUP BY, HAVING, ORDER BY, ON). */
  readonly referenced: ReadonlySet<string>;
  readonly options?: SqlEngineOptions | undefined;
  /** Indexes the statement allows (`USE INDEX (…)`); undefined: all. */
  readonly allowed?: ReadonlySet<string> | undefined;
}

/** Names of the secondary and search indexes of a table. */
export function indexNames(store: KvStore, table: string): string[] {
  return [
    ...(findIndexMaintainer(store)
      ?.list(table)
      .map((d) => d.name) ?? []),
    ...(findSearchEngine(store)
      ?.indexesOf(table)
      .map((i) => i.def.name) ?? []),
  ];
}

const SQL_TYPE_OF_PK: Record<number, SqlType> = {
  [PkType.INTEGER]: SqlType.LONG,
  [PkType.STRING]: SqlType.STRING,
  [PkType.BINARY]: SqlType.BINARY,
};

const byBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

/** The mapped column a reference names when it is a column of this source (undefined for anything else). */
function sourceColumn(q: AccessQuery): (ref: AstNode) => MappedColumn | undefined {
  return (ref) =>
    ref.type === 'column_ref' && q.refersTo(ref) ? q.table.columns.find((c) => c.name === columnName(ref)) : undefined;
}

export function chooseAccess(q: AccessQuery): SourceAccess {
  const { table } = q;
  const base = planKeyRange(keyColumns(table), q.where, q.refersTo);
  const fallback: SourceAccess = {
    plan: { table: table.name, kind: base.matched > 0 || base.range === 'empty' ? 'pk-range' : 'scan' },
    range: base.range,
  };
  if (base.range === 'empty' || table.kind !== 'wide' || q.options?.indexes === false || !q.where) return fallback;
  return searchAccess(q, table, base.range) ?? secondaryAccess(q, table, base.range, base.matched) ?? fallback;
}

// ------------------------------------------------------------------------------------------- search index

/**
 * First choice: a search index holding every column the query names (primary-key columns are always there,
 * as the key of its documents), when WHERE gives it something to look up.
 */
function searchAccess(q: AccessQuery, table: WideSqlTable, range: KeyRange): SourceAccess | undefined {
  const engine = findSearchEngine(q.store);
  if (!engine) return undefined;
  const pk = new Set(table.def.primaryKey.map((c) => c.name));
  for (const index of engine.indexesOf(table.source)) {
    if (q.allowed && !q.allowed.has(index.def.name)) continue;
    const fields = new Set(index.def.fields.map((f) => f.name));
    if (![...q.referenced].every((name) => pk.has(name) || fields.has(name))) continue;
    const ids = candidates(index, q.where!, sourceColumn(q))?.ids;
    if (!ids || ids.size > MAX_SCAN_ROWS) continue;
    let bytes = 0;
    const keys: Buffer[] = [];
    for (const id of ids) {
      const doc = index.docs[id];
      if (!doc) continue;
      const key = Buffer.from(doc.key, 'latin1');
      bytes += key.length;
      keys.push(key);
    }
    keys.sort(byBytes);
    return {
      plan: { table: table.name, kind: 'search-index', index: index.def.name },
      range,
      keys,
      indexRead: { name: index.def.name, search: true, bytes },
    };
  }
  return undefined;
}

type WideSqlTable = Extract<SqlTable, { kind: 'wide' }>;

export interface PushedCount {
  readonly count: number;
  readonly plan: AccessPlan;
  readonly index: string;
  /** Bytes of the doc keys counted (consumed capacity of the search index). */
  readonly bytes: number;
}

/**
 * COUNT(*) answered by a search index alone (the service's aggregate pushdown, docs/protocol-sql.md §7.1):
 * without WHERE the index's document count, else the size of an exact lookup (every part of WHERE looked
 * up, no rounded value). Only on a table without TTL, where every stored row is a live row and has exactly
 * one document. Undefined when no index can count exactly; the caller then reads rows as usual.
 */
export function countThroughSearch(q: AccessQuery): PushedCount | undefined {
  const { table } = q;
  if (table.kind !== 'wide' || q.options?.indexes === false || table.def.options.timeToLive !== -1) return undefined;
  const engine = findSearchEngine(q.store);
  if (!engine) return undefined;
  for (const index of engine.indexesOf(table.source)) {
    if (q.allowed && !q.allowed.has(index.def.name)) continue;
    const plan: AccessPlan = { table: table.name, kind: 'search-index', index: index.def.name, pushdown: 'count' };
    if (!q.where) return { count: index.size, plan, index: index.def.name, bytes: 0 };
    const found = candidates(index, q.where, sourceColumn(q));
    if (!found?.exact) continue;
    let bytes = 0;
    for (const id of found.ids) bytes += index.docs[id]?.key.length ?? 0;
    return { count: found.ids.size, plan, index: index.def.name, bytes };
  }
  return undefined;
}

export interface PushedRows {
  /** The rows, primary-key order, made as they are read: in the layout a scan yields (key columns NULL unless asked for). */
  readonly rows: Iterable<Row>;
  readonly plan: AccessPlan;
  readonly index: string;
  /** Bytes of the doc keys read (consumed capacity of the search index). */
  readonly bytes: number;
}

/**
 * The rows of a grouped query (GROUP BY or aggregates over one table) taken from a search index's documents
 * instead of the table: the service's aggregate pushdown (docs/protocol-sql.md §7.1). Only where documents
 * stand in for rows exactly: a table without TTL (every stored row is live and has one document), an index
 * holding every column the query names as a scalar field of the column's own type, and no document holding
 * one of them inexactly (a value dropped or rounded, SearchIndex.inexactDocs). WHERE narrows through the index
 * where it can and is still evaluated on every row by the caller; where only the primary key narrows it, its
 * key range is cheaper and is read instead (undefined). The rows come in primary-key order, as a
 * scan yields them, so groups, sums and first-seen order are a scan's. No table row is read, so the scan
 * limit does not apply. Undefined when no index qualifies; the caller then reads rows as usual.
 */
export function rowsThroughSearch(q: AccessQuery, withKeys: boolean): PushedRows | undefined {
  const { table } = q;
  if (table.kind !== 'wide' || q.options?.indexes === false || table.def.options.timeToLive !== -1) return undefined;
  const engine = findSearchEngine(q.store);
  if (!engine) return undefined;
  // WHERE on the primary key already narrows the rows to a key range: read it, unless the index narrows too.
  const base = planKeyRange(keyColumns(table), q.where, q.refersTo);
  if (base.range === 'empty') return undefined;
  const pkCount = table.def.primaryKey.length;
  const pk = new Set(table.def.primaryKey.map((c) => c.name));
  const attributes = [...q.referenced].filter((name) => !pk.has(name));
  for (const index of engine.indexesOf(table.source)) {
    if (q.allowed && !q.allowed.has(index.def.name)) continue;
    const slots: { at: number; name: string; long: boolean }[] = [];
    for (const name of attributes) {
      const at = table.columns.findIndex((c) => c.name === name);
      const field = index.def.fields.find((f) => f.name === name);
      if (at < 0 || !field || field.isArray || EXACT_FIELD_FOR[table.columns[at].type] !== field.type) break;
      if (index.inexactDocs(name) !== 0) break;
      slots.push({ at, name, long: field.type === FieldType.LONG });
    }
    if (slots.length !== attributes.length) continue;
    const ids = q.where ? candidates(index, q.where, sourceColumn(q))?.ids : undefined;
    if (!ids && base.matched > 0) return undefined;
    const docs: Doc[] = [];
    let bytes = 0;
    for (const doc of ids ? Array.from(ids, (id) => index.docs[id]) : index.allDocs()) {
      if (!doc) continue;
      docs.push(doc);
      bytes += doc.key.length;
    }
    // Latin-1 keys compare as their bytes: primary-key order.
    docs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const width = table.columns.length;
    // One row at a time, as a scan hands them over: a million documents never stand as a million rows at once.
    const rows = function* (): Generator<Row> {
      for (const doc of docs) {
        const row: Row = new Array<SqlValue>(width).fill(null);
        if (withKeys) {
          const cells = decodeKey(table.def, Buffer.from(doc.key, 'latin1'));
          for (let i = 0; i < pkCount; i++) row[i] = cells[i].value as SqlValue;
        }
        for (const s of slots) {
          const v = doc.values.get(s.name)?.[0];
          if (v !== undefined) row[s.at] = s.long ? BigInt(v as number) : (v as SqlValue);
        }
        yield row;
      }
    };
    const plan: AccessPlan = { table: table.name, kind: 'search-index', index: index.def.name, pushdown: 'aggregate' };
    return { rows: rows(), plan, index: index.def.name, bytes };
  }
  return undefined;
}

/**
 * Search field type that holds every value of a column of this SQL type, one value per row. Not DOUBLE: a
 * DOUBLE field leaves NaN and the infinities out (docs/protocol-search.md §2), which SQL still compares.
 */
const FIELD_FOR: Record<number, number> = {
  [SqlType.LONG]: FieldType.LONG,
  [SqlType.STRING]: FieldType.KEYWORD,
  [SqlType.BOOLEAN]: FieldType.BOOLEAN,
};

/** The search field type whose documents hold a column of this SQL type as the row does (holdsExactly). */
const EXACT_FIELD_FOR: Record<number, number> = { ...FIELD_FOR, [SqlType.DOUBLE]: FieldType.DOUBLE };

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Doc ids from an index lookup; `exact` when they are exactly the rows the condition accepts. */
interface Found {
  readonly ids: Set<number>;
  readonly exact: boolean;
}

/** Integers a float64 holds exactly: inside this bound a LONG field's tree compares like int64. */
const EXACT_LIMIT = 2 ** 53;

/**
 * Doc ids that may satisfy `node` (a superset), or undefined when the index cannot narrow it. AND intersects
 * what its sides narrow; OR needs both sides; comparisons of a column with a literal (=, <, <=, >, >=,
 * BETWEEN, IN) are looked up in the term map (KEYWORD, BOOLEAN) or the numeric tree (LONG). The tree
 * holds float64s: when a literal or a stored LONG value may have been rounded, bounds are taken inclusively
 * (so no row is missed) and the result is marked inexact. `exact` also needs every part of `node` narrowed.
 */
function candidates(
  index: SearchIndex,
  node: AstNode,
  column: (ref: AstNode) => MappedColumn | undefined,
): Found | undefined {
  if (node.type !== 'binary_expr') return undefined;
  const op = String(node.operator).toUpperCase();
  const left = node.left as AstNode;
  const right = node.right as AstNode;
  if (op === 'AND' || op === 'OR') {
    const l = candidates(index, left, column);
    const r = candidates(index, right, column);
    if (op === 'OR') {
      if (!l || !r) return undefined;
      for (const id of r.ids) l.ids.add(id);
      return { ids: l.ids, exact: l.exact && r.exact };
    }
    if (!l || !r) {
      const one = l ?? r;
      return one && { ids: one.ids, exact: false };
    }
    const [small, big] = l.ids.size <= r.ids.size ? [l.ids, r.ids] : [r.ids, l.ids];
    for (const id of small) if (!big.has(id)) small.delete(id);
    return { ids: small, exact: l.exact && r.exact };
  }
  let col = column(left);
  let flipped = false;
  if (!col && op in FLIP) {
    col = column(right);
    flipped = true;
  }
  if (!col) return undefined;
  const field = index.def.fields.find((f) => f.name === col.name);
  if (!field || !field.index || field.isArray || FIELD_FOR[col.type] !== field.type) return undefined;
  const lookup = (cmp: string, v: SqlValue | undefined): Found | undefined => {
    const ids = new Set<number>();
    if (field.type === FieldType.LONG) {
      if (typeof v !== 'bigint' && typeof v !== 'number') return undefined;
      const tree = index.numeric.get(field.name);
      if (!tree) return undefined;
      const n = Number(v);
      if (Number.isNaN(n)) return undefined;
      const lowest = tree.minKey() ?? 0;
      const highest = tree.maxKey() ?? 0;
      const exact =
        (typeof v === 'number' || (n > -EXACT_LIMIT && n < EXACT_LIMIT)) &&
        lowest > -EXACT_LIMIT &&
        highest < EXACT_LIMIT;
      if (cmp === '=') addIds(ids, tree.get(n));
      else {
        const lo = cmp === '>' || cmp === '>=' ? n : -Infinity;
        const hi = cmp === '<' || cmp === '<=' ? n : Infinity;
        const strict = exact && (cmp === '<' || cmp === '>');
        tree.forRange(lo, hi, true, (k, p) => {
          if (!(strict && k === n)) addIds(ids, p);
        });
      }
      return { ids, exact };
    }
    const terms = index.terms.get(field.name);
    if (!terms) return undefined;
    if (field.type === FieldType.BOOLEAN) {
      if (typeof v !== 'boolean' || cmp !== '=') return undefined;
      addIds(ids, terms.get(String(v)));
      return { ids, exact: true };
    }
    if (typeof v !== 'string') return undefined;
    if (cmp === '=') addIds(ids, terms.get(v));
    else {
      // The term map has no order: walk its distinct values (still far fewer than the rows, as a rule).
      for (const [term, p] of terms) {
        const c = compareStrings(term, v);
        if (cmp === '<' ? c < 0 : cmp === '<=' ? c <= 0 : cmp === '>' ? c > 0 : c >= 0) addIds(ids, p);
      }
    }
    return { ids, exact: true };
  };
  if (op === 'BETWEEN' && !flipped) {
    const [lo, hi] = ((right.value as AstNode[] | undefined) ?? []).map(literalValue);
    const a = lookup('>=', lo);
    const b = lookup('<=', hi);
    if (!a || !b) return undefined;
    for (const id of a.ids) if (!b.ids.has(id)) a.ids.delete(id);
    return { ids: a.ids, exact: a.exact && b.exact };
  }
  if (op === 'IN' && !flipped) {
    const ids = new Set<number>();
    let exact = true;
    for (const item of (right.value as AstNode[] | undefined) ?? []) {
      const one = lookup('=', literalValue(item));
      if (!one) return undefined;
      for (const id of one.ids) ids.add(id);
      exact &&= one.exact;
    }
    return { ids, exact };
  }
  if (!(op in FLIP)) return undefined;
  return lookup(flipped ? FLIP[op] : op, literalValue(flipped ? left : right));
}

// ---------------------------------------------------------------------------------------- secondary index

/**
 * Second choice: the secondary index (global or local) whose key the conditions constrain on more leading
 * columns than the table's own key. Its range yields base keys; rows the index had to leave out (a value its
 * key cannot take) come from its skipped list, so none is missed.
 */
function secondaryAccess(
  q: AccessQuery,
  table: WideSqlTable,
  range: KeyRange,
  baseMatched: number,
): SourceAccess | undefined {
  const maintainer = findIndexMaintainer(q.store);
  if (!maintainer) return undefined;
  let best: { name: string; matched: number; range: KeyRange | 'empty'; keys: readonly KeyColumn[] } | undefined;
  for (const def of maintainer.list(table.source)) {
    if (q.allowed && !q.allowed.has(def.name)) continue;
    const live = maintainer.find(def.name);
    if (!live) continue;
    const keys = live.tableDef.primaryKey.map((c) => ({ name: c.name, type: c.type }));
    // A column mapped with another type than its index key compares differently from the key order.
    const consistent = keys.every((k) => {
      const mapped = table.columns.find((c) => c.name === k.name);
      return !mapped || mapped.type === SQL_TYPE_OF_PK[k.type];
    });
    if (!consistent) continue;
    const planned = planKeyRange(keys, q.where, q.refersTo);
    // An index USE INDEX names only needs to constrain something; otherwise it must beat the table's key.
    const floor = best?.matched ?? (q.allowed?.has(def.name) ? 0 : baseMatched);
    if (planned.matched > floor) best = { name: def.name, ...planned, keys };
  }
  if (!best) return undefined;
  const plan: AccessPlan = { table: table.name, kind: 'secondary-index', index: best.name, matched: best.matched };
  if (best.range === 'empty') return { plan, range: 'empty' };
  const live = maintainer.find(best.name)!;
  const baseDef = table.def;
  const found: Buffer[] = [];
  let bytes = 0;
  for (const rec of q.store.scan(live.space, best.range)) {
    if (found.length >= MAX_SCAN_ROWS) return undefined;
    bytes += rec.key.length + rec.value.length;
    const cells = new Map(decodeKey(live.tableDef, rec.key).map((c) => [c.name, c]));
    found.push(
      encodeKey(
        baseDef,
        baseDef.primaryKey.map((c) => cells.get(c.name)!),
      ),
    );
  }
  for (const rec of q.store.scan(skippedSpace(best.name))) {
    if (found.length >= MAX_SCAN_ROWS) return undefined;
    bytes += rec.key.length;
    found.push(Buffer.from(rec.key));
  }
  found.sort(byBytes);
  const keys = found.filter((k, i) => i === 0 || !k.equals(found[i - 1]));
  return { plan, range, keys, indexRead: { name: best.name, search: false, bytes } };
}
