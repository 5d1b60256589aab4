import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreLocal, type TablestoreLocal } from '../../local/tablestore/server';
import { startLocalSts, type LocalSts } from '../../local/sts/server';
import { parseIdentities } from '../../local/sts/identities';
import { fromAssumeRole, fromFcContext, fromStatic, memoize, type CredentialProvider } from '../../lib/credentials';
import {
  clearTablestoreClients,
  getTablestoreClients,
  tablestoreClientStats,
  tablestoreEndpoint,
} from '../../lib/tablestore/clients';
import { WideTableClient } from '../../lib/tablestore/wide';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';

const ACCOUNT = '1029384756000001';
const REGION = 'cn-hangzhou';
const INSTANCE = 'clientsinst';
const ADMIN = { accessKeyId: 'ADMINKEY0001', accessKeySecret: 'admin-secret' };
const DEV = { accessKeyId: 'DEVKEY00001', accessKeySecret: 'dev-secret' };
const identities = parseIdentities({
  accountId: ACCOUNT,
  users: [
    {
      name: 'admin',
      accessKeys: [{ id: ADMIN.accessKeyId, secret: ADMIN.accessKeySecret }],
      policies: ['AliyunOTSFullAccess'],
    },
    {
      name: 'dev',
      accessKeys: [{ id: DEV.accessKeyId, secret: DEV.accessKeySecret }],
      policies: ['AliyunSTSAssumeRoleAccess'],
    },
  ],
  roles: [
    { name: 'reader', maxSessionDuration: 43200, policies: ['AliyunOTSReadOnlyAccess'] },
    { name: 'writer', maxSessionDuration: 43200, policies: ['AliyunOTSFullAccess'] },
  ],
});

let sts: LocalSts;
let ots: TablestoreLocal;
beforeAll(async () => {
  sts = await startLocalSts({ identities });
  ots = await startTablestoreLocal({ port: 0, instance: INSTANCE, region: REGION, identities: sts.iam });
  const admin = new WideTableClient({ endpoint: ots.endpoint, instance: INSTANCE, credentials: fromStatic(ADMIN) });
  await admin.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await admin.createTable({ table: 'audit', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await admin.batchWriteRow({
    tables: [
      {
        table: 'orders',
        rows: Array.from({ length: 100 }, (_, i) => ({
          type: 'put' as const,
          primaryKey: { id: i },
          columns: { item: `item-${i}` },
        })),
      },
    ],
  });
});
afterAll(async () => {
  clearTablestoreClients();
  await ots?.stop();
  await sts?.stop();
});

const roleArn = (name: string) => `acs:ram::${ACCOUNT}:role/${name}`;
const sessionCredentials = (c: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string }) => ({
  accessKeyId: c.AccessKeyId,
  accessKeySecret: c.AccessKeySecret,
  securityToken: c.SecurityToken,
});

describe('cached clients with rotating role credentials', () => {
  it('a RAM user assumes a read-only role via the local STS: the token reads through the cached clients and cannot write', async () => {
    const credentials = memoize(
      fromAssumeRole({
        roleArn: roleArn('reader'),
        roleSessionName: 'reader-session',
        stsEndpoint: sts.stsEndpoint,
        caCertPath: sts.caCertPath,
        sourceCredentials: fromStatic(DEV),
      }),
    );
    const { wide, timeseries } = getTablestoreClients({
      region: REGION,
      instance: INSTANCE,
      endpoint: ots.endpoint,
      credentials,
    });
    expect(await wide.listTables()).toEqual(expect.arrayContaining(['orders', 'audit']));
    const row = await wide.getRow({ table: 'orders', primaryKey: { id: 7 } });
    expect(row).toEqual({ primaryKey: { id: 7 }, columns: { item: 'item-7' } });
    expect(Array.isArray(await timeseries.listTimeseriesTables())).toBe(true);

    const before = { ...wide.stats };
    const refused = await wide
      .putRow({ table: 'orders', primaryKey: { id: 1000 }, columns: { item: 'x' } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TablestoreError);
    expect(refused).toMatchObject({ code: 'OTSNoPermissionAccess', httpStatus: 403 });
    const c = await credentials();
    expect(String((refused as Error).message)).not.toContain(c.accessKeySecret);
    expect(String((refused as Error).message)).not.toContain(c.securityToken!);
    // A second refusal with the same (freshly refreshed) keys is a policy denial: no more refreshes.
    await expect(wide.deleteRow({ table: 'orders', primaryKey: { id: 1 } })).rejects.toMatchObject({
      code: 'OTSNoPermissionAccess',
    });
    expect(wide.stats.authRetries - before.authRetries).toBeLessThanOrEqual(1);
    expect(sts.stats.issued).toBeLessThanOrEqual(2);
    expect(await wide.getRow({ table: 'orders', primaryKey: { id: 1 } })).toBeDefined();
  });

  it('10 000 calls, credentials rotating every 100: one client construction, every request signed with the current token', async () => {
    clearTablestoreClients();
    const endpoint = `${ots.endpoint}/`; // a trailing slash must not make a second cache entry
    const start = tablestoreClientStats();
    const lookupsBefore = sts.iam.stats.lookups;
    const rejectedBefore = sts.iam.stats.rejectedTokens;
    let previous: string | undefined;
    let first: ReturnType<typeof getTablestoreClients> | undefined;
    let socketsAfterFirstBatch = 0;
    for (let batch = 0; batch < 100; batch += 1) {
      // A new invocation: FC hands over rotated role keys; the previous token is replaced (revoked), so
      // Tablestore Local refuses any request still signed with it.
      const issued = sts.iam.issueForService('reader', 'fc.aliyuncs.com', { sessionName: `inv-${batch}` }).Credentials;
      if (previous) sts.iam.revoke(previous);
      previous = issued.AccessKeyId;
      const clients = getTablestoreClients({
        region: REGION,
        instance: INSTANCE,
        endpoint,
        credentials: fromFcContext({ credentials: sessionCredentials(issued) }),
      });
      first ??= clients;
      expect(clients.wide).toBe(first.wide);
      expect(clients.timeseries).toBe(first.timeseries);
      const rows = await Promise.all(
        Array.from({ length: 100 }, (_, i) => clients.wide.getRow({ table: 'orders', primaryKey: { id: i } })),
      );
      expect(rows.every((r, i) => r?.columns.item === `item-${i}`)).toBe(true);
      if (batch === 0) socketsAfterFirstBatch = tablestoreClientStats().socketsCreated;
    }
    const end = tablestoreClientStats();
    expect(end.constructions - start.constructions).toBe(1);
    expect(first!.wide.stats.authRetries).toBe(0);
    expect(sts.iam.stats.rejectedTokens - rejectedBefore).toBe(0);
    expect(sts.iam.stats.lookups - lookupsBefore).toBe(10_000);
    expect(first!.wide.stats.credentialSwaps).toBe(100);
    // Keep-alive pool reused across the 99 swaps.
    expect(end.socketsCreated - socketsAfterFirstBatch).toBeLessThanOrEqual(2);
    // And the replaced tokens really are refused by Tablestore Local.
    const replaced = sessionCredentials(sts.iam.issueForService('reader', 'fc.aliyuncs.com').Credentials);
    sts.iam.revoke(replaced.accessKeyId);
    const stale = new WideTableClient({
      endpoint: ots.endpoint,
      instance: INSTANCE,
      credentials: fromStatic(replaced),
    });
    await expect(stale.listTables()).rejects.toMatchObject({ code: 'OTSNoPermissionAccess', httpStatus: 403 });
  }, 240_000);

  it('a refused (revoked) STS token triggers one forced refresh and one retry', async () => {
    const credentials = memoize(
      fromAssumeRole({
        roleArn: roleArn('writer'),
        stsEndpoint: sts.stsEndpoint,
        caCert: sts.caCert,
        sourceCredentials: fromStatic(DEV),
      }),
    );
    const { wide } = getTablestoreClients({
      region: REGION,
      instance: 'retryinst',
      endpoint: ots.endpoint,
      credentials,
    });
    // Tablestore Local serves one instance; this client is only used to prove refresh + retry on auth errors.
    const own = new WideTableClient({ endpoint: ots.endpoint, instance: INSTANCE, credentials });
    expect(wide).not.toBe(own);
    const first = await credentials();
    await own.listTables();
    sts.iam.revoke(first.accessKeyId);
    const issuedBefore = sts.stats.issued;
    expect(await own.listTables()).toContain('orders');
    expect(own.stats.authRetries).toBe(1);
    expect(sts.stats.issued - issuedBefore).toBe(1);
    expect((await credentials()).accessKeyId).not.toBe(first.accessKeyId);
  });

  it('an expired token (the provider misjudged its expiry) is refreshed once and retried', async () => {
    const expired = sessionCredentials(
      sts.iam.issueForService('reader', 'fc.aliyuncs.com', {
        durationSeconds: 900,
        now: new Date(Date.now() - 901_000),
      }).Credentials,
    );
    const fresh = sessionCredentials(sts.iam.issueForService('reader', 'fc.aliyuncs.com').Credentials);
    const calls: (boolean | undefined)[] = [];
    const provider: CredentialProvider = async (o) => {
      calls.push(o?.forceRefresh);
      return { ...(o?.forceRefresh ? fresh : expired), expiration: new Date(Date.now() + 3_600_000), source: 'skewed' };
    };
    const client = new WideTableClient({ endpoint: ots.endpoint, instance: INSTANCE, credentials: provider });
    const row = await client.getRow({ table: 'orders', primaryKey: { id: 3 } });
    expect(row).toBeDefined();
    // The provider's current keys are asked first (another call may have refreshed), then one forced refresh.
    expect(calls).toEqual([undefined, undefined, true]);
    expect(client.stats.authRetries).toBe(1);
  });

  it('gives up when a refresh brings no new keys, and never refreshes long-term keys', async () => {
    const revoked = sessionCredentials(sts.iam.issueForService('reader', 'fc.aliyuncs.com').Credentials);
    sts.iam.revoke(revoked.accessKeyId);
    let calls = 0;
    // A provider that keeps handing out a dead token (e.g. a stale context): refreshed once, then given up.
    const always: CredentialProvider = async () => {
      calls += 1;
      return { ...revoked, source: 'stale' };
    };
    const client = new WideTableClient({ endpoint: ots.endpoint, instance: INSTANCE, credentials: always });
    await expect(client.listTables()).rejects.toMatchObject({ code: 'OTSNoPermissionAccess' });
    // First attempt, the current keys after the refusal, one forced refresh: then it gives up.
    expect(calls).toBe(3);

    const wrongKey = new WideTableClient({
      endpoint: ots.endpoint,
      instance: INSTANCE,
      credentials: async () => ({ accessKeyId: ADMIN.accessKeyId, accessKeySecret: 'wrong', source: 'static' }),
    });
    await expect(wrongKey.listTables()).rejects.toMatchObject({ code: 'OTSAuthFailed', httpStatus: 403 });
    expect(wrongKey.stats.authRetries).toBe(0);
  });

  it('decodes OTS error bodies into TablestoreError', async () => {
    const admin = new WideTableClient({ endpoint: ots.endpoint, instance: INSTANCE, credentials: fromStatic(ADMIN) });
    await expect(admin.describeTable('no_such_table')).rejects.toMatchObject({
      name: 'TablestoreError',
      code: 'OTSObjectNotExist',
      httpStatus: 404,
    });
    await expect(
      admin.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] }),
    ).rejects.toMatchObject({
      code: 'OTSObjectAlreadyExist',
    });
  });
});

describe('sdk(): the official SDK for what our clients do not cover', () => {
  it('is imported on first use and signs with the provider current keys, which follow rotation', async () => {
    clearTablestoreClients();
    const first = sessionCredentials(sts.iam.issueForService('reader', 'fc.aliyuncs.com').Credentials);
    const clients = getTablestoreClients({
      region: REGION,
      instance: INSTANCE,
      endpoint: ots.endpoint,
      credentials: fromFcContext({ credentials: first }),
    });
    const sdk = (await clients.sdk()) as unknown as {
      listTable(p: object): Promise<{ tableNames: string[] }>;
      config: Record<string, unknown>;
    };
    expect((await sdk.listTable({})).tableNames).toEqual(expect.arrayContaining(['orders']));
    expect(sdk.config.accessKeyId).toBe(first.accessKeyId);
    // A later invocation's rotated keys: the same SDK client, now signing with them; the old token is dead.
    const next = sessionCredentials(sts.iam.issueForService('reader', 'fc.aliyuncs.com').Credentials);
    sts.iam.revoke(first.accessKeyId);
    const again = getTablestoreClients({
      region: REGION,
      instance: INSTANCE,
      endpoint: ots.endpoint,
      credentials: fromFcContext({ credentials: next }),
    });
    const sdk2 = (await again.sdk()) as unknown as typeof sdk;
    expect(sdk2).toBe(sdk);
    expect(sdk2.config.accessKeyId).toBe(next.accessKeyId);
    expect((await sdk2.listTable({})).tableNames).toEqual(expect.arrayContaining(['orders']));
  });
});

describe('endpoints and cache keys', () => {
  it('derives public and VPC endpoints from region + instance, and honours an explicit one', () => {
    expect(tablestoreEndpoint('cn-hangzhou', 'MyInst')).toBe('https://myinst.cn-hangzhou.ots.aliyuncs.com');
    expect(tablestoreEndpoint('cn-shanghai', 'myinst', 'vpc')).toBe(
      'https://myinst.cn-shanghai.vpc.tablestore.aliyuncs.com',
    );
    expect(() => tablestoreEndpoint('cn-hangzhou', 'x')).toThrow(/instance/);
    const credentials = fromStatic(ADMIN);
    const pub = getTablestoreClients({ region: 'cn-beijing', instance: 'cacheinst', credentials });
    const vpc = getTablestoreClients({ region: 'cn-beijing', instance: 'cacheinst', network: 'vpc', credentials });
    const other = getTablestoreClients({ region: 'cn-beijing', instance: 'cacheinst2', credentials });
    expect(pub.endpoint).toBe('https://cacheinst.cn-beijing.ots.aliyuncs.com');
    expect(vpc.endpoint).toBe('https://cacheinst.cn-beijing.vpc.tablestore.aliyuncs.com');
    expect(vpc.wide).not.toBe(pub.wide);
    expect(other.wide).not.toBe(pub.wide);
    expect(
      getTablestoreClients({ region: 'cn-beijing', instance: 'CacheInst', credentials: fromStatic(DEV) }).wide,
    ).toBe(pub.wide);
  });
});
