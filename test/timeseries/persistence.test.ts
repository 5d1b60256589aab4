/** Time series tables, points and meta survive a Tablestore Local restart with --data-dir (LevelDB). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { attribute, TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

let dir: string | undefined;
let local: LocalTablestoreHandle | undefined;

afterAll(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function clientFor(l: LocalTablestoreHandle): TimeseriesClient {
  return new TimeseriesClient({
    endpoint: l.endpoint,
    instance: l.instance,
    credentials: async () => ({ accessKeyId: l.accessKeyId, accessKeySecret: l.accessKeySecret, source: 'test' }),
  });
}

it('keeps tables, points and meta across a restart', async () => {
  dir = await mkdtemp(join(tmpdir(), 'ts-local-'));
  const key = { measurement: 'temp', dataSource: 'sensor-1', tags: { room: 'a' } };
  local = await startLocal({ dataDir: dir });
  let client = clientFor(local);
  await client.createTimeseriesTable({ tableName: 'durable', timeToLive: 86400 * 365 * 10 });
  const rows = Array.from({ length: 300 }, (_, i) => ({
    key,
    time: BigInt(Date.now()) * 1000n - BigInt(i) * 1_000_000n,
    fields: { c: i / 10, n: BigInt(i) },
  }));
  expect((await client.putTimeseriesData({ tableName: 'durable', rows })).failedRows).toEqual([]);
  await client.updateTimeseriesMeta({ tableName: 'durable', metas: [{ key, attributes: { unit: 'celsius' } }] });
  client.close();
  await local.stop();

  local = await startLocal({ dataDir: dir });
  client = clientFor(local);
  expect((await client.describeTimeseriesTable('durable')).timeToLive).toBe(86400 * 365 * 10);
  let n = 0;
  for await (const row of client.iterateTimeseriesData({ tableName: 'durable', key, backward: true, limit: 64 })) {
    expect(row.fields.n).toBe(BigInt(n++));
  }
  expect(n).toBe(300);
  const { metas } = await client.queryTimeseriesMeta({
    tableName: 'durable',
    condition: attribute('unit', '=', 'celsius'),
  });
  expect(metas.map((m) => m.key)).toEqual([key]);
  client.close();
});
