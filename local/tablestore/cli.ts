/**
 * Tablestore Local CLI:
 *   npm run tablestore:local -- [--host 127.0.0.1] [--port 8800] [--instance local] [--region cn-hangzhou]
 *     [--access-key ID:SECRET]... [--data-dir DIR] [--clock-skew-seconds 900] [--skip-signature-check] [--verbose]
 *     [--identities FILE] [--sts-port PORT] [--sts-cert-dir DIR]   (local STS + RAM checks, see docs/credentials.md)
 * Prints `Tablestore Local listening on http://HOST:PORT (instance NAME, region REGION)` when ready, then the
 * credentials to use. Logs (JSON lines, the functions' logger of lib/fc/logger.ts) go to stderr and never
 * contain secrets.
 */
import { isInstanceName } from '../../lib/tablestore/names';
import { parseArgs } from 'node:util';
import { createLogger } from '../../lib/fc/logger';
import { syncWriter } from '../../lib/fc/stdout';
import { DEFAULTS, DEFAULT_ACCESS_KEY, startTablestoreLocal, type AccessKey } from './server';
import { STS_CLI_OPTIONS, STS_CLI_USAGE, startIdentitiesFromCli } from '../sts/cli-options';

const USAGE = `Usage: npm run tablestore:local -- [options]
  --host HOST               bind address (default ${DEFAULTS.host})
  --port PORT               port, 0 = any free port (default ${DEFAULTS.port})
  --instance NAME           instance name clients must send (default ${DEFAULTS.instance})
  --region REGION           region, used for V4 signatures and RAM resources (default ${DEFAULTS.region})
  --access-key ID:SECRET    accepted AccessKey pair; repeatable (default ${DEFAULT_ACCESS_KEY.id}:${DEFAULT_ACCESS_KEY.secret})
  --data-dir DIR            persist tables and rows in DIR (default: in memory only)
  --clock-skew-seconds N    accepted x-ots-date skew (default ${DEFAULTS.clockSkewMs / 1000})
  --skip-signature-check    accept any request signature (headers are still required)
  --verbose                 log every request to stderr
${STS_CLI_USAGE}
  --help                    show this help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        instance: { type: 'string' },
        region: { type: 'string' },
        'access-key': { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        'clock-skew-seconds': { type: 'string' },
        'skip-signature-check': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
        ...STS_CLI_OPTIONS,
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = v.port === undefined ? DEFAULTS.port : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Invalid --port: ${v.port}`);
  const skew = v['clock-skew-seconds'] === undefined ? undefined : Number(v['clock-skew-seconds']);
  if (skew !== undefined && !(skew >= 0)) fail(`Invalid --clock-skew-seconds: ${v['clock-skew-seconds']}`);
  const accessKeys: AccessKey[] = (v['access-key'] ?? []).map((pair) => {
    const i = pair.indexOf(':');
    if (i <= 0 || i === pair.length - 1) fail('Invalid --access-key: expected ID:SECRET');
    return { id: pair.slice(0, i), secret: pair.slice(i + 1) };
  });
  if (v.instance !== undefined && !isInstanceName(v.instance)) fail(`Invalid --instance: ${v.instance}`);

  const logger = createLogger({ level: v.verbose ? 'debug' : 'info', destination: syncWriter(2) }).logger.child({
    service: 'tablestore-local',
  });
  // --identities / --sts-port turn on the local STS and RAM checks; the access keys stay valid as root keys.
  const rootKeys = accessKeys.length > 0 ? accessKeys : [DEFAULT_ACCESS_KEY];
  const ram = await startIdentitiesFromCli(v, { host: v.host, rootAccessKeys: rootKeys }).catch((err: unknown) =>
    fail(err instanceof Error ? err.message : String(err)),
  );
  const server = await startTablestoreLocal({
    identities: ram?.identities,
    host: v.host,
    port,
    instance: v.instance,
    region: v.region,
    accessKeys: rootKeys,
    dataDir: v['data-dir'],
    clockSkewMs: skew === undefined ? undefined : skew * 1000,
    verifySignatures: !v['skip-signature-check'],
    logger,
  });
  const lines = [
    `Tablestore Local listening on ${server.endpoint} (instance ${server.instance}, region ${server.region})`,
  ];
  for (const key of server.accessKeys) lines.push(`  AccessKeyId: ${key.id}  AccessKeySecret: ${key.secret}`);
  lines.push(...(ram?.lines ?? []));
  lines.push(
    `  Data: ${v['data-dir'] ? `persisted in ${v['data-dir']}` : 'in memory (use --data-dir DIR to persist)'}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    Promise.all([server.stop(), ram?.stop()]).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Tablestore Local failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
