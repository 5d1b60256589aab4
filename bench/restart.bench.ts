/**
 * Restart benchmark (`npm run bench -- restart`, or alone: `npx tsx bench/restart.bench.ts`): how long a
 * Tablestore Local started on an existing --data-dir takes to answer, when it holds a table of ROWS rows
 * with one search index (whose data is rebuilt from the rows at start-up, docs/protocol-search.md §6).
 *   1. Set-up (not measured): a server on a temporary data directory, a table with a 3-field search index,
 *      ROWS rows written through the store in batches of 10,000 (each one fsync'd batch), server stopped.
 *   2. A new server on the same directory: time until it listens, until the first Search (MatchAll with the
 *      total count, checked to be ROWS) and the first DescribeSearchIndex answer. The first open after the
 *      writes also replays LevelDB's log, as a real restart does.
 *   3. Loading the data directory alone, opened once more (LevelKvStore.open: every record into memory).
 *   4. The same index built in memory by CreateSearchIndex over the same rows, and the ratio of 3 to it
 *      (target <= 3).
 * ROWS defaults to 1,000,000 (RESTART_BENCH_ROWS overrides). Every loop is bounded by a count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelKvStore } from '../local/tablestore/persistence/level';
import { decodeSearch, encodeSearch } from '../local/tablestore/search/proto';
import { startTablestoreLocal, type TablestoreLocal } from '../local/tablestore/server';
import { createIndexRequest } from './search.bench';
import { createTable, leanClient, preload, type BenchFigure } from './tablestore-local.bench';

const KEY = { id: 'bench-key', secret: 'bench-secret' };
const ROWS = Number(process.env.RESTART_BENCH_ROWS ?? 1_000_000);

type Client = ReturnType<typeof leanClient>;

function clientOf(server: TablestoreLocal): Client {
  return leanClient(
    { endpoint: server.endpoint, instance: server.instance, accessKeyId: KEY.id, accessKeySecret: KEY.secret },
    2,
  );
}

const indexRequest = createIndexRequest('big');

const matchAllCount = encodeSearch('SearchRequest', {
  table_name: 'big',
  index_name: 'idx',
  search_query: encodeSearch('SearchQuery', { offset: 0, limit: 1, getTotalCount: true }),
});

async function totalHits(client: Client): Promise<number> {
  const res = decodeSearch<{ total_hits?: number | bigint }>(
    'SearchResponse',
    await client.call('Search', matchAllCount),
  );
  return Number(res.total_hits ?? -1);
}

/** A server with the table and its index, ROWS rows written (in memory when `dataDir` is undefined). */
async function populated(dataDir: string | undefined, indexFirst: boolean): Promise<TablestoreLocal> {
  const server = await startTablestoreLocal({ port: 0, accessKeys: [KEY], dataDir });
  const client = clientOf(server);
  try {
    await createTable(client, 'big');
    if (indexFirst) await client.call('CreateSearchIndex', indexRequest);
    await Promise.all(preload((w) => server.store.write(w), 'big', ROWS));
  } finally {
    client.close();
  }
  return server;
}

export async function runRestartBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const report = (f: BenchFigure) => {
    figures.push(f);
    log(`  ${f.name}: ${f.value} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
  };
  const dir = await mkdtemp(join(tmpdir(), 'ots-restart-bench-'));
  try {
    const t0 = performance.now();
    await (await populated(dir, true)).stop();
    log(`  (set-up: ${ROWS} rows written to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

    const s0 = performance.now();
    const server = await startTablestoreLocal({ port: 0, accessKeys: [KEY], dataDir: dir });
    const listeningMs = performance.now() - s0;
    const client = clientOf(server);
    let searchMs: number;
    let describeMs: number;
    try {
      const hits = await totalHits(client);
      searchMs = performance.now() - s0;
      if (hits !== ROWS) throw new Error(`after the restart Search counted ${hits} rows, not ${ROWS}`);
      await client.call(
        'DescribeSearchIndex',
        encodeSearch('IndexNameRequest', { table_name: 'big', index_name: 'idx' }),
      );
      describeMs = performance.now() - s0;
    } finally {
      client.close();
      await server.stop();
    }
    report({
      name: `Restart with --data-dir, ${ROWS} rows + 1 search index: listening`,
      value: Math.round(listeningMs),
      unit: 'ms',
    });
    report({
      name: 'Restart: first Search answered (MatchAll, total count)',
      value: Math.round(searchMs),
      unit: 'ms',
      note: `first DescribeSearchIndex at ${Math.round(describeMs)} ms`,
    });

    const l0 = performance.now();
    const store = await LevelKvStore.open(dir);
    const loadMs = performance.now() - l0;
    await store.close();
    report({
      name: `Data directory load alone, ${ROWS} rows (records into memory; second open)`,
      value: Math.round(loadMs),
      unit: 'ms',
    });

    const memory = await populated(undefined, false);
    const memClient = clientOf(memory);
    let buildMs: number;
    try {
      const b0 = performance.now();
      await memClient.call('CreateSearchIndex', indexRequest);
      buildMs = performance.now() - b0;
    } finally {
      memClient.close();
      await memory.stop();
    }
    report({ name: `In-memory index build, ${ROWS} rows (CreateSearchIndex)`, value: Math.round(buildMs), unit: 'ms' });
    report({
      name: 'Restart until first Search / in-memory index build (target <= 3)',
      value: Number((searchMs / buildMs).toFixed(2)),
      unit: 'x',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

// Run standalone: npx tsx bench/restart.bench.ts
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runRestartBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
