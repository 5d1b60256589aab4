import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import Sts20150401, * as $Sts from '@alicloud/sts20150401';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { startLocalSts, type LocalSts } from '../../local/sts/server';
import { parseIdentities } from '../../local/sts/identities';
import { rpcSignature, rpcStringToSign } from '../../local/http/signatures';
import { fromAssumeRole, fromStatic, memoize } from '../../lib/credentials';

const ACCOUNT = '1111222233334444';
const identities = parseIdentities({
  accountId: ACCOUNT,
  rootAccessKeys: [{ id: 'ROOTKEY0001', secret: 'root-secret' }],
  users: [
    { name: 'dev', accessKeys: [{ id: 'DEVKEY0001', secret: 'dev-secret' }], policies: ['AliyunSTSAssumeRoleAccess'] },
    {
      name: 'nobody',
      accessKeys: [{ id: 'NOBODYKEY1', secret: 'nobody-secret' }],
      policies: ['AliyunOTSReadOnlyAccess'],
    },
    {
      name: 'outsider',
      accessKeys: [{ id: 'OUTSIDER01', secret: 'outsider-secret' }],
      policies: ['AliyunSTSAssumeRoleAccess'],
    },
    {
      name: 'retired',
      accessKeys: [{ id: 'RETIREDKEY', secret: 'retired-secret', status: 'Inactive' }],
      policies: ['AliyunSTSAssumeRoleAccess'],
    },
  ],
  roles: [
    { name: 'reader', maxSessionDuration: 7200, policies: ['AliyunOTSReadOnlyAccess'] },
    { name: 'chainer', policies: ['AliyunSTSAssumeRoleAccess'] },
    {
      name: 'partner',
      policies: ['AliyunOTSReadOnlyAccess'],
      trustPolicy: {
        Version: '1',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { RAM: [`acs:ram::${ACCOUNT}:root`] },
            Condition: { StringEquals: { 'sts:ExternalId': 'abcd-1234' } },
          },
        ],
      },
    },
    {
      name: 'dev-only',
      policies: ['AliyunOTSFullAccess'],
      trustPolicy: {
        Version: '1',
        Statement: [
          { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT}:user/dev`] } },
        ],
      },
    },
  ],
});
const readerArn = `acs:ram::${ACCOUNT}:role/reader`;

let sts: LocalSts;
beforeAll(async () => {
  sts = await startLocalSts({ identities });
});
afterAll(async () => {
  await sts.stop();
});

const assume = (id: string, secret: string, extra: Partial<Parameters<typeof fromAssumeRole>[0]> = {}) =>
  fromAssumeRole({
    roleArn: readerArn,
    roleSessionName: 'test-session',
    stsEndpoint: sts.stsEndpoint,
    caCertPath: sts.caCertPath,
    sourceCredentials: fromStatic({ accessKeyId: id, accessKeySecret: secret }),
    ...extra,
  })();

/** A hand-signed RPC request, for the error paths the client libraries never produce. */
async function rawRpc(
  params: Record<string, string>,
  secret: string,
  raw = false,
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const all: Record<string, string> = {
    Version: '2015-04-01',
    Action: 'AssumeRole',
    Format: 'JSON',
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    RoleArn: readerArn,
    RoleSessionName: 'raw',
    ...params,
  };
  delete all.Signature;
  const signature = params.Signature ?? rpcSignature(rpcStringToSign('POST', all), secret);
  const body = new URLSearchParams({ ...all, Signature: signature }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${sts.endpoint}/`,
      { method: 'POST', ca: sts.caCert, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: raw ? {} : JSON.parse(text), text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('local STS AssumeRole', () => {
  it('issues STS credentials to @alicloud/credentials (RPC HMAC-SHA1) trusting the printed CA', async () => {
    const before = Date.now();
    const c = await assume('DEVKEY0001', 'dev-secret', { durationSeconds: 1800 });
    const after = Date.now();
    expect(c.accessKeyId).toMatch(/^STS\./);
    expect(c.securityToken).toBeTruthy();
    expect(c.source).toBe('assume-role');
    // Issued at some instant between before and after (STS times have whole seconds), valid for 1800 s.
    const expires = c.expiration!.getTime();
    expect(expires).toBeGreaterThan(before - 1000 + 1800_000);
    expect(expires).toBeLessThanOrEqual(after + 1800_000);
    // Tablestore Local accepts exactly these keys.
    const lookup = sts.iam.lookup(c.accessKeyId, c.securityToken, new Date());
    expect(lookup.ok).toBe(true);
  });

  it('100 concurrent cold calls through memoize make exactly one AssumeRole', async () => {
    const provider = memoize(
      fromAssumeRole({
        roleArn: readerArn,
        stsEndpoint: sts.stsEndpoint,
        caCert: sts.caCert,
        sourceCredentials: fromStatic({ accessKeyId: 'DEVKEY0001', accessKeySecret: 'dev-secret' }),
      }),
    );
    const before = sts.stats.issued;
    const all = await Promise.all(Array.from({ length: 100 }, () => provider()));
    expect(sts.stats.issued - before).toBe(1);
    expect(new Set(all.map((c) => c.securityToken)).size).toBe(1);
    // A forced refresh is a real second AssumeRole with new keys.
    const forced = await provider({ forceRefresh: true });
    expect(sts.stats.issued - before).toBe(2);
    expect(forced.accessKeyId).not.toBe(all[0].accessKeyId);
  });

  it('accepts ACS3-HMAC-SHA256 from @alicloud/sts20150401 and its v2 (RPC) mode', async () => {
    for (const [signatureAlgorithm, style] of [
      [undefined, 'acs3'],
      ['v2', 'rpc'],
    ] as const) {
      const before = { ...sts.stats };
      const client = new Sts20150401(
        new $OpenApiUtil.Config({
          accessKeyId: 'DEVKEY0001',
          accessKeySecret: 'dev-secret',
          endpoint: sts.stsEndpoint,
          protocol: 'https',
          ca: sts.caCert,
          ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
        }),
      );
      const res = await client.assumeRole(
        new $Sts.AssumeRoleRequest({ roleArn: readerArn, roleSessionName: 'acs3-session', durationSeconds: 900 }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.body?.credentials?.accessKeyId).toMatch(/^STS\./);
      expect(res.body?.credentials?.expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(res.body?.assumedRoleUser?.arn).toBe(`${readerArn}/acs3-session`);
      expect(sts.stats[style]).toBe(before[style] + 1);
    }
  });

  it('accepts ACS3 from a role session (x-acs-security-token), i.e. role chaining', async () => {
    const first = await assume('DEVKEY0001', 'dev-secret', { roleArn: `acs:ram::${ACCOUNT}:role/chainer` });
    const client = new Sts20150401(
      new $OpenApiUtil.Config({
        accessKeyId: first.accessKeyId,
        accessKeySecret: first.accessKeySecret,
        securityToken: first.securityToken,
        endpoint: sts.stsEndpoint,
        ca: sts.caCert,
      }),
    );
    const res = await client.assumeRole(new $Sts.AssumeRoleRequest({ roleArn: readerArn, roleSessionName: 'chained' }));
    expect(res.body?.credentials?.accessKeyId).toMatch(/^STS\./);
    const forged = new Sts20150401(
      new $OpenApiUtil.Config({
        accessKeyId: first.accessKeyId,
        accessKeySecret: first.accessKeySecret,
        securityToken: 'CAISforged',
        endpoint: sts.stsEndpoint,
        ca: sts.caCert,
      }),
    );
    await expect(
      forged.assumeRole(new $Sts.AssumeRoleRequest({ roleArn: readerArn, roleSessionName: 'chained' })),
    ).rejects.toMatchObject({
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
    });
  });

  it('enforces an ExternalId condition in the trust policy, and passes a session policy object through', async () => {
    const partnerArn = `acs:ram::${ACCOUNT}:role/partner`;
    await expect(assume('DEVKEY0001', 'dev-secret', { roleArn: partnerArn })).rejects.toThrow(/NoPermission/);
    await expect(assume('DEVKEY0001', 'dev-secret', { roleArn: partnerArn, externalId: 'wrong-id' })).rejects.toThrow(
      /NoPermission/,
    );
    const c = await assume('DEVKEY0001', 'dev-secret', {
      roleArn: partnerArn,
      externalId: 'abcd-1234',
      policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:ListTable', Resource: '*' }] },
    });
    const lookup = sts.iam.lookup(c.accessKeyId, c.securityToken, new Date());
    const request = (action: string) => ({
      action,
      resources: [`acs:ots:cn-hangzhou:${ACCOUNT}:instance/i/table/*`],
      region: 'cn-hangzhou',
      instance: 'i',
      sourceIp: '127.0.0.1',
      secureTransport: false,
      now: new Date(),
    });
    expect(lookup.ok && lookup.authorize(request('ots:ListTable')).allowed).toBe(true);
    expect(lookup.ok && lookup.authorize(request('ots:GetRow')).allowed).toBe(false);
  });

  it('rejects a wrong ACS3 signature with SignatureDoesNotMatch', async () => {
    const client = new Sts20150401(
      new $OpenApiUtil.Config({
        accessKeyId: 'DEVKEY0001',
        accessKeySecret: 'not-the-secret',
        endpoint: sts.stsEndpoint,
        ca: sts.caCert,
      }),
    );
    await expect(
      client.assumeRole(new $Sts.AssumeRoleRequest({ roleArn: readerArn, roleSessionName: 'x1' })),
    ).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('echoes a string-to-sign equal to the client’s, so a wrong secret is reported as such', async () => {
    await expect(assume('DEVKEY0001', 'wrong-secret')).rejects.toThrow(/the access key secret is invalid/);
  });

  it('cannot be reached without trusting its CA', async () => {
    const c = fromAssumeRole({
      roleArn: readerArn,
      stsEndpoint: sts.stsEndpoint,
      sourceCredentials: fromStatic({ accessKeyId: 'DEVKEY0001', accessKeySecret: 'dev-secret' }),
    });
    await expect(c()).rejects.toThrow(/self[- ]signed certificate/i);
  });

  it.each([
    ['root account keys', 'ROOTKEY0001', 'root-secret', {}, 403, 'NoPermission'],
    ['a user without sts:AssumeRole', 'NOBODYKEY1', 'nobody-secret', {}, 403, 'NoPermission'],
    [
      'a user outside the trust policy',
      'OUTSIDER01',
      'outsider-secret',
      { RoleArn: `acs:ram::${ACCOUNT}:role/dev-only` },
      403,
      'NoPermission',
    ],
    ['an inactive key', 'RETIREDKEY', 'retired-secret', {}, 400, 'InvalidAccessKeyId.Inactive'],
    ['an unknown key', 'UNKNOWN001', 'x', {}, 404, 'InvalidAccessKeyId.NotFound'],
    [
      'an unknown role',
      'DEVKEY0001',
      'dev-secret',
      { RoleArn: `acs:ram::${ACCOUNT}:role/ghost` },
      404,
      'EntityNotExist.Role',
    ],
    [
      'another account’s role',
      'DEVKEY0001',
      'dev-secret',
      { RoleArn: 'acs:ram::999:role/reader' },
      404,
      'EntityNotExist.Role',
    ],
    [
      'a malformed RoleArn',
      'DEVKEY0001',
      'dev-secret',
      { RoleArn: 'arn:aws:iam::1:role/x' },
      400,
      'InvalidParameter.RoleArn',
    ],
    [
      'a duration above the role maximum',
      'DEVKEY0001',
      'dev-secret',
      { DurationSeconds: '7201' },
      400,
      'InvalidParameter.DurationSeconds',
    ],
    [
      'a duration below 900',
      'DEVKEY0001',
      'dev-secret',
      { DurationSeconds: '899' },
      400,
      'InvalidParameter.DurationSeconds',
    ],
    [
      'a bad session name',
      'DEVKEY0001',
      'dev-secret',
      { RoleSessionName: 'has space' },
      400,
      'InvalidParameter.RoleSessionName',
    ],
    [
      'a policy that fails the grammar',
      'DEVKEY0001',
      'dev-secret',
      { Policy: '{"Version":"2","Statement":[]}' },
      400,
      'InvalidParameter.PolicyGrammar',
    ],
    [
      'an oversized policy',
      'DEVKEY0001',
      'dev-secret',
      {
        Policy: JSON.stringify({
          Version: '1',
          Statement: [{ Effect: 'Allow', Action: 'ots:GetRow', Resource: 'x'.repeat(2100) }],
        }),
      },
      400,
      'InvalidParameter.PolicySize',
    ],
    [
      'a stale timestamp',
      'DEVKEY0001',
      'dev-secret',
      { Timestamp: '2015-08-18T03:15:45Z' },
      400,
      'InvalidTimeStamp.Expired',
    ],
    [
      'a wrong signature method',
      'DEVKEY0001',
      'dev-secret',
      { SignatureMethod: 'HMAC-SHA256' },
      400,
      'InvalidSignatureMethod',
    ],
    ['another action', 'DEVKEY0001', 'dev-secret', { Action: 'GetCallerIdentity' }, 404, 'InvalidAction.NotFound'],
  ] as const)('refuses %s', async (_name, id, secret, params, status, code) => {
    const res = await rawRpc({ AccessKeyId: id, ...params }, secret);
    expect(res.status).toBe(status);
    expect(res.body.Code).toBe(code);
    expect(res.body.RequestId).toBeTruthy();
    expect(JSON.stringify(res.body)).not.toContain(secret === 'x' ? '\u0000' : secret);
  });

  it('reports the caller and implicit deny in AccessDeniedDetail', async () => {
    const res = await rawRpc({ AccessKeyId: 'NOBODYKEY1' }, 'nobody-secret');
    expect(res.body.AccessDeniedDetail).toMatchObject({
      AuthAction: 'sts:AssumeRole',
      AuthPrincipalDisplayName: 'nobody',
      NoPermissionType: 'ImplicitDeny',
    });
  });

  it('answers in XML when asked with Format=XML', async () => {
    const ok = await rawRpc({ AccessKeyId: 'DEVKEY0001', Format: 'XML' }, 'dev-secret', true);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(
      /^<\?xml .*<AssumeRoleResponse><RequestId>.*<Credentials><AccessKeyId>STS\.[^<]+<\/AccessKeyId>/,
    );
    const refused = await rawRpc({ AccessKeyId: 'UNKNOWN001', Format: 'XML' }, 'x', true);
    expect(refused.text).toMatch(/<Error><RequestId>.*<Code>InvalidAccessKeyId\.NotFound<\/Code>/);
  });

  it('throttles AssumeRole per account when a rate is configured', async () => {
    const limited = await startLocalSts({ identities, assumeRoleRatePerSecond: 2 });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const provider = fromAssumeRole({
          roleArn: readerArn,
          stsEndpoint: limited.stsEndpoint,
          caCert: limited.caCert,
          sourceCredentials: fromStatic({ accessKeyId: 'DEVKEY0001', accessKeySecret: 'dev-secret' }),
        });
        codes.push(
          await provider().then(
            () => 'ok',
            (e: Error) => (/Throttling\.User/.test(e.message) ? 'throttled' : e.message),
          ),
        );
      }
      expect(codes.slice(0, 2)).toEqual(['ok', 'ok']);
      expect(codes).toContain('throttled');
    } finally {
      await limited.stop();
    }
  });

  it('refuses a replayed nonce', async () => {
    const nonce = randomUUID();
    expect((await rawRpc({ AccessKeyId: 'DEVKEY0001', SignatureNonce: nonce }, 'dev-secret')).status).toBe(200);
    const replay = await rawRpc({ AccessKeyId: 'DEVKEY0001', SignatureNonce: nonce }, 'dev-secret');
    expect(replay.body.Code).toBe('SignatureNonceUsed');
  });

  it('lets a role session assume another role (chaining) only with its token', async () => {
    const first = await rawRpc(
      { AccessKeyId: 'DEVKEY0001', RoleArn: `acs:ram::${ACCOUNT}:role/dev-only` },
      'dev-secret',
    );
    const c = (first.body as { Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string } })
      .Credentials;
    const chained = await rawRpc({ AccessKeyId: c.AccessKeyId, SecurityToken: c.SecurityToken }, c.AccessKeySecret);
    // dev-only has AliyunOTSFullAccess but no sts:AssumeRole: refused by its own policies.
    expect(chained.body.Code).toBe('NoPermission');
    const noToken = await rawRpc({ AccessKeyId: c.AccessKeyId }, c.AccessKeySecret);
    expect(noToken.body.Code).toBe('MissingSecurityToken');
    const badToken = await rawRpc({ AccessKeyId: c.AccessKeyId, SecurityToken: 'CAISforged' }, c.AccessKeySecret);
    expect(badToken.body.Code).toBe('InvalidSecurityToken.MismatchWithAccessKey');
  });
});
