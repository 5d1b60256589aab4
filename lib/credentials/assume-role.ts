import https from 'node:https';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { RAMRoleARNCredentialsProvider } from '@alicloud/credentials';
import type { CredentialProvider, Credentials } from './types';
import { CredentialsError } from './errors';
import { fromEnv } from './static';

export interface AssumeRoleOptions {
  /** `acs:ram::<accountId>:role/<roleName>` */
  readonly roleArn: string;
  /** 2–64 of `A-Za-z0-9.@_-`; default `tablestore-fc-<epoch ms>`. */
  readonly roleSessionName?: string;
  /** 900 … the role's MaxSessionDuration; default 3600 (900 s tokens would be re-fetched far too often). */
  readonly durationSeconds?: number;
  /** Session policy (JSON text or object): narrows the role's permissions for this session only. */
  readonly policy?: string | object;
  readonly externalId?: string;
  /** `host[:port]` (an `https://` prefix is tolerated); default from stsRegionId, else `sts.aliyuncs.com`. */
  readonly stsEndpoint?: string;
  readonly stsRegionId?: string;
  readonly enableVpc?: boolean;
  /** The RAM user's (or role's) keys that call AssumeRole; default `fromEnv()`. */
  readonly sourceCredentials?: CredentialProvider;
  /**
   * Extra CA certificate(s) (PEM) to trust for the STS endpoint, e.g. the local STS's self-signed CA.
   * NODE_EXTRA_CA_CERTS is read only at process start, so we pass the CA to the request instead.
   */
  readonly caCert?: string;
  /** Same as caCert, read from a file. */
  readonly caCertPath?: string;
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

/** The library's HTTP request/response shapes (src/providers/http.ts), as far as we use them. */
interface LibRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly bodyForm?: Record<string, string>;
  readonly readTimeout?: number;
  readonly connectTimeout?: number;
  toRequestURL(): string;
}
interface LibResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}
type DoRequest = (request: LibRequest) => Promise<LibResponse>;

/** Form encoding exactly as the library's own doRequest does it (the signature covers the decoded values). */
function formEncode(form: Record<string, string>): string {
  return Object.entries(form)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

function requestWithCa(agent: https.Agent): DoRequest {
  return (req) =>
    new Promise<LibResponse>((resolve, reject) => {
      const body = req.bodyForm && Object.keys(req.bodyForm).length > 0 ? formEncode(req.bodyForm) : undefined;
      const readTimeout = req.readTimeout ?? 10_000;
      const r = https.request(req.toRequestURL(), { method: req.method, headers: req.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
          resolve({ statusCode: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      r.setTimeout(readTimeout, () => r.destroy(new Error(`STS request timed out after ${readTimeout} ms`)));
      r.on('error', reject);
      r.end(body);
    });
}

function normaliseEndpoint(endpoint: string): string {
  return endpoint.replace(/^https:\/\//i, '').replace(/\/+$/, '');
}

/** Bridges our provider to the library's `CredentialsProvider` interface. */
function libSource(provider: CredentialProvider) {
  return {
    getProviderName: () => 'static_ak',
    getCredentials: async () => {
      const c = await provider();
      return {
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        securityToken: c.securityToken ?? '',
        providerName: c.securityToken ? 'static_sts' : 'static_ak',
      };
    },
  };
}

/**
 * A RAM user's keys assume a role through `@alicloud/credentials` (its ram_role_arn provider does the
 * signing and the reply parsing). Every call is one AssumeRole: wrap it in `memoize` for caching and
 * single flight. A fresh library provider per call keeps the library's own cache (which can hand out
 * expired keys and refetches 900 s tokens on every call) out of the way, and lets a forced refresh really
 * fetch.
 */
export function fromAssumeRole(options: AssumeRoleOptions): CredentialProvider {
  const source = options.sourceCredentials ?? fromEnv();
  const ca = options.caCert ?? (options.caCertPath ? readFileSync(options.caCertPath, 'utf8') : undefined);
  // `ca` replaces Node's trust store, so keep the public roots beside the extra CA.
  const agent = ca ? new https.Agent({ ca: [...tls.rootCertificates, ca], keepAlive: true, maxSockets: 4 }) : undefined;
  const policy = typeof options.policy === 'object' ? JSON.stringify(options.policy) : options.policy;

  return async (): Promise<Credentials> => {
    const builder = RAMRoleARNCredentialsProvider.builder()
      .withCredentialsProvider(libSource(source))
      .withRoleArn(options.roleArn)
      .withRoleSessionName(options.roleSessionName ?? `tablestore-fc-${Date.now()}`)
      .withDurationSeconds(options.durationSeconds ?? 3600);
    if (policy) builder.withPolicy(policy);
    if (options.externalId) builder.withExternalId(options.externalId);
    if (options.stsEndpoint) builder.withStsEndpoint(normaliseEndpoint(options.stsEndpoint));
    if (options.stsRegionId) builder.withStsRegionId(options.stsRegionId);
    if (options.enableVpc) builder.withEnableVpc(true);
    if (options.timeoutMs) builder.withReadTimeout(options.timeoutMs);
    if (options.connectTimeoutMs) builder.withConnectTimeout(options.connectTimeoutMs);

    let provider: RAMRoleARNCredentialsProvider;
    try {
      provider = builder.build();
    } catch (error) {
      throw new CredentialsError('AssumeRoleFailed', `AssumeRole misconfigured: ${(error as Error).message}`, {
        cause: error,
      });
    }

    // `doRequest` is the library's documented mock seam (a private field). We wrap it to read the
    // Expiration the library parses but does not expose, and to trust an extra CA.
    const seam = provider as unknown as { doRequest?: DoRequest };
    const original = seam.doRequest;
    if (typeof original !== 'function') {
      throw new CredentialsError('AssumeRoleFailed', '@alicloud/credentials changed: ram_role_arn has no doRequest');
    }
    const send: DoRequest = agent ? requestWithCa(agent) : original;
    let expiration: string | undefined;
    seam.doRequest = async (req) => {
      const res = await send(req);
      if (res.statusCode === 200) {
        try {
          const body = JSON.parse(res.body.toString('utf8')) as { Credentials?: { Expiration?: unknown } };
          if (typeof body.Credentials?.Expiration === 'string') expiration = body.Credentials.Expiration;
        } catch {
          // the library reports an unparsable body itself
        }
      }
      return res;
    };

    let lib: { accessKeyId: string; accessKeySecret: string; securityToken: string };
    try {
      lib = await provider.getCredentials();
    } catch (error) {
      throw new CredentialsError(
        'AssumeRoleFailed',
        `AssumeRole ${options.roleArn} failed: ${redact((error as Error).message)}`,
        {
          cause: error,
        },
      );
    }
    const expires = expiration ? new Date(expiration) : undefined;
    if (!expires || Number.isNaN(expires.getTime())) {
      throw new CredentialsError('AssumeRoleFailed', `AssumeRole ${options.roleArn}: reply had no valid Expiration`);
    }
    return {
      accessKeyId: lib.accessKeyId,
      accessKeySecret: lib.accessKeySecret,
      securityToken: lib.securityToken,
      expiration: expires,
      source: 'assume-role',
    };
  };
}

/** The library echoes STS reply bodies into its errors; keep tokens and secrets out of ours. */
function redact(message: string): string {
  return message
    .replace(/("(?:AccessKeySecret|SecurityToken)"\s*:\s*")[^"]*/g, '$1***')
    .replace(/(SecurityToken%253D|SecurityToken%3D|SecurityToken=)[^&%\s"]+/g, '$1***');
}
