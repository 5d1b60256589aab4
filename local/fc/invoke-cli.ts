/**
 * `npm run invoke -- <function> [--event-file events/x.json | --event JSON]` — invoke a function once and
 * print its logs and result, like `s local invoke`.
 *
 * Local (default): starts Tablestore Local with the demo data, the local STS and the runner in-process on free
 * ports, invokes, prints, stops. `--remote [--endpoint HOST]`: invokes through `@alicloud/fc20230330`
 * instead — against FC in the cloud (default endpoint `<accountId>.<region>.fc.aliyuncs.com`, keys from
 * ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN and ALIBABA_CLOUD_ACCOUNT_ID) or against a running
 * `npm start` (`--endpoint 127.0.0.1:9000`; the local admin keys are used when none are set).
 * `<function>` is the functionName or the resource name in s.yaml. Exit code 1 on a function error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject, type FunctionSpec, type ProjectSpec } from './config';
import { createFcClient, invokeWithFc2, invokeWithSdk } from './fc-sdk';
import { ADMIN_KEY, DEFAULT_INSTANCE, REPO_ROOT, startLocalStack } from './stack';
import { DEFAULT_ACCOUNT_ID } from './runner';

const HELP = `Usage: npm run invoke -- <function> [options]

  <function>              functionName or resource name from s.yaml (e.g. http-api)
  -f, --event-file FILE   event payload file (e.g. events/http-list-tables.json)
  -e, --event TEXT        event payload text (e.g. '{"staleAfterMinutes":5}')
  --qualifier Q           version/alias (default LATEST)
  --remote                invoke through @alicloud/fc20230330 instead of in-process
  --sdk fc3|fc2           with --remote: @alicloud/fc20230330 (fc3, default) or @alicloud/fc2 (FC signature)
  --endpoint HOST[:PORT]  FC endpoint for --remote (default <accountId>.<region>.fc.aliyuncs.com)
  --data-dir DIR          local mode: use this Tablestore Local data (default: fresh demo data in memory)
  --sfile FILE            s.yaml to read (default ./s.yaml)
  -h, --help
`;

/** The CLI's output streams; `npm run invoke` passes process.stdout/stderr, the tests collect the text. */
export interface InvokeCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface InvokeCliOptions {
  /** Where the ALIBABA_CLOUD_* keys and account id and s.yaml's ${env(...)} values come from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** What --event-file, --sfile and ./s.yaml are relative to (default process.cwd()). */
  readonly cwd?: string;
}

/** A usage or invocation failure: its message goes to stderr and the CLI exits with `code`. */
class CliExit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function fail(message: string, code = 2): never {
  throw new CliExit(message, code);
}

function findFunction(project: ProjectSpec, name: string): FunctionSpec {
  const fn = project.functions.find((f) => f.functionName === name || f.resourceName === name);
  if (!fn)
    fail(
      `no function "${name}" in ${project.file}; known: ${project.functions.map((f) => `${f.resourceName} (${f.functionName})`).join(', ')}`,
    );
  return fn;
}

/**
 * One `npm run invoke` run: parses `argv` (the arguments after `--`), invokes once, writes what the CLI prints
 * to `io` and returns the exit code (0 ok, 1 function or InvokeFunction error, 2 usage). Unexpected errors
 * (e.g. an unknown option, or the local stack failing to start) are thrown.
 */
export async function runInvokeCli(
  argv: readonly string[],
  io: InvokeCliIo,
  options: InvokeCliOptions = {},
): Promise<number> {
  try {
    return await invokeOnce(argv, io, options.env ?? process.env, options.cwd ?? process.cwd());
  } catch (e) {
    if (!(e instanceof CliExit)) throw e;
    io.err(`${e.message}\n`);
    return e.code;
  }
}

async function invokeOnce(
  argv: readonly string[],
  io: InvokeCliIo,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'event-file': { type: 'string', short: 'f' },
      event: { type: 'string', short: 'e' },
      qualifier: { type: 'string' },
      remote: { type: 'boolean' },
      sdk: { type: 'string' },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      sfile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  if (values['event-file'] && values.event !== undefined) fail('give either --event-file or --event, not both');
  let event: Buffer = Buffer.alloc(0);
  if (values['event-file']) {
    const file = resolvePath(cwd, values['event-file']);
    if (!existsSync(file)) fail(`event file ${file} does not exist`);
    event = readFileSync(file);
  } else if (values.event !== undefined) event = Buffer.from(values.event, 'utf8');
  const sYaml = resolvePath(
    cwd,
    values.sfile ?? (existsSync(resolvePath(cwd, 's.yaml')) ? 's.yaml' : join(REPO_ROOT, 's.yaml')),
  );
  const accountId = env.ALIBABA_CLOUD_ACCOUNT_ID ?? env.FC_ACCOUNT_ID ?? DEFAULT_ACCOUNT_ID;

  const sdk = values.sdk ?? 'fc3';
  if (sdk !== 'fc3' && sdk !== 'fc2') fail(`--sdk must be fc3 or fc2, not '${sdk}'`);
  if (values.sdk !== undefined && !values.remote) fail('--sdk only applies with --remote');
  if (values.remote) {
    const project = loadProject(sYaml, {
      env: { TABLESTORE_INSTANCE: DEFAULT_INSTANCE, ...env },
      config: { AccountID: accountId },
      accountId,
    });
    const fn = findFunction(project, positionals[0]);
    const endpoint = values.endpoint ?? `${accountId}.${fn.region}.fc.aliyuncs.com`;
    const local = /^(127\.|localhost|\[?::1\]?)/.test(endpoint);
    if (!values.endpoint && accountId === DEFAULT_ACCOUNT_ID)
      fail('--remote without --endpoint needs ALIBABA_CLOUD_ACCOUNT_ID (your account id) to build the FC endpoint');
    const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? (local ? ADMIN_KEY.id : undefined);
    const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? (local ? ADMIN_KEY.secret : undefined);
    if (!accessKeyId || !accessKeySecret)
      fail('--remote needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    const sdkOptions = {
      endpoint,
      accessKeyId,
      accessKeySecret,
      securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN,
      regionId: fn.region,
    };
    let res;
    try {
      res =
        sdk === 'fc2'
          ? await invokeWithFc2({ ...sdkOptions, accountId }, fn.functionName, event, {
              qualifier: values.qualifier,
              logTail: true,
            })
          : await invokeWithSdk(createFcClient(sdkOptions), fn.functionName, event, {
              qualifier: values.qualifier,
              logTail: true,
            });
    } catch (e) {
      const err = e as Error & { code?: string; statusCode?: number };
      fail(`InvokeFunction ${fn.functionName} at ${endpoint} failed: ${err.code ?? ''} ${err.message}`, 1);
    }
    io.out(
      `FC Invoke Start RequestId: ${res.requestId ?? '-'}  (${endpoint}, via ${sdk === 'fc2' ? '@alicloud/fc2' : '@alicloud/fc20230330'})\n`,
    );
    if (res.logTail) io.out(res.logTail.endsWith('\n') ? res.logTail : `${res.logTail}\n`);
    io.out(
      `FC Invoke End RequestId: ${res.requestId ?? '-'}${res.errorType ? `, Error: ${res.errorType}` : ''}\n\nFC Invoke Result:\n`,
    );
    io.out(`${res.body.toString('utf8')}\n`);
    return res.errorType ? 1 : 0;
  }

  // Check the name before starting anything.
  findFunction(
    loadProject(sYaml, {
      env: { TABLESTORE_INSTANCE: DEFAULT_INSTANCE, ...env },
      config: { AccountID: accountId },
      accountId,
    }),
    positionals[0],
  );
  const quiet = { info: () => {}, warn: () => {}, error: (m: string) => io.err(`${m}\n`) };
  const stack = await startLocalStack({
    sYamlPath: sYaml,
    dataDir: values['data-dir'],
    port: 0,
    tablestorePort: 0,
    timers: false,
    feederIntervalMs: 0,
    functionLogs: false,
    logger: { ...quiet, info: (m) => (m.startsWith('[build]') ? io.err(`${m}\n`) : undefined) },
  });
  try {
    const fn = findFunction(stack.project, positionals[0]);
    const outcome = await stack.runner.invoke(fn.functionName, event, { qualifier: values.qualifier });
    io.out(`FC Invoke Start RequestId: ${outcome.requestId}\n`);
    for (const line of outcome.logs) io.out(`${line}\n`);
    io.out(
      `FC Invoke End RequestId: ${outcome.requestId}, Duration: ${outcome.durationMs.toFixed(2)} ms, Memory Size: ${fn.memorySize} MB, ` +
        `Cold Start: ${outcome.coldStart ? 'yes' : 'no'}${outcome.ok ? '' : `, Error: ${outcome.errorType}`}\n\nFC Invoke Result:\n`,
    );
    io.out(`${outcome.body.toString('utf8')}\n`);
    return outcome.ok ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const code = await runInvokeCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
  process.exit(code);
}

// Imported by the tests (test/local-fc/stack.test.ts) for runInvokeCli; run only as `npm run invoke`.
const invokedDirectly = process.argv[1] !== undefined && /local[\\/]fc[\\/]invoke-cli\.ts$/.test(process.argv[1]);
if (invokedDirectly)
  main().catch((e: unknown) => {
    process.stderr.write(`invoke failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
