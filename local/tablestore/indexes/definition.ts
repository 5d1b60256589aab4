/**
 * Secondary-index definitions (docs/protocol-indexes.md §2–§3): the checks an IndexMeta must pass against its
 * base table, the index table's own schema (index columns + the base primary-key columns it lacks), and the
 * IndexMeta message DescribeTable answers with.
 */
import { ErrorCode } from '../../../lib/tablestore/protocol/errors';
import type { IndexMeta } from '../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../errors';
import { PkType, validateTableName, type PkColumn, type WideTableDefinition } from '../handlers/wide/table';

export const IndexType = { GLOBAL: 0, LOCAL: 1 } as const;
export const IndexUpdateMode = { ASYNC: 0, SYNC: 1 } as const;

/** Limits (docs/protocol-indexes.md §3). */
export const MAX_INDEXES_PER_TABLE = 5;
export const MAX_INDEX_COLUMNS = 4;
export const MAX_INDEX_ATTRIBUTES = 32;

/** One secondary index as persisted (JSON, no bigint). */
export interface SecondaryIndexDefinition {
  readonly name: string;
  readonly table: string;
  /** Index columns as the user gave them (base primary-key or predefined columns). */
  readonly indexColumns: readonly string[];
  /** Attribute columns (predefined columns of the base table). */
  readonly attributes: readonly string[];
  readonly type: number;
  readonly updateMode: number;
  readonly createdAtMs: number;
}

/** Predefined-column type → primary-key type for the types an index column may have. */
const PK_TYPE_OF_DEFINED: Record<number, PkType | undefined> = {
  1: PkType.INTEGER,
  4: PkType.STRING,
  7: PkType.BINARY,
};

/**
 * Checks `meta` against the base table and returns the definition to persist. Errors are 400
 * OTSParameterInvalid with a message naming the offending column (docs/protocol-indexes.md §3).
 */
export function parseIndexMeta(
  table: string,
  base: WideTableDefinition,
  meta: IndexMeta,
  nowMs: number,
): SecondaryIndexDefinition {
  validateTableName(meta.name);
  const indexColumns = meta.primary_key ?? [];
  const attributes = meta.defined_column ?? [];
  const type = meta.index_type ?? IndexType.GLOBAL;
  const updateMode = meta.index_update_mode ?? IndexUpdateMode.ASYNC;
  if (type !== IndexType.GLOBAL && type !== IndexType.LOCAL)
    throw errors.parameterInvalid(`Invalid index type: ${type}.`);
  if (updateMode !== IndexUpdateMode.ASYNC && updateMode !== IndexUpdateMode.SYNC)
    throw errors.parameterInvalid(`Invalid index update mode: ${updateMode}.`);
  if (type === IndexType.GLOBAL && updateMode !== IndexUpdateMode.ASYNC) {
    throw errors.parameterInvalid(`Index ${meta.name}: a global index must use IUM_ASYNC_INDEX.`);
  }
  if (type === IndexType.LOCAL && updateMode !== IndexUpdateMode.SYNC) {
    throw errors.parameterInvalid(`Index ${meta.name}: a local index must use IUM_SYNC_INDEX.`);
  }
  if (indexColumns.length < 1 || indexColumns.length > MAX_INDEX_COLUMNS) {
    throw errors.parameterInvalid(
      `Index ${meta.name}: the number of index columns must be in range [1, ${MAX_INDEX_COLUMNS}], got ${indexColumns.length}.`,
    );
  }
  if (attributes.length > MAX_INDEX_ATTRIBUTES) {
    throw errors.parameterInvalid(
      `Index ${meta.name}: the number of attribute columns must be at most ${MAX_INDEX_ATTRIBUTES}, got ${attributes.length}.`,
    );
  }
  const pkByName = new Map(base.primaryKey.map((c) => [c.name, c]));
  const definedByName = new Map(base.definedColumns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  for (const name of indexColumns) {
    if (seen.has(name)) throw errors.parameterInvalid(`Index ${meta.name}: duplicated index column ${name}.`);
    seen.add(name);
    const defined = definedByName.get(name);
    if (!pkByName.has(name) && !defined) {
      throw errors.parameterInvalid(
        `Index ${meta.name}: index column ${name} is neither a primary key column nor a predefined column of table ${table}.`,
      );
    }
    if (defined && PK_TYPE_OF_DEFINED[defined.type] === undefined) {
      throw errors.parameterInvalid(
        `Index ${meta.name}: index column ${name} must be of type INTEGER, STRING or BINARY.`,
      );
    }
  }
  for (const name of attributes) {
    if (seen.has(name)) throw errors.parameterInvalid(`Index ${meta.name}: column ${name} is listed more than once.`);
    seen.add(name);
    if (!definedByName.has(name)) {
      throw errors.parameterInvalid(
        `Index ${meta.name}: attribute column ${name} is not a predefined column of table ${table}.`,
      );
    }
  }
  if (pkByName.get(indexColumns[0])?.autoIncrement) {
    throw errors.parameterInvalid(`Index ${meta.name}: the first index column must not be an auto-increment column.`);
  }
  if (type === IndexType.LOCAL && indexColumns[0] !== base.primaryKey[0].name) {
    throw errors.parameterInvalid(
      `Index ${meta.name}: the first primary key column of a local index must be ${base.primaryKey[0].name}, the first primary key column of table ${table}.`,
    );
  }
  checkBaseOptions(table, base);
  return {
    name: meta.name,
    table,
    indexColumns: [...indexColumns],
    attributes: [...attributes],
    type,
    updateMode,
    createdAtMs: nowMs,
  };
}

/** A table with indexes keeps one version per column, and a TTL only when updates are disallowed. */
export function checkBaseOptions(table: string, base: WideTableDefinition): void {
  if (base.options.maxVersions !== 1) {
    throw errors.parameterInvalid(
      `Table ${table} keeps ${base.options.maxVersions} versions: secondary indexes need max_versions 1.`,
    );
  }
  if (base.options.timeToLive !== -1 && base.options.allowUpdate) {
    throw errors.parameterInvalid(
      `Table ${table} has a time to live: secondary indexes need time_to_live -1, or allow_update false.`,
    );
  }
}

/** The primary key of the index table: the index columns, then the base key columns not among them. */
export function indexPrimaryKey(base: WideTableDefinition, index: SecondaryIndexDefinition): PkColumn[] {
  const out: PkColumn[] = [];
  for (const name of index.indexColumns) {
    const pk = base.primaryKey.find((c) => c.name === name);
    if (pk) out.push({ name, type: pk.type });
    else out.push({ name, type: PK_TYPE_OF_DEFINED[base.definedColumns.find((c) => c.name === name)!.type]! });
  }
  for (const c of base.primaryKey) if (!index.indexColumns.includes(c.name)) out.push({ name: c.name, type: c.type });
  return out;
}

/** The index table's schema, read through the ordinary wide-table read path. */
export function indexTableDefinition(base: WideTableDefinition, index: SecondaryIndexDefinition): WideTableDefinition {
  return {
    primaryKey: indexPrimaryKey(base, index),
    definedColumns: index.attributes.map((name) => ({
      name,
      type: base.definedColumns.find((c) => c.name === name)!.type,
    })),
    options: { ...base.options, allowUpdate: false },
    reservedThroughput: { read: 0, write: 0, lastIncreaseTime: base.reservedThroughput.lastIncreaseTime },
  };
}

/** Index sync phases on the wire: ISP_FULL = 1 (building from base data), ISP_INCR = 2 (caught up). */
const ISP_INCR = 2;

/** IndexMeta as DescribeTable lists it; indexes here are always caught up (built in the creating batch). */
export function indexMetaMessage(index: SecondaryIndexDefinition): IndexMeta {
  return {
    name: index.name,
    primary_key: [...index.indexColumns],
    defined_column: [...index.attributes],
    index_update_mode: index.updateMode,
    index_type: index.type,
    index_sync_phase: ISP_INCR,
  };
}

export const indexErrors = {
  notExist: (table: string, name: string) =>
    errors.make(ErrorCode.ObjectNotExist, 404, `The index ${name} of table ${table} does not exist.`),
  readOnly: (name: string) =>
    errors.parameterInvalid(`Table ${name} is an index table: index tables are read-only, write to their base table.`),
  tooMany: (table: string) =>
    errors.quotaExhausted(`Table ${table} has reached the limit of ${MAX_INDEXES_PER_TABLE} secondary indexes.`),
} as const;
