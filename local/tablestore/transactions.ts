/**
 * Local transactions of Tablestore Local (docs/protocol.md §8.8): each one holds one partition key of one
 * table until it is committed, aborted or times out. Its writes wait here, beside the store, and reach the
 * store in one atomic write at commit, so readers outside it (and the index maintainers on the change feed)
 * see all of them or none. Nothing of an open transaction is persisted: a restart forgets it, as a timeout would.
 *
 * Time is the server clock passed in by each call; an expired transaction is dropped when next looked at, so
 * no timer runs.
 */
import { randomBytes } from 'node:crypto';
import { errors } from './errors';
import type { KvRecord, KvStore, KvWrite, ScanOptions } from './persistence/store';

export const LOCAL_TXN_DEFAULTS = {
  /** The service aborts a transaction that is neither committed nor aborted within 60 s. */
  timeoutMs: 60_000,
  /** Tables created without `enable_local_txn` refuse transactions, as on the service. */
  enabledByDefault: false,
} as const;

export interface LocalTransactionsOptions {
  readonly timeoutMs?: number | undefined;
  readonly enabledByDefault?: boolean | undefined;
}

/** Ids we hand out: 32 upper-case hex digits. Anything else is refused as malformed, not as unknown. */
const ID_PATTERN = /^[0-9A-F]{32}$/;

export interface LocalTransaction {
  readonly id: string;
  readonly table: string;
  /** KvStore space of the table's rows. */
  readonly space: string;
  /** The encoded partition key: every row key of the partition, and no other, starts with these bytes. */
  readonly partition: Buffer;
  /** The partition key value as error messages show it. */
  readonly partitionText: string;
  readonly expiresAtMs: number;
  /** Row writes waiting for the commit, by row key; a later write of a key replaces the earlier one. */
  readonly writes: Map<string, KvWrite>;
}

export interface TransactionStart {
  readonly table: string;
  readonly space: string;
  readonly partition: Buffer;
  readonly partitionText: string;
  readonly nowMs: number;
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** The open transactions of one space, by encoded partition key, and how many partition keys have each length. */
interface SpaceLocks {
  readonly byPartition: Map<string, LocalTransaction>;
  readonly lengths: Map<number, number>;
}

export class LocalTransactions {
  readonly timeoutMs: number;
  readonly enabledByDefault: boolean;
  private readonly byId = new Map<string, LocalTransaction>();
  private readonly bySpace = new Map<string, SpaceLocks>();

  constructor(options: LocalTransactionsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? LOCAL_TXN_DEFAULTS.timeoutMs;
    this.enabledByDefault = options.enabledByDefault ?? LOCAL_TXN_DEFAULTS.enabledByDefault;
  }

  /** Opens a transaction on a partition; 409 OTSRowOperationConflict while another one holds it. */
  start(start: TransactionStart): LocalTransaction {
    const { nowMs, ...where } = start;
    if (this.holder(where.space, where.partition, nowMs)) throw errors.rowOperationConflict();
    let id: string;
    do id = randomBytes(16).toString('hex').toUpperCase();
    while (this.byId.has(id));
    const txn: LocalTransaction = { ...where, id, expiresAtMs: nowMs + this.timeoutMs, writes: new Map() };
    this.byId.set(id, txn);
    let locks = this.bySpace.get(txn.space);
    if (!locks) this.bySpace.set(txn.space, (locks = { byPartition: new Map(), lengths: new Map() }));
    locks.byPartition.set(keyId(txn.partition), txn);
    locks.lengths.set(txn.partition.length, (locks.lengths.get(txn.partition.length) ?? 0) + 1);
    return txn;
  }

  /** The open transaction `id` names: 400 for a malformed id, 404 OTSSessionNotExist when gone or expired. */
  find(id: string, nowMs: number): LocalTransaction {
    if (!ID_PATTERN.test(id)) throw errors.parameterInvalid('TransactionID is invalid.');
    const txn = this.byId.get(id);
    if (!txn || this.expire(txn, nowMs)) throw errors.sessionNotExist();
    return txn;
  }

  /** Ends a transaction (commit or abort): its id is refused from now on and its partition is free. */
  end(txn: LocalTransaction): void {
    if (!this.byId.delete(txn.id)) return;
    const locks = this.bySpace.get(txn.space);
    if (!locks) return;
    locks.byPartition.delete(keyId(txn.partition));
    const left = (locks.lengths.get(txn.partition.length) ?? 1) - 1;
    if (left > 0) locks.lengths.set(txn.partition.length, left);
    else locks.lengths.delete(txn.partition.length);
    if (locks.byPartition.size === 0) this.bySpace.delete(txn.space);
  }

  /**
   * The open transaction holding the partition of row `key` in `space`, if any: one map look-up per distinct
   * length of the held partition keys (encoded keys are self-delimiting, so a key's partition is one of its
   * prefixes).
   */
  holder(space: string, key: Uint8Array, nowMs: number): LocalTransaction | undefined {
    const locks = this.bySpace.get(space);
    if (!locks) return undefined;
    for (const length of locks.lengths.keys()) {
      if (key.length < length) continue;
      const txn = locks.byPartition.get(keyId(key.subarray(0, length)));
      if (txn && !this.expire(txn, nowMs)) return txn;
    }
    return undefined;
  }

  /** Forgets every transaction on a space (its table was deleted). */
  dropSpace(space: string): void {
    for (const txn of [...(this.bySpace.get(space)?.byPartition.values() ?? [])]) this.end(txn);
  }

  private expire(txn: LocalTransaction, nowMs: number): boolean {
    if (nowMs < txn.expiresAtMs) return false;
    this.end(txn);
    return true;
  }
}

/** Adds row writes to a transaction (applied in order: a later write of a key wins). */
export function addTransactionWrites(txn: LocalTransaction, writes: readonly KvWrite[]): void {
  for (const w of writes) txn.writes.set(keyId(w.key), w);
}

/** What a request inside a transaction reads: the store with the transaction's own writes laid over it. */
export type RowSource = Pick<KvStore, 'get' | 'scan'>;

export function transactionView(store: RowSource, txn: LocalTransaction): RowSource {
  return {
    get(space, key) {
      if (space !== txn.space) return store.get(space, key);
      const w = txn.writes.get(keyId(key));
      return w ? w.value : store.get(space, key);
    },
    scan(space, options) {
      return space === txn.space ? mergedScan(store, txn, options ?? {}) : store.scan(space, options);
    },
  };
}

function* mergedScan(store: RowSource, txn: LocalTransaction, options: ScanOptions): IterableIterator<KvRecord> {
  const dir = options.reverse ? -1 : 1;
  const pending = [...txn.writes.values()]
    .filter(
      (w) =>
        (options.gte === undefined || Buffer.compare(w.key, options.gte) >= 0) &&
        (options.lt === undefined || Buffer.compare(w.key, options.lt) < 0),
    )
    .sort((a, b) => dir * Buffer.compare(a.key, b.key));
  const base = store.scan(txn.space, options);
  let next = base.next();
  let i = 0;
  while (!next.done || i < pending.length) {
    if (i < pending.length && (next.done || dir * Buffer.compare(pending[i].key, next.value.key) <= 0)) {
      const w = pending[i++];
      // The transaction's version of a row replaces the stored one.
      if (!next.done && Buffer.compare(w.key, next.value.key) === 0) next = base.next();
      if (w.value) yield { key: w.key, value: w.value };
    } else if (!next.done) {
      yield next.value;
      next = base.next();
    }
  }
}

const registries = new WeakMap<KvStore, LocalTransactions>();

/**
 * The transactions of a store, made once per store, so servers sharing one store share its transactions and
 * locks. The first server's options win.
 */
export function transactionsOf(store: KvStore, options: LocalTransactionsOptions = {}): LocalTransactions {
  let registry = registries.get(store);
  if (!registry) registries.set(store, (registry = new LocalTransactions(options)));
  return registry;
}
