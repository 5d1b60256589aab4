/**
 * Secondary indexes through the official Node SDK over HTTP, in the order a user of its samples runs them:
 * create a table with two global indexes, describe it, write rows, read by index (GetRow, GetRange,
 * BatchGetRow), create indexes with and without base data, keep them in step on every write path, drop an
 * index, delete the table; plus local indexes, auto-increment tables and the service's refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkBatchRowResult,
} from '../helpers/tablestore-local';
import { Sdk, asIndexClient, attrsOf, pkOf, readAll, type IndexSdkClient } from './sdk';
import { preloadRows } from '../helpers/preload';

const Long = Sdk.Long;
const T = 'sdkGlobalTest';
let local: LocalTablestoreHandle;
let client: IndexSdkClient;

const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);
const DCT = Sdk.DefinedColumnType;

function tableParams(name: string, extra: object = {}) {
  return {
    tableMeta: {
      tableName: name,
      primaryKey: [
        { name: 'pk1', type: Sdk.PrimaryKeyType.INTEGER },
        { name: 'pk2', type: Sdk.PrimaryKeyType.INTEGER },
      ],
      definedColumn: [
        { name: 'col1', type: DCT.DCT_INTEGER },
        { name: 'col2', type: DCT.DCT_INTEGER },
        { name: 'd', type: DCT.DCT_DOUBLE },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    streamSpecification: { enableStream: false },
    ...extra,
  };
}

async function put(table: string, pk1: number, pk2: number, cols: Record<string, number>) {
  await client.putRow({
    tableName: table,
    condition: IGNORE(),
    primaryKey: [{ pk1: Long.fromNumber(pk1) }, { pk2: Long.fromNumber(pk2) }],
    attributeColumns: Object.entries(cols).map(([k, v]) => ({ [k]: Long.fromNumber(v) })),
  });
}

const summary = async (index: string, pk: string[]) =>
  (await readAll(client, index, pk)).map((r) =>
    [...pkOf(r).map(String), JSON.stringify(attrsOf(r), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))].join(' '),
  );

beforeAll(async () => {
  local = await startLocal();
  client = asIndexClient(sdkClient(local));
});
afterAll(async () => {
  await local?.stop();
});

describe('the samples flow: createTableWithGlobalIndex → getRowByGlobalIndex → createGlobalIndex → deleteGlobalIndex', () => {
  it('creates a table with two global indexes and describes them', async () => {
    await client.createTable(
      tableParams(T, {
        indexMetas: [
          { name: 'sdkIndex1', primaryKey: ['pk2'], definedColumn: ['col1', 'col2'] },
          { name: 'sdkIndex2', primaryKey: ['col1'], definedColumn: ['col2'] },
        ],
      }),
    );
    const d = await client.describeTable({ tableName: T });
    const metas = d.indexMetas as {
      name: string;
      primaryKey: string[];
      definedColumn: string[];
      indexType: number;
      indexUpdateMode: number;
      indexSyncPhase: unknown;
    }[];
    expect(
      metas.map((m) => [m.name, m.primaryKey, m.definedColumn, m.indexType, m.indexUpdateMode, m.indexSyncPhase]),
    ).toEqual([
      [
        'sdkIndex1',
        ['pk2'],
        ['col1', 'col2'],
        Sdk.IndexType.IT_GLOBAL_INDEX,
        Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
        Sdk.SyncPhase.INCR,
      ],
      [
        'sdkIndex2',
        ['col1'],
        ['col2'],
        Sdk.IndexType.IT_GLOBAL_INDEX,
        Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
        Sdk.SyncPhase.INCR,
      ],
    ]);
    // Index tables are reached through their base table: ListTable names base tables only.
    expect((await client.listTable({})).tableNames).toEqual([T]);
  });

  it('reads a written row through the index by index key + the missing base key columns', async () => {
    await put(T, 1, 2, { col1: 10, col2: 20 });
    await put(T, 2, 1, { col1: 5, col2: 21 });
    await put(T, 3, 3, { col2: 22 });
    const got = await client.getRow({
      tableName: 'sdkIndex1',
      primaryKey: [{ pk2: Long.fromNumber(2) }, { pk1: Long.fromNumber(1) }],
      maxVersions: 1,
    });
    expect(pkOf(got.row!)).toEqual([2n, 1n]);
    expect(attrsOf(got.row!)).toEqual({ col1: 10n, col2: 20n });
    // Index rows are ordered by the index key; a row without col1 is not in sdkIndex2.
    expect(await summary('sdkIndex2', ['col1', 'pk1', 'pk2'])).toEqual(['5 2 1 {"col2":21}', '10 1 2 {"col2":20}']);
    expect(await summary('sdkIndex1', ['pk2', 'pk1'])).toEqual([
      '1 2 {"col1":5,"col2":21}',
      '2 1 {"col1":10,"col2":20}',
      '3 3 {"col2":22}',
    ]);
    const batch = await client.batchGetRow({
      tables: [
        {
          tableName: 'sdkIndex2',
          primaryKey: [[{ col1: Long.fromNumber(5) }, { pk1: Long.fromNumber(2) }, { pk2: Long.fromNumber(1) }]],
          maxVersions: 1,
        },
      ],
    });
    const rows = (batch.tables as unknown as SdkBatchRowResult[][]).flat();
    expect(rows.map((r) => [r.isOk, pkOf(r), attrsOf(r)])).toEqual([[true, [5n, 2n, 1n], { col2: 21n }]]);
  });

  it('createIndex: without base data the index starts empty, with base data it holds every row', async () => {
    const meta = (name: string) => ({
      name,
      primaryKey: ['col1'],
      definedColumn: ['col2'],
      indexUpdateMode: Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
      indexType: Sdk.IndexType.IT_GLOBAL_INDEX,
    });
    await client.createIndex({ mainTableName: T, includeBaseData: false, indexMeta: meta('noBase') });
    await client.createIndex({ mainTableName: T, includeBaseData: true, indexMeta: meta('hasBase') });
    expect(await summary('noBase', ['col1', 'pk1', 'pk2'])).toEqual([]);
    expect(await summary('hasBase', ['col1', 'pk1', 'pk2'])).toEqual(
      await summary('sdkIndex2', ['col1', 'pk1', 'pk2']),
    );
    await put(T, 4, 4, { col1: 7 });
    expect(await summary('noBase', ['col1', 'pk1', 'pk2'])).toEqual(['7 4 4 {}']);
  });

  it('createIndex with base data backfills a table of 200,000 rows in one go', async () => {
    // More rows than a call's arguments can take: the backfill once overflowed the stack here (HTTP 500).
    const big = 'sdkBackfillBig';
    await client.createTable(tableParams(big));
    const ROWS = 200_000;
    await preloadRows(local, big, ROWS, (i) => ({
      key: [
        { name: 'pk1', value: BigInt(i) },
        { name: 'pk2', value: 0n },
      ],
      columns: { col1: BigInt(-i) },
    }));
    await client.createIndex({
      mainTableName: big,
      includeBaseData: true,
      indexMeta: { name: 'bigByCol1', primaryKey: ['col1'], definedColumn: [] },
    });
    const first = await client.getRange({
      tableName: 'bigByCol1',
      direction: Sdk.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ col1: Sdk.INF_MIN }, { pk1: Sdk.INF_MIN }, { pk2: Sdk.INF_MIN }],
      exclusiveEndPrimaryKey: [{ col1: Sdk.INF_MAX }, { pk1: Sdk.INF_MAX }, { pk2: Sdk.INF_MAX }],
      limit: 1,
    });
    // The smallest col1 is the last row's: every row made it into the index.
    expect(pkOf(first.rows![0]).map(String)).toEqual([String(-(ROWS - 1)), String(ROWS - 1), '0']);
    await client.deleteTable({ tableName: big });
  }, 60_000);

  it('follows UpdateRow (put, delete column, increment), DeleteRow and BatchWriteRow', async () => {
    const pk = (a: number, b: number) => [{ pk1: Long.fromNumber(a) }, { pk2: Long.fromNumber(b) }];
    await client.updateRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: pk(1, 2),
      updateOfAttributeColumns: [{ PUT: [{ col1: Long.fromNumber(30) }] }, { DELETE_ALL: ['col2'] }],
    });
    await client.updateRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: pk(2, 1),
      updateOfAttributeColumns: [{ INCREMENT: [{ col1: Long.fromNumber(100) }] }],
    });
    await client.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk(4, 4) });
    await client.batchWriteRow({
      tables: [
        {
          tableName: T,
          rows: [
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk(3, 3),
              attributeColumns: [{ col1: Long.fromNumber(1) }],
            },
            {
              type: 'UPDATE',
              condition: IGNORE(),
              primaryKey: pk(5, 5),
              attributeColumns: [{ PUT: [{ col1: Long.fromNumber(2) }, { col2: Long.fromNumber(9) }] }],
            },
          ],
        },
      ],
    });
    expect(await summary('sdkIndex2', ['col1', 'pk1', 'pk2'])).toEqual([
      '1 3 3 {}',
      '2 5 5 {"col2":9}',
      '30 1 2 {}',
      '105 2 1 {"col2":21}',
    ]);
    expect(await summary('noBase', ['col1', 'pk1', 'pk2'])).toEqual(await summary('sdkIndex2', ['col1', 'pk1', 'pk2']));
  });

  it('refuses writes to an index table', async () => {
    const e = await sdkError(
      client.putRow({
        tableName: 'sdkIndex1',
        condition: IGNORE(),
        primaryKey: [{ pk2: Long.fromNumber(1) }, { pk1: Long.fromNumber(1) }],
        attributeColumns: [],
      }),
    );
    expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
    expect(e.message).toMatch(/index table/);
    const b = await client.batchWriteRow({
      tables: [
        {
          tableName: 'sdkIndex1',
          rows: [
            {
              type: 'DELETE',
              condition: IGNORE(),
              primaryKey: [{ pk2: Long.fromNumber(1) }, { pk1: Long.fromNumber(2) }],
            },
          ],
        },
      ],
    });
    expect(b.tables!.map((r) => [r.isOk, r.errorCode])).toEqual([[false, 'OTSParameterInvalid']]);
    expect(await summary('sdkIndex1', ['pk2', 'pk1'])).toHaveLength(4);
  });

  it('dropIndex removes the index; the others stay', async () => {
    await client.dropIndex({ mainTableName: T, indexName: 'sdkIndex1' });
    const d = await client.describeTable({ tableName: T });
    expect((d.indexMetas as { name: string }[]).map((m) => m.name)).toEqual(['sdkIndex2', 'noBase', 'hasBase']);
    const e = await sdkError(
      client.getRow({
        tableName: 'sdkIndex1',
        primaryKey: [{ pk2: Long.fromNumber(2) }, { pk1: Long.fromNumber(1) }],
        maxVersions: 1,
      }),
    );
    expect([e.status, e.code]).toEqual([404, 'OTSObjectNotExist']);
    const again = await sdkError(client.dropIndex({ mainTableName: T, indexName: 'sdkIndex1' }));
    expect([again.status, again.code]).toEqual([404, 'OTSObjectNotExist']);
  });
  it('getRowByGlobalIndex.js as written: GetRow on index1 by [pk2, pk1], no max_versions', async () => {
    await client.createIndex({
      mainTableName: T,
      includeBaseData: true,
      indexMeta: { name: 'index1', primaryKey: ['pk2'], definedColumn: ['col1'] },
    });
    const got = await client.getRow({
      tableName: 'index1',
      primaryKey: [{ pk2: Long.fromNumber(2) }, { pk1: Long.fromNumber(1) }],
    });
    expect([pkOf(got.row!), attrsOf(got.row!)]).toEqual([[2n, 1n], { col1: 30n }]);
  });
});

describe('index rules and refusals', () => {
  const meta = (name: string, primaryKey: string[], definedColumn: string[] = [], local = false) => ({
    name,
    primaryKey,
    definedColumn,
    indexUpdateMode: local ? Sdk.IndexUpdateMode.IUM_SYNC_INDEX : Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
    indexType: local ? Sdk.IndexType.IT_LOCAL_INDEX : Sdk.IndexType.IT_GLOBAL_INDEX,
  });

  it('refuses a taken name, a sixth index, unknown or non-key-typed columns, a wrong local index', async () => {
    await client.createTable(tableParams('rules'));
    const code = async (p: Promise<unknown>) => {
      const e = await sdkError(p);
      return `${e.status} ${e.code}`;
    };
    expect(await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('sdkIndex2', ['col1']) }))).toBe(
      '409 OTSObjectAlreadyExist',
    );
    expect(await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta(T, ['col1']) }))).toBe(
      '409 OTSObjectAlreadyExist',
    );
    expect(await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('i_bad', ['nope']) }))).toBe(
      '400 OTSParameterInvalid',
    );
    expect(await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('i_bad', ['d']) }))).toBe(
      '400 OTSParameterInvalid',
    );
    expect(
      await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('i_bad', ['col1'], ['pk2']) })),
    ).toBe('400 OTSParameterInvalid');
    expect(
      await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('i_bad', ['col1'], [], true) })),
    ).toBe('400 OTSParameterInvalid');
    expect(await code(client.createIndex({ mainTableName: 'nowhere', indexMeta: meta('i_bad', ['col1']) }))).toBe(
      '404 OTSObjectNotExist',
    );
    expect(
      await code(
        client.createTable(
          tableParams('i_bad', {
            indexMetas: [
              { name: 'x1', primaryKey: ['col1'] },
              { name: 'x1', primaryKey: ['col2'] },
            ],
          }),
        ),
      ),
    ).toBe('409 OTSObjectAlreadyExist');
    expect(await code(client.createTable(tableParams('sdkIndex2')))).toBe('409 OTSObjectAlreadyExist');
    expect(
      await code(
        client.createTable(
          tableParams('mv', {
            tableOptions: { timeToLive: -1, maxVersions: 2 },
            indexMetas: [{ name: 'mv_i', primaryKey: ['col1'] }],
          }),
        ),
      ),
    ).toBe('400 OTSParameterInvalid');
    // A TTL needs allow_update false.
    const ttl = (name: string, allowUpdate: boolean) =>
      client.createTable(
        tableParams(name, {
          tableOptions: { timeToLive: 86400, maxVersions: 1, allowUpdate },
          indexMetas: [{ name: `${name}_i`, primaryKey: ['col1'] }],
        }),
      );
    expect(await code(ttl('ttl_upd', true))).toBe('400 OTSParameterInvalid');
    await ttl('ttl_ro', false);
    await client.deleteTable({ tableName: 'ttl_ro' });
    for (let i = 0; i < 5; i++)
      await client.createIndex({ mainTableName: 'rules', indexMeta: meta(`r${i}`, ['col1']) });
    expect(await code(client.createIndex({ mainTableName: 'rules', indexMeta: meta('r5', ['col1']) }))).toBe(
      '403 OTSQuotaExhausted',
    );
    // A table with indexes keeps one version.
    expect(await code(client.updateTable({ tableName: 'rules', tableOptions: { maxVersions: 2 } }))).toBe(
      '400 OTSParameterInvalid',
    );
    expect((await client.listTable({})).tableNames).toEqual(['rules', T]);
  });

  it('a local index starts with the first base key column and answers right after the write', async () => {
    await client.createTable(tableParams('loc', { indexMetas: [meta('loc_i', ['pk1', 'col2'], ['col1'], true)] }));
    await put('loc', 1, 1, { col1: 1, col2: 9 });
    await put('loc', 1, 2, { col1: 2, col2: 3 });
    await put('loc', 0, 3, { col1: 3 });
    expect(await summary('loc_i', ['pk1', 'col2', 'pk2'])).toEqual(['1 3 2 {"col1":2}', '1 9 1 {"col1":1}']);
    const d = await client.describeTable({ tableName: 'loc' });
    expect((d.indexMetas as { indexType: number }[])[0].indexType).toBe(Sdk.IndexType.IT_LOCAL_INDEX);
  });

  it('indexes rows whose key comes from auto-increment', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'auto',
        primaryKey: [
          { name: 'p', type: Sdk.PrimaryKeyType.STRING },
          { name: 'id', type: Sdk.PrimaryKeyType.INTEGER, option: 'AUTO_INCREMENT' },
        ],
        definedColumn: [{ name: 'email', type: DCT.DCT_STRING }],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      indexMetas: [{ name: 'auto_by_email', primaryKey: ['email'] }],
    });
    for (const email of ['b@x', 'a@x']) {
      await client.putRow({
        tableName: 'auto',
        condition: IGNORE(),
        primaryKey: [{ p: 'k' }, { id: Sdk.PK_AUTO_INCR }],
        attributeColumns: [{ email }],
      });
    }
    const base = await readAll(client, 'auto', ['p', 'id']);
    const index = await readAll(client, 'auto_by_email', ['email', 'p', 'id']);
    expect(index.map((r) => pkOf(r)[0])).toEqual(['a@x', 'b@x']);
    expect(index.map((r) => pkOf(r)[2]).sort()).toEqual(base.map((r) => pkOf(r)[1]).sort());
  });

  it('DeleteTable drops its indexes and frees their names', async () => {
    await client.deleteTable({ tableName: 'loc' });
    const e = await sdkError(
      client.getRow({
        tableName: 'loc_i',
        primaryKey: [{ pk1: Long.fromNumber(1) }, { col2: Long.fromNumber(3) }, { pk2: Long.fromNumber(2) }],
        maxVersions: 1,
      }),
    );
    expect(e.code).toBe('OTSObjectNotExist');
    await client.createTable(tableParams('loc', { indexMetas: [meta('loc_i', ['col1'])] }));
    expect(await summary('loc_i', ['col1', 'pk1', 'pk2'])).toEqual([]);
  });
});
