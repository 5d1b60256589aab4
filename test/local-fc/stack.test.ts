/**
 * `npm start`'s stack end to end, with the project's own s.yaml, functions (built into dist/ if needed),
 * policies and events: Tablestore Local + local STS + demo data + the runner, all on free loopback ports.
 * Proves: every API route answers over real HTTP on the demo data; the audit timer fires on its (overridden)
 * schedule and names the stale series; role credentials rotate (and old ones are revoked) mid-run without a
 * failed request; every function is invocable through @alicloud/fc20230330 with checked signatures; the
 * invoke CLI's --remote path works with every file in events/ (in this process); and `npm run invoke` works as
 * a spawned npm script, remotely (fc2) and in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalStack, REPO_ROOT, type LocalStack } from '../../local/fc/stack';
import type { InvocationRecord } from '../../local/fc/runner';
import { createFcClient, invokeWithSdk } from '../../local/fc/fc-sdk';
import { curlExamples } from '../../local/start';
import { runInvokeCli } from '../../local/fc/invoke-cli';

const HTTP_FN = 'tablestore-fc-http-api';
const AUDIT_FN = 'tablestore-fc-table-audit';
const EVENTS = join(REPO_ROOT, 'events');
const eventFiles = readdirSync(EVENTS)
  .filter((f) => f.endsWith('.json'))
  .sort();

let stack: LocalStack;
const records: InvocationRecord[] = [];
const errors: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    tablestorePort: 0,
    credentialsRefreshMs: 700,
    revokeAfterMs: 3000,
    feederIntervalMs: 0,
    timerOverrides: { [AUDIT_FN]: '@every 1500ms' },
    functionLogs: false,
    logger: { info: () => {}, warn: () => {}, error: (m) => errors.push(m) },
  });
  stack.runner.onInvocation((r) => records.push(r));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function get(path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${stack.runner.url}${path}`);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

describe('npm start stack', () => {
  it('seeded the demo data', () => {
    expect(stack.seed).toMatchObject({
      seeded: true,
      wideTable: 'orders',
      wideRows: 10_000,
      timeseriesTable: 'metrics',
    });
    expect(stack.seed!.series).toHaveLength(5);
    expect(stack.seed!.points).toBeGreaterThan(40_000);
    expect(stack.runner.defaultHttpFunction).toBe(HTTP_FN);
  });

  it('answers every printed curl command (made from events/) with 200 JSON', async () => {
    const commands = curlExamples(stack.runner.url, REPO_ROOT, 100);
    expect(commands.length).toBeGreaterThanOrEqual(eventFiles.filter((f) => f.startsWith('http-')).length);
    for (const c of commands) {
      const url = /'([^']+)'/.exec(c)![1];
      const res = await fetch(url);
      expect(res.status, `${c}: ${await res.clone().text()}`).toBe(200);
      expect(res.headers.get('x-fc-request-id')).toMatch(/^1-/);
    }
  });

  it('serves the wide-table routes on the 10k-row orders table', async () => {
    expect((await get('/tables')).body).toEqual({ tables: ['orders'] });
    const d = await get('/tables/orders');
    expect(d.body.primaryKey).toEqual([
      { name: 'customer_id', type: 'STRING' },
      { name: 'order_id', type: 'INTEGER' },
    ]);
    const row = await get(`/tables/orders/row?pk=${encodeURIComponent('{"customer_id":"c0001","order_id":100000}')}`);
    expect(row.status).toBe(200);
    expect(row.body.row.primaryKey).toEqual({ customer_id: 'c0001', order_id: 100000 });
    expect(Object.keys(row.body.row.columns)).toEqual(
      expect.arrayContaining(['amount', 'checksum', 'created_at', 'paid', 'quantity', 'sku', 'status']),
    );
    expect(typeof row.body.row.columns.amount).toBe('number');
    expect(typeof row.body.row.columns.paid).toBe('boolean');
    expect(row.body.row.columns.checksum).toHaveProperty('$binary');
    // Page through one customer's orders: 20 per customer in the demo data.
    let next: string | null = null;
    let seen = 0;
    let pages = 0;
    do {
      const q: string = `start=${encodeURIComponent('{"customer_id":"c0007"}')}&end=${encodeURIComponent('{"customer_id":"c0008"}')}&limit=6${next ? `&next=${encodeURIComponent(next)}` : ''}`;
      const r = await get(`/tables/orders/rows?${q}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (const x of r.body.rows) expect(x.primaryKey.customer_id).toBe('c0007');
      seen += r.body.rows.length;
      next = r.body.next;
      pages += 1;
    } while (next && pages < 20);
    expect(seen).toBe(20);
    expect(pages).toBeGreaterThan(1);
    const missing = await get(`/tables/orders/row?pk=${encodeURIComponent('{"customer_id":"nobody","order_id":1}')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('RowNotFound');
    expect((await get('/tables/nope')).body.error.code).toBe('TableNotFound');
  });

  it('passes POST bodies through the runner to the bundle: SQL answers, refusals and 405/415', async () => {
    const post = async (body: string, type = 'application/json') => {
      const res = await fetch(`${stack.runner.url}/sql`, { method: 'POST', headers: { 'content-type': type }, body });
      return { status: res.status, body: await res.json() };
    };
    const r = await post(
      JSON.stringify({ query: 'SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id', limit: 3 }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ statement: 'SELECT', truncated: true });
    expect(r.body.rows).toEqual([
      { customer_id: 'c0001', n: 20 },
      { customer_id: 'c0002', n: 20 },
      { customer_id: 'c0003', n: 20 },
    ]);
    // A body that is not JSON text reaches the function base64-encoded, and is refused by type.
    expect((await post('{"query":"SELECT 1"}', 'application/octet-stream')).status).toBe(415);
    const write = await post(JSON.stringify({ query: 'DROP MAPPING TABLE orders' }));
    expect(write.status).toBe(400);
    expect(write.body.error.message).toMatch(/^body field 'query' must be one read-only statement/);
    const put = await fetch(`${stack.runner.url}/sql`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
  });

  it('serves the time series routes on the metrics table', async () => {
    const list = await get('/timeseries');
    expect(list.body.tables.map((t: { table: string }) => t.table)).toEqual(['metrics']);
    expect((await get('/timeseries/metrics')).body).toMatchObject({ table: 'metrics', timeToLive: -1 });
    const cpu = await get('/timeseries/metrics/series?measurement=cpu');
    expect(cpu.body.series.map((s: { source: string }) => s.source).sort()).toEqual(['host-a', 'host-b']);
    const pts = await get(
      '/timeseries/metrics/points?measurement=cpu&source=host-a&tag=env%3Dprod%2Cregion%3Dcn-hangzhou&backward=true&limit=3',
    );
    expect(pts.status, JSON.stringify(pts.body)).toBe(200);
    expect(pts.body.points).toHaveLength(3);
    const times = pts.body.points.map((p: { time: number }) => p.time);
    expect(times[0] - times[1]).toBe(60_000_000);
    expect(Date.now() * 1000 - times[0]).toBeLessThan(3 * 60_000_000);
    expect(Object.keys(pts.body.points[0].fields).sort()).toEqual(['cores', 'throttled', 'usage']);
    // The stale sensor's newest point is two days old.
    const stale = await get(
      '/timeseries/metrics/points?measurement=temperature&source=sensor-2&tag=rack%3Dr02%2Csite%3Dhz-dc1&backward=true&limit=1',
    );
    expect(Date.now() * 1000 - stale.body.points[0].time).toBeGreaterThan(47 * 3600e6);
  });

  it('fires the audit timer, whose summary names the stale series', async () => {
    const deadline = Date.now() + 20_000;
    while (!records.some((r) => r.source === 'timer' && r.functionName === AUDIT_FN) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const rec = records.find((r) => r.source === 'timer' && r.functionName === AUDIT_FN)!;
    expect(rec, 'no timer invocation of the audit').toBeDefined();
    expect(rec.triggerName).toBe('every-5-minutes');
    expect(rec.outcome.ok, rec.outcome.body.toString()).toBe(true);
    const summary = JSON.parse(rec.outcome.body.toString());
    expect(summary, JSON.stringify(summary)).toMatchObject({
      instance: 'tsfc-demo',
      staleAfterMinutes: 60,
      partial: false,
      staleSeriesTotal: 1,
    });
    const staleLines = rec.outcome.logs
      .filter((l) => l.includes('"stale-series"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    expect(staleLines).toHaveLength(1);
    expect(staleLines[0]).toMatchObject({
      measurement: 'temperature',
      source: 'sensor-2',
      tags: { rack: 'r02', site: 'hz-dc1' },
    });
    expect(rec.outcome.logs.some((l) => l.includes('"audit-summary"'))).toBe(true);
  });

  it('rotates and revokes role credentials mid-run without a failed request', async () => {
    const before = stack.issued.get(HTTP_FN)?.length ?? 0;
    const statuses: number[] = [];
    const paths = [
      '/tables',
      '/timeseries/metrics/series?measurement=temperature',
      '/tables/orders/rows?limit=2',
      '/timeseries',
    ];
    const until = Date.now() + 4000;
    for (let i = 0; Date.now() < until && i < 400; i++) {
      const r = await fetch(`${stack.runner.url}${paths[i % paths.length]}`);
      await r.arrayBuffer();
      statuses.push(r.status);
      await new Promise((res) => setTimeout(res, 20));
    }
    const issued = stack.issued.get(HTTP_FN)!;
    expect(issued.length - before).toBeGreaterThanOrEqual(3);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // The first keys are revoked by now: Tablestore Local refuses them.
    const first = stack.iam.lookup(issued[0], undefined, new Date());
    expect(first.ok).toBe(false);
    expect(errors.filter((e) => e.includes('credentials'))).toEqual([]);
  });
});

describe('InvokeFunction through @alicloud/fc20230330', () => {
  it('invokes each function with a verified signature', async () => {
    const client = createFcClient({
      endpoint: stack.runner.endpoint,
      accessKeyId: stack.admin.accessKeyId,
      accessKeySecret: stack.admin.accessKeySecret,
    });
    const http = await invokeWithSdk(client, HTTP_FN, readFileSync(join(EVENTS, 'http-list-tables.json')), {
      logTail: true,
    });
    expect(http.statusCode).toBe(200);
    expect(http.errorType).toBeUndefined();
    const struct = JSON.parse(http.body.toString());
    expect(struct.statusCode).toBe(200);
    expect(JSON.parse(struct.body)).toEqual({ tables: ['orders'] });
    const audit = await invokeWithSdk(client, AUDIT_FN, readFileSync(join(EVENTS, 'timer-table-audit.json')), {
      logTail: true,
    });
    expect(audit.statusCode).toBe(200);
    expect(JSON.parse(audit.body.toString()).staleSeriesTotal).toBe(1);
    expect(audit.logTail).toContain('sensor-2');
  });

  it('rejects a bad signature and a caller without fc:InvokeFunction', async () => {
    const bad = createFcClient({
      endpoint: stack.runner.endpoint,
      accessKeyId: stack.admin.accessKeyId,
      accessKeySecret: 'not-the-secret',
    });
    await expect(invokeWithSdk(bad, HTTP_FN, Buffer.from('{}'))).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      statusCode: 403,
    });
    // The built-in "developer" user may assume roles but holds no FC permission.
    const dev = createFcClient({
      endpoint: stack.runner.endpoint,
      accessKeyId: 'LTAI5tLocalDeveloper00001',
      accessKeySecret: 'local-developer-secret',
    });
    await expect(invokeWithSdk(dev, HTTP_FN, Buffer.from('{}'))).rejects.toMatchObject({
      code: 'AccessDenied',
      statusCode: 403,
    });
  });
});

/** The environment minus ALIBABA_CLOUD_*: --remote against the runner then signs with the local admin keys. */
function withoutCloudKeys(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ALIBABA_CLOUD_')) delete env[k];
  return env;
}

function runInvoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = withoutCloudKeys();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'invoke', '--', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function resultOf(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf('FC Invoke Result:') + 'FC Invoke Result:'.length).trim());
}

describe('npm run invoke', () => {
  // Every events/ file through the CLI's --remote path (runInvokeCli, what `npm run invoke` runs) in this
  // process: one spawned npm + tsx child per file cost ~5 s each. The spawned children in the tests below keep
  // the npm script wiring proven, --remote included.
  it('invokes with every file in events/ (--remote against the runner)', async () => {
    const env = withoutCloudKeys();
    const queue = [...eventFiles];
    const failures: string[] = [];
    let invoked = 0;
    await Promise.all(
      [0, 1].map(async () => {
        for (let f = queue.shift(); f; f = queue.shift()) {
          const fn = f.startsWith('timer-') ? 'table-audit' : 'http-api';
          let stdout = '';
          let stderr = '';
          const code = await runInvokeCli(
            [fn, '--event-file', `events/${f}`, '--remote', '--endpoint', stack.runner.endpoint],
            { out: (t) => (stdout += t), err: (t) => (stderr += t) },
            { env, cwd: REPO_ROOT },
          );
          invoked += 1;
          if (
            code !== 0 ||
            !stdout.includes('FC Invoke Start RequestId: 1-') ||
            !stdout.includes('via @alicloud/fc20230330')
          ) {
            failures.push(`${f}: exit ${code} ${stderr.slice(-300)} ${stdout.slice(0, 300)}`);
            continue;
          }
          const result = resultOf(stdout);
          if (fn === 'http-api' && result.statusCode !== 200)
            failures.push(`${f}: ${JSON.stringify(result).slice(0, 300)}`);
          if (fn === 'table-audit' && result.staleSeriesTotal !== 1)
            failures.push(`${f}: ${JSON.stringify(result).slice(0, 300)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(invoked).toBe(eventFiles.length);
    // Both result checks above ran at least once.
    expect(eventFiles.some((f) => f.startsWith('timer-'))).toBe(true);
    expect(eventFiles.some((f) => !f.startsWith('timer-'))).toBe(true);
  }, 120_000);

  it('invokes through @alicloud/fc2 with --remote --sdk fc2', async () => {
    const r = await runInvoke([
      'http-api',
      '--event-file',
      'events/http-list-tables.json',
      '--remote',
      '--sdk',
      'fc2',
      '--endpoint',
      stack.runner.endpoint,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('via @alicloud/fc2');
    expect(resultOf(r.stdout).statusCode).toBe(200);
  }, 120_000);

  it('invokes in-process on fresh demo data, printing logs and result like s local invoke', async () => {
    const [r, http] = await Promise.all([
      runInvoke(['table-audit', '-f', 'events/timer-table-audit.json']),
      runInvoke(['tablestore-fc-http-api', '--event-file', 'events/http-get-row.json']),
    ]);
    expect(http.code, http.stderr).toBe(0);
    const struct = resultOf(http.stdout);
    expect(struct.statusCode).toBe(200);
    expect(JSON.parse(struct.body).row.primaryKey).toEqual({ customer_id: 'c0001', order_id: 100000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FC Invoke Start RequestId: 1-[0-9a-f]{8}-[0-9a-f]{24}/);
    expect(r.stdout).toMatch(/FC Invoke End RequestId: .*Duration: [\d.]+ ms, Memory Size: 512 MB/);
    expect(r.stdout).toContain('"source":"sensor-2"');
    expect(resultOf(r.stdout)).toMatchObject({ staleSeriesTotal: 1, partial: false });
    const unknown = await runInvoke(['no-such-function', '--event', '{}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no function "no-such-function"');
  }, 120_000);
});
