/**
 * SQL tables over Tablestore tables (docs/protocol-sql.md §5):
 *   - every wide table is mapped automatically: its primary key plus its predefined columns;
 *   - CREATE TABLE replaces that with an explicit mapping (primary key as in the table, any attribute
 *     columns with their SQL types); ALTER TABLE adds/drops mapped attribute columns; DROP MAPPING TABLE
 *     removes the explicit mapping (the data stays and the automatic mapping applies again);
 *   - every time series table `t` is `t` (points, single-value model) and `t::meta` (series).
 * Explicit mappings live in the KvStore space `sql-mapping` (key = table name, value = JSON), remembering
 * the table's creation time so a mapping never outlives the table it was made for.
 */
import type { TableCatalog } from '../catalog';
import type { KvStore } from '../persistence/store';
import { type WideTableDefinition } from '../handlers/wide/table';
import { dataSpace as wideDataSpace } from '../handlers/wide/table';
import type { TimeseriesTableDefinition } from '../handlers/timeseries/table';
import type { ColumnDef } from './parse';
import { SqlType, sqlError } from './values';

export const MAPPING_SPACE = 'sql-mapping';
export const META_SUFFIX = '::meta';

export interface MappedColumn {
  readonly name: string;
  readonly type: SqlType;
  /** Type as DESCRIBE shows it, e.g. varchar(1024), bigint(20), mediumtext. */
  readonly declared: string;
  readonly pk: boolean;
}

interface TableBase {
  /** Name in SQL. */
  readonly name: string;
  /** The Tablestore table behind it (RAM resource, consumed capacity). */
  readonly source: string;
  /** Primary-key columns first, in key order. */
  readonly columns: readonly MappedColumn[];
}

export type SqlTable =
  | (TableBase & {
      readonly kind: 'wide';
      readonly def: WideTableDefinition;
      readonly space: string;
      readonly explicit: boolean;
    })
  | (TableBase & { readonly kind: 'ts-data'; readonly def: TimeseriesTableDefinition })
  | (TableBase & { readonly kind: 'ts-meta'; readonly def: TimeseriesTableDefinition });

interface StoredMapping {
  readonly createdAtMs: number;
  readonly columns: readonly MappedColumn[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const col = (name: string, type: SqlType, declared: string, pk = false): MappedColumn => ({ name, type, declared, pk });

const PK_DECLARED: Record<number, [SqlType, string]> = {
  1: [SqlType.LONG, 'bigint(20)'],
  2: [SqlType.STRING, 'varchar(1024)'],
  3: [SqlType.BINARY, 'varbinary(1024)'],
};
const DEFINED_DECLARED: Record<number, [SqlType, string]> = {
  1: [SqlType.LONG, 'bigint(20)'],
  2: [SqlType.DOUBLE, 'double'],
  3: [SqlType.BOOLEAN, 'tinyint(1)'],
  4: [SqlType.STRING, 'mediumtext'],
  7: [SqlType.BINARY, 'mediumblob'],
};

/** SQL type of a declared column type; undefined when Tablestore has no matching type. */
export function sqlTypeOf(def: ColumnDef): SqlType | undefined {
  switch (def.sqlType) {
    case 'BIGINT':
    case 'INT':
    case 'INTEGER':
    case 'MEDIUMINT':
    case 'SMALLINT':
      return SqlType.LONG;
    case 'TINYINT':
      return def.length === 1 ? SqlType.BOOLEAN : SqlType.LONG;
    case 'BIT':
    case 'BOOLEAN':
    case 'BOOL':
      return SqlType.BOOLEAN;
    case 'DOUBLE':
    case 'FLOAT':
    case 'REAL':
      return SqlType.DOUBLE;
    case 'VARCHAR':
    case 'CHAR':
    case 'TEXT':
    case 'TINYTEXT':
    case 'MEDIUMTEXT':
    case 'LONGTEXT':
      return SqlType.STRING;
    case 'VARBINARY':
    case 'BINARY':
    case 'BLOB':
    case 'TINYBLOB':
    case 'MEDIUMBLOB':
    case 'LONGBLOB':
      return SqlType.BINARY;
    default:
      return undefined;
  }
}

function declaredText(def: ColumnDef, type: SqlType): string {
  if (type === SqlType.BOOLEAN) return 'tinyint(1)';
  const base = def.sqlType.toLowerCase();
  return def.length !== undefined ? `${base}(${def.length})` : base;
}

export function mappedColumn(def: ColumnDef, pk: boolean): MappedColumn {
  const type = sqlTypeOf(def);
  if (type === undefined) throw sqlError(`Data type ${def.sqlType} of column '${def.name}' is not supported.`);
  return col(def.name, type, declaredText(def, type), pk);
}

function autoWideColumns(def: WideTableDefinition): MappedColumn[] {
  const out = def.primaryKey.map((c) => col(c.name, PK_DECLARED[c.type][0], PK_DECLARED[c.type][1], true));
  for (const d of def.definedColumns) {
    const t = DEFINED_DECLARED[d.type];
    if (t) out.push(col(d.name, t[0], t[1]));
  }
  return out;
}

const TS_KEY = [
  col('_m_name', SqlType.STRING, 'varchar(1024)', true),
  col('_data_source', SqlType.STRING, 'varchar(1024)', true),
  col('_tags', SqlType.STRING, 'varchar(1024)', true),
];

function tsDataColumns(def: TimeseriesTableDefinition): MappedColumn[] {
  return [
    ...TS_KEY,
    col('_time', SqlType.LONG, 'bigint(20)', true),
    ...def.fieldPrimaryKeySchema.map((c) => col(c.name, PK_DECLARED[c.type][0], PK_DECLARED[c.type][1], true)),
    col('_field_name', SqlType.STRING, 'varchar(1024)', true),
    col('_long_value', SqlType.LONG, 'bigint(20)'),
    col('_double_value', SqlType.DOUBLE, 'double'),
    col('_bool_value', SqlType.BOOLEAN, 'tinyint(1)'),
    col('_string_value', SqlType.STRING, 'mediumtext'),
    col('_binary_value', SqlType.BINARY, 'mediumblob'),
  ];
}

const TS_META_COLUMNS = [
  ...TS_KEY,
  col('_attributes', SqlType.STRING, 'mediumtext'),
  col('_meta_update_time', SqlType.LONG, 'bigint(20)'),
];

export class MappingStore {
  constructor(
    private readonly store: KvStore,
    private readonly catalog: TableCatalog,
  ) {}

  private stored(name: string, createdAtMs: number): StoredMapping | undefined {
    const bytes = this.store.get(MAPPING_SPACE, enc.encode(name));
    if (!bytes) return undefined;
    const m = JSON.parse(dec.decode(bytes)) as StoredMapping;
    return m.createdAtMs === createdAtMs ? m : undefined;
  }

  /** The SQL table named `name`, or undefined. */
  find(name: string): SqlTable | undefined {
    const isMeta = name.endsWith(META_SUFFIX);
    const base = isMeta ? name.slice(0, -META_SUFFIX.length) : name;
    const record = this.catalog.get(base);
    if (!record) return undefined;
    if (record.kind === 'timeseries') {
      const def = record.definition as TimeseriesTableDefinition;
      return isMeta
        ? { kind: 'ts-meta', name, source: base, def, columns: TS_META_COLUMNS }
        : { kind: 'ts-data', name, source: base, def, columns: tsDataColumns(def) };
    }
    if (isMeta) return undefined;
    const def = record.definition as WideTableDefinition;
    const explicit = this.stored(name, record.createdAtMs);
    return {
      kind: 'wide',
      name,
      source: name,
      def,
      space: wideDataSpace(name),
      explicit: explicit !== undefined,
      columns: explicit?.columns ?? autoWideColumns(def),
    };
  }

  require(name: string): SqlTable {
    const t = this.find(name);
    if (!t) throw sqlError(`Table '${name}' doesn't exist.`);
    return t;
  }

  /** SQL table names, sorted. */
  names(): string[] {
    const out: string[] = [];
    for (const t of this.catalog.list()) {
      out.push(t.name);
      if (t.kind === 'timeseries') out.push(t.name + META_SUFFIX);
    }
    return out.sort();
  }

  async put(name: string, columns: readonly MappedColumn[]): Promise<void> {
    const record = this.catalog.get(name);
    if (!record) throw sqlError(`Table '${name}' doesn't exist.`);
    const value: StoredMapping = { createdAtMs: record.createdAtMs, columns };
    await this.store.write([{ space: MAPPING_SPACE, key: enc.encode(name), value: enc.encode(JSON.stringify(value)) }]);
  }

  async remove(name: string): Promise<void> {
    await this.store.write([{ space: MAPPING_SPACE, key: enc.encode(name) }]);
  }
}
