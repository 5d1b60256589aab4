/**
 * `npm start`: the functions of s.yaml served the way Function Compute serves them, on Tablestore Local with
 * demo data, in one process, offline and without Docker. Builds the functions first if needed.
 *
 *   npm start                              # in memory; API on http://127.0.0.1:9000
 *   npm start -- --data-dir .data          # keep Tablestore data between runs
 *   PORT=9100 npm start -- --tablestore-port 8801 --refresh-seconds 10
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startLocalStack, type LocalStack } from './fc/stack';
import type { RunnerLogger } from './fc/runner';
import { SYamlError } from './fc/config';

const HELP = `Usage: npm start -- [options]

  --data-dir DIR          keep Tablestore Local's data in DIR (LevelDB); default: in memory
  --port N                FC runner port (default: env PORT or 9000)
  --tablestore-port N     Tablestore Local port (default 8800)
  --refresh-seconds N     re-issue the functions' role credentials every N seconds (default 30)
  --no-seed               do not load demo data into an empty instance
  --no-timers             do not fire timer triggers
  --quiet                 do not print function log lines
  -h, --help              this text
`;

function parse(): {
  dataDir?: string | undefined;
  port?: number | undefined;
  tablestorePort: number;
  refreshSeconds: number;
  seed: boolean;
  timers: boolean;
  quiet: boolean;
} {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'tablestore-port': { type: 'string' },
      'refresh-seconds': { type: 'string' },
      'no-seed': { type: 'boolean' },
      'no-timers': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, dflt: number | undefined, min: number): number | undefined => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`--${name} must be an integer ≥ ${min}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    dataDir: values['data-dir'],
    port: int('port', values.port, undefined, 0),
    tablestorePort: int('tablestore-port', values['tablestore-port'], 8800, 0)!,
    refreshSeconds: int('refresh-seconds', values['refresh-seconds'], 30, 1)!,
    seed: !values['no-seed'],
    timers: !values['no-timers'],
    quiet: !!values.quiet,
  };
}

const stamp = (): string => new Date().toISOString().slice(11, 23);
const logger: RunnerLogger = {
  info: (m) => process.stdout.write(`${stamp()} ${m}\n`),
  warn: (m) => process.stderr.write(`${stamp()} ${m}\n`),
  error: (m) => process.stderr.write(`${stamp()} ${m}\n`),
};

/** Ready-to-paste curl commands, made from the HTTP events in events/ (so they follow the API's routes). */
export function curlExamples(baseUrl: string, root = REPO_ROOT, max = 7): string[] {
  const dir = join(root, 'events');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith('http-') && f.endsWith('.json'));
  } catch {
    return [];
  }
  const preferred = [
    'list-tables',
    'describe-table',
    'get-row',
    'get-range',
    'list-timeseries-tables',
    'query-series',
    'get-points',
    'healthz',
  ];
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  function rank(f: string): number {
    const i = preferred.findIndex((p) => f === `http-${p}.json`);
    return i < 0 ? preferred.length : i;
  }
  const out: string[] = [];
  for (const f of files.slice(0, max)) {
    try {
      const e = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        rawPath?: string;
        queryParameters?: Record<string, string>;
        requestContext?: { http?: { method?: string } };
      };
      if (!e.rawPath) continue;
      const q = Object.entries(e.queryParameters ?? {})
        .map(
          ([k, v]) =>
            `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%3D/g, '=')}`,
        )
        .join('&');
      const method = e.requestContext?.http?.method ?? 'GET';
      out.push(`curl -s ${method === 'GET' ? '' : `-X ${method} `}'${baseUrl}${e.rawPath}${q ? `?${q}` : ''}'`);
    } catch {
      /* not an event file */
    }
  }
  return out;
}

export function banner(stack: LocalStack, dataDir: string | undefined): string {
  const { runner, tablestore, sts, admin, seed, project } = stack;
  const lines: string[] = [];
  lines.push('', 'tablestore-fc is running locally: Function Compute runner + Tablestore Local + local STS', '');
  const http = project.functions.filter((f) => f.triggers.some((t) => t.type === 'http'));
  for (const f of http) {
    const at =
      runner.defaultHttpFunction === f.functionName
        ? `${runner.url}/  (also ${runner.url}/${f.functionName}/)`
        : `${runner.url}/${f.functionName}/`;
    lines.push(`  HTTP  ${f.functionName.padEnd(28)} ${at}`);
  }
  for (const f of project.functions) {
    for (const t of f.triggers)
      if (t.type === 'timer')
        lines.push(
          `  Timer ${`${f.functionName}/${t.name}`.padEnd(28)} ${t.cronExpression}${t.enable ? '' : ' (disabled)'}`,
        );
  }
  lines.push(`  InvokeFunction API (fc20230330)   ${runner.endpoint}  (ACS3-HMAC-SHA256 signed)`);
  lines.push(
    `  Tablestore Local                  ${tablestore.endpoint}  instance ${tablestore.instance}, region ${tablestore.region}, ${dataDir ? `data in ${dataDir}` : 'in memory'}`,
  );
  lines.push(`  Local STS                         ${sts.endpoint}  (CA ${sts.caCertPath})`);
  lines.push('');
  if (seed?.seeded) {
    const s = seed.staleSeries;
    lines.push(
      `Demo data: wide table ${seed.wideTable} (${seed.wideRows} rows), time series table ${seed.timeseriesTable} (${seed.series.length} series, ${seed.points} points, one a minute for 7 days);`,
      `           ${s.measurement}/${s.dataSource} went silent 2 days ago (the stale series the audit reports). Seeded in ${(seed.elapsedMs / 1000).toFixed(1)} s.`,
      '',
    );
  } else if (seed) lines.push('Demo data: the instance already has tables; nothing seeded.', '');
  lines.push('Credentials in use (local only, they mean nothing in the cloud):');
  lines.push(`  RAM user admin            AccessKeyId ${admin.accessKeyId}  AccessKeySecret ${admin.accessKeySecret}`);
  lines.push(
    `                            (Tablestore Local, InvokeFunction; export as ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET)`,
  );
  const roles = new Set<string>();
  for (const f of project.functions) {
    const c = runner.currentCredentials(f.functionName);
    if (!f.role || !c) continue;
    roles.add(f.role);
    lines.push(
      `  ${f.functionName.padEnd(26)}role ${f.role.split(':role/')[1]}: STS ${c.accessKeyId} (re-issued on a schedule; expires ${c.expiration?.toISOString() ?? '?'})`,
    );
  }
  if (!roles.size) lines.push('  (no function has a role: context.credentials is {})');
  lines.push('', 'Try:');
  // events/ holds HTTP events of the API function: address it directly when it is not the one at the root.
  const apiBase = runner.defaultHttpFunction || !http.length ? runner.url : `${runner.url}/${http[0].functionName}`;
  for (const c of curlExamples(apiBase)) lines.push(`  ${c}`);
  const timer = project.functions.find((f) => f.triggers.some((t) => t.type === 'timer'));
  if (timer) {
    const ev = 'events/timer-table-audit.json';
    lines.push(`  npm run invoke -- ${timer.functionName} --event-file ${ev} --remote --endpoint ${runner.endpoint}`);
  }
  lines.push('', 'Trigger auth (authType function/jwt) is NOT enforced locally. Ctrl-C stops everything.', '');
  return lines.join('\n');
}

/** Mistakes a user can fix from the message alone: one line, no stack trace. */
function userMistake(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof SYamlError) return err.message;
  if (err.code === 'EADDRINUSE')
    return `A port is already in use (${err.message}). Use --port / --tablestore-port, or stop the other process.`;
  if (err.code === 'DATA_DIR_UNAVAILABLE' || err.code === 'EACCES' || err.code?.startsWith('ERR_PARSE_ARGS_'))
    return err.message;
  return undefined;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    process.stderr.write(`npm start: ${userMistake(e) ?? (e as Error).message} (see npm start -- --help)\n`);
    process.exit(2);
  }
  const started = performance.now();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir: args.dataDir,
      port: args.port,
      tablestorePort: args.tablestorePort,
      credentialsRefreshMs: args.refreshSeconds * 1000,
      seed: args.seed,
      timers: args.timers,
      functionLogs: !args.quiet,
      logger,
    });
  } catch (e) {
    const mistake = userMistake(e);
    if (mistake !== undefined) process.stderr.write(`npm start: ${mistake.replace(/\s*\n\s*/g, ' ')}\n`);
    else process.stderr.write(`\nnpm start failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `${banner(stack, args.dataDir)}(ready in ${((performance.now() - started) / 1000).toFixed(1)} s)\n\n`,
  );

  let stoppingSince = 0;
  const shutdown = (signal: string): void => {
    if (stoppingSince) {
      // The same Ctrl-C can arrive twice (from the terminal and relayed by npm/tsx); a later one forces the exit.
      if (Date.now() - stoppingSince < 2000) return;
      process.stderr.write('forced exit\n');
      process.exit(130);
    }
    stoppingSince = Date.now();
    logger.info(`${signal}: stopping the runner, Tablestore Local and the STS ...`);
    stack
      .stop()
      .then(() => {
        logger.info('stopped.');
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error(`error while stopping: ${(e as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && /local[\\/]start\.ts$/.test(process.argv[1]);
if (invokedDirectly) void main();
