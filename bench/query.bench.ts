/**
 * Query API benchmark (`npm run bench -- query`): one week of one series at minute resolution (10,080
 * points, three fields) in Tablestore Local, read through the HTTP function (real FC events, JSON bodies):
 *
 *   raw reads   GetTimeseriesData pages of every point, no HTTP function, no JSON (the I/O floor)
 *   raw route   /timeseries/{t}/points, every page (limit=5000) until next = null
 *   hourly avg  /timeseries/{t}/points?interval=1h&agg=avg (168 buckets, one response)
 *
 * Targets: hourly avg ≤ 1.5× raw reads (hence also ≤ raw route) and a response ≥ 50× smaller than the raw
 * points' pages. Medians of interleaved rounds; bounded: ROUNDS rounds of three reads each.
 */
import { createHttpHandler } from '../lib/api/http-app';
import { readConfig } from '../lib/api/config';
import { readersFor } from '../lib/api/readers';
import { createLogger } from '../lib/fc/logger';
import type { FcContext } from '../lib/fc/types';
import { TimeseriesClient } from '../lib/tablestore/timeseries/index';
import { startTablestoreLocal, DEFAULT_ACCESS_KEY } from '../local/tablestore/server';
import type { BenchFigure } from './tablestore-local.bench';

const WEEK_MINUTES = 7 * 24 * 60;
const ROUNDS = 5;
const T0 = Date.UTC(2026, 10, 2) * 1000; // µs, a Monday 00:00 UTC: the week is exactly 168 hourly buckets

function event(path: string, query: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      headers: {},
      queryParameters: query,
      requestContext: {
        accountId: '1',
        domainName: 'bench',
        domainPrefix: 'bench',
        http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
        requestId: 'bench',
        time: '',
        timeEpoch: '0',
      },
    }),
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function runQueryBench(log: (line: string) => void): Promise<BenchFigure[]> {
  const local = await startTablestoreLocal({ host: '127.0.0.1', port: 0 });
  const credentials = { accessKeyId: DEFAULT_ACCESS_KEY.id, accessKeySecret: DEFAULT_ACCESS_KEY.secret };
  const client = new TimeseriesClient({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({ ...credentials, source: 'bench' }),
  });
  try {
    await client.createTimeseriesTable({ tableName: 'week' });
    const key = { measurement: 'cpu', dataSource: 'host-a', tags: { env: 'prod', region: 'cn-hangzhou' } };
    for (let i = 0; i < WEEK_MINUTES; i += 500) {
      const rows = [];
      for (let m = i; m < Math.min(i + 500, WEEK_MINUTES); m++) {
        rows.push({
          key,
          time: BigInt(T0 + m * 60_000_000),
          fields: {
            usage: Math.round((45 + 30 * Math.sin(m / 229) + (m % 17) / 3) * 100) / 100,
            cores: 8n,
            throttled: m % 50 === 0,
          },
        });
      }
      await client.putTimeseriesData({ tableName: 'week', rows });
    }
    const env = {
      TABLESTORE_INSTANCE: local.instance,
      TABLESTORE_ENDPOINT: local.endpoint,
      FC_REGION: 'cn-hangzhou',
      LOG_LEVEL: 'warn',
    };
    const http = createHttpHandler({ readers: readersFor, env, logger: createLogger({ destination: { write() {} } }) });
    const context: FcContext = {
      requestId: 'bench',
      credentials: { ...credentials, securityToken: '' },
      function: { name: 'http-api', handler: 'index.handler', memory: 512, timeout: 60 },
      service: { qualifier: 'LATEST', versionId: '' },
      region: 'cn-hangzhou',
      accountId: '1',
    };
    const series = {
      measurement: 'cpu',
      source: 'host-a',
      tag: 'env=prod,region=cn-hangzhou',
      start: String(T0),
      end: String(T0 + WEEK_MINUTES * 60_000_000),
    };
    const reader = readersFor(readConfig(env), context).timeseries;

    const rawReads = async (): Promise<number> => {
      let token: Uint8Array | undefined;
      let n = 0;
      do {
        const page = await reader.getData({
          table: 'week',
          key: { measurement: 'cpu', source: 'host-a', tags: key.tags },
          begin: T0,
          end: T0 + WEEK_MINUTES * 60_000_000,
          backward: false,
          limit: 5000,
          ...(token ? { token } : {}),
        });
        n += page.points.length;
        token = page.next && page.next.length > 0 ? page.next : undefined;
      } while (token);
      if (n !== WEEK_MINUTES) throw new Error(`raw reads returned ${n} points`);
      return 0;
    };
    const rawRoute = async (): Promise<number> => {
      let bytes = 0;
      let points = 0;
      let next: string | null = null;
      do {
        const res = await http(
          event('/timeseries/week/points', { ...series, limit: '5000', ...(next ? { next } : {}) }),
          context,
        );
        if (res.statusCode !== 200) throw new Error(res.body);
        bytes += Buffer.byteLength(res.body);
        const body = JSON.parse(res.body) as { points: unknown[]; next: string | null };
        points += body.points.length;
        next = body.next;
      } while (next);
      if (points !== WEEK_MINUTES) throw new Error(`raw route returned ${points} points`);
      return bytes;
    };
    const hourly = async (): Promise<number> => {
      const res = await http(
        event('/timeseries/week/points', { ...series, interval: '1h', agg: 'avg', limit: '5000' }),
        context,
      );
      if (res.statusCode !== 200) throw new Error(res.body);
      const body = JSON.parse(res.body) as { points: unknown[]; next: string | null };
      if (body.points.length !== 168 || body.next !== null)
        throw new Error(`hourly avg returned ${body.points.length} buckets`);
      return Buffer.byteLength(res.body);
    };

    const times: Record<'reads' | 'route' | 'agg', number[]> = { reads: [], route: [], agg: [] };
    let rawBytes = 0;
    let aggBytes = 0;
    await rawReads();
    await rawRoute();
    await hourly();
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      await rawReads();
      times.reads.push(performance.now() - t);
      t = performance.now();
      rawBytes = await rawRoute();
      times.route.push(performance.now() - t);
      t = performance.now();
      aggBytes = await hourly();
      times.agg.push(performance.now() - t);
    }
    const reads = median(times.reads);
    const route = median(times.route);
    const agg = median(times.agg);
    log(`  week at minute resolution (${WEEK_MINUTES} points, 3 fields), median of ${ROUNDS} interleaved rounds:`);
    log(`    raw reads (GetTimeseriesData only)   ${reads.toFixed(1)} ms`);
    log(`    raw route (/points, every page)      ${route.toFixed(1)} ms, ${rawBytes} bytes`);
    log(`    hourly avg (/points?interval=1h&agg=avg) ${agg.toFixed(1)} ms, ${aggBytes} bytes`);
    log(
      `    time: hourly avg / raw reads = ${(agg / reads).toFixed(2)} (target ≤ 1.5); / raw route = ${(agg / route).toFixed(2)}`,
    );
    log(`    size: raw pages / hourly avg = ${(rawBytes / aggBytes).toFixed(1)}x (target ≥ 50x)`);
    return [
      {
        name: 'hourly avg over a week / raw reads, time',
        value: agg / reads,
        unit: 'ratio',
        note: `${agg.toFixed(1)} ms vs ${reads.toFixed(1)} ms`,
      },
      {
        name: 'hourly avg over a week / raw route, time',
        value: agg / route,
        unit: 'ratio',
        note: `${agg.toFixed(1)} ms vs ${route.toFixed(1)} ms`,
      },
      {
        name: 'raw pages / hourly avg, bytes',
        value: rawBytes / aggBytes,
        unit: 'x',
        note: `${rawBytes} vs ${aggBytes} bytes`,
      },
    ];
  } finally {
    client.close();
    await local.stop();
  }
}

const invokedDirectly = process.argv[1] !== undefined && /query\.bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  runQueryBench((line) => console.log(line)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
