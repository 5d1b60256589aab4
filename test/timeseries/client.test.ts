/**
 * Every TimeseriesClient call round-tripped against Tablestore Local over HTTP on 127.0.0.1.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sdkClient, sdkError, startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import type { IdentityStore } from '../../local/tablestore/auth/identity';
import {
  and,
  attribute,
  measurement,
  not,
  or,
  source,
  tag,
  TablestoreError,
  TimeseriesClient,
  updateTime,
  type MetaCondition,
  type TimeseriesKey,
  type TimeseriesMeta,
} from '../../lib/tablestore/timeseries/index';
import { createTransport, type Transport } from '../../lib/tablestore/transport/index';
import { encodeFlatBufferRows } from '../../lib/tablestore/protocol/flatbuffer-rows';
import { crc32cSigned } from '../../lib/tablestore/protocol/crc32c';
import { decodeRows } from '../../lib/tablestore/protocol/plainbuffer';
import { decodeTimeseriesMessage, encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { parseTags } from '../../lib/tablestore/timeseries/tags';
import { MAX_ROWS_PER_WRITE } from '../../lib/tablestore/timeseries/rows';

let local: LocalTablestoreHandle;
let client: TimeseriesClient;
let raw: Transport;

beforeAll(async () => {
  local = await startLocal();
  const credentials = async () => ({
    accessKeyId: local.accessKeyId,
    accessKeySecret: local.accessKeySecret,
    source: 'test',
  });
  client = new TimeseriesClient({ endpoint: local.endpoint, instance: local.instance, credentials });
  raw = createTransport({ endpoint: local.endpoint, instance: local.instance, credentials, retry: { maxRetries: 0 } });
});

afterAll(async () => {
  client?.close();
  raw?.close();
  await local?.stop();
});

async function errorOf(p: Promise<unknown>): Promise<TablestoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TablestoreError);
  return e as TablestoreError;
}

const NOW_US = BigInt(Date.now()) * 1000n;
const key = (m: string, s: string, tags: Record<string, string> = {}): TimeseriesKey => ({
  measurement: m,
  dataSource: s,
  tags,
});

describe('connection options', () => {
  it('takes the same connection options as the wide-table client: its own agent, retry policy and signing', async () => {
    const agent = new http.Agent({ keepAlive: true });
    let sockets = 0;
    const created = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof created>) => {
      sockets += 1;
      return created(...args);
    };
    const own = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      region: 'cn-hangzhou',
      signatureVersion: 'v2',
      credentials: async () => ({
        accessKeyId: local.accessKeyId,
        accessKeySecret: local.accessKeySecret,
        source: 't',
      }),
      agent,
      retry: { maxRetries: 0 },
      metaCacheSize: 0,
    });
    try {
      expect(Array.isArray(await own.listTimeseriesTables())).toBe(true);
      expect(sockets).toBe(1);
    } finally {
      own.close();
      agent.destroy();
    }
  });
});

describe('table management', () => {
  it('creates, lists, describes, updates and deletes time series tables', async () => {
    await client.createTimeseriesTable({ tableName: 'tm_basic' });
    const described = await client.describeTimeseriesTable('tm_basic');
    expect(described).toMatchObject({
      tableName: 'tm_basic',
      timeToLive: -1,
      status: 'CREATED',
      metaOptions: { allowUpdateAttributes: true, metaTimeToLive: -1 },
    });
    expect((await client.listTimeseriesTables()).map((t) => t.tableName)).toContain('tm_basic');

    await client.updateTimeseriesTable({ tableName: 'tm_basic', timeToLive: 86400 * 30 });
    expect((await client.describeTimeseriesTable('tm_basic')).timeToLive).toBe(86400 * 30);

    expect((await errorOf(client.createTimeseriesTable({ tableName: 'tm_basic' }))).code).toBe('OTSObjectAlreadyExist');
    await client.deleteTimeseriesTable('tm_basic');
    const gone = await errorOf(client.describeTimeseriesTable('tm_basic'));
    expect([gone.code, gone.httpStatus]).toEqual(['OTSObjectNotExist', 404]);
    expect((await errorOf(client.deleteTimeseriesTable('tm_basic'))).code).toBe('OTSObjectNotExist');
  });

  it('enforces the option rules of the service', async () => {
    const bad = [
      { tableName: 'tm_opt', timeToLive: 100 },
      { tableName: 'tm_opt', metaOptions: { metaTimeToLive: 10_000_000 } },
      {
        tableName: 'tm_opt',
        timeToLive: 10_000_000,
        metaOptions: { allowUpdateAttributes: false, metaTimeToLive: 9_000_000 },
      },
      { tableName: 'tm_opt', timeToLive: 86400, metaOptions: { allowUpdateAttributes: false, metaTimeToLive: 86400 } },
      { tableName: '9starts_with_digit' },
      { tableName: 'bad-name' },
    ];
    for (const req of bad) {
      const e = await errorOf(client.createTimeseriesTable(req));
      expect([e.code, e.httpStatus], JSON.stringify(req)).toEqual(['OTSParameterInvalid', 400]);
    }
    const wrapped = await errorOf(client.createTimeseriesTable({ tableName: 'tm_opt', timeToLive: 86400 * 365 * 100 }));
    expect([wrapped.code, wrapped.httpStatus]).toEqual(['OTSParameterInvalid', 0]); // caught before int32 wrap-around
    await client.createTimeseriesTable({
      tableName: 'tm_opt',
      timeToLive: 10_000_000,
      metaOptions: { allowUpdateAttributes: false, metaTimeToLive: 10_000_000 },
    });
    expect((await client.describeTimeseriesTable('tm_opt')).metaOptions).toEqual({
      allowUpdateAttributes: false,
      metaTimeToLive: 10_000_000,
    });
    expect((await errorOf(client.updateTimeseriesTable({ tableName: 'tm_opt', timeToLive: 20_000_000 }))).code).toBe(
      'OTSParameterInvalid',
    );
    await client.deleteTimeseriesTable('tm_opt');
  });

  it('shares one namespace with wide tables', async () => {
    const sdk = sdkClient(local);
    await sdk.createTable({
      tableMeta: { tableName: 'shared_name', primaryKey: [{ name: 'pk', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
    expect((await errorOf(client.createTimeseriesTable({ tableName: 'shared_name' }))).code).toBe(
      'OTSObjectAlreadyExist',
    );
    // a wide table is not a time series table
    expect((await errorOf(client.describeTimeseriesTable('shared_name'))).code).toBe('OTSObjectNotExist');
    expect((await client.listTimeseriesTables()).map((t) => t.tableName)).not.toContain('shared_name');
    await client.createTimeseriesTable({ tableName: 'ts_shared' });
    const clash = await sdkError(
      sdk.createTable({
        tableMeta: { tableName: 'ts_shared', primaryKey: [{ name: 'pk', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      }),
    );
    expect(clash.code).toBe('OTSObjectAlreadyExist');
    await client.deleteTimeseriesTable('ts_shared');
    await sdk.deleteTable({ tableName: 'shared_name' });
  });

  it('shares the 64-slot table quota, a time series table counting twice', async () => {
    const wide = (await sdkClient(local).listTable({})).tableNames ?? [];
    const used = (await client.listTimeseriesTables()).length * 2 + wide.length;
    const room = Math.floor((64 - used) / 2);
    const names = Array.from({ length: room }, (_, i) => `tm_quota_${i}`);
    for (const n of names) await client.createTimeseriesTable({ tableName: n });
    const e = await errorOf(client.createTimeseriesTable({ tableName: 'tm_quota_over' }));
    expect(e.code).toBe('OTSQuotaExhausted');
    for (const n of names) await client.deleteTimeseriesTable(n);
  });
});

describe('data', () => {
  const T = 'ts_data';
  const cpu = key('cpu', 'host-1', { region: 'cn-hangzhou', rack: 'r1' });

  beforeAll(async () => {
    await client.createTimeseriesTable({ tableName: T });
  });

  it('writes points of several series and reads them back by key and time range, every type lossless', async () => {
    const big = (1n << 63n) - 1n;
    const res = await client.putTimeseriesData({
      tableName: T,
      rows: [
        {
          key: cpu,
          time: 1_000n,
          fields: { load: 0.5, count: big, up: true, state: 'ok', raw: new Uint8Array([0, 255]) },
        },
        {
          key: cpu,
          time: 2_000n,
          fields: { load: 0.75, count: -big - 1n, up: false, state: 'warn', raw: new Uint8Array([]) },
        },
        { key: cpu, time: 3_000, fields: { load: 1.25 } },
        { key: key('cpu', 'host-2', { region: 'cn-hangzhou' }), time: 1_500n, fields: { load: 9.5 } },
        { key: key('mem', 'host-1'), time: new Date(1), fields: { free: 123n } },
      ],
    });
    expect(res.failedRows).toEqual([]);

    const page = await client.getTimeseriesData({ tableName: T, key: cpu, beginTime: 0, endTime: 10_000 });
    expect(page.nextToken).toBeUndefined();
    expect(page.rows.map((r) => r.time)).toEqual([1_000n, 2_000n, 3_000n]);
    expect(page.rows[0].key).toEqual(cpu);
    expect(page.rows[0].fields).toEqual({
      load: 0.5,
      count: big,
      up: true,
      state: 'ok',
      raw: new Uint8Array([0, 255]),
    });
    expect(page.rows[1].fields.count).toBe(-(1n << 63n));
    expect(page.rows[2].fields).toEqual({ load: 1.25 });

    // [begin, end): end is exclusive, begin inclusive
    const window = await client.getTimeseriesData({ tableName: T, key: cpu, beginTime: 2_000, endTime: 3_000 });
    expect(window.rows.map((r) => r.time)).toEqual([2_000n]);

    const back = await client.getTimeseriesData({
      tableName: T,
      key: cpu,
      beginTime: 0,
      endTime: 10_000,
      backward: true,
      limit: 2,
    });
    expect(back.rows.map((r) => r.time)).toEqual([3_000n, 2_000n]);
    expect(back.nextToken).toBeDefined();

    const mem = await client.getTimeseriesData({
      tableName: T,
      key: key('mem', 'host-1'),
      beginTime: 0,
      endTime: 10_000,
    });
    expect(mem.rows.map((r) => [r.time, r.fields])).toEqual([[1_000n, { free: 123n }]]);

    // tags are part of the identity: a different tag set is a different (empty) series
    const other = await client.getTimeseriesData({
      tableName: T,
      key: key('cpu', 'host-1', { region: 'cn-hangzhou' }),
      endTime: 10_000,
    });
    expect(other.rows).toEqual([]);
  });

  it('filters fields by name and type', async () => {
    const page = await client.getTimeseriesData({
      tableName: T,
      key: cpu,
      beginTime: 0,
      endTime: 2_500,
      fieldsToGet: [
        { name: 'load', type: 'double' },
        { name: 'count', type: 'string' }, // wrong type: left out
        { name: 'state', type: 'string' },
      ],
    });
    expect(page.rows.map((r) => r.fields)).toEqual([
      { load: 0.5, state: 'ok' },
      { load: 0.75, state: 'warn' },
    ]);
  });

  it('lays out rows exactly as the protocol says (_#h first, name:typecode columns)', async () => {
    const reply = await raw.call(
      'GetTimeseriesData',
      encodeTimeseriesMessage('GetTimeseriesDataRequest', {
        table_name: T,
        time_series_key: { measurement: 'cpu', source: 'host-1', tags: '["rack=r1","region=cn-hangzhou"]' },
        begin_time: 0n,
        end_time: 1_001n,
      }),
    );
    const msg = decodeTimeseriesMessage('GetTimeseriesDataResponse', reply);
    const rows = decodeRows(msg.rows_data);
    expect(rows).toHaveLength(1);
    expect(rows[0].primaryKey.map((c) => c.name)).toEqual(['_#h', '_m_name', '_data_source', '_tags', '_time']);
    expect(rows[0].primaryKey.slice(1).map((c) => c.value)).toEqual([
      'cpu',
      'host-1',
      '["rack=r1","region=cn-hangzhou"]',
      1_000n,
    ]);
    expect(rows[0].attributes.map((c) => c.name).sort()).toEqual(['count:i', 'load:d', 'raw:x', 'state:s', 'up:b']);
  });

  it('reports per-row failures and stores the good rows', async () => {
    const res = await client.putTimeseriesData({
      tableName: T,
      rows: [
        { key: key('ok_m', 's'), time: 1n, fields: { v: 1n } },
        { key: key('bad#m', 's'), time: 1n, fields: { v: 1n } },
        { key: key('ok_m', 's'), time: 2n, fields: { _time: 1n } },
        { key: key('ok_m', 's'), time: 3n, fields: {} },
        { key: key('ok_m', 's'), time: 4n, fields: { v: 4n } },
        // The limits page: field names 1–128 bytes, STRING and BINARY values at most 2 MB.
        { key: key('ok_m', 's'), time: 5n, fields: { ['f'.repeat(129)]: 1n } },
        { key: key('ok_m', 's'), time: 6n, fields: { s: 'x'.repeat(2 * 1024 * 1024 + 1) } },
        { key: key('ok_m', 's'), time: 7n, fields: { b: new Uint8Array(2 * 1024 * 1024 + 1) } },
        { key: key('ok_m', 's'), time: 8n, fields: { ['f'.repeat(128)]: 1n, s: 'x'.repeat(2 * 1024 * 1024) } },
      ],
    });
    expect(res.failedRows.map((f) => [f.index, f.code])).toEqual([
      [1, 'OTSParameterInvalid'],
      [2, 'OTSParameterInvalid'],
      [3, 'OTSParameterInvalid'],
      [5, 'OTSParameterInvalid'],
      [6, 'OTSParameterInvalid'],
      [7, 'OTSParameterInvalid'],
    ]);
    const page = await client.getTimeseriesData({ tableName: T, key: key('ok_m', 's'), endTime: 100 });
    expect(page.rows.map((r) => r.time)).toEqual([1n, 4n, 8n]);
  });

  it('rejects a FlatBuffer CRC-32C mismatch with OTSParameterInvalid', async () => {
    const rowsData = encodeFlatBufferRows([{ measurement: 'crc', dataSource: '', time: 1n, fields: { v: 1n } }]);
    const request = (crc: number) =>
      encodeTimeseriesMessage('PutTimeseriesDataRequest', {
        table_name: T,
        rows_data: { type: 0, rows_data: rowsData, flatbuffer_crc32c: crc },
        supported_table_version: 1n,
      });
    const e = await errorOf(raw.call('PutTimeseriesData', request(crc32cSigned(rowsData) ^ 1)));
    expect([e.code, e.httpStatus]).toEqual(['OTSParameterInvalid', 400]);
    await raw.call('PutTimeseriesData', request(crc32cSigned(rowsData)));
    const e2 = await errorOf(
      raw.call(
        'PutTimeseriesData',
        encodeTimeseriesMessage('PutTimeseriesDataRequest', {
          table_name: T,
          rows_data: {
            type: 0,
            rows_data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
            flatbuffer_crc32c: crc32cSigned(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])),
          },
        }),
      ),
    );
    expect(e2.code).toBe('OTSParameterInvalid');
  });

  it('writes at most 200 rows a request: the client sends more in parts, the server refuses more', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      key: i === 777 ? key('bad#', 'b') : key('many', 'b'),
      time: BigInt(i),
      fields: { v: BigInt(i) },
    }));
    const calls = client.transport.stats.calls;
    const res = await client.putTimeseriesData({ tableName: T, rows });
    expect(client.transport.stats.calls - calls).toBe(1000 / MAX_ROWS_PER_WRITE);
    // Row indexes stay those of the caller's array across the parts.
    expect(res.failedRows.map((f) => f.index)).toEqual([777]);
    const page = await client.getTimeseriesData({ tableName: T, key: key('many', 'b'), limit: 5000 });
    expect(page.rows).toHaveLength(999);
    const tooMany = encodeFlatBufferRows(
      Array.from({ length: MAX_ROWS_PER_WRITE + 1 }, (_, i) => ({
        measurement: 'm',
        dataSource: '',
        time: BigInt(i),
        fields: { v: 1n },
      })),
    );
    const e = await errorOf(
      raw.call(
        'PutTimeseriesData',
        encodeTimeseriesMessage('PutTimeseriesDataRequest', {
          table_name: T,
          rows_data: { type: 0, rows_data: tooMany, flatbuffer_crc32c: crc32cSigned(tooMany) },
          supported_table_version: 1n,
        }),
      ),
    );
    expect([e.code, e.httpStatus]).toEqual(['OTSParameterInvalid', 400]);
    expect(e.message).toContain(`${MAX_ROWS_PER_WRITE + 1} > ${MAX_ROWS_PER_WRITE}`);
  });

  it('accepts the old string tag form and answers meta in the form the request version expects', async () => {
    const rowsData = encodeFlatBufferRows([
      {
        measurement: 'legacy',
        dataSource: 'd',
        tags: '["b=2","a=1"]'.replace('"b=2","a=1"', '"a=1","b=2"'),
        time: 5n,
        fields: { v: 1.5 },
      },
    ]);
    await raw.call(
      'PutTimeseriesData',
      encodeTimeseriesMessage('PutTimeseriesDataRequest', {
        table_name: T,
        rows_data: { type: 0, rows_data: rowsData, flatbuffer_crc32c: crc32cSigned(rowsData) },
      }),
    );
    const page = await client.getTimeseriesData({
      tableName: T,
      key: key('legacy', 'd', { a: '1', b: '2' }),
      endTime: 10,
    });
    expect(page.rows.map((r) => r.fields)).toEqual([{ v: 1.5 }]);

    const query = (version: bigint | undefined) =>
      raw.call(
        'QueryTimeseriesMeta',
        encodeTimeseriesMessage('QueryTimeseriesMetaRequest', {
          table_name: T,
          condition: {
            type: 2,
            proto_data: encodeTimeseriesMessage('MetaQueryMeasurementCondition', { op: 1, value: 'legacy' }),
          },
          supported_table_version: version,
        }),
      );
    const v0 = decodeTimeseriesMessage('QueryTimeseriesMetaResponse', await query(undefined));
    expect(v0.timeseries_metas?.[0].time_series_key).toEqual({
      measurement: 'legacy',
      source: 'd',
      tags: '["a=1","b=2"]',
      tag_list: [],
    });
    const v1 = decodeTimeseriesMessage('QueryTimeseriesMetaResponse', await query(1n));
    expect(v1.timeseries_metas?.[0].time_series_key.tag_list).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
  });

  it('caps a page at 5000 points and pages through the rest', async () => {
    const series = key('bulk', 'b');
    for (let batch = 0; batch < 3; batch++) {
      const rows = Array.from({ length: 2000 }, (_, i) => ({
        key: series,
        time: BigInt(batch * 2000 + i),
        fields: { v: BigInt(batch * 2000 + i) },
      }));
      expect((await client.putTimeseriesData({ tableName: T, rows })).failedRows).toEqual([]);
    }
    const first = await client.getTimeseriesData({ tableName: T, key: series, endTime: 1_000_000, limit: 100_000 });
    expect(first.rows).toHaveLength(5000);
    expect(first.nextToken).toBeDefined();
    let n = 0;
    let expected = 0n;
    for await (const row of client.iterateTimeseriesData({ tableName: T, key: series, endTime: 1_000_000 })) {
      expect(row.time).toBe(expected++);
      n++;
    }
    expect(n).toBe(6000);
  });

  it('splits writes that exceed the request size into several requests, keeping row indexes', async () => {
    const series = key('big', 'b');
    const blob = 'x'.repeat(64 * 1024);
    const rows = Array.from({ length: 120 }, (_, i) => ({
      key: i === 77 ? key('bad#', 'b') : series,
      time: BigInt(i),
      fields: { payload: blob, i: BigInt(i) },
    })); // ~7.7 MB: above the 5 MB body limit of one request
    const retries: number[] = [];
    const credentials = async () => ({
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      source: 'test',
    });
    const unsplit = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      credentials,
      maxRequestBytes: 1e9,
    });
    expect((await errorOf(unsplit.putTimeseriesData({ tableName: T, rows }))).code).toBe('OTSRequestBodyTooLarge');
    unsplit.close();
    const counting = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      credentials,
      maxRequestBytes: 2 * 1024 * 1024,
      onRetry: (e) => retries.push(e.retry),
    });
    const res = await counting.putTimeseriesData({ tableName: T, rows });
    expect(res.failedRows.map((f) => f.index)).toEqual([77]);
    let n = 0;
    for await (const row of counting.iterateTimeseriesData({
      tableName: T,
      key: series,
      endTime: 1000,
      fieldsToGet: [{ name: 'i', type: 'long' }],
    })) {
      expect(row.fields.i).toBe(row.time);
      n++;
    }
    expect(n).toBe(119);
    expect(retries).toEqual([]);
    counting.close();
  });

  it('validates read requests', async () => {
    expect((await errorOf(client.getTimeseriesData({ tableName: T, key: cpu, beginTime: 5, endTime: 5 }))).code).toBe(
      'OTSParameterInvalid',
    );
    expect((await errorOf(client.getTimeseriesData({ tableName: T, key: key('', 'x'), endTime: 5 }))).code).toBe(
      'OTSParameterInvalid',
    );
    expect((await errorOf(client.getTimeseriesData({ tableName: 'nope', key: cpu, endTime: 5 }))).code).toBe(
      'OTSObjectNotExist',
    );
    const bogus = await errorOf(
      client.getTimeseriesData({ tableName: T, key: cpu, endTime: 5, nextToken: new Uint8Array([1, 2, 3]) }),
    );
    expect(bogus.code).toBe('OTSParameterInvalid');
    const cancelled = new AbortController();
    cancelled.abort();
    expect(
      (await errorOf(client.getTimeseriesData({ tableName: T, key: cpu }, { signal: cancelled.signal }))).code,
    ).toBe('OTSClientAborted');
  });

  it('supports custom key columns and field primary keys (several points at one time)', async () => {
    await client.createTimeseriesTable({
      tableName: 'ts_fieldpk',
      timeseriesKeySchema: ['host'],
      fieldPrimaryKeySchema: [{ name: 'seq', type: 'INTEGER' }],
    });
    const meta = await client.describeTimeseriesTable('ts_fieldpk');
    expect(meta.timeseriesKeySchema).toEqual(['host']);
    expect(meta.fieldPrimaryKeySchema).toEqual([{ name: 'seq', type: 'INTEGER' }]);
    const k = key('events', 'app', { host: 'h1' });
    const res = await client.putTimeseriesData({
      tableName: 'ts_fieldpk',
      rows: [
        { key: k, time: 5n, fields: { seq: 2n, msg: 'second' } },
        { key: k, time: 5n, fields: { seq: 1n, msg: 'first' } },
        { key: k, time: 5n, fields: { seq: 'x', msg: 'wrong type' } },
      ],
    });
    expect(res.failedRows.map((f) => f.index)).toEqual([2]);
    // A row without its field primary key fails the whole request (docs/protocol.md §9.2).
    const lacking = await errorOf(
      client.putTimeseriesData({
        tableName: 'ts_fieldpk',
        rows: [
          { key: k, time: 5n, fields: { seq: 3n, msg: 'third' } },
          { key: k, time: 5n, fields: { msg: 'no seq' } },
        ],
      }),
    );
    expect([lacking.code, lacking.message]).toEqual([
      'OTSParameterInvalid',
      'A row is missing primary key fields: seq.',
    ]);
    const page = await client.getTimeseriesData({ tableName: 'ts_fieldpk', key: k, endTime: 10 });
    expect(page.rows.map((r) => r.fields)).toEqual([
      { seq: 1n, msg: 'first' },
      { seq: 2n, msg: 'second' },
    ]);
    const pageOne = await client.getTimeseriesData({
      tableName: 'ts_fieldpk',
      key: k,
      endTime: 10,
      limit: 1,
      backward: true,
    });
    expect(pageOne.rows.map((r) => r.fields.seq)).toEqual([2n]);
    const rest = await client.getTimeseriesData({
      tableName: 'ts_fieldpk',
      key: k,
      endTime: 10,
      limit: 1,
      backward: true,
      nextToken: pageOne.nextToken,
    });
    expect(rest.rows.map((r) => r.fields.seq)).toEqual([1n]);
    await client.deleteTimeseriesTable('ts_fieldpk');
  });

  it('hides points older than the table TTL', async () => {
    await client.createTimeseriesTable({ tableName: 'ts_ttl', timeToLive: 86400 });
    const k = key('ttl', 'x');
    await client.putTimeseriesData({
      tableName: 'ts_ttl',
      rows: [
        { key: k, time: NOW_US - 2n * 86400n * 1_000_000n, fields: { v: 1n } },
        { key: k, time: NOW_US, fields: { v: 2n } },
      ],
    });
    const page = await client.getTimeseriesData({ tableName: 'ts_ttl', key: k });
    expect(page.rows.map((r) => r.fields.v)).toEqual([2n]);
    await client.deleteTimeseriesTable('ts_ttl');
  });

  it('returns every point exactly once, in order, in both directions, whatever the page size', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 0, maxLength: 120 }),
        fc.integer({ min: 1, max: 40 }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        fc.bigInt({ min: 0n, max: 1_000_001n }),
        async (times, limit, a, b) => {
          const series = key('page', `run-${run++}`, { p: 'x' });
          if (times.length) {
            await client.putTimeseriesData({
              tableName: T,
              rows: times.map((t) => ({ key: series, time: t, fields: { t } })),
            });
          }
          const [begin, end] = a < b ? [a, b] : [b, a + 1n];
          const want = times.filter((t) => t >= begin && t < end).sort((x, y) => (x < y ? -1 : 1));
          for (const backward of [false, true]) {
            const got: bigint[] = [];
            let pages = 0;
            for await (const page of client.getTimeseriesDataPages({
              tableName: T,
              key: series,
              beginTime: begin,
              endTime: end,
              limit,
              backward,
            })) {
              expect(page.rows.length).toBeLessThanOrEqual(limit);
              for (const r of page.rows) {
                expect(r.fields.t).toBe(r.time);
                got.push(r.time);
              }
              expect(++pages).toBeLessThan(200);
            }
            expect(got).toEqual(backward ? [...want].reverse() : want);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('scan', () => {
  const T = 'ts_scan';

  it('splits a table and scans every point of every series exactly once, with time and field filters', async () => {
    await client.createTimeseriesTable({ tableName: T });
    const series = Array.from({ length: 23 }, (_, i) => key(i % 3 === 0 ? 'disk' : 'cpu', `h${i}`, { i: String(i) }));
    const rows = series.flatMap((k, s) =>
      Array.from({ length: 17 }, (_, t) => ({
        key: k,
        time: BigInt(t * 10),
        fields: { v: BigInt(s * 100 + t), note: 'x' },
      })),
    );
    expect((await client.putTimeseriesData({ tableName: T, rows })).failedRows).toEqual([]);
    const id = (r: { key: TimeseriesKey; time: bigint }) => `${r.key.measurement}/${r.key.dataSource}/${r.time}`;

    const splits = await client.splitTimeseriesScanTask({ tableName: T, splitCountHint: 4 });
    expect(splits).toHaveLength(4);
    const seen: string[] = [];
    for (const splitInfo of splits) {
      for await (const r of client.iterateScanTimeseriesData({
        tableName: T,
        splitInfo,
        beginTime: 30,
        endTime: 120,
        limit: 7,
        fieldsToGet: [{ name: 'v', type: 'long' }],
      })) {
        expect(Object.keys(r.fields)).toEqual(['v']);
        seen.push(id(r));
      }
    }
    const expected = rows.filter((r) => r.time >= 30n && r.time < 120n).map(id);
    expect(seen.sort()).toEqual(expected.sort());

    const whole: string[] = [];
    for await (const r of client.iterateScanTimeseriesData({ tableName: T, limit: 50 })) whole.push(id(r));
    expect(whole).toHaveLength(rows.length);

    const disk = await client.splitTimeseriesScanTask({ tableName: T, measurement: 'disk', splitCountHint: 100 });
    expect(disk).toHaveLength(8); // one per series at most
    let diskPoints = 0;
    for (const splitInfo of disk)
      for await (const r of client.iterateScanTimeseriesData({ tableName: T, splitInfo })) {
        expect(r.key.measurement).toBe('disk');
        diskPoints++;
      }
    expect(diskPoints).toBe(8 * 17);

    await client.createTimeseriesTable({ tableName: 'ts_scan_other' });
    expect((await errorOf(client.scanTimeseriesData({ tableName: 'ts_scan_other', splitInfo: splits[0] }))).code).toBe(
      'OTSParameterInvalid',
    );
    await client.deleteTimeseriesTable('ts_scan_other');
    expect((await errorOf(client.splitTimeseriesScanTask({ tableName: T, splitCountHint: 0 }))).code).toBe(
      'OTSParameterInvalid',
    );
    await client.deleteTimeseriesTable(T);
  });
});

describe('meta', () => {
  const T = 'ts_meta';

  beforeAll(async () => {
    await client.createTimeseriesTable({ tableName: T });
  });

  it('creates meta on put with the update time in µs, updates attributes and deletes meta', async () => {
    const k = key('disk', 'h1', { dc: 'a' });
    const before = BigInt(Date.now()) * 1000n;
    const put = await client.putTimeseriesData({ tableName: T, rows: [{ key: k, time: 1n, fields: { used: 0.5 } }] });
    expect(put.metaUpdates.map((m) => m.index)).toEqual([0]);
    let { metas } = await client.queryTimeseriesMeta({ tableName: T, condition: measurement('=', 'disk') });
    expect(metas).toHaveLength(1);
    expect(metas[0].key).toEqual(k);
    expect(metas[0].attributes).toEqual({});
    expect(
      metas[0].updateTime >= before - 1_000_000n && metas[0].updateTime <= BigInt(Date.now()) * 1000n + 1_000_000n,
    ).toBe(true);
    expect(Number(put.metaUpdates[0].updateTimeSeconds)).toBe(Number(metas[0].updateTime / 1_000_000n));

    // a writer that already knows the meta time gets no meta update status back: the client remembers it…
    const again = await client.putTimeseriesData({ tableName: T, rows: [{ key: k, time: 2n, fields: { used: 0.6 } }] });
    expect(again.metaUpdates).toEqual([]);
    // …or the caller passes it explicitly; a client without the cache is told the time again
    const uncached = new TimeseriesClient({ transport: client.transport, metaCacheSize: 0 });
    const told = await uncached.putTimeseriesData({
      tableName: T,
      rows: [{ key: k, time: 2n, fields: { used: 0.6 } }],
    });
    expect(told.metaUpdates).toEqual(put.metaUpdates);
    const explicit = await uncached.putTimeseriesData({
      tableName: T,
      rows: [{ key: k, time: 2n, fields: { used: 0.6 }, metaCacheUpdateTime: put.metaUpdates[0].updateTimeSeconds }],
    });
    expect(explicit.metaUpdates).toEqual([]);

    const upd = await client.updateTimeseriesMeta({
      tableName: T,
      metas: [{ key: k, attributes: { owner: 'ops', tier: 'gold' } }],
    });
    expect(upd.failedRows).toEqual([]);
    ({ metas } = await client.queryTimeseriesMeta({ tableName: T, condition: attribute('owner', '=', 'ops') }));
    expect(metas.map((m) => [m.key, m.attributes])).toEqual([[k, { owner: 'ops', tier: 'gold' }]]);

    const del = await client.deleteTimeseriesMeta({ tableName: T, keys: [k] });
    expect(del.failedRows).toEqual([]);
    ({ metas } = await client.queryTimeseriesMeta({ tableName: T, condition: measurement('=', 'disk') }));
    expect(metas).toEqual([]);
    // the points stay
    expect((await client.getTimeseriesData({ tableName: T, key: k, endTime: 10 })).rows).toHaveLength(2);
  });

  it('reports invalid meta rows individually', async () => {
    const res = await client.updateTimeseriesMeta({
      tableName: T,
      metas: [
        { key: key('x#bad', 's'), attributes: { a: '1' } },
        { key: key('fine', 's'), attributes: { a: '1' } },
      ],
    });
    expect(res.failedRows.map((f) => f.index)).toEqual([0]);
    await expect(
      client.updateTimeseriesMeta({ tableName: T, metas: [{ key: key('fine', 's'), attributes: { 'bad=': '1' } }] }),
    ).rejects.toMatchObject({
      code: 'OTSParameterInvalid',
    });
  });

  it('refuses attribute updates when the table disallows them', async () => {
    await client.createTimeseriesTable({ tableName: 'ts_noattr', metaOptions: { allowUpdateAttributes: false } });
    const e = await errorOf(
      client.updateTimeseriesMeta({ tableName: 'ts_noattr', metas: [{ key: key('m', 's'), attributes: { a: '1' } }] }),
    );
    expect(e.code).toBe('OTSParameterInvalid');
    await client.deleteTimeseriesTable('ts_noattr');
  });

  it('matches a brute-force filter for random series and nested conditions, with total hit and pagination', async () => {
    const table = 'ts_meta_query';
    await client.createTimeseriesTable({ tableName: table });
    const letters = ['a', 'ab', 'b', 'ba', 'c'];
    const pick = fc.constantFrom(...letters);
    const seriesArb = fc.uniqueArray(
      fc.record({
        m: pick,
        s: pick,
        tags: fc.dictionary(fc.constantFrom('t1', 't2'), pick, { maxKeys: 2 }),
        attrs: fc.dictionary(fc.constantFrom('x', 'y'), pick, { maxKeys: 2 }),
      }),
      { minLength: 1, maxLength: 40, selector: (r) => JSON.stringify([r.m, r.s, Object.entries(r.tags).sort()]) },
    );
    const seriesList = fc.sample(seriesArb, { numRuns: 1, seed: 42 })[0];
    await client.putTimeseriesData({
      tableName: table,
      rows: seriesList.map((s) => ({ key: key(s.m, s.s, s.tags), time: 1n, fields: { v: 1n } })),
    });
    await client.updateTimeseriesMeta({
      tableName: table,
      metas: seriesList.map((s) => ({ key: key(s.m, s.s, s.tags), attributes: s.attrs })),
    });
    const all: TimeseriesMeta[] = [];
    for await (const m of client.iterateTimeseriesMeta({ tableName: table, limit: 7 })) all.push(m);
    expect(all).toHaveLength(seriesList.length);
    const midTime = [...all.map((m) => m.updateTime)].sort()[Math.floor(all.length / 2)];

    const op = fc.constantFrom<'=' | '>' | '>=' | '<' | '<=' | 'prefix'>('=', '>', '>=', '<', '<=', 'prefix');
    const leaf: fc.Arbitrary<MetaCondition> = fc.oneof(
      fc.tuple(op, pick).map(([o, v]) => measurement(o, v)),
      fc.tuple(op, pick).map(([o, v]) => source(o, v)),
      fc.tuple(fc.constantFrom('t1', 't2'), op, pick).map(([n, o, v]) => tag(n, o, v)),
      fc.tuple(fc.constantFrom('x', 'y'), op, pick).map(([n, o, v]) => attribute(n, o, v)),
      fc.constantFrom('=', '>', '>=', '<', '<=').map((o) => updateTime(o, midTime)),
    );
    const cond = fc.letrec<{ c: MetaCondition }>((tie) => ({
      c: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((cs) => and(...cs)),
        fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((cs) => or(...cs)),
        tie('c').map((c) => not(c)),
      ),
    })).c;

    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const test = (o: string, actual: string | undefined, v: string): boolean => {
      if (actual === undefined) return false;
      const c = cmp(actual, v);
      return o === 'prefix'
        ? actual.startsWith(v)
        : o === '='
          ? c === 0
          : o === '>'
            ? c > 0
            : o === '>='
              ? c >= 0
              : o === '<'
                ? c < 0
                : c <= 0;
    };
    const evaluate = (c: MetaCondition, m: TimeseriesMeta): boolean => {
      switch (c.kind) {
        case 'and':
          return c.conditions.every((x) => evaluate(x, m));
        case 'or':
          return c.conditions.some((x) => evaluate(x, m));
        case 'not':
          return !c.conditions.every((x) => evaluate(x, m));
        case 'measurement':
          return test(c.op, m.key.measurement, c.value);
        case 'source':
          return test(c.op, m.key.dataSource, c.value);
        case 'tag':
          return test(c.op, m.key.tags[c.name], c.value);
        case 'attribute':
          return test(c.op, m.attributes[c.name], c.value);
        case 'updateTime': {
          const d = m.updateTime < c.value ? -1 : m.updateTime > c.value ? 1 : 0;
          return c.op === '=' ? d === 0 : c.op === '>' ? d > 0 : c.op === '>=' ? d >= 0 : c.op === '<' ? d < 0 : d <= 0;
        }
      }
    };
    const id = (m: TimeseriesMeta) =>
      JSON.stringify([m.key.measurement, m.key.dataSource, Object.entries(m.key.tags).sort()]);

    await fc.assert(
      fc.asyncProperty(cond, fc.integer({ min: 1, max: 15 }), async (c, limit) => {
        const expected = all
          .filter((m) => evaluate(c, m))
          .map(id)
          .sort();
        const first = await client.queryTimeseriesMeta({ tableName: table, condition: c, getTotalHit: true, limit });
        expect(first.totalHit).toBe(expected.length);
        expect(first.metas.length).toBeLessThanOrEqual(limit);
        const got: string[] = [];
        for await (const m of client.iterateTimeseriesMeta({ tableName: table, condition: c, limit })) got.push(id(m));
        expect(got.sort()).toEqual(expected);
        expect(new Set(got).size).toBe(got.length);
      }),
      { numRuns: 60 },
    );
    await client.deleteTimeseriesTable(table);
  });

  it('parses attributes into records', () => {
    expect(parseTags('["a=1","b=x y"]')).toEqual({ a: '1', b: 'x y' });
  });
});

describe('auth', () => {
  it('authorizes every API on its table resource (ots:<ApiName>)', async () => {
    const asked: string[] = [];
    const identities: IdentityStore = {
      lookup: (id) =>
        id === 'ak-limited'
          ? {
              ok: true,
              secret: 'sk-limited',
              accountId: '1234',
              principal: 'limited',
              authorize: (r) => {
                asked.push(`${r.action} ${r.resources.join(',')}`);
                const denied =
                  r.action === 'ots:PutTimeseriesData' && r.resources.some((x) => x.endsWith('/table/locked'));
                return denied ? { allowed: false, reason: 'test policy' } : { allowed: true };
              },
            }
          : { ok: false, code: 'OTSAuthFailed', message: 'The AccessKeyID does not exist.', httpStatus: 403 },
    };
    const limitedLocal = await startLocal({ identities });
    const limited = new TimeseriesClient({
      endpoint: limitedLocal.endpoint,
      instance: limitedLocal.instance,
      credentials: async () => ({ accessKeyId: 'ak-limited', accessKeySecret: 'sk-limited', source: 'test' }),
      retry: { maxRetries: 0 },
    });
    try {
      await limited.createTimeseriesTable({ tableName: 'locked' });
      await limited.createTimeseriesTable({ tableName: 'open' });
      const rows = [{ key: key('m', 's'), time: 1n, fields: { v: 1n } }];
      await limited.putTimeseriesData({ tableName: 'open', rows });
      const e = await errorOf(limited.putTimeseriesData({ tableName: 'locked', rows }));
      expect([e.code, e.httpStatus]).toEqual(['OTSNoPermissionAccess', 403]);
      await limited.getTimeseriesData({ tableName: 'locked', key: key('m', 's') });
      await limited.listTimeseriesTables();
      expect(asked).toContain(
        `ots:PutTimeseriesData acs:ots:${limitedLocal.region}:1234:instance/${limitedLocal.instance}/table/locked`,
      );
      expect(asked.some((a) => a.startsWith('ots:GetTimeseriesData ') && a.endsWith('/table/locked'))).toBe(true);
      expect(asked.some((a) => a.startsWith('ots:ListTimeseriesTable '))).toBe(true);
      expect(asked.some((a) => a.startsWith('ots:CreateTimeseriesTable '))).toBe(true);
    } finally {
      limited.close();
      await limitedLocal.stop();
    }
  });

  it('rejects a wrong secret with OTSAuthFailed', async () => {
    const bad = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      credentials: async () => ({ accessKeyId: local.accessKeyId, accessKeySecret: 'wrong', source: 'test' }),
      retry: { maxRetries: 0 },
    });
    const e = await errorOf(bad.listTimeseriesTables());
    expect([e.code, e.httpStatus]).toEqual(['OTSAuthFailed', 403]);
    bad.close();
  });

  it('signs with V4 as well', async () => {
    const v4 = new TimeseriesClient({
      endpoint: local.endpoint,
      instance: local.instance,
      region: local.region,
      signatureVersion: 'v4',
      credentials: async () => ({
        accessKeyId: local.accessKeyId,
        accessKeySecret: local.accessKeySecret,
        source: 'test',
      }),
    });
    expect(Array.isArray(await v4.listTimeseriesTables())).toBe(true);
    v4.close();
  });
});
