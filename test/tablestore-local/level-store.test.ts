import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelKvStore } from '../../local/tablestore/persistence/level';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const key = (n: number) => Buffer.from(n.toString(16).padStart(6, '0'));

describe('LevelKvStore (--data-dir)', () => {
  it('group-commits concurrent writes in order and reloads them, drops included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsl-level-'));
    dirs.push(dir);
    const store = await LevelKvStore.open(dir);
    await store.write([{ space: 'gone', key: key(1), value: Buffer.from('x') }]);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      // Each call is atomic: a row and its index entry together.
      pending.push(
        store.write([
          { space: 'rows', key: key(i), value: Buffer.from(`v${i}`) },
          { space: 'idx', key: key(i), value: Buffer.from('1') },
        ]),
      );
      if (i % 100 === 99) pending.push(store.write([{ space: 'rows', key: key(i) }]));
    }
    pending.push(store.dropSpace('gone'));
    pending.push(store.write([{ space: 'gone', key: key(2), value: Buffer.from('after drop') }]));
    // Reads see writes immediately, before they are durable.
    expect(Buffer.from(store.get('rows', key(7))!).toString()).toBe('v7');
    await Promise.all(pending);
    await store.close();

    const reopened = await LevelKvStore.open(dir);
    try {
      expect(reopened.count('rows')).toBe(495);
      expect(reopened.count('idx')).toBe(500);
      expect(reopened.get('rows', key(99))).toBeUndefined();
      expect(Buffer.from(reopened.get('rows', key(498))!).toString()).toBe('v498');
      expect([...reopened.scan('gone')].map((r) => Buffer.from(r.value).toString())).toEqual(['after drop']);
      const keys = [...reopened.scan('rows', { gte: key(10), lt: key(14), reverse: true })].map((r) =>
        Buffer.from(r.key).toString(),
      );
      expect(keys).toEqual([key(13), key(12), key(11), key(10)].map((k) => k.toString()));
    } finally {
      await reopened.close();
    }
  });
});
