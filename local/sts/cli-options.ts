/**
 * The local STS's command-line flags, for any CLI that hosts Tablestore Local (local/tablestore/cli.ts,
 * npm start): `--identities FILE`, `--sts-port PORT`, `--sts-cert-dir DIR`. Spread STS_CLI_OPTIONS into a
 * node:util parseArgs config, append STS_CLI_USAGE to the help, then call startIdentitiesFromCli.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIam } from './iam';
import { defaultIdentities, IdentitiesError, loadIdentities, type Identities } from './identities';
import { startLocalSts, type LocalSts } from './server';

export const DEFAULT_STS_PORT = 8801;
/** Stable across restarts, so a CA trusted once stays trusted; `npm run assume-role` looks here too. */
export const DEFAULT_STS_CERT_DIR = join(tmpdir(), 'tablestore-local-sts');

export const STS_CLI_OPTIONS = {
  identities: { type: 'string' },
  'sts-port': { type: 'string' },
  'sts-cert-dir': { type: 'string' },
} as const;

export const STS_CLI_USAGE = `  --identities FILE         RAM users, roles and policies (JSON; see docs/credentials.md); enables the local STS
                            and RAM policy checks (default identities when only --sts-port is given)
  --sts-port PORT           local STS (HTTPS AssumeRole) port, 0 = any free port (default ${DEFAULT_STS_PORT})
  --sts-cert-dir DIR        where the STS's self-signed certificate is kept (default ${DEFAULT_STS_CERT_DIR})`;

export interface StsCliValues {
  readonly identities?: string | undefined;
  readonly 'sts-port'?: string | undefined;
  readonly 'sts-cert-dir'?: string | undefined;
}

export interface StartedIdentities {
  /** Pass as `identities` to startTablestoreLocal. */
  readonly identities: LocalIam;
  readonly sts: LocalSts;
  /** What to print at start-up (no secrets beyond the local keys the file itself holds). */
  readonly lines: readonly string[];
  stop(): Promise<void>;
}

export class StsCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StsCliError';
  }
}

/**
 * Start the local STS as the flags ask. Returns undefined when neither --identities nor --sts-port was given
 * (the host CLI then keeps its plain access keys). `rootAccessKeys` (e.g. the host's --access-key pairs) stay
 * valid with full access, so enabling RAM never locks out existing scripts.
 */
export async function startIdentitiesFromCli(
  values: StsCliValues,
  options: {
    host?: string | undefined;
    rootAccessKeys?: ReadonlyArray<{ id: string; secret: string }>;
    log?: (line: string) => void;
  } = {},
): Promise<StartedIdentities | undefined> {
  if (values.identities === undefined && values['sts-port'] === undefined) return undefined;
  const port = values['sts-port'] === undefined ? DEFAULT_STS_PORT : Number(values['sts-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StsCliError(`Invalid --sts-port: ${values['sts-port']}`);
  let identities: Identities;
  try {
    identities = values.identities ? loadIdentities(values.identities) : defaultIdentities();
  } catch (e) {
    if (e instanceof IdentitiesError) throw new StsCliError(`Invalid --identities: ${e.message}`);
    throw e;
  }
  const known = new Set(
    [...identities.rootAccessKeys, ...identities.users.flatMap((u) => u.accessKeys)].map((k) => k.id),
  );
  const extraRoot = (options.rootAccessKeys ?? [])
    .filter((k) => !known.has(k.id))
    .map((k) => ({ id: k.id, secret: k.secret, active: true }));
  identities = { ...identities, rootAccessKeys: [...identities.rootAccessKeys, ...extraRoot] };

  const iam = new LocalIam(
    identities,
    options.log ? { onDenied: (e) => options.log!(`RAM denied ${e.action} to ${e.principal}: ${e.reason}`) } : {},
  );
  const sts = await startLocalSts({
    iam,
    host: options.host ?? '127.0.0.1',
    port,
    certDir: values['sts-cert-dir'] ?? DEFAULT_STS_CERT_DIR,
    ...(options.log ? { log: options.log } : {}),
  });
  const lines = [
    `Local STS (AssumeRole) listening on ${sts.endpoint}; trust its CA: ${sts.caCertPath}`,
    `  RAM account ${identities.accountId}: ${identities.users.length} user(s), ${identities.roles.length} role(s)` +
      (values.identities ? ` from ${values.identities}` : ' (built-in defaults)'),
    ...identities.rootAccessKeys.map((k) => `  root (full access, may not AssumeRole): AccessKeyId ${k.id}`),
    // The built-in keys are documented anyway; a user's own file keeps its secrets off the screen.
    ...identities.users.flatMap((u) =>
      u.accessKeys
        .filter((k) => k.active)
        .map(
          (k) => `  RAM user ${u.name}: AccessKeyId ${k.id}${values.identities ? '' : `  AccessKeySecret ${k.secret}`}`,
        ),
    ),
    ...identities.roles.map((r) => `  role ${r.arn} (max ${r.maxSessionDuration} s)`),
    `  e.g. ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=… npm run -s assume-role -- --role-arn ${identities.roles[0]?.arn ?? 'ARN'} --sts-endpoint ${sts.stsEndpoint}`,
  ];
  return { identities: iam, sts, lines, stop: () => sts.stop() };
}
