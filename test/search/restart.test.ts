/**
 * A restart with --data-dir rebuilds search indexes that answer exactly as before the restart
 * (docs/protocol-search.md §6). Differential over seeded random data: a few thousand rows with two search
 * indexes (one reading primary-key columns) and a global secondary index on the same table; rows with
 * several versions, unindexed columns, values of the wrong type for their field, overwrites and deletes in
 * the same batches. Before and after the restart: every document of each index (by row key: its field values
 * and time), the BM25 statistics, a set of Search answers (rows with all columns, total count, aggregations,
 * score order), and the secondary index's rows (which are persisted, not rebuilt).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import type { ColumnValue } from '../../lib/tablestore/protocol/plainbuffer';
import { SearchClient } from '../../lib/tablestore/search/client';
import { q, type Query } from '../../lib/tablestore/search/query';
import { WideTableClient } from '../../lib/tablestore/wide';
import { encodeKey } from '../../local/tablestore/handlers/wide/keys';
import { encodeStoredRow, type Column } from '../../local/tablestore/handlers/wide/row-codec';
import { dataSpace } from '../../local/tablestore/handlers/wide/table';
import type { KvWrite } from '../../local/tablestore/persistence/store';
import { exactSum } from '../../local/tablestore/search/aggregation';
import { findSearchEngine } from '../../local/tablestore/search/engine';
import { sdkClient, startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { asSearch } from './sdk';
import { prng } from '../../local/seed/data';

const TABLE = 'restart_t';
/** A secondary index needs a table keeping one version: a second table, same kind of rows. */
const SI_TABLE = 'restart_s';
const ROWS = 3000;
const WORDS = ['red', 'fox', 'dog', 'green', 'blue', 'quick', 'lazy', 'brown'];
const KEYWORDS = ['a', 'b', 'c', 'dd', 'e-f'];
const GROUPS = ['g0', 'g1', 'g2'];

let dir = '';
let local: LocalTablestoreHandle | undefined;

afterAll(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function connect(handle: LocalTablestoreHandle): SearchClient {
  const wide = new WideTableClient({
    endpoint: handle.endpoint,
    instance: handle.instance,
    region: handle.region,
    credentials: fromStatic({ accessKeyId: handle.accessKeyId, accessKeySecret: handle.accessKeySecret }),
  });
  return new SearchClient({ transport: wide.transport });
}

/** A document as the test expects it: row key, time, and field → values (TEXT as its text). */
interface ExpectedDoc {
  readonly key: string;
  readonly ts: number;
  readonly fields: Record<string, unknown[]>;
}

/**
 * Random rows written through the store's change feed (the path every write handler takes), in batches.
 * `expected` receives what each live row's document in `idx` must hold (newest versions only).
 */
function randomBatches(
  handle: LocalTablestoreHandle,
  table: string,
  maxVersions: number,
  rand: () => number,
  expected = new Map<string, ExpectedDoc>(),
): KvWrite[][] {
  const def = findSearchEngine(handle.server.store)!.tableDef(table)!;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const maybe = (p: number) => rand() < p;
  const batches: KvWrite[][] = [];
  let batch: KvWrite[] = [];
  const baseTs = 1_700_000_000_000;
  for (let i = 0; i < ROWS * 1.3; i++) {
    // Ids repeat (overwrites) and some writes delete.
    const id = Math.floor(rand() * ROWS);
    const key = encodeKey(def, [
      { name: 'id', value: BigInt(id) },
      { name: 'g', value: GROUPS[id % GROUPS.length] },
    ]);
    const keyString = key.toString('latin1');
    if (maybe(0.08)) {
      batch.push({ space: dataSpace(table), key });
      expected.delete(keyString);
    } else {
      const ts = baseTs + Math.floor(rand() * 1e6);
      const cell = (value: ColumnValue, versions = 1): Column => ({
        name: '',
        versions: Array.from({ length: Math.min(versions, maxVersions) }, (_, v) => ({
          ts: ts - v * 10,
          value: v === 0 ? value : 'older',
        })),
      });
      const columns: Column[] = [];
      const add = (name: string, c: Column) => columns.push({ ...c, name });
      if (maybe(0.8)) add('b', cell(maybe(0.5)));
      if (maybe(0.9)) add('d', cell(maybe(0.05) ? 'not a double' : Math.round(rand() * 1e4) / 100, maybe(0.3) ? 2 : 1));
      if (maybe(0.85)) add('k', cell(JSON.stringify(KEYWORDS.filter(() => maybe(0.4)))));
      if (maybe(0.9)) add('n', cell(BigInt(Math.floor(rand() * 200) - 50), maybe(0.3) ? 3 : 1));
      if (maybe(0.8)) {
        const words = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(WORDS));
        add('t', cell(words.join(' '), maybe(0.2) ? 2 : 1));
      }
      if (maybe(0.5)) add('z_unindexed', cell(`payload-${i}`));
      columns.sort((x, y) => (x.name < y.name ? -1 : 1));
      const fields: Record<string, unknown[]> = { id: [id], g: [GROUPS[id % GROUPS.length]] };
      for (const c of columns) {
        const v = c.versions[0].value;
        if (c.name === 'k') {
          const ks = JSON.parse(v as string) as string[];
          if (ks.length > 0) fields.k = ks;
        } else if (c.name === 'n' || c.name === 't' || c.name === 'b')
          fields[c.name] = [typeof v === 'bigint' ? Number(v) : v];
        else if (c.name === 'd' && typeof v === 'number') fields.d = [v];
      }
      expected.set(keyString, { key: keyString, ts: columns.length > 0 ? ts : ts - 5, fields });
      batch.push({ space: dataSpace(table), key, value: encodeStoredRow({ rowTs: ts - 5, columns }) });
    }
    if (batch.length === 100) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The documents of `idx` in key order, in the form of ExpectedDoc. */
function docsOf(handle: LocalTablestoreHandle): ExpectedDoc[] {
  const index = findSearchEngine(handle.server.store)!.get(TABLE, 'idx');
  return [...index.allDocs()]
    .sort((x, y) => (x.key < y.key ? -1 : 1))
    .map((d) => ({
      key: d.key,
      ts: d.ts,
      fields: Object.fromEntries(
        [...d.values].map(([f, vs]) => [f, vs.map((v) => (f === 't' ? (v as { text: string }).text : v))]),
      ),
    }));
}

/** Every document of an index by row key (ids may differ after a rebuild; what they hold may not). */
function snapshotIndexes(handle: LocalTablestoreHandle): unknown {
  const engine = findSearchEngine(handle.server.store)!;
  return engine.indexesOf(TABLE).map((index) => ({
    name: index.def.name,
    size: index.size,
    docs: [...index.allDocs()]
      .sort((x, y) => (x.key < y.key ? -1 : 1))
      .map((d) => ({
        key: d.key,
        ts: d.ts,
        values: [...d.values].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
        inexact: d.inexact ?? [],
      })),
    stats: index.def.fields.map((f) => [f.name, index.fieldStats(f.name)]),
    // What the SQL aggregate pushdown trusts: per field, the documents that do not hold the row's value.
    inexact: index.def.fields.map((f) => [f.name, index.inexactDocs(f.name)]),
  }));
}

const QUERIES: Query[] = [
  q.matchAll(),
  q.term('k', 'a'),
  q.terms('k', ['dd', 'e-f']),
  q.term('b', true),
  q.range('n', { gte: 10, lt: 60 }),
  q.range('d', { gt: 20.5 }),
  q.range('id', { lt: 500 }),
  q.term('g', 'g1'),
  q.match('t', 'red fox'),
  q.matchPhrase('t', 'quick brown'),
  q.prefix('k', 'd'),
  q.exists('d'),
  q.not(q.exists('t')),
  q.bool({ must: [q.term('k', 'b')], filter: [q.range('n', { gte: 0 })], mustNot: [q.term('b', false)] }),
];

/** On the second index (t, n): relevance order, so the rebuilt BM25 statistics must equal the kept ones. */
const SCORED: Query[] = [
  q.match('t', 'dog lazy'),
  q.match('t', 'red red fox', { operator: 'and' }),
  q.bool({ should: [q.match('t', 'quick'), q.range('n', { gte: 100 })], minimumShouldMatch: 1 }),
];

async function answers(search: SearchClient): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const query of QUERIES) {
    const r = await search.search(TABLE, 'idx', {
      query,
      limit: 100,
      trackTotalCount: true,
      columns: 'all',
      sort: [{ field: 'n', order: 'desc' }, { primaryKey: 'asc' }],
      aggregations: {
        sum: { sum: { field: 'n' } },
        avg: { avg: { field: 'd' } },
        count: { count: { field: 'k' } },
        distinct: { distinctCount: { field: 'k' } },
      },
    });
    out.push({ rows: r.rows, total: r.totalCount, aggs: r.aggregations, next: r.nextToken !== undefined });
  }
  for (const query of SCORED) {
    const r = await search.search(TABLE, 'idx2', {
      query,
      limit: 50,
      trackTotalCount: true,
      sort: [{ score: 'desc' }, { primaryKey: 'asc' }],
    });
    out.push({ rows: r.rows, total: r.totalCount });
  }
  return out;
}

function secondaryRows(handle: LocalTablestoreHandle): string[] {
  return [...handle.server.store.scan('wide-index/restart_by_k')].map(
    (r) => `${Buffer.from(r.key).toString('hex')}=${Buffer.from(r.value).toString('hex')}`,
  );
}

it('rebuilds search indexes at start-up that answer exactly as before (--data-dir, seeded random rows)', async () => {
  dir = await mkdtemp(join(tmpdir(), 'search-restart-'));
  local = await startLocal({ dataDir: dir });
  const sdk = asSearch(sdkClient(local));
  const table = (name: string, maxVersions: number, indexMetas: object[]) =>
    sdk.createTable({
      tableMeta: {
        tableName: name,
        primaryKey: [
          { name: 'id', type: 'INTEGER' },
          { name: 'g', type: 'STRING' },
        ],
        definedColumn: [{ name: 'k', type: 4 /* DCT_STRING */ }],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions },
      indexMetas,
    });
  await table(TABLE, 3, []);
  await table(SI_TABLE, 1, [{ name: 'restart_by_k', primaryKey: ['k'], definedColumn: [] }]);
  let search = connect(local);
  await search.createSearchIndex(TABLE, 'idx', {
    fields: [
      { name: 'id', type: 'LONG' },
      { name: 'g', type: 'KEYWORD' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 'd', type: 'DOUBLE' },
      { name: 'k', type: 'KEYWORD', array: true },
      { name: 'n', type: 'LONG' },
      { name: 't', type: 'TEXT' },
    ],
  });
  // Half the rows exist before the second index is created (built by CreateSearchIndex), half after.
  const rand = prng(20261202);
  const expected = new Map<string, ExpectedDoc>();
  const batches = randomBatches(local, TABLE, 3, rand, expected);
  for (const b of randomBatches(local, SI_TABLE, 1, rand)) await local.server.store.write(b);
  const half = Math.floor(batches.length / 2);
  for (const b of batches.slice(0, half)) await local.server.store.write(b);
  await search.createSearchIndex(TABLE, 'idx2', {
    fields: [
      { name: 't', type: 'TEXT' },
      { name: 'n', type: 'LONG' },
    ],
  });
  for (const b of batches.slice(half)) await local.server.store.write(b);

  // The shared row → document step is right (a restart differential alone cannot see a fault both share).
  const oracle = [...expected.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
  expect(docsOf(local)).toEqual(oracle);
  const indexesBefore = snapshotIndexes(local);
  // The counts equal a recount over the documents, and the data exercises them ('not a double' values of d).
  const idx = findSearchEngine(local.server.store)!.get(TABLE, 'idx');
  for (const f of idx.def.fields)
    expect(idx.inexactDocs(f.name), f.name).toBe([...idx.allDocs()].filter((d) => d.inexact?.includes(f.name)).length);
  expect(idx.inexactDocs('d')).toBeGreaterThan(0);
  const answersBefore = await answers(search);
  const secondaryBefore = secondaryRows(local);
  // The data is not degenerate: the indexes hold most rows, and queries match some rows but not all.
  expect(findSearchEngine(local.server.store)!.get(TABLE, 'idx').size).toBeGreaterThan(ROWS / 2);
  expect(secondaryBefore.length).toBeGreaterThan(ROWS / 4);
  const totals = (answersBefore as { total?: number }[]).map((a) => a.total ?? 0);
  expect(totals.filter((t) => t > 0 && t < totals[0]).length).toBeGreaterThan((QUERIES.length + SCORED.length) / 2);

  await local.stop();
  local = await startLocal({ dataDir: dir });
  search = connect(local);
  expect(docsOf(local)).toEqual(oracle);
  expect(snapshotIndexes(local)).toEqual(indexesBefore);
  expect(await answers(search)).toEqual(answersBefore);
  expect(secondaryRows(local)).toEqual(secondaryBefore);
}, 60_000);

it('sum and avg add doubles exactly, so the order documents are held in (a rebuild changes it) does not show', () => {
  expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6);
  expect([0.1, 0.2, 0.3].reduce((a, b) => a + b, 0)).not.toBe(0.6);
  expect(exactSum([1e100, 1, -1e100])).toBe(1);
  expect(exactSum([])).toBe(0);
  expect(exactSum([Infinity, 1])).toBe(Infinity);
  const rand = prng(7);
  for (let k = 0; k < 200; k++) {
    const xs = Array.from({ length: 50 }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 10));
    const shuffled = [...xs].sort(() => rand() - 0.5);
    expect(exactSum(shuffled)).toBe(exactSum(xs));
    expect(Math.abs(exactSum(xs) - xs.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
  }
});
