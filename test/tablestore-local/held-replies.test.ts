/**
 * Replies wait for durability. Tablestore Local applies a write to its index at once (so conditional writes and
 * auto-increment see one serial order) and holds every reply until the store has made durable all it shows.
 * A store whose durability the test releases by hand makes the window as wide as we like.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKvStore } from '../../local/tablestore/persistence/memory';
import type { KvWrite } from '../../local/tablestore/persistence/store';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';

/** Writes show at once; they become durable only when `release()` is called. */
class GatedStore extends MemoryKvStore {
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  hold(): void {
    let open!: () => void;
    this.gate = { promise: new Promise<void>((r) => (open = r)), open };
  }
  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }
  override write(writes: readonly KvWrite[]): Promise<void> {
    this.apply(writes);
    return this.gate?.promise ?? Promise.resolve();
  }
  override settled(): Promise<void> {
    return this.gate?.promise ?? Promise.resolve();
  }
}

const Long = TableStore.Long;
const cond = (e: string | number) => new TableStore.Condition(e, null);
const store = new GatedStore();
let local: LocalTablestoreHandle;
let client: SdkClient;

beforeAll(async () => {
  local = await startLocal({ store });
  client = sdkClient(local);
  await client.createTable({
    tableMeta: { tableName: 'held', primaryKey: [{ name: 'k', type: 'INTEGER' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
});
afterAll(async () => {
  store.release();
  await local?.stop();
});

/** Resolves to 'pending' if `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('replies held until durable', () => {
  it('a reader that would see a not-yet-durable row gets no reply until the row is durable', async () => {
    store.hold();
    const put = client.putRow({
      tableName: 'held',
      condition: cond(TableStore.RowExistenceExpectation.IGNORE),
      primaryKey: [{ k: Long.fromNumber(1) }],
      attributeColumns: [{ v: 'x' }],
    });
    await new Promise((r) => setTimeout(r, 50));
    const read = client.getRow({ tableName: 'held', primaryKey: [{ k: Long.fromNumber(1) }], maxVersions: 1 });
    expect(await within(read, 300)).toBe('pending');
    expect(await within(put, 10)).toBe('pending');
    store.release();
    expect((await read).row?.attributes?.[0].columnValue).toBe('x');
    await put;
  });

  it('a conditional write sees the pending row (serial order), and its refusal is held too', async () => {
    store.hold();
    const first = client.putRow({
      tableName: 'held',
      condition: cond(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST),
      primaryKey: [{ k: Long.fromNumber(2) }],
      attributeColumns: [{ v: 'first' }],
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = sdkError(
      client.putRow({
        tableName: 'held',
        condition: cond(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST),
        primaryKey: [{ k: Long.fromNumber(2) }],
        attributeColumns: [{ v: 'second' }],
      }),
    );
    expect(await within(second, 300)).toBe('pending');
    store.release();
    expect((await second).code).toBe('OTSConditionCheckFail');
    await first;
  });
});
