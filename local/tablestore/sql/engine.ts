/**
 * The SQL engine of Tablestore Local: one statement in, a typed result out (statement type, result columns,
 * consumed read capacity per table). Independent of the HTTP handler contract: the caller supplies the store,
 * the catalog, the clock and an `authorize` callback (RAM actions per statement, docs/protocol-sql.md §2).
 */
import type { TableCatalog } from '../catalog';
import type { KvStore } from '../persistence/store';
import { validateColumnName } from '../handlers/wide/table';
import type { ResultColumn } from './flatbuffer';
import { mappedColumn, MappingStore, META_SUFFIX, type MappedColumn, type SqlTable } from './mapping';
import { parseStatement, type Statement } from './parse';
import type { SqlEngineOptions } from './options';
import { runSelect } from './select';
import { sqlError, SqlType, type SqlValue } from './values';

/** SQLStatementType of the response. */
export const SqlStatementType = {
  SELECT: 1,
  CREATE_TABLE: 2,
  SHOW_TABLE: 3,
  DESCRIBE_TABLE: 4,
  DROP_TABLE: 5,
  ALTER_TABLE: 6,
} as const;
export type SqlStatementType = (typeof SqlStatementType)[keyof typeof SqlStatementType];

/** RAM action of each statement (resource: the Tablestore tables it names; '*' for SHOW TABLES). */
export const SqlAction = {
  select: 'ots:SQLSelect',
  showTables: 'ots:SQLShowTable',
  describe: 'ots:SQLDescribeTable',
  create: 'ots:SQLCreateTable',
  drop: 'ots:SQLDropTable',
  alter: 'ots:SQLAlterTable',
} as const;

export interface SqlEnvironment {
  readonly store: KvStore;
  readonly catalog: TableCatalog;
  /** Instance name (SHOW TABLES names its column after it). */
  readonly instance: string;
  readonly nowMs: number;
  /** Throws 403 unless the caller may perform `action` on every named Tablestore table. */
  authorize(action: string, tables: readonly string[]): void;
  readonly options?: SqlEngineOptions | undefined;
}

export interface SqlOutcome {
  readonly type: SqlStatementType;
  readonly columns: ResultColumn[];
  readonly rowCount: number;
  /** Read capacity per table (or index table) read; entries with `index` are search index reads. */
  readonly consumed: readonly { readonly table: string; readonly read: number; readonly index?: string }[];
}

function stringColumns(
  names: readonly string[],
  rows: readonly (readonly SqlValue[])[],
  types: readonly SqlType[] = [],
): ResultColumn[] {
  return names.map((name, c) => ({ name, type: types[c] ?? SqlType.STRING, values: rows.map((r) => r[c]) }));
}

function ddlDone(type: SqlStatementType): SqlOutcome {
  return { type, columns: [], rowCount: 0, consumed: [] };
}

/** Runs one SQL statement. */
export async function executeSql(env: SqlEnvironment, query: string): Promise<SqlOutcome> {
  const statement = parseStatement(query);
  const mappings = new MappingStore(env.store, env.catalog);
  switch (statement.kind) {
    case 'select': {
      const r = runSelect(statement.ast, {
        store: env.store,
        mappings,
        nowMs: env.nowMs,
        authorize: (tables) => env.authorize(SqlAction.select, tables),
        options: env.options,
        useIndex: statement.useIndex,
      });
      return { type: SqlStatementType.SELECT, columns: r.columns, rowCount: r.rowCount, consumed: r.consumed };
    }
    case 'show_tables': {
      env.authorize(SqlAction.showTables, ['*']);
      const names = mappings.names();
      return {
        type: SqlStatementType.SHOW_TABLE,
        columns: stringColumns(
          [`Tables_in_${env.instance}`],
          names.map((n) => [n]),
        ),
        rowCount: names.length,
        consumed: [],
      };
    }
    case 'describe': {
      const table = mappings.require(statement.table);
      env.authorize(SqlAction.describe, [table.source]);
      const rows = table.columns.map((c) => [c.name, c.declared, c.pk ? 'NO' : 'YES', c.pk ? 'PRI' : '', null, '']);
      return {
        type: SqlStatementType.DESCRIBE_TABLE,
        columns: stringColumns(['Field', 'Type', 'Null', 'Key', 'Default', 'Extra'], rows),
        rowCount: rows.length,
        consumed: [],
      };
    }
    case 'show_index': {
      const table = mappings.require(statement.table);
      env.authorize(SqlAction.describe, [table.source]);
      const rows = table.columns
        .filter((c) => c.pk)
        .map((c, i) => [table.name, 0n, 'PRIMARY', BigInt(i + 1), c.name, 'BTREE']);
      const types = [SqlType.STRING, SqlType.LONG, SqlType.STRING, SqlType.LONG, SqlType.STRING, SqlType.STRING];
      return {
        type: SqlStatementType.SHOW_TABLE,
        columns: stringColumns(
          ['Table', 'Non_unique', 'Key_name', 'Seq_in_index', 'Column_name', 'Index_type'],
          rows,
          types,
        ),
        rowCount: rows.length,
        consumed: [],
      };
    }
    case 'create':
      return createMapping(env, mappings, statement);
    case 'drop_mapping': {
      env.authorize(SqlAction.drop, statement.tables.map(sourceName));
      for (const name of statement.tables) {
        const table = mappings.find(name);
        if (!table) {
          if (statement.ifExists) continue;
          throw sqlError(`Unknown table '${name}'.`);
        }
        if (table.kind !== 'wide')
          throw sqlError(`The mapping of time series table '${name}' is automatic and cannot be dropped.`);
        await mappings.remove(name);
      }
      return ddlDone(SqlStatementType.DROP_TABLE);
    }
    case 'alter':
      return alterMapping(env, mappings, statement);
  }
}

function sourceName(sqlName: string): string {
  return sqlName.endsWith(META_SUFFIX) ? sqlName.slice(0, -META_SUFFIX.length) : sqlName;
}

function wideTable(mappings: MappingStore, name: string): Extract<SqlTable, { kind: 'wide' }> {
  const table = mappings.require(name);
  if (table.kind !== 'wide')
    throw sqlError(`Time series table '${name}' is mapped automatically; its mapping cannot be changed.`);
  return table;
}

const PK_SQL_TYPE: Record<number, SqlType> = { 1: SqlType.LONG, 2: SqlType.STRING, 3: SqlType.BINARY };

async function createMapping(
  env: SqlEnvironment,
  mappings: MappingStore,
  s: Extract<Statement, { kind: 'create' }>,
): Promise<SqlOutcome> {
  env.authorize(SqlAction.create, [s.table]);
  if (s.engine !== 'tablestore')
    throw sqlError(`ENGINE='${s.engine}' is not supported by Tablestore Local; only ENGINE='tablestore' mappings are.`);
  const table = wideTable(mappings, s.table);
  if (table.explicit) {
    if (s.ifNotExists) return ddlDone(SqlStatementType.CREATE_TABLE);
    throw sqlError(`Table '${s.table}' already exists.`);
  }
  const seen = new Set<string>();
  for (const c of s.columns) {
    validateColumnName(c.name);
    if (seen.has(c.name)) throw sqlError(`Duplicate column name '${c.name}'.`);
    seen.add(c.name);
  }
  const pk = table.def.primaryKey;
  const want = pk.map((c) => c.name);
  if (s.primaryKey.length !== want.length || s.primaryKey.some((n, i) => n !== want[i])) {
    throw sqlError(`The primary key of mapping table '${s.table}' must be (${want.join(', ')}), as in the data table.`);
  }
  const columns: MappedColumn[] = [];
  for (const key of pk) {
    const def = s.columns.find((c) => c.name === key.name);
    if (!def) throw sqlError(`Primary key column '${key.name}' is not defined.`);
    const col = mappedColumn(def, true);
    if (col.type !== PK_SQL_TYPE[key.type]) {
      throw sqlError(
        `Type mismatch: primary key column '${key.name}' is declared ${def.sqlType} but the data table stores ${['', 'INTEGER', 'STRING', 'BINARY'][key.type]}.`,
      );
    }
    columns.push(col);
  }
  for (const def of s.columns) if (!want.includes(def.name)) columns.push(mappedColumn(def, false));
  await mappings.put(s.table, columns);
  return ddlDone(SqlStatementType.CREATE_TABLE);
}

async function alterMapping(
  env: SqlEnvironment,
  mappings: MappingStore,
  s: Extract<Statement, { kind: 'alter' }>,
): Promise<SqlOutcome> {
  env.authorize(SqlAction.alter, [s.table]);
  const table = wideTable(mappings, s.table);
  let columns = table.columns.slice();
  for (const name of s.drop) {
    const c = columns.find((x) => x.name === name);
    if (!c) throw sqlError(`Can't DROP '${name}'; check that the column exists.`);
    if (c.pk) throw sqlError(`Can't DROP primary key column '${name}'.`);
    columns = columns.filter((x) => x.name !== name);
  }
  for (const def of s.add) {
    validateColumnName(def.name);
    if (columns.some((x) => x.name === def.name)) throw sqlError(`Duplicate column name '${def.name}'.`);
    columns.push(mappedColumn(def, false));
  }
  await mappings.put(s.table, columns);
  return ddlDone(SqlStatementType.ALTER_TABLE);
}
