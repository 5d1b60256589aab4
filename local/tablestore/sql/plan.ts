/**
 * Key planning: turns the WHERE clause into a key range — of the table, or of a secondary index for the
 * planner of access.ts — so a query reads only the rows it can match (docs/protocol-sql.md §7). Conjuncts `pk_i = literal` on a leading run of key columns form a
 * prefix; the next key column may add a lower/upper bound (<, <=, >, >=, BETWEEN). Everything else — and
 * these conjuncts too — is still evaluated as the row filter, so the range only ever narrows the scan.
 * Time series keys share the wide-table key encoding (escaped strings, sign-flipped big-endian int64), so
 * points (_m_name, _data_source, _tags, _time) and meta (_m_name, _data_source, _tags) plan the same way.
 */
import {
  INF_MAX,
  INF_MIN,
  type PrimaryKeyCell,
  type PrimaryKeyValue,
} from '../../../lib/tablestore/protocol/plainbuffer';
import { boundKey } from '../handlers/wide/keys';
import { PkType, type WideTableDefinition } from '../handlers/wide/table';
import type { AstNode } from './parse';
import { columnName } from './parse';
import { literalValue } from './expr';
import type { SqlTable } from './mapping';
import type { KeyRange } from './scan';
import { compareValues, type SqlValue } from './values';

export interface KeyColumn {
  readonly name: string;
  readonly type: PkType;
}

export function keyColumns(table: SqlTable): KeyColumn[] {
  switch (table.kind) {
    case 'wide':
      return table.def.primaryKey.map((c) => ({ name: c.name, type: c.type }));
    case 'ts-data':
      return [
        { name: '_m_name', type: PkType.STRING },
        { name: '_data_source', type: PkType.STRING },
        { name: '_tags', type: PkType.STRING },
        { name: '_time', type: PkType.INTEGER },
      ];
    case 'ts-meta':
      return [
        { name: '_m_name', type: PkType.STRING },
        { name: '_data_source', type: PkType.STRING },
        { name: '_tags', type: PkType.STRING },
      ];
  }
}

/** The AND-ed parts of a condition. */
export function conjuncts(node: AstNode | null | undefined): AstNode[] {
  if (!node) return [];
  if (node.type === 'binary_expr' && String(node.operator).toUpperCase() === 'AND') {
    return [...conjuncts(node.left as AstNode), ...conjuncts(node.right as AstNode)];
  }
  return [node];
}

function fits(type: PkType, v: SqlValue | undefined): v is PrimaryKeyValue & SqlValue {
  if (type === PkType.INTEGER) return typeof v === 'bigint';
  if (type === PkType.STRING) return typeof v === 'string';
  return v instanceof Uint8Array;
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

interface Bound {
  readonly value: SqlValue & PrimaryKeyValue;
  readonly inclusive: boolean;
}

/** Comparisons `column op literal` on one key column, normalized so the column is on the left. */
function comparisons(
  parts: readonly AstNode[],
  isColumn: (n: AstNode) => boolean,
  type: PkType,
): { op: string; value: SqlValue & PrimaryKeyValue }[] {
  const out: { op: string; value: SqlValue & PrimaryKeyValue }[] = [];
  for (const p of parts) {
    if (p.type !== 'binary_expr') continue;
    const op = String(p.operator).toUpperCase();
    const left = p.left as AstNode;
    const right = p.right as AstNode;
    if (op === 'BETWEEN' && isColumn(left)) {
      const [lo, hi] = ((right.value as AstNode[]) ?? []).map(literalValue);
      if (fits(type, lo) && fits(type, hi)) out.push({ op: '>=', value: lo }, { op: '<=', value: hi });
      continue;
    }
    if (op === 'IN' && isColumn(left)) {
      const items = ((right.value as AstNode[]) ?? []).map(literalValue);
      if (items.length === 1 && fits(type, items[0])) out.push({ op: '=', value: items[0] });
      continue;
    }
    if (!(op in FLIP)) continue;
    if (isColumn(left)) {
      const v = literalValue(right);
      if (fits(type, v)) out.push({ op, value: v });
    } else if (isColumn(right)) {
      const v = literalValue(left);
      if (fits(type, v)) out.push({ op: FLIP[op], value: v });
    }
  }
  return out;
}

function tighter(a: Bound | undefined, b: Bound, lower: boolean): Bound {
  if (!a) return b;
  const c = compareValues(a.value, b.value);
  if (c === 0) return a.inclusive ? b : a;
  return c < 0 === lower ? b : a;
}

const ZERO = new Uint8Array([0]);

function after(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  out.set(ZERO, key.length);
  return out;
}

/**
 * The key range the WHERE clause allows over `keys` (a table's key or a secondary index's), or 'empty' when
 * the key conditions contradict each other; `refersTo` says whether a column reference names this table.
 * `matched` is the number of leading key columns the conditions constrain (the equality prefix, plus one
 * when the next column has a bound) — the measure the planner compares between a table and its indexes
 * (docs/protocol-sql.md §7.1).
 */
export function planKeyRange(
  keys: readonly KeyColumn[],
  where: AstNode | null | undefined,
  refersTo: (ref: AstNode) => boolean,
): { readonly range: KeyRange | 'empty'; readonly matched: number } {
  const def = { primaryKey: keys } as unknown as WideTableDefinition;
  const parts = conjuncts(where);
  const prefix: PrimaryKeyCell[] = [];
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  for (const key of keys) {
    const isColumn = (n: AstNode) => n.type === 'column_ref' && columnName(n) === key.name && refersTo(n);
    const cmps = comparisons(parts, isColumn, key.type);
    const eq = cmps.filter((c) => c.op === '=');
    if (eq.length > 0) {
      if (eq.some((e) => compareValues(e.value, eq[0].value) !== 0)) return { range: 'empty', matched: keys.length };
      prefix.push({ name: key.name, value: eq[0].value });
      continue;
    }
    for (const c of cmps) {
      if (c.op === '>' || c.op === '>=') lower = tighter(lower, { value: c.value, inclusive: c.op === '>=' }, true);
      if (c.op === '<' || c.op === '<=') upper = tighter(upper, { value: c.value, inclusive: c.op === '<=' }, false);
    }
    break;
  }
  if (prefix.length === 0 && !lower && !upper) return { range: {}, matched: 0 };
  const matched = prefix.length + (lower || upper ? 1 : 0);
  const fill = (cells: PrimaryKeyCell[], marker: typeof INF_MIN | typeof INF_MAX): PrimaryKeyCell[] => {
    const out = cells.slice();
    for (let i = out.length; i < keys.length; i++) out.push({ name: keys[i].name, value: marker });
    return out;
  };
  const at = prefix.length;
  let gte: Uint8Array | undefined;
  let lt: Uint8Array | undefined;
  if (lower) {
    const cells = [...prefix, { name: keys[at].name, value: lower.value }];
    const b = boundKey(def, fill(cells, lower.inclusive ? INF_MIN : INF_MAX));
    gte = b.kind === 'exact' && !lower.inclusive ? after(b.key) : b.key;
  } else {
    gte = boundKey(def, fill(prefix, INF_MIN)).key;
  }
  if (upper) {
    const cells = [...prefix, { name: keys[at].name, value: upper.value }];
    const b = boundKey(def, fill(cells, upper.inclusive ? INF_MAX : INF_MIN));
    lt = b.kind === 'exact' && upper.inclusive ? after(b.key) : b.key;
  } else {
    lt = prefix.length === keys.length ? after(boundKey(def, prefix).key!) : boundKey(def, fill(prefix, INF_MAX)).key;
  }
  if (gte && lt && Buffer.compare(gte, lt) >= 0) return { range: 'empty', matched };
  const range: { gte?: Uint8Array; lt?: Uint8Array } = {};
  if (gte && gte.length > 0) range.gte = gte;
  if (lt) range.lt = lt;
  return { range, matched };
}
