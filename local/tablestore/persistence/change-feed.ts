/**
 * A KvStore decorator that tells observers about every record change, synchronously, as the change reaches
 * the in-memory index: derived structures (search indexes, secondary indexes) stay in step with every write
 * path without the handlers knowing about them.
 *
 * Observers may also add writes to a batch (committed atomically with it), e.g. to drop an index's metadata
 * in the same batch that removes its table's catalog record.
 */
import type { KvRecord, KvStore, KvWrite, ScanOptions } from './store';

export interface KvChange {
  readonly space: string;
  readonly key: Uint8Array;
  /** The record before the write (undefined = absent). */
  readonly before: Uint8Array | undefined;
  /** The record after the write (undefined = deleted). */
  readonly after: Uint8Array | undefined;
}

export interface KvObserver {
  /** Whether changes in `space` interest this observer (called per write: keep it cheap). */
  observes(space: string): boolean;
  /** Extra writes to commit atomically with `writes`. */
  extraWrites?(writes: readonly KvWrite[]): readonly KvWrite[];
  /** Called after the writes reached the in-memory index, before they are durable. */
  changed(changes: readonly KvChange[]): void;
  /** Called after every record of `space` was removed. */
  dropped?(space: string): void;
}

export class ChangeFeedKvStore implements KvStore {
  private readonly observers: KvObserver[] = [];

  constructor(readonly inner: KvStore) {}

  addObserver(observer: KvObserver): void {
    this.observers.push(observer);
  }

  get(space: string, key: Uint8Array): Uint8Array | undefined {
    return this.inner.get(space, key);
  }

  scan(space: string, options?: ScanOptions): IterableIterator<KvRecord> {
    return this.inner.scan(space, options);
  }

  count(space: string): number {
    return this.inner.count(space);
  }

  write(writes: readonly KvWrite[]): Promise<void> {
    if (this.observers.length === 0) return this.inner.write(writes);
    let all = writes;
    for (const o of this.observers) {
      const extra = o.extraWrites?.(all);
      if (extra && extra.length > 0) all = [...all, ...extra];
    }
    // `before` follows earlier writes of the same batch, so a key written twice reads as two steps.
    const pending = new Map<string, Uint8Array | undefined>();
    const watched = all.filter((w) => this.observers.some((o) => o.observes(w.space)));
    const changes: KvChange[] = watched.map((w) => {
      const id = `${w.space}\u0000${Buffer.from(w.key.buffer, w.key.byteOffset, w.key.byteLength).toString('latin1')}`;
      const before = pending.has(id) ? pending.get(id) : this.inner.get(w.space, w.key);
      pending.set(id, w.value);
      return { space: w.space, key: w.key, before, after: w.value };
    });
    const perObserver = this.observers.map((o) => changes.filter((c) => o.observes(c.space)));
    const done = this.inner.write(all);
    this.observers.forEach((o, i) => {
      if (perObserver[i].length > 0) o.changed(perObserver[i]);
    });
    return done;
  }

  settled(): Promise<void> {
    return this.inner.settled();
  }

  dropSpace(space: string): Promise<void> {
    const done = this.inner.dropSpace(space);
    for (const o of this.observers) o.dropped?.(space);
    return done;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const feeds = new WeakMap<KvStore, ChangeFeedKvStore>();

/**
 * The change feed of a store, made once per store: a feed is returned as it is, and servers sharing one
 * underlying store share its feed (so each sees the others' writes).
 */
export function withChangeFeed(store: KvStore): ChangeFeedKvStore {
  if (store instanceof ChangeFeedKvStore) return store;
  let feed = feeds.get(store);
  if (!feed) feeds.set(store, (feed = new ChangeFeedKvStore(store)));
  return feed;
}
