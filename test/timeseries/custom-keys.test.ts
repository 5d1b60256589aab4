/**
 * Custom time series keys as the service treats them (docs/protocol.md §9.2): a `timeseries_key_schema` that
 * names reserved key columns is described back as given, and field primary keys come back as fields.
 * Mirrors the shape of the Java SDK's own suite for custom primary keys.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

let local: LocalTablestoreHandle;
let client: TimeseriesClient;

beforeAll(async () => {
  local = await startLocal();
  client = new TimeseriesClient({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      source: 'test',
    }),
  });
});

afterAll(async () => {
  client?.close();
  await local?.stop();
});

it('describes a key schema with reserved names back as given and serves rows keyed by it', async () => {
  await client.createTimeseriesTable({
    tableName: 'custom_pk',
    timeseriesKeySchema: ['_m_name', '_tags', 'region'],
    fieldPrimaryKeySchema: [
      { name: 'cores', type: 'INTEGER' },
      { name: 'frequency', type: 'STRING' },
    ],
  });
  const meta = await client.describeTimeseriesTable('custom_pk');
  expect(meta.timeseriesKeySchema).toEqual(['_m_name', '_tags', 'region']);
  expect(meta.fieldPrimaryKeySchema).toEqual([
    { name: 'cores', type: 'INTEGER' },
    { name: 'frequency', type: 'STRING' },
  ]);
  const listed = (await client.listTimeseriesTables()).find((t) => t.tableName === 'custom_pk');
  expect(listed?.timeseriesKeySchema).toEqual(['_m_name', '_tags', 'region']);

  const key = { measurement: 'cpu', dataSource: '', tags: { region: 'hangzhou', vendor: 'intel' } };
  const rows = Array.from({ length: 10 }, (_, i) => ({
    key,
    time: BigInt(1_000 + i),
    fields: { cores: 8n, frequency: `${i}GHz`, load1: 0.5 },
  }));
  expect((await client.putTimeseriesData({ tableName: 'custom_pk', rows })).failedRows).toEqual([]);
  const page = await client.getTimeseriesData({ tableName: 'custom_pk', key });
  expect(page.rows).toHaveLength(10);
  page.rows.forEach((r, i) => {
    expect(r.key).toEqual(key);
    expect(r.fields).toEqual({ cores: 8n, frequency: `${i}GHz`, load1: 0.5 });
  });
});

it('identifies a series by the table keys only: the data source of a table keyed without it is dropped', async () => {
  await client.createTimeseriesTable({ tableName: 'no_source', timeseriesKeySchema: ['_m_name', '_tags', 'region'] });
  const tags = { region: 'hangzhou', vendor: 'intel' };
  for (const dataSource of ['host-a', 'host-b']) {
    const put = await client.putTimeseriesData({
      tableName: 'no_source',
      rows: [{ key: { measurement: 'cpu', dataSource, tags }, time: 5n, fields: { from: dataSource } }],
    });
    expect(put.failedRows).toEqual([]);
  }
  // Both writes hit one series and one point: the second replaced the first.
  for (const dataSource of ['', 'host-a', 'anything']) {
    const page = await client.getTimeseriesData({
      tableName: 'no_source',
      key: { measurement: 'cpu', dataSource, tags },
    });
    expect(page.rows.map((r) => [r.key, r.time, r.fields])).toEqual([
      [{ measurement: 'cpu', dataSource: '', tags }, 5n, { from: 'host-b' }],
    ]);
  }
});

it('a table keyed without the measurement takes rows that have none', async () => {
  await client.createTimeseriesTable({ tableName: 'no_measurement', timeseriesKeySchema: ['_data_source', '_tags'] });
  const key = { measurement: '', dataSource: '_data_source', tags: { region: 'hangzhou', vendor: 'intel' } };
  const rows = Array.from({ length: 3 }, (_, i) => ({ key, time: BigInt(10 + i), fields: { load1: 0.5 } }));
  expect((await client.putTimeseriesData({ tableName: 'no_measurement', rows })).failedRows).toEqual([]);
  const page = await client.getTimeseriesData({ tableName: 'no_measurement', key });
  expect(page.rows.map((r) => [r.key, r.fields])).toEqual(rows.map(() => [key, { load1: 0.5 }]));
  // The default schema still refuses an empty measurement, row by row.
  await client.createTimeseriesTable({ tableName: 'default_keys' });
  const bad = await client.putTimeseriesData({ tableName: 'default_keys', rows });
  expect(bad.failedRows.map((f) => f.index)).toEqual([0, 1, 2]);
});

it('a table keyed by tags alone: field primary keys missing from a row fail the whole request', async () => {
  await client.createTimeseriesTable({
    tableName: 'tag_keys',
    timeseriesKeySchema: ['a', 'b'],
    fieldPrimaryKeySchema: [
      { name: 'gid', type: 'INTEGER' },
      { name: 'uid', type: 'INTEGER' },
    ],
  });
  const key = { measurement: '', dataSource: '', tags: { a: 'a1', b: 'b1' } };
  const good = { key, time: 1n, fields: { gid: 1n, uid: 2n, bool_field: true, double_field: 0.3 } };
  expect((await client.putTimeseriesData({ tableName: 'tag_keys', rows: [good] })).failedRows).toEqual([]);
  const lacking = { key, time: 2n, fields: { bool_field: true, double_field: 0.3 } };
  const err = await client.putTimeseriesData({ tableName: 'tag_keys', rows: [{ ...good, time: 3n }, lacking] }).then(
    () => undefined,
    (e: unknown) => e as { status?: number; code?: string; message: string },
  );
  expect(err?.code).toBe('OTSParameterInvalid');
  expect(err?.message).toContain('missing primary key fields');
  // Nothing of the refused request was written.
  const page = await client.getTimeseriesData({ tableName: 'tag_keys', key });
  expect(page.rows.map((r) => [r.time, r.fields])).toEqual([
    [1n, { gid: 1n, uid: 2n, bool_field: true, double_field: 0.3 }],
  ]);
  // Without `_tags` in the schema, a tag that is not a key fails its row.
  const stray = await client.putTimeseriesData({
    tableName: 'tag_keys',
    rows: [{ key: { ...key, tags: { a: 'a1', b: 'b1', c: 'c1' } }, time: 4n, fields: { gid: 1n, uid: 1n } }],
  });
  expect(stray.failedRows.map((f) => f.message)).toEqual(["tag 'c' is not a key of this table."]);
});
