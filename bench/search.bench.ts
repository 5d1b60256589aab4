/**
 * Search-index benchmarks (`npm run bench -- search`, or alone: `npx tsx bench/search.bench.ts`):
 *   1. Selective Search (Term, Range, Bool; <= 10 matches) p50 over a 1M-row index vs GetRow p50 on the same
 *      table, in interleaved rounds over real HTTP (target: ratio <= 2). The rows are preloaded in-process
 *      through the KvStore (same codecs the handlers use); the index is then built by CreateSearchIndex.
 *   2. Memory per indexed row (heap + external after GC, before vs after building the index).
 *   3. PutRow p50 on a table with one search index vs an identical table without, interleaved (target <= 1.5).
 *   4. SQL GROUP BY with aggregates over all the indexed rows, answered from the index's documents (the
 *      aggregate pushdown; a table read would stop at the scan limit): p50 of 5 and rows/s.
 * Every loop is bounded by a count.
 */
import { encodeColumnValue, encodePrimaryKey, encodeRow } from '../lib/tablestore/protocol/plainbuffer';
import { encodeMessage } from '../lib/tablestore/protocol/proto/wide';
import { encodeSearch } from '../local/tablestore/search/proto';
import { startTablestoreLocal } from '../local/tablestore/server';
import {
  createTable,
  gc,
  leanClient,
  memoryBytes,
  percentile,
  preload,
  type BenchFigure,
} from './tablestore-local.bench';

const KEY = { id: 'bench-key', secret: 'bench-secret' };
const ROWS = Number(process.env.SEARCH_BENCH_ROWS ?? 1_000_000);
const ROUNDS = 10;
const PER_ROUND = 100;

type Client = ReturnType<typeof leanClient>;

/** CreateSearchIndex of the benches' `idx`: name KEYWORD, ratio DOUBLE, score LONG (also bench/restart.bench.ts). */
export function createIndexRequest(table: string): Uint8Array {
  return encodeSearch('CreateSearchIndexRequest', {
    table_name: table,
    index_name: 'idx',
    schema: {
      field_schemas: [
        { field_name: 'name', field_type: 4, index: true, doc_values: true },
        { field_name: 'ratio', field_type: 2, index: true, doc_values: true },
        { field_name: 'score', field_type: 1, index: true, doc_values: true },
      ],
    },
  });
}

async function createIndex(client: Client, table: string): Promise<void> {
  await client.call('CreateSearchIndex', createIndexRequest(table));
}

const query = (type: number, msg: string, body: object) => ({ type, query: encodeSearch(msg, body) });

function searchBody(table: string, q: { type: number; query: Uint8Array }): Uint8Array {
  return encodeSearch('SearchRequest', {
    table_name: table,
    index_name: 'idx',
    columns_to_get: { return_type: 3 },
    search_query: encodeSearch('SearchQuery', { offset: 0, limit: 10, query: q, getTotalCount: true }),
  });
}

function selectiveQueries(rows: number): Record<string, () => { type: number; query: Uint8Array }> {
  const pick = () => Math.floor(Math.random() * (rows - 20));
  return {
    'Term (1 match)': () =>
      query(3, 'TermQuery', {
        field_name: 'name',
        term: encodeColumnValue(`user-${pick().toString().padStart(8, '0')}`),
      }),
    'Range (10 matches)': () => {
      const i = pick();
      return query(4, 'RangeQuery', {
        field_name: 'ratio',
        range_from: encodeColumnValue(i / 7),
        range_to: encodeColumnValue((i + 10) / 7),
        include_lower: true,
        include_upper: false,
      });
    },
    'Bool must Range + filter Term (1 match)': () => {
      const i = pick();
      return query(6, 'BoolQuery', {
        must_queries: [
          query(4, 'RangeQuery', {
            field_name: 'ratio',
            range_from: encodeColumnValue(i / 7),
            range_to: encodeColumnValue((i + 10) / 7),
            include_lower: true,
          }),
        ],
        filter_queries: [query(3, 'TermQuery', { field_name: 'score', term: encodeColumnValue(BigInt(i % 1000)) })],
      });
    },
  };
}

async function timed(op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
}

export async function runSearchBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const report = (f: BenchFigure) => {
    figures.push(f);
    log(`  ${f.name}: ${f.value} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
  };
  const server = await startTablestoreLocal({ port: 0, accessKeys: [KEY] });
  const client = leanClient(
    { endpoint: server.endpoint, instance: server.instance, accessKeyId: KEY.id, accessKeySecret: KEY.secret },
    4,
  );
  try {
    // 1 + 2: selective queries over ROWS indexed rows; memory per indexed row.
    await createTable(client, 'big');
    await Promise.all(preload((w) => server.store.write(w), 'big', ROWS));
    gc();
    const before = memoryBytes();
    const t0 = performance.now();
    await createIndex(client, 'big');
    const buildMs = performance.now() - t0;
    gc();
    const perRow = (memoryBytes() - before) / ROWS;
    report({ name: `Index build over ${ROWS} rows (CreateSearchIndex)`, value: Math.round(buildMs), unit: 'ms' });
    report({
      name: 'Memory per indexed row (3 fields: KEYWORD, DOUBLE, LONG)',
      value: Math.round(perRow),
      unit: 'bytes',
    });

    const getRow = () => {
      const id = BigInt(Math.floor(Math.random() * ROWS));
      return client.call(
        'GetRow',
        encodeMessage('GetRowRequest', {
          table_name: 'big',
          primary_key: encodePrimaryKey([{ name: 'id', value: id }]),
          max_versions: 1,
        }),
      );
    };
    const queries = selectiveQueries(ROWS);
    const samples: Record<string, number[]> = { GetRow: [] };
    for (const name of Object.keys(queries)) samples[name] = [];
    for (let i = 0; i < 50; i++) await getRow(); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        samples.GetRow.push(await timed(getRow));
        for (const [name, make] of Object.entries(queries))
          samples[name].push(await timed(() => client.call('Search', searchBody('big', make()))));
      }
    }
    const p50 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const base = p50(samples.GetRow);
    report({ name: `GetRow p50 (${ROWS} rows)`, value: Number(base.toFixed(3)), unit: 'ms' });
    for (const name of Object.keys(queries)) {
      const v = p50(samples[name]);
      report({
        name: `Search ${name} p50 / GetRow p50 (target <= 2)`,
        value: Number((v / base).toFixed(2)),
        unit: 'x',
        note: `${v.toFixed(3)} ms`,
      });
    }

    // 4: SQL GROUP BY + aggregates over every indexed row, answered from the index's documents (aggregate
    // pushdown, docs/protocol-sql.md §7.1): a table read would stop at the 100,000-row scan limit.
    const sql = (q: string) => client.call('SQLQuery', encodeMessage('SQLQueryRequest', { query: q, version: 2 }));
    await sql('CREATE TABLE big (id BIGINT, name MEDIUMTEXT, ratio DOUBLE, score BIGINT, PRIMARY KEY(id))');
    const groupBy = 'SELECT score, COUNT(*), AVG(ratio), MAX(name) FROM big GROUP BY score ORDER BY score LIMIT 5';
    const groupMs: number[] = [];
    for (let i = 0; i < 5; i++) groupMs.push(await timed(() => sql(groupBy)));
    const groupP50 = p50(groupMs);
    report({
      name: `SQL GROUP BY over ${ROWS} search-indexed rows (aggregate pushdown) p50`,
      value: Math.round(groupP50),
      unit: 'ms',
      note: `${Math.round(ROWS / (groupP50 / 1000))} rows/s`,
    });

    // 3: PutRow with and without one search index, interleaved.
    await createTable(client, 'plain');
    await createTable(client, 'indexed');
    await createIndex(client, 'indexed');
    const put = (table: string, i: number) =>
      client.call(
        'PutRow',
        encodeMessage('PutRowRequest', {
          table_name: table,
          row: encodeRow({
            primaryKey: [{ name: 'id', value: BigInt(i) }],
            attributes: [
              { name: 'name', value: `user-${i}` },
              { name: 'ratio', value: i / 3 },
              { name: 'score', value: BigInt(i % 100) },
            ],
          }),
          condition: { row_existence: 0 },
        }),
      );
    const plain: number[] = [];
    const indexed: number[] = [];
    for (let i = 0; i < 200; i++) await put('plain', i);
    for (let i = 0; i < 200; i++) await put('indexed', i);
    let n = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND * 2; i++, n++) {
        plain.push(await timed(() => put('plain', n)));
        indexed.push(await timed(() => put('indexed', n)));
      }
    }
    const pp = p50(plain);
    const pi = p50(indexed);
    report({
      name: 'PutRow p50 without / with one search index',
      value: Number(pp.toFixed(3)),
      unit: 'ms',
      note: `${pi.toFixed(3)} ms with the index`,
    });
    report({
      name: 'PutRow p50 with one search index / without (target <= 1.5)',
      value: Number((pi / pp).toFixed(2)),
      unit: 'x',
    });
  } finally {
    client.close();
    await server.stop();
  }
  return figures;
}

// Run standalone: npx tsx bench/search.bench.ts
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runSearchBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
