/**
 * Time series table definitions as kept in the catalog, their validation rules, and conversion to the
 * wire's TimeseriesTableMeta.
 *
 * Option rules (observed on the service, docs/protocol.md §9.2): data TTL is -1 or ≥ 86400 s; a meta TTL
 * may only be set when allow_update_attributes is false, must not be shorter than the data TTL, and — our
 * reading of the rejected (86400, 86400, false) triple — must be -1 or at least 7 days.
 */
import { isTableName } from '../../../../lib/tablestore/names';
import type { TableCatalog, TableRecord } from '../../catalog';
import { errors } from '../../errors';
import type {
  PrimaryKeySchemaMsg,
  TimeseriesAnalyticalStoreMsg,
  TimeseriesMetaOptionsMsg,
  TimeseriesTableMetaMsg,
  TimeseriesTableOptionsMsg,
} from '../../../../lib/tablestore/protocol/proto/timeseries';

export const MIN_DATA_TTL_SECONDS = 86_400;
export const MIN_META_TTL_SECONDS = 7 * 86_400;
/** Key columns every series has; a custom `timeseries_key_schema` may name them among its tag keys. */
export const RESERVED_KEY_COLUMNS: ReadonlySet<string> = new Set(['_m_name', '_data_source', '_tags']);

export interface TimeseriesTableDefinition {
  timeToLive: number;
  allowUpdateAttributes: boolean;
  metaTimeToLive: number;
  timeseriesKeySchema: string[];
  /** PrimaryKeyType codes: 1 INTEGER, 2 STRING, 3 BINARY. */
  fieldPrimaryKeySchema: { name: string; type: number }[];
  disableHashPartitionKey: boolean;
  disableTimeseriesMetaIndex: boolean;
  analyticalStores: { storeName?: string; timeToLive?: number; syncOption?: number }[];
  lastpointIndexes: string[];
}

export interface TimeseriesTable {
  readonly name: string;
  readonly definition: TimeseriesTableDefinition;
}

export const dataSpace = (table: string) => `ts:${table}:data`;
export const metaSpace = (table: string) => `ts:${table}:meta`;

export function validateTableName(name: string | undefined): string {
  if (!name || !isTableName(name)) {
    throw errors.parameterInvalid(
      `Invalid table name: '${name ?? ''}'. It must be 1-255 characters of [A-Za-z0-9_] not starting with a digit.`,
    );
  }
  return name;
}

/** Applies option changes on top of `base` and enforces the option rules. */
export function applyOptions(
  base: Pick<TimeseriesTableDefinition, 'timeToLive' | 'allowUpdateAttributes' | 'metaTimeToLive'>,
  tableOptions: TimeseriesTableOptionsMsg | undefined,
  metaOptions: TimeseriesMetaOptionsMsg | undefined,
): Pick<TimeseriesTableDefinition, 'timeToLive' | 'allowUpdateAttributes' | 'metaTimeToLive'> {
  const timeToLive = tableOptions?.time_to_live ?? base.timeToLive;
  const allowUpdateAttributes = metaOptions?.allow_update_attributes ?? base.allowUpdateAttributes;
  const metaTimeToLive = metaOptions?.meta_time_to_live ?? base.metaTimeToLive;
  if (timeToLive !== -1 && timeToLive < MIN_DATA_TTL_SECONDS) {
    throw errors.parameterInvalid(
      `time_to_live must be -1 or at least ${MIN_DATA_TTL_SECONDS} seconds, got ${timeToLive}.`,
    );
  }
  if (metaTimeToLive !== -1) {
    if (allowUpdateAttributes) {
      throw errors.parameterInvalid('meta_time_to_live can only be set when allow_update_attributes is false.');
    }
    if (metaTimeToLive < MIN_META_TTL_SECONDS) {
      throw errors.parameterInvalid(
        `meta_time_to_live must be -1 or at least ${MIN_META_TTL_SECONDS} seconds, got ${metaTimeToLive}.`,
      );
    }
    if (timeToLive === -1 || metaTimeToLive < timeToLive) {
      throw errors.parameterInvalid('meta_time_to_live must not be shorter than the data time_to_live.');
    }
  }
  return { timeToLive, allowUpdateAttributes, metaTimeToLive };
}

export function definitionFromCreate(
  meta: TimeseriesTableMetaMsg,
  analyticalStores: readonly TimeseriesAnalyticalStoreMsg[],
  lastpointIndexes: readonly string[],
): TimeseriesTableDefinition {
  const options = applyOptions(
    { timeToLive: -1, allowUpdateAttributes: true, metaTimeToLive: -1 },
    meta.table_options,
    meta.meta_options,
  );
  const keySchema = meta.timeseries_key_schema ?? [];
  const seen = new Set<string>();
  for (const k of keySchema) {
    if (!k || seen.has(k)) throw errors.parameterInvalid(`Invalid timeseries_key_schema entry '${k}'.`);
    seen.add(k);
  }
  const fieldPk = (meta.field_primary_key_schema ?? []).map((s: PrimaryKeySchemaMsg) => {
    if (!s.name || RESERVED_KEY_COLUMNS.has(s.name) || s.name === '_time' || seen.has(s.name)) {
      throw errors.parameterInvalid(`Invalid field_primary_key_schema column '${s.name}'.`);
    }
    if (s.type !== 1 && s.type !== 2 && s.type !== 3)
      throw errors.parameterInvalid(`Invalid primary key type ${s.type} for '${s.name}'.`);
    seen.add(s.name);
    return { name: s.name, type: s.type };
  });
  if (fieldPk.length > 4) throw errors.parameterInvalid('At most 4 field_primary_key_schema columns are allowed.');
  return {
    ...options,
    // Described back as given, reserved names included, as the service does (docs/protocol.md §9.2).
    timeseriesKeySchema: [...keySchema],
    fieldPrimaryKeySchema: fieldPk,
    disableHashPartitionKey: meta.disable_hash_partition_key ?? false,
    disableTimeseriesMetaIndex: meta.disable_timeseries_meta_index ?? false,
    analyticalStores: analyticalStores.map((s) => ({
      ...(s.store_name === undefined ? {} : { storeName: s.store_name }),
      ...(s.time_to_live === undefined ? {} : { timeToLive: s.time_to_live }),
      ...(s.sync_option === undefined ? {} : { syncOption: s.sync_option }),
    })),
    lastpointIndexes: [...lastpointIndexes],
  };
}

export function tableMetaMsg(name: string, d: TimeseriesTableDefinition): TimeseriesTableMetaMsg {
  return {
    table_name: name,
    table_options: { time_to_live: d.timeToLive },
    status: 'CREATED',
    meta_options: { allow_update_attributes: d.allowUpdateAttributes, meta_time_to_live: d.metaTimeToLive },
    timeseries_key_schema: d.timeseriesKeySchema,
    field_primary_key_schema: d.fieldPrimaryKeySchema.map((f) => ({ name: f.name, type: f.type })),
    disable_hash_partition_key: d.disableHashPartitionKey,
    disable_timeseries_meta_index: d.disableTimeseriesMetaIndex,
  };
}

function isTimeseries(
  record: TableRecord | undefined,
): record is TableRecord & { definition: TimeseriesTableDefinition } {
  return record?.kind === 'timeseries';
}

/** The time series table `name`, or 404 OTSObjectNotExist (also when `name` is a wide table). */
export function requireTimeseriesTable(catalog: TableCatalog, name: string): TimeseriesTable {
  const record = catalog.get(name);
  if (!isTimeseries(record)) throw errors.tableNotExist();
  return { name: record.name, definition: record.definition };
}

export function listTimeseriesTables(catalog: TableCatalog): TimeseriesTable[] {
  return catalog
    .list('timeseries')
    .map((r) => ({ name: r.name, definition: r.definition as TimeseriesTableDefinition }));
}
