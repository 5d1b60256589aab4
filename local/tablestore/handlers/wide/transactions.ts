/**
 * Local transactions (docs/protocol.md §8.8): StartLocalTransaction, CommitTransaction, AbortTransaction, and
 * where the row APIs read and write: the store, or, for a request carrying `transaction_id`, its transaction.
 * The transactions themselves (ids, partition locks, timeouts, pending writes) live in ../../transactions.ts.
 */
import { decodeRow, type PrimaryKeyCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import { decodeMessage, encodeMessage } from '../../../../lib/tablestore/protocol/proto/wide';
import type { ApiHandler, ApiHandlers, HandlerContext } from '../context';
import type { KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import { addTransactionWrites, transactionView, type LocalTransaction, type RowSource } from '../../transactions';
import { decodeKey, encodePartitionKey, partKeyText } from './keys';
import { EMPTY, checkPrimaryKey, findWideTable, requireWideTable, validateTableName, type WideTable } from './table';

/** The open transaction a row request names, which must belong to the request's table. */
function requestTransaction(ctx: HandlerContext, id: string, table: WideTable): LocalTransaction {
  const txn = ctx.transactions.find(id, ctx.now().getTime());
  if (txn.table !== table.name)
    throw errors.parameterInvalid(`The transaction belongs to table ${txn.table}, not to table ${table.name}.`);
  return txn;
}

/** Throws OTSDataOutOfRange unless the partition key `first` is the transaction's. */
function checkScope(txn: LocalTransaction, table: WideTable, first: PrimaryKeyCell): void {
  const inside = typeof first.value !== 'symbol' && encodePartitionKey(table.def, first).equals(txn.partition);
  if (!inside) throw errors.transactionScope(txn.partitionText, partKeyText(first.value));
}

/** Where one write request's row changes go. */
export interface WriteTarget {
  /**
   * What plans read as the current rows. Reading a row to change it is where the row's partition is checked,
   * before any condition: outside a transaction, a partition a transaction holds is refused with
   * OTSRowOperationConflict; inside one, anything outside its table and partition.
   */
  readonly view: Pick<RowSource, 'get'>;
  /** Applies the request's writes: to the store (resolves once durable), or into the transaction. */
  apply(writes: readonly KvWrite[]): Promise<void>;
}

export function writeTarget(ctx: HandlerContext, transactionId: string | undefined): WriteTarget {
  if (transactionId === undefined) {
    return {
      view: {
        get(space, key) {
          if (ctx.transactions.holder(space, key, ctx.now().getTime())) throw errors.rowOperationConflict();
          return ctx.store.get(space, key);
        },
      },
      apply: (writes) => ctx.store.write(writes),
    };
  }
  const txn = ctx.transactions.find(transactionId, ctx.now().getTime());
  const table = findWideTable(ctx.catalog, txn.table);
  if (!table) throw errors.sessionNotExist();
  const inside = transactionView(ctx.store, txn);
  return {
    view: {
      get(space, key) {
        if (space !== txn.space)
          throw errors.parameterInvalid(`The transaction belongs to table ${txn.table}, not to the row's table.`);
        checkScope(txn, table, decodeKey(table.def, key)[0]);
        return inside.get(space, key);
      },
    },
    apply(writes) {
      addTransactionWrites(txn, writes);
      return Promise.resolve();
    },
  };
}

/**
 * What a read request sees: the committed rows, or, inside a transaction, those with the transaction's own
 * writes over them. `scope` lists the primary keys (or range bounds) the read addresses, which must lie in the
 * transaction's partition.
 */
export function readSource(
  ctx: HandlerContext,
  transactionId: string | undefined,
  table: WideTable,
  scope: readonly (readonly PrimaryKeyCell[])[],
): RowSource {
  if (transactionId === undefined) return ctx.store;
  const txn = requestTransaction(ctx, transactionId, table);
  for (const pk of scope) if (pk[0]) checkScope(txn, table, pk[0]);
  return transactionView(ctx.store, txn);
}

const startLocalTransaction: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('StartLocalTransactionRequest', body);
  validateTableName(req.table_name);
  ctx.authorize('ots:StartLocalTransaction', [req.table_name]);
  const table = requireWideTable(ctx.catalog, req.table_name);
  const { def } = table;
  const key = decodeRow(req.key).primaryKey;
  if (key.length !== 1) throw errors.parameterInvalid('StartLocalTransaction support only one primary key.');
  checkPrimaryKey({ ...def, primaryKey: def.primaryKey.slice(0, 1) }, key, 'exact');
  if (!(def.localTxn ?? ctx.transactions.enabledByDefault)) {
    throw errors.parameterInvalid(
      'Try to call method using explicit transaction on explicit-transaction-disabled table.',
    );
  }
  if (def.primaryKey.some((c) => c.autoIncrement))
    throw errors.parameterInvalid('Local transactions are not available on a table with an auto-increment column.');
  const txn = ctx.transactions.start({
    table: table.name,
    space: table.space,
    partition: encodePartitionKey(def, key[0]),
    partitionText: partKeyText(key[0].value),
    nowMs: ctx.now().getTime(),
  });
  return encodeMessage('StartLocalTransactionResponse', { transaction_id: txn.id });
};

/** Finds the transaction of a Commit/Abort request and checks the caller may act on its table. */
function endingTransaction(ctx: HandlerContext, api: string, id: string): LocalTransaction {
  if (id === '') throw errors.parameterInvalid('TransactionID is invalid.');
  const txn = ctx.transactions.find(id, ctx.now().getTime());
  ctx.authorize(`ots:${api}`, [txn.table]);
  return txn;
}

const commitTransaction: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('CommitTransactionRequest', body);
  const txn = endingTransaction(ctx, 'CommitTransaction', req.transaction_id);
  ctx.transactions.end(txn);
  if (!findWideTable(ctx.catalog, txn.table)) throw errors.sessionNotExist();
  // One store write: readers and the index maintainers see every change of the transaction or none.
  await ctx.store.write([...txn.writes.values()]);
  return EMPTY;
};

const abortTransaction: ApiHandler = async (ctx, body) => {
  const req = decodeMessage('AbortTransactionRequest', body);
  ctx.transactions.end(endingTransaction(ctx, 'AbortTransaction', req.transaction_id));
  // The Node SDK reads this reply as an AbortTransactionRequest, whose transaction_id is required; the empty
  // reply of the service fails there. Field 1 is unknown to the response message every other SDK decodes, so
  // echoing the id costs them nothing (docs/protocol.md §8.8).
  return encodeMessage('AbortTransactionRequest', { transaction_id: req.transaction_id });
};

export const transactionHandlers: ApiHandlers = {
  StartLocalTransaction: startLocalTransaction,
  CommitTransaction: commitTransaction,
  AbortTransaction: abortTransaction,
};
