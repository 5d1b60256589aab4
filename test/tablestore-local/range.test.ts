import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
  type SdkPkCell,
  type SdkRow,
} from '../helpers/tablestore-local';

const Long = TableStore.Long;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
let local: LocalTablestoreHandle;
let client: SdkClient;

const ROWS = 10_000;

async function createTable(name: string, primaryKey: { name: string; type: string }[]) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
}

async function writeBatched(table: string, rows: { pk: object[]; attrs: object[] }[]) {
  for (let i = 0; i < rows.length; i += 200) {
    const res = await client.batchWriteRow({
      tables: [
        {
          tableName: table,
          rows: rows
            .slice(i, i + 200)
            .map((r) => ({ type: 'PUT', condition: IGNORE(), primaryKey: r.pk, attributeColumns: r.attrs })),
        },
      ],
    });
    const results = res.tables as unknown as { isOk: boolean }[];
    expect(results.every((r) => r.isOk)).toBe(true);
  }
}

const pkValue = (row: SdkRow, i: number) => row.primaryKey![i].value;
const num = (v: unknown) => Number(String(v));

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await createTable('big', [
    { name: 'p', type: 'STRING' },
    { name: 'n', type: 'INTEGER' },
  ]);
  // Two partitions: 'a' with negative and positive n, 'b' with the rest; insertion order shuffled.
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    pk: [{ p: i < ROWS / 2 ? 'a' : 'b' }, { n: Long.fromNumber(i < ROWS / 2 ? i - ROWS / 4 : i) }],
    attrs: [{ i: Long.fromNumber(i) }],
  }));
  for (let i = rows.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  await writeBatched('big', rows);
});
afterAll(async () => {
  await local.stop();
});

async function pageAll(direction: 'FORWARD' | 'BACKWARD', limit: number | undefined) {
  const start = direction === 'FORWARD' ? TableStore.INF_MIN : TableStore.INF_MAX;
  const end = direction === 'FORWARD' ? TableStore.INF_MAX : TableStore.INF_MIN;
  let next: SdkPkCell[] | null | undefined = [
    { name: 'p', value: start },
    { name: 'n', value: start },
  ];
  const seen: number[] = [];
  let pages = 0;
  while (next) {
    const res = await client.getRange({
      tableName: 'big',
      direction,
      inclusiveStartPrimaryKey: next.map((c) => ({ [c.name]: c.value })),
      exclusiveEndPrimaryKey: [{ p: end }, { n: end }],
      ...(limit ? { limit } : {}),
      maxVersions: 1,
    });
    pages++;
    if (limit) expect(res.rows!.length).toBeLessThanOrEqual(limit);
    expect(res.rows!.length).toBeLessThanOrEqual(5000);
    for (const row of res.rows!) seen.push(num(row.attributes![0].columnValue));
    next = res.nextStartPrimaryKey;
    expect(pages).toBeLessThan(200);
  }
  return { seen, pages };
}

describe('GetRange paging over 10k rows', () => {
  const expectedForward = [
    ...Array.from({ length: ROWS / 2 }, (_, i) => i),
    ...Array.from({ length: ROWS / 2 }, (_, i) => ROWS / 2 + i),
  ];

  it('forward with limit 997 returns every row exactly once in PK order', async () => {
    const { seen, pages } = await pageAll('FORWARD', 997);
    expect(seen).toEqual(expectedForward);
    expect(pages).toBe(Math.ceil(ROWS / 997));
  });

  it('backward with limit 1000 returns every row exactly once in reverse PK order', async () => {
    const { seen } = await pageAll('BACKWARD', 1000);
    expect(seen).toEqual([...expectedForward].reverse());
  });

  it('without limit stops at the 5000-row cap and hands out next_start_primary_key', async () => {
    const { seen, pages } = await pageAll('FORWARD', undefined);
    expect(seen).toEqual(expectedForward);
    expect(pages).toBe(2);
  });

  it('stops scanning after 5000 rows even when a filter drops them all, and says where to resume', async () => {
    const params = {
      tableName: 'big',
      direction: 'FORWARD',
      exclusiveEndPrimaryKey: [{ p: TableStore.INF_MAX }, { n: TableStore.INF_MAX }],
      maxVersions: 1,
      limit: 100,
      columnFilter: new TableStore.SingleColumnCondition('i', Long.fromNumber(-1), TableStore.ComparatorType.EQUAL),
    };
    const first = await client.getRange({
      ...params,
      inclusiveStartPrimaryKey: [{ p: TableStore.INF_MIN }, { n: TableStore.INF_MIN }],
    });
    expect(first.rows).toEqual([]);
    expect(first.nextStartPrimaryKey!.map((c) => String(c.value))).toEqual(['b', '5000']);
    const second = await client.getRange({
      ...params,
      inclusiveStartPrimaryKey: first.nextStartPrimaryKey!.map((c) => ({ [c.name]: c.value })),
    });
    expect(second.rows).toEqual([]);
    expect(second.nextStartPrimaryKey).toBeNull();
  });

  it('honours INF bounds inside a partition and exclusive end keys', async () => {
    const res = await client.getRange({
      tableName: 'big',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ p: 'a' }, { n: Long.fromNumber(-3) }],
      exclusiveEndPrimaryKey: [{ p: 'a' }, { n: Long.fromNumber(2) }],
      maxVersions: 1,
    });
    expect(res.rows!.map((r) => num(pkValue(r, 1)))).toEqual([-3, -2, -1, 0, 1]);
    expect(res.nextStartPrimaryKey).toBeNull();

    const back = await client.getRange({
      tableName: 'big',
      direction: 'BACKWARD',
      inclusiveStartPrimaryKey: [{ p: 'a' }, { n: TableStore.INF_MAX }],
      exclusiveEndPrimaryKey: [{ p: 'a' }, { n: Long.fromNumber(2495) }],
      maxVersions: 1,
    });
    expect(back.rows!.map((r) => num(pkValue(r, 1)))).toEqual([2499, 2498, 2497, 2496]);

    const partB = await client.getRange({
      tableName: 'big',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ p: 'b' }, { n: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ p: 'b' }, { n: TableStore.INF_MAX }],
      limit: 3,
      maxVersions: 1,
    });
    expect(partB.rows!.map((r) => num(pkValue(r, 1)))).toEqual([5000, 5001, 5002]);
    expect(partB.nextStartPrimaryKey!.map((c) => [c.name, String(c.value)])).toEqual([
      ['p', 'b'],
      ['n', '5003'],
    ]);
  });

  it('rejects a range whose start is not before its end for the direction', async () => {
    const e = await sdkError(
      client.getRange({
        tableName: 'big',
        direction: 'FORWARD',
        inclusiveStartPrimaryKey: [{ p: 'b' }, { n: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ p: 'a' }, { n: TableStore.INF_MAX }],
        maxVersions: 1,
      }),
    );
    expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
    const e2 = await sdkError(
      client.getRange({
        tableName: 'big',
        direction: 'BACKWARD',
        inclusiveStartPrimaryKey: [{ p: 'a' }, { n: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ p: 'b' }, { n: TableStore.INF_MAX }],
        maxVersions: 1,
      }),
    );
    expect([e2.status, e2.code]).toEqual([400, 'OTSParameterInvalid']);
  });
});

describe('primary-key ordering per type', () => {
  it('orders INTEGER numerically (negatives first), STRING and BINARY bytewise', async () => {
    await createTable('order_int', [{ name: 'k', type: 'INTEGER' }]);
    await createTable('order_str', [{ name: 'k', type: 'STRING' }]);
    await createTable('order_bin', [{ name: 'k', type: 'BINARY' }]);
    const ints = ['-9007199254740991', '-256', '-1', '0', '1', '255', '256', '9007199254740991'];
    const strs = ['', '\u0000', 'A', 'Z', 'a', 'a\u0000', 'aa', 'b', 'é', '中'];
    const bins = [[], [0], [0, 0], [0, 1], [1], [127], [128], [255], [255, 0]].map((b) => Buffer.from(b));
    await writeBatched('order_int', ints.map((v) => ({ pk: [{ k: Long.fromString(v) }], attrs: [{ v }] })).reverse());
    await writeBatched('order_str', strs.map((v) => ({ pk: [{ k: v }], attrs: [{ v: 'x' }] })).reverse());
    await writeBatched('order_bin', bins.map((v) => ({ pk: [{ k: v }], attrs: [{ v: 'x' }] })).reverse());
    const scan = async (table: string, direction = 'FORWARD') =>
      (
        await client.getRange({
          tableName: table,
          direction,
          inclusiveStartPrimaryKey: [{ k: direction === 'FORWARD' ? TableStore.INF_MIN : TableStore.INF_MAX }],
          exclusiveEndPrimaryKey: [{ k: direction === 'FORWARD' ? TableStore.INF_MAX : TableStore.INF_MIN }],
          maxVersions: 1,
        })
      ).rows!;
    expect((await scan('order_int')).map((r) => String(r.attributes![0].columnValue))).toEqual(ints);
    expect((await scan('order_str')).map((r) => pkValue(r, 0))).toEqual(
      [...strs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect((await scan('order_bin')).map((r) => Buffer.from(pkValue(r, 0) as Buffer).toString('hex'))).toEqual(
      bins.map((b) => b.toString('hex')),
    );
    expect((await scan('order_int', 'BACKWARD')).map((r) => String(r.attributes![0].columnValue))).toEqual(
      [...ints].reverse(),
    );
  });
});

describe('the 4 MB page cap', () => {
  it('stops before 4 MB and returns next_start_primary_key even under the limit', async () => {
    await createTable('fat', [{ name: 'k', type: 'INTEGER' }]);
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 6; i++) {
      await client.putRow({
        tableName: 'fat',
        condition: IGNORE(),
        primaryKey: [{ k: Long.fromNumber(i) }],
        attributeColumns: [{ v: big }],
      });
    }
    const first = await client.getRange({
      tableName: 'fat',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
      limit: 100,
      maxVersions: 1,
    });
    expect(first.rows!.length).toBe(4);
    expect(String(first.nextStartPrimaryKey![0].value)).toBe('4');
    const second = await client.getRange({
      tableName: 'fat',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ k: first.nextStartPrimaryKey![0].value }],
      exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
      limit: 100,
      maxVersions: 1,
    });
    expect(second.rows!.map((r) => String(pkValue(r, 0)))).toEqual(['4', '5']);
    expect(second.nextStartPrimaryKey).toBeNull();
  });
});
