/**
 * Time series benchmarks (`npm run bench`, or alone: `npx tsx bench/timeseries.bench.ts`):
 *   1. GetTimeseriesData response decode (protobuf + PlainBuffer → typed points), points/s;
 *      and a bounded end-to-end read through Tablestore Local over HTTP.
 *   2. Our PlainBuffer row decoder vs the official Node SDK's reader on identical wide-row bytes (target ≥ 3x).
 *   3. CRC-32C, our table-driven TypeScript vs the native @node-rs/crc32.
 * Every loop is time-boxed; the whole module takes a few seconds.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import TableStore from 'tablestore';
import { crc32c } from '../lib/tablestore/protocol/crc32c';
import { decodeRows, encodeRows, type PlainBufferRow } from '../lib/tablestore/protocol/plainbuffer';
import { decodeTimeseriesMessage, encodeTimeseriesMessage } from '../lib/tablestore/protocol/proto/timeseries';
import { decodePointRows, encodePointRows, type PointRowInput } from '../lib/tablestore/timeseries/rows';
import { TimeseriesClient } from '../lib/tablestore/timeseries/index';
import { startTablestoreLocal, DEFAULT_ACCESS_KEY } from '../local/tablestore/server';

export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** Calls per second of `fn` over about `ms` after a short warm-up. */
function rate(fn: () => unknown, ms = 200): number {
  const warmEnd = performance.now() + ms / 4;
  while (performance.now() < warmEnd) fn();
  let calls = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    fn();
    calls++;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

/**
 * Best rate of each contender over interleaved rounds: the machine is shared, so interleaving and taking
 * the best round keeps a neighbour's burst from deciding a comparison.
 */
function compare(contenders: Record<string, () => unknown>, rounds = 4): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) best[name] = Math.max(best[name] ?? 0, rate(fn));
  }
  return best;
}

function samplePoints(n: number): PointRowInput[] {
  const points: PointRowInput[] = [];
  for (let i = 0; i < n; i++) {
    points.push({
      hash: '1a2b3c4d',
      measurement: 'cpu',
      dataSource: 'host-0001',
      tags: '["dc=cn-hangzhou-h","rack=r12"]',
      time: 1_700_000_000_000_000n + BigInt(i) * 1_000_000n,
      fields: [
        ['idle', 0.5 + (i % 50) / 100],
        ['load', 1.25 * (i % 7)],
        ['procs', BigInt(100 + (i % 30))],
        ['state', i % 10 === 0 ? 'warn' : 'ok'],
      ],
    });
  }
  return points;
}

function wideRows(n: number): PlainBufferRow[] {
  const rows: PlainBufferRow[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      primaryKey: [
        { name: 'user_id', value: `user-${String(i).padStart(6, '0')}` },
        { name: 'seq', value: BigInt(i) },
      ],
      attributes: [
        { name: 'age', value: BigInt(20 + (i % 50)), timestamp: 1_700_000_000_000 },
        { name: 'balance', value: i * 1.5, timestamp: 1_700_000_000_000 },
        { name: 'city', value: 'Hangzhou', timestamp: 1_700_000_000_000 },
        { name: 'email', value: `user${i}@example.com`, timestamp: 1_700_000_000_000 },
        { name: 'active', value: i % 2 === 0, timestamp: 1_700_000_000_000 },
        { name: 'avatar', value: new Uint8Array(32).fill(i & 0xff), timestamp: 1_700_000_000_000 },
        { name: 'note', value: 'lorem ipsum dolor sit amet', timestamp: 1_700_000_000_000 },
        { name: 'score', value: BigInt(i * 7), timestamp: 1_700_000_000_000 },
      ],
    });
  }
  return rows;
}

interface SdkPlainBuffer {
  PlainBufferInputStream: new (b: { buffer: Buffer; offset: number; limit: number }) => unknown;
  PlainBufferCodedInputStream: new (s: unknown) => { readRows(): unknown[] };
}

async function endToEnd(points: number): Promise<BenchFigure> {
  const local = await startTablestoreLocal({ host: '127.0.0.1', port: 0 });
  const client = new TimeseriesClient({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({
      accessKeyId: DEFAULT_ACCESS_KEY.id,
      accessKeySecret: DEFAULT_ACCESS_KEY.secret,
      source: 'bench',
    }),
  });
  try {
    await client.createTimeseriesTable({ tableName: 'bench_ts' });
    const key = { measurement: 'cpu', dataSource: 'host-0001', tags: { dc: 'cn-hangzhou-h', rack: 'r12' } };
    for (let off = 0; off < points; off += 2500) {
      const rows = Array.from({ length: Math.min(2500, points - off) }, (_, i) => ({
        key,
        time: 1_700_000_000_000_000n + BigInt(off + i),
        fields: { idle: 0.5, load: 1.25, procs: 120n, state: 'ok' },
      }));
      await client.putTimeseriesData({ tableName: 'bench_ts', rows });
    }
    const start = performance.now();
    let read = 0;
    for (let round = 0; round < 3; round++) {
      for await (const page of client.getTimeseriesDataPages({ tableName: 'bench_ts', key })) read += page.rows.length;
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      name: 'GetTimeseriesData end to end via Tablestore Local (HTTP, 5000/page)',
      value: Math.round(read / seconds),
      unit: 'points/s',
    };
  } finally {
    client.close();
    await local.stop();
  }
}

export async function runTimeseriesBench(log: (line: string) => void = console.log): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const report = (f: BenchFigure) => {
    figures.push(f);
    log(`  ${f.name}: ${f.value.toLocaleString('en-US')} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
  };
  log('time series');

  // 1. GetTimeseriesData decode
  const points = samplePoints(5000);
  const response = encodeTimeseriesMessage('GetTimeseriesDataResponse', { rows_data: encodePointRows(points) });
  const decodeResponse = () =>
    decodePointRows(decodeTimeseriesMessage('GetTimeseriesDataResponse', response).rows_data);
  if (decodeResponse().length !== 5000) throw new Error('bench self-check failed: point count');
  const d = compare({ decode: decodeResponse }, 3);
  report({
    name: 'GetTimeseriesData decode (protobuf + PlainBuffer → typed points)',
    value: Math.round(d.decode * 5000),
    unit: 'points/s',
  });
  report(await endToEnd(20_000));

  // 2. PlainBuffer: ours vs the official SDK's reader, identical bytes
  const wide = encodeRows(wideRows(1000));
  const sdk = TableStore as unknown as SdkPlainBuffer;
  const wideBuf = Buffer.from(wide);
  const sdkDecode = () =>
    new sdk.PlainBufferCodedInputStream(
      new sdk.PlainBufferInputStream({ buffer: wideBuf, offset: 0, limit: wideBuf.length }),
    ).readRows();
  const ourDecode = () => decodeRows(wide);
  if (sdkDecode().length !== 1000 || ourDecode().length !== 1000) throw new Error('bench self-check failed: row count');
  const pb = compare({ sdk: sdkDecode, ours: ourDecode });
  const theirs = pb.sdk * 1000;
  const ours = pb.ours * 1000;
  report({
    name: 'PlainBuffer wide-row decode, official SDK reader',
    value: Math.round(theirs),
    unit: 'rows/s',
    note: '2 PK + 8 attribute cells per row',
  });
  report({
    name: 'PlainBuffer wide-row decode, ours (protocol/plainbuffer decodeRows)',
    value: Math.round(ours),
    unit: 'rows/s',
  });
  report({
    name: 'PlainBuffer decode speed-up vs official SDK (target >= 3x)',
    value: Math.round((ours / theirs) * 100) / 100,
    unit: 'x',
    note: `ours ${Math.round(ours).toLocaleString('en-US')} vs SDK ${Math.round(theirs).toLocaleString('en-US')} rows/s, same bytes`,
  });

  // 3. CRC-32C
  for (const size of [1024, 64 * 1024]) {
    const data = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
    const buf = Buffer.from(data);
    if (crc32c(data) !== nativeCrc32c(buf)) throw new Error('bench self-check failed: crc32c');
    const mb = size / (1024 * 1024);
    const c = compare({ ours: () => crc32c(data), native: () => nativeCrc32c(buf) }, 3);
    report({ name: `CRC-32C ${size / 1024} KiB, ours (pure TS)`, value: Math.round(c.ours * mb), unit: 'MiB/s' });
    report({
      name: `CRC-32C ${size / 1024} KiB, @node-rs/crc32 (native)`,
      value: Math.round(c.native * mb),
      unit: 'MiB/s',
    });
  }
  return figures;
}

// Run standalone: npx tsx bench/timeseries.bench.ts
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runTimeseriesBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
