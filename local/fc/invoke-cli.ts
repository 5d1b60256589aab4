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

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function findFunction(project: ProjectSpec, name: string): FunctionSpec {
  const fn = project.functions.find((f) => f.functionName === name || f.resourceName === name);
  if (!fn)
    fail(
      `no function "${name}" in ${project.file}; known: ${project.functions.map((f) => `${f.resourceName} (${f.functionName})`).join(', ')}`,
    );
  return fn;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
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
    process.stdout.write(HELP);
    process.exit(values.help ? 0 : 2);
  }
  if (values['event-file'] && values.event !== undefined) fail('give either --event-file or --event, not both');
  let event: Buffer = Buffer.alloc(0);
  if (values['event-file']) {
    const file = resolvePath(values['event-file']);
    if (!existsSync(file)) fail(`event file ${file} does not exist`);
    event = readFileSync(file);
  } else if (values.event !== undefined) event = Buffer.from(values.event, 'utf8');
  const sYaml = resolvePath(values.sfile ?? (existsSync('s.yaml') ? 's.yaml' : join(REPO_ROOT, 's.yaml')));
  const accountId = process.env.ALIBABA_CLOUD_ACCOUNT_ID ?? process.env.FC_ACCOUNT_ID ?? DEFAULT_ACCOUNT_ID;

  const sdk = values.sdk ?? 'fc3';
  if (sdk !== 'fc3' && sdk !== 'fc2') fail(`--sdk must be fc3 or fc2, not '${sdk}'`);
  if (values.sdk !== undefined && !values.remote) fail('--sdk only applies with --remote');
  if (values.remote) {
    const project = loadProject(sYaml, {
      env: { TABLESTORE_INSTANCE: DEFAULT_INSTANCE, ...process.env },
      config: { AccountID: accountId },
      accountId,
    });
    const fn = findFunction(project, positionals[0]);
    const endpoint = values.endpoint ?? `${accountId}.${fn.region}.fc.aliyuncs.com`;
    const local = /^(127\.|localhost|\[?::1\]?)/.test(endpoint);
    if (!values.endpoint && accountId === DEFAULT_ACCOUNT_ID)
      fail('--remote without --endpoint needs ALIBABA_CLOUD_ACCOUNT_ID (your account id) to build the FC endpoint');
    const accessKeyId = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? (local ? ADMIN_KEY.id : undefined);
    const accessKeySecret = process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? (local ? ADMIN_KEY.secret : undefined);
    if (!accessKeyId || !accessKeySecret)
      fail('--remote needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    const sdkOptions = {
      endpoint,
      accessKeyId,
      accessKeySecret,
      securityToken: process.env.ALIBABA_CLOUD_SECURITY_TOKEN,
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
    process.stdout.write(
      `FC Invoke Start RequestId: ${res.requestId ?? '-'}  (${endpoint}, via ${sdk === 'fc2' ? '@alicloud/fc2' : '@alicloud/fc20230330'})\n`,
    );
    if (res.logTail) process.stdout.write(res.logTail.endsWith('\n') ? res.logTail : `${res.logTail}\n`);
    process.stdout.write(
      `FC Invoke End RequestId: ${res.requestId ?? '-'}${res.errorType ? `, Error: ${res.errorType}` : ''}\n\nFC Invoke Result:\n`,
    );
    process.stdout.write(`${res.body.toString('utf8')}\n`);
    process.exit(res.errorType ? 1 : 0);
  }

  // Check the name before starting anything.
  findFunction(
    loadProject(sYaml, {
      env: { TABLESTORE_INSTANCE: DEFAULT_INSTANCE, ...process.env },
      config: { AccountID: accountId },
      accountId,
    }),
    positionals[0],
  );
  const quiet = { info: () => {}, warn: () => {}, error: (m: string) => process.stderr.write(`${m}\n`) };
  const stack = await startLocalStack({
    sYamlPath: sYaml,
    dataDir: values['data-dir'],
    port: 0,
    tablestorePort: 0,
    timers: false,
    feederIntervalMs: 0,
    functionLogs: false,
    logger: { ...quiet, info: (m) => (m.startsWith('[build]') ? process.stderr.write(`${m}\n`) : undefined) },
  });
  let code: number;
  try {
    const fn = findFunction(stack.project, positionals[0]);
    const outcome = await stack.runner.invoke(fn.functionName, event, { qualifier: values.qualifier });
    process.stdout.write(`FC Invoke Start RequestId: ${outcome.requestId}\n`);
    for (const line of outcome.logs) process.stdout.write(`${line}\n`);
    process.stdout.write(
      `FC Invoke End RequestId: ${outcome.requestId}, Duration: ${outcome.durationMs.toFixed(2)} ms, Memory Size: ${fn.memorySize} MB, ` +
        `Cold Start: ${outcome.coldStart ? 'yes' : 'no'}${outcome.ok ? '' : `, Error: ${outcome.errorType}`}\n\nFC Invoke Result:\n`,
    );
    process.stdout.write(`${outcome.body.toString('utf8')}\n`);
    code = outcome.ok ? 0 : 1;
  } finally {
    await stack.stop();
  }
  process.exit(code);
}

main().catch((e: unknown) => fail(`invoke failed: ${(e as Error).stack ?? String(e)}`, 1));
