/**
 * The in-memory structure of one search index (docs/protocol-search.md §6): documents by id, an inverted
 * index (term → doc ids) for KEYWORD, BOOLEAN and TEXT tokens, and a sorted B+ tree (value → doc ids) for
 * LONG, DOUBLE and DATE, so selective queries cost about their matches, not the table size. Term-indexed fields
 * also keep the BM25 statistics of their scores (bm25.ts), updated with the postings on every put and remove.
 */
import BTreeModule from 'sorted-btree';
import { FieldType } from './proto';
import type { FieldValue, IndexDefinition, IndexField, TextValue } from './schema';

const BTree = (BTreeModule as unknown as { default?: typeof BTreeModule }).default ?? BTreeModule;

/** Row ids holding a term or value: a bare id while there is one (most values are unique), else a set. */
export type Posting = number | Set<number>;
export type NumericTree = InstanceType<typeof BTree<number, Posting>>;

export function addIds(out: Set<number>, p: Posting | undefined): void {
  if (p === undefined) return;
  if (typeof p === 'number') out.add(p);
  else for (const id of p) out.add(id);
}

export function asSet(p: Posting | undefined): Set<number> {
  if (p === undefined) return new Set();
  return typeof p === 'number' ? new Set([p]) : p;
}

function withId(p: Posting | undefined, id: number): Posting {
  if (p === undefined || p === id) return id;
  if (typeof p === 'number') return new Set([p, id]);
  p.add(id);
  return p;
}

/** The posting without `id`; undefined when it becomes empty. */
function withoutId(p: Posting | undefined, id: number): Posting | undefined {
  if (p === undefined || p === id) return undefined;
  if (typeof p === 'number') return p;
  p.delete(id);
  if (p.size === 1) return p.values().next().value;
  return p;
}

export interface Doc {
  readonly id: number;
  /** The row's encoded primary key as a latin1 string (byte order = primary-key order). */
  readonly key: string;
  readonly values: ReadonlyMap<string, readonly FieldValue[]>;
  /** Newest cell timestamp of the row (ms), for the index TTL. */
  readonly ts: number;
  /** Fields whose values here are not exactly the row's column value (schema.ts `holdsExactly`). */
  readonly inexact?: readonly string[] | undefined;
}

function termOf(field: IndexField, v: FieldValue): string | undefined {
  if (field.type === FieldType.KEYWORD) return v as string;
  if (field.type === FieldType.BOOLEAN) return String(v);
  return undefined;
}

/** BM25 statistics of one term-indexed field: documents with at least one term in it, and their total terms. */
export interface FieldStats {
  docs: number;
  length: number;
}

export class SearchIndex {
  readonly docs: (Doc | undefined)[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly freeIds: number[] = [];
  /** field → term → doc ids (KEYWORD values, BOOLEAN "true"/"false", TEXT tokens). */
  readonly terms = new Map<string, Map<string, Posting>>();
  /** field → value → doc ids (LONG, DOUBLE, DATE). */
  readonly numeric = new Map<string, NumericTree>();
  /** field → BM25 statistics (same fields as `terms`). */
  private readonly stats = new Map<string, FieldStats>();
  /** field → documents whose value of it is not exactly the row's (see Doc.inexact). */
  private readonly inexact = new Map<string, number>();
  size = 0;

  constructor(public def: IndexDefinition) {
    for (const f of def.fields) {
      if (!f.index) continue;
      if (f.type === FieldType.LONG || f.type === FieldType.DOUBLE || f.type === FieldType.DATE) {
        this.numeric.set(f.name, new BTree<number, Posting>(undefined, (a, b) => a - b));
      } else if (f.type === FieldType.KEYWORD || f.type === FieldType.BOOLEAN || f.type === FieldType.TEXT) {
        this.terms.set(f.name, new Map());
        this.stats.set(f.name, { docs: 0, length: 0 });
      }
    }
  }

  /** BM25 statistics of a term-indexed field (undefined for other fields). */
  fieldStats(field: string): Readonly<FieldStats> | undefined {
    return this.stats.get(field);
  }

  /** Documents whose field holds the term: n(t) of BM25. */
  docFreq(field: string, term: string): number {
    const p = this.terms.get(field)?.get(term);
    return p === undefined ? 0 : typeof p === 'number' ? 1 : p.size;
  }

  /** Documents whose value of `field` is not exactly their row's column value; 0: every document holds it. */
  inexactDocs(field: string): number {
    return this.inexact.get(field) ?? 0;
  }

  private countInexact(doc: Doc, sign: number): void {
    for (const f of doc.inexact ?? []) this.inexact.set(f, (this.inexact.get(f) ?? 0) + sign);
  }

  docByKey(key: string): Doc | undefined {
    const id = this.byKey.get(key);
    return id === undefined ? undefined : this.docs[id];
  }

  private postings(doc: Doc, add: boolean): void {
    for (const f of this.def.fields) {
      const values = doc.values.get(f.name);
      if (!values) continue;
      const tree = this.numeric.get(f.name);
      if (tree) {
        for (const v of values) {
          const n = v as number;
          const next = add ? withId(tree.get(n), doc.id) : withoutId(tree.get(n), doc.id);
          if (next === undefined) tree.delete(n);
          else tree.set(n, next);
        }
        continue;
      }
      const map = this.terms.get(f.name);
      if (!map) continue;
      let length = 0;
      for (const v of values) {
        const terms = f.type === FieldType.TEXT ? (v as TextValue).tokens.map((t) => t.term) : [termOf(f, v)!];
        length += terms.length;
        for (const term of terms) {
          const next = add ? withId(map.get(term), doc.id) : withoutId(map.get(term), doc.id);
          if (next === undefined) map.delete(term);
          else map.set(term, next);
        }
      }
      if (length > 0) {
        const st = this.stats.get(f.name)!;
        const sign = add ? 1 : -1;
        st.docs += sign;
        st.length += sign * length;
      }
    }
  }

  /** Adds or replaces the document of a row; `inexact` names the fields it does not hold exactly. */
  put(key: string, values: ReadonlyMap<string, readonly FieldValue[]>, ts: number, inexact?: readonly string[]): void {
    const old = this.byKey.get(key);
    let id: number;
    if (old !== undefined) {
      this.postings(this.docs[old]!, false);
      this.countInexact(this.docs[old]!, -1);
      id = old;
    } else {
      id = this.freeIds.pop() ?? this.docs.length;
      this.byKey.set(key, id);
      this.size++;
    }
    const doc: Doc = inexact ? { id, key, values, ts, inexact } : { id, key, values, ts };
    this.docs[id] = doc;
    this.postings(doc, true);
    this.countInexact(doc, 1);
  }

  remove(key: string): void {
    const id = this.byKey.get(key);
    if (id === undefined) return;
    this.postings(this.docs[id]!, false);
    this.countInexact(this.docs[id]!, -1);
    this.docs[id] = undefined;
    this.byKey.delete(key);
    this.freeIds.push(id);
    this.size--;
  }

  clear(): void {
    this.docs.length = 0;
    this.byKey.clear();
    this.freeIds.length = 0;
    this.size = 0;
    this.inexact.clear();
    for (const m of this.terms.values()) m.clear();
    for (const st of this.stats.values()) {
      st.docs = 0;
      st.length = 0;
    }
    for (const t of this.numeric.values()) t.clear();
  }

  *allDocs(): IterableIterator<Doc> {
    for (const d of this.docs) if (d) yield d;
  }
}
