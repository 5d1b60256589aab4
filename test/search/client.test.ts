/**
 * The lean SearchClient (lib/tablestore/search) against the official Node SDK, both talking to Tablestore
 * Local over HTTP: for random rows and random queries, sorts, columns, aggregations and group-bys, our
 * client's decoded answer equals the SDK's. Plus: token paging returns every row exactly once, parallelScan
 * returns every row exactly once, index management round-trips, and secondary-index tables are read with
 * the wide client's GetRange/GetRow.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import type { Aggregation, GroupBy } from '../../lib/tablestore/search/aggregations';
import { SearchClient } from '../../lib/tablestore/search/client';
import { q, type Query, type Sort } from '../../lib/tablestore/search/query';
import { INF_MAX, INF_MIN, WideTableClient, type Row as OurRow } from '../../lib/tablestore/wide';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { Sdk, asSearch, type SearchSdkClient } from './sdk';

const Long = Sdk.Long;
const Q = Sdk.QueryType;
let local: LocalTablestoreHandle;
let sdk: SearchSdkClient;
let wide: WideTableClient;
let search: SearchClient;
let seq = 0;

interface Doc {
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

const KEYS = ['a', 'ab', 'abc', 'b', 'ba', 'c'];
const WORDS = ['red', 'green', 'blue', 'fox'];
const T0 = Date.UTC(2024, 0, 1);

const docArb = (id: number): fc.Arbitrary<Doc> =>
  fc
    .record(
      {
        k: fc.constantFrom(...KEYS),
        n: fc.integer({ min: -20, max: 20 }),
        d: fc.integer({ min: -10, max: 10 }).map((x) => x / 2),
        b: fc.boolean(),
        t: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')),
        arr: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
        g: fc.record({
          lat: fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
          lon: fc.integer({ min: -4, max: 4 }).map((x) => x / 2),
        }),
        dt: fc.integer({ min: 0, max: 40 }).map((h) => T0 + h * 6 * 3600_000),
        nest: fc.array(fc.record({ name: fc.constantFrom('p', 'q'), w: fc.integer({ min: 0, max: 5 }) }), {
          minLength: 1,
          maxLength: 2,
        }),
      },
      { requiredKeys: [] },
    )
    .map((r) => ({ id, ...r }));

const docsArb = fc
  .integer({ min: 0, max: 30 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => docArb(i))));

// ------------------------------------------------------------------------ our queries, and the SDK's

const LONG_FIELDS = new Set(['n', 'dt', 'nest.w']);
const leafArb: fc.Arbitrary<Query> = fc.oneof(
  fc.constant(q.matchAll()),
  fc.constantFrom(...KEYS).map((v) => q.term('k', v)),
  fc.integer({ min: -20, max: 20 }).map((v) => q.term('n', v)),
  fc.boolean().map((v) => q.term('b', v)),
  fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }).map((v) => q.terms('arr', v)),
  fc
    .record(
      {
        gt: fc.integer({ min: -20, max: 20 }),
        gte: fc.integer({ min: -20, max: 20 }),
        lt: fc.integer({ min: -20, max: 20 }),
        lte: fc.integer({ min: -20, max: 20 }),
      },
      { requiredKeys: [] },
    )
    .map((b) => {
      const { gt, gte, lt, lte } = b;
      return q.range('n', {
        ...(gte !== undefined ? { gte } : gt !== undefined ? { gt } : {}),
        ...(lte !== undefined ? { lte } : lt !== undefined ? { lt } : {}),
      });
    }),
  fc.integer({ min: -10, max: 10 }).map((x) => q.range('d', { gte: x / 2 })),
  fc.constantFrom('a', 'ab', 'b', 'x').map((v) => q.prefix('k', v)),
  fc.constantFrom('a*', '*a', '?b*', '*').map((v) => q.wildcard('k', v)),
  fc.constantFrom('k', 'n', 'd', 'b', 't', 'arr', 'g', 'dt', 'nest').map((f) => q.exists(f)),
  fc
    .record({
      words: fc.array(fc.constantFrom(...WORDS, 'cat'), { minLength: 1, maxLength: 3 }),
      and: fc.boolean(),
    })
    .map((r) => q.match('t', r.words.join(' '), { operator: r.and ? 'and' : 'or' })),
  fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 }).map((w) => q.matchPhrase('t', w.join(' '))),
  fc
    .record({
      lat: fc.integer({ min: -2, max: 2 }),
      lon: fc.integer({ min: -2, max: 2 }),
      km: fc.integer({ min: 1, max: 300 }),
    })
    .map((r) => q.geoDistance('g', { lat: r.lat, lon: r.lon }, r.km * 1000 + 0.37)),
  fc.constant(q.geoBoundingBox('g', { lat: 1, lon: -1 }, { lat: -1, lon: 1.5 })),
  fc.constant(
    q.geoPolygon('g', [
      { lat: -2, lon: -2 },
      { lat: 2, lon: -2 },
      { lat: 0, lon: 2 },
    ]),
  ),
  fc
    .record({ name: fc.constantFrom('p', 'q'), w: fc.integer({ min: 0, max: 5 }) })
    .map((r) => q.nested('nest', q.bool({ must: [q.term('nest.name', r.name), q.range('nest.w', { gte: r.w })] }))),
);

const queryArb: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    tie('q').map((inner) => q.constScore(inner)),
    fc
      .record({
        must: fc.array(tie('q'), { maxLength: 2 }),
        mustNot: fc.array(tie('q'), { maxLength: 2 }),
        should: fc.array(tie('q'), { maxLength: 2 }),
      })
      .filter((r) => r.must.length + r.mustNot.length + r.should.length > 0)
      .map((r) =>
        q.bool({
          must: r.must,
          mustNot: r.mustNot,
          should: r.should,
          minimumShouldMatch: Math.min(1, r.should.length),
        }),
      ),
  ),
})).q;

function sdkValue(field: string, v: unknown): unknown {
  return LONG_FIELDS.has(field) && typeof v === 'number' ? Long.fromNumber(v) : v;
}
const pt = (p: { lat: number; lon: number }) => `${p.lat},${p.lon}`;

function toSdkQuery(query: Query): object {
  if ('matchAll' in query) return { queryType: Q.MATCH_ALL_QUERY };
  if ('term' in query)
    return {
      queryType: Q.TERM_QUERY,
      query: { fieldName: query.term.field, term: sdkValue(query.term.field, query.term.value) },
    };
  if ('terms' in query)
    return {
      queryType: Q.TERMS_QUERY,
      query: { fieldName: query.terms.field, terms: query.terms.values.map((v) => sdkValue(query.terms.field, v)) },
    };
  if ('range' in query) {
    const r = query.range;
    const from = r.gte ?? r.gt;
    const to = r.lte ?? r.lt;
    return {
      queryType: Q.RANGE_QUERY,
      query: {
        fieldName: r.field,
        ...(from !== undefined ? { rangeFrom: sdkValue(r.field, from) } : {}),
        ...(to !== undefined ? { rangeTo: sdkValue(r.field, to) } : {}),
        includeLower: r.gte !== undefined,
        includeUpper: r.lte !== undefined,
      },
    };
  }
  if ('prefix' in query)
    return { queryType: Q.PREFIX_QUERY, query: { fieldName: query.prefix.field, prefix: query.prefix.prefix } };
  if ('wildcard' in query)
    return { queryType: Q.WILDCARD_QUERY, query: { fieldName: query.wildcard.field, value: query.wildcard.value } };
  if ('exists' in query) return { queryType: Q.EXISTS_QUERY, query: { fieldName: query.exists.field } };
  if ('match' in query)
    return {
      queryType: Q.MATCH_QUERY,
      query: {
        fieldName: query.match.field,
        text: query.match.text,
        operator: query.match.operator === 'and' ? Sdk.QueryOperator.AND : Sdk.QueryOperator.OR,
      },
    };
  if ('matchPhrase' in query)
    return {
      queryType: Q.MATCH_PHRASE_QUERY,
      query: { fieldName: query.matchPhrase.field, text: query.matchPhrase.text },
    };
  if ('geoDistance' in query)
    return {
      queryType: Q.GEO_DISTANCE_QUERY,
      query: {
        fieldName: query.geoDistance.field,
        centerPoint: pt(query.geoDistance.center),
        distance: query.geoDistance.distance,
      },
    };
  if ('geoBoundingBox' in query)
    return {
      queryType: Q.GEO_BOUNDING_BOX_QUERY,
      query: {
        fieldName: query.geoBoundingBox.field,
        topLeft: pt(query.geoBoundingBox.topLeft),
        bottomRight: pt(query.geoBoundingBox.bottomRight),
      },
    };
  if ('geoPolygon' in query)
    return {
      queryType: Q.GEO_POLYGON_QUERY,
      query: { fieldName: query.geoPolygon.field, points: query.geoPolygon.points.map(pt) },
    };
  if ('nested' in query)
    return { queryType: Q.NESTED_QUERY, query: { path: query.nested.path, query: toSdkQuery(query.nested.query) } };
  if ('constScore' in query)
    return { queryType: Q.CONST_SCORE_QUERY, query: { filter: toSdkQuery(query.constScore.filter) } };
  const b = query.bool;
  return {
    queryType: Q.BOOL_QUERY,
    query: {
      mustQueries: (b.must ?? []).map(toSdkQuery),
      mustNotQueries: (b.mustNot ?? []).map(toSdkQuery),
      filterQueries: (b.filter ?? []).map(toSdkQuery),
      shouldQueries: (b.should ?? []).map(toSdkQuery),
      minimumShouldMatch: b.minimumShouldMatch ?? 0,
    },
  };
}

const ORDER = { asc: Sdk.SortOrder.SORT_ORDER_ASC, desc: Sdk.SortOrder.SORT_ORDER_DESC };

const sortArb: fc.Arbitrary<Sort[]> = fc.array(
  fc.oneof(
    fc
      .record({
        field: fc.constantFrom('n', 'd', 'k', 'dt', 'arr'),
        order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
      })
      .map((s): Sort => s),
    fc.constantFrom<'asc' | 'desc'>('asc', 'desc').map((o): Sort => ({ primaryKey: o })),
  ),
  { minLength: 1, maxLength: 2 },
);

function toSdkSort(sorts: readonly Sort[]): object {
  return {
    sorters: sorts.map((s) =>
      'primaryKey' in s
        ? { primaryKeySort: { order: ORDER[s.primaryKey] } }
        : 'field' in s
          ? { fieldSort: { fieldName: s.field, order: ORDER[s.order ?? 'asc'] } }
          : {},
    ),
  };
}

// ------------------------------------------------------------------- aggregations and group-bys

const aggArb: fc.Arbitrary<Aggregation> = fc.oneof(
  fc
    .record({ f: fc.constantFrom('n', 'd'), kind: fc.constantFrom('avg', 'max', 'min', 'sum') })
    .map((r) => ({ [r.kind]: { field: r.f } }) as Aggregation),
  fc.constant<Aggregation>({ sum: { field: 'n', missing: 3 } }),
  fc.constantFrom('n', 'arr', 'k').map((field): Aggregation => ({ count: { field } })),
  fc.constantFrom('n', 'k', 'arr').map((field): Aggregation => ({ distinctCount: { field } })),
  fc
    .uniqueArray(fc.constantFrom(0, 25, 50, 90, 100), { minLength: 1, maxLength: 3 })
    .map((percentiles): Aggregation => ({ percentiles: { field: 'n', percentiles } })),
  fc
    .integer({ min: 1, max: 3 })
    .map((limit): Aggregation => ({ topRows: { limit, sort: [{ field: 'n', order: 'desc' }] } })),
);

const AGG_SDK: Record<string, string> = {
  avg: 'AGG_AVG',
  max: 'AGG_MAX',
  min: 'AGG_MIN',
  sum: 'AGG_SUM',
  count: 'AGG_COUNT',
  distinctCount: 'AGG_DISTINCT_COUNT',
  topRows: 'AGG_TOP_ROWS',
  percentiles: 'AGG_PERCENTILES',
};

function toSdkAggs(aggs: Readonly<Record<string, Aggregation>>): object {
  return {
    aggs: Object.entries(aggs).map(([name, a]) => {
      const [kind, body] = Object.entries(a)[0] as [string, Record<string, unknown>];
      const sdkBody: Record<string, unknown> = {};
      if (body.field !== undefined) sdkBody.fieldName = body.field;
      if (body.missing !== undefined) sdkBody.missing = sdkValue(String(body.field), body.missing);
      if (body.percentiles !== undefined) sdkBody.percentiles = body.percentiles;
      if (body.limit !== undefined) sdkBody.limit = body.limit;
      if (body.sort !== undefined) sdkBody.sort = toSdkSort(body.sort as Sort[]);
      return { name, type: Sdk.AggregationType[AGG_SDK[kind]], body: sdkBody };
    }),
  };
}

const subAggArb = fc.option(fc.dictionary(fc.constantFrom('s1', 's2'), aggArb, { maxKeys: 2 }), { nil: undefined });

const groupByArb: fc.Arbitrary<GroupBy> = fc.oneof(
  fc
    .record({
      field: fc.constantFrom('k', 'arr', 'n'),
      size: fc.integer({ min: 1, max: 10 }),
      sort: fc.option(fc.constantFrom<'key' | 'rowCount'>('key', 'rowCount'), { nil: undefined }),
      aggregations: subAggArb,
    })
    .map((r): GroupBy => ({
      field: {
        field: r.field,
        size: r.size,
        ...(r.sort ? { sort: [r.sort === 'key' ? { key: 'desc' } : { rowCount: 'asc' }] } : {}),
        ...(r.aggregations ? { aggregations: r.aggregations } : {}),
      },
    })),
  subAggArb.map((aggregations): GroupBy => ({
    range: {
      field: 'n',
      ranges: [{ to: 0 }, { from: 0, to: 5 }, { from: 5 }],
      ...(aggregations ? { aggregations } : {}),
    },
  })),
  fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((filters): GroupBy => ({ filter: { filters } })),
  fc
    .record({ interval: fc.integer({ min: 1, max: 7 }), minDocCount: fc.integer({ min: 0, max: 2 }) })
    .map((r): GroupBy => ({ histogram: { field: 'n', interval: r.interval, minDocCount: r.minDocCount } })),
  fc
    .record({ unit: fc.constantFrom<'day' | 'hour'>('day', 'hour'), value: fc.integer({ min: 1, max: 3 }) })
    .map((r): GroupBy => ({ dateHistogram: { field: 'dt', interval: r, minDocCount: 1, timeZone: '+08:00' } })),
  fc.constant<GroupBy>({
    geoDistance: { field: 'g', origin: { lat: 0, lon: 0 }, ranges: [{ to: 100000.5 }, { from: 100000.5 }] },
  }),
);

const GROUP_SDK: Record<string, string> = {
  field: 'GROUP_BY_FIELD',
  range: 'GROUP_BY_RANGE',
  filter: 'GROUP_BY_FILTER',
  histogram: 'GROUP_BY_HISTOGRAM',
  dateHistogram: 'GROUP_BY_DATE_HISTOGRAM',
  geoDistance: 'GROUP_BY_GEO_DISTANCE',
};
const UNIT: Record<string, string> = { day: 'DAY', hour: 'HOUR' };

function toSdkGroupBys(groupBys: Readonly<Record<string, GroupBy>>): object {
  return {
    groupBys: Object.entries(groupBys).map(([name, g]) => {
      const [kind, body] = Object.entries(g)[0] as [string, Record<string, unknown>];
      const b: Record<string, unknown> = {};
      if (body.field !== undefined) b.fieldName = body.field;
      if (body.size !== undefined) b.size = body.size;
      if (body.minDocCount !== undefined) b.minDocCount = body.minDocCount;
      if (body.ranges !== undefined)
        b.ranges = (body.ranges as { from?: number; to?: number }[]).map((r) => ({
          from: r.from ?? -Infinity,
          to: r.to ?? Infinity,
        }));
      if (body.filters !== undefined) b.filters = (body.filters as Query[]).map(toSdkQuery);
      if (kind === 'histogram') b.interval = Long.fromNumber(body.interval as number);
      if (kind === 'dateHistogram') {
        const i = body.interval as { value: number; unit: string };
        b.interval = { value: i.value, unit: Sdk.DateTimeUnit[UNIT[i.unit]] };
        b.timeZone = body.timeZone;
      }
      if (body.origin !== undefined) b.origin = body.origin;
      if (body.sort !== undefined)
        b.sort = {
          sorters: (body.sort as Array<{ key?: 'asc' | 'desc'; rowCount?: 'asc' | 'desc' }>).map((s) =>
            s.key ? { groupKeySort: { order: ORDER[s.key] } } : { rowCountSort: { order: ORDER[s.rowCount!] } },
          ),
        };
      if (body.aggregations !== undefined) b.subAggs = toSdkAggs(body.aggregations as Record<string, Aggregation>);
      return { name, type: Sdk.GroupByType[GROUP_SDK[kind]], body: b };
    }),
  };
}

// ---------------------------------------------------------------------- one canonical form for both

const canonValue = (v: unknown): unknown =>
  typeof v === 'bigint' || (typeof v === 'object' && v !== null && !(v instanceof Uint8Array))
    ? String(v)
    : typeof v === 'number'
      ? String(v)
      : v;

function canonOurRow(r: OurRow): unknown {
  return {
    pk: Object.entries(r.primaryKey).map(([k, v]) => [k, canonValue(v)]),
    cols: Object.entries(r.columns)
      .map(([k, v]) => [k, canonValue(v)])
      .sort(),
  };
}
function canonSdkRow(r: SdkRow): unknown {
  return {
    pk: (r.primaryKey ?? []).map((c) => [c.name, canonValue(c.value)]),
    cols: (r.attributes ?? []).map((a) => [a.columnName, canonValue(a.columnValue)]).sort(),
  };
}

const n = (v: unknown): number => Number(String(v));
type Json = Record<string, unknown>;

function canonOurAggs(aggs: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [name, a] of Object.entries(aggs) as [string, Json][]) {
    if (a.kind === 'topRows') out[name] = { rows: (a.rows as OurRow[]).map(canonOurRow) };
    else if (a.kind === 'percentiles') out[name] = { percentiles: a.percentiles };
    else out[name] = { value: a.value };
  }
  return out;
}

function canonSdkAggs(aggs: { aggResults: { name: string; type: number; aggResult: Json }[] } | undefined): Json {
  const out: Json = {};
  const A = Sdk.AggregationType;
  for (const a of aggs?.aggResults ?? []) {
    const r = a.aggResult;
    if (a.type === A.AGG_TOP_ROWS) out[a.name] = { rows: (r.rows as SdkRow[]).map(canonSdkRow) };
    else if (a.type === A.AGG_PERCENTILES)
      out[a.name] = {
        percentiles: (r.items as { item: { key: number; value: unknown } }[]).map((i) => ({
          percentile: i.item.key,
          value: i.item.value === undefined || i.item.value === null ? null : n(i.item.value),
        })),
      };
    else if (a.type === A.AGG_COUNT || a.type === A.AGG_DISTINCT_COUNT) out[a.name] = { value: n(r.value) };
    else out[a.name] = { value: Object.hasOwn(r, 'value') ? (r.value as number) : null };
  }
  return out;
}

function canonOurGroups(groups: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [name, g] of Object.entries(groups) as [string, { items: Json[] }][]) {
    out[name] = g.items.map((i) => {
      const { aggregations, groupBys: _g, ...rest } = i;
      const aggs = canonOurAggs(aggregations as Json);
      return { ...rest, ...(Object.keys(aggs).length > 0 ? { aggs } : {}) };
    });
  }
  return out;
}

function canonSdkGroups(
  groups: { groupByResults: { name: string; type: number; groupByResult: { items: Json[] } }[] } | undefined,
): Json {
  const out: Json = {};
  const G = Sdk.GroupByType;
  for (const g of groups?.groupByResults ?? []) {
    out[g.name] = g.groupByResult.items.map((i) => {
      const aggs = i.subAggsResult ? canonSdkAggs(i.subAggsResult as Parameters<typeof canonSdkAggs>[0]) : {};
      const extra = Object.keys(aggs).length > 0 ? { aggs } : {};
      switch (g.type) {
        case G.GROUP_BY_FIELD:
          return { key: i.key, rowCount: n(i.rowCount), ...extra };
        case G.GROUP_BY_RANGE:
        case G.GROUP_BY_GEO_DISTANCE:
          return { from: i.from, to: i.to, rowCount: n(i.rowCount), ...extra };
        case G.GROUP_BY_FILTER:
          return { rowCount: n(i.rowCount), ...extra };
        case G.GROUP_BY_HISTOGRAM:
          return { key: n(i.key), rowCount: n(i.value), ...extra };
        default:
          return { timestamp: n(i.timeStamp), rowCount: n(i.rowCount), ...extra };
      }
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------- fixtures

const FIELDS = [
  { name: 'k', type: 'KEYWORD' },
  { name: 'n', type: 'LONG' },
  { name: 'd', type: 'DOUBLE' },
  { name: 'b', type: 'BOOLEAN' },
  { name: 't', type: 'TEXT' },
  { name: 'arr', type: 'KEYWORD', array: true },
  { name: 'g', type: 'GEO_POINT' },
  { name: 'dt', type: 'DATE' },
  {
    name: 'nest',
    type: 'NESTED',
    fields: [
      { name: 'name', type: 'KEYWORD' },
      { name: 'w', type: 'LONG' },
    ],
  },
] as const;

let lastTable: string | undefined;

/** A fresh table and index (made with our client) holding `docs`, written with the wide client. */
async function load(docs: readonly Doc[]): Promise<string> {
  if (lastTable) await wide.deleteTable(lastTable);
  const table = `sc${++seq}`;
  lastTable = table;
  await wide.createTable({ table, primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await search.createSearchIndex(table, 'idx', { fields: FIELDS });
  if (docs.length > 0)
    await wide.batchWriteRow({
      tables: [
        {
          table,
          rows: docs.map((d) => {
            const columns: Record<string, string | number | boolean> = { other: 'x' };
            if (d.k !== undefined) columns.k = d.k;
            if (d.n !== undefined) columns.n = d.n;
            if (d.d !== undefined) columns.d = d.d;
            if (d.b !== undefined) columns.b = d.b;
            if (d.t !== undefined) columns.t = d.t;
            if (d.arr !== undefined) columns.arr = JSON.stringify(d.arr);
            if (d.g !== undefined) columns.g = pt(d.g);
            if (d.dt !== undefined) columns.dt = d.dt;
            if (d.nest !== undefined) columns.nest = JSON.stringify(d.nest);
            return { type: 'put' as const, primaryKey: { id: d.id }, columns };
          }),
        },
      ],
    });
  return table;
}

beforeAll(async () => {
  local = await startLocal();
  sdk = asSearch(sdkClient(local));
  wide = new WideTableClient({
    endpoint: local.endpoint,
    instance: local.instance,
    region: local.region,
    credentials: fromStatic({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret }),
  });
  search = new SearchClient({ transport: wide.transport });
});

afterAll(async () => {
  wide?.close();
  await local?.stop();
});

const COLUMNS = ['none', 'all', 'allFromIndex', ['k', 'n', 'missing']] as const;
const SDK_COLUMNS = [
  { returnType: Sdk.ColumnReturnType.RETURN_NONE },
  { returnType: Sdk.ColumnReturnType.RETURN_ALL },
  { returnType: Sdk.ColumnReturnType.RETURN_ALL_FROM_INDEX },
  { returnType: Sdk.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['k', 'n', 'missing'] },
];

describe('SearchClient equals the official SDK on Tablestore Local', () => {
  it('random queries, sorts, columns, offset/limit, total count, aggregations and group-bys', async () => {
    await fc.assert(
      fc.asyncProperty(
        docsArb,
        fc.array(
          fc.record({
            query: queryArb,
            sort: fc.option(sortArb, { nil: undefined }),
            columns: fc.integer({ min: 0, max: 3 }),
            offset: fc.integer({ min: 0, max: 4 }),
            limit: fc.integer({ min: 0, max: 12 }),
            total: fc.boolean(),
            aggregations: fc.option(
              fc.dictionary(fc.constantFrom('a1', 'a2', 'a3'), aggArb, { minKeys: 1, maxKeys: 3 }),
              {
                nil: undefined,
              },
            ),
            groupBys: fc.option(fc.dictionary(fc.constantFrom('g1', 'g2'), groupByArb, { minKeys: 1, maxKeys: 2 }), {
              nil: undefined,
            }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (docs, requests) => {
          const table = await load(docs);
          for (const r of requests) {
            const ours = await search.search(table, 'idx', {
              query: r.query,
              offset: r.offset,
              limit: r.limit,
              trackTotalCount: r.total,
              columns: COLUMNS[r.columns],
              ...(r.sort ? { sort: r.sort } : {}),
              ...(r.aggregations ? { aggregations: r.aggregations } : {}),
              ...(r.groupBys ? { groupBys: r.groupBys } : {}),
            });
            const theirs = await sdk.search({
              tableName: table,
              indexName: 'idx',
              searchQuery: {
                offset: r.offset,
                limit: r.limit,
                query: toSdkQuery(r.query),
                getTotalCount: r.total,
                ...(r.sort ? { sort: toSdkSort(r.sort) } : {}),
                ...(r.aggregations ? { aggs: toSdkAggs(r.aggregations) } : {}),
                ...(r.groupBys ? { groupBys: toSdkGroupBys(r.groupBys) } : {}),
              },
              columnToGet: SDK_COLUMNS[r.columns],
            });
            const where = JSON.stringify(r);
            expect(ours.rows.map(canonOurRow), where).toEqual((theirs.rows as SdkRow[]).map(canonSdkRow));
            expect(ours.totalCount, where).toEqual(
              theirs.totalCounts === undefined ? undefined : n(theirs.totalCounts),
            );
            const sdkToken = theirs.nextToken as Buffer | null | undefined;
            expect(ours.nextToken !== undefined, where).toBe(
              sdkToken !== undefined && sdkToken !== null && sdkToken.length > 0,
            );
            expect(canonOurAggs(ours.aggregations), where).toEqual(
              canonSdkAggs(theirs.aggs as Parameters<typeof canonSdkAggs>[0]),
            );
            expect(canonOurGroups(ours.groupBys), where).toEqual(
              canonSdkGroups(theirs.groupBys as Parameters<typeof canonSdkGroups>[0]),
            );
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('pages by nextToken: every matching row exactly once, in the order of one big page', async () => {
    await fc.assert(
      fc.asyncProperty(docsArb, queryArb, sortArb, fc.integer({ min: 1, max: 7 }), async (docs, query, sort, limit) => {
        const table = await load(docs);
        const all = await search.search(table, 'idx', { query, sort, limit: 1000, columns: 'allFromIndex' });
        const seen: OurRow[] = [];
        let pages = 0;
        for await (const page of search.searchPages(table, 'idx', { query, sort, limit, columns: 'allFromIndex' })) {
          expect(page.rows.length).toBeLessThanOrEqual(limit);
          seen.push(...page.rows);
          if (++pages > 100) throw new Error('paging does not end');
        }
        expect(seen).toEqual(all.rows);
        expect(new Set(seen.map((r) => String(r.primaryKey.id))).size).toBe(seen.length);
      }),
      { numRuns: 20 },
    );
  });
});

describe('SearchClient index management', () => {
  it('creates, lists, describes (schema round trip), updates and deletes an index', async () => {
    await wide.createTable({ table: 'mgmt', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
    await search.createSearchIndex('mgmt', 'm1', {
      fields: [
        { name: 'k', type: 'KEYWORD' },
        { name: 't', type: 'TEXT', analyzer: { name: 'split', delimiter: ',' } },
        { name: 'f', type: 'TEXT', analyzer: { name: 'fuzzy', minChars: 1, maxChars: 5 } },
        { name: 'dt', type: 'DATE', dateFormats: ['yyyy-MM-dd'] },
        { name: 'tags', type: 'KEYWORD', array: true },
      ],
      indexSort: [{ field: 'k', order: 'desc' }],
      routingFields: ['id'],
    });
    expect(await search.listSearchIndex('mgmt')).toEqual([{ table: 'mgmt', index: 'm1' }]);
    const d = await search.describeSearchIndex('mgmt', 'm1');
    expect(d.schema.fields.map((f) => [f.name, f.type, f.array ?? false])).toEqual([
      ['k', 'KEYWORD', false],
      ['t', 'TEXT', false],
      ['f', 'TEXT', false],
      ['dt', 'DATE', false],
      ['tags', 'KEYWORD', true],
    ]);
    expect(d.schema.fields[1].analyzer).toEqual({ name: 'split', delimiter: ',' });
    expect(d.schema.fields[2].analyzer).toEqual({ name: 'fuzzy', minChars: 1, maxChars: 5 });
    expect(d.schema.fields[3].dateFormats).toEqual(['yyyy-MM-dd']);
    expect(d.schema.indexSort).toEqual([{ field: 'k', order: 'desc' }]);
    expect(d.schema.routingFields).toEqual(['id']);
    expect(d.status).toBe('running');
    expect(d.syncPhase).toBe('incremental');
    expect(Math.abs((d.createTime ?? 0) - Date.now())).toBeLessThan(3_600_000);
    // The SDK sees the same index.
    const theirs = (await sdk.describeSearchIndex({ tableName: 'mgmt', indexName: 'm1' })) as {
      schema: { fieldSchemas: { fieldName: string }[] };
    };
    expect(theirs.schema.fieldSchemas.map((f) => f.fieldName)).toEqual(d.schema.fields.map((f) => f.name));
    await search.updateSearchIndex('mgmt', 'm1', { timeToLive: 86400 * 2 });
    expect((await search.describeSearchIndex('mgmt', 'm1')).timeToLive).toBe(86400 * 2);
    await search.deleteSearchIndex('mgmt', 'm1');
    expect(await search.listSearchIndex('mgmt')).toEqual([]);
  });

  it('reports bad input before sending, naming the part by JSON pointer', async () => {
    const bad = search.search('mgmt', 'none', {
      query: q.bool({ must: [q.term('k', 'x'), { term: { field: 'k' } } as unknown as Query] }),
    });
    await expect(bad).rejects.toMatchObject({
      code: 'OTSParameterInvalid',
      message: expect.stringContaining('/query/bool/must/1/term/value'),
    });
    const badAgg = search.search('mgmt', 'none', {
      aggregations: { x: { percentiles: { field: 'n', percentiles: [120] } } },
    });
    await expect(badAgg).rejects.toMatchObject({
      message: expect.stringContaining('/aggregations/x/percentiles/percentiles/0'),
    });
  });
});

describe('large array fields', () => {
  it('sorts by an array field of 200,000 values (min and max mode) without overflowing the stack', async () => {
    await wide.createTable({ table: 'bigarr', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
    await search.createSearchIndex('bigarr', 'a', { fields: [{ name: 'arr', type: 'LONG', array: true }] });
    const many = Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 200_000);
    await wide.putRow({ table: 'bigarr', primaryKey: { id: 1 }, columns: { arr: JSON.stringify(many) } });
    await wide.putRow({ table: 'bigarr', primaryKey: { id: 2 }, columns: { arr: JSON.stringify([-5, 300_000]) } });
    const ids = async (order: 'asc' | 'desc', mode: 'min' | 'max') =>
      (await search.search('bigarr', 'a', { sort: [{ field: 'arr', order, mode }] })).rows.map((r) =>
        Number(r.primaryKey.id),
      );
    expect(await ids('asc', 'min')).toEqual([2, 1]); // -5 < 0
    expect(await ids('asc', 'max')).toEqual([1, 2]); // 199,999 < 300,000
    await wide.deleteTable('bigarr');
  }, 60_000);
});

describe('parallelScan', () => {
  it('yields every row exactly once across several splits, sequentially or concurrently, with a query', async () => {
    const table = 'scan';
    const total = 23_456;
    await wide.createTable({ table, primaryKey: [{ name: 'id', type: 'INTEGER' }] });
    await search.createSearchIndex(table, 'idx', { fields: [{ name: 'n', type: 'LONG' }] });
    for (let start = 0; start < total; start += 200) {
      await wide.batchWriteRow({
        tables: [
          {
            table,
            rows: Array.from({ length: Math.min(200, total - start) }, (_, i) => ({
              type: 'put' as const,
              primaryKey: { id: start + i },
              columns: { n: (start + i) % 7 },
            })),
          },
        ],
      });
    }
    expect((await search.computeSplits(table, 'idx')).splits).toBeGreaterThan(1);
    for (const concurrency of [1, 3]) {
      const ids: number[] = [];
      for await (const row of search.parallelScan(table, 'idx', { concurrency, limit: 2000 })) {
        ids.push(Number(row.primaryKey.id));
        expect(row.columns.n).toBeDefined();
      }
      expect(ids.length).toBe(total);
      expect(new Set(ids).size).toBe(total);
    }
    const sevens: number[] = [];
    for await (const row of search.parallelScan(table, 'idx', { query: q.term('n', 3), columns: 'none', limit: 500 }))
      sevens.push(Number(row.primaryKey.id));
    expect(sevens.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i).filter((i) => i % 7 === 3));
  }, 120_000);
});

describe('secondary-index tables through the wide client', () => {
  it('GetRange and GetRow read an index table like any table', async () => {
    await sdk.createTable({
      tableMeta: {
        tableName: 'withidx',
        primaryKey: [{ name: 'id', type: 'INTEGER' }],
        definedColumn: [
          {
            name: 'city',
            type: (Sdk as unknown as { DefinedColumnType: Record<string, number> }).DefinedColumnType.DCT_STRING,
          },
        ],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      indexMetas: [{ name: 'by_city', primaryKey: ['city'], definedColumn: [] }],
    });
    await wide.batchWriteRow({
      tables: [
        {
          table: 'withidx',
          rows: ['b', 'a', 'c', 'a'].map((city, id) => ({
            type: 'put' as const,
            primaryKey: { id },
            columns: { city },
          })),
        },
      ],
    });
    const range = await wide.getRange({
      table: 'by_city',
      start: { city: INF_MIN, id: INF_MIN },
      end: { city: INF_MAX, id: INF_MAX },
    });
    expect(range.rows.map((r) => [r.primaryKey.city, Number(r.primaryKey.id)])).toEqual([
      ['a', 1],
      ['a', 3],
      ['b', 0],
      ['c', 2],
    ]);
    const row = await wide.getRow({ table: 'by_city', primaryKey: { city: 'c', id: 2 } });
    expect(row?.primaryKey).toMatchObject({ city: 'c' });
  });
});
