/**
 * The time series client with STS credentials against Tablestore Local backed by the local RAM/STS
 * (LocalIam): rotation via the provider, a revoked token cured by one forced refresh, and a real policy
 * denial that does not cost an AssumeRole per call.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoize } from '../../lib/credentials/index';
import type { CredentialProvider } from '../../lib/credentials/types';
import { TablestoreError, TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

const ACCOUNT = '1234567890123456';
const identities = parseIdentities({
  accountId: ACCOUNT,
  rootAccessKeys: [{ id: 'ROOTKEY', secret: 'root-secret' }],
  policies: {
    'metrics-writer': {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'ots:CreateTimeseriesTable',
            'ots:PutTimeseriesData',
            'ots:GetTimeseriesData',
            'ots:QueryTimeseriesMeta',
          ],
          Resource: `acs:ots:*:${ACCOUNT}:instance/*/table/metrics`,
        },
      ],
    },
  },
  users: [],
  roles: [
    {
      name: 'metrics-writer',
      maxSessionDuration: 3600,
      policies: ['metrics-writer'],
      trustPolicy: {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
      },
    },
  ],
});

let iam: LocalIam;
let local: LocalTablestoreHandle;
let provider: CredentialProvider;
const issued: string[] = [];

beforeAll(async () => {
  iam = new LocalIam(identities);
  local = await startLocal({ identities: iam });
  // What Function Compute gives a handler: role credentials, cached until told to refresh.
  provider = memoize(async () => {
    const r = iam.issueForService('metrics-writer', 'fc.aliyuncs.com');
    issued.push(r.Credentials.AccessKeyId);
    return {
      accessKeyId: r.Credentials.AccessKeyId,
      accessKeySecret: r.Credentials.AccessKeySecret,
      securityToken: r.Credentials.SecurityToken,
      expiration: new Date(r.Credentials.Expiration),
      source: 'test-role',
    };
  });
});

afterAll(async () => {
  await local?.stop();
});

it('keeps working when the STS token is revoked, with exactly one forced refresh', async () => {
  const client = new TimeseriesClient({ endpoint: local.endpoint, instance: local.instance, credentials: provider });
  try {
    await client.createTimeseriesTable({ tableName: 'metrics' });
    const key = { measurement: 'cpu', dataSource: 'fn', tags: {} };
    await client.putTimeseriesData({ tableName: 'metrics', rows: [{ key, time: 1n, fields: { v: 1n } }] });
    expect(issued).toHaveLength(1);

    iam.revoke(issued[0]);
    await client.putTimeseriesData({ tableName: 'metrics', rows: [{ key, time: 2n, fields: { v: 2n } }] });
    expect(issued).toHaveLength(2);
    const page = await client.getTimeseriesData({ tableName: 'metrics', key, endTime: 10 });
    expect(page.rows.map((r) => r.fields.v)).toEqual([1n, 2n]);
    expect(issued).toHaveLength(2);

    // Denied by policy (table not in the role's resources): surfaces as OTSNoPermissionAccess after at
    // most one refresh, and further denied calls do not refresh again.
    const denied = async () => {
      const e = await client.createTimeseriesTable({ tableName: 'other' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(TablestoreError);
      expect((e as TablestoreError).code).toBe('OTSNoPermissionAccess');
    };
    await denied();
    const afterFirstDenial = issued.length;
    expect(afterFirstDenial).toBeLessThanOrEqual(3);
    await denied();
    await denied();
    expect(issued).toHaveLength(afterFirstDenial);
  } finally {
    client.close();
  }
});
