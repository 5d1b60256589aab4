import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeKey, encodeKey } from '../../local/tablestore/handlers/wide/keys';
import type { WideTableDefinition } from '../../local/tablestore/handlers/wide/table';
import { MemoryKvStore } from '../../local/tablestore/persistence/memory';

const def: WideTableDefinition = {
  primaryKey: [
    { name: 'i', type: 1 },
    { name: 's', type: 2 },
    { name: 'b', type: 3 },
  ],
  definedColumns: [],
  options: { timeToLive: -1, maxVersions: 1, deviationCellVersionInSec: 86400, allowUpdate: true },
  reservedThroughput: { read: 0, write: 0, lastIncreaseTime: 0 },
};

type Tuple = [bigint, string, Uint8Array];
const tuple = fc.tuple(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.uint8Array({ maxLength: 6 }),
);
const cells = (t: Tuple) => [
  { name: 'i', value: t[0] },
  { name: 's', value: t[1] },
  { name: 'b', value: t[2] },
];

function compareTuples(a: Tuple, b: Tuple): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  const s = Buffer.compare(Buffer.from(a[1]), Buffer.from(b[1]));
  if (s !== 0) return s;
  return Buffer.compare(a[2], b[2]);
}

describe('order-preserving primary-key encoding', () => {
  it('orders encoded keys exactly like Tablestore orders primary keys, and round-trips', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const ka = encodeKey(def, cells(a));
        const kb = encodeKey(def, cells(b));
        expect(Math.sign(Buffer.compare(ka, kb))).toBe(Math.sign(compareTuples(a, b)));
        const back = decodeKey(def, ka);
        expect(back[0].value).toBe(a[0]);
        expect(back[1].value).toBe(a[1]);
        expect(Buffer.from(back[2].value as Uint8Array).equals(Buffer.from(a[2]))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('MemoryKvStore', () => {
  it('scans ranges forward and backward with exclusive upper bounds', async () => {
    const store = new MemoryKvStore();
    await store.write([5, 1, 9, 3, 7].map((n) => ({ space: 's', key: Buffer.from([n]), value: Buffer.from([n * 2]) })));
    const keys = (opts: object) => [...store.scan('s', opts)].map((r) => r.key[0]);
    expect(keys({})).toEqual([1, 3, 5, 7, 9]);
    expect(keys({ gte: Buffer.from([3]), lt: Buffer.from([9]) })).toEqual([3, 5, 7]);
    expect(keys({ gte: Buffer.from([2]), lt: Buffer.from([7]), reverse: true })).toEqual([5, 3]);
    expect(keys({ lt: Buffer.from([9]), reverse: true })).toEqual([7, 5, 3, 1]);
    expect(keys({ gte: Buffer.from([9]), lt: Buffer.from([3]) })).toEqual([]);
    await store.write([{ space: 's', key: Buffer.from([5]) }]);
    expect(store.count('s')).toBe(4);
    expect(store.get('s', Buffer.from([5]))).toBeUndefined();
    await store.dropSpace('s');
    expect(keys({})).toEqual([]);
  });
});
