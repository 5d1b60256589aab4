/**
 * In-memory KvStore: one B+ tree per space, so a range seek is O(log n) and each further record O(1).
 * Keys are held as latin1 strings (one char per byte): V8 stores them compactly and compares them natively
 * in code-unit order, which for one-byte strings is exactly bytewise order. Writes apply to the index
 * synchronously, at call time, which lets a handler do its read-check-write without interleaving with
 * other requests.
 */
import BTreeModule from 'sorted-btree';
import type { KvRecord, KvStore, KvWrite, ScanOptions } from './store';

// sorted-btree ships CJS with a default export; under ESM interop it may arrive wrapped once more.
const BTree = (BTreeModule as unknown as { default?: typeof BTreeModule }).default ?? BTreeModule;
type Tree = InstanceType<typeof BTree<string, Buffer>>;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function keyOf(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}

/** Copies so the store never aliases a caller's (possibly pooled or reused) memory. */
function owned(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

export class MemoryKvStore implements KvStore {
  private readonly spaces = new Map<string, Tree>();

  private tree(space: string, create: boolean): Tree | undefined {
    let t = this.spaces.get(space);
    if (!t && create) {
      t = new BTree<string, Buffer>(undefined, compare);
      this.spaces.set(space, t);
    }
    return t;
  }

  get(space: string, key: Uint8Array): Uint8Array | undefined {
    return this.tree(space, false)?.get(keyOf(key));
  }

  *scan(space: string, options: ScanOptions = {}): IterableIterator<KvRecord> {
    const tree = this.tree(space, false);
    if (!tree) return;
    const gte = options.gte ? keyOf(options.gte) : undefined;
    const lt = options.lt ? keyOf(options.lt) : undefined;
    if (gte !== undefined && lt !== undefined && gte >= lt) return;
    if (!options.reverse) {
      for (const [key, value] of tree.entries(gte)) {
        if (lt !== undefined && key >= lt) return;
        yield { key: Buffer.from(key, 'latin1'), value };
      }
    } else {
      const it = lt !== undefined ? tree.entriesReversed(lt, undefined, true) : tree.entriesReversed();
      for (const [key, value] of it) {
        if (gte !== undefined && key < gte) return;
        yield { key: Buffer.from(key, 'latin1'), value };
      }
    }
  }

  count(space: string): number {
    return this.tree(space, false)?.size ?? 0;
  }

  /** Applies writes to the index immediately (synchronously); used by the durable store too. */
  apply(writes: readonly KvWrite[]): void {
    for (const w of writes) {
      if (w.value === undefined) this.tree(w.space, false)?.delete(keyOf(w.key));
      else this.tree(w.space, true)!.set(keyOf(w.key), owned(w.value));
    }
  }

  /**
   * Puts a record whose value the store may keep as it is (no copy): for loading from disk, where each value
   * is a fresh buffer nobody else holds (persistence/level.ts).
   */
  adopt(space: string, key: Uint8Array, value: Buffer): void {
    this.tree(space, true)!.set(keyOf(key), value);
  }

  write(writes: readonly KvWrite[]): Promise<void> {
    this.apply(writes);
    return Promise.resolve();
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  dropSpaceNow(space: string): void {
    this.spaces.delete(space);
  }

  dropSpace(space: string): Promise<void> {
    this.dropSpaceNow(space);
    return Promise.resolve();
  }

  spaceNames(): string[] {
    return [...this.spaces.keys()];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
