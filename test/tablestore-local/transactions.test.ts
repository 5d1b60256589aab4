/**
 * Local transactions through the official Node SDK over HTTP (docs/protocol.md §8.8): the SDK sample's flow,
 * isolation (Read Committed), a transaction's own writes, atomic commit (secondary index included), abort,
 * the partition lock, scope, ids, the timeout (on an injected clock, no sleeping), the table switch, RAM and
 * persistence (committed writes survive a restart, open transactions do not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { LocalIam } from '../../local/sts/iam';
import type { ChangeFeedKvStore } from '../../local/tablestore/persistence/change-feed';
import { parseIdentities } from '../../local/sts/identities';
import { rawCall } from '../helpers/ots-raw';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
  type SdkRow,
} from '../helpers/tablestore-local';
import { attrsOf, pkOf, readAll } from '../indexes/sdk';

const Long = TableStore.Long;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const T = 'txn';
const INDEX = 'txn_by_v';
const CONFLICT = {
  status: 409,
  code: 'OTSRowOperationConflict',
  message: 'Data is being modified by the other request.',
};
const GONE = { status: 404, code: 'OTSSessionNotExist', message: 'Session not exist or may be timeout.' };

function tableParams(name: string, indexMetas: object[] = []) {
  return {
    tableMeta: {
      tableName: name,
      primaryKey: [
        { name: 'pk1', type: 'STRING' },
        { name: 'pk2', type: 'INTEGER' },
      ],
      definedColumn: [{ name: 'v', type: 1 /* DCT_INTEGER */ }],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    ...(indexMetas.length > 0 ? { indexMetas } : {}),
  };
}

const pk = (p: string, n: number) => [{ pk1: p }, { pk2: Long.fromNumber(n) }];

function put(client: SdkClient, p: string, n: number, v: number, transactionId?: string) {
  return client.putRow({
    tableName: T,
    condition: IGNORE(),
    primaryKey: pk(p, n),
    attributeColumns: [{ v: Long.fromNumber(v) }],
    ...(transactionId ? { transactionId } : {}),
  });
}

async function get(client: SdkClient, p: string, n: number, transactionId?: string): Promise<unknown> {
  const res = await client.getRow({
    tableName: T,
    primaryKey: pk(p, n),
    maxVersions: 1,
    ...(transactionId ? { transactionId } : {}),
  });
  return res.row?.primaryKey ? attrsOf(res.row).v : undefined;
}

/** The partition's rows as [pk2, v], read with GetRange (inside the transaction when an id is given). */
async function partition(client: SdkClient, p: string, transactionId?: string): Promise<[unknown, unknown][]> {
  const res = await client.getRange({
    tableName: T,
    direction: TableStore.Direction.FORWARD,
    inclusiveStartPrimaryKey: [{ pk1: p }, { pk2: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ pk1: p }, { pk2: TableStore.INF_MAX }],
    maxVersions: 1,
    ...(transactionId ? { transactionId } : {}),
  });
  return (res.rows ?? []).map((r: SdkRow) => [pkOf(r)[1], attrsOf(r).v]);
}

async function start(client: SdkClient, p: string, tableName = T): Promise<string> {
  const res = await client.startLocalTransaction({ tableName, primaryKey: [{ pk1: p }] });
  expect(res.transactionId).toMatch(/^[0-9A-F]{32}$/);
  return res.transactionId as string;
}

let local: LocalTablestoreHandle;
let client: SdkClient;

beforeAll(async () => {
  local = await startLocal({ localTransactions: { enabledByDefault: true } });
  client = sdkClient(local);
  await client.createTable(tableParams(T, [{ name: INDEX, primaryKey: ['v'], definedColumn: [] }]));
});
afterAll(async () => {
  await local?.stop();
});

describe('the SDK sample flow and its guarantees', () => {
  it('runs the sample: init row, start, put with transactionId, commit → the update is visible', async () => {
    await put(client, 'sample', 1, 1);
    const id = await start(client, 'sample');
    await put(client, 'sample', 1, 2, id);
    await client.commitTransaction({ transactionId: id });
    expect(await get(client, 'sample', 1)).toBe(2n);
  });

  it('hides a transaction from others until commit, shows it its own writes, and commits atomically', async () => {
    await put(client, 'iso', 1, 10);
    const id = await start(client, 'iso');
    await put(client, 'iso', 1, 11, id);
    await put(client, 'iso', 2, 20, id);
    await client.updateRow({
      tableName: T,
      condition: IGNORE(),
      primaryKey: pk('iso', 3),
      updateOfAttributeColumns: [{ PUT: [{ v: Long.fromNumber(30) }] }],
      transactionId: id,
    });
    // Read Committed outside, own writes inside (GetRow and GetRange).
    expect(await get(client, 'iso', 1)).toBe(10n);
    expect(await get(client, 'iso', 2)).toBeUndefined();
    expect(await partition(client, 'iso')).toEqual([[1n, 10n]]);
    expect(await get(client, 'iso', 1, id)).toBe(11n);
    expect(await partition(client, 'iso', id)).toEqual([
      [1n, 11n],
      [2n, 20n],
      [3n, 30n],
    ]);
    // A delete inside hides the row inside only.
    await client.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk('iso', 2), transactionId: id });
    expect(await partition(client, 'iso', id)).toEqual([
      [1n, 11n],
      [3n, 30n],
    ]);
    // The secondary index follows committed data only.
    const indexed = async () =>
      (await readAll(client, INDEX, ['v', 'pk1', 'pk2'])).map((r) => pkOf(r)).filter((k) => k[1] === 'iso');
    expect(await indexed()).toEqual([[10n, 'iso', 1n]]);
    // The change feed (which the index maintainers and search indexes observe) gets the commit as one batch.
    const batches: number[] = [];
    (local.server.store as ChangeFeedKvStore).addObserver({
      observes: (space) => space === `wide/${T}`,
      changed: (changes) => void batches.push(changes.length),
    });
    await client.commitTransaction(id);
    expect(batches).toEqual([3]);
    expect(await partition(client, 'iso')).toEqual([
      [1n, 11n],
      [3n, 30n],
    ]);
    expect(await indexed()).toEqual([
      [11n, 'iso', 1n],
      [30n, 'iso', 3n],
    ]);
    // Used ids are refused.
    expect(await sdkError(client.commitTransaction(id))).toEqual(GONE);
    expect(await sdkError(client.abortTransaction(id))).toEqual(GONE);
    expect(await sdkError(put(client, 'iso', 1, 12, id))).toEqual(GONE);
  });

  it('applies BatchWriteRow rows inside the transaction in order, with conditions seeing its writes', async () => {
    const id = await start(client, 'batch');
    const res = await client.batchWriteRow({
      transactionId: id,
      tables: [
        {
          tableName: T,
          rows: [
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('batch', 1),
              attributeColumns: [{ v: Long.fromNumber(1) }],
            },
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('batch', 2),
              attributeColumns: [{ v: Long.fromNumber(2) }],
            },
            {
              type: 'UPDATE',
              condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null),
              primaryKey: pk('batch', 1),
              attributeColumns: [{ PUT: [{ v: Long.fromNumber(5) }] }],
            },
            { type: 'DELETE', condition: IGNORE(), primaryKey: pk('batch', 2), attributeColumns: [] },
          ],
        },
      ],
    });
    expect((res.tables ?? []).map((r) => r.isOk)).toEqual([true, true, true, true]);
    // A put with EXPECT_NOT_EXIST sees the transaction's row.
    expect(
      await sdkError(
        client.putRow({
          tableName: T,
          condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null),
          primaryKey: pk('batch', 1),
          attributeColumns: [{ v: Long.fromNumber(9) }],
          transactionId: id,
        }),
      ),
    ).toMatchObject({ code: 'OTSConditionCheckFail' });
    expect(await partition(client, 'batch')).toEqual([]);
    await client.commitTransaction({ transactionId: id });
    expect(await partition(client, 'batch')).toEqual([[1n, 5n]]);
  });

  it('discards everything on abort', async () => {
    await put(client, 'abort', 1, 1);
    const id = await start(client, 'abort');
    await put(client, 'abort', 1, 2, id);
    await put(client, 'abort', 2, 2, id);
    await client.abortTransaction({ transactionId: id });
    expect(await partition(client, 'abort')).toEqual([[1n, 1n]]);
    expect(await sdkError(client.commitTransaction(id))).toEqual(GONE);
    // The partition is free again.
    await put(client, 'abort', 3, 3);
    await client.abortTransaction(await start(client, 'abort'));
  });
});

describe('the partition lock and the transaction scope', () => {
  it('refuses writes of others to the held partition with OTSRowOperationConflict, reads and other partitions pass', async () => {
    await put(client, 'lock', 1, 1);
    const id = await start(client, 'lock');
    expect(await sdkError(put(client, 'lock', 1, 2))).toEqual(CONFLICT);
    expect(await sdkError(put(client, 'lock', 99, 2))).toEqual(CONFLICT);
    expect(await sdkError(client.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: pk('lock', 1) }))).toEqual(
      CONFLICT,
    );
    expect(await sdkError(start(client, 'lock'))).toEqual(CONFLICT);
    // The lock is checked before the condition, as a pessimistic lock is taken before reading the row.
    expect(
      await sdkError(
        client.putRow({
          tableName: T,
          condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null),
          primaryKey: pk('lock', 42),
          attributeColumns: [{ v: Long.fromNumber(1) }],
        }),
      ),
    ).toEqual(CONFLICT);
    const batch = await client.batchWriteRow({
      tables: [
        {
          tableName: T,
          rows: [
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('lock', 5),
              attributeColumns: [{ v: Long.fromNumber(5) }],
            },
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('free', 5),
              attributeColumns: [{ v: Long.fromNumber(5) }],
            },
          ],
        },
      ],
    });
    expect((batch.tables ?? []).map((r) => [r.isOk, r.errorCode ?? null])).toEqual([
      [false, 'OTSRowOperationConflict'],
      [true, null],
    ]);
    expect(await get(client, 'lock', 1)).toBe(1n);
    await put(client, 'free', 6, 6);
    await client.commitTransaction(id);
    await put(client, 'lock', 1, 3);
    expect(await get(client, 'lock', 1)).toBe(3n);
  });

  it('keeps a transaction inside its partition and table (OTSDataOutOfRange, the service wording)', async () => {
    const id = await start(client, 'scope');
    const outOfScope = {
      status: 400,
      code: 'OTSDataOutOfRange',
      message: 'Data out of scope of transaction. Transaction PartKey:scope. Data PartKey:other',
    };
    expect(await sdkError(put(client, 'other', 1, 1, id))).toEqual(outOfScope);
    expect(await sdkError(get(client, 'other', 1, id))).toEqual(outOfScope);
    expect(
      await sdkError(
        client.getRange({
          tableName: T,
          direction: TableStore.Direction.FORWARD,
          inclusiveStartPrimaryKey: [{ pk1: 'scope' }, { pk2: TableStore.INF_MIN }],
          exclusiveEndPrimaryKey: [{ pk1: 'sz' }, { pk2: TableStore.INF_MAX }],
          maxVersions: 1,
          transactionId: id,
        }),
      ),
    ).toEqual({ ...outOfScope, message: outOfScope.message.replace(':other', ':sz') });
    const batch = await client.batchWriteRow({
      transactionId: id,
      tables: [
        {
          tableName: T,
          rows: [
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('scope', 1),
              attributeColumns: [{ v: Long.fromNumber(1) }],
            },
            {
              type: 'PUT',
              condition: IGNORE(),
              primaryKey: pk('other', 1),
              attributeColumns: [{ v: Long.fromNumber(1) }],
            },
          ],
        },
      ],
    });
    expect((batch.tables ?? []).map((r) => [r.isOk, r.errorCode ?? null])).toEqual([
      [true, null],
      [false, 'OTSDataOutOfRange'],
    ]);
    await client.createTable(tableParams('txn_other'));
    expect(
      await sdkError(
        client.getRow({ tableName: 'txn_other', primaryKey: pk('scope', 1), maxVersions: 1, transactionId: id }),
      ),
    ).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    await client.commitTransaction(id);
    expect(await partition(client, 'scope')).toEqual([[1n, 1n]]);
    expect(await get(client, 'other', 1)).toBeUndefined();
  });

  it('refuses malformed ids and bad StartLocalTransaction requests with the service wording', async () => {
    const invalid = { status: 400, code: 'OTSParameterInvalid', message: 'TransactionID is invalid.' };
    expect(await sdkError(client.commitTransaction({ transactionId: '' }))).toEqual(invalid);
    expect(await sdkError(client.abortTransaction('fake_transaction_id'))).toEqual(invalid);
    expect(await sdkError(get(client, 'x', 1, 'fake_transaction_id'))).toEqual(invalid);
    expect(await sdkError(client.commitTransaction('0123456789ABCDEF0123456789ABCDEF'))).toEqual(GONE);
    expect(await sdkError(client.startLocalTransaction({ tableName: T, primaryKey: pk('x', 1) }))).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'StartLocalTransaction support only one primary key.',
    });
    expect(
      await sdkError(client.startLocalTransaction({ tableName: T, primaryKey: [{ pk1: Long.fromNumber(1) }] })),
    ).toMatchObject({ status: 400, code: 'OTSInvalidPK' });
    expect(
      await sdkError(client.startLocalTransaction({ tableName: 'nope', primaryKey: [{ pk1: 'x' }] })),
    ).toMatchObject({ status: 404, code: 'OTSObjectNotExist' });
  });
});

describe('the table switch (enable_local_txn)', () => {
  const disabled = {
    status: 400,
    code: 'OTSParameterInvalid',
    message: 'Try to call method using explicit transaction on explicit-transaction-disabled table.',
  };
  let plain: LocalTablestoreHandle;
  beforeAll(async () => {
    plain = await startLocal();
  });
  afterAll(async () => {
    await plain?.stop();
  });

  async function createRaw(target: LocalTablestoreHandle, name: string, enable?: boolean) {
    const res = await rawCall(
      target,
      'CreateTable',
      encodeMessage('CreateTableRequest', {
        table_meta: { table_name: name, primary_key: [{ name: 'pk1', type: 2 }] },
        reserved_throughput: { capacity_unit: { read: 0, write: 0 } },
        table_options: { time_to_live: -1, max_versions: 1 },
        ...(enable !== undefined ? { enable_local_txn: enable } : {}),
      }),
    );
    expect(res.status).toBe(200);
  }

  it('serves only tables created with enable_local_txn = true, unless the server enables every table', async () => {
    const c = sdkClient(plain);
    await createRaw(plain, 'on', true);
    await createRaw(plain, 'off', false);
    await createRaw(plain, 'unsaid');
    await c.abortTransaction(await start(c, 'p', 'on'));
    expect(await sdkError(start(c, 'p', 'off'))).toEqual(disabled);
    expect(await sdkError(start(c, 'p', 'unsaid'))).toEqual(disabled);
    // A server started with enabledByDefault still honours an explicit false.
    await createRaw(local, 'explicit_off', false);
    expect(await sdkError(start(client, 'p', 'explicit_off'))).toEqual(disabled);
  });

  it('refuses enable_local_txn together with an auto-increment column', async () => {
    const res = await rawCall(
      plain,
      'CreateTable',
      encodeMessage('CreateTableRequest', {
        table_meta: {
          table_name: 'autoinc',
          primary_key: [
            { name: 'p', type: 2 },
            { name: 'id', type: 1, option: 1 },
          ],
        },
        reserved_throughput: { capacity_unit: { read: 0, write: 0 } },
        enable_local_txn: true,
      }),
    );
    expect(res.status).toBe(400);
    expect(decodeErrorBody(res.body)?.code).toBe('OTSParameterInvalid');
  });
});

describe('the timeout', () => {
  it('aborts a transaction after its timeout: its id is refused, its writes are gone, the partition is free', async () => {
    let shiftMs = 0;
    const timed = await startLocal({
      now: () => new Date(Date.now() + shiftMs),
      localTransactions: { timeoutMs: 5_000, enabledByDefault: true },
    });
    try {
      const c = sdkClient(timed);
      await c.createTable(tableParams(T));
      const id = await start(c, 'slow');
      await put(c, 'slow', 1, 1, id);
      shiftMs = 4_000;
      await put(c, 'slow', 2, 2, id);
      expect(await sdkError(put(c, 'slow', 3, 3))).toEqual(CONFLICT);
      shiftMs = 5_000;
      expect(await sdkError(c.commitTransaction(id))).toEqual(GONE);
      expect(await partition(c, 'slow')).toEqual([]);
      await put(c, 'slow', 3, 3);
      // An expired transaction frees its partition even when nobody names it again.
      await start(c, 'idle');
      shiftMs = 20_000;
      await put(c, 'idle', 1, 1);
      expect(await partition(c, 'idle')).toEqual([[1n, 1n]]);
    } finally {
      await timed.stop();
    }
  });
});

describe('RAM', () => {
  it('authorises ots:StartLocalTransaction, ots:CommitTransaction and ots:AbortTransaction on the table', async () => {
    const ACCOUNT = '1234567890123456';
    const resource = `acs:ots:*:${ACCOUNT}:instance/*/table/${T}`;
    const iam = new LocalIam(
      parseIdentities({
        accountId: ACCOUNT,
        rootAccessKeys: [{ id: 'ROOTKEY00001', secret: 'root-secret' }],
        policies: {
          starter: {
            Version: '1',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['ots:StartLocalTransaction', 'ots:PutRow', 'ots:AbortTransaction'],
                Resource: resource,
              },
            ],
          },
        },
        users: [
          {
            name: 'starter',
            accessKeys: [{ id: 'STARTKEY0001', secret: 'start-secret', status: 'Active' }],
            policies: ['starter'],
          },
        ],
        roles: [],
      }),
    );
    const ram = await startLocal({ identities: iam, localTransactions: { enabledByDefault: true } });
    try {
      const root = sdkClient(ram, { accessKeyId: 'ROOTKEY00001', accessKeySecret: 'root-secret' });
      const user = sdkClient(ram, { accessKeyId: 'STARTKEY0001', accessKeySecret: 'start-secret' });
      await root.createTable(tableParams(T));
      const id = await start(user, 'ram');
      await put(user, 'ram', 1, 1, id);
      expect(await sdkError(user.commitTransaction(id))).toMatchObject({ status: 403, code: 'OTSNoPermissionAccess' });
      expect(await sdkError(start(user, 'ram', 'other'))).toMatchObject({ status: 403 });
      await user.abortTransaction(id);
      expect(await sdkError(root.commitTransaction(id))).toEqual(GONE);
    } finally {
      await ram.stop();
    }
  });
});

describe('persistence (--data-dir)', () => {
  it('keeps committed writes across a restart and forgets open transactions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'txn-'));
    try {
      const first = await startLocal({ dataDir: dir, localTransactions: { enabledByDefault: true } });
      const c1 = sdkClient(first);
      await c1.createTable(tableParams(T));
      const done = await start(c1, 'kept');
      await put(c1, 'kept', 1, 1, done);
      await c1.commitTransaction(done);
      const open = await start(c1, 'lost');
      await put(c1, 'lost', 1, 1, open);
      await first.stop();

      const second = await startLocal({ dataDir: dir, localTransactions: { enabledByDefault: true } });
      try {
        const c2 = sdkClient(second);
        expect(await partition(c2, 'kept')).toEqual([[1n, 1n]]);
        expect(await partition(c2, 'lost')).toEqual([]);
        expect(await sdkError(c2.commitTransaction(open))).toEqual(GONE);
        // Nothing holds the partition after the restart.
        await put(c2, 'lost', 2, 2);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI flags', () => {
  it('--enable-local-txn opens every table to transactions; a bad --local-txn-timeout-seconds is refused', async () => {
    const cli = (args: string[]) =>
      spawn(process.execPath, ['--import', 'tsx', 'local/tablestore/cli.ts', '--port', '0', ...args], {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const bad = cli(['--local-txn-timeout-seconds', '0']);
    let stderr = '';
    bad.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('Invalid --local-txn-timeout-seconds: 0');

    const child = cli(['--enable-local-txn', '--local-txn-timeout-seconds', '30', '--access-key', 'cli-id:cli-secret']);
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const m = /listening on (http:\/\/\S+)/.exec(line);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`CLI exited with ${code}`)));
      });
      const c = sdkClient({ endpoint, instance: 'local', accessKeyId: 'cli-id', accessKeySecret: 'cli-secret' });
      await c.createTable(tableParams(T));
      const id = await start(c, 'cli');
      await put(c, 'cli', 1, 1, id);
      await c.commitTransaction(id);
      expect(await partition(c, 'cli')).toEqual([[1n, 1n]]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
