/**
 * SELECT: read the FROM clause (one table with the key range WHERE allows, or joined tables, see
 * sources.ts), filter, then either project rows
 * (DISTINCT, ORDER BY, LIMIT/OFFSET) or group them (GROUP BY, aggregates, HAVING) and project groups.
 * Without grouping or DISTINCT, and with an ORDER BY absent or following the primary key, rows stream in
 * key order (backwards for DESC) and the scan stops as soon as OFFSET + LIMIT rows have passed the filter.
 */
import type { KvStore } from '../persistence/store';
import { compile, nodeKey, truth, literalValue, type CompileScope, type Compiled, type Row } from './expr';
import type { ResultColumn } from './flatbuffer';
import type { MappingStore, SqlTable } from './mapping';
import type { AstNode } from './parse';
import { columnName, sqlParser } from './parse';
import { keyColumns } from './plan';
import { capacityUnits } from '../handlers/wide/capacity';
import { countThroughSearch, indexNames, rowsThroughSearch } from './access';
import type { SqlEngineOptions } from './options';
import { FromReader, resolveFrom, type FromClause } from './sources';
import { compareNullable, describeValue, sqlError, SqlType, typeOfValue, valueKey, type SqlValue } from './values';

export interface SelectEnv {
  readonly store: KvStore;
  readonly mappings: MappingStore;
  readonly nowMs: number;
  /** Throws unless the caller may run SELECT on these Tablestore tables. */
  authorize(tables: readonly string[]): void;
  readonly options?: SqlEngineOptions | undefined;
  /** `USE INDEX (…)` of the statement (see parse.ts). */
  readonly useIndex?: readonly string[] | undefined;
}

export interface SelectResult {
  readonly columns: ResultColumn[];
  readonly rowCount: number;
  /** Read capacity per Tablestore table (or index table) read; `index` names a search index read. */
  readonly consumed: { readonly table: string; readonly read: number; readonly index?: string }[];
}

function exprText(node: AstNode): string {
  try {
    const text = sqlParser.sqlify({ type: 'select', columns: [{ expr: node, as: null }], from: null } as never, {
      database: 'MySQL',
    });
    return text.replace(/^SELECT\s+/i, '').replace(/`/g, '');
  } catch {
    return node.type;
  }
}

function walk(node: unknown, visit: (n: AstNode) => boolean): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  const n = node as AstNode;
  if (typeof n.type === 'string' && !visit(n)) return;
  for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v, visit);
}

function hasAggregate(node: unknown): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === 'aggr_func') found = true;
    return !found;
  });
  return found;
}

/** Replaces unqualified column references naming a select alias with the aliased expression. */
function substituteAliases(
  node: AstNode,
  aliases: ReadonlyMap<string, AstNode>,
  isTableColumn: (name: string) => boolean,
): AstNode {
  const rec = (n: unknown): unknown => {
    if (!n || typeof n !== 'object') return n;
    if (Array.isArray(n)) return n.map(rec);
    const a = n as AstNode;
    if (a.type === 'column_ref' && !a.table) {
      const name = columnName(a);
      const target = aliases.get(name);
      if (target && !isTableColumn(name)) return target;
      return a;
    }
    if (a.type === 'aggr_func') return a;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) out[k] = rec(v);
    return out;
  };
  return rec(node) as AstNode;
}

interface Item {
  readonly node: AstNode;
  readonly name: string;
  readonly alias?: string | undefined;
}

function limitOf(ast: AstNode): { offset: number; limit?: number } {
  const l = ast.limit as { seperator?: string; value?: AstNode[] } | null;
  if (!l || !l.value || l.value.length === 0) return { offset: 0 };
  const nums = l.value.map((n) => {
    const v = literalValue(n);
    if (typeof v !== 'bigint' || v < 0n) throw sqlError('LIMIT and OFFSET take non-negative integers.');
    return Number(v);
  });
  if (nums.length === 1) return { offset: 0, limit: nums[0] };
  return l.seperator === ',' ? { offset: nums[0], limit: nums[1] } : { offset: nums[1], limit: nums[0] };
}

interface AggSpec {
  readonly fn: string;
  readonly distinct: boolean;
  readonly args: readonly Compiled[];
}

class Accumulator {
  count = 0;
  sum: bigint | number = 0n;
  best: SqlValue = null;
  private seen?: Set<string>;
  constructor(private readonly spec: AggSpec) {
    if (spec.distinct) this.seen = new Set();
  }

  add(row: Row): void {
    const { fn, args } = this.spec;
    if (args.length === 0) {
      this.count++;
      return;
    }
    const first = args[0](row);
    if (first === null) return;
    if (args.length > 1 || this.seen) {
      const values = args.length === 1 ? [first] : args.map((a) => a(row));
      if (values.some((x) => x === null)) return;
      if (this.seen) {
        const k = values.map(valueKey).join('\u0001');
        if (this.seen.has(k)) return;
        this.seen.add(k);
      }
    }
    const v = first;
    this.count++;
    if (fn === 'SUM' || fn === 'AVG') {
      if (typeof v !== 'bigint' && typeof v !== 'number')
        throw sqlError(`Type mismatch: ${fn} needs numbers, got ${describeValue(v)}.`);
      if (typeof v === 'bigint' && typeof this.sum === 'bigint') this.sum += v;
      else this.sum = Number(this.sum) + Number(v);
    } else if (fn === 'MIN' || fn === 'MAX') {
      if (this.best === null) this.best = v;
      else {
        const c = compareNullable(v, this.best);
        if (fn === 'MIN' ? c < 0 : c > 0) this.best = v;
      }
    }
  }

  result(): SqlValue {
    switch (this.spec.fn) {
      case 'COUNT':
        return BigInt(this.count);
      case 'SUM':
        if (this.count === 0) return null;
        if (typeof this.sum === 'bigint' && (this.sum > 0x7fffffffffffffffn || this.sum < -0x8000000000000000n)) {
          throw sqlError('BIGINT value is out of range in SUM.');
        }
        return this.sum;
      case 'AVG':
        return this.count === 0 ? null : Number(this.sum) / this.count;
      default:
        return this.best;
    }
  }
}

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

function outputColumn(name: string, values: SqlValue[], fallback: SqlType): ResultColumn {
  const types = new Set<SqlType>();
  for (const v of values) if (v !== null) types.add(typeOfValue(v));
  if (types.size === 0) return { name, type: fallback, values };
  if (types.size === 1) return { name, type: [...types][0], values };
  if (types.size === 2 && types.has(SqlType.LONG) && types.has(SqlType.DOUBLE)) {
    return { name, type: SqlType.DOUBLE, values: values.map((v) => (typeof v === 'bigint' ? Number(v) : v)) };
  }
  throw sqlError(`Column '${name}' of the result mixes values of different types.`);
}

export function runSelect(ast: AstNode, env: SelectEnv): SelectResult {
  if (ast.with) throw sqlError('WITH is not supported.');
  if (ast._next) throw sqlError('UNION is not supported.');
  if (ast.into && (ast.into as { position?: unknown }).position) throw sqlError('SELECT ... INTO is not supported.');
  const from = resolveFrom((ast.from as Record<string, unknown>[] | null) ?? null, env.mappings);
  if (from.sources.length > 0) env.authorize([...new Set(from.sources.map((s) => s.table.source))]);
  const single = from.sources.length === 1 ? from.sources[0] : undefined;
  const table = single?.table;
  const columns = from.columns;
  const refersTo = (ref: AstNode) => from.sourceOf(ref) === 0;
  const columnIndex = from.resolve;
  const rowScope: CompileScope = {
    column: columnIndex,
    aggregateError: 'Invalid use of group function in WHERE or in a function argument.',
    nowMs: env.nowMs,
  };

  // --- select list
  const items: Item[] = [];
  for (const c of ast.columns as { expr: AstNode; as: string | null }[]) {
    const e = c.expr;
    if (e.type === 'column_ref' && columnName(e) === '*') {
      if (from.sources.length === 0) throw sqlError('SELECT * needs a FROM clause.');
      const picked = e.table ? from.sources.filter((x) => x.label === e.table) : from.sources;
      if (picked.length === 0) throw sqlError(`Unknown table '${String(e.table)}'.`);
      for (const src of picked)
        for (const col of src.table.columns)
          items.push({ node: { type: 'column_ref', table: src.label, column: col.name }, name: col.name });
      continue;
    }
    const name = c.as ?? (e.type === 'column_ref' ? columnName(e) : exprText(e));
    items.push({ node: e, name, alias: c.as ?? undefined });
  }
  const aliases = new Map<string, AstNode>();
  for (const it of items) if (it.alias) aliases.set(it.alias, it.node);
  const isTableColumn = (name: string) => columns.some((c) => c.name === name);

  const where = ast.where
    ? compile(ast.where as AstNode, { ...rowScope, aggregateError: 'Invalid use of group function in WHERE.' })
    : undefined;
  const groupBy = (ast.groupby as { columns?: AstNode[] } | null)?.columns ?? [];
  const having = ast.having as AstNode | null;
  const orderBy = ((ast.orderby as { expr: AstNode; type: string | null }[] | null) ?? []).map((o) => ({
    expr: o.expr,
    desc: String(o.type).toUpperCase() === 'DESC',
  }));
  const grouped =
    groupBy.length > 0 ||
    having !== null ||
    items.some((i) => hasAggregate(i.node)) ||
    orderBy.some((o) => hasAggregate(o.expr));
  const distinct = Boolean(ast.distinct);
  const { offset, limit } = limitOf(ast);

  // --- COUNT(*) alone: a search index may count without reading a row (docs/protocol-sql.md §7.1)
  const allowed = env.useIndex && allowedIndexes(env.store, from, env.useIndex);
  if (
    table &&
    !distinct &&
    groupBy.length === 0 &&
    having === null &&
    orderBy.length === 0 &&
    items.every(isCountStar)
  ) {
    const pushed = countThroughSearch({
      store: env.store,
      table,
      where: (ast.where as AstNode | null) ?? null,
      refersTo,
      referenced: new Set(),
      options: env.options,
      allowed,
    });
    if (pushed) {
      env.options?.onPlan?.(pushed.plan);
      const page = [BigInt(pushed.count)].slice(offset, limit === undefined ? undefined : offset + limit);
      return {
        columns: items.map((it) => ({ name: it.name, type: SqlType.LONG, values: page })),
        rowCount: page.length,
        consumed: [{ table: table.source, read: capacityUnits(pushed.bytes), index: pushed.index }],
      };
    }
  }

  // --- a grouped query over one table: a search index's documents may stand in for the rows (§7.1)
  const pushed =
    table && grouped
      ? rowsThroughSearch(
          {
            store: env.store,
            table,
            where: (ast.where as AstNode | null) ?? null,
            refersTo,
            referenced: referencedColumns(ast, items, from, 0),
            options: env.options,
            allowed,
          },
          namesKeyColumn(ast, items, table),
        )
      : undefined;
  if (pushed) env.options?.onPlan?.(pushed.plan);

  // --- plan the scan
  const reader = new FromReader(
    from,
    env.store,
    env.nowMs,
    (ast.where as AstNode | null) ?? null,
    !table || namesKeyColumn(ast, items, table),
    (i) => referencedColumns(ast, items, from, i),
    env.options,
    allowed,
  );
  let range = table && !pushed ? reader.range(0) : 'empty';
  const positional = (e: AstNode): number | undefined => {
    const v = literalValue(e);
    if (typeof v !== 'bigint') return undefined;
    if (v < 1n || v > BigInt(items.length)) throw sqlError(`Unknown column '${v}' in ORDER BY or GROUP BY.`);
    return Number(v) - 1;
  };
  let stopAfter: number | undefined;
  if (table && range !== 'empty' && !grouped && !distinct && limit !== undefined) {
    const keys = keyColumns(table);
    const follows = orderBy.every((o, i) => {
      const pos = positional(o.expr);
      const e =
        pos !== undefined
          ? items[pos].node
          : o.expr.type === 'column_ref' && !o.expr.table && aliases.has(columnName(o.expr))
            ? aliases.get(columnName(o.expr))!
            : o.expr;
      return e.type === 'column_ref' && refersTo(e) && columnName(e) === keys[i]?.name && o.desc === orderBy[0].desc;
    });
    if (follows) {
      stopAfter = offset + limit;
      if (orderBy.length > 0 && orderBy[0].desc) range = { ...range, reverse: true };
    }
  }
  const rows = function* (): Generator<Row> {
    if (from.sources.length === 0) {
      yield [];
      return;
    }
    for (const row of pushed ? pushed.rows : table ? reader.scan(0, range) : reader.joined()) {
      if (where && truth(where(row)) !== true) continue;
      yield row;
    }
  };

  let output: { values: SqlValue[]; sort: SqlValue[] }[] = [];
  let staticTypes: SqlType[];
  if (!grouped) {
    const projections = items.map((i) => compile(i.node, rowScope));
    const sorters = orderBy.map((o) => {
      const pos = positional(o.expr);
      if (pos !== undefined) return { projected: pos, desc: o.desc };
      if (o.expr.type === 'column_ref' && !o.expr.table) {
        const name = columnName(o.expr);
        const at = items.findIndex((i) => i.alias === name);
        if (at >= 0) return { projected: at, desc: o.desc };
      }
      return { fn: compile(o.expr, rowScope), desc: o.desc };
    });
    if (stopAfter !== 0) {
      for (const row of rows()) {
        const values = projections.map((p) => p(row));
        output.push({ values, sort: sorters.map((s) => (s.fn ? s.fn(row) : values[s.projected])) });
        if (stopAfter !== undefined && output.length >= stopAfter) break;
      }
    }
    staticTypes = items.map((i) => staticType(i.node, from));
    output = finish(
      output,
      sorters.map((s) => s.desc),
      distinct,
      stopAfter === undefined ? orderBy.length > 0 : false,
    );
  } else {
    // --- grouping
    const normalize = (node: AstNode): string =>
      nodeKey(
        JSON.parse(JSON.stringify(node), (_k, v: unknown) => {
          const n = v as AstNode | null;
          if (n && typeof n === 'object' && !Array.isArray(n) && n.type === 'column_ref')
            return { type: 'col', i: columnIndex((n.table as string | null) ?? null, columnName(n)) };
          return v;
        }),
      );
    const groupNodes = groupBy.map((g) => {
      const pos = positional(g);
      if (pos !== undefined) return items[pos].node;
      if (g.type === 'column_ref' && !g.table && !isTableColumn(columnName(g)) && aliases.has(columnName(g)))
        return aliases.get(columnName(g))!;
      return g;
    });
    for (const g of groupNodes) if (hasAggregate(g)) throw sqlError("Can't group on an aggregate.");
    const groupKeys = new Map<string, number>();
    groupNodes.forEach((g, i) => groupKeys.set(normalize(g), i));
    const groupFns = groupNodes.map((g) => compile(g, rowScope));

    const havingNode = having ? substituteAliases(having, aliases, isTableColumn) : undefined;
    const orderNodes = orderBy.map((o) => {
      const pos = positional(o.expr);
      if (pos !== undefined) return { projected: pos, desc: o.desc };
      if (o.expr.type === 'column_ref' && !o.expr.table) {
        const at = items.findIndex((i) => i.alias === columnName(o.expr));
        if (at >= 0) return { projected: at, desc: o.desc };
      }
      return { node: o.expr, desc: o.desc };
    });
    const aggNodes = new Map<string, { index: number; spec: AggSpec }>();
    const collect = (node: unknown) =>
      walk(node, (n) => {
        if (n.type !== 'aggr_func') return true;
        const key = normalize(n);
        if (!aggNodes.has(key)) {
          const fn = String(n.name).toUpperCase();
          if (!AGGREGATES.has(fn)) throw sqlError(`Aggregate function ${fn} is not supported.`);
          if (n.over) throw sqlError('Window functions are not supported.');
          const args = n.args as { expr?: AstNode; distinct?: string | null };
          const argNodes =
            !args?.expr || args.expr.type === 'star'
              ? []
              : args.expr.type === 'expr_list'
                ? (args.expr.value as AstNode[])
                : [args.expr];
          if (argNodes.length === 0 && fn !== 'COUNT') throw sqlError(`${fn}(*) is not valid.`);
          if (argNodes.length > 1 && fn !== 'COUNT') throw sqlError(`${fn} takes one argument.`);
          for (const a of argNodes) if (hasAggregate(a)) throw sqlError('Aggregates cannot be nested.');
          aggNodes.set(key, {
            index: aggNodes.size,
            spec: { fn, distinct: Boolean(args?.distinct), args: argNodes.map((a) => compile(a, rowScope)) },
          });
        }
        return false;
      });
    for (const it of items) collect(it.node);
    if (havingNode) collect(havingNode);
    for (const o of orderNodes) if (o.node) collect(o.node);
    const specs = [...aggNodes.values()].sort((a, b) => a.index - b.index).map((a) => a.spec);

    const groups = new Map<string, { key: SqlValue[]; accs: Accumulator[] }>();
    for (const row of rows()) {
      const key = groupFns.map((g) => g(row));
      const k = key.map(valueKey).join('\u0001');
      let g = groups.get(k);
      if (!g) {
        g = { key, accs: specs.map((s) => new Accumulator(s)) };
        groups.set(k, g);
      }
      for (const a of g.accs) a.add(row);
    }
    if (groups.size === 0 && groupBy.length === 0)
      groups.set('', { key: [], accs: specs.map((s) => new Accumulator(s)) });

    const nGroup = groupNodes.length;
    const postScope: CompileScope = {
      nowMs: env.nowMs,
      precomputed: (node) => {
        if (node.type === 'aggr_func') return nGroup + aggNodes.get(normalize(node))!.index;
        return groupKeys.get(normalize(node));
      },
      column: (q, name) => {
        columnIndex(q, name);
        throw sqlError(`Column '${name}' must appear in GROUP BY or be used in an aggregate function.`);
      },
    };
    const havingFn = havingNode ? compile(havingNode, postScope) : undefined;
    const projections = items.map((i) => compile(i.node, postScope));
    const sorters = orderNodes.map((o) =>
      o.node ? { fn: compile(o.node, postScope), desc: o.desc } : { projected: o.projected, desc: o.desc },
    );
    for (const g of groups.values()) {
      const post: Row = [...g.key, ...g.accs.map((a) => a.result())];
      if (havingFn && truth(havingFn(post)) !== true) continue;
      const values = projections.map((p) => p(post));
      output.push({ values, sort: sorters.map((s) => (s.fn ? s.fn(post) : values[s.projected])) });
    }
    staticTypes = items.map((i) => staticType(i.node, from));
    output = finish(
      output,
      sorters.map((s) => s.desc),
      distinct,
      orderBy.length > 0,
    );
  }

  const page = output.slice(offset, limit === undefined ? undefined : offset + limit);
  const resultColumns = items.map((it, c) =>
    outputColumn(
      it.name,
      page.map((r) => r.values[c]),
      staticTypes[c],
    ),
  );
  return {
    columns: resultColumns,
    rowCount: page.length,
    consumed: pushed
      ? [{ table: table!.source, read: capacityUnits(pushed.bytes), index: pushed.index }]
      : reader.consumed(),
  };
}

/** `COUNT(*)`, nothing else (no DISTINCT, no window). */
function isCountStar(item: Item): boolean {
  const n = item.node;
  if (n.type !== 'aggr_func' || String(n.name).toUpperCase() !== 'COUNT' || n.over) return false;
  const args = n.args as { expr?: AstNode; distinct?: string | null } | undefined;
  return args?.expr?.type === 'star' && !args.distinct;
}

/** The indexes `USE INDEX (…)` names, after checking each is an index of a table in FROM. */
function allowedIndexes(store: KvStore, from: FromClause, names: readonly string[]): ReadonlySet<string> {
  for (const name of names) {
    if (!from.sources.some((s) => indexNames(store, s.table.source).includes(name)))
      throw sqlError(`Unknown index '${name}' in USE INDEX: it is not an index of a table in FROM.`);
  }
  return new Set(names);
}

/** Names of the columns of source `i` the select list (expanded) or any clause (ON and USING too) refers to. */
function referencedColumns(ast: AstNode, items: readonly Item[], from: FromClause, i: number): Set<string> {
  const out = new Set<string>();
  const joins = from.sources.map((s) => s.join);
  for (const j of joins) for (const name of j?.using ?? []) out.add(name);
  walk([items.map((it) => it.node), ast.where, ast.groupby, ast.having, ast.orderby, joins.map((j) => j?.on)], (n) => {
    if (n.type === 'column_ref' && columnName(n) !== '*' && from.sourceOf(n) === i) out.add(columnName(n));
    return true;
  });
  return out;
}

/** Whether the select list (expanded) or any clause refers to a key column of `table`. */
function namesKeyColumn(ast: AstNode, items: readonly Item[], table: SqlTable): boolean {
  const keys = new Set(table.columns.filter((c) => c.pk).map((c) => c.name));
  let found = false;
  walk([items.map((i) => i.node), ast.where, ast.groupby, ast.having, ast.orderby], (n) => {
    if (n.type === 'column_ref' && keys.has(columnName(n))) found = true;
    return !found;
  });
  return found;
}

function finish(
  rows: { values: SqlValue[]; sort: SqlValue[] }[],
  desc: readonly boolean[],
  distinct: boolean,
  sort: boolean,
): { values: SqlValue[]; sort: SqlValue[] }[] {
  let out = rows;
  if (distinct) {
    const seen = new Set<string>();
    out = out.filter((r) => {
      const k = r.values.map(valueKey).join('\u0001');
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  if (sort) {
    out = out.slice().sort((a, b) => {
      for (let i = 0; i < desc.length; i++) {
        const c = compareNullable(a.sort[i], b.sort[i]);
        if (c !== 0) return desc[i] ? -c : c;
      }
      return 0;
    });
  }
  return out;
}

/** Column type to announce when a result column has no non-NULL value to show its type. */
function staticType(node: AstNode, from: FromClause): SqlType {
  if (node.type === 'column_ref')
    return from.columns[from.resolve((node.table as string | null) ?? null, columnName(node))]?.type ?? SqlType.STRING;
  if (node.type === 'aggr_func') {
    const fn = String(node.name).toUpperCase();
    if (fn === 'COUNT') return SqlType.LONG;
    if (fn === 'AVG') return SqlType.DOUBLE;
    const arg = (node.args as { expr?: AstNode } | undefined)?.expr;
    return arg ? staticType(arg, from) : SqlType.STRING;
  }
  const lit = literalValue(node);
  if (lit !== undefined && lit !== null) return typeOfValue(lit);
  return SqlType.STRING;
}
