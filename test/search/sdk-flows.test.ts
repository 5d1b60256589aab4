/**
 * The official Node SDK's index/search sample flows, reproduced against Tablestore Local over HTTP: create a
 * search index with every field type and analyzer, list/describe it, search with each query type, page by
 * token, parallel-scan, update TTL, delete; DeleteTable drops its indexes; unserved features answer an OTS error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkResult,
  type SdkRow,
} from '../helpers/tablestore-local';
import { Sdk, asSearch, attr, pkString, type SearchSdkClient } from './sdk';

const Long = Sdk.Long;
const T = 'nestedTag';
const I = 'testIndex';
const N = 30;
let local: LocalTablestoreHandle;
let client: SearchSdkClient;

const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);

function fieldSchemas() {
  const F = Sdk.FieldType;
  return [
    { fieldName: 'pic_id', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
    { fieldName: 'count', fieldType: F.LONG, index: true, enableSortAndAgg: true },
    { fieldName: 'time_stamp', fieldType: F.LONG, index: true, enableSortAndAgg: true },
    { fieldName: 'pic_description', fieldType: F.TEXT, index: true },
    { fieldName: 'pos', fieldType: F.GEO_POINT, index: true, enableSortAndAgg: true },
    {
      fieldName: 'pic_tag',
      fieldType: F.NESTED,
      fieldSchemas: [
        { fieldName: 'sub_tag_name', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
        { fieldName: 'tag_name', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
      ],
    },
    {
      fieldName: 'date',
      fieldType: F.DATE,
      index: true,
      enableSortAndAgg: true,
      dateFormats: ["yyyy-MM-dd'T'HH:mm:ss.SSSSSS"],
    },
    {
      fieldName: 'analyzer_single_word',
      fieldType: F.TEXT,
      analyzer: 'single_word',
      index: true,
      analyzerParameter: { caseSensitive: true, delimitWord: false },
    },
    {
      fieldName: 'analyzer_split',
      fieldType: F.TEXT,
      analyzer: 'split',
      index: true,
      analyzerParameter: { delimiter: ',' },
    },
    {
      fieldName: 'analyzer_fuzzy',
      fieldType: F.TEXT,
      analyzer: 'fuzzy',
      index: true,
      analyzerParameter: { minChars: 1, maxChars: 5 },
    },
    { fieldName: 'tags', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true, isAnArray: true },
  ];
}

async function search(
  query: object,
  extra: object = {},
  columnToGet: object = { returnType: Sdk.ColumnReturnType.RETURN_NONE },
) {
  return client.search({
    tableName: T,
    indexName: I,
    searchQuery: { offset: 0, limit: 100, query, getTotalCount: true, ...extra },
    columnToGet,
  });
}

const ids = (rows: readonly SdkRow[] | undefined) => (rows ?? []).map((r) => String(r.primaryKey![0].value));
const total = (r: SdkResult) => Number(r.totalCounts);

beforeAll(async () => {
  local = await startLocal();
  client = asSearch(sdkClient(local));
  await client.createTable({
    tableMeta: {
      tableName: T,
      primaryKey: [
        { name: 'pic_id', type: 'STRING' },
        { name: 'count', type: 'INTEGER' },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  for (let i = 0; i < N; i++) {
    await client.putRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: [{ pic_id: `pic_id_${i}` }, { count: Long.fromNumber(i) }],
      attributeColumns: [
        { time_stamp: Long.fromNumber(1000 + i) },
        { pic_description: `some info ${i}` },
        { pos: `${i % 3},${i % 2}` },
        { pic_tag: JSON.stringify([{ sub_tag_name: `s${i}`, tag_name: i % 2 ? 'car' : 'person' }]) },
        { date: `2024-01-0${(i % 9) + 1}T10:00:00.000000` },
        { analyzer_single_word: `Hello World ${i}` },
        { analyzer_split: `a${i % 4},b${i % 5}` },
        { analyzer_fuzzy: `product-${i}` },
        { tags: JSON.stringify([`t${i % 3}`, `u${i % 5}`]) },
      ],
    });
  }
});

afterAll(async () => {
  await local?.stop();
});

describe('search index administration (official SDK)', () => {
  it('ListSearchIndex on a table without indexes answers an empty list', async () => {
    const res = await client.listSearchIndex({ tableName: T });
    expect(res.indices).toEqual([]);
  });

  it('creates an index over existing rows and lists and describes it', async () => {
    await client.createSearchIndex({
      tableName: T,
      indexName: I,
      schema: { fieldSchemas: fieldSchemas(), indexSetting: { routingFields: ['count', 'pic_id'] } },
    });
    const list = await client.listSearchIndex({ tableName: T });
    expect(list.indices).toEqual([{ tableName: T, indexName: I }]);
    const before = Date.now();
    const d = await client.describeSearchIndex({ tableName: T, indexName: I });
    const schema = d.schema as {
      fieldSchemas: {
        fieldName: string;
        fieldType: string;
        analyzer?: string;
        analyzerParameter?: object;
        fieldSchemas: unknown[];
      }[];
    };
    expect(schema.fieldSchemas.map((f) => f.fieldName)).toEqual(fieldSchemas().map((f) => f.fieldName));
    expect(schema.fieldSchemas.find((f) => f.fieldName === 'analyzer_split')?.analyzerParameter).toMatchObject({
      delimiter: ',',
    });
    expect(schema.fieldSchemas.find((f) => f.fieldName === 'pic_tag')?.fieldSchemas).toHaveLength(2);
    const sync = d.syncStat as { syncPhase: number; currentSyncTimestamp: { toNumber(): number } };
    expect(sync.syncPhase).toBe(2); // INCR: caught up, maintained synchronously
    expect(sync.currentSyncTimestamp.toNumber() / 1e6).toBeGreaterThanOrEqual(before - 1000);
    expect((d.indexStatus as { status: string }).status).toBe('running');
  });

  it('refuses a second index of the same name and an index on a missing table', async () => {
    const dup = await sdkError(
      client.createSearchIndex({ tableName: T, indexName: I, schema: { fieldSchemas: fieldSchemas() } }),
    );
    expect(dup.code).toBe('OTSObjectAlreadyExist');
    const missing = await sdkError(
      client.createSearchIndex({ tableName: 'nope', indexName: I, schema: { fieldSchemas: fieldSchemas() } }),
    );
    expect(missing.code).toBe('OTSObjectNotExist');
  });
});

describe('Search (official SDK)', () => {
  const Q = Sdk.QueryType;
  it('serves each query type of the search sample', async () => {
    expect(
      ids((await search({ queryType: Q.TERM_QUERY, query: { fieldName: 'pic_id', term: 'pic_id_5' } })).rows),
    ).toEqual(['pic_id_5']);
    expect(
      ids((await search({ queryType: Q.MATCH_QUERY, query: { fieldName: 'pic_id', text: 'pic_id_5' } })).rows),
    ).toEqual(['pic_id_5']);
    const or = await search({
      queryType: Q.MATCH_QUERY,
      query: { fieldName: 'pic_description', text: 'info 7 99', minimumShouldMatch: 2, operator: Sdk.QueryOperator.OR },
    });
    expect(ids(or.rows)).toEqual(['pic_id_7']);
    const and = await search({
      queryType: Q.MATCH_QUERY,
      query: { fieldName: 'pic_description', text: 'some 12', operator: Sdk.QueryOperator.AND },
    });
    expect(ids(and.rows)).toEqual(['pic_id_12']);
    expect(
      total(await search({ queryType: Q.MATCH_PHRASE_QUERY, query: { fieldName: 'pic_description', text: 'info 3' } })),
    ).toBe(1);
    expect(
      total(await search({ queryType: Q.MATCH_PHRASE_QUERY, query: { fieldName: 'pic_description', text: '3 info' } })),
    ).toBe(0);
    const range = await search({
      queryType: Q.RANGE_QUERY,
      query: {
        fieldName: 'pic_id',
        rangeFrom: 'pic_id_10',
        includeLower: true,
        rangeTo: 'pic_id_11',
        includeUpper: true,
      },
    });
    expect(ids(range.rows).sort()).toEqual(['pic_id_10', 'pic_id_11']);
    const numRange = await search({
      queryType: Q.RANGE_QUERY,
      query: { fieldName: 'count', rangeFrom: Long.fromNumber(5), includeLower: false, rangeTo: Long.fromNumber(8) },
    });
    expect(ids(numRange.rows).sort()).toEqual(['pic_id_6', 'pic_id_7']);
    expect(total(await search({ queryType: Q.PREFIX_QUERY, query: { fieldName: 'pic_id', prefix: 'pic_id_2' } }))).toBe(
      11,
    );
    expect(
      total(await search({ queryType: Q.WILDCARD_QUERY, query: { fieldName: 'pic_id', value: 'pic_id_*1' } })),
    ).toBe(3);
    expect(
      total(
        await search({
          queryType: Q.TERMS_QUERY,
          query: { fieldName: 'pic_id', terms: ['pic_id_1', 'pic_id_5', 'x'] },
        }),
      ),
    ).toBe(2);
    expect(total(await search({ queryType: Q.EXISTS_QUERY, query: { fieldName: 'pic_id' } }))).toBe(N);
    expect(total(await search({ queryType: Q.MATCH_ALL_QUERY }))).toBe(N);
    expect(
      total(
        await search({
          queryType: Q.CONST_SCORE_QUERY,
          query: { filter: { queryType: Q.PREFIX_QUERY, query: { fieldName: 'pic_id', prefix: 'pic_id_21' } } },
        }),
      ),
    ).toBe(1);
    expect(total(await search({ queryType: Q.TERM_QUERY, query: { fieldName: 'tags', term: 'u4' } }))).toBe(6);
  });

  it('serves Bool, Nested, geo and analyzer queries', async () => {
    const Q2 = Sdk.QueryType;
    const bool = await search({
      queryType: Q2.BOOL_QUERY,
      query: {
        mustQueries: [{ queryType: Q2.PREFIX_QUERY, query: { fieldName: 'pic_id', prefix: 'pic_id_' } }],
        mustNotQueries: [
          {
            queryType: Q2.RANGE_QUERY,
            query: { fieldName: 'count', rangeFrom: Long.fromNumber(10), includeLower: true },
          },
        ],
        shouldQueries: [
          { queryType: Q2.TERM_QUERY, query: { fieldName: 'count', term: Long.fromNumber(3) } },
          { queryType: Q2.TERM_QUERY, query: { fieldName: 'count', term: Long.fromNumber(20) } },
          { queryType: Q2.TERM_QUERY, query: { fieldName: 'time_stamp', term: Long.fromNumber(1004) } },
        ],
        minimumShouldMatch: 1,
      },
    });
    expect(ids(bool.rows).sort()).toEqual(['pic_id_3', 'pic_id_4']);
    const nested = await search({
      queryType: Q2.NESTED_QUERY,
      query: {
        path: 'pic_tag',
        query: { queryType: Q2.TERM_QUERY, query: { fieldName: 'pic_tag.tag_name', term: 'car' } },
      },
    });
    expect(total(nested)).toBe(15);
    // pos = "i%3,i%2": 6 combinations, 5 rows each.
    expect(
      total(
        await search({
          queryType: Q2.GEO_BOUNDING_BOX_QUERY,
          query: { fieldName: 'pos', topLeft: '1,0', bottomRight: '0,1' },
        }),
      ),
    ).toBe(20);
    expect(
      total(
        await search({
          queryType: Q2.GEO_DISTANCE_QUERY,
          query: { fieldName: 'pos', centerPoint: '0,0', distance: 1000 },
        }),
      ),
    ).toBe(5);
    expect(
      total(
        await search({
          queryType: Q2.GEO_POLYGON_QUERY,
          query: { fieldName: 'pos', points: ['-0.5,-0.5', '-0.5,1.5', '1.5,1.5', '1.5,-0.5'] },
        }),
      ),
    ).toBe(20);
    // single_word with case_sensitive: "Hello" matches, "hello" does not.
    expect(
      total(await search({ queryType: Q2.MATCH_QUERY, query: { fieldName: 'analyzer_single_word', text: 'Hello' } })),
    ).toBe(N);
    expect(
      total(await search({ queryType: Q2.MATCH_QUERY, query: { fieldName: 'analyzer_single_word', text: 'hello' } })),
    ).toBe(0);
    expect(total(await search({ queryType: Q2.MATCH_QUERY, query: { fieldName: 'analyzer_split', text: 'b3' } }))).toBe(
      6,
    );
    // fuzzy: a substring of the value matches as a phrase.
    expect(
      ids(
        (await search({ queryType: Q2.MATCH_PHRASE_QUERY, query: { fieldName: 'analyzer_fuzzy', text: 'duct-17' } }))
          .rows,
      ),
    ).toEqual(['pic_id_17']);
    const dates = await search({
      queryType: Q2.RANGE_QUERY,
      query: { fieldName: 'date', rangeFrom: '2024-01-02T00:00:00.000000', rangeTo: '2024-01-03T00:00:00.000000' },
    });
    expect(total(dates)).toBe(4);
  });

  it('sorts by field, primary key and geo distance, and returns the columns asked for', async () => {
    const Q2 = Sdk.QueryType;
    const desc = await search(
      { queryType: Q2.MATCH_ALL_QUERY },
      { limit: 3, sort: { sorters: [{ fieldSort: { fieldName: 'count', order: Sdk.SortOrder.SORT_ORDER_DESC } }] } },
    );
    expect(ids(desc.rows)).toEqual(['pic_id_29', 'pic_id_28', 'pic_id_27']);
    const pk = await search(
      { queryType: Q2.MATCH_ALL_QUERY },
      { limit: 3, sort: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_DESC } }] } },
    );
    expect(ids(pk.rows)).toEqual(['pic_id_9', 'pic_id_8', 'pic_id_7']);
    const geo = await search(
      { queryType: Q2.MATCH_ALL_QUERY },
      {
        limit: 5,
        sort: {
          sorters: [
            { geoDistanceSort: { fieldName: 'pos', points: ['2,1'], order: Sdk.SortOrder.SORT_ORDER_ASC } },
            { primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } },
          ],
        },
      },
    );
    expect(ids(geo.rows)).toEqual(['pic_id_11', 'pic_id_17', 'pic_id_23', 'pic_id_29', 'pic_id_5']);
    const specified = await search(
      { queryType: Q2.TERM_QUERY, query: { fieldName: 'pic_id', term: 'pic_id_4' } },
      {},
      { returnType: Sdk.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['pos', 'time_stamp'] },
    );
    expect(specified.rows![0].attributes!.map((a) => a.columnName)).toEqual(['pos', 'time_stamp']);
    const all = await search(
      { queryType: Q2.TERM_QUERY, query: { fieldName: 'pic_id', term: 'pic_id_4' } },
      {},
      { returnType: Sdk.ColumnReturnType.RETURN_ALL },
    );
    expect(all.rows![0].attributes!).toHaveLength(9);
    expect(attr(all.rows![0], 'pic_description')).toBe('some info 4');
    const none = await search({ queryType: Q2.TERM_QUERY, query: { fieldName: 'pic_id', term: 'pic_id_4' } });
    expect(none.rows![0].attributes).toEqual([]);
    expect(pkString(none.rows![0])).toBe('pic_id_4|4');
  });

  it('sorts by score and serves top_rows, date_histogram with a time zone, and sub-aggregation group sorts', async () => {
    const Q2 = Sdk.QueryType;
    const scored = await search(
      {
        queryType: Q2.MATCH_QUERY,
        query: { fieldName: 'analyzer_split', text: 'a1,b1', operator: Sdk.QueryOperator.OR },
      },
      {
        sort: {
          sorters: [
            { scoreSort: { order: Sdk.SortOrder.SORT_ORDER_DESC } },
            { primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } },
          ],
        },
      },
    );
    // a{i%4},b{i%5}: rows with both tokens (i % 20 == 1) come first.
    expect(ids(scored.rows).slice(0, 2)).toEqual(['pic_id_1', 'pic_id_21']);
    expect(total(scored)).toBe(8 + 6 - 2);
    const A = Sdk.AggregationType;
    const G = Sdk.GroupByType;
    const res = await search(
      { queryType: Q2.MATCH_ALL_QUERY },
      {
        limit: 0,
        aggs: {
          aggs: [
            {
              name: 'top',
              type: A.AGG_TOP_ROWS,
              body: {
                limit: 2,
                sort: { sorters: [{ fieldSort: { fieldName: 'count', order: Sdk.SortOrder.SORT_ORDER_DESC } }] },
              },
            },
          ],
        },
        groupBys: {
          groupBys: [
            {
              name: 'perDay',
              type: G.GROUP_BY_DATE_HISTOGRAM,
              body: {
                fieldName: 'date',
                interval: { value: 1, unit: Sdk.DateTimeUnit.DAY },
                timeZone: '+12:00',
                minDocCount: 1,
              },
            },
            {
              name: 'byTag',
              type: G.GROUP_BY_FIELD,
              body: {
                fieldName: 'tags',
                size: 3,
                sort: { sorters: [{ subAggSort: { subAggName: 'maxCount', order: Sdk.SortOrder.SORT_ORDER_DESC } }] },
                subAggs: { aggs: [{ name: 'maxCount', type: A.AGG_MAX, body: { fieldName: 'count' } }] },
              },
            },
          ],
        },
      },
    );
    expect(res.rows).toEqual([]);
    const top = (res.aggs as { aggResults: { aggResult: { rows: SdkRow[] } }[] }).aggResults[0].aggResult.rows;
    expect(ids(top)).toEqual(['pic_id_29', 'pic_id_28']);
    const groups = (
      res.groupBys as {
        groupByResults: {
          name: string;
          groupByResult: { items: { key?: string; timeStamp?: unknown; rowCount: unknown }[] };
        }[];
      }
    ).groupByResults;
    const perDay = groups.find((g) => g.name === 'perDay')!.groupByResult.items;
    // 10:00 UTC is 22:00 at +12:00, still the same local day; buckets start at local midnight.
    expect(perDay.map((i) => Number(String(i.timeStamp)))).toEqual(
      Array.from({ length: 9 }, (_, d) => Date.UTC(2024, 0, d + 1) - 12 * 3600_000),
    );
    expect(perDay.map((i) => Number(String(i.rowCount)))).toEqual([4, 4, 4, 3, 3, 3, 3, 3, 3]);
    const byTag = groups.find((g) => g.name === 'byTag')!.groupByResult.items;
    // t{i%3} and u{i%5}: the largest count (29) is in t2 and u4.
    expect(
      byTag
        .map((i) => i.key)
        .slice(0, 2)
        .sort(),
    ).toEqual(['t2', 'u4']);
    expect(byTag).toHaveLength(3);
  });

  it('pages with next_token in a stable order (searchPaginateByToken)', async () => {
    const Q2 = Sdk.QueryType;
    const first = await client.search({
      tableName: T,
      indexName: I,
      searchQuery: {
        offset: 0,
        limit: 1,
        query: { queryType: Q2.MATCH_ALL_QUERY },
        sort: { sorters: [{ fieldSort: { fieldName: 'pic_id', order: Sdk.SortOrder.SORT_ORDER_DESC } }] },
        getTotalCount: true,
      },
      columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
    });
    const seen = ids(first.rows);
    let token = first.nextToken as Buffer;
    while (token && token.length > 0) {
      const next = await client.search({
        tableName: T,
        indexName: I,
        searchQuery: { offset: 0, limit: 7, query: { queryType: Q2.MATCH_ALL_QUERY }, getTotalCount: true, token },
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
      });
      seen.push(...ids(next.rows));
      token = next.nextToken as Buffer;
    }
    const expected = Array.from({ length: N }, (_, i) => `pic_id_${i}`)
      .sort()
      .reverse();
    expect(seen).toEqual(expected);
  });

  it('collapses by a field', async () => {
    const res = await search(
      { queryType: Sdk.QueryType.MATCH_ALL_QUERY },
      {
        collapse: { fieldName: 'date' },
        sort: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } }] },
      },
    );
    expect(res.rows).toHaveLength(9);
    const geo = await sdkError(
      search({ queryType: Sdk.QueryType.MATCH_ALL_QUERY }, { collapse: { fieldName: 'pos' } }),
    );
    expect(geo.code).toBe('OTSParameterInvalid');
    expect(total(res)).toBe(N);
  });

  it('answers the documented error for what it does not serve, and refuses bad input', async () => {
    const Q2 = Sdk.QueryType;
    const fs = await sdkError(
      search({
        queryType: Q2.FUNCTION_SCORE_QUERY,
        query: { query: { queryType: Q2.MATCH_ALL_QUERY }, fieldValueFactor: { fieldName: 'count' } },
      }),
    );
    expect(fs).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(fs.message).toContain('FUNCTION_SCORE_QUERY is not supported');
    const badField = await sdkError(search({ queryType: Q2.TERM_QUERY, query: { fieldName: 'nope', term: 'x' } }));
    expect(badField.code).toBe('OTSParameterInvalid');
    const geoGrid = await sdkError(
      search(
        { queryType: Q2.MATCH_ALL_QUERY },
        {
          limit: 0,
          groupBys: {
            groupBys: [
              { name: 'g', type: Sdk.GroupByType.GROUP_BY_GEO_GRID, body: { fieldName: 'pos', precision: 5 } },
            ],
          },
        },
      ),
    );
    expect(geoGrid.message).toContain('GROUP_BY_GEO_GRID is not supported');
    const missingIndex = await sdkError(
      client.search({
        tableName: T,
        indexName: 'nope',
        searchQuery: { query: { queryType: Q2.MATCH_ALL_QUERY } },
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
      }),
    );
    expect(missingIndex.code).toBe('OTSObjectNotExist');
    const forged = Buffer.concat([
      Buffer.alloc(16),
      Buffer.from(JSON.stringify({ v: 1, index: I, sort: [{ kind: 'geo' }], after: [] })),
    ]);
    const badToken = await sdkError(search({ queryType: Q2.MATCH_ALL_QUERY }, { token: forged }));
    expect(badToken).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
  });
});

describe('parallel scan (official SDK)', () => {
  it('computeSplits + parallelScan pages through every matching row once (parallelScan sample)', async () => {
    const splits = await client.computeSplits({ tableName: T, searchIndexSplitsOptions: { indexName: I } });
    expect(Number(splits.splitsSize)).toBe(1);
    const scanQuery: Record<string, unknown> = {
      query: { queryType: Sdk.QueryType.MATCH_ALL_QUERY },
      limit: 7,
      aliveTime: 30,
      token: undefined,
      currentParallelId: 0,
      maxParallel: 1,
    };
    const seen: string[] = [];
    for (let page = 0; page < 20; page++) {
      const res = await client.parallelScan({
        tableName: T,
        indexName: I,
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_ALL_FROM_INDEX },
        sessionId: splits.sessionId,
        scanQuery,
      });
      seen.push(...ids(res.rows));
      if (seen.length === 7) expect(attr(res.rows![0], 'time_stamp')).toBeDefined();
      const token = res.nextToken as Buffer | null;
      if (!token || token.length === 0) break;
      scanQuery.token = token;
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => `pic_id_${i}`).sort());
    const badSession = await sdkError(
      client.parallelScan({
        tableName: T,
        indexName: I,
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
        sessionId: Buffer.from('nope'),
        scanQuery: {
          query: { queryType: Sdk.QueryType.MATCH_ALL_QUERY },
          limit: 10,
          maxParallel: 1,
          currentParallelId: 0,
        },
      }),
    );
    expect(badSession.code).toBe('OTSParameterInvalid');
  });
});

describe('index lifecycle (official SDK)', () => {
  it('keeps the index in sync with writes, updates TTL, deletes it, and DeleteTable drops indexes', async () => {
    await client.deleteRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: [{ pic_id: 'pic_id_5' }, { count: Long.fromNumber(5) }],
    });
    await client.updateRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: [{ pic_id: 'pic_id_6' }, { count: Long.fromNumber(6) }],
      updateOfAttributeColumns: [{ PUT: [{ pic_description: 'changed words' }] }],
    });
    expect(
      total(await search({ queryType: Sdk.QueryType.TERM_QUERY, query: { fieldName: 'pic_id', term: 'pic_id_5' } })),
    ).toBe(0);
    expect(
      ids(
        (
          await search({
            queryType: Sdk.QueryType.MATCH_QUERY,
            query: { fieldName: 'pic_description', text: 'changed' },
          })
        ).rows,
      ),
    ).toEqual(['pic_id_6']);

    await client.updateSearchIndex({ tableName: T, indexName: I, timeToLive: 8000000 });
    expect((await client.describeSearchIndex({ tableName: T, indexName: I })).timeToLive).toBe(8000000);
    await client.createSearchIndex({
      tableName: T,
      indexName: 'second',
      schema: { fieldSchemas: [{ fieldName: 'pic_id', fieldType: Sdk.FieldType.KEYWORD }] },
    });
    await client.deleteSearchIndex({ tableName: T, indexName: I });
    expect((await client.listSearchIndex({ tableName: T })).indices).toEqual([{ tableName: T, indexName: 'second' }]);
    await client.deleteTable({ tableName: T });
    await client.createTable({
      tableMeta: { tableName: T, primaryKey: [{ name: 'pic_id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    expect((await client.listSearchIndex({ tableName: T })).indices).toEqual([]);
  });
});
