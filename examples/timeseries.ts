/**
 * Time series with our TypeScript client: create a table, write points for several series, read one series
 * back page by page, and find series by meta conditions.
 *
 *   # against a running Tablestore Local (npm run tablestore:local) or a real instance:
 *   TABLESTORE_ENDPOINT=http://127.0.0.1:8800 TABLESTORE_INSTANCE=local \
 *   TABLESTORE_ACCESS_KEY_ID=local-access-key-id TABLESTORE_ACCESS_KEY_SECRET=local-access-key-secret \
 *     npx tsx examples/timeseries.ts
 *
 *   # or with no TABLESTORE_ENDPOINT: starts an in-process Tablestore Local on a free port first
 *   npx tsx examples/timeseries.ts
 */
import { fromEnv } from '../lib/credentials/index';
import type { CredentialProvider } from '../lib/credentials/types';
import {
  and,
  attribute,
  measurement,
  tag,
  TablestoreError,
  TimeseriesClient,
  type TimeseriesKey,
} from '../lib/tablestore/timeseries/index';

export interface ExampleTarget {
  readonly endpoint: string;
  readonly instance: string;
  readonly credentials: CredentialProvider;
}

/** Runs the walkthrough; returns what it found so a test can check it. */
export async function runExample(target: ExampleTarget, log: (line: string) => void = console.log) {
  const client = new TimeseriesClient(target);
  const tableName = 'example_metrics';
  try {
    try {
      await client.createTimeseriesTable({ tableName, timeToLive: -1 });
      log(`created ${tableName}`);
    } catch (err) {
      if (!(err instanceof TablestoreError && err.code === 'OTSObjectAlreadyExist')) throw err;
      log(`${tableName} exists already`);
    }

    // Three hosts, 10 minutes of per-second CPU points each. Times are microseconds.
    const hosts: TimeseriesKey[] = ['web-1', 'web-2', 'db-1'].map((host) => ({
      measurement: 'cpu',
      dataSource: host,
      tags: { region: 'cn-hangzhou', role: host.startsWith('web') ? 'web' : 'db' },
    }));
    const start = BigInt(Date.UTC(2026, 0, 1)) * 1000n;
    const rows = hosts.flatMap((key, h) =>
      Array.from({ length: 600 }, (_, i) => ({
        key,
        time: start + BigInt(i) * 1_000_000n,
        fields: { usage: 0.2 + 0.1 * h + (i % 10) / 100, processes: BigInt(100 + i), healthy: i % 97 !== 0 },
      })),
    );
    for (let i = 0; i < rows.length; i += 500) {
      const { failedRows } = await client.putTimeseriesData({ tableName, rows: rows.slice(i, i + 500) });
      if (failedRows.length) throw new Error(`rows rejected: ${JSON.stringify(failedRows)}`);
    }
    log(`wrote ${rows.length} points for ${hosts.length} series`);

    // Read one series, newest first, 250 points per page.
    let pages = 0;
    let points = 0;
    for await (const page of client.getTimeseriesDataPages({
      tableName,
      key: hosts[0],
      beginTime: start,
      endTime: start + 600n * 1_000_000n,
      backward: true,
      limit: 250,
    })) {
      pages++;
      points += page.rows.length;
      if (pages === 1)
        log(
          `newest point of ${hosts[0].dataSource}: ${JSON.stringify(page.rows[0], (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
    }
    log(`read ${points} points of ${hosts[0].dataSource} in ${pages} pages`);

    // Attributes live in the series meta; conditions combine measurement, tags, attributes, update time.
    await client.updateTimeseriesMeta({ tableName, metas: [{ key: hosts[2], attributes: { owner: 'dba-team' } }] });
    const web = await client.queryTimeseriesMeta({
      tableName,
      condition: and(measurement('=', 'cpu'), tag('role', '=', 'web')),
      getTotalHit: true,
    });
    log(`web series: ${web.metas.map((m) => m.key.dataSource).join(', ')} (total ${web.totalHit})`);
    const owned = await client.queryTimeseriesMeta({ tableName, condition: attribute('owner', 'prefix', 'dba') });
    log(
      `series owned by dba*: ${owned.metas.map((m) => `${m.key.dataSource} ${JSON.stringify(m.attributes)}`).join(', ')}`,
    );

    return {
      points,
      pages,
      webSeries: web.metas.map((m) => m.key.dataSource),
      ownedSeries: owned.metas.map((m) => m.key.dataSource),
    };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const endpoint = process.env.TABLESTORE_ENDPOINT;
  if (endpoint) {
    await runExample({ endpoint, instance: process.env.TABLESTORE_INSTANCE ?? 'local', credentials: fromEnv() });
    return;
  }
  // No endpoint given: bring up Tablestore Local in this process for the demo.
  const { startTablestoreLocal, DEFAULT_ACCESS_KEY } = await import('../local/tablestore/server');
  const local = await startTablestoreLocal({ host: '127.0.0.1', port: 0 });
  console.log(`Tablestore Local on ${local.endpoint} (instance ${local.instance})`);
  try {
    await runExample({
      endpoint: local.endpoint,
      instance: local.instance,
      credentials: async () => ({
        accessKeyId: DEFAULT_ACCESS_KEY.id,
        accessKeySecret: DEFAULT_ACCESS_KEY.secret,
        source: 'example',
      }),
    });
  } finally {
    await local.stop();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof TablestoreError ? `${err.code}: ${err.message}` : err);
    process.exitCode = 1;
  });
}
