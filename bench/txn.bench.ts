/**
 * Local transaction benchmarks (`npm run bench -- txn`), against an in-memory Tablestore Local over real HTTP
 * with V2 signatures (lean client, sequential requests):
 *   1. PutRow p50 outside any transaction vs inside one (the write waits in the transaction), ratio.
 *   2. PutRow p50 outside transactions while 1000 transactions hold other partitions (every write checks the
 *      partition locks), ratio to no open transaction.
 *   3. CommitTransaction p50 for 100 pending rows (one store write).
 * Every loop is bounded by a count.
 */
import { decodeMessage, encodeMessage } from '../lib/tablestore/protocol/proto/wide';
import { encodePrimaryKey, encodeRow } from '../lib/tablestore/protocol/plainbuffer';
import { startTablestoreLocal } from '../local/tablestore/server';
import { leanClient, percentile, type BenchFigure } from './tablestore-local.bench';

const KEY = { id: 'bench-key', secret: 'bench-secret' };
const T = 'txn';
const SAMPLES = 600;
const HOLDERS = 1000;
const COMMIT_ROWS = 100;
const COMMITS = 30;

export async function runTxnBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const report = (f: BenchFigure) => {
    figures.push(f);
    log(`  ${f.name}: ${f.value} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  };
  const server = await startTablestoreLocal({
    port: 0,
    accessKeys: [KEY],
    localTransactions: { enabledByDefault: true },
  });
  const client = leanClient(
    { endpoint: server.endpoint, instance: server.instance, accessKeyId: KEY.id, accessKeySecret: KEY.secret },
    1,
  );
  const put = (p: string, n: number, transactionId?: string) =>
    client.call(
      'PutRow',
      encodeMessage('PutRowRequest', {
        table_name: T,
        row: encodeRow({
          primaryKey: [
            { name: 'p', value: p },
            { name: 'n', value: BigInt(n) },
          ],
          attributes: [{ name: 'v', value: 'x' }],
        }),
        condition: { row_existence: 0 },
        ...(transactionId ? { transaction_id: transactionId } : {}),
      }),
    );
  const start = async (p: string) =>
    decodeMessage(
      'StartLocalTransactionResponse',
      await client.call(
        'StartLocalTransaction',
        encodeMessage('StartLocalTransactionRequest', {
          table_name: T,
          key: encodePrimaryKey([{ name: 'p', value: p }]),
        }),
      ),
    ).transaction_id;
  const timed = async (n: number, op: (i: number) => Promise<unknown>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await op(i);
      out.push(performance.now() - t0);
    }
    return out.sort((a, b) => a - b);
  };
  const ms = (v: number) => Math.round(v * 1000) / 1000;
  try {
    await client.call(
      'CreateTable',
      encodeMessage('CreateTableRequest', {
        table_meta: {
          table_name: T,
          primary_key: [
            { name: 'p', type: 2 },
            { name: 'n', type: 1 },
          ],
        },
        reserved_throughput: { capacity_unit: { read: 0, write: 0 } },
        table_options: { time_to_live: -1, max_versions: 1 },
      }),
    );
    await timed(200, (i) => put('warm', i));

    const plain = await timed(SAMPLES, (i) => put('plain', i));
    const id = await start('inside');
    const inside = await timed(SAMPLES, (i) => put('inside', i, id));
    report({ name: 'PutRow p50, no transaction', value: ms(percentile(plain, 50)), unit: 'ms' });
    report({ name: 'PutRow p50, inside a transaction', value: ms(percentile(inside, 50)), unit: 'ms' });
    report({
      name: 'PutRow p50 ratio inside / outside',
      value: Math.round((percentile(inside, 50) / percentile(plain, 50)) * 100) / 100,
      unit: 'x',
    });
    const t0 = performance.now();
    await client.call('CommitTransaction', encodeMessage('CommitTransactionRequest', { transaction_id: id }));
    log(`  (commit of ${SAMPLES} rows: ${(performance.now() - t0).toFixed(2)} ms)`);

    for (let i = 0; i < HOLDERS; i++) await start(`held${i}`);
    const locked = await timed(SAMPLES, (i) => put('free', i));
    report({
      name: `PutRow p50, ${HOLDERS} transactions holding other partitions`,
      value: ms(percentile(locked, 50)),
      unit: 'ms',
      note: `${Math.round((percentile(locked, 50) / percentile(plain, 50)) * 100) / 100}x the p50 with none`,
    });

    const commitOnly: number[] = [];
    for (let c = 0; c < COMMITS; c++) {
      const txn = await start(`commitonly${c}`);
      for (let i = 0; i < COMMIT_ROWS; i++) await put(`commitonly${c}`, i, txn);
      const t1 = performance.now();
      await client.call('CommitTransaction', encodeMessage('CommitTransactionRequest', { transaction_id: txn }));
      commitOnly.push(performance.now() - t1);
    }
    commitOnly.sort((a, b) => a - b);
    report({
      name: `CommitTransaction p50 with ${COMMIT_ROWS} pending rows`,
      value: ms(percentile(commitOnly, 50)),
      unit: 'ms',
    });
  } finally {
    client.close();
    await server.stop();
  }
  return figures;
}
