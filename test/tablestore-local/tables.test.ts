import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';

let local: LocalTablestoreHandle;
let client: SdkClient;

const create = (tableName: string, primaryKey: object[], tableOptions: object = { timeToLive: -1, maxVersions: 1 }) =>
  client.createTable({
    tableMeta: { tableName, primaryKey },
    reservedThroughput: { capacityUnit: { read: 1, write: 2 } },
    tableOptions,
  });

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
});
afterAll(async () => {
  await local.stop();
});

describe('table management', () => {
  it('creates, describes, updates, lists and deletes tables', async () => {
    await create('t_b', [{ name: 'pk', type: 'INTEGER' }]);
    await create(
      't_a',
      [
        { name: 'p1', type: 'STRING' },
        { name: 'p2', type: 'BINARY' },
      ],
      { timeToLive: 86400 * 2, maxVersions: 5 },
    );
    expect((await client.listTable({})).tableNames).toEqual(['t_a', 't_b']);
    const d = await client.describeTable({ tableName: 't_a' });
    expect(d.tableMeta?.tableName).toBe('t_a');
    expect(d.tableMeta?.primaryKey.map((c) => [c.name, c.type])).toEqual([
      ['p1', 2],
      ['p2', 3],
    ]);
    expect([d.tableOptions?.timeToLive, d.tableOptions?.maxVersions]).toEqual([172800, 5]);
    expect(d.reservedThroughputDetails?.capacityUnit).toEqual({ read: 1, write: 2 });
    expect(d.tableStatus).toBe(1);

    const u = await client.updateTable({
      tableName: 't_a',
      tableOptions: { maxVersions: 2, timeToLive: -1 },
      reservedThroughput: { capacityUnit: { read: 3, write: 2 } },
    });
    expect([u.tableOptions?.maxVersions, u.tableOptions?.timeToLive]).toEqual([2, -1]);
    expect(u.reservedThroughputDetails?.capacityUnit).toEqual({ read: 3, write: 2 });
    expect((await client.describeTable({ tableName: 't_a' })).tableOptions?.maxVersions).toBe(2);

    await client.putRow({
      tableName: 't_b',
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ pk: TableStore.Long.fromNumber(1) }],
      attributeColumns: [{ a: 'x' }],
    });
    await client.deleteTable({ tableName: 't_b' });
    expect((await client.listTable({})).tableNames).toEqual(['t_a']);
    // A re-created table starts empty.
    await create('t_b', [{ name: 'pk', type: 'INTEGER' }]);
    const got = await client.getRow({
      tableName: 't_b',
      primaryKey: [{ pk: TableStore.Long.fromNumber(1) }],
      maxVersions: 1,
    });
    expect(got.row?.primaryKey ?? []).toEqual([]);
  });

  it('reports missing and existing tables with the service codes', async () => {
    await create('dup', [{ name: 'pk', type: 'STRING' }]);
    expect(await sdkError(create('dup', [{ name: 'pk', type: 'STRING' }]))).toEqual({
      status: 409,
      code: 'OTSObjectAlreadyExist',
      message: 'Requested table already exists.',
    });
    for (const call of [
      client.describeTable({ tableName: 'absent' }),
      client.deleteTable({ tableName: 'absent' }),
      client.updateTable({ tableName: 'absent', tableOptions: { maxVersions: 2 } }),
      client.getRange({
        tableName: 'absent',
        direction: 'FORWARD',
        inclusiveStartPrimaryKey: [{ pk: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ pk: TableStore.INF_MAX }],
      }),
    ]) {
      expect(await sdkError(call)).toEqual({
        status: 404,
        code: 'OTSObjectNotExist',
        message: 'Requested table does not exist.',
      });
    }
  });

  it('validates table definitions', async () => {
    const invalid: [string, object[], object?][] = [
      ['1starts_with_digit', [{ name: 'pk', type: 'STRING' }]],
      ['has-dash', [{ name: 'pk', type: 'STRING' }]],
      ['x'.repeat(256), [{ name: 'pk', type: 'STRING' }]],
      ['no_pk', []],
      ['five_pk', ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, type: 'STRING' }))],
      [
        'dup_pk',
        [
          { name: 'a', type: 'STRING' },
          { name: 'a', type: 'INTEGER' },
        ],
      ],
      ['bad_pk_name', [{ name: 'a b', type: 'STRING' }]],
      ['auto_first', [{ name: 'a', type: 'INTEGER', option: 'AUTO_INCREMENT' }]],
      [
        'auto_string',
        [
          { name: 'a', type: 'STRING' },
          { name: 'b', type: 'STRING', option: 'AUTO_INCREMENT' },
        ],
      ],
      ['short_ttl', [{ name: 'a', type: 'STRING' }], { timeToLive: 3600, maxVersions: 1 }],
      ['zero_versions', [{ name: 'a', type: 'STRING' }], { timeToLive: -1, maxVersions: 0 }],
    ];
    for (const [name, pk, options] of invalid) {
      const e = await sdkError(create(name, pk, options));
      expect([name, e.status, e.code]).toEqual([name, 400, 'OTSParameterInvalid']);
    }
    expect((await client.listTable({})).tableNames).not.toContain('no_pk');
  });

  it('caps an instance at 64 tables', async () => {
    const existing = (await client.listTable({})).tableNames!.length;
    for (let i = existing; i < 64; i++) await create(`fill_${i}`, [{ name: 'pk', type: 'STRING' }]);
    const e = await sdkError(create('one_too_many', [{ name: 'pk', type: 'STRING' }]));
    expect([e.status, e.code]).toEqual([403, 'OTSQuotaExhausted']);
  });
});
