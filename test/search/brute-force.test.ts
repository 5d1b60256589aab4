/**
 * Differential tests: for random rows and random queries / sorts / aggregations / group-bys, Tablestore
 * Local's Search (through the official Node SDK over HTTP) must answer exactly what a brute-force evaluation
 * of the same request over the same rows answers. The brute force below is written from the documented
 * semantics (docs/protocol-search.md), independently of the engine.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { Sdk, asSearch, type SearchSdkClient } from './sdk';

const Long = Sdk.Long;
const Q = Sdk.QueryType;
let local: LocalTablestoreHandle;
let client: SearchSdkClient;
let tableSeq = 0;

interface Row {
  id: number;
  k?: string;
  n?: number;
  d?: number;
  b?: boolean;
  t?: string;
  arr?: string[];
  g?: { lat: number; lon: number };
  dt?: number;
  nest?: { name: string; w: number }[];
}

const KEYS = ['a', 'ab', 'abc', 'b', 'ba', 'bca', 'c', 'ca'];
const WORDS = ['red', 'green', 'blue', 'fox', 'dog'];
const DAY = 86400_000;
const T0 = Date.UTC(2024, 0, 1);

const rowArb = (id: number): fc.Arbitrary<Row> =>
  fc
    .record(
      {
        k: fc.constantFrom(...KEYS),
        n: fc.integer({ min: -20, max: 20 }),
        d: fc.integer({ min: -10, max: 10 }).map((x) => x / 2),
        b: fc.boolean(),
        t: fc.array(fc.constantFrom(...WORDS, 'Red', 'FOX'), { minLength: 1, maxLength: 5 }).map((w) => w.join(' ')),
        arr: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
        g: fc.record({
          lat: fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
          lon: fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
        }),
        dt: fc.integer({ min: 0, max: 40 }).map((h) => T0 + h * 6 * 3600_000),
        nest: fc.array(fc.record({ name: fc.constantFrom('p', 'q', 'r'), w: fc.integer({ min: 0, max: 5 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
      },
      { requiredKeys: [] },
    )
    .map((r) => ({ id, ...r }));

const rowsArb = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(i))));

// ------------------------------------------------------------------------------------------ queries

type Query =
  | { kind: 'all' }
  | { kind: 'term'; field: 'k' | 'n' | 'b' | 'arr'; value: string | number | boolean }
  | { kind: 'terms'; field: 'k' | 'n'; values: (string | number)[] }
  | {
      kind: 'range';
      field: 'n' | 'd' | 'k' | 'dt';
      from?: number | string | undefined;
      to?: number | string | undefined;
      lo: boolean;
      hi: boolean;
    }
  | { kind: 'prefix'; value: string }
  | { kind: 'wildcard'; value: string }
  | { kind: 'exists'; field: keyof Omit<Row, 'id'> }
  | { kind: 'match'; text: string; and: boolean; msm?: number | undefined }
  | { kind: 'phrase'; text: string }
  | { kind: 'geoDistance'; lat: number; lon: number; meters: number }
  | { kind: 'box'; top: number; left: number; bottom: number; right: number }
  | { kind: 'nested'; name?: string | undefined; wFrom?: number | undefined }
  | { kind: 'bool'; must: Query[]; mustNot: Query[]; filter: Query[]; should: Query[]; msm: number };

const leafArb: fc.Arbitrary<Query> = fc.oneof(
  fc.constant<Query>({ kind: 'all' }),
  fc.constantFrom(...KEYS).map((value): Query => ({ kind: 'term', field: 'k', value })),
  fc.integer({ min: -20, max: 20 }).map((value): Query => ({ kind: 'term', field: 'n', value })),
  fc.boolean().map((value): Query => ({ kind: 'term', field: 'b', value })),
  fc.constantFrom(...KEYS).map((value): Query => ({ kind: 'term', field: 'arr', value })),
  fc
    .uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 })
    .map((values): Query => ({ kind: 'terms', field: 'k', values })),
  fc
    .uniqueArray(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 4 })
    .map((values): Query => ({ kind: 'terms', field: 'n', values })),
  fc
    .record({
      field: fc.constantFrom<'n' | 'd'>('n', 'd'),
      from: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
      to: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
      lo: fc.boolean(),
      hi: fc.boolean(),
    })
    .map((r): Query => ({ kind: 'range', ...r })),
  fc
    .record({
      from: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
      to: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
      lo: fc.boolean(),
      hi: fc.boolean(),
    })
    .map((r): Query => ({ kind: 'range', field: 'k', ...r })),
  fc
    .record({
      from: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      to: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      lo: fc.boolean(),
      hi: fc.boolean(),
    })
    .map((r): Query => ({
      kind: 'range',
      field: 'dt',
      lo: r.lo,
      hi: r.hi,
      from: r.from === undefined ? undefined : T0 + r.from * 6 * 3600_000,
      to: r.to === undefined ? undefined : T0 + r.to * 6 * 3600_000,
    })),
  fc.constantFrom('a', 'ab', 'b', 'c', 'abc', 'x').map((value): Query => ({ kind: 'prefix', value })),
  fc.constantFrom('a*', '*a', '?b*', 'b?a', '*', 'ab?', '*c*').map((value): Query => ({ kind: 'wildcard', value })),
  fc.constantFrom<Query & { kind: 'exists' }>(
    ...(['k', 'n', 'd', 'b', 't', 'arr', 'g', 'dt', 'nest'] as const).map((field) => ({
      kind: 'exists' as const,
      field,
    })),
  ),
  fc
    .record({
      words: fc.array(fc.constantFrom(...WORDS, 'cat'), { minLength: 1, maxLength: 3 }),
      and: fc.boolean(),
      msm: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map((r): Query => ({ kind: 'match', text: r.words.join(' '), and: r.and, msm: r.msm })),
  fc
    .array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 })
    .map((w): Query => ({ kind: 'phrase', text: w.join(' ') })),
  fc
    .record({
      lat: fc.integer({ min: -2, max: 2 }),
      lon: fc.integer({ min: -2, max: 2 }),
      meters: fc.integer({ min: 1, max: 300 }).map((k) => k * 1000 + 0.37),
    })
    .map((r): Query => ({ kind: 'geoDistance', ...r })),
  fc
    .record({
      a: fc.integer({ min: -4, max: 4 }),
      b: fc.integer({ min: -4, max: 4 }),
      c: fc.integer({ min: -4, max: 4 }),
      d: fc.integer({ min: -4, max: 4 }),
    })
    .map((r): Query => ({
      kind: 'box',
      top: Math.max(r.a, r.b) / 2,
      bottom: Math.min(r.a, r.b) / 2,
      left: Math.min(r.c, r.d) / 2,
      right: Math.max(r.c, r.d) / 2,
    })),
);

const nestedArb: fc.Arbitrary<Query> = fc
  .record({
    name: fc.option(fc.constantFrom('p', 'q', 'r'), { nil: undefined }),
    wFrom: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  })
  .map((r): Query => ({ kind: 'nested', ...r }));

const queryArb: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    nestedArb,
    fc
      .record({
        must: fc.array(tie('q'), { maxLength: 2 }),
        mustNot: fc.array(tie('q'), { maxLength: 2 }),
        filter: fc.array(tie('q'), { maxLength: 2 }),
        should: fc.array(tie('q'), { maxLength: 3 }),
        msmPick: fc.integer({ min: 0, max: 3 }),
      })
      .map((r): Query => ({
        kind: 'bool',
        must: r.must,
        mustNot: r.mustNot,
        filter: r.filter,
        should: r.should,
        msm: Math.min(r.msmPick, r.should.length),
      })),
  ),
})).q;

function sdkValue(field: string, v: string | number | boolean): unknown {
  return field === 'n' || field === 'dt' ? Long.fromNumber(v as number) : v;
}

function toSdk(q: Query): object {
  switch (q.kind) {
    case 'all':
      return { queryType: Q.MATCH_ALL_QUERY };
    case 'term':
      return { queryType: Q.TERM_QUERY, query: { fieldName: q.field, term: sdkValue(q.field, q.value) } };
    case 'terms':
      return {
        queryType: Q.TERMS_QUERY,
        query: { fieldName: q.field, terms: q.values.map((v) => sdkValue(q.field, v)) },
      };
    case 'range':
      return {
        queryType: Q.RANGE_QUERY,
        query: {
          fieldName: q.field,
          ...(q.from !== undefined ? { rangeFrom: sdkValue(q.field, q.from) } : {}),
          ...(q.to !== undefined ? { rangeTo: sdkValue(q.field, q.to) } : {}),
          includeLower: q.lo,
          includeUpper: q.hi,
        },
      };
    case 'prefix':
      return { queryType: Q.PREFIX_QUERY, query: { fieldName: 'k', prefix: q.value } };
    case 'wildcard':
      return { queryType: Q.WILDCARD_QUERY, query: { fieldName: 'k', value: q.value } };
    case 'exists':
      return { queryType: Q.EXISTS_QUERY, query: { fieldName: q.field } };
    case 'match':
      return {
        queryType: Q.MATCH_QUERY,
        query: {
          fieldName: 't',
          text: q.text,
          operator: q.and ? Sdk.QueryOperator.AND : Sdk.QueryOperator.OR,
          ...(q.msm !== undefined ? { minimumShouldMatch: q.msm } : {}),
        },
      };
    case 'phrase':
      return { queryType: Q.MATCH_PHRASE_QUERY, query: { fieldName: 't', text: q.text } };
    case 'geoDistance':
      return {
        queryType: Q.GEO_DISTANCE_QUERY,
        query: { fieldName: 'g', centerPoint: `${q.lat},${q.lon}`, distance: q.meters },
      };
    case 'box':
      return {
        queryType: Q.GEO_BOUNDING_BOX_QUERY,
        query: { fieldName: 'g', topLeft: `${q.top},${q.left}`, bottomRight: `${q.bottom},${q.right}` },
      };
    case 'nested': {
      // Both conditions must hold on the same element.
      const inner: object[] = [];
      if (q.name !== undefined)
        inner.push({ queryType: Q.TERM_QUERY, query: { fieldName: 'nest.name', term: q.name } });
      if (q.wFrom !== undefined)
        inner.push({
          queryType: Q.RANGE_QUERY,
          query: { fieldName: 'nest.w', rangeFrom: Long.fromNumber(q.wFrom), includeLower: true },
        });
      const query =
        inner.length === 0
          ? { queryType: Q.MATCH_ALL_QUERY }
          : { queryType: Q.BOOL_QUERY, query: { mustQueries: inner, minimumShouldMatch: 0 } };
      return { queryType: Q.NESTED_QUERY, query: { path: 'nest', query } };
    }
    case 'bool':
      return {
        queryType: Q.BOOL_QUERY,
        query: {
          mustQueries: q.must.map(toSdk),
          mustNotQueries: q.mustNot.map(toSdk),
          filterQueries: q.filter.map(toSdk),
          shouldQueries: q.should.map(toSdk),
          minimumShouldMatch: q.msm,
        },
      };
  }
}

// ----------------------------------------------------------------------------------- brute force

const tokens = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);

function haversine(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = (x: number) => (x * Math.PI) / 180;
  const h =
    Math.sin(r(b.lat - a.lat) / 2) ** 2 + Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(r(b.lon - a.lon) / 2) ** 2;
  return 2 * 6371008.7714 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function globMatch(pattern: string, s: string): boolean {
  if (pattern === '') return s === '';
  if (pattern[0] === '*') return [...Array(s.length + 1).keys()].some((i) => globMatch(pattern.slice(1), s.slice(i)));
  if (s === '') return false;
  return (pattern[0] === '?' || pattern[0] === s[0]) && globMatch(pattern.slice(1), s.slice(1));
}

function matches(q: Query, r: Row): boolean {
  switch (q.kind) {
    case 'all':
      return true;
    case 'term':
      return q.field === 'arr' ? (r.arr ?? []).includes(q.value as string) : r[q.field] === q.value;
    case 'terms':
      return (q.values as unknown[]).includes(r[q.field]);
    case 'range': {
      const v = r[q.field];
      if (v === undefined) return false;
      if (q.from !== undefined && (q.lo ? v < q.from : v <= q.from)) return false;
      if (q.to !== undefined && (q.hi ? v > q.to : v >= q.to)) return false;
      return true;
    }
    case 'prefix':
      return r.k !== undefined && r.k.startsWith(q.value);
    case 'wildcard':
      return r.k !== undefined && globMatch(q.value, r.k);
    case 'exists':
      return r[q.field] !== undefined;
    case 'match': {
      if (r.t === undefined) return false;
      const have = new Set(tokens(r.t));
      const want = [...new Set(tokens(q.text))];
      const hits = want.filter((w) => have.has(w)).length;
      return q.and ? hits === want.length : hits >= Math.max(1, q.msm ?? 1);
    }
    case 'phrase': {
      if (r.t === undefined) return false;
      const have = tokens(r.t);
      const want = tokens(q.text);
      return have.some((_, i) => want.every((w, j) => have[i + j] === w));
    }
    case 'geoDistance':
      return r.g !== undefined && haversine({ lat: q.lat, lon: q.lon }, r.g) <= q.meters;
    case 'box':
      return r.g !== undefined && r.g.lat <= q.top && r.g.lat >= q.bottom && r.g.lon >= q.left && r.g.lon <= q.right;
    case 'nested':
      return (r.nest ?? []).some(
        (e) => (q.name === undefined || e.name === q.name) && (q.wFrom === undefined || e.w >= q.wFrom),
      );
    case 'bool': {
      if (
        !q.must.every((m) => matches(m, r)) ||
        !q.filter.every((m) => matches(m, r)) ||
        q.mustNot.some((m) => matches(m, r))
      )
        return false;
      // The SDK always sends minimum_should_match; an explicit 0 makes should clauses optional.
      return q.should.filter((s) => matches(s, r)).length >= q.msm;
    }
  }
}

// -------------------------------------------------------------------------------------- fixtures

let lastTable: string | undefined;

/** A fresh table + index holding `rows` (the previous run's table is dropped, with its index). */
async function loadTable(rows: readonly Row[]): Promise<string> {
  if (lastTable) await client.deleteTable({ tableName: lastTable });
  const name = `bf${++tableSeq}`;
  lastTable = name;
  await client.createTable({
    tableMeta: { tableName: name, primaryKey: [{ name: 'id', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  const F = Sdk.FieldType;
  await client.createSearchIndex({
    tableName: name,
    indexName: 'idx',
    schema: {
      fieldSchemas: [
        { fieldName: 'k', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
        { fieldName: 'n', fieldType: F.LONG, index: true, enableSortAndAgg: true },
        { fieldName: 'd', fieldType: F.DOUBLE, index: true, enableSortAndAgg: true },
        { fieldName: 'b', fieldType: F.BOOLEAN, index: true, enableSortAndAgg: true },
        { fieldName: 't', fieldType: F.TEXT, index: true },
        { fieldName: 'arr', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true, isAnArray: true },
        { fieldName: 'g', fieldType: F.GEO_POINT, index: true, enableSortAndAgg: true },
        { fieldName: 'dt', fieldType: F.DATE, index: true, enableSortAndAgg: true },
        {
          fieldName: 'nest',
          fieldType: F.NESTED,
          fieldSchemas: [
            { fieldName: 'name', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
            { fieldName: 'w', fieldType: F.LONG, index: true, enableSortAndAgg: true },
          ],
        },
      ],
    },
  });
  if (rows.length > 0) {
    await client.batchWriteRow({
      tables: [
        {
          tableName: name,
          rows: rows.map((r) => {
            const cols: object[] = [];
            if (r.k !== undefined) cols.push({ k: r.k });
            if (r.n !== undefined) cols.push({ n: Long.fromNumber(r.n) });
            if (r.d !== undefined) cols.push({ d: r.d });
            if (r.b !== undefined) cols.push({ b: r.b });
            if (r.t !== undefined) cols.push({ t: r.t });
            if (r.arr !== undefined) cols.push({ arr: JSON.stringify(r.arr) });
            if (r.g !== undefined) cols.push({ g: `${r.g.lat},${r.g.lon}` });
            if (r.dt !== undefined) cols.push({ dt: Long.fromNumber(r.dt) });
            if (r.nest !== undefined) cols.push({ nest: JSON.stringify(r.nest) });
            if (cols.length === 0) cols.push({ other: 'x' });
            return {
              type: 'PUT',
              condition: new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null),
              primaryKey: [{ id: Long.fromNumber(r.id) }],
              attributeColumns: cols,
            };
          }),
        },
      ],
    });
  }
  return name;
}

async function runSearch(table: string, searchQuery: object) {
  return client.search({
    tableName: table,
    indexName: 'idx',
    searchQuery,
    columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
  });
}

const idsOf = (rows: readonly SdkRow[] | undefined) => (rows ?? []).map((r) => Number(String(r.primaryKey![0].value)));

beforeAll(async () => {
  local = await startLocal();
  client = asSearch(sdkClient(local));
});

afterAll(async () => {
  await local?.stop();
});

const RUNS = { numRuns: 12 };

describe('Search equals brute force (random rows, random queries)', () => {
  it('queries: the same rows match (Term, Terms, Range, Prefix, Wildcard, Exists, Match, MatchPhrase, geo, Nested, Bool)', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, fc.array(queryArb, { minLength: 1, maxLength: 6 }), async (rows, queries) => {
        const table = await loadTable(rows);
        for (const q of queries) {
          const res = await runSearch(table, {
            offset: 0,
            limit: 100,
            query: toSdk(q),
            getTotalCount: true,
            sort: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } }] },
          });
          const expected = rows.filter((r) => matches(q, r)).map((r) => r.id);
          expect(idsOf(res.rows), JSON.stringify(q)).toEqual(expected);
          expect(Number(res.totalCounts)).toBe(expected.length);
        }
      }),
      RUNS,
    );
  });

  it('sorts: field order (min/max mode for arrays), missing last, primary key ties; offset/limit and token pages', async () => {
    const sortArb = fc.record({
      field: fc.constantFrom('n', 'd', 'k', 'arr', 'dt'),
      desc: fc.boolean(),
      limit: fc.integer({ min: 1, max: 7 }),
      offset: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(rowsArb, queryArb, sortArb, async (rows, q, s) => {
        const table = await loadTable(rows);
        const order = s.desc ? Sdk.SortOrder.SORT_ORDER_DESC : Sdk.SortOrder.SORT_ORDER_ASC;
        const keyOf = (r: Row): number | string | undefined => {
          if (s.field === 'arr') return r.arr ? [...r.arr].sort()[s.desc ? r.arr.length - 1 : 0] : undefined;
          return r[s.field];
        };
        const expected = rows
          .filter((r) => matches(q, r))
          .sort((a, b) => {
            const x = keyOf(a);
            const y = keyOf(b);
            if (x === y) return a.id - b.id;
            if (x === undefined) return 1;
            if (y === undefined) return -1;
            return (x < y ? -1 : 1) * (s.desc ? -1 : 1);
          })
          .map((r) => r.id);
        const sort = { sorters: [{ fieldSort: { fieldName: s.field, order } }] };
        const page = await runSearch(table, { offset: s.offset, limit: s.limit, query: toSdk(q), sort });
        expect(idsOf(page.rows)).toEqual(expected.slice(s.offset, s.offset + s.limit));
        // Token paging walks the whole order once, whatever the page size.
        const all: number[] = [];
        let res = await runSearch(table, { offset: 0, limit: s.limit, query: toSdk(q), sort });
        all.push(...idsOf(res.rows));
        for (let i = 0; i < 50 && res.nextToken && (res.nextToken as Buffer).length > 0; i++) {
          res = await runSearch(table, { offset: 0, limit: s.limit, query: toSdk(q), token: res.nextToken });
          all.push(...idsOf(res.rows));
        }
        expect(all).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('aggregations: avg, max, min, sum, count, distinct_count, percentiles', async () => {
    const A = Sdk.AggregationType;
    await fc.assert(
      fc.asyncProperty(rowsArb, queryArb, async (rows, q) => {
        const table = await loadTable(rows);
        const res = await runSearch(table, {
          offset: 0,
          limit: 0,
          query: toSdk(q),
          aggs: {
            aggs: [
              { name: 'avg', type: A.AGG_AVG, body: { fieldName: 'n' } },
              { name: 'max', type: A.AGG_MAX, body: { fieldName: 'd' } },
              { name: 'min', type: A.AGG_MIN, body: { fieldName: 'n' } },
              { name: 'sum', type: A.AGG_SUM, body: { fieldName: 'd', missing: 1.5 } },
              { name: 'count', type: A.AGG_COUNT, body: { fieldName: 'arr' } },
              { name: 'distinct', type: A.AGG_DISTINCT_COUNT, body: { fieldName: 'k' } },
              { name: 'pct', type: A.AGG_PERCENTILES, body: { fieldName: 'n', percentiles: [0, 50, 90, 100] } },
            ],
          },
        });
        const m = rows.filter((r) => matches(q, r));
        const ns = m.flatMap((r) => (r.n === undefined ? [] : [r.n]));
        const ds = m.flatMap((r) => (r.d === undefined ? [] : [r.d]));
        const results = new Map(
          (
            res.aggs as {
              aggResults: {
                name: string;
                aggResult: { value?: unknown; items?: { item: { key: number; value: number } }[] };
              }[];
            }
          ).aggResults.map((a) => [a.name, a.aggResult]),
        );
        const num = (name: string) => Number(results.get(name)!.value);
        if (ns.length > 0) {
          expect(num('avg')).toBeCloseTo(ns.reduce((a, b) => a + b, 0) / ns.length, 9);
          expect(num('min')).toBe(Math.min(...ns));
        }
        if (ds.length > 0) expect(num('max')).toBe(Math.max(...ds));
        expect(num('sum')).toBeCloseTo(
          m.reduce((acc, r) => acc + (r.d ?? 1.5), 0),
          9,
        );
        expect(num('count')).toBe(m.reduce((acc, r) => acc + (r.arr?.length ?? 0), 0));
        expect(num('distinct')).toBe(new Set(m.flatMap((r) => (r.k === undefined ? [] : [r.k]))).size);
        const sorted = [...ns].sort((a, b) => a - b);
        const pct = (p: number) => {
          const rank = (p / 100) * (sorted.length - 1);
          const lo = Math.floor(rank);
          return sorted[lo] + (sorted[Math.ceil(rank)] - sorted[lo]) * (rank - lo);
        };
        const items = results.get('pct')!.items!;
        expect(items.map((i) => i.item.key)).toEqual(sorted.length > 0 ? [0, 50, 90, 100] : []);
        items.forEach((i) => expect(i.item.value).toBeCloseTo(pct(i.item.key), 9));
      }),
      RUNS,
    );
  });

  it('group-bys: field, range, filter, histogram, date_histogram, geo_distance, with sub-aggregations and group sorts', async () => {
    const G = Sdk.GroupByType;
    const A = Sdk.AggregationType;
    await fc.assert(
      fc.asyncProperty(rowsArb, queryArb, fc.boolean(), async (rows, q, byKey) => {
        const table = await loadTable(rows);
        const ranges = [
          { from: -20, to: 0 },
          { from: 0, to: 5 },
          { from: 5, to: 21 },
        ];
        const res = await runSearch(table, {
          offset: 0,
          limit: 0,
          query: toSdk(q),
          groupBys: {
            groupBys: [
              {
                name: 'byK',
                type: G.GROUP_BY_FIELD,
                body: {
                  fieldName: 'arr',
                  size: 100,
                  ...(byKey ? { sort: { sorters: [{ groupKeySort: { order: Sdk.SortOrder.SORT_ORDER_DESC } }] } } : {}),
                  subAggs: { aggs: [{ name: 'sumN', type: A.AGG_SUM, body: { fieldName: 'n' } }] },
                },
              },
              { name: 'byRange', type: G.GROUP_BY_RANGE, body: { fieldName: 'n', ranges } },
              {
                name: 'byFilter',
                type: G.GROUP_BY_FILTER,
                body: {
                  filters: [
                    { queryType: Q.TERM_QUERY, query: { fieldName: 'b', term: true } },
                    { queryType: Q.EXISTS_QUERY, query: { fieldName: 'g' } },
                  ],
                },
              },
              {
                name: 'hist',
                type: G.GROUP_BY_HISTOGRAM,
                body: { fieldName: 'n', interval: Long.fromNumber(5), minDocCount: 1 },
              },
              {
                name: 'days',
                type: G.GROUP_BY_DATE_HISTOGRAM,
                body: { fieldName: 'dt', interval: { value: 1, unit: Sdk.DateTimeUnit.DAY }, minDocCount: 1 },
              },
              {
                name: 'geo',
                type: G.GROUP_BY_GEO_DISTANCE,
                body: {
                  fieldName: 'g',
                  origin: { lat: 0, lon: 0 },
                  ranges: [
                    { from: 0, to: 100000.5 },
                    { from: 100000.5, to: 1e7 },
                  ],
                },
              },
            ],
          },
        });
        const m = rows.filter((r) => matches(q, r));
        type Item = {
          key?: unknown;
          rowCount?: { toNumber(): number } | number;
          value?: unknown;
          timeStamp?: unknown;
          from?: number;
          to?: number;
          subAggsResult?: { aggResults: { aggResult: { value: number } }[] };
        };
        const groups = new Map(
          (res.groupBys as { groupByResults: { name: string; groupByResult: { items: Item[] } }[] }).groupByResults.map(
            (g) => [g.name, g.groupByResult.items],
          ),
        );
        const count = (x: unknown) => Number(String(x));
        // field: counts per array value, row count desc then key asc (or key desc), sub-agg sums.
        const byK = new Map<string, Row[]>();
        for (const r of m) for (const v of r.arr ?? []) byK.set(v, [...(byK.get(v) ?? []), r]);
        const expectedK = [...byK.entries()].sort((a, b) =>
          byKey ? (a[0] < b[0] ? 1 : -1) : b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1),
        );
        const gotK = groups.get('byK')!;
        expect(gotK.map((i) => [i.key, count(i.rowCount)])).toEqual(expectedK.map(([k, rs]) => [k, rs.length]));
        gotK.forEach((i, n) =>
          expect(i.subAggsResult!.aggResults[0].aggResult.value).toBe(
            expectedK[n][1].reduce((a, r) => a + (r.n ?? 0), 0),
          ),
        );
        expect(groups.get('byRange')!.map((i) => count(i.rowCount))).toEqual(
          ranges.map((rg) => m.filter((r) => r.n !== undefined && r.n >= rg.from && r.n < rg.to).length),
        );
        expect(groups.get('byFilter')!.map((i) => count(i.rowCount))).toEqual([
          m.filter((r) => r.b === true).length,
          m.filter((r) => r.g !== undefined).length,
        ]);
        const hist = new Map<number, number>();
        for (const r of m)
          if (r.n !== undefined) hist.set(Math.floor(r.n / 5) * 5, (hist.get(Math.floor(r.n / 5) * 5) ?? 0) + 1);
        expect(groups.get('hist')!.map((i) => [Number(String(i.key)), count(i.value)])).toEqual(
          [...hist.entries()].sort((a, b) => a[0] - b[0]),
        );
        const days = new Map<number, number>();
        for (const r of m)
          if (r.dt !== undefined)
            days.set(Math.floor(r.dt / DAY) * DAY, (days.get(Math.floor(r.dt / DAY) * DAY) ?? 0) + 1);
        expect(groups.get('days')!.map((i) => [Number(String(i.timeStamp)), count(i.rowCount)])).toEqual(
          [...days.entries()].sort((a, b) => a[0] - b[0]),
        );
        const near = m.filter((r) => r.g !== undefined && haversine({ lat: 0, lon: 0 }, r.g) < 100000.5).length;
        const far = m.filter((r) => r.g !== undefined && haversine({ lat: 0, lon: 0 }, r.g) >= 100000.5).length;
        expect(groups.get('geo')!.map((i) => count(i.rowCount))).toEqual([near, far]);
      }),
      RUNS,
    );
  });
});
