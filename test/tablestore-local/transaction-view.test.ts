/**
 * A transaction's view of the store (local/tablestore/transactions.ts) against brute force: for random stored
 * rows, random pending writes and deletes, and random ranges in both directions, `scan` yields exactly the
 * sorted, filtered result of applying the pending writes to a plain map, and `get` agrees with that map.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryKvStore } from '../../local/tablestore/persistence/memory';
import { LocalTransactions, addTransactionWrites, transactionView } from '../../local/tablestore/transactions';

const SPACE = 'wide/t';
const key = fc.uint8Array({ minLength: 0, maxLength: 3, max: 3 });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('transactionView', () => {
  it('scans and gets like the pending writes applied to a copy of the store', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.uint8Array({ minLength: 1, maxLength: 2 })), { maxLength: 12 }),
        fc.array(fc.tuple(key, fc.option(fc.uint8Array({ minLength: 1, maxLength: 2 }), { nil: undefined })), {
          maxLength: 12,
        }),
        fc.option(key, { nil: undefined }),
        fc.option(key, { nil: undefined }),
        fc.boolean(),
        async (stored, pending, gte, lt, reverse) => {
          const store = new MemoryKvStore();
          await store.write(stored.map(([k, v]) => ({ space: SPACE, key: k, value: v })));
          await store.write([{ space: 'other', key: new Uint8Array([1]), value: new Uint8Array([9]) }]);
          const txn = new LocalTransactions().start({
            table: 't',
            space: SPACE,
            partition: Buffer.alloc(0),
            partitionText: '',
            nowMs: 0,
          });
          addTransactionWrites(
            txn,
            pending.map(([k, v]) => (v ? { space: SPACE, key: k, value: v } : { space: SPACE, key: k })),
          );

          const model = new Map<string, string>();
          for (const [k, v] of stored) model.set(hex(k), hex(v));
          for (const [k, v] of pending) {
            if (v) model.set(hex(k), hex(v));
            else model.delete(hex(k));
          }
          const inRange = (k: string) => (gte === undefined || k >= hex(gte)) && (lt === undefined || k < hex(lt));
          const expected = [...model.entries()].filter(([k]) => inRange(k)).sort(([a], [b]) => (a < b ? -1 : 1));
          if (reverse) expected.reverse();

          const view = transactionView(store, txn);
          const options = { ...(gte ? { gte } : {}), ...(lt ? { lt } : {}), reverse };
          const got = [...view.scan(SPACE, options)].map((r) => [hex(r.key), hex(r.value)]);
          expect(got).toEqual(expected);
          for (const [k] of [...stored, ...pending]) {
            const v = view.get(SPACE, k);
            expect(v === undefined ? undefined : hex(v)).toBe(model.get(hex(k)));
          }
          // Other spaces are the store's.
          expect([...view.scan('other')].length).toBe(1);
        },
      ),
      { numRuns: 400 },
    );
  });
});
