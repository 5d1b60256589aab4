import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chain,
  CredentialsError,
  fromDefaultChain,
  fromEnv,
  fromFcContext,
  fromFcInvocation,
  fromStatic,
  type CredentialProvider,
} from '../../lib/credentials';

describe('fromEnv', () => {
  it('reads ALIBABA_CLOUD_* first, with the token', async () => {
    const c = await fromEnv({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'id1',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret1',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'tok1',
      TABLESTORE_ACCESS_KEY_ID: 'id2',
      TABLESTORE_ACCESS_KEY_SECRET: 'secret2',
    })();
    expect(c).toEqual({ accessKeyId: 'id1', accessKeySecret: 'secret1', securityToken: 'tok1', source: 'env' });
  });

  it('falls back to the seeds’ TABLESTORE_* names, and never mixes a half-set group', async () => {
    const c = await fromEnv({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'only-an-id',
      TABLESTORE_ACCESS_KEY_ID: 'id2',
      TABLESTORE_ACCESS_KEY_SECRET: 'secret2',
      TABLESTORE_SESSION_TOKEN: 'tok2',
    })();
    expect(c).toEqual({
      accessKeyId: 'id2',
      accessKeySecret: 'secret2',
      securityToken: 'tok2',
      source: 'env-tablestore',
    });
  });

  it('reports CredentialsNotFound when nothing is set, and reads at call time', async () => {
    const env: Record<string, string | undefined> = {};
    const provider = fromEnv(env);
    await expect(provider()).rejects.toMatchObject({ code: 'CredentialsNotFound' });
    env.ALIBABA_CLOUD_ACCESS_KEY_ID = 'late';
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 's';
    expect((await provider()).accessKeyId).toBe('late');
  });
});

describe('fromFcContext / fromFcInvocation', () => {
  it('uses the invocation’s role keys', async () => {
    const c = await fromFcContext({
      credentials: { accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' },
    })();
    expect(c).toEqual({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't', source: 'fc-context' });
  });

  it('treats FC’s `{}` (no role) as not found, so the chain falls back to the environment', async () => {
    await expect(fromFcContext({ credentials: {} })()).rejects.toMatchObject({ code: 'CredentialsNotFound' });
    const saved = { ...process.env };
    try {
      process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = 'env-id';
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'env-secret';
      delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
      expect((await fromFcInvocation({ credentials: {} })()).source).toBe('env');
      // …but a context with keys wins over the environment.
      expect(
        (await fromFcInvocation({ credentials: { accessKeyId: 'ctx', accessKeySecret: 's' } })()).accessKeyId,
      ).toBe('ctx');
    } finally {
      process.env = saved;
    }
  });
});

describe('chain', () => {
  const notFound: CredentialProvider = async () => {
    throw new CredentialsError('CredentialsNotFound', 'nothing here');
  };

  it('returns the first provider that has credentials and passes forceRefresh through', async () => {
    const seen: unknown[] = [];
    const p = chain(notFound, async (o) => {
      seen.push(o);
      return { accessKeyId: 'b', accessKeySecret: 's', source: 'b' };
    });
    expect((await p({ forceRefresh: true })).accessKeyId).toBe('b');
    expect(seen).toEqual([{ forceRefresh: true }]);
  });

  it('stops at a provider that exists but fails', async () => {
    const next = vi.fn(fromStatic({ accessKeyId: 'c', accessKeySecret: 's' }));
    const p = chain(async () => {
      throw new CredentialsError('AssumeRoleFailed', 'STS said no');
    }, next);
    await expect(p()).rejects.toMatchObject({ code: 'AssumeRoleFailed' });
    expect(next).not.toHaveBeenCalled();
  });

  it('reports every miss when nothing resolves', async () => {
    await expect(chain(notFound, fromEnv({}))()).rejects.toThrow(/nothing here; no credentials in the environment/);
  });
});

describe('fromDefaultChain', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('builds the library chain lazily and recovers after a failed call (no sticky provider)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cred-home-'));
    for (const k of Object.keys(process.env)) if (k.startsWith('ALIBABA_CLOUD_')) delete process.env[k];
    process.env.HOME = home;
    process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
    process.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED = 'true';
    process.env.ALIBABA_CLOUD_CREDENTIALS_FILE = join(home, 'missing');
    const provider = fromDefaultChain();
    await expect(provider()).rejects.toMatchObject({ code: 'CredentialsNotFound' });
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = 'default-id';
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'default-secret';
    const c = await provider();
    expect(c.accessKeyId).toBe('default-id');
    expect(c.source).toMatch(/^default-chain\//);
  });
});
