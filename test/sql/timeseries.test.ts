/**
 * Time series SQL over demo-like data (cpu/mem series on a few hosts, points every 10 minutes over three
 * hours): the points table in the single-value model, the `::meta` table, points per series and hourly
 * averages with time_bin, compared with the same figures computed from the written points.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkClient } from '../helpers/tablestore-local';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { formatTags } from '../../lib/tablestore/timeseries/tags';
import { sql } from './helpers';

let local: LocalTablestoreHandle;
let client: SdkClient;
let ts: TimeseriesClient;

const HOUR_US = 3_600_000_000n;
const START_US = ((BigInt(Date.now()) * 1000n) / HOUR_US - 5n) * HOUR_US; // an hour boundary, 5 hours ago
const HOSTS = ['host-1', 'host-2', 'host-3'];
const REGION: Record<string, string> = { 'host-1': 'cn-hangzhou', 'host-2': 'cn-hangzhou', 'host-3': 'cn-shanghai' };

interface Point {
  host: string;
  time: bigint;
  usage: number;
}
const points: Point[] = [];

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  ts = new TimeseriesClient({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      source: 'test',
    }),
  });
  await ts.createTimeseriesTable({ tableName: 'metrics' });
  const rows = [];
  for (const [h, host] of HOSTS.entries()) {
    // host-3 reports only for the first two hours
    for (let i = 0; i < (host === 'host-3' ? 12 : 18); i++) {
      const time = START_US + BigInt(i) * 600_000_000n;
      const usage = ((i * 7 + h * 13) % 50) + 0.25;
      points.push({ host, time, usage });
      rows.push({
        key: { measurement: 'cpu', dataSource: host, tags: { region: REGION[host] } },
        time,
        fields: { usage, count: BigInt(i), ok: i % 2 === 0, state: i % 3 ? 'up' : 'busy' },
      });
    }
    rows.push({
      key: { measurement: 'mem', dataSource: host, tags: { region: REGION[host] } },
      time: START_US,
      fields: { free: 1024n * BigInt(h + 1) },
    });
  }
  expect((await ts.putTimeseriesData({ tableName: 'metrics', rows })).failedRows).toEqual([]);
});
afterAll(async () => {
  ts?.close();
  await local?.stop();
});

it('maps the points (single-value model) and the series meta', async () => {
  const data = await sql(client, 'describe metrics');
  expect(data.rows.map((r) => r[0])).toEqual([
    '_m_name',
    '_data_source',
    '_tags',
    '_time',
    '_field_name',
    '_long_value',
    '_double_value',
    '_bool_value',
    '_string_value',
    '_binary_value',
  ]);
  const meta = await sql(client, 'describe `metrics::meta`');
  expect(meta.rows.map((r) => r[0])).toEqual(['_m_name', '_data_source', '_tags', '_attributes', '_meta_update_time']);

  const one = await sql(
    client,
    `select * from metrics where _m_name = 'cpu' and _data_source = 'host-1' and _tags = '${formatTags({ region: 'cn-hangzhou' })}' and _time = ${START_US + 600_000_000n}`,
  );
  expect(one.rows).toEqual([
    ['cpu', 'host-1', '["region=cn-hangzhou"]', START_US + 600_000_000n, 'count', 1n, null, null, null, null],
    ['cpu', 'host-1', '["region=cn-hangzhou"]', START_US + 600_000_000n, 'ok', null, null, false, null, null],
    ['cpu', 'host-1', '["region=cn-hangzhou"]', START_US + 600_000_000n, 'state', null, null, null, 'up', null],
    ['cpu', 'host-1', '["region=cn-hangzhou"]', START_US + 600_000_000n, 'usage', null, 7.25, null, null, null],
  ]);

  const series = await sql(
    client,
    "select _m_name, _data_source, tag_value_at(_tags, 'region') as region from `metrics::meta` order by _m_name, _data_source",
  );
  expect(series.rows).toEqual([...HOSTS.map((h) => ['cpu', h, REGION[h]]), ...HOSTS.map((h) => ['mem', h, REGION[h]])]);
  const updated = await sql(client, 'select min(_meta_update_time) from `metrics::meta`');
  expect(typeof updated.rows[0][0]).toBe('bigint');
});

it('counts points per series', async () => {
  const r = await sql(
    client,
    "select _data_source, count(*) as points from metrics where _m_name = 'cpu' and _field_name = 'usage' group by _data_source order by _data_source",
  );
  expect(r.rows).toEqual(HOSTS.map((h) => [h, BigInt(points.filter((p) => p.host === h).length)]));
  const regions = await sql(
    client,
    "select tag_value_at(_tags, 'region') as region, count(distinct _data_source) from metrics where _m_name = 'cpu' group by region order by region",
  );
  expect(regions.rows).toEqual([
    ['cn-hangzhou', 2n],
    ['cn-shanghai', 1n],
  ]);
});

it('computes hourly averages with time_bin', async () => {
  const r = await sql(
    client,
    "select _data_source, time_bin(_time, '1h') as hour, avg(_double_value) as avg_usage, max(_double_value) from metrics " +
      "where _m_name = 'cpu' and _field_name = 'usage' group by _data_source, hour order by _data_source, hour",
  );
  const expected = new Map<string, number[]>();
  for (const p of points) {
    const hour = new Date(Number(((p.time / HOUR_US) * HOUR_US) / 1000n)).toISOString().slice(0, 19).replace('T', ' ');
    const k = `${p.host}|${hour}`;
    expected.set(k, [...(expected.get(k) ?? []), p.usage]);
  }
  expect(r.rows).toEqual(
    [...expected.entries()].map(([k, vs]) => {
      const [host, hour] = k.split('|');
      return [host, hour, vs.reduce((a, b) => a + b, 0) / vs.length, Math.max(...vs)];
    }),
  );
  expect(r.rows).toHaveLength(3 + 3 + 2);
});

it('narrows time ranges and field filters like any key range', async () => {
  const from = START_US + HOUR_US;
  const r = await sql(
    client,
    `select _time, _long_value from metrics where _m_name = 'cpu' and _data_source = 'host-2' and _tags = '["region=cn-hangzhou"]' and _time >= ${from} and _time < ${from + HOUR_US} and _field_name = 'count' order by _time desc limit 2`,
  );
  expect(r.rows).toEqual([
    [from + 5n * 600_000_000n, 11n],
    [from + 4n * 600_000_000n, 10n],
  ]);
  const busy = await sql(
    client,
    "select count(*) from metrics where _field_name = 'state' and _string_value = 'busy' and _data_source = 'host-3'",
  );
  expect(busy.rows).toEqual([[4n]]);
  const mem = await sql(
    client,
    "select _data_source, _long_value from metrics where _m_name = 'mem' order by _long_value desc limit 1",
  );
  expect(mem.rows).toEqual([['host-3', 3072n]]);
});
