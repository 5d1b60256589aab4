/**
 * The FROM clause: one table, or tables joined left to right (INNER, LEFT, RIGHT, CROSS; ON or USING), as
 * the SQL reference documents JOIN. A combined row is the concatenation of the sources' rows; column
 * references resolve to a position in it (qualified by table name or alias, or unqualified when the name is
 * unique — a USING column resolves to its first source). Each source is read with the key range its WHERE
 * conditions allow: WHERE conditions on a source reject its NULL-extended rows too, so narrowing any side of
 * any join this way never changes the answer. A join with equality conditions between the sides builds a
 * hash table on the right side (HASH JOIN); without them it compares every pair.
 */
import type { KvStore } from '../persistence/store';
import { capacityUnits } from '../handlers/wide/capacity';
import { compile, truth, type Compiled, type CompileScope, type Row } from './expr';
import type { MappedColumn, MappingStore, SqlTable } from './mapping';
import type { AstNode } from './parse';
import { columnName } from './parse';
import { chooseAccess, type SourceAccess } from './access';
import type { SqlEngineOptions } from './options';
import { conjuncts } from './plan';
import { readRows, scanRows, ScanStats, type KeyRange } from './scan';
import { sqlError, valueKey, type SqlValue } from './values';

type JoinKind = 'INNER' | 'LEFT' | 'RIGHT' | 'CROSS';

/**
 * Combined rows one join may produce. Each side is bounded by the scan limit, but their product is not: a
 * CROSS JOIN of two 10,000-row tables would hold 100 million rows and exhaust the server's memory. Our limit
 * (the service documents none; docs/protocol-sql.md §7).
 */
export const MAX_JOIN_ROWS = 1_000_000;
/** Pairs of rows one join may compare (a join on a condition other than equality compares every pair). */
export const MAX_JOIN_PAIRS = 20_000_000;

function joinTooLarge(what: string): Error {
  return sqlError(`The query ${what}; narrow each side with conditions or join on equal columns.`);
}

export interface Source {
  readonly table: SqlTable;
  /** Name that qualifies its columns: the alias, else the table name. */
  readonly label: string;
  /** Position of its first column in a combined row. */
  readonly offset: number;
  readonly join?:
    | { readonly kind: JoinKind; readonly on?: AstNode | undefined; readonly using?: readonly string[] | undefined }
    | undefined;
}

export interface FromClause {
  readonly sources: readonly Source[];
  /** Columns of the combined row. */
  readonly columns: readonly MappedColumn[];
  /** Position of a column reference in the combined row; throws for unknown or ambiguous names. */
  resolve(qualifier: string | null, name: string): number;
  /** Index of the source a column reference belongs to, or -1. */
  sourceOf(ref: AstNode): number;
}

const JOIN_KINDS: Record<string, JoinKind> = {
  'INNER JOIN': 'INNER',
  JOIN: 'INNER',
  'LEFT JOIN': 'LEFT',
  'LEFT OUTER JOIN': 'LEFT',
  'RIGHT JOIN': 'RIGHT',
  'RIGHT OUTER JOIN': 'RIGHT',
  'CROSS JOIN': 'CROSS',
};

export function resolveFrom(from: Record<string, unknown>[] | null, mappings: MappingStore): FromClause {
  const sources: Source[] = [];
  let offset = 0;
  for (const [i, f] of (from ?? []).entries()) {
    if (f.expr || !f.table) throw sqlError('Subqueries in FROM are not supported.');
    if (f.db) throw sqlError(`Database qualifier '${String(f.db)}' is not supported; name the table alone.`);
    const table = mappings.require(String(f.table));
    const label = (f.as as string | null) ?? table.name;
    if (sources.some((s) => s.label === label)) throw sqlError(`Not unique table/alias: '${label}'.`);
    let join: Source['join'];
    if (i > 0) {
      const kindText = f.join ? String(f.join).toUpperCase() : 'CROSS JOIN';
      const kind = JOIN_KINDS[kindText];
      if (!kind) throw sqlError(`${kindText} is not supported.`);
      const using = (f.using as { value: string }[] | undefined)?.map((u) => u.value);
      join = { kind, on: (f.on as AstNode | null) ?? undefined, using };
      if ((kind === 'LEFT' || kind === 'RIGHT') && !join.on && !using)
        throw sqlError(`${kindText} needs an ON or USING condition.`);
    }
    sources.push({ table, label, offset, join });
    offset += table.columns.length;
  }
  const columns = sources.flatMap((s) => s.table.columns);
  const usingNames = new Set(sources.flatMap((s) => s.join?.using ?? []));
  const resolve = (qualifier: string | null, name: string): number => {
    if (qualifier !== null) {
      const s = sources.find((x) => x.label === qualifier);
      const i = s ? s.table.columns.findIndex((c) => c.name === name) : -1;
      if (!s || i < 0) throw sqlError(`Unknown column '${qualifier}.${name}'.`);
      return s.offset + i;
    }
    const hits: number[] = [];
    for (const s of sources) {
      const i = s.table.columns.findIndex((c) => c.name === name);
      if (i >= 0) hits.push(s.offset + i);
    }
    if (hits.length === 0)
      throw sqlError(`Unknown column '${name}' in table '${sources.map((s) => s.label).join("', '")}'.`);
    if (hits.length > 1 && !usingNames.has(name))
      throw sqlError(`Column '${name}' is ambiguous; qualify it with its table.`);
    return hits[0];
  };
  const sourceOf = (ref: AstNode): number => {
    try {
      const at = resolve((ref.table as string | null) ?? null, columnName(ref));
      return sources.findIndex((s) => at >= s.offset && at < s.offset + s.table.columns.length);
    } catch {
      return -1;
    }
  };
  return { sources, columns, resolve, sourceOf };
}

/** Reads the FROM clause: combined rows before WHERE, plus the read capacity per table. */
export class FromReader {
  private readonly stats: ScanStats[];
  private readonly access: (SourceAccess | undefined)[];

  constructor(
    private readonly from: FromClause,
    private readonly store: KvStore,
    private readonly nowMs: number,
    private readonly where: AstNode | null,
    /** False when no part of the query names a key column of a single source (see scanRows). */
    private readonly keyColumns = true,
    /** Column names of source i the query names anywhere (a search index must hold them all). */
    private readonly referenced: (i: number) => ReadonlySet<string> = () => new Set(),
    private readonly options?: SqlEngineOptions,
    /** The indexes `USE INDEX (…)` allows; undefined: all. */
    private readonly allowed?: ReadonlySet<string>,
  ) {
    this.stats = from.sources.map(() => new ScanStats());
    this.access = from.sources.map(() => undefined);
  }

  /** Access path of source `i` (chosen once, told to the plan hook). */
  private accessOf(i: number): SourceAccess {
    let a = this.access[i];
    if (!a) {
      a = chooseAccess({
        store: this.store,
        table: this.from.sources[i].table,
        where: this.where,
        refersTo: (ref) => this.from.sourceOf(ref) === i,
        referenced: this.referenced(i),
        options: this.options,
        allowed: this.allowed,
      });
      this.access[i] = a;
      this.options?.onPlan?.(a.plan);
    }
    return a;
  }

  /** Key range of source `i` from the WHERE clause ('empty' when nothing can match). */
  range(i: number): KeyRange | 'empty' {
    return this.accessOf(i).range;
  }

  scan(i: number, range: KeyRange | 'empty' = this.range(i)): Iterable<Row> {
    if (range === 'empty') return [];
    const table = this.from.sources[i].table;
    const keyColumns = this.keyColumns || this.from.sources.length > 1;
    const { keys } = this.accessOf(i);
    if (keys && table.kind === 'wide') {
      const ordered = range.reverse ? keys.slice().reverse() : keys;
      return readRows(this.store, table, ordered, this.nowMs, this.stats[i], keyColumns);
    }
    return scanRows(this.store, table, range, this.nowMs, this.stats[i], keyColumns);
  }

  /** Combined rows of a FROM with joins (materialized; one source streams through `scan`). */
  joined(): Row[] {
    const { sources } = this.from;
    let acc: Row[] = [...this.scan(0)];
    for (let i = 1; i < sources.length; i++) acc = this.joinStep(acc, i);
    return acc;
  }

  private joinStep(left: Row[], i: number): Row[] {
    const s = this.from.sources[i];
    const join = s.join!;
    const width = s.offset + s.table.columns.length;
    const right = [...this.scan(i)];
    const scope: CompileScope = {
      column: (q, name) => {
        const at = this.from.resolve(q, name);
        if (at >= width) throw sqlError(`Unknown column '${q ? `${q}.` : ''}${name}' in the ON clause.`);
        return at;
      },
      aggregateError: 'Invalid use of group function in ON.',
      nowMs: this.nowMs,
    };
    // Equality pairs (left expression, right column) usable as hash keys.
    const pairs: { left: Compiled; right: number }[] = [];
    let condition: Compiled | undefined;
    if (join.using) {
      for (const name of join.using) {
        const r = s.table.columns.findIndex((c) => c.name === name);
        const prior = this.from.sources.slice(0, i).find((p) => p.table.columns.some((c) => c.name === name));
        if (r < 0 || !prior) throw sqlError(`Unknown column '${name}' in USING.`);
        const l = prior.offset + prior.table.columns.findIndex((c) => c.name === name);
        pairs.push({ left: (row) => row[l], right: r });
      }
    } else if (join.on) {
      condition = compile(join.on, scope);
      for (const c of conjuncts(join.on)) {
        if (c.type !== 'binary_expr' || c.operator !== '=') continue;
        const [a, b] = [c.left as AstNode, c.right as AstNode];
        for (const [mine, other] of [
          [a, b],
          [b, a],
        ]) {
          if (mine.type !== 'column_ref' || this.from.sourceOf(mine) !== i) continue;
          if (other.type !== 'column_ref' || this.from.sourceOf(other) < 0 || this.from.sourceOf(other) >= i) continue;
          pairs.push({
            left: compile(other, scope),
            right: this.from.resolve((mine.table as string | null) ?? null, columnName(mine)) - s.offset,
          });
          break;
        }
      }
    }
    const rightNulls = new Array<SqlValue>(s.table.columns.length).fill(null);
    const leftNulls = new Array<SqlValue>(s.offset).fill(null);
    const matched = new Uint8Array(right.length);
    const out: Row[] = [];
    let candidates: (row: Row) => Iterable<number>;
    if (pairs.length > 0) {
      const index = new Map<string, number[]>();
      right.forEach((r, k) => {
        const values = pairs.map((p) => r[p.right]);
        if (values.some((v) => v === null)) return;
        const key = values.map(valueKey).join('\u0001');
        const list = index.get(key);
        if (list) list.push(k);
        else index.set(key, [k]);
      });
      candidates = (row) => {
        const values = pairs.map((p) => p.left(row));
        if (values.some((v) => v === null)) return [];
        return index.get(values.map(valueKey).join('\u0001')) ?? [];
      };
    } else {
      const all = right.map((_, k) => k);
      candidates = () => all;
    }
    const emit = (row: Row) => {
      if (out.length >= MAX_JOIN_ROWS) throw joinTooLarge(`joins more than ${MAX_JOIN_ROWS} rows`);
      out.push(row);
    };
    let compared = 0;
    for (const l of left) {
      let hit = false;
      for (const k of candidates(l)) {
        if (++compared > MAX_JOIN_PAIRS)
          throw joinTooLarge(`compares more than ${MAX_JOIN_PAIRS} pairs of rows in a join`);
        const row = l.concat(right[k]);
        if (condition && truth(condition(row)) !== true) continue;
        hit = true;
        matched[k] = 1;
        emit(row);
      }
      if (!hit && join.kind === 'LEFT') emit(l.concat(rightNulls));
    }
    if (join.kind === 'RIGHT') right.forEach((r, k) => matched[k] || emit(leftNulls.concat(r)));
    return out;
  }

  consumed(): { table: string; read: number; index?: string }[] {
    const bytes = new Map<string, number>();
    const add = (name: string, b: number) => bytes.set(name, (bytes.get(name) ?? 0) + b);
    const searches: { table: string; read: number; index: string }[] = [];
    this.from.sources.forEach((s, i) => {
      add(s.table.source, this.stats[i].bytes);
      const read = this.access[i]?.indexRead;
      if (read?.search) searches.push({ table: s.table.source, read: capacityUnits(read.bytes), index: read.name });
      else if (read) add(read.name, read.bytes);
    });
    return [...[...bytes].map(([table, b]) => ({ table, read: capacityUnits(b) })), ...searches];
  }
}
