import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';

const Long = TableStore.Long;
let local: LocalTablestoreHandle;
let client: SdkClient;

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
});
afterAll(async () => {
  await local.stop();
});

describe('official SDK basic flow', () => {
  it('creates, lists, describes, puts and gets', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'basic',
        primaryKey: [
          { name: 'pk', type: 'STRING' },
          { name: 'n', type: 'INTEGER' },
        ],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 3 },
    });
    expect((await client.listTable({})).tableNames).toEqual(['basic']);
    const described = await client.describeTable({ tableName: 'basic' });
    expect(described.tableMeta?.primaryKey.map((c) => c.name)).toEqual(['pk', 'n']);
    expect(described.tableOptions?.maxVersions).toBe(3);

    const put = await client.putRow({
      tableName: 'basic',
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null),
      primaryKey: [{ pk: 'a' }, { n: Long.fromNumber(1) }],
      attributeColumns: [{ s: 'v' }, { d: 1.5 }, { i: Long.fromNumber(7) }, { b: true }],
    });
    expect(put.consumed?.capacityUnit.write).toBeGreaterThan(0);
    const got = await client.getRow({
      tableName: 'basic',
      primaryKey: [{ pk: 'a' }, { n: Long.fromNumber(1) }],
      maxVersions: 1,
    });
    const attrs = Object.fromEntries((got.row?.attributes ?? []).map((a) => [a.columnName, a.columnValue]));
    expect(attrs.s).toBe('v');
    expect(attrs.d).toBe(1.5);
    expect(String(attrs.i)).toBe('7');
    expect(attrs.b).toBe(true);
    expect(await sdkError(client.describeTable({ tableName: 'missing' }))).toEqual({
      status: 404,
      code: 'OTSObjectNotExist',
      message: 'Requested table does not exist.',
    });
  });
});
