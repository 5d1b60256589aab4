/**
 * `npm run assume-role`: a RAM user's keys (from the environment) assume a role through STS — the local STS
 * or the real one — and print what was issued. Secrets are masked unless --show-secrets is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chain, fromAssumeRole, fromDefaultChain, fromEnv, type CredentialProvider } from '../../lib/credentials';
import { DEFAULT_STS_CERT_DIR } from './cli-options';

export const ASSUME_ROLE_USAGE = `Usage: npm run -s assume-role -- --role-arn ARN [options]
  --role-arn ARN            acs:ram::<account>:role/<name> (required)
  --duration SECONDS        900 … the role's max session duration (default 3600)
  --policy FILE             session policy (JSON) narrowing the role for this session
  --session-name NAME       RoleSessionName (default assume-role-cli-<epoch ms>)
  --external-id ID          ExternalId, when the role's trust policy asks for one
  --sts-endpoint HOST[:PORT] STS host (default sts.aliyuncs.com); e.g. 127.0.0.1:8801 for the local STS
  --ca-cert FILE            extra CA to trust for the STS (default for 127.0.0.1/localhost:
                            ${join(DEFAULT_STS_CERT_DIR, 'cert.pem')} when it exists)
  --export                  print shell export lines (ALIBABA_CLOUD_* and TABLESTORE_*)
  --show-secrets            print AccessKeySecret and SecurityToken in clear (masked otherwise)
  --help
The caller's keys come from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (or TABLESTORE_ACCESS_KEY_ID/_SECRET),
else the @alicloud/credentials default chain.`;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export function mask(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 4)}…${secret.slice(-4)} (${secret.length} chars, masked)`;
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** Returns the process exit code. */
export async function runAssumeRole(
  argv: readonly string[],
  io: CliIo,
  options: { source?: CredentialProvider; now?: () => Date } = {},
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'role-arn': { type: 'string' },
        duration: { type: 'string' },
        policy: { type: 'string' },
        'session-name': { type: 'string' },
        'external-id': { type: 'string' },
        'sts-endpoint': { type: 'string' },
        'ca-cert': { type: 'string' },
        export: { type: 'boolean' },
        'show-secrets': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${ASSUME_ROLE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${ASSUME_ROLE_USAGE}\n`);
    return 0;
  }
  const roleArn = values['role-arn'];
  if (!roleArn) {
    io.err(`--role-arn is required\n\n${ASSUME_ROLE_USAGE}\n`);
    return 2;
  }
  const duration = values.duration === undefined ? 3600 : Number(values.duration);
  if (!Number.isInteger(duration) || duration < 900) {
    io.err(`Invalid --duration: ${values.duration} (an integer of at least 900 seconds)\n`);
    return 2;
  }
  let policy: string | undefined;
  if (values.policy) {
    try {
      policy = readFileSync(values.policy, 'utf8');
      JSON.parse(policy);
    } catch (e) {
      io.err(`Invalid --policy ${values.policy}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const endpoint = values['sts-endpoint'];
  let caCertPath = values['ca-cert'];
  const defaultCa = join(DEFAULT_STS_CERT_DIR, 'cert.pem');
  if (
    !caCertPath &&
    endpoint &&
    /^(https:\/\/)?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(endpoint) &&
    existsSync(defaultCa)
  ) {
    caCertPath = defaultCa;
  }

  const provider = fromAssumeRole({
    roleArn,
    roleSessionName: values['session-name'] ?? `assume-role-cli-${Date.now()}`,
    durationSeconds: duration,
    ...(policy ? { policy } : {}),
    ...(values['external-id'] ? { externalId: values['external-id'] } : {}),
    ...(endpoint ? { stsEndpoint: endpoint } : {}),
    ...(caCertPath ? { caCertPath } : {}),
    sourceCredentials: options.source ?? chain(fromEnv(), fromDefaultChain()),
  });
  let c;
  try {
    c = await provider();
  } catch (e) {
    io.err(`AssumeRole failed: ${(e as Error).message}\n`);
    return 1;
  }
  const show = values['show-secrets'] === true;
  const secret = show ? c.accessKeySecret : mask(c.accessKeySecret);
  const token = show ? (c.securityToken ?? '') : mask(c.securityToken ?? '');
  const now = (options.now ?? (() => new Date()))();
  const left = c.expiration ? Math.round((c.expiration.getTime() - now.getTime()) / 1000) : undefined;
  if (values.export) {
    const lines = [
      ['ALIBABA_CLOUD_ACCESS_KEY_ID', c.accessKeyId],
      ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', secret],
      ['ALIBABA_CLOUD_SECURITY_TOKEN', token],
      ['TABLESTORE_ACCESS_KEY_ID', c.accessKeyId],
      ['TABLESTORE_ACCESS_KEY_SECRET', secret],
      ['TABLESTORE_SESSION_TOKEN', token],
    ].map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    io.out(
      `# expires ${c.expiration?.toISOString().replace(/\.\d{3}Z$/, 'Z')}${left !== undefined ? ` (in ${left} s)` : ''}\n${lines.join('\n')}\n`,
    );
    if (!show) io.err('Secrets are masked: add --show-secrets to print usable export lines.\n');
    return 0;
  }
  io.out(
    [
      `Role:            ${roleArn}`,
      `AccessKeyId:     ${c.accessKeyId}`,
      `AccessKeySecret: ${secret}`,
      `SecurityToken:   ${token}`,
      `Expiration:      ${c.expiration?.toISOString().replace(/\.\d{3}Z$/, 'Z')}${left !== undefined ? ` (in ${left} s)` : ''}`,
    ].join('\n') + '\n',
  );
  return 0;
}
