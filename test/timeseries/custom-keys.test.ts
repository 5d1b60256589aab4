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
