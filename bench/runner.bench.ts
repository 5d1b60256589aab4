/**
 * The FC runner under load (`npm run bench -- runner`, or alone: `npx tsx bench/runner.bench.ts`): `npm start`
 * in a child process (the runner, Tablestore Local with the demo data and the STS, as a user runs them), then
 * keep-alive clients in this process on `GET /tables/orders/rows?limit=100`:
 *   - one sequential client: requests/s;
 *   - 16 concurrent clients: total requests/s and the latency p50/p99 of their requests.
 * Rounds are interleaved (sequential, concurrent, sequential, ...) and the medians reported side by side with
 * the ratios the targets are stated in: concurrent/sequential throughput ≥ 1.5, p99/p50 ≤ 5.
 * Every loop is bounded by a request count and a deadline.
 *
 * The ratio needs the two cores to be mostly free: on a busy machine the scheduler's share, not the design,
 * bounds it. So each round also prints the load average and (on Linux) the server's CPU per request on its main
 * thread (the runner) and on its busiest other thread (Tablestore Local, or a function instance), read from
 * /proc: how the work is spread, whatever the load (docs/running-locally.md, "Threads and shared state").
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchFigure } from './tablestore-local.bench';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 5;
const SEQUENTIAL_REQUESTS = 200;
const CONCURRENT_CLIENTS = 16;
const REQUESTS_PER_CLIENT = 50;
const ROUND_DEADLINE_MS = 60_000;

function get(agent: Agent, url: URL): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += body.length < 500 ? c.toString() : ''));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(performance.now() - t0)
          : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** `count` requests per client, `clients` clients with a keep-alive connection each; throughput and latencies. */
const failures: string[] = [];

async function round(url: URL, clients: number, count: number): Promise<{ rps: number; latencies: number[] }> {
  const deadline = performance.now() + ROUND_DEADLINE_MS;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < count && performance.now() < deadline; i += 1) {
        try {
          latencies.push(await get(agent, url));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      agent.destroy();
    }),
  );
  return { rps: latencies.length / ((performance.now() - t0) / 1000), latencies };
}

/** CPU ticks (utime + stime) per thread of `pid`, or undefined where /proc is not there. */
function threadTicks(pid: number): Map<number, number> | undefined {
  try {
    const out = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The node process `npm start` ended up running: in the child's process group, the one with most threads. */
function serverPid(group: number): number | undefined {
  let best: { pid: number; threads: number } | undefined;
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = stat.split(') ')[1].split(' ');
        if (Number(f[2]) !== group || !stat.includes('(node)')) continue;
        const threads = Number(f[17]);
        if (!best || threads > best.threads) best = { pid: Number(d), threads };
      } catch {
        /* gone */
      }
    }
  } catch {
    return undefined;
  }
  return best?.pid;
}

/** ms of CPU per request on the main thread and on the busiest other thread between two samples. */
function perRequestCpu(
  pid: number,
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
  requests: number,
): { main: number; busiestOther: number } | undefined {
  if (!before || !after || requests === 0) return undefined;
  const msPerTick = 10; // USER_HZ is 100 on Linux
  let busiestOther = 0;
  for (const [tid, t] of after) if (tid !== pid) busiestOther = Math.max(busiestOther, t - (before.get(tid) ?? 0));
  const main = (after.get(pid) ?? 0) - (before.get(pid) ?? 0);
  return { main: (main * msPerTick) / requests, busiestOther: (busiestOther * msPerTick) / requests };
}

export async function runRunnerBench(log: (line: string) => void): Promise<BenchFigure[]> {
  const child = spawn('npm', ['start', '-s', '--', '--port', '0', '--tablestore-port', '0', '--quiet', '--no-timers'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const tick = (): void => {
        const m = /HTTP\s+tablestore-fc-http-api\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m && /\(ready in/.test(out)) return resolve(m[1]);
        if (Date.now() - started > 120_000 || child.exitCode !== null)
          return reject(new Error(`npm start did not become ready:\n${out.slice(-2000)}`));
        setTimeout(tick, 100);
      };
      tick();
    });
    const url = new URL(`${base}/tables/orders/rows?limit=100`);
    const pid = serverPid(child.pid!);
    // Warm the instances (cold starts are not what is measured): one first, then the pool.
    await round(url, 1, 3);
    await round(url, 4, 3);
    await round(url, CONCURRENT_CLIENTS, 2);
    const seq: number[] = [];
    const conc: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      const s = await round(url, 1, SEQUENTIAL_REQUESTS);
      const before = pid === undefined ? undefined : threadTicks(pid);
      const c = await round(url, CONCURRENT_CLIENTS, REQUESTS_PER_CLIENT);
      const cpu = pid === undefined ? undefined : perRequestCpu(pid, before, threadTicks(pid), c.latencies.length);
      seq.push(s.rps);
      conc.push(c.rps);
      p50.push(quantile(c.latencies, 0.5));
      p99.push(quantile(c.latencies, 0.99));
      log(
        `  round ${r + 1}: 1 client ${s.rps.toFixed(0)} req/s (p50 ${quantile(s.latencies, 0.5).toFixed(1)} ms); ${CONCURRENT_CLIENTS} clients ${c.rps.toFixed(0)} req/s, p50 ${p50.at(-1)!.toFixed(1)} ms, p99 ${p99.at(-1)!.toFixed(1)} ms; load average ${loadavg()[0].toFixed(1)}`,
      );
      if (cpu)
        log(
          `           server CPU per request (${CONCURRENT_CLIENTS} clients): main thread ${cpu.main.toFixed(2)} ms, busiest other thread ${cpu.busiestOther.toFixed(2)} ms`,
        );
    }
    const figures: BenchFigure[] = [
      { name: 'runner rows?limit=100, 1 sequential client', value: median(seq), unit: 'req/s' },
      { name: `runner rows?limit=100, ${CONCURRENT_CLIENTS} concurrent clients`, value: median(conc), unit: 'req/s' },
      {
        // Each round measures one client and then 16 back to back, under the same machine conditions; the
        // median of those paired ratios is the figure (the ratio of the two medians is printed beside it).
        name: 'concurrent / sequential throughput',
        value: median(conc.map((c, i) => c / seq[i])),
        unit: 'x',
        note: `target >= 1.5; ratio of medians ${(median(conc) / median(seq)).toFixed(2)}`,
      },
      {
        name: `p99 / p50 latency, ${CONCURRENT_CLIENTS} clients`,
        value: median(p99) / median(p50),
        unit: 'x',
        note: 'target <= 5',
      },
    ];
    if (failures.length > 0) log(`  ${failures.length} failed requests, e.g. ${failures[0]}`);
    figures.push({ name: 'failed requests', value: failures.length, unit: 'requests' });
    for (const f of figures)
      log(`  ${f.name}: ${f.value.toFixed(f.unit === 'x' ? 2 : 0)} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
    return figures;
  } finally {
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      /* already gone */
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        resolve();
      }, 15_000);
      child.on('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  runRunnerBench((l) => console.log(l)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
