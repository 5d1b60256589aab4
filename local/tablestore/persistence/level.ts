/**
 * Durable KvStore for `--data-dir`: LevelDB (classic-level) written through with `sync: true` batches, so a
 * write is on disk (fsync'd write-ahead log) before it is acknowledged and survives kill -9. All records
 * are loaded into the in-memory ordered index at open; reads are served from memory. Writes reach the index
 * before the disk; `settled()` is what keeps readers from acting on them early (see store.ts).
 *
 * LevelDB key = UTF-8 space name + 0x00 + record key (space names never contain NUL).
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { MemoryKvStore } from './memory';
import type { KvRecord, KvStore, KvWrite, ScanOptions } from './store';

type Db = ClassicLevel<Buffer, Buffer>;
/** Records read per native iterator call while loading. */
const LOAD_BATCH = 1000;
type LevelOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

function levelKey(space: string, key: Uint8Array): Buffer {
  const s = Buffer.from(space, 'utf8');
  const out = Buffer.allocUnsafe(s.length + 1 + key.length);
  s.copy(out, 0);
  out[s.length] = 0;
  out.set(key, s.length + 1);
  return out;
}

export class LevelKvStore implements KvStore {
  /** Set when a durable write failed: memory may then be ahead of disk, so further writes are refused. */
  private failure: Error | undefined;
  private readonly queue: { ops: LevelOp[]; resolve: () => void; reject: (err: Error) => void }[] = [];
  private flushing = false;
  /** The most recently enqueued batch: batches commit in order, so once it settles every earlier one has. */
  private last: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly index: MemoryKvStore,
  ) {}

  static async open(dir: string): Promise<LevelKvStore> {
    await mkdir(dir, { recursive: true });
    const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      // A user mistake (usually a second server on the same directory): `code` lets CLIs print one line.
      throw Object.assign(
        new Error(`Cannot open data directory ${dir} (is another Tablestore Local using it?)${cause}`),
        { code: 'DATA_DIR_UNAVAILABLE' },
      );
    }
    const index = new MemoryKvStore();
    // Batches of entries per native call (nextv), not one promise per record, and the next batch is read
    // (on LevelDB's thread) while this one goes into the in-memory index: loading costs about the native
    // iteration alone (bench/restart.bench.ts, docs/tablestore-local.md, "Start-up").
    const it = db.iterator();
    try {
      let next = it.nextv(LOAD_BATCH);
      for (let entries = await next; entries.length > 0; entries = await next) {
        next = it.nextv(LOAD_BATCH);
        for (const [k, v] of entries) {
          const sep = k.indexOf(0);
          if (sep >= 0) index.adopt(k.toString('utf8', 0, sep), k.subarray(sep + 1), v);
        }
      }
    } finally {
      await it.close();
    }
    return new LevelKvStore(db, index);
  }

  get(space: string, key: Uint8Array): Uint8Array | undefined {
    return this.index.get(space, key);
  }

  scan(space: string, options?: ScanOptions): IterableIterator<KvRecord> {
    return this.index.scan(space, options);
  }

  count(space: string): number {
    return this.index.count(space);
  }

  write(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    this.index.apply(writes);
    return this.enqueue(
      writes.map((w) =>
        w.value === undefined
          ? { type: 'del' as const, key: levelKey(w.space, w.key) }
          : { type: 'put' as const, key: levelKey(w.space, w.key), value: Buffer.from(w.value) },
      ),
    );
  }

  dropSpace(space: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const ops = [...this.index.scan(space)].map((r) => ({ type: 'del' as const, key: levelKey(space, r.key) }));
    this.index.dropSpaceNow(space);
    return ops.length === 0 ? Promise.resolve() : this.enqueue(ops);
  }

  /**
   * Group commit: writes that arrive while a synced batch is in flight are combined into the next one, in
   * arrival order. Each caller's writes stay atomic (they are inside one LevelDB batch) and are acknowledged
   * only after that batch's fsync.
   */
  private enqueue(ops: LevelOp[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.flushing) void this.flush();
    });
    this.last = done;
    return done;
  }

  settled(): Promise<void> {
    return this.failure ? Promise.reject(this.failure) : this.last;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      if (this.failure) {
        for (const g of group) g.reject(this.failure);
        continue;
      }
      try {
        await this.db.batch(group.length === 1 ? group[0].ops : group.flatMap((g) => g.ops), { sync: true });
        for (const g of group) g.resolve();
      } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        this.failure = new Error(
          `Tablestore Local data directory write failed (${cause}); restart the server to reload from disk`,
        );
        for (const g of group) g.reject(this.failure);
      }
    }
    this.flushing = false;
  }

  async close(): Promise<void> {
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
    await this.db.close();
  }
}
