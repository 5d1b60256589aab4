/**
 * Query compilation and evaluation (docs/protocol-search.md §4). A compiled query has an exact per-document
 * test and, where an index structure can answer it, a candidate set (a superset of its matches, taken from
 * the inverted index or the numeric B+ tree), so a selective query never walks the whole index.
 */
import { errors } from '../errors';
import { analyzeQuery, type AnalyzerSpec } from './analyzer';
import { bm25Idf, bm25Tf } from './bm25';
import { inBox, inPolygon, distanceMeters, parseGeoPoint, type GeoPoint } from './geo';
import { FieldType, QueryType, decodeSearch, type QueryMsg } from './proto';
import type { FieldValue, IndexField, TextValue } from './schema';
import { notSupported } from './schema';
import { addIds, asSet, type Posting, type SearchIndex } from './search-index';
import { findField, variantFor } from './sort-spec';
import { wildcardMatcher } from '../pattern-match';

export type Values = ReadonlyMap<string, readonly FieldValue[]>;

export interface Compiled {
  test(doc: Values): boolean;
  /** Relevance of a matching document: BM25 for term-like queries on indexed fields (bm25.ts), else constant. */
  score(doc: Values): number;
  /** A superset of the matching doc ids, or undefined when only a full walk can tell. */
  candidates?: (() => Set<number> | undefined) | undefined;
}

interface Scope {
  readonly index: SearchIndex;
  /** Fields visible here: the index's, or a NESTED field's sub-fields inside a NestedQuery. */
  readonly fields: readonly IndexField[];
  /** `path.` inside a NestedQuery, '' at the top. */
  readonly prefix: string;
}

const invalid = (m: string) => errors.parameterInvalid(m);
const QUERY_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(QueryType).map(([k, v]) => [v, `${k}_QUERY`]),
);

interface Resolved {
  readonly field: IndexField;
  /** Key of the values in the documents of this scope. */
  readonly key: string;
  /** True when the inverted index / numeric tree of this field can be used. */
  readonly indexed: boolean;
}

function resolve(scope: Scope, name: string | undefined): Resolved {
  const n = name ?? '';
  if (scope.prefix) {
    if (!n.startsWith(scope.prefix))
      throw invalid(`Field ${n} is not under the nested path ${scope.prefix.slice(0, -1)}.`);
    const sub = scope.fields.find((f) => f.name === n.slice(scope.prefix.length));
    if (!sub) throw invalid(`Field ${n} is not a field of the index.`);
    return { field: sub, key: sub.name, indexed: false };
  }
  const found = findField(scope.fields, n);
  if (!found) throw invalid(`Field ${n} is not a field of the index.`);
  if (found.nestedPath)
    throw invalid(`Field ${n} is inside NESTED field ${found.nestedPath}: query it with a NestedQuery.`);
  if (found.field.type === FieldType.NESTED) throw invalid(`Field ${n} is NESTED: query it with a NestedQuery.`);
  if (!found.field.index) throw invalid(`Field ${n} is not indexed (index: false).`);
  return { field: found.field, key: found.field.name, indexed: true };
}

function union(sets: Iterable<Posting | undefined>): Set<number> {
  const out = new Set<number>();
  for (const s of sets) addIds(out, s);
  return out;
}

function intersect(sets: Set<number>[]): Set<number> {
  if (sets.length === 0) return new Set();
  const sorted = [...sets].sort((a, b) => a.size - b.size);
  const out = new Set<number>();
  outer: for (const id of sorted[0]) {
    for (let i = 1; i < sorted.length; i++) if (!sorted[i].has(id)) continue outer;
    out.add(id);
  }
  return out;
}

const isNumeric = (f: IndexField) =>
  f.type === FieldType.LONG || f.type === FieldType.DOUBLE || f.type === FieldType.DATE;

/** The strings a document holds for term-like tests: KEYWORD values, BOOLEAN as text, TEXT tokens. */
function termsOf(field: IndexField, values: readonly FieldValue[]): string[] {
  if (field.type === FieldType.TEXT) return values.flatMap((v) => (v as TextValue).tokens.map((t) => t.term));
  if (field.type === FieldType.BOOLEAN) return values.map((v) => String(v));
  return values as string[];
}

function queryValue(field: IndexField, bytes: Uint8Array | undefined, what: string): number | string | boolean {
  if (!bytes || bytes.length === 0) throw invalid(`${what} needs a value.`);
  if (field.type === FieldType.GEO_POINT || field.type === FieldType.NESTED)
    throw invalid(
      `${what} does not apply to ${field.type === FieldType.NESTED ? 'NESTED' : 'GEO_POINT'} field ${field.name}.`,
    );
  const v = variantFor(field, bytes, what);
  if (field.type === FieldType.BOOLEAN && typeof v !== 'boolean')
    throw invalid(`${what}: field ${field.name} is BOOLEAN and needs a BOOLEAN value.`);
  if (field.type === FieldType.TEXT && typeof v !== 'string')
    throw invalid(`${what}: field ${field.name} is TEXT and needs a STRING value.`);
  return v;
}

type Scorer = (doc: Values) => number;

/**
 * The BM25 score of a document for query terms of an indexed KEYWORD, BOOLEAN or TEXT field: the sum over the
 * terms the document holds of idf(t) · tf(freq, dl), times the query weight (Lucene's boost). A KEYWORD or
 * BOOLEAN value counts as one term, so dl is the number of values there. Undefined where the index keeps no
 * statistics (numeric fields, sub-fields of a NESTED field): those queries keep a constant score.
 */
function bm25Score(scope: Scope, r: Resolved, terms: readonly string[], weight: number): Scorer | undefined {
  const stats = r.indexed ? scope.index.fieldStats(r.field.name) : undefined;
  if (!stats) return undefined;
  const f = r.field;
  // Read the statistics when the first document is scored: a compiled query that only tests (a filter, an
  // aggregation, a scan) never pays for them. Nothing writes between compiling and scoring a request.
  let idfs: number[] | undefined;
  let avgdl = 1;
  const wanted = new Set(terms);
  return (doc) => {
    const held = termsOf(f, doc.get(r.key) ?? []);
    if (held.length === 0) return 0;
    if (!idfs) {
      idfs = terms.map((t) => bm25Idf(scope.index.docFreq(f.name, t), stats.docs));
      avgdl = stats.length / stats.docs;
    }
    // One pass over the document's terms (a Terms query may name up to 1024 terms, a text may be long).
    const freqs = new Map<string, number>();
    for (const t of held) if (wanted.has(t)) freqs.set(t, (freqs.get(t) ?? 0) + 1);
    let s = 0;
    for (let i = 0; i < terms.length; i++) {
      const freq = freqs.get(terms[i]);
      if (freq !== undefined) s += idfs[i] * bm25Tf(freq, held.length, avgdl);
    }
    return weight * s;
  };
}

/** A query on one field given as a per-value predicate plus an optional index lookup. */
function fieldQuery(
  r: Resolved,
  matchValue: (v: FieldValue) => boolean,
  lookup?: () => Set<number>,
  weight = 1,
  score?: Scorer,
): Compiled {
  const test = (doc: Values): boolean => {
    const values = doc.get(r.key);
    if (!values) return false;
    return values.some(matchValue);
  };
  return { test, score: score ?? (() => weight), candidates: r.indexed && lookup ? lookup : undefined };
}

function termQuery(scope: Scope, r: Resolved, values: (number | string | boolean)[], weight: number): Compiled {
  const f = r.field;
  if (isNumeric(f)) {
    const nums = new Set(values.map((v) => Number(v)));
    return fieldQuery(
      r,
      (v) => nums.has(v as number),
      () => union([...nums].map((n) => scope.index.numeric.get(f.name)?.get(n))),
      weight,
    );
  }
  const strings = new Set(values.map((v) => String(v)));
  // Terms scores like a bool of should term queries: each distinct given term the document holds adds its part.
  const score = bm25Score(scope, r, [...strings], weight) ?? (() => weight);
  if (f.type === FieldType.TEXT) {
    const test = (doc: Values): boolean => termsOf(f, doc.get(r.key) ?? []).some((t) => strings.has(t));
    return {
      test,
      score,
      candidates: r.indexed ? () => union([...strings].map((s) => scope.index.terms.get(f.name)?.get(s))) : undefined,
    };
  }
  return fieldQuery(
    r,
    (v) => strings.has(String(v)),
    () => union([...strings].map((s) => scope.index.terms.get(f.name)?.get(s))),
    weight,
    score,
  );
}

/** Ids of documents holding any term accepted by `accept` (walks the field's term dictionary). */
function termScan(scope: Scope, r: Resolved, accept: (term: string) => boolean): (() => Set<number>) | undefined {
  const map = scope.index.terms.get(r.field.name);
  if (!r.indexed || !map) return undefined;
  return () => {
    const out = new Set<number>();
    for (const [term, ids] of map) if (accept(term)) addIds(out, ids);
    return out;
  };
}

function termPredicateQuery(
  scope: Scope,
  r: Resolved,
  accept: (term: string) => boolean,
  what: string,
  weight: number,
): Compiled {
  const f = r.field;
  if (f.type !== FieldType.KEYWORD && f.type !== FieldType.TEXT)
    throw invalid(`${what} applies to KEYWORD and TEXT fields, not to field ${f.name}.`);
  const test = (doc: Values): boolean => termsOf(f, doc.get(r.key) ?? []).some(accept);
  return { test, score: () => weight, candidates: termScan(scope, r, accept) };
}

function analyzerOf(f: IndexField): AnalyzerSpec {
  return f.analyzer ?? { name: 'single_word' };
}

/**
 * How many times the tokens hold the query tokens at consecutive positions (offset-aware for fuzzy); with
 * `first`, stops at the first occurrence.
 */
function phraseCount(
  tokens: readonly { term: string; pos: number }[],
  phrase: readonly { term: string; pos: number }[],
  first = false,
): number {
  if (phrase.length === 0) return 0;
  const positions = new Map<string, Set<number>>();
  for (const t of tokens) {
    let s = positions.get(t.term);
    if (!s) positions.set(t.term, (s = new Set()));
    s.add(t.pos);
  }
  const starts = positions.get(phrase[0].term);
  if (!starts) return 0;
  let n = 0;
  for (const start of starts) {
    if (!phrase.every((p) => positions.get(p.term)?.has(start + p.pos - phrase[0].pos))) continue;
    n++;
    if (first) break;
  }
  return n;
}

function textTerms(text: string, f: IndexField): { term: string; pos: number }[] {
  return analyzeQuery(text, analyzerOf(f));
}

function matchQuery(scope: Scope, bytes: Uint8Array): Compiled {
  const q = decodeSearch<{
    field_name?: string;
    text?: string;
    minimum_should_match?: number;
    operator?: number;
    weight?: number;
  }>('MatchQuery', bytes);
  const r = resolve(scope, q.field_name);
  const f = r.field;
  const weight = q.weight ?? 1;
  const text = q.text ?? '';
  if (f.type !== FieldType.TEXT) {
    // On non-text fields a match is a term query on the whole text.
    if (f.type === FieldType.GEO_POINT) throw invalid(`MatchQuery does not apply to GEO_POINT field ${f.name}.`);
    const value = isNumeric(f) ? Number(text) : f.type === FieldType.BOOLEAN ? text === 'true' : text;
    if (typeof value === 'number' && !Number.isFinite(value))
      throw invalid(`MatchQuery: '${text}' is not a number for field ${f.name}.`);
    return termQuery(scope, r, [value], weight);
  }
  const terms = [...new Set(textTerms(text, f).map((t) => t.term))];
  const and = q.operator === 2;
  const msm = and ? terms.length : Math.max(1, q.minimum_should_match ?? 1);
  const count = (doc: Values): number => {
    const have = new Set(termsOf(f, doc.get(r.key) ?? []));
    let n = 0;
    for (const t of terms) if (have.has(t)) n++;
    return n;
  };
  const map = scope.index.terms.get(f.name);
  // OR and AND alike score as Lucene's bool of term queries: the sum of the matched terms' BM25 parts.
  const bm25 = bm25Score(scope, r, terms, weight);
  return {
    test: (doc) => terms.length > 0 && count(doc) >= msm,
    score: bm25 ?? ((doc) => (terms.length === 0 ? 0 : (weight * count(doc)) / terms.length)),
    candidates:
      r.indexed && map
        ? () => (and ? intersect(terms.map((t) => asSet(map.get(t)))) : union(terms.map((t) => map.get(t))))
        : undefined,
  };
}

function matchPhraseQuery(scope: Scope, bytes: Uint8Array): Compiled {
  const q = decodeSearch<{ field_name?: string; text?: string; weight?: number }>('MatchPhraseQuery', bytes);
  const r = resolve(scope, q.field_name);
  const f = r.field;
  const weight = q.weight ?? 1;
  if (f.type !== FieldType.TEXT) {
    if (f.type !== FieldType.KEYWORD)
      throw invalid(`MatchPhraseQuery applies to TEXT and KEYWORD fields, not to field ${f.name}.`);
    return termQuery(scope, r, [q.text ?? ''], weight);
  }
  const phrase = textTerms(q.text ?? '', f);
  const map = scope.index.terms.get(f.name);
  const stats = r.indexed ? scope.index.fieldStats(f.name) : undefined;
  const occurrences = (doc: Values): number => {
    let n = 0;
    for (const v of doc.get(r.key) ?? []) n += phraseCount((v as TextValue).tokens, phrase);
    return n;
  };
  // As Lucene's PhraseQuery: idf = the sum of the phrase tokens' idfs, freq = the phrase's occurrences (a
  // phrase never spans two values of an array), dl = the field's token count.
  let idf: number | undefined;
  const score = (doc: Values): number => {
    if (!stats) return weight;
    const freq = occurrences(doc);
    if (freq === 0) return 0;
    if (idf === undefined) {
      idf = 0;
      for (const t of phrase) idf += bm25Idf(scope.index.docFreq(f.name, t.term), stats.docs);
    }
    const dl = termsOf(f, doc.get(r.key) ?? []).length;
    return weight * idf * bm25Tf(freq, dl, stats.length / stats.docs);
  };
  return {
    test: (doc) => (doc.get(r.key) ?? []).some((v) => phraseCount((v as TextValue).tokens, phrase, true) > 0),
    score,
    candidates: r.indexed && map ? () => intersect(phrase.map((t) => asSet(map.get(t.term)))) : undefined,
  };
}

function rangeQuery(scope: Scope, bytes: Uint8Array): Compiled {
  const q = decodeSearch<{
    field_name?: string;
    range_from?: Uint8Array;
    range_to?: Uint8Array;
    include_lower?: boolean;
    include_upper?: boolean;
  }>('RangeQuery', bytes);
  const r = resolve(scope, q.field_name);
  const f = r.field;
  const from = q.range_from && q.range_from.length > 0 ? queryValue(f, q.range_from, 'RangeQuery') : undefined;
  const to = q.range_to && q.range_to.length > 0 ? queryValue(f, q.range_to, 'RangeQuery') : undefined;
  const lo = q.include_lower ?? false;
  const hi = q.include_upper ?? false;
  if (f.type === FieldType.BOOLEAN) throw invalid(`RangeQuery does not apply to BOOLEAN field ${f.name}.`);
  const inRange = (v: number | string): boolean => {
    if (from !== undefined && (lo ? v < from : v <= from)) return false;
    if (to !== undefined && (hi ? v > to : v >= to)) return false;
    return true;
  };
  if (isNumeric(f)) {
    const tree = scope.index.numeric.get(f.name);
    const lookup = tree
      ? (): Set<number> => {
          const out = new Set<number>();
          const low = from === undefined ? -Infinity : Number(from);
          const high = to === undefined ? Infinity : Number(to);
          tree.forRange(low, high, true, (k, ids) => {
            if (inRange(k)) addIds(out, ids);
          });
          return out;
        }
      : undefined;
    return fieldQuery(r, (v) => inRange(v as number), lookup);
  }
  const test = (doc: Values): boolean => termsOf(f, doc.get(r.key) ?? []).some((t) => inRange(t));
  return { test, score: () => 1, candidates: termScan(scope, r, (t) => inRange(t)) };
}

function geoField(r: Resolved, what: string): void {
  if (r.field.type !== FieldType.GEO_POINT)
    throw invalid(`${what} applies to GEO_POINT fields, not to field ${r.field.name}.`);
}

function point(text: string | undefined): GeoPoint {
  const p = parseGeoPoint(text ?? '');
  if (!p) throw invalid(`Invalid geo point: '${text ?? ''}'.`);
  return p;
}

function boolQuery(scope: Scope, bytes: Uint8Array, depth: number): Compiled {
  const q = decodeSearch<{
    must_queries: QueryMsg[];
    must_not_queries: QueryMsg[];
    filter_queries: QueryMsg[];
    should_queries: QueryMsg[];
    minimum_should_match?: number;
  }>('BoolQuery', bytes);
  const must = q.must_queries.map((m) => compileIn(scope, m, depth + 1));
  const filter = q.filter_queries.map((m) => compileIn(scope, m, depth + 1));
  const mustNot = q.must_not_queries.map((m) => compileIn(scope, m, depth + 1));
  const should = q.should_queries.map((m) => compileIn(scope, m, depth + 1));
  const msm = q.minimum_should_match ?? (must.length + filter.length === 0 && should.length > 0 ? 1 : 0);
  if (msm > should.length && should.length > 0)
    throw invalid(`minimum_should_match ${msm} exceeds the number of should queries (${should.length}).`);
  const test = (doc: Values): boolean => {
    for (const m of must) if (!m.test(doc)) return false;
    for (const m of filter) if (!m.test(doc)) return false;
    for (const m of mustNot) if (m.test(doc)) return false;
    if (msm > 0) {
      let n = 0;
      for (const s of should) if (s.test(doc) && ++n >= msm) break;
      if (n < msm) return false;
    }
    return true;
  };
  const score = (doc: Values): number => {
    let s = 0;
    for (const m of must) s += m.score(doc);
    for (const m of should) if (m.test(doc)) s += m.score(doc);
    return s;
  };
  const candidates = (): Set<number> | undefined => {
    let best: Set<number> | undefined;
    for (const m of [...must, ...filter]) {
      const c = m.candidates?.();
      if (c && (!best || c.size < best.size)) best = c;
    }
    if (best) return best;
    if (msm > 0 && should.every((s) => s.candidates)) {
      const sets: Set<number>[] = [];
      for (const s of should) {
        const c = s.candidates!();
        if (!c) return undefined; // that clause can match anything
        sets.push(c);
      }
      return union(sets);
    }
    return undefined;
  };
  return { test, score, candidates };
}

function compileIn(scope: Scope, msg: QueryMsg | undefined, depth: number): Compiled {
  if (depth > 64) throw invalid('The query is nested too deeply.');
  if (!msg || msg.type === undefined) throw invalid('A query needs a type.');
  const bytes = msg.query ?? new Uint8Array(0);
  switch (msg.type) {
    case QueryType.MATCH_ALL:
      return { test: () => true, score: () => 1 };
    case QueryType.MATCH:
      return matchQuery(scope, bytes);
    case QueryType.MATCH_PHRASE:
      return matchPhraseQuery(scope, bytes);
    case QueryType.TERM: {
      const q = decodeSearch<{ field_name?: string; term?: Uint8Array; weight?: number }>('TermQuery', bytes);
      const r = resolve(scope, q.field_name);
      return termQuery(scope, r, [queryValue(r.field, q.term, 'TermQuery')], q.weight ?? 1);
    }
    case QueryType.TERMS: {
      const q = decodeSearch<{ field_name?: string; terms: Uint8Array[]; weight?: number }>('TermsQuery', bytes);
      const r = resolve(scope, q.field_name);
      if (q.terms.length === 0) throw invalid('TermsQuery needs at least one term.');
      if (q.terms.length > 1024) throw invalid('TermsQuery accepts at most 1024 terms.');
      return termQuery(
        scope,
        r,
        q.terms.map((t) => queryValue(r.field, t, 'TermsQuery')),
        q.weight ?? 1,
      );
    }
    case QueryType.RANGE:
      return rangeQuery(scope, bytes);
    case QueryType.PREFIX: {
      const q = decodeSearch<{ field_name?: string; prefix?: string; weight?: number }>('PrefixQuery', bytes);
      const prefix = q.prefix ?? '';
      return termPredicateQuery(
        scope,
        resolve(scope, q.field_name),
        (t) => t.startsWith(prefix),
        'PrefixQuery',
        q.weight ?? 1,
      );
    }
    case QueryType.WILDCARD: {
      const q = decodeSearch<{ field_name?: string; value?: string; weight?: number }>('WildcardQuery', bytes);
      const match = wildcardMatcher(q.value ?? '');
      return termPredicateQuery(scope, resolve(scope, q.field_name), match, 'WildcardQuery', q.weight ?? 1);
    }
    case QueryType.EXISTS: {
      const q = decodeSearch<{ field_name?: string }>('ExistsQuery', bytes);
      const name = q.field_name ?? '';
      // Exists also accepts a NESTED field itself (any element present).
      const nestedSelf = !scope.prefix
        ? scope.fields.find((f) => f.name === name && f.type === FieldType.NESTED)
        : undefined;
      const key = nestedSelf ? nestedSelf.name : resolve(scope, name).key;
      return { test: (doc) => (doc.get(key)?.length ?? 0) > 0, score: () => 1 };
    }
    case QueryType.BOOL:
      return boolQuery(scope, bytes, depth);
    case QueryType.CONST_SCORE: {
      const q = decodeSearch<{ filter?: QueryMsg }>('ConstScoreQuery', bytes);
      const inner = compileIn(scope, q.filter, depth + 1);
      return { test: inner.test, score: () => 1, candidates: inner.candidates };
    }
    case QueryType.NESTED: {
      const q = decodeSearch<{
        path?: string;
        query?: QueryMsg;
        score_mode?: number;
        weight?: number;
        inner_hits?: Uint8Array;
      }>('NestedQuery', bytes);
      if (scope.prefix) throw invalid('A NestedQuery cannot be inside another NestedQuery.');
      if (q.inner_hits && q.inner_hits.length > 0) throw notSupported('NestedQuery inner_hits');
      const parent = scope.fields.find((f) => f.name === q.path && f.type === FieldType.NESTED);
      if (!parent) throw invalid(`Nested path ${q.path ?? ''} is not a NESTED field of the index.`);
      const inner = compileIn(
        { index: scope.index, fields: parent.fields ?? [], prefix: `${parent.name}.` },
        q.query,
        depth + 1,
      );
      const subs = (doc: Values) => (doc.get(parent.name) ?? []) as readonly Values[];
      return {
        test: (doc) => subs(doc).some((s) => inner.test(s)),
        score: (doc) =>
          (q.weight ?? 1) *
          Math.max(
            0,
            ...subs(doc)
              .filter((s) => inner.test(s))
              .map((s) => inner.score(s)),
          ),
      };
    }
    case QueryType.GEO_DISTANCE: {
      const q = decodeSearch<{ field_name?: string; center_point?: string; distance?: number }>(
        'GeoDistanceQuery',
        bytes,
      );
      const r = resolve(scope, q.field_name);
      geoField(r, 'GeoDistanceQuery');
      const center = point(q.center_point);
      const d = q.distance ?? 0;
      if (!(d >= 0)) throw invalid('GeoDistanceQuery needs a distance >= 0.');
      return fieldQuery(r, (v) => distanceMeters(center, v as GeoPoint) <= d);
    }
    case QueryType.GEO_BOUNDING_BOX: {
      const q = decodeSearch<{ field_name?: string; top_left?: string; bottom_right?: string }>(
        'GeoBoundingBoxQuery',
        bytes,
      );
      const r = resolve(scope, q.field_name);
      geoField(r, 'GeoBoundingBoxQuery');
      const tl = point(q.top_left);
      const br = point(q.bottom_right);
      if (tl.lat < br.lat) throw invalid('GeoBoundingBoxQuery: top_left must not be below bottom_right.');
      return fieldQuery(r, (v) => inBox(v as GeoPoint, tl, br));
    }
    case QueryType.GEO_POLYGON: {
      const q = decodeSearch<{ field_name?: string; points: string[] }>('GeoPolygonQuery', bytes);
      const r = resolve(scope, q.field_name);
      geoField(r, 'GeoPolygonQuery');
      if (q.points.length < 3) throw invalid('GeoPolygonQuery needs at least 3 points.');
      const polygon = q.points.map(point);
      return fieldQuery(r, (v) => inPolygon(v as GeoPoint, polygon));
    }
    default: {
      const name = QUERY_NAMES[msg.type];
      if (name) throw notSupported(name);
      throw invalid(`Invalid query type: ${msg.type}.`);
    }
  }
}

export function compileQuery(index: SearchIndex, msg: QueryMsg | undefined): Compiled {
  if (!msg) return { test: () => true, score: () => 1 };
  return compileIn({ index, fields: index.def.fields, prefix: '' }, msg, 0);
}
