/**
 * Wide tables as kept in the catalog: the definition, its limits and name rules, primary-key validation
 * against it, and looking a table and its KvStore spaces up from a handler.
 */
import {
  AUTO_INCREMENT,
  INF_MAX,
  INF_MIN,
  valueTypeName,
  type PrimaryKeyCell,
  type PrimaryKeyValue,
} from '../../../../lib/tablestore/protocol/plainbuffer';
import { isAttributeColumnName, isColumnName, isTableName } from '../../../../lib/tablestore/names';
import type { TableCatalog } from '../../catalog';
import { errors } from '../../errors';

export const PkType = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;
export type PkType = (typeof PkType)[keyof typeof PkType];

export interface PkColumn {
  readonly name: string;
  readonly type: PkType;
  readonly autoIncrement?: boolean;
}

export interface WideTableDefinition {
  readonly primaryKey: readonly PkColumn[];
  readonly definedColumns: readonly { readonly name: string; readonly type: number }[];
  readonly options: {
    /** Seconds; -1 = keep forever. */
    readonly timeToLive: number;
    readonly maxVersions: number;
    readonly deviationCellVersionInSec: number;
    readonly allowUpdate: boolean;
    /** Set at CreateTable only (UpdateTable refuses it); absent in catalogs written before it was kept. */
    readonly updateFullRow?: boolean;
  };
  readonly reservedThroughput: {
    readonly read: number;
    readonly write: number;
    readonly lastIncreaseTime: number;
    readonly lastDecreaseTime?: number;
  };
  readonly stream?: {
    readonly enabled: boolean;
    readonly expirationTime?: number;
    readonly lastEnableTime?: number;
    /** Columns whose previous values stream records carry, as given. */
    readonly columnsToGet?: readonly string[];
  };
  /** Server-side encryption as configured (stored and described; data is not encrypted here). */
  readonly sse?: {
    readonly enabled: boolean;
    readonly keyType?: number;
    /** Base64 of the key id / role ARN bytes. */
    readonly keyId?: string;
    readonly roleArn?: string;
  };
}

export const MAX_PK_COLUMNS = 4;
export const MAX_PK_VALUE_BYTES = 1024;
export const MAX_ATTR_VALUE_BYTES = 2 * 1024 * 1024;
export const MAX_COLUMNS_PER_WRITE = 1024;
export const MAX_COLUMNS_TO_GET = 128;

/** The service's wording for a bad table name (docs/protocol.md §1.3). */
export function validateTableName(name: string): void {
  if (!isTableName(name)) throw errors.parameterInvalid(`Invalid table name: '${name}'.`);
}

/** An attribute column name in a row, a read or a filter (docs/protocol.md §1.3). */
export function validateColumnName(name: string): void {
  if (!isAttributeColumnName(name)) throw errors.parameterInvalid(`Invalid column name: '${name}'.`);
}

/** A column named in a table schema: primary key or predefined column (docs/protocol.md §1.3). */
export function validateSchemaColumnName(name: string, what: string): void {
  if (!isColumnName(name)) {
    throw errors.parameterInvalid(
      `Invalid ${what} name: '${name}'. A column name must be 1 to 255 characters of letters, digits and underscores and must not start with a digit.`,
    );
  }
}

/** The service names value types in primary-key mismatch messages like this (docs/protocol.md §8.1). */
const PK_TYPE_NAMES: Record<number, string> = { 1: 'VT_INTEGER', 2: 'VT_STRING', 3: 'VT_BLOB' };

function wireTypeName(value: PrimaryKeyValue): string {
  if (typeof value === 'bigint') return 'VT_INTEGER';
  if (typeof value === 'string') return 'VT_STRING';
  if (value instanceof Uint8Array) return 'VT_BLOB';
  return `VT_${valueTypeName(value)}`;
}

function matchesType(type: PkType, value: PrimaryKeyValue): boolean {
  if (type === PkType.INTEGER) return typeof value === 'bigint';
  if (type === PkType.STRING) return typeof value === 'string';
  return value instanceof Uint8Array;
}

export type PkMode = 'exact' | 'put' | 'bound';

/**
 * Checks a request primary key against the schema: same count, names in schema order, matching types
 * (400 OTSInvalidPK with the service's wording), size limits; INF_MIN/INF_MAX only in range bounds,
 * AUTO_INCREMENT only on the auto-increment column of a put.
 */
export function checkPrimaryKey(def: WideTableDefinition, cells: readonly PrimaryKeyCell[], mode: PkMode): void {
  const schema = def.primaryKey;
  if (cells.length !== schema.length) {
    throw errors.invalidPk(`Validate PK size fail. Input: ${cells.length}, Meta: ${schema.length}.`);
  }
  for (let i = 0; i < schema.length; i++) {
    const col = schema[i];
    const cell = cells[i];
    if (cell.name !== col.name)
      throw errors.invalidPk(`Validate PK name fail. Input: ${cell.name}, Meta: ${col.name}.`);
    const v = cell.value;
    if (v === INF_MIN || v === INF_MAX) {
      if (mode !== 'bound')
        throw errors.parameterInvalid(`INF_MIN and INF_MAX are only allowed in range bounds (column ${col.name}).`);
      continue;
    }
    if (v === AUTO_INCREMENT) {
      if (mode !== 'put' || !col.autoIncrement) {
        throw errors.parameterInvalid(
          `AUTO_INCREMENT is only allowed when putting a row, on an auto-increment column (column ${col.name}).`,
        );
      }
      continue;
    }
    if (!matchesType(col.type, v)) {
      throw errors.invalidPk(`Validate PK type fail. Input: ${wireTypeName(v)}, Meta: ${PK_TYPE_NAMES[col.type]}.`);
    }
    const size = typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : 8;
    if (size > MAX_PK_VALUE_BYTES) {
      throw errors.parameterInvalid(
        `The length of primary key column ${col.name} exceeds the limit of ${MAX_PK_VALUE_BYTES} bytes.`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------- lookup

export const EMPTY = new Uint8Array(0);

export interface WideTable {
  readonly name: string;
  readonly def: WideTableDefinition;
  /** KvStore space holding the rows (key = encoded primary key). */
  readonly space: string;
  /** Set for a secondary index's table (read-only): the base table's name. */
  readonly indexOf?: string;
}

export const AUTOINC_SPACE = 'wide-autoinc';

export function dataSpace(tableName: string): string {
  return `wide/${tableName}`;
}

export function findWideTable(catalog: TableCatalog, name: string): WideTable | undefined {
  const record = catalog.get(name);
  if (!record || record.kind !== 'wide') return undefined;
  return { name, def: record.definition as WideTableDefinition, space: dataSpace(name) };
}

export function requireWideTable(catalog: TableCatalog, name: string): WideTable {
  // A malformed name is refused as such before the lookup, as on the service (docs/protocol.md §1.3).
  validateTableName(name);
  const table = findWideTable(catalog, name);
  if (!table) throw errors.tableNotExist();
  return table;
}
