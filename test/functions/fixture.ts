/**
 * Shared setup of the function integration tests: Tablestore Local on 127.0.0.1 with a LocalIam (the local
 * STS's RAM model) that knows an admin user (to plant data) and the functions' execution role `fc-reader`
 * whose only policy is policies/tablestore-fc-read.json rendered for this instance. Role credentials are
 * issued the way FC gets them (the FC service assumes the role) and handed to the handler in
 * `context.credentials`, exactly like the runtime does.
 */
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { fromStatic } from '../../lib/credentials/index';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { WideTableClient, type ColumnInput, type PrimaryKeyInput } from '../../lib/tablestore/wide';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';
import { renderPolicy, type PolicyDocument } from '../../policies/render';
import type { FcContext } from '../../lib/fc/types';
import { fcContext } from './fc-event';

export const ACCOUNT = '1234567890123456';
export const ADMIN = { id: 'LTAIfunctionsAdmin0001', secret: 'functions-admin-secret' };
/** A RAM user that may only assume roles (for AssumeRole through the local STS). */
export const DEPLOYER = { id: 'LTAIfunctionsDeployer1', secret: 'functions-deployer-secret' };

export interface Fixture {
  readonly local: LocalTablestoreHandle;
  readonly iam: LocalIam;
  readonly wide: WideTableClient;
  readonly ts: TimeseriesClient;
  readonly policy: PolicyDocument;
  /** Role credentials as FC would put them in context.credentials. */
  roleCredentials(roleName?: string): { accessKeyId: string; accessKeySecret: string; securityToken: string };
  context(roleName?: string, timeoutSeconds?: number): FcContext;
  env(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * `extraRoles` maps a role name to the list of actions it keeps from the policy (same resources), or to a
 * whole policy document, for the least-privilege tests.
 */
export async function startFixture(
  instance: string,
  extraRoles: Record<string, readonly string[] | PolicyDocument> = {},
): Promise<Fixture> {
  const policy = renderPolicy({ region: 'cn-hangzhou', accountId: ACCOUNT, instance });
  const roles = [
    { name: 'fc-reader', maxSessionDuration: 3600, policies: [policy] },
    ...Object.entries(extraRoles).map(([name, spec]) => ({
      name,
      maxSessionDuration: 3600,
      policies: [
        Array.isArray(spec)
          ? { ...policy, Statement: policy.Statement.map((s) => ({ ...s, Action: [...spec] })) }
          : spec,
      ],
    })),
  ];
  const iam = new LocalIam(
    parseIdentities({
      accountId: ACCOUNT,
      users: [
        { name: 'admin', accessKeys: [ADMIN], policies: ['AliyunOTSFullAccess'] },
        { name: 'deployer', accessKeys: [DEPLOYER], policies: ['AliyunSTSAssumeRoleAccess'] },
      ],
      roles,
    }),
  );
  const local = await startLocal({ instance, region: 'cn-hangzhou', identities: iam });
  const credentials = fromStatic({ accessKeyId: ADMIN.id, accessKeySecret: ADMIN.secret });
  const wide = new WideTableClient({ endpoint: local.endpoint, instance, credentials });
  const ts = new TimeseriesClient({ endpoint: local.endpoint, instance, region: 'cn-hangzhou', credentials });
  const roleCredentials = (roleName = 'fc-reader') => {
    const c = iam.issueForService(roleName, 'fc.aliyuncs.com', { sessionName: 'fc-function' }).Credentials;
    return { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken };
  };
  return {
    local,
    iam,
    wide,
    ts,
    policy,
    roleCredentials,
    context: (roleName, timeoutSeconds = 30) => fcContext(roleCredentials(roleName), timeoutSeconds),
    env: (extra = {}) => ({
      TABLESTORE_INSTANCE: instance,
      TABLESTORE_ENDPOINT: local.endpoint,
      FC_REGION: 'cn-hangzhou',
      LOG_LEVEL: 'warn',
      ...extra,
    }),
    async stop() {
      ts.close();
      await local.stop();
    },
  };
}

/** An INTEGER value (bigint, so values beyond 2^53 stay exact). */
export const int64 = (value: number | string | bigint): bigint => BigInt(value);

/** Writes rows in batches of 200 (BatchWriteRow's limit). */
export async function putRows(
  wide: WideTableClient,
  table: string,
  rows: ReadonlyArray<{
    pk: ReadonlyArray<Readonly<Record<string, PrimaryKeyInput[string] | undefined>>>;
    cols: ReadonlyArray<Readonly<Record<string, ColumnInput | undefined>>>;
  }>,
): Promise<void> {
  // `[{ a: 1 }, { b: 2 }]` (one column per entry, in schema order) → `{ a: 1, b: 2 }`.
  const merge = <T>(parts: ReadonlyArray<Readonly<Record<string, T | undefined>>>): Record<string, T> =>
    Object.assign({}, ...parts) as Record<string, T>;
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const res = await wide.batchWriteRow({
      tables: [
        { table, rows: chunk.map((r) => ({ type: 'put' as const, primaryKey: merge(r.pk), columns: merge(r.cols) })) },
      ],
    });
    const failed = res.tables.flatMap((t) => t.rows).filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`batch write failed: ${JSON.stringify(failed[0])}`);
  }
}
