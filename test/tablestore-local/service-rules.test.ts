/**
 * Rules of the service that the official SDKs' own suites record (docs/protocol.md §1.3, §5.8, §8.2, §8.6):
 * reads whose time range or versions select no cell, a specific timestamp with max versions, reads without a
 * version condition, attribute column names, table options round-trip, and the simple row matrix form of
 * GetRange. Through the official Node SDK where it can express the request, raw signed calls otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc8Bytes } from '../../lib/tablestore/protocol/crc8';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import {
  decodeRows,
  encodePrimaryKey,
  encodeRow,
  INF_MAX,
  INF_MIN,
  type ColumnValue,
} from '../../lib/tablestore/protocol/plainbuffer';
import { decodeMessage, encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import { encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { rawCall } from '../helpers/ots-raw';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkBatchRowResult,
  type SdkClient,
} from '../helpers/tablestore-local';

const RE = TableStore.RowExistenceExpectation;
const cond = () => new TableStore.Condition(RE.IGNORE, null);
let local: LocalTablestoreHandle;
let client: SdkClient;
const NOW = Date.now();

async function rawError(api: string, body: Uint8Array) {
  const res = await rawCall(local, api, body);
  return { status: res.status, ...decodeErrorBody(res.body) };
}

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await client.createTable({
    tableMeta: { tableName: 'cells', primaryKey: [{ name: 'id', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 3 },
  });
  for (const id of ['a', 'b', 'c']) {
    await client.putRow({
      tableName: 'cells',
      condition: cond(),
      primaryKey: [{ id }],
      attributeColumns: [{ col1: `v-${id}`, timestamp: NOW }],
    });
  }
});
afterAll(() => local.stop());

const future = { startTime: String(NOW + 1), endTime: String(NOW + 2) };
const range = (extra: object) =>
  client.getRange({
    tableName: 'cells',
    direction: TableStore.Direction.FORWARD,
    inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }],
    ...extra,
  });

describe('reads whose time range selects no cell', () => {
  it('without columns_to_get, every read answers the bare primary key of each existing row', async () => {
    const r = await range({ timeRange: future });
    expect(r.rows!.map((row) => [row.primaryKey![0].value, row.attributes ?? []])).toEqual([
      ['a', []],
      ['b', []],
      ['c', []],
    ]);
    const g = await client.getRow({ tableName: 'cells', primaryKey: [{ id: 'b' }], timeRange: future });
    expect(g.row!.primaryKey).toEqual([{ name: 'id', value: 'b' }]);
    expect(g.row!.attributes ?? []).toEqual([]);
    const bg = await client.batchGetRow({
      tables: [{ tableName: 'cells', primaryKey: [[{ id: 'a' }], [{ id: 'zz' }]], timeRange: future }],
    });
    const rows = (bg.tables as unknown as SdkBatchRowResult[][])[0];
    expect(rows.map((x) => [x.isOk, (x.primaryKey ?? []).map((c) => c.value), x.attributes ?? []])).toEqual([
      [true, ['a'], []],
      [true, [], []],
    ]);
  });

  it('with columns_to_get, GetRange leaves the row out and GetRow / BatchGetRow answer an empty row', async () => {
    const r = await range({ timeRange: future, columnsToGet: ['col1'] });
    expect(r.rows).toEqual([]);
    const g = await client.getRow({
      tableName: 'cells',
      primaryKey: [{ id: 'b' }],
      timeRange: future,
      columnsToGet: ['col1'],
    });
    expect(g.row?.primaryKey ?? []).toEqual([]);
    const bg = await client.batchGetRow({
      tables: [{ tableName: 'cells', primaryKey: [[{ id: 'a' }]], timeRange: future, columnsToGet: ['col1'] }],
    });
    const [row] = (bg.tables as unknown as SdkBatchRowResult[][])[0];
    expect([row.isOk, row.primaryKey ?? [], row.attributes ?? []]).toEqual([true, [], []]);
    // Naming a key column brings the bare key back.
    const withKey = await range({ timeRange: future, columnsToGet: ['id', 'col1'] });
    expect(withKey.rows!.length).toBe(3);
  });

  it('a time range that selects the cell answers it, with max_versions too', async () => {
    const r = await range({ timeRange: { startTime: String(NOW), endTime: String(NOW + 1) }, maxVersions: 2 });
    expect(r.rows!.map((row) => row.attributes!.map((a) => [a.columnName, a.columnValue]))).toEqual([
      [['col1', 'v-a']],
      [['col1', 'v-b']],
      [['col1', 'v-c']],
    ]);
  });
});

describe('version conditions', () => {
  const message = 'Specific tiemstamp and max versions cannot be given at the same time.';
  it('a specific timestamp together with max_versions is refused in GetRow, GetRange and BatchGetRow', async () => {
    // The Node SDK always sends max_versions, so it cannot read one timestamp: as on the service.
    const specific = { specificTime: String(NOW) };
    for (const call of [
      client.getRow({ tableName: 'cells', primaryKey: [{ id: 'a' }], timeRange: specific }),
      range({ timeRange: specific }),
      client.batchGetRow({ tables: [{ tableName: 'cells', primaryKey: [[{ id: 'a' }]], timeRange: specific }] }),
    ]) {
      expect(await sdkError(call)).toEqual({ status: 400, code: 'OTSParameterInvalid', message });
    }
  });

  it('a specific timestamp alone reads that version (raw request)', async () => {
    const res = await rawCall(
      local,
      'GetRow',
      encodeMessage('GetRowRequest', {
        table_name: 'cells',
        primary_key: encodePrimaryKey([{ name: 'id', value: 'a' }]),
        time_range: { specific_time: NOW },
      }),
    );
    expect(res.status).toBe(200);
    const [row] = decodeRows(decodeMessage('GetRowResponse', res.body).row);
    expect(row.attributes.map((a) => [a.name, a.value, a.timestamp])).toEqual([['col1', 'v-a', NOW]]);
  });

  it('a read without max_versions or time_range gets the service wording', async () => {
    const pk = encodePrimaryKey([{ name: 'id', value: 'a' }]);
    expect(await rawError('GetRow', encodeMessage('GetRowRequest', { table_name: 'cells', primary_key: pk }))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'No version condition is specified.',
    });
    expect(
      await rawError(
        'BatchGetRow',
        encodeMessage('BatchGetRowRequest', { tables: [{ table_name: 'cells', primary_key: [pk] }] }),
      ),
    ).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'No version condition is specified while querying row.',
    });
  });
});

describe('names', () => {
  it('attribute column names may hold any character but a leading #, up to 255 characters', async () => {
    const names = ['postal code', 'price-2', '.', 'a:b', "'", '"x"', '$&*()/\\', ' abc', 'abc\n', 'x'.repeat(255)];
    for (const name of names) {
      await client.putRow({
        tableName: 'cells',
        condition: cond(),
        primaryKey: [{ id: 'n' }],
        attributeColumns: [{ [name]: 'v' }],
      });
      const g = await client.getRow({ tableName: 'cells', primaryKey: [{ id: 'n' }], columnsToGet: [name] });
      expect(g.row!.attributes!.map((a) => a.columnName)).toEqual([name]);
    }
    for (const name of ['#', '#abc', '# ', 'x'.repeat(256)]) {
      const put = client.putRow({
        tableName: 'cells',
        condition: cond(),
        primaryKey: [{ id: 'n' }],
        attributeColumns: [{ [name]: 'v' }],
      });
      // (The SDK's error text carries the body's length byte in front of a long message, hence endsWith.)
      const e = await sdkError(put);
      expect([e.status, e.code, e.message.endsWith(`Invalid column name: '${name}'.`)]).toEqual([
        400,
        'OTSParameterInvalid',
        true,
      ]);
      const read = await sdkError(range({ columnsToGet: [name] }));
      expect(read.message.endsWith(`Invalid column name: '${name}'.`)).toBe(true);
    }
    // The Node SDK corrupts non-ASCII names (docs/tablestore-local.md), so this one goes raw.
    const res = await rawCall(
      local,
      'PutRow',
      encodeMessage('PutRowRequest', {
        table_name: 'cells',
        row: encodeRow({ primaryKey: [{ name: 'id', value: 'n' }], attributes: [{ name: '公司', value: 'v' }] }),
        condition: { row_existence: 0 },
      }),
    );
    expect(res.status).toBe(200);
  });

  it('table names keep the strict rule, with the service wording', async () => {
    for (const name of ['3t', 'T#', '-']) {
      const e = await sdkError(client.describeTable({ tableName: name }));
      expect(e).toEqual({ status: 400, code: 'OTSParameterInvalid', message: `Invalid table name: '${name}'.` });
    }
  });
});

// ------------------------------------------------------------------------------------------ table options

const createBody = (name: string, extra: object = {}) =>
  encodeMessage('CreateTableRequest', {
    table_meta: { table_name: name, primary_key: [{ name: 'id', type: 2 }] },
    reserved_throughput: { capacity_unit: { read: 1, write: 2 } },
    table_options: {
      time_to_live: 86401,
      max_versions: 2,
      deviation_cell_version_in_sec: 1000,
      allow_update: false,
      update_full_row: true,
    },
    stream_spec: { enable_stream: true, expiration_time: 168, columns_to_get: ['col2', 'col1'] },
    sse_spec: {
      enable: true,
      key_type: 2,
      key_id: Buffer.from('key-1'),
      role_arn: Buffer.from('acs:ram::1:role/r'),
    },
    ...extra,
  });

async function describeRaw(target: LocalTablestoreHandle, name: string) {
  const res = await rawCall(target, 'DescribeTable', encodeMessage('DescribeTableRequest', { table_name: name }));
  expect(res.status).toBe(200);
  const d = decodeMessage('DescribeTableResponse', res.body);
  return {
    options: {
      ...d.table_options,
      deviation_cell_version_in_sec: Number(d.table_options.deviation_cell_version_in_sec),
    },
    stream: {
      enable: d.stream_details?.enable_stream,
      hours: d.stream_details?.expiration_time,
      columns: d.stream_details?.columns_to_get,
    },
    sse: d.sse_details && {
      enable: d.sse_details.enable,
      keyType: d.sse_details.key_type,
      keyId: d.sse_details.key_id && Buffer.from(d.sse_details.key_id).toString(),
      roleArn: d.sse_details.role_arn && Buffer.from(d.sse_details.role_arn).toString(),
    },
    throughput: d.reserved_throughput_details.capacity_unit,
  };
}

const described = {
  options: {
    time_to_live: 86401,
    max_versions: 2,
    deviation_cell_version_in_sec: 1000,
    allow_update: false,
    update_full_row: true,
  },
  stream: { enable: true, hours: 168, columns: ['col2', 'col1'] },
  sse: { enable: true, keyType: 2, keyId: 'key-1', roleArn: 'acs:ram::1:role/r' },
  throughput: { read: 1, write: 2 },
};

describe('table options round-trip', () => {
  it('CreateTable options, stream columns and SSE are described back, also after a restart over --data-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ots-options-'));
    try {
      let server = await startLocal({ dataDir: dir });
      expect((await rawCall(server, 'CreateTable', createBody('opts'))).status).toBe(200);
      expect(await describeRaw(server, 'opts')).toEqual(described);
      await server.stop();
      server = await startLocal({ dataDir: dir });
      expect(await describeRaw(server, 'opts')).toEqual(described);
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults: update_full_row false, SSE off (always sent), no stream', async () => {
    await client.createTable({
      tableMeta: { tableName: 'plain', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    const d = await describeRaw(local, 'plain');
    expect([d.options.update_full_row, d.options.deviation_cell_version_in_sec, d.sse, d.stream.enable]).toEqual([
      false,
      86400,
      { enable: false, keyType: undefined, keyId: undefined, roleArn: undefined },
      false,
    ]);
  });

  it('UpdateTable refuses update_full_row, set or not, and keeps stream columns it is given', async () => {
    for (const update_full_row of [true, false]) {
      const e = await rawError(
        'UpdateTable',
        encodeMessage('UpdateTableRequest', {
          table_name: 'plain',
          table_options: { time_to_live: -1, max_versions: 5, update_full_row },
        }),
      );
      expect(e.status).toBe(400);
      expect(e.code).toBe('OTSParameterInvalid');
      expect(e.message).toContain('contain updateFullRow');
    }
    const res = await rawCall(
      local,
      'UpdateTable',
      encodeMessage('UpdateTableRequest', {
        table_name: 'plain',
        table_options: { time_to_live: -1, max_versions: 5 },
        stream_spec: { enable_stream: true, expiration_time: 168, columns_to_get: ['col1', 'col2'] },
      }),
    );
    expect(res.status).toBe(200);
    const u = decodeMessage('UpdateTableResponse', res.body);
    expect([u.table_options.max_versions, u.table_options.update_full_row, u.stream_details?.columns_to_get]).toEqual([
      5,
      false,
      ['col1', 'col2'],
    ]);
    const d = await describeRaw(local, 'plain');
    expect(d.stream).toEqual({ enable: true, hours: 168, columns: ['col1', 'col2'] });
  });
});

// ------------------------------------------------------------------------------------- simple row matrix

type MatrixRow = { primaryKey: [string, unknown][]; attributes: [string, unknown][] };

/** A decoder written from the Java and Go SDKs' readers (docs/protocol.md §5.8), checksum included. */
function decodeMatrix(bytes: Uint8Array): { rows: MatrixRow[]; entirePrimaryKeys: boolean } {
  const b = Buffer.from(bytes);
  expect(b.readInt32LE(0)).toBe(0x304d5253);
  const dataOffset = b.readInt32LE(4);
  const optionsOffset = b.readInt32LE(8);
  const pkCount = b.readInt32LE(12);
  const attrCount = b.readInt32LE(16);
  let p = 20;
  const names: string[] = [];
  for (let i = 0; i < pkCount + attrCount; i++) {
    const len = b.readInt16LE(p);
    names.push(b.toString('utf8', p + 2, p + 2 + len));
    p += 2 + len;
  }
  expect(p).toBe(optionsOffset);
  expect(b[p]).toBe(10);
  const entirePrimaryKeys = b[p + 1] === 1;
  expect(b[p + 2]).toBe(3);
  const rowCount = b.readInt32LE(p + 3);
  expect(p + 7).toBe(dataOffset);
  expect(b[b.length - 2]).toBe(1);
  expect(b[b.length - 1]).toBe(crc8Bytes(0, b, 0, b.length - 1));
  p = dataOffset;
  const rows: MatrixRow[] = [];
  for (let r = 0; r < rowCount; r++) {
    expect(b[p++]).toBe(2);
    const row: MatrixRow = { primaryKey: [], attributes: [] };
    for (let i = 0; i < names.length; i++) {
      const type = b[p++];
      let v: unknown;
      if (type === 0) {
        v = b.readBigInt64LE(p);
        p += 8;
      } else if (type === 1) {
        v = b.readDoubleLE(p);
        p += 8;
      } else if (type === 2) v = b[p++] === 1;
      else if (type === 3 || type === 7) {
        const len = b.readInt32LE(p);
        v = type === 3 ? b.toString('utf8', p + 4, p + 4 + len) : new Uint8Array(b.subarray(p + 4, p + 4 + len));
        p += 4 + len;
      } else expect(type).toBe(6);
      if (i < pkCount) row.primaryKey.push([names[i], v]);
      else if (type !== 6) row.attributes.push([names[i], v]);
    }
    rows.push(row);
  }
  expect(p).toBe(b.length - 2);
  return { rows, entirePrimaryKeys };
}

const rangeBody = (table: string, hint: number | undefined, extra: object = {}) =>
  encodeMessage('GetRangeRequest', {
    table_name: table,
    direction: 0,
    max_versions: 1,
    inclusive_start_primary_key: encodePrimaryKey([
      { name: 'k1', value: INF_MIN },
      { name: 'k2', value: INF_MIN },
    ]),
    exclusive_end_primary_key: encodePrimaryKey([
      { name: 'k1', value: INF_MAX },
      { name: 'k2', value: INF_MAX },
    ]),
    ...(hint === undefined ? {} : { data_block_type_hint: hint }),
    ...extra,
  });

describe('data_block_type_hint = SIMPLE_ROW_MATRIX', () => {
  const value: fc.Arbitrary<ColumnValue> = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 6 }),
  );
  const row = fc.record({
    k1: fc.string({ minLength: 1, maxLength: 4 }),
    k2: fc.bigInt({ min: -5n, max: 5n }),
    attrs: fc.dictionary(fc.constantFrom('a', 'b', 'c d', 'e-f', 'g'), value, { maxKeys: 4 }),
  });
  let seq = 0;

  it('answers the same rows as PlainBuffer, as the SDKs decode the block', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.option(fc.integer({ min: 1, max: 5 })),
        async (rows, limit) => {
          const table = `matrix_${++seq}`;
          await client.createTable({
            tableMeta: {
              tableName: table,
              primaryKey: [
                { name: 'k1', type: 'STRING' },
                { name: 'k2', type: 'INTEGER' },
              ],
            },
            reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
            tableOptions: { timeToLive: -1, maxVersions: 1 },
          });
          for (const r of rows) {
            const res = await rawCall(
              local,
              'PutRow',
              encodeMessage('PutRowRequest', {
                table_name: table,
                row: encodeRow({
                  primaryKey: [
                    { name: 'k1', value: r.k1 },
                    { name: 'k2', value: r.k2 },
                  ],
                  attributes: Object.entries(r.attrs).map(([name, v]) => ({ name, value: v })),
                }),
                condition: { row_existence: 0 },
              }),
            );
            expect(res.status).toBe(200);
          }
          const extra = limit === null ? {} : { limit };
          const plain = decodeMessage(
            'GetRangeResponse',
            (await rawCall(local, 'GetRange', rangeBody(table, 0, extra))).body,
          );
          const m = decodeMessage(
            'GetRangeResponse',
            (await rawCall(local, 'GetRange', rangeBody(table, 1, extra))).body,
          );
          expect([plain.data_block_type, m.data_block_type]).toEqual([0, 1]);
          const expected = decodeRows(plain.rows).map((r) => ({
            primaryKey: r.primaryKey.map((c) => [c.name, c.value]),
            attributes: r.attributes
              .map((a) => [a.name, a.value] as [string, unknown])
              .sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
          }));
          const got = decodeMatrix(m.rows);
          expect(got.entirePrimaryKeys).toBe(true);
          expect(got.rows).toEqual(expected);
          expect(m.next_start_primary_key).toEqual(plain.next_start_primary_key);
          await client.deleteTable({ tableName: table });
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('return_entire_primary_keys = false', () => {
  it('keeps only the key columns named in columns_to_get, in both forms', async () => {
    await client.createTable({
      tableMeta: {
        tableName: 'partial_keys',
        primaryKey: [
          { name: 'k1', type: 'STRING' },
          { name: 'k2', type: 'INTEGER' },
        ],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    await client.putRow({
      tableName: 'partial_keys',
      condition: cond(),
      primaryKey: [{ k1: 'x' }, { k2: TableStore.Long.fromNumber(7) }],
      attributeColumns: [{ a: 'v' }, { b: 'w' }],
    });
    const partial = { columns_to_get: ['k2', 'a'], return_entire_primary_keys: false };
    const plain = decodeMessage(
      'GetRangeResponse',
      (await rawCall(local, 'GetRange', rangeBody('partial_keys', 0, partial))).body,
    );
    expect(decodeRows(plain.rows).map((r) => [r.primaryKey, r.attributes.map((a) => [a.name, a.value])])).toEqual([
      [[{ name: 'k2', value: 7n }], [['a', 'v']]],
    ]);
    const m = decodeMessage(
      'GetRangeResponse',
      (await rawCall(local, 'GetRange', rangeBody('partial_keys', 1, partial))).body,
    );
    expect(decodeMatrix(m.rows)).toEqual({
      rows: [{ primaryKey: [['k2', 7n]], attributes: [['a', 'v']] }],
      entirePrimaryKeys: false,
    });
    // Left at its default (true), every key column comes back.
    const whole = decodeMessage(
      'GetRangeResponse',
      (await rawCall(local, 'GetRange', rangeBody('partial_keys', 1, { columns_to_get: ['a'] }))).body,
    );
    expect(decodeMatrix(whole.rows)).toEqual({
      rows: [
        {
          primaryKey: [
            ['k1', 'x'],
            ['k2', 7n],
          ],
          attributes: [['a', 'v']],
        },
      ],
      entirePrimaryKeys: true,
    });
  });
});

describe('time series tables', () => {
  it('analytical stores and lastpoint indexes are refused; the bare enable flag is accepted', async () => {
    const meta = { table_name: 'ts_extra', table_options: { time_to_live: -1 } };
    for (const [extra, what] of [
      [{ analytical_stores: [{ store_name: 'default_analytical_store' }] }, 'Analytical stores'],
      [{ lastpoint_index_metas: [{ index_table_name: 'last' }] }, 'Lastpoint indexes'],
    ] as [object, string][]) {
      const e = await rawError(
        'CreateTimeseriesTable',
        encodeTimeseriesMessage('CreateTimeseriesTableRequest', { table_meta: meta, ...extra }),
      );
      expect(e).toEqual({
        status: 400,
        code: 'OTSParameterInvalid',
        message: `${what} are not supported by Tablestore Local.`,
      });
    }
    const ok = await rawCall(
      local,
      'CreateTimeseriesTable',
      encodeTimeseriesMessage('CreateTimeseriesTableRequest', { table_meta: meta, enable_analytical_store: true }),
    );
    expect(ok.status).toBe(200);
  });
});
