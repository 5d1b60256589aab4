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

  it('finds the holder of a key like a scan of every open transaction would, across ends and timeouts', () => {
    // Partition keys as the key codec makes them: self-delimiting, so no held partition is a prefix of another.
    const partition = fc
      .uint8Array({ minLength: 0, maxLength: 3, max: 2 })
      .map((b) => Buffer.from([...b].flatMap((x) => (x === 0 ? [0, 0xff] : [x])).concat([0, 1])));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), partition, fc.nat(3)), { maxLength: 10 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), partition, fc.uint8Array({ maxLength: 2 })), { maxLength: 10 }),
        fc.nat(3),
        (starts, probes, later) => {
          // The clock only moves forward.
          const nowMs = Math.max(0, ...starts.map(([, , at]) => at)) + later;
          const registry = new LocalTransactions({ timeoutMs: 2 });
          const open: { space: string; partition: Buffer; expiresAtMs: number; id: string }[] = [];
          for (const [space, p, at] of starts) {
            const held = open.some((t) => t.space === space && t.partition.equals(p) && at < t.expiresAtMs);
            if (held) {
              expect(() =>
                registry.start({ table: space, space, partition: p, partitionText: '', nowMs: at }),
              ).toThrow();
              continue;
            }
            const txn = registry.start({ table: space, space, partition: p, partitionText: '', nowMs: at });
            // The expired holder it replaces is gone.
            for (let i = open.length - 1; i >= 0; i--)
              if (open[i].space === space && open[i].partition.equals(p)) open.splice(i, 1);
            open.push({ space, partition: p, expiresAtMs: txn.expiresAtMs, id: txn.id });
            // Every other started transaction ends at once (commit or abort).
            if (open.length % 2 === 0) {
              registry.end(txn);
              open.pop();
            }
          }
          for (const [space, p, rest] of probes) {
            const key = Buffer.concat([p, Buffer.from(rest)]);
            const expected = open.find(
              (t) =>
                t.space === space && key.subarray(0, t.partition.length).equals(t.partition) && nowMs < t.expiresAtMs,
            );
            expect(registry.holder(space, key, nowMs)?.id).toBe(expected?.id);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
