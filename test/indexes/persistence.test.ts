/**
 * Secondary indexes survive a restart over the same --data-dir: definitions (DescribeTable), index rows
 * (GetRange on the index) and maintenance of later writes; a dropped index stays dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sdkClient, startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { Sdk, asIndexClient, pkOf, readAll, type IndexSdkClient } from './sdk';

const Long = Sdk.Long;
const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);
let dir = '';
let local: LocalTablestoreHandle | undefined;

async function start(): Promise<IndexSdkClient> {
  local = await startLocal({ dataDir: dir });
  return asIndexClient(sdkClient(local));
}

async function put(client: IndexSdkClient, k: number, email: string) {
  await client.putRow({
    tableName: 'users',
    condition: IGNORE(),
    primaryKey: [{ k: Long.fromNumber(k) }],
    attributeColumns: [{ email }],
  });
}

const emails = async (client: IndexSdkClient) =>
  (await readAll(client, 'users_by_email', ['email', 'k'])).map((r) => pkOf(r).map(String).join(' '));

afterAll(async () => {
  await local?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('keeps index definitions and rows across restarts, and maintains them afterwards', async () => {
  dir = await mkdtemp(join(tmpdir(), 'tablestore-local-sindex-'));
  let client = await start();
  await client.createTable({
    tableMeta: {
      tableName: 'users',
      primaryKey: [{ name: 'k', type: 'INTEGER' }],
      definedColumn: [{ name: 'email', type: Sdk.DefinedColumnType.DCT_STRING }],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    indexMetas: [{ name: 'users_by_email', primaryKey: ['email'] }],
  });
  await put(client, 1, 'c@x');
  await put(client, 2, 'a@x');
  await client.createIndex({
    mainTableName: 'users',
    includeBaseData: true,
    indexMeta: { name: 'users_gone', primaryKey: ['email'], definedColumn: [] },
  });
  await client.dropIndex({ mainTableName: 'users', indexName: 'users_gone' });
  await local!.stop();

  client = await start();
  const d = await client.describeTable({ tableName: 'users' });
  expect((d.indexMetas as { name: string }[]).map((m) => m.name)).toEqual(['users_by_email']);
  expect(await emails(client)).toEqual(['a@x 2', 'c@x 1']);
  await put(client, 1, 'b@x');
  await client.deleteRow({ tableName: 'users', condition: IGNORE(), primaryKey: [{ k: Long.fromNumber(2) }] });
  await local!.stop();

  client = await start();
  expect(await emails(client)).toEqual(['b@x 1']);
  const gone = await client
    .getRange({
      tableName: 'users_gone',
      direction: Sdk.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ email: Sdk.INF_MIN }, { k: Sdk.INF_MIN }],
      exclusiveEndPrimaryKey: [{ email: Sdk.INF_MAX }, { k: Sdk.INF_MAX }],
      maxVersions: 1,
    })
    .then(
      () => 'found',
      (err: { message?: string }) => String(err.message),
    );
  expect(gone).toMatch(/OTSObjectNotExist/);
  await client.deleteTable({ tableName: 'users' });
  await local!.stop();

  client = await start();
  expect(local!.server.store.count('wide-index/users_by_email')).toBe(0);
  expect((await client.listTable({})).tableNames).toEqual([]);
}, 60_000);
