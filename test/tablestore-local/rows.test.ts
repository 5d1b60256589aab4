import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkBatchRowResult,
  type SdkClient,
  type SdkRow,
} from '../helpers/tablestore-local';

const Long = TableStore.Long;
const RE = TableStore.RowExistenceExpectation;
const CT = TableStore.ComparatorType;
const cond = (existence: string | number, columnCondition: object | null = null) =>
  new TableStore.Condition(existence, columnCondition);
let local: LocalTablestoreHandle;
let client: SdkClient;

const attrs = (row: SdkRow | undefined) =>
  (row?.attributes ?? []).map((a) => [
    a.columnName,
    typeof a.columnValue === 'object' && a.columnValue !== null && !Buffer.isBuffer(a.columnValue)
      ? String(a.columnValue)
      : a.columnValue,
    Number(String(a.timestamp)),
  ]);
const values = (row: SdkRow | undefined) =>
  Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, String(a.columnValue)]));

async function createTable(
  name: string,
  primaryKey: object[],
  tableOptions: object = { timeToLive: -1, maxVersions: 1 },
) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions,
  });
}

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await createTable('rows', [{ name: 'id', type: 'STRING' }]);
  await createTable('versions', [{ name: 'id', type: 'STRING' }], {
    timeToLive: -1,
    maxVersions: 3,
    maxTimeDeviation: 10 * 365 * 86400,
  });
});
afterAll(async () => {
  await local.stop();
});

describe('PutRow / GetRow / UpdateRow / DeleteRow', () => {
  it('replaces the whole row on PutRow and returns only columns_to_get', async () => {
    await client.putRow({
      tableName: 'rows',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'r1' }],
      attributeColumns: [{ a: 'x' }, { b: Long.fromNumber(2) }, { c: Buffer.from([1, 2]) }],
    });
    await client.putRow({
      tableName: 'rows',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'r1' }],
      attributeColumns: [{ a: 'y' }, { d: false }],
    });
    const got = await client.getRow({ tableName: 'rows', primaryKey: [{ id: 'r1' }], maxVersions: 1 });
    expect(values(got.row)).toEqual({ a: 'y', d: 'false' });
    const some = await client.getRow({
      tableName: 'rows',
      primaryKey: [{ id: 'r1' }],
      maxVersions: 1,
      columnsToGet: ['d', 'zz'],
    });
    expect(values(some.row)).toEqual({ d: 'false' });
    const none = await client.getRow({
      tableName: 'rows',
      primaryKey: [{ id: 'r1' }],
      maxVersions: 1,
      columnsToGet: ['zz'],
    });
    expect(none.row?.primaryKey ?? []).toEqual([]);
    const withPk = await client.getRow({
      tableName: 'rows',
      primaryKey: [{ id: 'r1' }],
      maxVersions: 1,
      columnsToGet: ['id'],
    });
    expect(withPk.row?.primaryKey?.[0].value).toBe('r1');
    const missing = await client.getRow({ tableName: 'rows', primaryKey: [{ id: 'nope' }], maxVersions: 1 });
    expect(missing.row?.primaryKey ?? []).toEqual([]);
    expect(missing.consumed?.capacityUnit.read).toBe(1);
  });

  it('reports consumed capacity units by size (4 KB per unit, at least 1)', async () => {
    const big = 'x'.repeat(10 * 1024);
    const put = await client.putRow({
      tableName: 'rows',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'cu' }],
      attributeColumns: [{ big }],
    });
    expect(put.consumed?.capacityUnit).toMatchObject({ write: 3 });
    const got = await client.getRow({ tableName: 'rows', primaryKey: [{ id: 'cu' }], maxVersions: 1 });
    expect(got.consumed?.capacityUnit).toMatchObject({ read: 3 });
    const del = await client.deleteRow({ tableName: 'rows', condition: cond(RE.IGNORE), primaryKey: [{ id: 'cu' }] });
    expect(del.consumed?.capacityUnit).toMatchObject({ write: 1 });
  });

  it('checks row existence conditions', async () => {
    const e1 = await sdkError(
      client.putRow({
        tableName: 'rows',
        condition: cond(RE.EXPECT_NOT_EXIST),
        primaryKey: [{ id: 'r1' }],
        attributeColumns: [{ a: 'z' }],
      }),
    );
    expect(e1).toEqual({ status: 403, code: 'OTSConditionCheckFail', message: 'Condition check failed.' });
    const e2 = await sdkError(
      client.updateRow({
        tableName: 'rows',
        condition: cond(RE.EXPECT_EXIST),
        primaryKey: [{ id: 'ghost' }],
        updateOfAttributeColumns: [{ PUT: [{ a: 'z' }] }],
      }),
    );
    expect(e2.code).toBe('OTSConditionCheckFail');
    const e3 = await sdkError(
      client.deleteRow({ tableName: 'rows', condition: cond(RE.EXPECT_EXIST), primaryKey: [{ id: 'ghost' }] }),
    );
    expect([e3.status, e3.code]).toEqual([403, 'OTSConditionCheckFail']);
    await client.putRow({
      tableName: 'rows',
      condition: cond(RE.EXPECT_NOT_EXIST),
      primaryKey: [{ id: 'fresh' }],
      attributeColumns: [{ a: 'z' }],
    });
    expect(
      values((await client.getRow({ tableName: 'rows', primaryKey: [{ id: 'fresh' }], maxVersions: 1 })).row),
    ).toEqual({ a: 'z' });
  });

  it('checks single and composite column conditions', async () => {
    await client.putRow({
      tableName: 'rows',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'cc' }],
      attributeColumns: [{ n: Long.fromNumber(5) }, { s: 'abc' }],
    });
    const gt4 = new TableStore.SingleColumnCondition('n', Long.fromNumber(4), CT.GREATER_THAN);
    await client.updateRow({
      tableName: 'rows',
      condition: cond(RE.EXPECT_EXIST, gt4),
      primaryKey: [{ id: 'cc' }],
      updateOfAttributeColumns: [{ PUT: [{ ok: 'yes' }] }],
    });
    const eq6 = new TableStore.SingleColumnCondition('n', Long.fromNumber(6), CT.EQUAL);
    expect(
      (
        await sdkError(
          client.updateRow({
            tableName: 'rows',
            condition: cond(RE.IGNORE, eq6),
            primaryKey: [{ id: 'cc' }],
            updateOfAttributeColumns: [{ PUT: [{ ok: 'no' }] }],
          }),
        )
      ).code,
    ).toBe('OTSConditionCheckFail');
    // Missing column: passIfMissing true passes, false fails.
    const missPass = new TableStore.SingleColumnCondition('absent', 'x', CT.EQUAL, true);
    await client.putRow({
      tableName: 'rows',
      condition: cond(RE.IGNORE, missPass),
      primaryKey: [{ id: 'cc2' }],
      attributeColumns: [{ a: '1' }],
    });
    const missFail = new TableStore.SingleColumnCondition('absent', 'x', CT.EQUAL, false);
    expect(
      (
        await sdkError(
          client.putRow({
            tableName: 'rows',
            condition: cond(RE.IGNORE, missFail),
            primaryKey: [{ id: 'cc2' }],
            attributeColumns: [{ a: '2' }],
          }),
        )
      ).code,
    ).toBe('OTSConditionCheckFail');
    // (n >= 5 AND s == 'abc') OR NOT(n == 5)
    const and = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
    and.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(5), CT.GREATER_EQUAL));
    and.addSubCondition(new TableStore.SingleColumnCondition('s', 'abc', CT.EQUAL));
    await client.deleteRow({ tableName: 'rows', condition: cond(RE.EXPECT_EXIST, and), primaryKey: [{ id: 'cc' }] });
    expect(
      (await client.getRow({ tableName: 'rows', primaryKey: [{ id: 'cc' }], maxVersions: 1 })).row?.primaryKey ?? [],
    ).toEqual([]);
    const not = new TableStore.CompositeCondition(TableStore.LogicalOperator.NOT);
    not.addSubCondition(new TableStore.SingleColumnCondition('a', '1', CT.EQUAL));
    expect(
      (
        await sdkError(
          client.deleteRow({ tableName: 'rows', condition: cond(RE.IGNORE, not), primaryKey: [{ id: 'cc2' }] }),
        )
      ).code,
    ).toBe('OTSConditionCheckFail');
  });

  it('applies UpdateRow put, delete-one-version, delete-all and increment with RT_AFTER_MODIFY', async () => {
    const t0 = Date.now() - 10_000;
    await client.putRow({
      tableName: 'versions',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'u' }],
      attributeColumns: [{ v: 'one', timestamp: t0 }, { w: 'gone' }, { cnt: Long.fromNumber(10) }],
    });
    await client.updateRow({
      tableName: 'versions',
      condition: cond(RE.EXPECT_EXIST),
      primaryKey: [{ id: 'u' }],
      updateOfAttributeColumns: [
        {
          PUT: [
            { v: 'two', timestamp: t0 + 1000 },
            { v: 'three', timestamp: t0 + 2000 },
          ],
        },
        { DELETE_ALL: ['w'] },
      ],
    });
    await client.updateRow({
      tableName: 'versions',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'u' }],
      updateOfAttributeColumns: [{ DELETE: [{ v: Long.fromNumber(t0 + 1000) }] }],
    });
    const got = await client.getRow({
      tableName: 'versions',
      primaryKey: [{ id: 'u' }],
      maxVersions: 10,
      columnsToGet: ['v', 'w'],
    });
    expect(attrs(got.row)).toEqual([
      ['v', 'three', t0 + 2000],
      ['v', 'one', t0],
    ]);

    const inc = await client.updateRow({
      tableName: 'versions',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'u' }],
      updateOfAttributeColumns: [{ INCREMENT: [{ cnt: Long.fromNumber(5) }] }],
      returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: ['cnt'] },
    });
    expect(values(inc.row)).toEqual({ cnt: '15' });
    const incStr = await sdkError(
      client.updateRow({
        tableName: 'versions',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'u' }],
        updateOfAttributeColumns: [{ INCREMENT: [{ v: Long.fromNumber(1) }] }],
      }),
    );
    expect([incStr.status, incStr.code]).toEqual([400, 'OTSParameterInvalid']);
  });

  it('keeps max_versions versions, filters by time_range and specific_time', async () => {
    const base = Date.now() - 100_000;
    for (let i = 0; i < 5; i++) {
      await client.updateRow({
        tableName: 'versions',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'mv' }],
        updateOfAttributeColumns: [{ PUT: [{ c: `v${i}`, timestamp: base + i * 1000 }] }],
      });
    }
    const all = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'mv' }], maxVersions: 10 });
    expect(attrs(all.row)).toEqual([
      ['c', 'v4', base + 4000],
      ['c', 'v3', base + 3000],
      ['c', 'v2', base + 2000],
    ]);
    const two = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'mv' }], maxVersions: 2 });
    expect(attrs(two.row).map((a) => a[1])).toEqual(['v4', 'v3']);
    const ranged = await client.getRow({
      tableName: 'versions',
      primaryKey: [{ id: 'mv' }],
      timeRange: { startTime: String(base + 2000), endTime: String(base + 4000) },
      maxVersions: 10,
    });
    expect(attrs(ranged.row).map((a) => a[1])).toEqual(['v3', 'v2']);
    // The Node SDK always sends max_versions, which the service refuses beside a specific timestamp
    // (service-rules.test.ts reads one timestamp with a raw request).
    const specific = await sdkError(
      client.getRow({
        tableName: 'versions',
        primaryKey: [{ id: 'mv' }],
        timeRange: { specificTime: String(base + 3000) },
      }),
    );
    expect([specific.status, specific.code]).toEqual([400, 'OTSParameterInvalid']);
    const exact = await client.getRow({
      tableName: 'versions',
      primaryKey: [{ id: 'mv' }],
      timeRange: { startTime: String(base + 3000), endTime: String(base + 3001) },
      maxVersions: 10,
    });
    expect(attrs(exact.row)).toEqual([['c', 'v3', base + 3000]]);
    // No cell in the range: the existing row comes back as its bare key.
    const outside = await client.getRow({
      tableName: 'versions',
      primaryKey: [{ id: 'mv' }],
      timeRange: { startTime: '0', endTime: String(base) },
    });
    expect(outside.row?.primaryKey).toEqual([{ name: 'id', value: 'mv' }]);
    expect(attrs(outside.row)).toEqual([]);
  });

  it('rejects cell timestamps outside the allowed deviation', async () => {
    const old = Date.now() - 3 * 86400_000;
    const e = await sdkError(
      client.putRow({
        tableName: 'rows',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'old' }],
        attributeColumns: [{ a: 'x', timestamp: old }],
      }),
    );
    expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
    // The 'versions' table allows ten years of deviation.
    await client.putRow({
      tableName: 'versions',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'old' }],
      attributeColumns: [{ a: 'x', timestamp: old }],
    });
    const got = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'old' }], maxVersions: 1 });
    expect(attrs(got.row)).toEqual([['a', 'x', old]]);
  });

  it('refuses UpdateRow on a table with allow_update = false', async () => {
    await createTable('no_update', [{ name: 'id', type: 'STRING' }], {
      timeToLive: -1,
      maxVersions: 1,
      allowUpdate: false,
    });
    await client.putRow({
      tableName: 'no_update',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'a' }],
      attributeColumns: [{ v: '1' }],
    });
    const e = await sdkError(
      client.updateRow({
        tableName: 'no_update',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'a' }],
        updateOfAttributeColumns: [{ PUT: [{ v: '2' }] }],
      }),
    );
    expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
    await client.updateTable({ tableName: 'no_update', tableOptions: { allowUpdate: true } });
    await client.updateRow({
      tableName: 'no_update',
      condition: cond(RE.IGNORE),
      primaryKey: [{ id: 'a' }],
      updateOfAttributeColumns: [{ PUT: [{ v: '2' }] }],
    });
    expect(
      values((await client.getRow({ tableName: 'no_update', primaryKey: [{ id: 'a' }], maxVersions: 1 })).row),
    ).toEqual({ v: '2' });
  });

  it('assigns auto-increment primary keys and returns them with RT_PK', async () => {
    await createTable('auto', [
      { name: 'part', type: 'STRING' },
      { name: 'seq', type: 'INTEGER', option: 'AUTO_INCREMENT' },
    ]);
    const described = await client.describeTable({ tableName: 'auto' });
    expect([1, 'AUTO_INCREMENT']).toContain(described.tableMeta?.primaryKey[1].option);
    const seqs: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await client.putRow({
        tableName: 'auto',
        condition: cond(RE.IGNORE),
        primaryKey: [{ part: 'p' }, { seq: TableStore.PK_AUTO_INCR }],
        attributeColumns: [{ i: Long.fromNumber(i) }],
        returnContent: { returnType: TableStore.ReturnType.Primarykey },
      });
      expect(res.row?.primaryKey?.[0].value).toBe('p');
      seqs.push(BigInt(String(res.row!.primaryKey![1].value)));
    }
    expect(seqs[1] > seqs[0] && seqs[2] > seqs[1]).toBe(true);
    const batch = await client.batchWriteRow({
      tables: [
        {
          tableName: 'auto',
          rows: [0, 1].map(() => ({
            type: 'PUT',
            condition: cond(RE.IGNORE),
            primaryKey: [{ part: 'p' }, { seq: TableStore.PK_AUTO_INCR }],
            attributeColumns: [{ b: 'x' }],
            returnContent: { returnType: TableStore.ReturnType.Primarykey },
          })),
        },
      ],
    });
    const batchSeqs = (batch.tables as unknown as SdkBatchRowResult[]).map((r) =>
      BigInt(String(r.primaryKey![1].value)),
    );
    expect(batchSeqs[0] > seqs[2] && batchSeqs[1] > batchSeqs[0]).toBe(true);
    const got = await client.getRow({
      tableName: 'auto',
      primaryKey: [{ part: 'p' }, { seq: Long.fromString(seqs[1].toString()) }],
      maxVersions: 1,
    });
    expect(values(got.row)).toEqual({ i: '1' });
    const bad = await sdkError(
      client.getRow({
        tableName: 'auto',
        primaryKey: [{ part: 'p' }, { seq: TableStore.PK_AUTO_INCR }],
        maxVersions: 1,
      }),
    );
    expect([bad.status, bad.code]).toEqual([400, 'OTSParameterInvalid']);
  });

  it('rejects primary keys that do not match the schema', async () => {
    // Mismatches with the schema are OTSInvalidPK (the service's code); an oversized value is a plain parameter error.
    const cases = [
      { primaryKey: [{ id: Long.fromNumber(1) }], code: 'OTSInvalidPK' },
      { primaryKey: [{ other: 'x' }], code: 'OTSInvalidPK' },
      { primaryKey: [{ id: 'x' }, { extra: 'y' }], code: 'OTSInvalidPK' },
      { primaryKey: [{ id: 'x'.repeat(1025) }], code: 'OTSParameterInvalid' },
    ];
    for (const { code, ...c } of cases) {
      const e = await sdkError(client.getRow({ tableName: 'rows', maxVersions: 1, ...c }));
      expect([e.status, e.code]).toEqual([400, code]);
    }
    const badCol = await sdkError(
      client.putRow({
        tableName: 'rows',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'x' }],
        attributeColumns: [{ '#bad': 'v' }],
      }),
    );
    expect([badCol.status, badCol.code]).toEqual([400, 'OTSParameterInvalid']);
    const tooMany = await sdkError(
      client.putRow({
        tableName: 'rows',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'x' }],
        attributeColumns: Array.from({ length: 1025 }, (_, i) => ({ [`c${i}`]: 'v' })),
      }),
    );
    expect([tooMany.status, tooMany.code]).toEqual([400, 'OTSParameterInvalid']);
    const missing = await sdkError(
      client.putRow({
        tableName: 'nope',
        condition: cond(RE.IGNORE),
        primaryKey: [{ id: 'x' }],
        attributeColumns: [{ a: 'v' }],
      }),
    );
    expect([missing.status, missing.code]).toEqual([404, 'OTSObjectNotExist']);
  });
});

describe('filters on reads', () => {
  beforeAll(async () => {
    await createTable('filtered', [{ name: 'k', type: 'INTEGER' }]);
    await client.batchWriteRow({
      tables: [
        {
          tableName: 'filtered',
          rows: Array.from({ length: 20 }, (_, i) => ({
            type: 'PUT',
            condition: cond(RE.IGNORE),
            primaryKey: [{ k: Long.fromNumber(i) }],
            attributeColumns: [
              { n: Long.fromNumber(i) },
              { parity: i % 2 === 0 ? 'even' : 'odd' },
              { c1: 'a' },
              { c2: 'b' },
              { c3: 'c' },
            ],
          })),
        },
      ],
    });
  });
  const range = (extra: object) =>
    client.getRange({
      tableName: 'filtered',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
      maxVersions: 1,
      ...extra,
    });
  const keys = (rows: SdkRow[] | undefined) => (rows ?? []).map((r) => Number(String(r.primaryKey![0].value)));

  it('filters rows with single and composite conditions', async () => {
    const odd = await range({ columnFilter: new TableStore.SingleColumnCondition('parity', 'odd', CT.EQUAL) });
    expect(keys(odd.rows)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    const and = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
    and.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(10), CT.GREATER_EQUAL));
    and.addSubCondition(new TableStore.SingleColumnCondition('parity', 'even', CT.EQUAL));
    const or = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
    or.addSubCondition(and);
    or.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(1), CT.LESS_THAN));
    expect(keys((await range({ columnFilter: or })).rows)).toEqual([0, 10, 12, 14, 16, 18]);
    const got = await client.getRow({
      tableName: 'filtered',
      primaryKey: [{ k: Long.fromNumber(3) }],
      maxVersions: 1,
      columnFilter: new TableStore.SingleColumnCondition('parity', 'even', CT.EQUAL),
    });
    expect(got.row?.primaryKey ?? []).toEqual([]);
  });

  it('pages columns with ColumnPaginationFilter and honours columns_to_get', async () => {
    const res = await range({ limit: 2, columnFilter: new TableStore.ColumnPaginationFilter(2, 1) });
    expect(res.rows!.map((r) => r.attributes!.map((a) => a.columnName))).toEqual([
      ['c2', 'c3'],
      ['c2', 'c3'],
    ]);
    const only = await range({ limit: 1, columnsToGet: ['parity'] });
    expect(only.rows![0].attributes!.map((a) => a.columnName)).toEqual(['parity']);
    const absent = await range({ columnsToGet: ['absent'] });
    expect(absent.rows).toEqual([]);
  });

  it('restricts columns to [start_column, end_column)', async () => {
    const got = await client.getRow({
      tableName: 'filtered',
      primaryKey: [{ k: Long.fromNumber(4) }],
      maxVersions: 1,
      startColumn: 'c2',
      endColumn: 'n',
    });
    expect(got.row!.attributes!.map((a) => a.columnName)).toEqual(['c2', 'c3']);
  });

  it('batch-gets rows from several tables with per-row results in request order', async () => {
    const res = await client.batchGetRow({
      tables: [
        {
          tableName: 'filtered',
          primaryKey: [[{ k: Long.fromNumber(5) }], [{ k: Long.fromNumber(999) }], [{ k: 'wrong-type' }]],
          maxVersions: 1,
          columnsToGet: ['n'],
        },
        { tableName: 'no_such_table', primaryKey: [[{ k: Long.fromNumber(1) }]], maxVersions: 1 },
      ],
    });
    const tables = res.tables as unknown as SdkBatchRowResult[][];
    expect(tables[0].map((r) => r.isOk)).toEqual([true, true, false]);
    expect(tables[0][0].attributes!.map((a) => [a.columnName, String(a.columnValue)])).toEqual([['n', '5']]);
    expect(tables[0][1].primaryKey).toBeNull();
    expect(tables[0][2].errorCode).toBe('OTSInvalidPK');
    expect([tables[1][0].isOk, tables[1][0].errorCode]).toEqual([false, 'OTSObjectNotExist']);
  });

  it('batch-writes with per-row failures and request-level limits', async () => {
    const res = await client.batchWriteRow({
      tables: [
        {
          tableName: 'filtered',
          rows: [
            {
              type: 'PUT',
              condition: cond(RE.EXPECT_NOT_EXIST),
              primaryKey: [{ k: Long.fromNumber(1) }],
              attributeColumns: [{ n: 'dup' }],
            },
            {
              type: 'UPDATE',
              condition: cond(RE.IGNORE),
              primaryKey: [{ k: Long.fromNumber(2) }],
              attributeColumns: [{ PUT: [{ x: 'y' }] }],
            },
            { type: 'DELETE', condition: cond(RE.IGNORE), primaryKey: [{ k: Long.fromNumber(3) }] },
          ],
        },
      ],
    });
    const rows = res.tables as unknown as SdkBatchRowResult[];
    expect(rows.map((r) => [r.isOk, r.errorCode])).toEqual([
      [false, 'OTSConditionCheckFail'],
      [true, null],
      [true, null],
    ]);
    expect(
      values(
        (
          await client.getRow({
            tableName: 'filtered',
            primaryKey: [{ k: Long.fromNumber(2) }],
            maxVersions: 1,
            columnsToGet: ['x'],
          })
        ).row,
      ),
    ).toEqual({ x: 'y' });
    expect(
      (await client.getRow({ tableName: 'filtered', primaryKey: [{ k: Long.fromNumber(3) }], maxVersions: 1 })).row
        ?.primaryKey ?? [],
    ).toEqual([]);
    const tooMany = await sdkError(
      client.batchWriteRow({
        tables: [
          {
            tableName: 'filtered',
            rows: Array.from({ length: 201 }, (_, i) => ({
              type: 'PUT',
              condition: cond(RE.IGNORE),
              primaryKey: [{ k: Long.fromNumber(1000 + i) }],
              attributeColumns: [{ a: 'b' }],
            })),
          },
        ],
      }),
    );
    expect([tooMany.status, tooMany.code]).toEqual([400, 'OTSParameterInvalid']);
    const dup = await client.batchWriteRow({
      tables: [
        {
          tableName: 'filtered',
          rows: [
            { type: 'DELETE', condition: cond(RE.IGNORE), primaryKey: [{ k: Long.fromNumber(500) }] },
            {
              type: 'PUT',
              condition: cond(RE.IGNORE),
              primaryKey: [{ k: Long.fromNumber(500) }],
              attributeColumns: [{ a: 'b' }],
            },
          ],
        },
      ],
    });
    // The same row twice: both apply, in order (the service does the same; docs/protocol.md §8.5).
    expect((dup.tables as unknown as SdkBatchRowResult[]).map((r) => [r.isOk, r.errorCode])).toEqual([
      [true, null],
      [true, null],
    ]);
    expect(
      values(
        (await client.getRow({ tableName: 'filtered', primaryKey: [{ k: Long.fromNumber(500) }], maxVersions: 1 })).row,
      ),
    ).toEqual({ a: 'b' });
  });
});

describe('table TTL with an injected clock', () => {
  it('hides cells and rows older than time_to_live', async () => {
    let now = Date.now();
    const clocked = await startLocal({ now: () => new Date(now), clockSkewMs: 10 * 365 * 86400_000 });
    try {
      const c = sdkClient(clocked);
      await c.createTable({
        tableMeta: { tableName: 'ttl', primaryKey: [{ name: 'k', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: 86400, maxVersions: 1 },
      });
      await c.putRow({
        tableName: 'ttl',
        condition: cond(RE.IGNORE),
        primaryKey: [{ k: 'a' }],
        attributeColumns: [{ v: 'old' }],
      });
      now += 43_200_000;
      await c.putRow({
        tableName: 'ttl',
        condition: cond(RE.IGNORE),
        primaryKey: [{ k: 'b' }],
        attributeColumns: [{ v: 'new' }],
      });
      now += 50_000_000;
      const rows = (
        await c.getRange({
          tableName: 'ttl',
          direction: 'FORWARD',
          inclusiveStartPrimaryKey: [{ k: TableStore.INF_MIN }],
          exclusiveEndPrimaryKey: [{ k: TableStore.INF_MAX }],
          maxVersions: 1,
        })
      ).rows!;
      expect(rows.map((r) => r.primaryKey![0].value)).toEqual(['b']);
      await c.putRow({
        tableName: 'ttl',
        condition: cond(RE.EXPECT_NOT_EXIST),
        primaryKey: [{ k: 'a' }],
        attributeColumns: [{ v: 'again' }],
      });
    } finally {
      await clocked.stop();
    }
  });
});
