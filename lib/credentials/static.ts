import type { CredentialProvider, Credentials } from './types';
import { CredentialsError } from './errors';

/** The shape of FC 3.0's `context.credentials`: `{}` when the function has no role. */
export interface FcContextCredentials {
  readonly accessKeyId?: string;
  readonly accessKeySecret?: string;
  readonly securityToken?: string;
}

export interface FcContextLike {
  readonly credentials?: FcContextCredentials | null;
}

/** Long-term keys or a fixed STS triple, e.g. for tests or keys read from a secret store. */
export function fromStatic(credentials: Omit<Credentials, 'source'> & { source?: string }): CredentialProvider {
  if (!credentials.accessKeyId || !credentials.accessKeySecret) {
    throw new CredentialsError('CredentialsNotFound', 'fromStatic needs an accessKeyId and an accessKeySecret');
  }
  const resolved: Credentials = { ...credentials, source: credentials.source ?? 'static' };
  return async () => resolved;
}

/**
 * The execution role's STS keys for this invocation. FC refreshes them behind our back, so build this
 * provider from each invocation's context rather than caching the keys of the first one.
 */
export function fromFcContext(context: FcContextLike): CredentialProvider {
  const c = context.credentials ?? {};
  return async () => {
    if (!c.accessKeyId || !c.accessKeySecret) {
      throw new CredentialsError(
        'CredentialsNotFound',
        'context.credentials is empty: the function has no role (set `role` in s.yaml)',
      );
    }
    return {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      ...(c.securityToken ? { securityToken: c.securityToken } : {}),
      source: 'fc-context',
    };
  };
}

type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAME_SETS = [
  {
    id: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    secret: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    token: 'ALIBABA_CLOUD_SECURITY_TOKEN',
    source: 'env',
  },
  // The names the Tablestore seeds and samples use.
  {
    id: 'TABLESTORE_ACCESS_KEY_ID',
    secret: 'TABLESTORE_ACCESS_KEY_SECRET',
    token: 'TABLESTORE_SESSION_TOKEN',
    source: 'env-tablestore',
  },
] as const;

/**
 * Keys from the environment, read on every call (FC injects ALIBABA_CLOUD_*; `s local` puts the deployer's
 * long-term keys there). ALIBABA_CLOUD_* wins over TABLESTORE_*; a set is used only when id and secret are
 * both present, so a half-set group never mixes with the other.
 */
export function fromEnv(env: Env = process.env): CredentialProvider {
  return async () => {
    for (const names of ENV_NAME_SETS) {
      const id = env[names.id]?.trim();
      const secret = env[names.secret]?.trim();
      if (!id || !secret) continue;
      const token = env[names.token]?.trim();
      return {
        accessKeyId: id,
        accessKeySecret: secret,
        ...(token ? { securityToken: token } : {}),
        source: names.source,
      };
    }
    throw new CredentialsError(
      'CredentialsNotFound',
      'no credentials in the environment (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET or TABLESTORE_ACCESS_KEY_ID/_SECRET)',
    );
  };
}
