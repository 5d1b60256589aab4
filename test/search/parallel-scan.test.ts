/**
 * ParallelScan with several parallel ids: together they return every matching row exactly once, each id's
 * rows in primary-key order, whatever the page size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient, sdkError, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { Sdk, asSearch, type SearchSdkClient } from './sdk';

const ROWS = 20_001;
let local: LocalTablestoreHandle;
let client: SearchSdkClient;

beforeAll(async () => {
  local = await startLocal();
  client = asSearch(sdkClient(local));
  await client.createTable({
    tableMeta: { tableName: 'wide', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await client.createSearchIndex({
    tableName: 'wide',
    indexName: 'idx',
    schema: { fieldSchemas: [{ fieldName: 'v', fieldType: Sdk.FieldType.LONG, index: true, enableSortAndAgg: true }] },
  });
  for (let start = 0; start < ROWS; start += 200) {
    const rows = [];
    for (let i = start; i < Math.min(ROWS, start + 200); i++) {
      rows.push({
        type: 'PUT',
        condition: new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null),
        primaryKey: [{ id: Sdk.Long.fromNumber(i) }],
        attributeColumns: [{ v: Sdk.Long.fromNumber(i % 10) }],
      });
    }
    await client.batchWriteRow({ tables: [{ tableName: 'wide', rows }] });
  }
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

describe('ParallelScan with max_parallel > 1', () => {
  it('splits the matching rows between the parallel ids, each once', async () => {
    const splits = await client.computeSplits({ tableName: 'wide', searchIndexSplitsOptions: { indexName: 'idx' } });
    const maxParallel = Number(splits.splitsSize);
    expect(maxParallel).toBe(3);
    const query = { queryType: Sdk.QueryType.TERM_QUERY, query: { fieldName: 'v', term: Sdk.Long.fromNumber(3) } };
    const all: number[] = [];
    for (let id = 0; id < maxParallel; id++) {
      const mine: number[] = [];
      let token: Buffer | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await client.parallelScan({
          tableName: 'wide',
          indexName: 'idx',
          columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
          sessionId: splits.sessionId,
          scanQuery: { query, limit: 500, aliveTime: 60, token, currentParallelId: id, maxParallel },
        });
        mine.push(...(res.rows ?? []).map((r: SdkRow) => Number(String(r.primaryKey![0].value))));
        token = res.nextToken as Buffer | undefined;
        if (!token || token.length === 0) break;
      }
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
      expect(mine.length).toBeGreaterThan(0);
      all.push(...mine);
    }
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 10 === 3));
    const tooMany = await sdkError(
      client.parallelScan({
        tableName: 'wide',
        indexName: 'idx',
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
        sessionId: splits.sessionId,
        scanQuery: { query, limit: 10, currentParallelId: 0, maxParallel: maxParallel + 1 },
      }),
    );
    expect(tooMany.code).toBe('OTSParameterInvalid');
  });
});
