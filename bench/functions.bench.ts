/**
 * The functions against the naive alternative (`npm run bench -- functions`, or alone:
 * `npx tsx bench/functions.bench.ts`; add `--cold` for the bundle sizes and cold figures only). Builds the
 * bundles first. Every figure is a median of interleaved rounds, printed beside its contender as a ratio,
 * with its target:
 *
 *   cold (whole processes, above a bare `node -e ''`):
 *     require dist/http-api/index.js vs a sample-style handler (require('tablestore') +
 *     require('@alicloud/credentials') + one `new TableStore.Client`): time ≤ 0.25×, RSS ≤ 0.5×;
 *     require + one /tables/{t}/rows?limit=100 vs the sample's require + one getRange: time ≤ 0.5×;
 *     each bundle ≤ 250 KiB. Also printed: the same require ratio in CPU time (user + system), which other
 *     jobs on the machine disturb less than wall time.
 *   warm (this process): handler /rows?limit=100 p50 ≤ 1.10× a bare SDK getRange of the same rows;
 *     handler /points with 1000 and 5000 points ≤ 1.10× the direct TimeseriesClient call, and (printed) vs
 *     that call + JSON.stringify of the points, and the floor: that sum plus the handler's cost at 1 point
 *     (what any request costs it), over the direct call, the least any JSON handler could reach; our
 *     getRange vs the SDK's (printed); 10 000 mixed invocations: heap growth after GC ≤ 2 MiB, 1 client
 *     construction.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fromStatic } from '../lib/credentials/static';
import { clearTablestoreClients, tablestoreClientStats } from '../lib/tablestore/clients';
import { TimeseriesClient } from '../lib/tablestore/timeseries/index';
import { WideTableClient, INF_MAX, INF_MIN } from '../lib/tablestore/wide';
import { startTablestoreLocal, DEFAULT_ACCESS_KEY } from '../local/tablestore/server';
import { buildFunctions } from '../scripts/build';
import type { BenchFigure } from './timeseries.bench';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const INSTANCE = 'benchinst';
const REGION = 'cn-hangzhou';
const ROUNDS = 9;
/** Cold rounds are cheap (five short processes each) and noisier: more of them. */
const COLD_ROUNDS = 15;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: readonly number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** The FC HTTP-trigger event the runtime hands the handler (a Buffer of JSON). */
function httpEvent(path: string, query: Record<string, string>): Buffer {
  const event = {
    version: 'v1',
    rawPath: path,
    headers: {},
    queryParameters: query,
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'bench.cn-hangzhou.fcapp.run',
      domainPrefix: 'bench',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(Date.now()),
    },
  };
  return Buffer.from(JSON.stringify(event));
}

const CREDENTIALS = { accessKeyId: DEFAULT_ACCESS_KEY.id, accessKeySecret: DEFAULT_ACCESS_KEY.secret };
const context = () => ({
  requestId: 'bench',
  credentials: CREDENTIALS,
  function: { name: 'http-api', handler: 'index.handler', memory: 512, timeout: 30 },
  service: { qualifier: 'LATEST', versionId: '' },
  region: REGION,
  accountId: '1234567890123456',
  getRemainingTimeInMillis: () => 30_000,
});

/**
 * Child-process scripts: each prints `{ ms, rss, cpu }` (ms from process start to the end of its work, peak
 * RSS in KiB, user + system CPU ms).
 */
function coldScript(kind: 'bare' | 'bundle' | 'sample' | 'bundle-rows' | 'sample-range', endpoint: string): string {
  const done = `{ const u = process.resourceUsage(); process.stdout.write(JSON.stringify({ ms: performance.now(), rss: u.maxRSS, cpu: (u.userCPUTime + u.systemCPUTime) / 1000 })); }`;
  const bundle = JSON.stringify(join(root, 'dist', 'http-api', 'index.js'));
  const sdkPath = JSON.stringify(require.resolve('tablestore'));
  const credsPath = JSON.stringify(require.resolve('@alicloud/credentials'));
  const sample = `const TableStore = require(${sdkPath}); require(${credsPath});
    const client = new TableStore.Client({ accessKeyId: ${JSON.stringify(CREDENTIALS.accessKeyId)}, secretAccessKey: ${JSON.stringify(CREDENTIALS.accessKeySecret)}, endpoint: ${JSON.stringify(endpoint)}, instancename: ${JSON.stringify(INSTANCE)}, maxRetries: 0 });`;
  switch (kind) {
    case 'bare':
      return done;
    case 'bundle':
      return `require(${bundle}); ${done}`;
    case 'sample':
      return `${sample} ${done}`;
    case 'bundle-rows':
      return `const { handler } = require(${bundle});
        handler(Buffer.from(${JSON.stringify(httpEvent('/tables/orders/rows', { limit: '100' }).toString())}), ${JSON.stringify(context())}).then((r) => {
          if (r.statusCode !== 200) throw new Error(r.body); ${done}; });`;
    case 'sample-range':
      return `${sample}
        client.getRange({ tableName: 'orders', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }], limit: 100 })
          .then((r) => { if (r.rows.length !== 100) throw new Error('rows'); ${done}; });`;
  }
}

interface ColdRun {
  readonly ms: number;
  readonly rss: number;
  readonly cpu: number;
}

function runChild(script: string, env: Record<string, string>): Promise<ColdRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child failed (${code}): ${err.slice(0, 500)}`));
      else resolvePromise(JSON.parse(out) as ColdRun);
    });
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function runFunctionsBench(
  log: (line: string) => void,
  coldOnly = process.argv.includes('--cold'),
): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const row = (name: string, value: number, unit: string, note: string) => {
    figures.push({ name, value, unit, note });
    log(`  ${name.padEnd(58)} ${value.toFixed(unit === 'x' ? 2 : 1).padStart(8)} ${unit.padEnd(4)} ${note}`);
  };

  const built = await buildFunctions();
  for (const b of built)
    row(`bundle ${b.name}`, b.bytes / 1024, 'KiB', `target ≤ 250 KiB ${b.bytes <= 250 * 1024 ? 'ok' : 'MISSED'}`);

  const local = await startTablestoreLocal({ host: '127.0.0.1', port: 0, instance: INSTANCE, region: REGION });
  try {
    const credentials = fromStatic(CREDENTIALS);
    const wide = new WideTableClient({ endpoint: local.endpoint, instance: INSTANCE, region: REGION, credentials });
    const ts = new TimeseriesClient({ endpoint: local.endpoint, instance: INSTANCE, region: REGION, credentials });
    await wide.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
    for (let i = 0; i < 1000; i += 200) {
      await wide.batchWriteRow({
        tables: [
          {
            table: 'orders',
            rows: Array.from({ length: 200 }, (_, k) => ({
              type: 'put' as const,
              primaryKey: { id: i + k },
              columns: {
                item: `item-${i + k}`,
                qty: (i + k) % 17,
                price: (i + k) * 1.25,
                paid: (i + k) % 2 === 0,
                note: 'a note of some length',
              },
            })),
          },
        ],
      });
    }
    await ts.createTimeseriesTable({ tableName: 'metrics' });
    const key = { measurement: 'cpu', dataSource: 'host-1', tags: { dc: 'h' } };
    for (let i = 0; i < 5000; i += 500) {
      await ts.putTimeseriesData({
        tableName: 'metrics',
        rows: Array.from({ length: 500 }, (_, k) => ({
          key,
          time: 1_790_000_000_000_000n + BigInt((i + k) * 1000),
          fields: { usage: (i + k) / 10, seq: i + k, host: 'h1' },
        })),
      });
    }

    // ---------------------------------------------------------------------------------------- cold
    const env = {
      TABLESTORE_INSTANCE: INSTANCE,
      TABLESTORE_ENDPOINT: local.endpoint,
      FC_REGION: REGION,
      LOG_LEVEL: 'warn',
    };
    const kinds = ['bare', 'bundle', 'sample', 'bundle-rows', 'sample-range'] as const;
    const cold: Record<string, { ms: number[]; rss: number[]; cpu: number[] }> = {};
    for (let r = 0; r < COLD_ROUNDS; r++) {
      for (const kind of kinds) {
        const m = await runChild(coldScript(kind, local.endpoint), env);
        const runs = (cold[kind] ??= { ms: [], rss: [], cpu: [] });
        runs.ms.push(m.ms);
        runs.rss.push(m.rss);
        runs.cpu.push(m.cpu);
      }
    }
    type ColdField = keyof ColdRun;
    const med = (k: string, f: ColdField) => median(cold[k][f]);
    const above = (k: string, f: ColdField) => med(k, f) - med('bare', f);
    log(
      `  cold, medians of ${COLD_ROUNDS} interleaved rounds, above bare node (${med('bare', 'ms').toFixed(1)} ms, ${(med('bare', 'rss') / 1024).toFixed(1)} MiB):`,
    );
    row('cold require: bundle ms', above('bundle', 'ms'), 'ms', `sample ${above('sample', 'ms').toFixed(1)} ms`);
    row('cold require: bundle / sample time', above('bundle', 'ms') / above('sample', 'ms'), 'x', 'target ≤ 0.25');
    row(
      'cold require: bundle / sample CPU time',
      above('bundle', 'cpu') / above('sample', 'cpu'),
      'x',
      `${above('bundle', 'cpu').toFixed(1)} vs ${above('sample', 'cpu').toFixed(1)} ms (printed)`,
    );
    row(
      'cold require: bundle RSS',
      above('bundle', 'rss') / 1024,
      'MiB',
      `sample ${(above('sample', 'rss') / 1024).toFixed(1)} MiB`,
    );
    row('cold require: bundle / sample RSS', above('bundle', 'rss') / above('sample', 'rss'), 'x', 'target ≤ 0.5');
    row(
      'cold require + first 100 rows: bundle /rows ms',
      above('bundle-rows', 'ms'),
      'ms',
      `sample getRange ${above('sample-range', 'ms').toFixed(1)} ms`,
    );
    row(
      'cold require + first 100 rows: bundle / sample',
      above('bundle-rows', 'ms') / above('sample-range', 'ms'),
      'x',
      'target ≤ 0.5',
    );
    if (coldOnly) return figures;

    // ---------------------------------------------------------------------------------------- warm
    process.env.TABLESTORE_INSTANCE = INSTANCE;
    process.env.TABLESTORE_ENDPOINT = local.endpoint;
    process.env.FC_REGION = REGION;
    process.env.LOG_LEVEL = 'warn';
    clearTablestoreClients();
    const constructionsBefore = tablestoreClientStats().constructions;
    const { handler } = (await import('../functions/http-api/index')) as {
      handler: (e: Buffer, c: object) => Promise<{ statusCode: number; body: string }>;
    };
    const TableStore = require('tablestore') as {
      Client: new (c: object) => { getRange(p: object): Promise<{ rows: unknown[] }> };
      Direction: { FORWARD: string };
      INF_MIN: object;
      INF_MAX: object;
    };
    const sdk = new TableStore.Client({
      accessKeyId: CREDENTIALS.accessKeyId,
      secretAccessKey: CREDENTIALS.accessKeySecret,
      endpoint: local.endpoint,
      instancename: INSTANCE,
      maxRetries: 0,
    });
    const rowsEvent = httpEvent('/tables/orders/rows', { limit: '100' });
    const contenders: Record<string, () => Promise<unknown>> = {
      handlerRows: async () => {
        const r = await handler(rowsEvent, context());
        if (r.statusCode !== 200) throw new Error(r.body);
      },
      sdkRange: () =>
        sdk.getRange({
          tableName: 'orders',
          direction: TableStore.Direction.FORWARD,
          inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }],
          exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }],
          limit: 100,
        }),
      leanRange: () => wide.getRange({ table: 'orders', start: { id: INF_MIN }, end: { id: INF_MAX }, limit: 100 }),
    };
    // n = 1 measures what a /points request costs the handler whatever its size (event, validation,
    // credentials, page token), for the lower bound printed below.
    for (const n of [1, 1000, 5000]) {
      const ev = httpEvent('/timeseries/metrics/points', {
        measurement: 'cpu',
        source: 'host-1',
        tag: 'dc=h',
        limit: String(n),
      });
      contenders[`handlerPoints${n}`] = async () => {
        const r = await handler(ev, context());
        if (r.statusCode !== 200) throw new Error(r.body);
      };
      contenders[`directPoints${n}`] = () =>
        ts.getTimeseriesData({ tableName: 'metrics', key, beginTime: 0n, limit: n });
      // What any function answering these points as JSON pays at least: the direct call + JSON.stringify.
      contenders[`directJson${n}`] = async () => {
        const page = await ts.getTimeseriesData({ tableName: 'metrics', key, beginTime: 0n, limit: n });
        return JSON.stringify({ points: page.rows.map((r) => ({ time: Number(r.time), fields: r.fields })) });
      };
    }
    for (const fn of Object.values(contenders)) for (let i = 0; i < 20; i++) await fn();
    const samples: Record<string, number[]> = {};
    const roundMedians: Record<string, number[]> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, fn] of Object.entries(contenders)) {
        const xs: number[] = [];
        for (let i = 0; i < 30; i++) xs.push(await timed(fn));
        (samples[name] ??= []).push(...xs);
        (roundMedians[name] ??= []).push(median(xs));
      }
    }
    const p50 = (name: string) => median(roundMedians[name]);
    /** The median over rounds of a/b within each round (paired, as the runner bench's figures). */
    const ratio = (a: string, b: string) => median(roundMedians[a].map((x, r) => x / roundMedians[b][r]));
    log(
      `  warm, p50 = median of ${ROUNDS} interleaved rounds' medians (30 calls each); ratios = median of the rounds' ratios:`,
    );
    row(
      'warm handler /rows?limit=100 p50',
      p50('handlerRows'),
      'ms',
      `SDK getRange ${p50('sdkRange').toFixed(2)} ms, p99 ${pct(samples.handlerRows, 99).toFixed(2)} ms`,
    );
    row('warm handler /rows / SDK getRange', ratio('handlerRows', 'sdkRange'), 'x', 'target ≤ 1.10');
    row(
      'warm our getRange / SDK getRange',
      ratio('leanRange', 'sdkRange'),
      'x',
      `ours ${p50('leanRange').toFixed(2)} ms (printed)`,
    );
    for (const n of [1000, 5000]) {
      row(
        `warm handler /points ${n} / direct TimeseriesClient`,
        ratio(`handlerPoints${n}`, `directPoints${n}`),
        'x',
        `${p50(`handlerPoints${n}`).toFixed(2)} vs ${p50(`directPoints${n}`).toFixed(2)} ms; target ≤ 1.10`,
      );
      row(
        `warm handler /points ${n} / direct call + JSON.stringify`,
        ratio(`handlerPoints${n}`, `directJson${n}`),
        'x',
        `${p50(`handlerPoints${n}`).toFixed(2)} vs ${p50(`directJson${n}`).toFixed(2)} ms (printed)`,
      );
      // The least any JSON handler could reach: the direct call, JSON.stringify of its points and the
      // handler's own cost at 1 point, none of it spent twice; per round, like the ratios above.
      const floor = median(
        roundMedians[`directJson${n}`].map(
          (json, r) =>
            (json + roundMedians.handlerPoints1[r] - roundMedians.directPoints1[r]) /
            roundMedians[`directPoints${n}`][r],
        ),
      );
      row(
        `warm /points ${n}: floor (direct + JSON.stringify + 1-point cost) / direct`,
        floor,
        'x',
        `1-point handler ${(p50('handlerPoints1') * 1000).toFixed(0)} vs direct ${(p50('directPoints1') * 1000).toFixed(0)} µs (printed)`,
      );
    }

    // ---------------------------------------------------------------------------- 10 000 invocations
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const mixed = [
      rowsEvent,
      httpEvent('/tables/orders/row', { pk: '{"id":7}' }),
      httpEvent('/tables', {}),
      httpEvent('/timeseries/metrics/points', { measurement: 'cpu', source: 'host-1', tag: 'dc=h', limit: '50' }),
    ];
    for (let i = 0; i < 400; i++) await handler(mixed[i % mixed.length], context());
    gc();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      const r = await handler(mixed[i % mixed.length], context());
      if (r.statusCode !== 200) throw new Error(r.body);
    }
    gc();
    gc();
    const growth = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    row(
      '10 000 mixed invocations: heap growth after GC',
      growth,
      'MiB',
      `target ≤ 2 MiB ${growth <= 2 ? 'ok' : 'MISSED'}`,
    );
    row(
      '10 000 mixed invocations: client constructions',
      tablestoreClientStats().constructions - constructionsBefore,
      '',
      'target = 1',
    );
    ts.close();
    wide.close();
    clearTablestoreClients();
  } finally {
    await local.stop();
  }
  return figures;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runFunctionsBench((l) => console.log(l)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
