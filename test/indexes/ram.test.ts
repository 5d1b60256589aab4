/**
 * RAM on secondary indexes: CreateIndex / DropIndex are the actions ots:CreateIndex / ots:DropIndex on the
 * base table's resource; a read on an index is authorised on the index table's own resource (the name the
 * request carries), so a policy may open an index without opening its base table.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';
import { sdkClient, sdkError, startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { Sdk, asIndexClient, type IndexSdkClient } from './sdk';

const ACCOUNT = '1234567890123456';
const table = (name: string) => `acs:ots:*:${ACCOUNT}:instance/*/table/${name}`;
let local: LocalTablestoreHandle;
let client: IndexSdkClient;

beforeAll(async () => {
  const iam = new LocalIam(
    parseIdentities({
      accountId: ACCOUNT,
      rootAccessKeys: [],
      policies: {
        owner: {
          Version: '1',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['ots:CreateTable', 'ots:PutRow', 'ots:CreateIndex', 'ots:DescribeTable'],
              Resource: table('base'),
            },
            { Effect: 'Allow', Action: ['ots:GetRange', 'ots:GetRow'], Resource: table('base_by_v') },
          ],
        },
      },
      users: [
        {
          name: 'owner',
          accessKeys: [{ id: 'OWNERKEY0001', secret: 'owner-secret', status: 'Active' }],
          policies: ['owner'],
        },
      ],
      roles: [],
    }),
  );
  local = await startLocal({ identities: iam });
  client = asIndexClient(sdkClient(local, { accessKeyId: 'OWNERKEY0001', accessKeySecret: 'owner-secret' }));
});
afterAll(async () => {
  await local?.stop();
});

it('maps CreateIndex/DropIndex to their actions on the base table and index reads to the index resource', async () => {
  await client.createTable({
    tableMeta: {
      tableName: 'base',
      primaryKey: [{ name: 'k', type: 'INTEGER' }],
      definedColumn: [{ name: 'v', type: Sdk.DefinedColumnType.DCT_STRING }],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await client.createIndex({
    mainTableName: 'base',
    includeBaseData: false,
    indexMeta: { name: 'base_by_v', primaryKey: ['v'], definedColumn: [] },
  });
  await client.putRow({
    tableName: 'base',
    condition: new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null),
    primaryKey: [{ k: Sdk.Long.fromNumber(1) }],
    attributeColumns: [{ v: 'one' }],
  });
  const range = (tableName: string, pk: string[]) =>
    client.getRange({
      tableName,
      direction: Sdk.Direction.FORWARD,
      inclusiveStartPrimaryKey: pk.map((n) => ({ [n]: Sdk.INF_MIN })),
      exclusiveEndPrimaryKey: pk.map((n) => ({ [n]: Sdk.INF_MAX })),
      maxVersions: 1,
    });
  expect((await range('base_by_v', ['v', 'k'])).rows).toHaveLength(1);
  const base = await sdkError(range('base', ['k']));
  expect([base.status, base.code]).toEqual([403, 'OTSNoPermissionAccess']);
  const drop = await sdkError(client.dropIndex({ mainTableName: 'base', indexName: 'base_by_v' }));
  expect([drop.status, drop.code]).toEqual([403, 'OTSNoPermissionAccess']);
});
