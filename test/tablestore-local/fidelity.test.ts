/**
 * Behaviours where Tablestore Local follows the service as the official SDKs' own suites record it
 * (docs/protocol.md §8): primary-key mismatches, rows listed twice in a batch, empty batches, range and
 * limit wording, and the read CU of conditional writes. Everything goes through the official Node SDK,
 * except requests it cannot express (those use raw signed calls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { encodePrimaryKey, encodeRow } from '../../lib/tablestore/protocol/plainbuffer';
import { decodeMessage, encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import { rawCall } from '../helpers/ots-raw';
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
const cond = (existence: string | number, columnCondition: object | null = null) =>
  new TableStore.Condition(existence, columnCondition);
const values = (row: SdkRow | undefined) =>
  Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, String(a.columnValue)]));
let local: LocalTablestoreHandle;
let client: SdkClient;

async function createTable(name: string, primaryKey: object[]) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
}

const raw = (api: string, body: Uint8Array) => rawCall(local, api, body);
async function rawError(api: string, body: Uint8Array) {
  const res = await raw(api, body);
  return { status: res.status, ...decodeErrorBody(res.body) };
}

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await createTable('one', [{ name: 'PK1', type: 'STRING' }]);
  await createTable('two', [
    { name: 'PK1', type: 'STRING' },
    { name: 'PK2', type: 'INTEGER' },
  ]);
  await createTable('bin', [{ name: 'PK1', type: 'BINARY' }]);
});

afterAll(() => local.stop());

describe('primary keys that do not match the schema are OTSInvalidPK', () => {
  const cases = [
    { table: 'one', pk: [{ PK2: 'blah' }], message: 'Validate PK name fail. Input: PK2, Meta: PK1.' },
    { table: 'two', pk: [{ PK1: 'blah' }], message: 'Validate PK size fail. Input: 1, Meta: 2.' },
    {
      table: 'two',
      pk: [{ PK1: 'blah' }, { PK2: Long.fromNumber(1) }, { PK3: 'x' }],
      message: 'Validate PK size fail. Input: 3, Meta: 2.',
    },
    {
      table: 'one',
      pk: [{ PK1: Long.fromNumber(1000) }],
      message: 'Validate PK type fail. Input: VT_INTEGER, Meta: VT_STRING.',
    },
    {
      table: 'two',
      pk: [{ PK1: 'a' }, { PK2: '1000' }],
      message: 'Validate PK type fail. Input: VT_STRING, Meta: VT_INTEGER.',
    },
    {
      table: 'bin',
      pk: [{ PK1: Long.fromNumber(1000) }],
      message: 'Validate PK type fail. Input: VT_INTEGER, Meta: VT_BLOB.',
    },
  ];

  it.each(cases)('$message in every row API ($table)', async ({ table, pk, message }) => {
    const expected = { status: 400, code: 'OTSInvalidPK', message };
    expect(await sdkError(client.getRow({ tableName: table, primaryKey: pk, maxVersions: 1 }))).toEqual(expected);
    expect(
      await sdkError(
        client.putRow({
          tableName: table,
          condition: cond(RE.IGNORE),
          primaryKey: pk,
          attributeColumns: [{ col: 'v' }],
        }),
      ),
    ).toEqual(expected);
    expect(
      await sdkError(
        client.updateRow({
          tableName: table,
          condition: cond(RE.IGNORE),
          primaryKey: pk,
          updateOfAttributeColumns: [{ PUT: [{ C1: 'V' }] }],
        }),
      ),
    ).toEqual(expected);
    expect(await sdkError(client.deleteRow({ tableName: table, condition: cond(RE.IGNORE), primaryKey: pk }))).toEqual(
      expected,
    );
    const end = pk.map((c) => ({ [Object.keys(c)[0]]: TableStore.INF_MAX }));
    expect(
      await sdkError(
        client.getRange({
          tableName: table,
          direction: TableStore.Direction.FORWARD,
          inclusiveStartPrimaryKey: pk,
          exclusiveEndPrimaryKey: end,
          maxVersions: 1,
        }),
      ),
    ).toEqual(expected);

    const got = await client.batchGetRow({ tables: [{ tableName: table, primaryKey: [pk], maxVersions: 1 }] });
    const getRow = (got.tables as unknown as SdkBatchRowResult[][])[0][0];
    expect([getRow.isOk, getRow.errorCode, getRow.errorMessage]).toEqual([false, 'OTSInvalidPK', message]);

    const wrote = await client.batchWriteRow({
      tables: [
        {
          tableName: table,
          rows: [
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: pk, attributeColumns: [{ col: 'v' }] },
            { type: 'UPDATE', condition: cond(RE.IGNORE), primaryKey: pk, attributeColumns: [{ PUT: [{ C1: 'V' }] }] },
            { type: 'DELETE', condition: cond(RE.IGNORE), primaryKey: pk },
          ],
        },
      ],
    });
    expect((wrote.tables as unknown as SdkBatchRowResult[]).map((r) => [r.isOk, r.errorCode, r.errorMessage])).toEqual([
      [false, 'OTSInvalidPK', message],
      [false, 'OTSInvalidPK', message],
      [false, 'OTSInvalidPK', message],
    ]);
  });
});

describe('batches', () => {
  it('applies a row listed twice in BatchWriteRow in order, as the service does', async () => {
    const pk = (id: string) => [{ PK1: id }];
    const batch = await client.batchWriteRow({
      tables: [
        {
          tableName: 'one',
          rows: [
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: pk('put-update'), attributeColumns: [{ a: '1' }] },
            {
              type: 'UPDATE',
              condition: cond(RE.IGNORE),
              primaryKey: pk('put-update'),
              attributeColumns: [{ PUT: [{ b: '2' }] }],
            },
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: pk('put-put'), attributeColumns: [{ a: '1' }] },
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: pk('put-put'), attributeColumns: [{ c: '3' }] },
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: pk('put-delete'), attributeColumns: [{ a: '1' }] },
            { type: 'DELETE', condition: cond(RE.IGNORE), primaryKey: pk('put-delete') },
            // The second insert sees the first: its EXPECT_NOT_EXIST fails, and only that row.
            {
              type: 'PUT',
              condition: cond(RE.EXPECT_NOT_EXIST),
              primaryKey: pk('insert-twice'),
              attributeColumns: [{ a: 'first' }],
            },
            {
              type: 'PUT',
              condition: cond(RE.EXPECT_NOT_EXIST),
              primaryKey: pk('insert-twice'),
              attributeColumns: [{ a: 'second' }],
            },
          ],
        },
      ],
    });
    expect((batch.tables as unknown as SdkBatchRowResult[]).map((r) => r.errorCode ?? 'ok')).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'OTSConditionCheckFail',
    ]);
    const row = async (id: string) =>
      (await client.getRow({ tableName: 'one', primaryKey: pk(id), maxVersions: 1 })).row;
    expect(values(await row('put-update'))).toEqual({ a: '1', b: '2' });
    expect(values(await row('put-put'))).toEqual({ c: '3' });
    expect((await row('put-delete'))?.primaryKey ?? []).toEqual([]);
    expect(values(await row('insert-twice'))).toEqual({ a: 'first' });
  });

  it('accepts a row or a table listed twice in BatchGetRow, and a table entry without rows', async () => {
    await client.putRow({
      tableName: 'one',
      condition: cond(RE.IGNORE),
      primaryKey: [{ PK1: 'g' }],
      attributeColumns: [{ v: 'x' }],
    });
    const res = await client.batchGetRow({
      tables: [
        { tableName: 'one', primaryKey: [[{ PK1: 'g' }], [{ PK1: 'g' }]], maxVersions: 1 },
        { tableName: 'one', primaryKey: [[{ PK1: 'g' }]], maxVersions: 1 },
      ],
    });
    const tables = res.tables as unknown as SdkBatchRowResult[][];
    expect(tables.map((t) => t.map((r) => [r.isOk, r.attributes?.map((a) => String(a.columnValue))]))).toEqual([
      [
        [true, ['x']],
        [true, ['x']],
      ],
      [[true, ['x']]],
    ]);

    // A table entry with zero rows (the Node SDK drops such entries, so this one is sent raw).
    const body = encodeMessage('BatchGetRowRequest', {
      tables: [
        { table_name: 'one', primary_key: [], max_versions: 1 },
        { table_name: 'one', primary_key: [encodePrimaryKey([{ name: 'PK1', value: 'g' }])], max_versions: 1 },
      ],
    });
    const reply = await raw('BatchGetRow', body);
    expect(reply.status).toBe(200);
    const decoded = decodeMessage('BatchGetRowResponse', reply.body);
    expect(decoded.tables.map((t) => [t.table_name, t.rows.map((r) => r.is_ok)])).toEqual([
      ['one', []],
      ['one', [true]],
    ]);
  });

  it('refuses empty batches with the service wording', async () => {
    expect(await rawError('BatchGetRow', encodeMessage('BatchGetRowRequest', { tables: [] }))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'No row specified in the request of BatchGetRow.',
    });
    expect(await rawError('BatchWriteRow', encodeMessage('BatchWriteRowRequest', { tables: [] }))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'No row is specified in BatchWriteRow.',
    });
    expect(
      await rawError(
        'BatchWriteRow',
        encodeMessage('BatchWriteRowRequest', { tables: [{ table_name: 'one', rows: [] }] }),
      ),
    ).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: "No operation is specified for table: 'one'.",
    });
  });
});

describe('atomic BatchWriteRow (is_atomic; the Node SDK cannot set it, so these are raw requests)', () => {
  const pk = (a: string, b: number) => [
    { name: 'PK1', value: a },
    { name: 'PK2', value: BigInt(b) },
  ];
  const put = (a: string, b: number, v: string, rowExistence = 0) => ({
    type: 1,
    row_change: encodeRow({ primaryKey: pk(a, b), attributes: [{ name: 'v', value: v }] }),
    condition: { row_existence: rowExistence },
  });
  const batch = async (rows: ReturnType<typeof put>[]) => {
    const res = await raw(
      'BatchWriteRow',
      encodeMessage('BatchWriteRowRequest', { tables: [{ table_name: 'two', rows }], is_atomic: true }),
    );
    expect(res.status).toBe(200);
    return decodeMessage('BatchWriteRowResponse', res.body).tables[0].rows.map((r) =>
      r.is_ok ? 'ok' : `${r.error?.code}: ${r.error?.message}`,
    );
  };
  const exists = async (a: string, b: number) => {
    const res = await raw(
      'GetRow',
      encodeMessage('GetRowRequest', { table_name: 'two', primary_key: encodePrimaryKey(pk(a, b)), max_versions: 1 }),
    );
    return decodeMessage('GetRowResponse', res.body).row.length > 0;
  };

  it('commits rows of one partition key together', async () => {
    expect(await batch([put('p0', 1, 'x'), put('p0', 2, 'y')])).toEqual(['ok', 'ok']);
    expect([await exists('p0', 1), await exists('p0', 2)]).toEqual([true, true]);
  });

  it('refuses every row when the partition keys differ, as the service does', async () => {
    const message = 'OTSDataOutOfRange: Data out of scope of atomic. Atomic PartKey:0. Data PartKey:1';
    expect(await batch([put('0', 1, 'x'), put('1', 1, 'y'), put('2', 1, 'z')])).toEqual([message, message, message]);
    expect([await exists('0', 1), await exists('1', 1)]).toEqual([false, false]);
  });

  it('applies none of the rows when one fails', async () => {
    // The third row expects p1/1 not to exist, but the first row of the same batch created it.
    const results = await batch([put('p1', 1, 'x'), put('p1', 2, 'y'), put('p1', 1, 'dup', 2)]);
    expect(results).toEqual(Array(3).fill('OTSConditionCheckFail: Condition check failed.'));
    expect([await exists('p1', 1), await exists('p1', 2)]).toEqual([false, false]);
  });
});

describe('service wording of common validation errors', () => {
  const range = (start: object[], end: object[], direction: string, extra: object = {}) =>
    client.getRange({
      tableName: 'one',
      direction,
      inclusiveStartPrimaryKey: start,
      exclusiveEndPrimaryKey: end,
      maxVersions: 1,
      ...extra,
    });

  it('GetRange bounds and limit', async () => {
    const a = [{ PK1: 'a' }];
    const b = [{ PK1: 'b' }];
    expect(await sdkError(range(b, a, TableStore.Direction.FORWARD))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Begin key must less than end key in FORWARD',
    });
    expect(await sdkError(range(a, b, TableStore.Direction.BACKWARD))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Begin key must more than end key in BACKWARD',
    });
    expect(await sdkError(range(a, b, TableStore.Direction.FORWARD, { limit: -1 }))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'The limit must be greater than 0.',
    });
  });

  it('CreateTable with a primary key column named twice', async () => {
    const e = await sdkError(
      client.createTable({
        tableMeta: {
          tableName: 'dup',
          primaryKey: [
            { name: 'PK0', type: 'STRING' },
            { name: 'PK0', type: 'INTEGER' },
          ],
        },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      }),
    );
    expect(e).toEqual({ status: 400, code: 'OTSParameterInvalid', message: "Duplicated primary key name: 'PK0'." });
  });
});

describe('capacity units of conditional writes', () => {
  const cu = (r: { consumed?: { capacityUnit: { read?: number; write?: number } } }) => [
    r.consumed?.capacityUnit.read ?? 0,
    r.consumed?.capacityUnit.write ?? 0,
  ];

  it('a row condition or a column condition costs read CU for the primary key; IGNORE does not', async () => {
    const put = (id: string, c: object) =>
      client.putRow({ tableName: 'one', condition: c, primaryKey: [{ PK1: id }], attributeColumns: [{ v: 'x' }] });
    expect(cu(await put('cu1', cond(RE.IGNORE)))).toEqual([0, 1]);
    expect(cu(await put('cu2', cond(RE.EXPECT_NOT_EXIST)))).toEqual([1, 1]);
    expect(cu(await put('cu2', cond(RE.EXPECT_EXIST)))).toEqual([1, 1]);
    const column = new TableStore.SingleColumnCondition('v', 'x', TableStore.ComparatorType.EQUAL);
    expect(cu(await put('cu2', cond(RE.IGNORE, column)))).toEqual([1, 1]);
    expect(
      cu(await client.deleteRow({ tableName: 'one', condition: cond(RE.EXPECT_EXIST), primaryKey: [{ PK1: 'cu2' }] })),
    ).toEqual([1, 1]);
    // A key over 4 KB costs one read CU per started 4 KB.
    const bigKey = 'k'.repeat(1000);
    await createTable('wide_key', [
      { name: 'a', type: 'STRING' },
      { name: 'b', type: 'STRING' },
      { name: 'c', type: 'STRING' },
      { name: 'd', type: 'STRING' },
    ]);
    const key = [{ a: bigKey }, { b: bigKey }, { c: bigKey }, { d: bigKey + 'k'.repeat(24) }];
    const res = await client.putRow({
      tableName: 'wide_key',
      condition: cond(RE.EXPECT_NOT_EXIST),
      primaryKey: key,
      attributeColumns: [{ v: 'x' }],
    });
    expect(cu(res)[0]).toBe(Math.ceil((4 * 1000 + 24 + 4) / 4096));

    const batch = await client.batchWriteRow({
      tables: [
        {
          tableName: 'one',
          rows: [
            { type: 'PUT', condition: cond(RE.IGNORE), primaryKey: [{ PK1: 'cu3' }], attributeColumns: [{ v: 'x' }] },
            {
              type: 'UPDATE',
              condition: cond(RE.EXPECT_EXIST),
              primaryKey: [{ PK1: 'cu3' }],
              attributeColumns: [{ PUT: [{ w: 'y' }] }],
            },
          ],
        },
      ],
    });
    expect(
      (batch.tables as unknown as SdkBatchRowResult[]).map((r) => [r.capacityUnit?.read, r.capacityUnit?.write]),
    ).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });
});
