/**
 * Tablestore Local on its own thread checks requests against a replica of the owner's LocalIam
 * (local/sts/iam-replica.ts, local/tablestore/thread.ts). First differentially, in one thread: after any
 * sequence of issues, revocations and purges on the owner, the replica answers every lookup and authorization
 * exactly as the owner does. Then over real HTTP against the thread: a token issued, revoked or refused by
 * policy on this thread is seen by the very next request, and the thread keeps `dataDir` data across restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';
import { iamReplica, shareIam } from '../../local/sts/iam-replica';
import type { IdentityLookup } from '../../local/tablestore/auth/identity';
import { startTablestoreThread, type TablestoreThread } from '../../local/tablestore/thread';
import { sdkClient, sdkError, type SdkClient } from '../helpers/tablestore-local';

const ACCOUNT = '1234567890123456';
const trustFc = {
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
};
const identities = parseIdentities({
  accountId: ACCOUNT,
  rootAccessKeys: [{ id: 'ROOTKEY', secret: 'root-secret' }],
  policies: {
    'allowed-only': {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['ots:ListTable'],
          Resource: `acs:ots:*:${ACCOUNT}:instance/*`,
        },
        {
          Effect: 'Allow',
          Action: ['ots:CreateTable', 'ots:DescribeTable'],
          Resource: `acs:ots:*:${ACCOUNT}:instance/*/table/allowed`,
        },
      ],
    },
    everything: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:*', Resource: '*' }] },
  },
  users: [{ name: 'dev', accessKeys: [{ id: 'DEVKEY', secret: 'dev-secret' }], policies: ['allowed-only'] }],
  roles: [
    { name: 'reader', maxSessionDuration: 3600, policies: ['allowed-only'], trustPolicy: trustFc },
    { name: 'admin', maxSessionDuration: 3600, policies: ['everything'], trustPolicy: trustFc },
  ],
});

const ROLES = ['reader', 'admin'] as const;
const T0 = new Date('2026-11-23T00:00:00Z');
const request = (table: string, action = 'ots:CreateTable') => ({
  action,
  resources: [`acs:ots:cn-hangzhou:${ACCOUNT}:instance/i/table/${table}`],
  region: 'cn-hangzhou',
  instance: 'i',
  sourceIp: '127.0.0.1',
  secureTransport: false,
  now: T0,
});
/** What a lookup tells Tablestore Local, authorization decisions included (functions compared by behaviour). */
const observe = (l: IdentityLookup) =>
  l.ok ? { ...l, authorize: ['allowed', 'denied'].map((t) => l.authorize(request(t)).allowed) } : { ...l };

describe('iamReplica answers as its owner', () => {
  type Op =
    | { op: 'issue'; role: (typeof ROLES)[number]; ageSeconds: number }
    | { op: 'revoke'; pick: number }
    | { op: 'lookup'; pick: number; token: 'own' | 'other' | 'none'; afterSeconds: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('issue' as const), role: fc.constantFrom(...ROLES), ageSeconds: fc.nat(7200) }),
    fc.record({ op: fc.constant('revoke' as const), pick: fc.nat() }),
    fc.record({
      op: fc.constant('lookup' as const),
      pick: fc.nat(),
      token: fc.constantFrom('own' as const, 'other' as const, 'none' as const),
      afterSeconds: fc.nat(5400),
    }),
  );

  it('after any sequence of issued and revoked tokens (differential)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const owner = new LocalIam(identities);
        const issuedBefore = owner.issueForService('reader', 'fc.aliyuncs.com', { now: T0 }).Credentials;
        const { shared, stop } = shareIam(owner);
        const replica = iamReplica(shared);
        try {
          const issued = [issuedBefore];
          const keys = ['ROOTKEY', 'DEVKEY', 'NOBODY'];
          for (const o of ops) {
            if (o.op === 'issue') {
              const now = new Date(T0.getTime() - o.ageSeconds * 1000);
              issued.push(owner.issueForService(o.role, 'fc.aliyuncs.com', { now, durationSeconds: 900 }).Credentials);
            } else if (o.op === 'revoke') {
              owner.revoke(issued[o.pick % issued.length].AccessKeyId);
            } else {
              const i = o.pick % (issued.length + keys.length);
              const c = issued[i];
              const id = c ? c.AccessKeyId : keys[i - issued.length];
              const token =
                o.token === 'none' ? undefined : o.token === 'own' ? c?.SecurityToken : issued[0].SecurityToken;
              const now = new Date(T0.getTime() + o.afterSeconds * 1000);
              expect(observe(replica.lookup(id, token, now))).toEqual(observe(owner.lookup(id, token, now)));
            }
          }
          for (const c of issued)
            expect(observe(replica.lookup(c.AccessKeyId, c.SecurityToken, T0))).toEqual(
              observe(owner.lookup(c.AccessKeyId, c.SecurityToken, T0)),
            );
        } finally {
          stop();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('forgets the sessions the owner purged', () => {
    const owner = new LocalIam(identities);
    const { shared, stop } = shareIam(owner);
    const replica = iamReplica(shared);
    try {
      const longAgo = new Date(T0.getTime() - 3 * 3600_000);
      const old = Array.from(
        { length: 1000 },
        () => owner.issueForService('reader', 'fc.aliyuncs.com', { now: longAgo, durationSeconds: 900 }).Credentials,
      );
      expect(replica.lookup(old[0].AccessKeyId, old[0].SecurityToken, T0)).toMatchObject({
        ok: false,
        message: 'The security token has expired.',
      });
      owner.issueForService('reader', 'fc.aliyuncs.com', { now: T0 }); // the 1001st session purges the old ones
      const afterPurge = replica.lookup(old[0].AccessKeyId, old[0].SecurityToken, T0);
      expect(afterPurge).toEqual(owner.lookup(old[0].AccessKeyId, old[0].SecurityToken, T0));
      expect(afterPurge).toMatchObject({
        ok: false,
        code: 'OTSAuthFailed',
        message: 'The AccessKeyID does not exist.',
      });
    } finally {
      stop();
    }
  });
});

describe('Tablestore Local on its own thread', () => {
  let iam: LocalIam;
  let ots: TablestoreThread;
  const dataDir = mkdtempSync(join(tmpdir(), 'ots-thread-'));
  const target = () => ({ endpoint: ots.endpoint, instance: ots.instance, accessKeyId: '', accessKeySecret: '' });
  const roleClient = (role: (typeof ROLES)[number]): { client: SdkClient; accessKeyId: string } => {
    const c = iam.issueForService(role, 'fc.aliyuncs.com').Credentials;
    return {
      accessKeyId: c.AccessKeyId,
      client: sdkClient(target(), {
        accessKeyId: c.AccessKeyId,
        accessKeySecret: c.AccessKeySecret,
        stsToken: c.SecurityToken,
      }),
    };
  };
  const createTable = (client: SdkClient, tableName: string) =>
    client.createTable({
      tableMeta: { tableName, primaryKey: [{ name: 'pk', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });

  beforeAll(async () => {
    iam = new LocalIam(identities);
    ots = await startTablestoreThread({ port: 0, instance: 'thread-test', iam, dataDir });
  });
  afterAll(async () => {
    await ots?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts a token issued on this thread at once, and refuses it on the next request once revoked', async () => {
    const { client, accessKeyId } = roleClient('reader');
    expect((await client.listTable({})).tableNames).toEqual([]);
    iam.revoke(accessKeyId);
    expect(await sdkError(client.listTable({}))).toEqual({
      status: 403,
      code: 'OTSNoPermissionAccess',
      message: 'The security token is invalid, revoked or was replaced.',
    });
    // Unknown to the owner, unknown to the thread.
    const stranger = sdkClient(target(), { accessKeyId: 'STS.NOBODY', accessKeySecret: 's', stsToken: 't' });
    expect(await sdkError(stranger.listTable({}))).toMatchObject({ status: 403, code: 'OTSAuthFailed' });
  });

  it("enforces the role's policy (the replica's roles are the owner's)", async () => {
    const reader = roleClient('reader').client;
    await createTable(reader, 'allowed');
    expect(await sdkError(createTable(reader, 'denied'))).toMatchObject({
      status: 403,
      code: 'OTSNoPermissionAccess',
    });
    await createTable(roleClient('admin').client, 'denied');
    expect((await reader.listTable({})).tableNames).toEqual(['allowed', 'denied']);
    const dev = sdkClient(target(), { accessKeyId: 'DEVKEY', accessKeySecret: 'dev-secret' });
    expect((await dev.describeTable({ tableName: 'allowed' })).tableMeta).toMatchObject({ tableName: 'allowed' });
  });

  it('serves a lagging endpoint over the same storage, and keeps dataDir data after a restart', async () => {
    const past = await ots.startLaggingEndpoint(2 * 24 * 3600_000);
    try {
      const c = iam.issueForService('admin', 'fc.aliyuncs.com').Credentials;
      const viaPast = sdkClient(
        { ...target(), endpoint: past.endpoint },
        { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken },
      );
      await createTable(viaPast, 'from_the_past');
    } finally {
      await past.stop();
    }
    await ots.stop();
    ots = await startTablestoreThread({ port: 0, instance: 'thread-test', iam, dataDir });
    expect((await roleClient('admin').client.listTable({})).tableNames).toEqual(['allowed', 'denied', 'from_the_past']);
  });

  it('reports a port in use as EADDRINUSE, as the main thread would', async () => {
    const err = await startTablestoreThread({ port: ots.port, iam }).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(err?.code).toBe('EADDRINUSE');
  });
});
