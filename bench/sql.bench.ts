/**
 * SQL benchmarks (`npm run bench -- sql`):
 *   1. `SELECT * … WHERE <first pk column> = …` (1,000 of 1M rows) vs the equivalent GetRange, both over
 *      HTTP with V2 signatures, interleaved rounds, medians side by side; target ratio SQL / GetRange <= 2
 *      (the planner turns the prefix into a key range, so neither scans the other 999,000 rows).
 *   2. A GROUP BY aggregate over 100k rows (the per-query scan limit): rows/s.
 *   3. A selective `SELECT * … WHERE indexed_col = …` (10 of 200k rows, past the scan limit) answered through
 *      a global secondary index vs a GetRange of the same 10 rows on the index table; ratio printed (the SQL
 *      side also reads the 10 base rows the index does not carry).
 * Rows are preloaded in-process through the KvStore with the handlers' own key and row codecs.
 */
import { ByteBuffer } from 'flatbuffers';
import { encodePrimaryKey, INF_MAX, INF_MIN } from '../lib/tablestore/protocol/plainbuffer';
import { decodeMessage, encodeMessage } from '../lib/tablestore/protocol/proto/wide';
import { encodeStoredRow } from '../local/tablestore/handlers/wide/row-codec';
import { encodeKey } from '../local/tablestore/handlers/wide/keys';
import type { WideTableDefinition } from '../local/tablestore/handlers/wide/table';
import { dataSpace } from '../local/tablestore/handlers/wide/table';
import type { KvWrite } from '../local/tablestore/persistence/store';
import { startTablestoreLocal } from '../local/tablestore/server';
import { leanClient, type BenchFigure } from './tablestore-local.bench';

const KEY = { id: 'bench-key', secret: 'bench-secret' };
const GROUPS = 1000;
const PER_GROUP = 1000;
const INDEXED_ROWS = 200_000;
const TAGS = 20_000;

const DEF: WideTableDefinition = {
  primaryKey: [
    { name: 'g', type: 2 },
    { name: 'n', type: 1 },
  ],
  definedColumns: [],
  options: { timeToLive: -1, maxVersions: 1, deviationCellVersionInSec: 86400, allowUpdate: true },
  reservedThroughput: { read: 0, write: 0, lastIncreaseTime: 0 },
};

const group = (i: number) => `g${String(i).padStart(4, '0')}`;

function preload(write: (w: KvWrite[]) => void, table: string, groups: number): void {
  const space = dataSpace(table);
  const ts = Date.now();
  let batch: KvWrite[] = [];
  for (let g = 0; g < groups; g++) {
    for (let n = 0; n < PER_GROUP; n++) {
      const key = encodeKey(DEF, [
        { name: 'g', value: group(g) },
        { name: 'n', value: BigInt(n) },
      ]);
      const value = encodeStoredRow({
        rowTs: ts,
        columns: [
          { name: 'name', versions: [{ ts, value: `user-${n}` }] },
          { name: 'ratio', versions: [{ ts, value: n / 7 }] },
          { name: 'score', versions: [{ ts, value: BigInt(n % 1000) }] },
        ],
      });
      batch.push({ space, key, value });
      if (batch.length === 10_000) {
        write(batch);
        batch = [];
      }
    }
  }
  if (batch.length) write(batch);
}

/** row_count of an SQL_FLAT_BUFFERS payload (SQLResponseColumns field 1). */
function rowCount(rows: Uint8Array): bigint {
  const bb = new ByteBuffer(rows);
  const root = bb.readInt32(bb.position()) + bb.position();
  const o = bb.__offset(root, 6);
  return o ? bb.readInt64(root + o) : 0n;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runSqlBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const report = (f: BenchFigure) => {
    figures.push(f);
    log(`  ${f.name}: ${f.value} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  };
  const server = await startTablestoreLocal({ port: 0, accessKeys: [KEY] });
  const client = leanClient(
    { endpoint: server.endpoint, instance: server.instance, accessKeyId: KEY.id, accessKeySecret: KEY.secret },
    1,
  );
  try {
    for (const t of ['sql1m', 'sql100k']) {
      await client.call(
        'CreateTable',
        encodeMessage('CreateTableRequest', {
          table_meta: {
            table_name: t,
            primary_key: [
              { name: 'g', type: 2 },
              { name: 'n', type: 1 },
            ],
          },
          reserved_throughput: { capacity_unit: { read: 0, write: 0 } },
          table_options: { time_to_live: -1, max_versions: 1 },
        }),
      );
    }
    const store = server.store as { write(w: KvWrite[]): Promise<void> };
    const t0 = performance.now();
    preload((w) => void store.write(w), 'sql1m', GROUPS);
    preload((w) => void store.write(w), 'sql100k', 100);
    log(`  (preloaded 1.1M rows in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const sql = async (query: string) =>
      decodeMessage(
        'SQLQueryResponse',
        await client.call('SQLQuery', encodeMessage('SQLQueryRequest', { query, version: 2 })),
      );
    for (const t of ['sql1m', 'sql100k'])
      await sql(
        `CREATE TABLE ${t} (g VARCHAR(1024), n BIGINT, name MEDIUMTEXT, ratio DOUBLE, score BIGINT, PRIMARY KEY(g, n))`,
      );

    const viaSql = async (g: string) => {
      const start = performance.now();
      const res = await sql(`SELECT * FROM sql1m WHERE g = '${g}'`);
      const ms = performance.now() - start;
      if (rowCount(res.rows!) !== BigInt(PER_GROUP))
        throw new Error('bench self-check failed: SQL returned the wrong row count');
      return ms;
    };
    const viaRange = async (g: string) => {
      const body = encodeMessage('GetRangeRequest', {
        table_name: 'sql1m',
        direction: 0,
        max_versions: 1,
        limit: PER_GROUP,
        inclusive_start_primary_key: encodePrimaryKey([
          { name: 'g', value: g },
          { name: 'n', value: INF_MIN },
        ]),
        exclusive_end_primary_key: encodePrimaryKey([
          { name: 'g', value: g },
          { name: 'n', value: INF_MAX },
        ]),
      });
      const start = performance.now();
      const res = decodeMessage('GetRangeResponse', await client.call('GetRange', body));
      const ms = performance.now() - start;
      if (res.next_start_primary_key || res.rows.length === 0)
        throw new Error('bench self-check failed: GetRange did not return the whole group');
      return ms;
    };
    const pick = () => group(Math.floor(Math.random() * GROUPS));
    for (let i = 0; i < 20; i++) {
      await viaSql(pick());
      await viaRange(pick());
    }
    const sqlMs: number[] = [];
    const rangeMs: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 15; i++) sqlMs.push(await viaSql(pick()));
      for (let i = 0; i < 15; i++) rangeMs.push(await viaRange(pick()));
    }
    const s = median(sqlMs);
    const r = median(rangeMs);
    report({
      name: `SELECT * WHERE g = … (${PER_GROUP} of 1M rows) p50`,
      value: Math.round(s * 1000) / 1000,
      unit: 'ms',
      note: `${sqlMs.length} samples`,
    });
    report({
      name: `GetRange of the same ${PER_GROUP} rows p50`,
      value: Math.round(r * 1000) / 1000,
      unit: 'ms',
      note: `${rangeMs.length} samples`,
    });
    report({ name: 'SQL / GetRange p50 ratio (target <= 2)', value: Math.round((s / r) * 100) / 100, unit: 'x' });

    const aggregate =
      'SELECT score % 10 AS bucket, COUNT(*), SUM(score), AVG(ratio), MIN(name), MAX(n) FROM sql100k GROUP BY bucket ORDER BY bucket';
    const check = await sql(aggregate);
    if (rowCount(check.rows!) !== 10n) throw new Error('bench self-check failed: aggregate should give 10 buckets');
    const aggMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      await sql(aggregate);
      aggMs.push(performance.now() - start);
    }
    const a = median(aggMs);
    report({
      name: 'GROUP BY aggregate over 100k rows p50',
      value: Math.round(a),
      unit: 'ms',
      note: `${aggMs.length} samples`,
    });
    report({ name: 'GROUP BY aggregate throughput', value: Math.round(100_000 / (a / 1000)), unit: 'rows/s' });

    // 3. Secondary index: 200k rows, `tag` = i % 20,000 (10 rows per value), a global index on it.
    await client.call(
      'CreateTable',
      encodeMessage('CreateTableRequest', {
        table_meta: {
          table_name: 'sqlidx',
          primary_key: [{ name: 'id', type: 1 }],
          defined_column: [{ name: 'tag', type: 1 }],
        },
        reserved_throughput: { capacity_unit: { read: 0, write: 0 } },
        table_options: { time_to_live: -1, max_versions: 1 },
        index_metas: [
          { name: 'sqlidx_by_tag', primary_key: ['tag'], defined_column: [], index_update_mode: 0, index_type: 0 },
        ],
      }),
    );
    const idxDef = { ...DEF, primaryKey: [{ name: 'id', type: 1 }] } as WideTableDefinition;
    const ts = Date.now();
    let batch: KvWrite[] = [];
    for (let i = 0; i < INDEXED_ROWS; i++) {
      batch.push({
        space: dataSpace('sqlidx'),
        key: encodeKey(idxDef, [{ name: 'id', value: BigInt(i) }]),
        value: encodeStoredRow({
          rowTs: ts,
          columns: [
            { name: 'name', versions: [{ ts, value: `user-${i}` }] },
            { name: 'tag', versions: [{ ts, value: BigInt(i % TAGS) }] },
          ],
        }),
      });
      if (batch.length === 10_000) {
        await store.write(batch);
        batch = [];
      }
    }
    await store.write(batch);
    const tag = () => BigInt(Math.floor(Math.random() * TAGS));
    const viaIndexSql = async (t: bigint) => {
      const start = performance.now();
      const res = await sql(`SELECT * FROM sqlidx WHERE tag = ${t}`);
      const ms = performance.now() - start;
      if (rowCount(res.rows!) !== BigInt(INDEXED_ROWS / TAGS))
        throw new Error('bench self-check failed: the indexed SELECT returned the wrong row count');
      return ms;
    };
    const viaIndexRange = async (t: bigint) => {
      const body = encodeMessage('GetRangeRequest', {
        table_name: 'sqlidx_by_tag',
        direction: 0,
        max_versions: 1,
        inclusive_start_primary_key: encodePrimaryKey([
          { name: 'tag', value: t },
          { name: 'id', value: INF_MIN },
        ]),
        exclusive_end_primary_key: encodePrimaryKey([
          { name: 'tag', value: t },
          { name: 'id', value: INF_MAX },
        ]),
      });
      const start = performance.now();
      const res = decodeMessage('GetRangeResponse', await client.call('GetRange', body));
      const ms = performance.now() - start;
      if (res.next_start_primary_key || res.rows.length === 0)
        throw new Error('bench self-check failed: the index GetRange did not return the rows');
      return ms;
    };
    for (let i = 0; i < 20; i++) {
      await viaIndexSql(tag());
      await viaIndexRange(tag());
    }
    // The fixed cost of any SQL statement (parse, plan, flatbuffer): a primary-key point SELECT on the same table.
    const viaPoint = async (t: bigint) => {
      const start = performance.now();
      const res = await sql(`SELECT * FROM sqlidx WHERE id = ${t}`);
      const ms = performance.now() - start;
      if (rowCount(res.rows!) !== 1n) throw new Error('bench self-check failed: the point SELECT missed its row');
      return ms;
    };
    const idxSqlMs: number[] = [];
    const idxRangeMs: number[] = [];
    const pointMs: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 15; i++) idxSqlMs.push(await viaIndexSql(tag()));
      for (let i = 0; i < 15; i++) idxRangeMs.push(await viaIndexRange(tag()));
      for (let i = 0; i < 15; i++) pointMs.push(await viaPoint(tag()));
    }
    const is = median(idxSqlMs);
    const ir = median(idxRangeMs);
    const per = INDEXED_ROWS / TAGS;
    report({
      name: `SELECT * WHERE indexed_col = … (${per} of ${INDEXED_ROWS / 1000}k rows, via the secondary index) p50`,
      value: Math.round(is * 1000) / 1000,
      unit: 'ms',
      note: `${idxSqlMs.length} samples`,
    });
    report({
      name: `GetRange of the same ${per} rows on the index table p50`,
      value: Math.round(ir * 1000) / 1000,
      unit: 'ms',
      note: `${idxRangeMs.length} samples`,
    });
    report({ name: 'indexed SQL / index GetRange p50 ratio', value: Math.round((is / ir) * 100) / 100, unit: 'x' });
    report({
      name: 'SELECT * WHERE id = … (primary key, 1 row; the fixed cost of a statement) p50',
      value: Math.round(median(pointMs) * 1000) / 1000,
      unit: 'ms',
      note: `${pointMs.length} samples`,
    });
  } finally {
    client.close();
    await server.stop();
  }
  return figures;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runSqlBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
