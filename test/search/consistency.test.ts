/**
 * The search index follows every write path: after a random sequence of PutRow, UpdateRow (put, delete
 * column, increment), DeleteRow, BatchWriteRow and auto-increment puts, every indexed value finds exactly the
 * base rows holding it (checked against GetRange of the base table), none missing, none extra. And indexes
 * survive a restart with --data-dir (definitions persisted, data rebuilt from the base table).
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { Sdk, asSearch, attr, type SearchSdkClient } from './sdk';

const Long = Sdk.Long;
const Q = Sdk.QueryType;
const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);
let local: LocalTablestoreHandle;
let client: SearchSdkClient;
let seq = 0;

type Op =
  | { kind: 'put'; id: number; k?: string | undefined; n?: number | undefined }
  | { kind: 'update'; id: number; k?: string | undefined; deleteN: boolean; incN?: number | undefined }
  | { kind: 'delete'; id: number }
  | { kind: 'batch'; puts: { id: number; k: string; n: number }[]; deletes: number[] };

const idArb = fc.integer({ min: 0, max: 12 });
const kArb = fc.constantFrom('x', 'y', 'z', 'xy');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({
      id: idArb,
      k: fc.option(kArb, { nil: undefined }),
      n: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    })
    .map((r): Op => ({ kind: 'put', ...r })),
  fc
    .record({
      id: idArb,
      k: fc.option(kArb, { nil: undefined }),
      deleteN: fc.boolean(),
      incN: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map((r): Op => ({ kind: 'update', ...r })),
  idArb.map((id): Op => ({ kind: 'delete', id })),
  fc
    .record({
      puts: fc.array(fc.record({ id: idArb, k: kArb, n: fc.integer({ min: 0, max: 9 }) }), { maxLength: 3 }),
      deletes: fc.array(idArb, { maxLength: 2 }),
    })
    .map((r): Op => ({
      kind: 'batch',
      puts: r.puts.filter((p, i) => r.puts.findIndex((q) => q.id === p.id) === i),
      deletes: r.deletes.filter((d, i) => r.deletes.indexOf(d) === i && !r.puts.some((p) => p.id === d)),
    })),
);

const pk = (id: number) => [{ id: Long.fromNumber(id) }];
const putCols = (k?: string, n?: number) => [
  ...(k !== undefined ? [{ k }] : []),
  ...(n !== undefined ? [{ n: Long.fromNumber(n) }] : []),
  { other: 'o' },
];

async function apply(table: string, op: Op): Promise<void> {
  switch (op.kind) {
    case 'put':
      await client.putRow({
        tableName: table,
        condition: IGNORE(),
        primaryKey: pk(op.id),
        attributeColumns: putCols(op.k, op.n),
      });
      return;
    case 'update': {
      const updates: object[] = [];
      if (op.k !== undefined) updates.push({ PUT: [{ k: op.k }] });
      if (op.deleteN) updates.push({ DELETE_ALL: ['n'] });
      else if (op.incN !== undefined) updates.push({ INCREMENT: [{ n: Long.fromNumber(op.incN) }] });
      if (updates.length === 0) updates.push({ PUT: [{ other: 'u' }] });
      await client.updateRow({
        tableName: table,
        condition: IGNORE(),
        primaryKey: pk(op.id),
        updateOfAttributeColumns: updates,
      });
      return;
    }
    case 'delete':
      await client.deleteRow({ tableName: table, condition: IGNORE(), primaryKey: pk(op.id) });
      return;
    case 'batch': {
      const rows = [
        ...op.puts.map((p) => ({
          type: 'PUT',
          condition: IGNORE(),
          primaryKey: pk(p.id),
          attributeColumns: putCols(p.k, p.n),
        })),
        ...op.deletes.map((id) => ({ type: 'DELETE', condition: IGNORE(), primaryKey: pk(id) })),
      ];
      if (rows.length > 0) await client.batchWriteRow({ tables: [{ tableName: table, rows }] });
      return;
    }
  }
}

async function search(table: string, query: object): Promise<number[]> {
  const res = await client.search({
    tableName: table,
    indexName: 'idx',
    searchQuery: {
      offset: 0,
      limit: 100,
      query,
      getTotalCount: true,
      sort: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } }] },
    },
    columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
  });
  return (res.rows ?? []).map((r: SdkRow) => Number(String(r.primaryKey![0].value)));
}

async function baseRows(table: string): Promise<SdkRow[]> {
  const res = await client.getRange({
    tableName: table,
    direction: Sdk.Direction.FORWARD,
    inclusiveStartPrimaryKey: [{ id: Sdk.INF_MIN }],
    exclusiveEndPrimaryKey: [{ id: Sdk.INF_MAX }],
    limit: 1000,
    maxVersions: 1,
  });
  return res.rows ?? [];
}

async function createIndexedTable(c: SearchSdkClient, table: string, autoIncrement = false): Promise<void> {
  await c.createTable({
    tableMeta: {
      tableName: table,
      primaryKey: autoIncrement
        ? [
            { name: 'p', type: 'STRING' },
            { name: 'id', type: 'INTEGER', option: 'AUTO_INCREMENT' },
          ]
        : [{ name: 'id', type: 'INTEGER' }],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await c.createSearchIndex({
    tableName: table,
    indexName: 'idx',
    schema: {
      fieldSchemas: [
        { fieldName: 'k', fieldType: Sdk.FieldType.KEYWORD, index: true, enableSortAndAgg: true },
        { fieldName: 'n', fieldType: Sdk.FieldType.LONG, index: true, enableSortAndAgg: true },
      ],
    },
  });
}

beforeAll(async () => {
  local = await startLocal();
  client = asSearch(sdkClient(local));
});

afterAll(async () => {
  await local?.stop();
});

describe('search index consistency', () => {
  it('after random write sequences every indexed value finds exactly its base rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const table = `cons${++seq}`;
        await createIndexedTable(client, table);
        for (const op of ops) await apply(table, op);
        const rows = await baseRows(table);
        const ids = rows.map((r) => Number(String(r.primaryKey![0].value)));
        expect(await search(table, { queryType: Q.MATCH_ALL_QUERY })).toEqual(ids);
        for (const k of ['x', 'y', 'z', 'xy']) {
          const expected = rows.filter((r) => attr(r, 'k') === k).map((r) => Number(String(r.primaryKey![0].value)));
          expect(await search(table, { queryType: Q.TERM_QUERY, query: { fieldName: 'k', term: k } })).toEqual(
            expected,
          );
        }
        const nOf = (r: SdkRow) => {
          const v = attr(r, 'n');
          return v === undefined ? undefined : Number(String(v));
        };
        for (const from of [0, 3, 7, 12]) {
          const expected = rows
            .filter((r) => (nOf(r) ?? -1) >= from)
            .map((r) => Number(String(r.primaryKey![0].value)));
          expect(
            await search(table, {
              queryType: Q.RANGE_QUERY,
              query: { fieldName: 'n', rangeFrom: Long.fromNumber(from), includeLower: true },
            }),
          ).toEqual(expected);
        }
        expect(await search(table, { queryType: Q.EXISTS_QUERY, query: { fieldName: 'n' } })).toEqual(
          rows.filter((r) => nOf(r) !== undefined).map((r) => Number(String(r.primaryKey![0].value))),
        );
        await client.deleteTable({ tableName: table });
      }),
      { numRuns: 15 },
    );
  });

  it('indexes rows written with an auto-increment primary key', async () => {
    await createIndexedTable(client, 'autoinc', true);
    for (let i = 0; i < 3; i++) {
      await client.putRow({
        tableName: 'autoinc',
        condition: IGNORE(),
        primaryKey: [{ p: 'a' }, { id: Sdk.PK_AUTO_INCR }],
        attributeColumns: [{ k: 'x' }],
      });
    }
    const res = await client.search({
      tableName: 'autoinc',
      indexName: 'idx',
      searchQuery: {
        offset: 0,
        limit: 10,
        query: { queryType: Q.TERM_QUERY, query: { fieldName: 'k', term: 'x' } },
        getTotalCount: true,
      },
      columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
    });
    expect(Number(res.totalCounts)).toBe(3);
    await client.deleteTable({ tableName: 'autoinc' });
  });
});

describe('search indexes with --data-dir', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keep their definitions across a restart and serve the data written before it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'search-persist-'));
    const first = await startLocal({ dataDir: dir });
    const c1 = asSearch(sdkClient(first));
    await createIndexedTable(c1, 'kept');
    for (let i = 0; i < 5; i++)
      await c1.putRow({
        tableName: 'kept',
        condition: IGNORE(),
        primaryKey: pk(i),
        attributeColumns: putCols(i % 2 ? 'x' : 'y', i),
      });
    await c1.updateSearchIndex({ tableName: 'kept', indexName: 'idx', timeToLive: 8000000 });
    await first.stop();

    const second = await startLocal({ dataDir: dir });
    try {
      const c2 = asSearch(sdkClient(second));
      expect((await c2.listSearchIndex({ tableName: 'kept' })).indices).toEqual([
        { tableName: 'kept', indexName: 'idx' },
      ]);
      expect((await c2.describeSearchIndex({ tableName: 'kept', indexName: 'idx' })).timeToLive).toBe(8000000);
      await c2.putRow({ tableName: 'kept', condition: IGNORE(), primaryKey: pk(9), attributeColumns: putCols('x', 9) });
      const res = await c2.search({
        tableName: 'kept',
        indexName: 'idx',
        searchQuery: {
          offset: 0,
          limit: 10,
          query: { queryType: Q.TERM_QUERY, query: { fieldName: 'k', term: 'x' } },
          getTotalCount: true,
          sort: { sorters: [{ primaryKeySort: { order: Sdk.SortOrder.SORT_ORDER_ASC } }] },
        },
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
      });
      expect((res.rows ?? []).map((r: SdkRow) => Number(String(r.primaryKey![0].value)))).toEqual([1, 3, 9]);
      await c2.deleteTable({ tableName: 'kept' });
    } finally {
      await second.stop();
    }
    const third = await startLocal({ dataDir: dir });
    try {
      const c3 = asSearch(sdkClient(third));
      await c3.createTable({
        tableMeta: { tableName: 'kept', primaryKey: [{ name: 'id', type: 'INTEGER' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      });
      expect((await c3.listSearchIndex({ tableName: 'kept' })).indices).toEqual([]);
    } finally {
      await third.stop();
    }
  });
});

describe('search index TTL', () => {
  it('hides rows whose newest cell is older than the index TTL (server clock moved forward)', async () => {
    let shiftMs = 0;
    const timed = await startLocal({ now: () => new Date(Date.now() + shiftMs), clockSkewMs: 10 * 86400_000 });
    try {
      const c = asSearch(sdkClient(timed));
      await createIndexedTable(c, 'ttl');
      await c.updateSearchIndex({ tableName: 'ttl', indexName: 'idx', timeToLive: 86400 });
      await c.putRow({ tableName: 'ttl', condition: IGNORE(), primaryKey: pk(1), attributeColumns: putCols('x', 1) });
      shiftMs = 2 * 86400_000;
      await c.putRow({ tableName: 'ttl', condition: IGNORE(), primaryKey: pk(2), attributeColumns: putCols('x', 2) });
      const res = await c.search({
        tableName: 'ttl',
        indexName: 'idx',
        searchQuery: {
          offset: 0,
          limit: 10,
          query: { queryType: Q.TERM_QUERY, query: { fieldName: 'k', term: 'x' } },
          getTotalCount: true,
        },
        columnToGet: { returnType: Sdk.ColumnReturnType.RETURN_NONE },
      });
      expect((res.rows ?? []).map((r: SdkRow) => Number(String(r.primaryKey![0].value)))).toEqual([2]);
      expect(Number(res.totalCounts)).toBe(1);
    } finally {
      await timed.stop();
    }
  });
});
