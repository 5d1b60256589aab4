/**
 * Relevance scores are BM25 as Lucene's BM25Similarity computes them (docs/protocol-search.md §4). A brute-force
 * oracle below computes them from the raw documents with the formula alone — idf(t) = ln(1 + (N − n(t) + 0.5) /
 * (n(t) + 0.5)), tf = freq / (freq + k1 · (1 − b + b · dl / avgdl)), k1 = 1.2, b = 0.75, N and avgdl over the
 * documents holding the field — and is compared, for random corpora, random write sequences (puts replacing
 * rows, deletes) and random Match / MatchPhrase / Term / Terms / Bool / ConstScore queries:
 *  - in process, score by score against the engine's compiled query and its statistics;
 *  - over HTTP (writes through the official SDK: PutRow, UpdateRow, DeleteRow, BatchWriteRow, local
 *    transactions; searches through our SearchClient with ScoreSort), row order against the oracle's order,
 *    the statistics against the oracle after every sequence and after a restart with --data-dir (rebuild).
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import { SearchClient } from '../../lib/tablestore/search/client';
import { encodeQuery, q, type Query, type Sort } from '../../lib/tablestore/search/query';
import { encodeSearch } from '../../lib/tablestore/search/wire';
import { encodeRow } from '../../lib/tablestore/protocol/plainbuffer';
import type { Transport } from '../../lib/tablestore/transport';
import { WideTableClient } from '../../lib/tablestore/wide';
import { findSearchEngine } from '../../local/tablestore/search/engine';
import { matchDocs } from '../../local/tablestore/search/execute';
import { FieldType } from '../../local/tablestore/search/proto';
import { compileQuery } from '../../local/tablestore/search/query';
import {
  fieldValues,
  type FieldValue,
  type IndexDefinition,
  type IndexField,
} from '../../local/tablestore/search/schema';
import { SearchIndex } from '../../local/tablestore/search/search-index';
import { sdkClient, sdkError, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { Sdk, asSearch, type SearchSdkClient } from './sdk';

// ------------------------------------------------------------------------------------------ documents

/** A row as written: t a TEXT, a a TEXT array, k a KEYWORD array, b a BOOLEAN, n a LONG. */
interface Raw {
  t?: string | undefined;
  a?: string[] | undefined;
  k?: string[] | undefined;
  b?: boolean | undefined;
  n?: number | undefined;
}

// Skewed so that terms have different document frequencies (and so different idfs).
const WORDS = ['red', 'red', 'red', 'red', 'green', 'green', 'blue', 'fox', 'dog'];
const VOCAB = ['red', 'green', 'blue', 'fox', 'dog', 'cat'];
const KEYS = ['x', 'x', 'x', 'y', 'y', 'z'];
const TERM_FIELDS = ['t', 'a', 'k', 'b'] as const;
type TermField = (typeof TERM_FIELDS)[number];

const wordArb = fc.constantFrom(...WORDS);
const textArb = fc.array(wordArb, { maxLength: 7 }).map((w) => w.join(' '));
const rawArb: fc.Arbitrary<Raw> = fc.record(
  {
    t: textArb,
    a: fc.array(textArb, { maxLength: 3 }),
    k: fc.array(fc.constantFrom(...KEYS), { maxLength: 4 }),
    b: fc.boolean(),
    n: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: [] },
);

/** The terms a raw row holds in a field, written from the field's documented meaning (words split by spaces). */
function rawTerms(r: Raw, f: TermField): string[] {
  switch (f) {
    case 't':
      return r.t === undefined ? [] : r.t.split(' ').filter((w) => w !== '');
    case 'a':
      return (r.a ?? []).flatMap((v) => v.split(' ').filter((w) => w !== ''));
    case 'k':
      return r.k ?? [];
    case 'b':
      return r.b === undefined ? [] : [String(r.b)];
  }
}

// ------------------------------------------------------------------------------------------ the oracle

const K1 = 1.2;
const B = 0.75;

interface Corpus {
  readonly rows: ReadonlyMap<number, Raw>;
}

function fieldStats(c: Corpus, f: TermField): { docs: number; length: number } {
  let docs = 0;
  let length = 0;
  for (const r of c.rows.values()) {
    const n = rawTerms(r, f).length;
    if (n > 0) {
      docs++;
      length += n;
    }
  }
  return { docs, length };
}

function docFreq(c: Corpus, f: TermField, term: string): number {
  let n = 0;
  for (const r of c.rows.values()) if (rawTerms(r, f).includes(term)) n++;
  return n;
}

function idf(c: Corpus, f: TermField, term: string): number {
  const N = fieldStats(c, f).docs;
  const n = docFreq(c, f, term);
  return Math.log(1 + (N - n + 0.5) / (n + 0.5));
}

function tf(c: Corpus, f: TermField, freq: number, dl: number): number {
  const st = fieldStats(c, f);
  return freq / (freq + K1 * (1 - B + (B * dl) / (st.length / st.docs)));
}

/** Whether a row matches and its score. */
interface Hit {
  readonly hit: boolean;
  readonly score: number;
}
const MISS: Hit = { hit: false, score: 0 };

function termsHit(c: Corpus, r: Raw, f: TermField, values: readonly string[], weight: number): Hit {
  const held = rawTerms(r, f);
  let hit = false;
  let score = 0;
  for (const v of [...new Set(values)]) {
    const freq = held.filter((t) => t === v).length;
    if (freq === 0) continue;
    hit = true;
    score += idf(c, f, v) * tf(c, f, freq, held.length);
  }
  return hit ? { hit, score: weight * score } : MISS;
}

function phraseOccurrences(text: string, phrase: readonly string[]): number {
  const words = text.split(' ').filter((w) => w !== '');
  let n = 0;
  for (let i = 0; i + phrase.length <= words.length; i++) if (phrase.every((p, j) => words[i + j] === p)) n++;
  return n;
}

function oracle(c: Corpus, r: Raw, query: Query): Hit {
  if ('matchAll' in query) return { hit: true, score: 1 };
  if ('term' in query) {
    const { field, value, weight = 1 } = query.term;
    if (field === 'n') return r.n === value ? { hit: true, score: weight } : MISS;
    return termsHit(c, r, field as TermField, [String(value)], weight);
  }
  if ('terms' in query) {
    const { field, values, weight = 1 } = query.terms;
    return termsHit(c, r, field as TermField, values.map(String), weight);
  }
  if ('match' in query) {
    const { field, text, operator, minimumShouldMatch, weight = 1 } = query.match;
    const f = field as TermField;
    if (f === 'k') return termsHit(c, r, f, [text], weight);
    const want = [...new Set(text.split(' ').filter((w) => w !== ''))];
    const held = new Set(rawTerms(r, f));
    const have = want.filter((w) => held.has(w)).length;
    const need = operator === 'and' ? want.length : Math.max(1, minimumShouldMatch ?? 1);
    if (want.length === 0 || have < need) return MISS;
    return termsHit(c, r, f, want, weight);
  }
  if ('matchPhrase' in query) {
    const { field, text, weight = 1 } = query.matchPhrase;
    const f = field as 't' | 'a';
    const phrase = text.split(' ').filter((w) => w !== '');
    const values = f === 't' ? (r.t === undefined ? [] : [r.t]) : (r.a ?? []);
    const freq = phrase.length === 0 ? 0 : values.reduce((s, v) => s + phraseOccurrences(v, phrase), 0);
    if (freq === 0) return MISS;
    const sumIdf = phrase.reduce((s, t) => s + idf(c, f, t), 0);
    return { hit: true, score: weight * sumIdf * tf(c, f, freq, rawTerms(r, f).length) };
  }
  if ('constScore' in query) return oracle(c, r, query.constScore.filter).hit ? { hit: true, score: 1 } : MISS;
  if ('bool' in query) {
    const { must = [], mustNot = [], filter = [], should = [], minimumShouldMatch } = query.bool;
    const msm = minimumShouldMatch ?? (must.length + filter.length === 0 && should.length > 0 ? 1 : 0);
    let score = 0;
    for (const m of must) {
      const h = oracle(c, r, m);
      if (!h.hit) return MISS;
      score += h.score;
    }
    if (!filter.every((m) => oracle(c, r, m).hit)) return MISS;
    if (mustNot.some((m) => oracle(c, r, m).hit)) return MISS;
    let matched = 0;
    for (const s of should) {
      const h = oracle(c, r, s);
      if (h.hit) {
        matched++;
        score += h.score;
      }
    }
    return matched >= msm ? { hit: true, score } : MISS;
  }
  throw new Error(`no oracle for ${JSON.stringify(query)}`);
}

// ------------------------------------------------------------------------------------------ queries

const weightArb = fc.constantFrom(undefined, 1, 2, 0.5);
const vocabArb = fc.constantFrom(...VOCAB);
const queryTextArb = fc.array(vocabArb, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
const textFieldArb = fc.constantFrom<'t' | 'a'>('t', 'a');

function withWeight<T extends object>(o: T, weight: number | undefined): T {
  return weight === undefined ? o : { ...o, weight };
}

const leafArb: fc.Arbitrary<Query> = fc.oneof(
  fc
    .record({ field: textFieldArb, text: queryTextArb, and: fc.boolean(), msm: fc.integer({ min: 1, max: 3 }) })
    .chain((m) =>
      weightArb.map((w): Query => ({
        match: withWeight(
          {
            field: m.field,
            text: m.text,
            operator: m.and ? ('and' as const) : ('or' as const),
            ...(m.and ? {} : { minimumShouldMatch: m.msm }),
          },
          w,
        ),
      })),
    ),
  fc
    .tuple(fc.constantFrom(...KEYS), weightArb)
    .map(([text, w]): Query => ({ match: withWeight({ field: 'k', text }, w) })),
  fc
    .tuple(textFieldArb, queryTextArb, weightArb)
    .map(([field, text, w]): Query => ({ matchPhrase: withWeight({ field, text }, w) })),
  fc
    .tuple(fc.constantFrom<TermField>('t', 'a'), vocabArb, weightArb)
    .map(([field, value, w]): Query => ({ term: withWeight({ field, value }, w) })),
  fc
    .tuple(fc.constantFrom(...KEYS), weightArb)
    .map(([value, w]): Query => ({ term: withWeight({ field: 'k', value }, w) })),
  fc.tuple(fc.boolean(), weightArb).map(([value, w]): Query => ({ term: withWeight({ field: 'b', value }, w) })),
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), weightArb)
    .map(([value, w]): Query => ({ term: withWeight({ field: 'n', value }, w) })),
  fc
    .tuple(fc.uniqueArray(fc.constantFrom('x', 'y', 'z', 'w'), { minLength: 1, maxLength: 3 }), weightArb)
    .map(([values, w]): Query => ({ terms: withWeight({ field: 'k', values }, w) })),
  fc
    .tuple(textFieldArb, fc.uniqueArray(vocabArb, { minLength: 1, maxLength: 3 }), weightArb)
    .map(([field, values, w]): Query => ({ terms: withWeight({ field, values }, w) })),
);

const queryArb: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    leafArb,
    tie('q').map((inner) => q.constScore(inner)),
    fc
      .record({
        must: fc.array(tie('q'), { maxLength: 2 }),
        mustNot: fc.array(leafArb, { maxLength: 1 }),
        filter: fc.array(tie('q'), { maxLength: 1 }),
        should: fc.array(tie('q'), { maxLength: 3 }),
        msm: fc.integer({ min: 0, max: 3 }),
        useMsm: fc.boolean(),
      })
      .map((b): Query => ({
        bool: {
          must: b.must,
          mustNot: b.mustNot,
          filter: b.filter,
          // A bool needs at least one clause.
          should:
            b.must.length + b.mustNot.length + b.filter.length + b.should.length === 0 ? [q.matchAll()] : b.should,
          ...(b.useMsm && b.should.length > 0 ? { minimumShouldMatch: Math.min(b.msm, b.should.length) } : {}),
        },
      })),
  ),
})).q;

// ------------------------------------------------------------------------------------------ in process

const FIELDS: IndexField[] = [
  {
    name: 't',
    type: FieldType.TEXT,
    index: true,
    docValues: false,
    store: false,
    isArray: false,
    analyzer: { name: 'single_word' },
  },
  {
    name: 'a',
    type: FieldType.TEXT,
    index: true,
    docValues: false,
    store: false,
    isArray: true,
    analyzer: { name: 'single_word' },
  },
  { name: 'k', type: FieldType.KEYWORD, index: true, docValues: true, store: false, isArray: true },
  { name: 'b', type: FieldType.BOOLEAN, index: true, docValues: true, store: false, isArray: false },
  { name: 'n', type: FieldType.LONG, index: true, docValues: true, store: false, isArray: false },
];
const DEF: IndexDefinition = { table: 'bm', name: 'idx', fields: FIELDS, routingFields: [], ttl: -1, createdAtMs: 0 };

/** The indexed values of a raw row, as the engine derives them from the row's columns. */
function valuesOf(r: Raw): Map<string, FieldValue[]> {
  const columns: Record<string, string | boolean | bigint | undefined> = {
    t: r.t,
    a: r.a === undefined ? undefined : JSON.stringify(r.a),
    k: r.k === undefined ? undefined : JSON.stringify(r.k),
    b: r.b,
    n: r.n === undefined ? undefined : BigInt(r.n),
  };
  const out = new Map<string, FieldValue[]>();
  for (const f of FIELDS) {
    const v = columns[f.name];
    if (v === undefined) continue;
    const vs = fieldValues(f, v);
    if (vs.length > 0) out.set(f.name, vs);
  }
  return out;
}

type Op = { kind: 'put'; id: number; row: Raw } | { kind: 'delete'; id: number };
const idArb = fc.integer({ min: 0, max: 14 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: idArb, row: rawArb }).map((o): Op => ({ kind: 'put', ...o })) },
  { weight: 1, arbitrary: idArb.map((id): Op => ({ kind: 'delete', id })) },
);

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function expectStats(index: SearchIndex, c: Corpus): void {
  for (const f of TERM_FIELDS) {
    expect({ field: f, ...index.fieldStats(f) }).toEqual({ field: f, ...fieldStats(c, f) });
    for (const t of [...VOCAB, 'x', 'y', 'z', 'true', 'false'])
      expect({ field: f, t, n: index.docFreq(f, t) }).toEqual({ field: f, t, n: docFreq(c, f, t) });
  }
}

describe('BM25 scores in process, against the brute-force oracle', () => {
  it('scores every matching document as the formula does, after random puts, replacements and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        (ops, queries) => {
          const index = new SearchIndex(DEF);
          const rows = new Map<number, Raw>();
          for (const op of ops) {
            if (op.kind === 'put') {
              rows.set(op.id, op.row);
              index.put(String(op.id), valuesOf(op.row), 0);
            } else {
              rows.delete(op.id);
              index.remove(String(op.id));
            }
          }
          const corpus: Corpus = { rows };
          expectStats(index, corpus);
          for (const query of queries) {
            const compiled = compileQuery(index, encodeQuery(query));
            const got = new Map(
              matchDocs(index, compiled, 0).map((d) => [Number(d.key), compiled.score(d.values)] as const),
            );
            const want = new Map<number, number>();
            for (const [id, r] of rows) {
              const h = oracle(corpus, r, query);
              if (h.hit) want.set(id, h.score);
            }
            expect([...got.keys()].sort((x, y) => x - y)).toEqual([...want.keys()].sort((x, y) => x - y));
            for (const [id, s] of want) {
              if (!close(got.get(id)!, s)) expect({ id, query, score: got.get(id) }).toEqual({ id, query, score: s });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clear() resets the statistics with the postings', () => {
    const index = new SearchIndex(DEF);
    index.put('1', valuesOf({ t: 'red fox', k: ['x'] }), 0);
    index.clear();
    expect(index.fieldStats('t')).toEqual({ docs: 0, length: 0 });
    index.put('2', valuesOf({ t: 'dog' }), 0);
    expect(index.fieldStats('t')).toEqual({ docs: 1, length: 1 });
    expect(index.fieldStats('k')).toEqual({ docs: 0, length: 0 });
  });
});

// ------------------------------------------------------------------------------------------ over HTTP

const Long = Sdk.Long;
const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);
let local: LocalTablestoreHandle;
let sdk: SearchSdkClient;
let search: SearchClient;
let seq = 0;

function connect(handle: LocalTablestoreHandle): { sdk: SearchSdkClient; search: SearchClient } {
  const wide = new WideTableClient({
    endpoint: handle.endpoint,
    instance: handle.instance,
    region: handle.region,
    credentials: fromStatic({ accessKeyId: handle.accessKeyId, accessKeySecret: handle.accessKeySecret }),
  });
  return { sdk: asSearch(sdkClient(handle)), search: new SearchClient({ transport: wide.transport }) };
}

async function createIndexedTable(client: SearchSdkClient, table: string): Promise<void> {
  await client.createTable({
    tableMeta: { tableName: table, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  const F = Sdk.FieldType;
  await client.createSearchIndex({
    tableName: table,
    indexName: 'idx',
    schema: {
      fieldSchemas: [
        { fieldName: 't', fieldType: F.TEXT, index: true },
        { fieldName: 'a', fieldType: F.TEXT, index: true, isAnArray: true },
        { fieldName: 'k', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true, isAnArray: true },
        { fieldName: 'b', fieldType: F.BOOLEAN, index: true, enableSortAndAgg: true },
        { fieldName: 'n', fieldType: F.LONG, index: true, enableSortAndAgg: true },
      ],
    },
  });
}

const pk = (id: number) => [{ id: Long.fromNumber(id) }];
function columns(r: Raw): object[] {
  const out: object[] = [];
  if (r.t !== undefined) out.push({ t: r.t });
  if (r.a !== undefined) out.push({ a: JSON.stringify(r.a) });
  if (r.k !== undefined) out.push({ k: JSON.stringify(r.k) });
  if (r.b !== undefined) out.push({ b: r.b });
  if (r.n !== undefined) out.push({ n: Long.fromNumber(r.n) });
  return out;
}

type HttpOp =
  | { kind: 'put'; id: number; row: Raw }
  | { kind: 'update'; id: number; set: Raw; drop: ('t' | 'a' | 'k')[] }
  | { kind: 'delete'; id: number }
  | { kind: 'batch'; puts: { id: number; row: Raw }[]; deletes: number[] }
  | { kind: 'txn'; id: number; row: Raw; commit: boolean };

const smallId = fc.integer({ min: 0, max: 9 });
const httpOpArb: fc.Arbitrary<HttpOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ id: smallId, row: rawArb }).map((o): HttpOp => ({ kind: 'put', ...o })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        id: smallId,
        set: rawArb,
        drop: fc.uniqueArray(fc.constantFrom<'t' | 'a' | 'k'>('t', 'a', 'k'), { maxLength: 2 }),
      })
      .map((o): HttpOp => ({ kind: 'update', ...o, drop: o.drop.filter((d) => o.set[d] === undefined) })),
  },
  { weight: 1, arbitrary: smallId.map((id): HttpOp => ({ kind: 'delete', id })) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        puts: fc.uniqueArray(fc.record({ id: smallId, row: rawArb }), { selector: (p) => p.id, maxLength: 3 }),
        deletes: fc.uniqueArray(smallId, { maxLength: 2 }),
      })
      .map((o): HttpOp => ({
        kind: 'batch',
        puts: o.puts,
        deletes: o.deletes.filter((d) => !o.puts.some((p) => p.id === d)),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ id: smallId, row: rawArb, commit: fc.boolean() })
      .map((o): HttpOp => ({ kind: 'txn', ...o })),
  },
);

/** Applies an op through the SDK and to the model. */
async function apply(client: SearchSdkClient, table: string, rows: Map<number, Raw>, op: HttpOp): Promise<void> {
  switch (op.kind) {
    case 'put':
      await client.putRow({
        tableName: table,
        condition: IGNORE(),
        primaryKey: pk(op.id),
        attributeColumns: [...columns(op.row), { other: 'o' }],
      });
      rows.set(op.id, op.row);
      return;
    case 'update': {
      const updates: object[] = [{ PUT: [...columns(op.set), { other: 'u' }] }];
      if (op.drop.length > 0) updates.push({ DELETE_ALL: op.drop });
      await client.updateRow({
        tableName: table,
        condition: IGNORE(),
        primaryKey: pk(op.id),
        updateOfAttributeColumns: updates,
      });
      const next: Raw = { ...(rows.get(op.id) ?? {}) };
      for (const [k, v] of Object.entries(op.set)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
      for (const d of op.drop) delete next[d];
      rows.set(op.id, next);
      return;
    }
    case 'delete':
      await client.deleteRow({ tableName: table, condition: IGNORE(), primaryKey: pk(op.id) });
      rows.delete(op.id);
      return;
    case 'batch':
      if (op.puts.length + op.deletes.length === 0) return;
      await client.batchWriteRow({
        tables: [
          {
            tableName: table,
            rows: [
              ...op.puts.map((p) => ({
                type: 'PUT',
                condition: IGNORE(),
                primaryKey: pk(p.id),
                attributeColumns: [...columns(p.row), { other: 'b' }],
              })),
              ...op.deletes.map((id) => ({ type: 'DELETE', condition: IGNORE(), primaryKey: pk(id) })),
            ],
          },
        ],
      });
      for (const p of op.puts) rows.set(p.id, p.row);
      for (const id of op.deletes) rows.delete(id);
      return;
    case 'txn': {
      const started = await client.startLocalTransaction({ tableName: table, primaryKey: pk(op.id) });
      const transactionId = started.transactionId as string;
      await client.putRow({
        tableName: table,
        condition: IGNORE(),
        primaryKey: pk(op.id),
        attributeColumns: [...columns(op.row), { other: 't' }],
        transactionId,
      });
      if (op.commit) {
        await client.commitTransaction({ transactionId });
        rows.set(op.id, op.row);
      } else await client.abortTransaction({ transactionId });
      return;
    }
  }
}

const ORDER_EPS = 1e-9;

/** ScoreSort (descending, then primary key) returns the oracle's matches, in non-increasing oracle score. */
async function expectScoreOrder(client: SearchClient, table: string, corpus: Corpus, query: Query): Promise<void> {
  const res = await client.search(table, 'idx', {
    query,
    sort: [{ score: 'desc' }, { primaryKey: 'asc' }],
    limit: 100,
    trackTotalCount: true,
  });
  const ids = res.rows.map((r) => Number(r.primaryKey.id as bigint));
  const scores = new Map<number, number>();
  for (const [id, r] of corpus.rows) {
    const h = oracle(corpus, r, query);
    if (h.hit) scores.set(id, h.score);
  }
  expect([...ids].sort((x, y) => x - y)).toEqual([...scores.keys()].sort((x, y) => x - y));
  for (let i = 1; i < ids.length; i++) {
    const prev = scores.get(ids[i - 1])!;
    const cur = scores.get(ids[i])!;
    // Equal oracle scores must keep the primary-key tie-break; otherwise the higher score comes first.
    const ok = Math.abs(prev - cur) <= ORDER_EPS * Math.max(1, cur) ? ids[i - 1] < ids[i] || prev !== cur : prev > cur;
    if (!ok) expect({ query, ids, at: i, prev, cur }).toBe('ordered by the oracle score');
  }
}

function expectServerStats(handle: LocalTablestoreHandle, table: string, c: Corpus): void {
  const engine = findSearchEngine(handle.server.store);
  expect(engine).toBeDefined();
  expectStats(engine!.get(table, 'idx'), c);
}

describe('BM25 over HTTP: every write path keeps the statistics, and ScoreSort orders by the score', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm25-'));
    local = await startLocal({ dataDir: dir, localTransactions: { enabledByDefault: true } });
    ({ sdk, search } = connect(local));
  });
  afterAll(async () => {
    await local?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a short document outranks a long one and a rare term a common one (unlike a term count)', async () => {
    const table = `bm_fixed_${seq++}`;
    await createIndexedTable(sdk, table);
    const docs: [number, string][] = [
      [1, 'fox red red red red red'],
      [2, 'fox'],
      [3, 'red green'],
      [4, 'dog green'],
      [5, 'red blue'],
    ];
    for (const [id, t] of docs) await apply(sdk, table, new Map(), { kind: 'put', id, row: { t } });
    const order = async (query: Query) =>
      (await search.search(table, 'idx', { query, sort: [{ score: 'desc' }, { primaryKey: 'asc' }] })).rows.map((r) =>
        Number(r.primaryKey.id as bigint),
      );
    // Same term, same frequency: the shorter document first (a term count tied them, leaving primary-key order).
    expect(await order(q.match('t', 'fox'))).toEqual([2, 1]);
    // dog (1 document) weighs more than red (3 documents); red five times in document 1 beats it once in the
    // equally matched 3 and 5 (a term count tied all four: 1, 3, 4, 5).
    expect(await order(q.match('t', 'dog red'))).toEqual([4, 1, 3, 5]);
  });

  it('matches the oracle after random PutRow / UpdateRow / DeleteRow / BatchWriteRow / transactions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(httpOpArb, { maxLength: 25 }),
        fc.array(queryArb, { minLength: 1, maxLength: 4 }),
        async (ops, queries) => {
          const table = `bm_rand_${seq++}`;
          await createIndexedTable(sdk, table);
          const rows = new Map<number, Raw>();
          for (const op of ops) await apply(sdk, table, rows, op);
          const corpus: Corpus = { rows };
          expectServerStats(local, table, corpus);
          for (const query of queries) await expectScoreOrder(search, table, corpus, query);
          await sdk.deleteTable({ tableName: table });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('rebuilds the same statistics and order at start-up (--data-dir)', async () => {
    const table = `bm_restart_${seq++}`;
    await createIndexedTable(sdk, table);
    const rows = new Map<number, Raw>();
    const ops = fc.sample(fc.array(httpOpArb, { minLength: 20, maxLength: 20 }), { seed: 42, numRuns: 1 })[0];
    for (const op of ops) await apply(sdk, table, rows, op);
    const corpus: Corpus = { rows };
    const queries = fc.sample(queryArb, { seed: 7, numRuns: 8 });
    expectServerStats(local, table, corpus);
    await local.stop();
    local = await startLocal({ dataDir: dir, localTransactions: { enabledByDefault: true } });
    ({ sdk, search } = connect(local));
    expectServerStats(local, table, corpus);
    for (const query of [q.match('t', 'red fox dog'), q.match('a', 'green blue'), ...queries])
      await expectScoreOrder(search, table, corpus, query);
  });
});

// ------------------------------------------------------------------------------------------ search_hits

/** A query of queryArb in the official SDK's form (weights and minimum_should_match carried over). */
function toSdk(query: Query): object {
  const QT = Sdk.QueryType;
  const w = (weight: number | undefined) => (weight === undefined ? {} : { weight });
  const value = (field: string, v: unknown) => (field === 'n' && typeof v === 'number' ? Long.fromNumber(v) : v);
  if ('matchAll' in query) return { queryType: QT.MATCH_ALL_QUERY };
  if ('term' in query) {
    const t = query.term;
    return { queryType: QT.TERM_QUERY, query: { fieldName: t.field, term: value(t.field, t.value), ...w(t.weight) } };
  }
  if ('terms' in query) {
    const t = query.terms;
    return { queryType: QT.TERMS_QUERY, query: { fieldName: t.field, terms: t.values, ...w(t.weight) } };
  }
  if ('match' in query) {
    const m = query.match;
    return {
      queryType: QT.MATCH_QUERY,
      query: {
        fieldName: m.field,
        text: m.text,
        ...(m.operator === undefined
          ? {}
          : { operator: m.operator === 'and' ? Sdk.QueryOperator.AND : Sdk.QueryOperator.OR }),
        ...(m.minimumShouldMatch === undefined ? {} : { minimumShouldMatch: m.minimumShouldMatch }),
        ...w(m.weight),
      },
    };
  }
  if ('matchPhrase' in query) {
    const m = query.matchPhrase;
    return { queryType: QT.MATCH_PHRASE_QUERY, query: { fieldName: m.field, text: m.text, ...w(m.weight) } };
  }
  if ('constScore' in query)
    return { queryType: QT.CONST_SCORE_QUERY, query: { filter: toSdk(query.constScore.filter) } };
  if ('bool' in query) {
    const { must = [], mustNot = [], filter = [], should = [], minimumShouldMatch } = query.bool;
    return {
      queryType: QT.BOOL_QUERY,
      query: {
        mustQueries: must.map(toSdk),
        mustNotQueries: mustNot.map(toSdk),
        filterQueries: filter.map(toSdk),
        shouldQueries: should.map(toSdk),
        // The SDK needs it with should clauses: the documented default (1 with only should clauses, else 0).
        minimumShouldMatch: minimumShouldMatch ?? (must.length + filter.length === 0 && should.length > 0 ? 1 : 0),
      },
    };
  }
  throw new Error(`no SDK form for ${JSON.stringify(query)}`);
}

type Order = 'score' | 'primaryKey' | 'index';
const SORTS: Record<Order, { ours?: Sort[]; sdk?: object }> = {
  score: {
    ours: [{ score: 'desc' }, { primaryKey: 'asc' }],
    sdk: {
      sorters: [
        { scoreSort: { order: Sdk.SortOrder.SORT_ORDER_DESC } },
        { primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } },
      ],
    },
  },
  primaryKey: {
    ours: [{ primaryKey: 'desc' }],
    sdk: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_DESC } }] },
  },
  index: {},
};

interface SdkHit {
  readonly row: unknown;
  readonly score?: number;
}
interface SdkSearchPage {
  readonly rows: SdkRow[];
  readonly searchHits: SdkHit[];
  readonly nextToken?: Buffer | null;
}

/** Every page through the official SDK: ids and scores in row order (the SDK leaves out a score of 0). */
async function sdkPages(
  client: SearchSdkClient,
  table: string,
  query: Query,
  order: Order,
  limit: number,
): Promise<{ ids: number[]; scores: (number | undefined)[] }> {
  const ids: number[] = [];
  const scores: (number | undefined)[] = [];
  let token: Buffer | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const sort = SORTS[order].sdk;
    const res = (await client.search({
      tableName: table,
      indexName: 'idx',
      searchQuery: {
        offset: 0,
        limit,
        query: toSdk(query),
        ...(token ? { token } : sort ? { sort } : {}),
      },
      columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
    })) as unknown as SdkSearchPage;
    // One hit per row, paired by position (the SDK drops all hits when the counts differ).
    expect(res.searchHits.length).toBe(res.rows.length);
    res.searchHits.forEach((h, i) => expect(h.row).toBe(res.rows[i]));
    for (const r of res.rows) ids.push(Number(String(r.primaryKey![0].value)));
    for (const h of res.searchHits) scores.push(h.score);
    if (!res.nextToken || res.nextToken.length === 0) return { ids, scores };
    token = res.nextToken;
  }
  throw new Error('more than 100 pages');
}

/** Every page through our SearchClient: ids and scores in row order. */
async function ourPages(
  client: SearchClient,
  table: string,
  query: Query,
  order: Order,
  limit: number,
): Promise<{ ids: number[]; scores: number[] }> {
  const ids: number[] = [];
  const scores: number[] = [];
  const sort = SORTS[order].ours;
  for await (const page of client.searchPages(table, 'idx', { query, limit, ...(sort ? { sort } : {}) })) {
    expect(page.scores).toHaveLength(page.rows.length);
    for (const r of page.rows) ids.push(Number(r.primaryKey.id));
    scores.push(...(page.scores ?? []));
  }
  return { ids, scores };
}

describe('search_hits: one BM25 score per returned row, in row order, through both clients', () => {
  beforeAll(async () => {
    local = await startLocal({});
    ({ sdk, search } = connect(local));
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('equal the oracle and the official SDK’s searchHits[i].score, across token pages and any sort', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: smallId, row: rawArb }), { minLength: 1, maxLength: 12 }),
        fc.array(
          fc.record({
            query: queryArb,
            order: fc.constantFrom<Order>('score', 'primaryKey', 'index'),
            limit: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (puts, cases) => {
          const table = `bm_hits_${seq++}`;
          await createIndexedTable(sdk, table);
          const rows = new Map<number, Raw>();
          for (const p of puts) await apply(sdk, table, rows, { kind: 'put', ...p });
          const corpus: Corpus = { rows };
          for (const { query, order, limit } of cases) {
            const ours = await ourPages(search, table, query, order, limit);
            const theirs = await sdkPages(sdk, table, query, order, limit);
            expect(theirs.ids).toEqual(ours.ids);
            // Identical doubles; the official decoder omits a score of 0 (it tests the score for truthiness).
            expect(theirs.scores).toEqual(ours.scores.map((s) => (s === 0 ? undefined : s)));
            const expected = ours.ids.map((id) => oracle(corpus, rows.get(id)!, query));
            expect(expected.every((h) => h.hit)).toBe(true);
            ours.scores.forEach((s, i) => {
              if (!close(s, expected[i].score)) expect({ query, id: ours.ids[i], s }).toEqual(expected[i]);
            });
            expect(new Set(ours.ids).size).toBe(ours.ids.length);
            expect(ours.ids.length).toBe(expected.length);
          }
          await sdk.deleteTable({ tableName: table });
        },
      ),
      { numRuns: 10 },
    );
  });

  it('highlighting still answers the documented error', async () => {
    const table = `bm_hits_${seq++}`;
    await createIndexedTable(sdk, table);
    const err = await sdkError(
      sdk.search({
        tableName: table,
        indexName: 'idx',
        searchQuery: {
          query: toSdk(q.match('t', 'red')),
          highlight: { highlightParameters: [{ fieldName: 't' }] },
        },
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
      }),
    );
    expect(err).toMatchObject({
      code: 'OTSParameterInvalid',
      message: 'Highlighting is not supported by Tablestore Local.',
    });
  });

  it('our client pairs hits with rows only when the counts agree (as the official SDKs), NaN for a hit without a score', async () => {
    const row = encodeRow({ primaryKey: [{ name: 'id', value: 1n }], attributes: [] });
    const reply = (value: object) => {
      const transport = { call: async () => encodeSearch('SearchResponse', value) } as unknown as Transport;
      return new SearchClient({ transport }).search('t', 'i', {});
    };
    expect((await reply({ rows: [row], search_hits: [{}] })).scores).toEqual([Number.NaN]);
    expect((await reply({ rows: [row], search_hits: [{ score: 2.5 }] })).scores).toEqual([2.5]);
    expect((await reply({ rows: [row], search_hits: [] })).scores).toBeUndefined();
    expect((await reply({ rows: [row], search_hits: [{ score: 1 }, { score: 2 }] })).scores).toBeUndefined();
    expect((await reply({ rows: [], search_hits: [{ score: 1 }] })).scores).toBeUndefined();
    expect((await reply({ rows: [], search_hits: [] })).scores).toEqual([]);
  });
});
