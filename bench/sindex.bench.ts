/**
 * Secondary-index benchmarks (`npm run bench -- sindex`), against an in-memory Tablestore Local over real HTTP
 * with V2 signatures:
 *   1. PutRow p50 on a table with one global secondary index and one search index vs a table without indexes,
 *      in interleaved rounds, ratio side by side (target <= 1.5).
 *   2. GetRange p50 (100-row pages) on a secondary index vs on its base table, ratio printed.
 * Tables and indexes are set up with the official SDK; the timed requests are raw signed calls. Every loop is
 * bounded by a count.
 */
import { encodeRow, INF_MAX, INF_MIN, type PrimaryKeyCell } from '../lib/tablestore/protocol/plainbuffer';
import { encodeMessage } from '../lib/tablestore/protocol/proto/wide';
import { sdkClient, startLocal, TableStore } from '../test/helpers/tablestore-local';
import { rawCall } from '../test/helpers/ots-raw';
import type { BenchFigure } from './tablestore-local.bench';

const ROUNDS = 7;
const PUTS_PER_ROUND = 300;
const PRELOAD_ROWS = 10_000;
const RANGE_SAMPLES = 200;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function runSecondaryIndexBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const local = await startLocal();
  try {
    const client = sdkClient(local) as ReturnType<typeof sdkClient> & {
      createSearchIndex(p: object): Promise<unknown>;
    };
    const table = (name: string, indexMetas?: object[]) =>
      client.createTable({
        tableMeta: {
          tableName: name,
          primaryKey: [{ name: 'id', type: 'INTEGER' }],
          definedColumn: [
            { name: 'email', type: 4 },
            { name: 'score', type: 1 },
          ],
        },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
        ...(indexMetas ? { indexMetas } : {}),
      });
    await table('plain');
    await table('indexed', [{ name: 'indexed_by_email', primaryKey: ['email'], definedColumn: ['score'] }]);
    await client.createSearchIndex({
      tableName: 'indexed',
      indexName: 'indexed_search',
      schema: {
        fieldSchemas: [
          // Search field types: KEYWORD = 4, LONG = 1.
          { fieldName: 'email', fieldType: 4, index: true, enableSortAndAgg: true },
          { fieldName: 'score', fieldType: 1, index: true, enableSortAndAgg: true },
        ],
      },
    });

    const putBody = (tableName: string, id: number) => {
      const primaryKey: PrimaryKeyCell[] = [{ name: 'id', value: BigInt(id) }];
      const row = encodeRow({
        primaryKey,
        attributes: [
          { name: 'email', value: `user${(id * 7919) % 1_000_003}@example.com` },
          { name: 'score', value: BigInt(id % 1000) },
        ],
      });
      return encodeMessage('PutRowRequest', { table_name: tableName, row, condition: { row_existence: 0 } });
    };
    const timed = async (api: string, body: Uint8Array): Promise<number> => {
      const t0 = performance.now();
      const res = await rawCall(local, api, body);
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${api} -> HTTP ${res.status}: ${res.body.toString()}`);
      return ms;
    };

    // 1. PutRow with vs without indexes, interleaved rounds (alternating which table goes first).
    let nextId = 0;
    const plainP50: number[] = [];
    const indexedP50: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['plain', 'indexed'] : ['indexed', 'plain'];
      for (const name of order) {
        const samples: number[] = [];
        for (let i = 0; i < PUTS_PER_ROUND; i++) samples.push(await timed('PutRow', putBody(name, nextId++)));
        (name === 'plain' ? plainP50 : indexedP50).push(median(samples));
      }
    }
    const putPlain = median(plainP50);
    const putIndexed = median(indexedP50);
    const putRatio = putIndexed / putPlain;
    log(
      `  PutRow p50: no index ${putPlain.toFixed(3)} ms | 1 secondary + 1 search index ${putIndexed.toFixed(3)} ms | ratio ${putRatio.toFixed(2)} (target <= 1.5) ${putRatio <= 1.5 ? 'OK' : 'OVER'}`,
    );

    // 2. GetRange on the index vs on its base table, after a preload through BatchWriteRow.
    for (let start = 0; start < PRELOAD_ROWS; start += 200) {
      const rows = [];
      for (let id = start; id < start + 200; id++) {
        rows.push({
          type: 'PUT',
          condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
          primaryKey: [{ id: TableStore.Long.fromNumber(1_000_000 + id) }],
          attributeColumns: [{ email: `pre${id}@example.com` }, { score: TableStore.Long.fromNumber(id % 1000) }],
        });
      }
      await client.batchWriteRow({ tables: [{ tableName: 'indexed', rows }] });
    }
    const rangeBody = (tableName: string, pk: string[]) =>
      encodeMessage('GetRangeRequest', {
        table_name: tableName,
        direction: 0,
        max_versions: 1,
        limit: 100,
        inclusive_start_primary_key: encodeRow({
          primaryKey: pk.map((name) => ({ name, value: INF_MIN })),
          attributes: [],
        }),
        exclusive_end_primary_key: encodeRow({
          primaryKey: pk.map((name) => ({ name, value: INF_MAX })),
          attributes: [],
        }),
      });
    const baseBody = rangeBody('indexed', ['id']);
    const indexBody = rangeBody('indexed_by_email', ['email', 'id']);
    const baseSamples: number[] = [];
    const indexSamples: number[] = [];
    for (let i = 0; i < RANGE_SAMPLES; i++) {
      if (i % 2 === 0) {
        baseSamples.push(await timed('GetRange', baseBody));
        indexSamples.push(await timed('GetRange', indexBody));
      } else {
        indexSamples.push(await timed('GetRange', indexBody));
        baseSamples.push(await timed('GetRange', baseBody));
      }
    }
    const rangeBase = median(baseSamples);
    const rangeIndex = median(indexSamples);
    log(
      `  GetRange p50 (100 rows of ${PRELOAD_ROWS + nextId / 2}): base table ${rangeBase.toFixed(3)} ms | secondary index ${rangeIndex.toFixed(3)} ms | ratio ${(rangeIndex / rangeBase).toFixed(2)}`,
    );

    return [
      { name: 'PutRow p50, no index', value: putPlain, unit: 'ms' },
      { name: 'PutRow p50, 1 secondary + 1 search index', value: putIndexed, unit: 'ms' },
      { name: 'PutRow index maintenance ratio', value: putRatio, unit: 'x', note: 'target <= 1.5' },
      { name: 'GetRange p50, base table', value: rangeBase, unit: 'ms' },
      { name: 'GetRange p50, secondary index', value: rangeIndex, unit: 'ms' },
    ];
  } finally {
    await local.stop();
  }
}
