/**
 * Storage contract of Tablestore Local. Everything (wide-table rows, time series points and meta, table
 * metadata) is kept as records in named *spaces*, ordered bytewise by key. Callers encode their keys so that
 * byte order equals the order they need (see the key codecs next to the handlers).
 *
 * Reads are synchronous against an in-memory ordered index (O(log n) seek); writes resolve once durable
 * (immediately for the in-memory store, after fsync for a --data-dir store), so an acknowledged write
 * survives kill -9.
 *
 * Visibility: every write applies to the index at call time, so all requests see one latest state in one
 * order (a conditional write or an auto-increment reads what every earlier write left: serializable without
 * locks). That state may include writes not yet durable, so the server holds every reply — success or
 * error, read or write — until `settled()`: no client ever learns of a write a crash can still take away.
 */
export interface KvRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface KvWrite {
  readonly space: string;
  readonly key: Uint8Array;
  /** Absent value deletes the key. */
  readonly value?: Uint8Array;
}

export interface ScanOptions {
  /** Lowest key included (forward and backward alike); absent or undefined = from the first key. */
  readonly gte?: Uint8Array | undefined;
  /** First key excluded above the range; absent or undefined = to the last key. */
  readonly lt?: Uint8Array | undefined;
  /** Iterate from high to low keys. */
  readonly reverse?: boolean | undefined;
}

export interface KvStore {
  get(space: string, key: Uint8Array): Uint8Array | undefined;
  /** Ordered iteration; O(log n) to the first record, then O(1) per record. */
  scan(space: string, options?: ScanOptions): IterableIterator<KvRecord>;
  /** Number of records in a space (for stats and benchmarks). */
  count(space: string): number;
  /**
   * All writes of one call apply atomically (all or none after a crash). The in-memory index is updated
   * synchronously, at call time, so a handler's read-check-write needs no lock; the promise settles once the
   * writes are durable.
   */
  write(writes: readonly KvWrite[]): Promise<void>;
  /**
   * Resolves once every write applied so far is durable (at once when nothing is pending); rejects when a
   * durable write failed, since the index may then show what the disk does not hold.
   */
  settled(): Promise<void>;
  /** Removes every record of a space. */
  dropSpace(space: string): Promise<void>;
  close(): Promise<void>;
}
