/**
 * Time series protobuf messages (timeseries.proto beside this file, facts in docs/protocol.md §9), encoded
 * and decoded by the name-keyed codec of codec.ts over the static field tables of descriptors.ts, typed by
 * `TimeseriesMessages`; int64 values are bigint both ways and never lose precision.
 */
import { protoCodec } from './codec';
import { TIMESERIES } from './descriptors';

// ---- plain-object shapes of the messages (field names as on the wire; int64 as bigint; bytes as Uint8Array)
// Optional fields accept `undefined`: the codec writes a field only when it is neither undefined nor null,
// so an undefined value and an absent key encode the same bytes. Decoding never produces undefined keys.

export interface PrimaryKeySchemaMsg {
  name: string;
  type: number;
  option?: number | undefined;
}
export interface TimeseriesTableOptionsMsg {
  time_to_live?: number | undefined;
}
export interface TimeseriesMetaOptionsMsg {
  allow_update_attributes?: boolean | undefined;
  meta_time_to_live?: number | undefined;
}
export interface TimeseriesTableMetaMsg {
  table_name: string;
  table_options?: TimeseriesTableOptionsMsg | undefined;
  status?: string | undefined;
  meta_options?: TimeseriesMetaOptionsMsg | undefined;
  timeseries_key_schema?: string[] | undefined;
  field_primary_key_schema?: PrimaryKeySchemaMsg[] | undefined;
  disable_hash_partition_key?: boolean | undefined;
  disable_timeseries_meta_index?: boolean | undefined;
}
export interface TimeseriesAnalyticalStoreMsg {
  store_name?: string | undefined;
  time_to_live?: number | undefined;
  sync_option?: number | undefined;
}
export interface CreateTimeseriesTableRequestMsg {
  table_meta: TimeseriesTableMetaMsg;
  analytical_stores?: TimeseriesAnalyticalStoreMsg[] | undefined;
  enable_analytical_store?: boolean | undefined;
  lastpoint_index_metas?: { index_table_name: string }[] | undefined;
}
export interface ListTimeseriesTableResponseMsg {
  table_metas?: TimeseriesTableMetaMsg[] | undefined;
}
export interface TableNameRequestMsg {
  table_name: string;
}
export interface DescribeTimeseriesTableResponseMsg {
  table_meta: TimeseriesTableMetaMsg;
  analytical_stores?: TimeseriesAnalyticalStoreMsg[] | undefined;
  lastpoint_indexes?: { index_table_name?: string }[] | undefined;
}
export interface UpdateTimeseriesTableRequestMsg {
  table_name: string;
  table_options?: TimeseriesTableOptionsMsg | undefined;
  meta_options?: TimeseriesMetaOptionsMsg | undefined;
}
export interface MetaQueryConditionMsg {
  type: number;
  proto_data: Uint8Array;
}
export interface MetaQueryCompositeConditionMsg {
  op: number;
  sub_conditions?: MetaQueryConditionMsg[] | undefined;
}
export interface MetaQueryValueConditionMsg {
  op: number;
  value: string;
}
export interface MetaQueryTagConditionMsg {
  op: number;
  tag_name: string;
  value: string;
}
export interface MetaQueryUpdateTimeConditionMsg {
  op: number;
  value: bigint;
}
export interface MetaQueryAttributeConditionMsg {
  op: number;
  attr_name: string;
  value: string;
}
export interface TimeseriesTagMsg {
  name: string;
  value: string;
}
export interface TimeseriesKeyMsg {
  measurement?: string | undefined;
  source?: string | undefined;
  tags?: string | undefined;
  tag_list?: TimeseriesTagMsg[] | undefined;
}
/** One field of a protobuf row (`RST_PROTO_BUFFER`, the Go SDK's alternative to FlatBuffer rows). */
export interface TimeseriesFieldMsg {
  field_name?: string | undefined;
  value_int?: bigint | undefined;
  value_string?: string | undefined;
  value_bool?: boolean | undefined;
  value_double?: number | undefined;
  value_binary?: Uint8Array | undefined;
}
export interface TimeseriesRowMsg {
  timeseries_key?: TimeseriesKeyMsg | undefined;
  time?: bigint | undefined;
  fields?: TimeseriesFieldMsg[] | undefined;
  meta_cache_update_time?: number | undefined;
}
export interface TimeseriesPBRowsMsg {
  rows?: TimeseriesRowMsg[] | undefined;
}
export interface TimeseriesMetaMsg {
  time_series_key: TimeseriesKeyMsg;
  attributes?: string | undefined;
  update_time?: bigint | undefined;
}
export interface QueryTimeseriesMetaRequestMsg {
  table_name: string;
  condition?: MetaQueryConditionMsg | undefined;
  get_total_hit?: boolean | undefined;
  token?: Uint8Array | undefined;
  limit?: number | undefined;
  supported_table_version?: bigint | undefined;
}
export interface QueryTimeseriesMetaResponseMsg {
  timeseries_metas?: TimeseriesMetaMsg[] | undefined;
  total_hit?: bigint | undefined;
  next_token?: Uint8Array | undefined;
}
export interface TimeseriesRowsMsg {
  type: number;
  rows_data: Uint8Array;
  flatbuffer_crc32c?: number | undefined;
}
export interface PutTimeseriesDataRequestMsg {
  table_name: string;
  rows_data: TimeseriesRowsMsg;
  meta_update_mode?: number | undefined;
  supported_table_version?: bigint | undefined;
}
export interface FailedRowInfoMsg {
  row_index: number;
  error_code?: string | undefined;
  error_message?: string | undefined;
}
export interface PutTimeseriesDataResponseMsg {
  failed_rows?: FailedRowInfoMsg[] | undefined;
  meta_update_status?: { row_ids?: number[]; meta_update_times?: number[] } | undefined;
}
export interface TimeseriesFieldsToGetMsg {
  name?: string | undefined;
  type?: number | undefined;
}
export interface GetTimeseriesDataRequestMsg {
  table_name: string;
  time_series_key: TimeseriesKeyMsg;
  begin_time?: bigint | undefined;
  end_time?: bigint | undefined;
  specific_time?: bigint | undefined;
  token?: Uint8Array | undefined;
  limit?: number | undefined;
  backward?: boolean | undefined;
  fields_to_get?: TimeseriesFieldsToGetMsg[] | undefined;
  supported_table_version?: bigint | undefined;
}
export interface GetTimeseriesDataResponseMsg {
  rows_data: Uint8Array;
  next_token?: Uint8Array | undefined;
}
export interface UpdateTimeseriesMetaRequestMsg {
  table_name: string;
  timeseries_meta?: TimeseriesMetaMsg[] | undefined;
  supported_table_version?: bigint | undefined;
}
export interface DeleteTimeseriesMetaRequestMsg {
  table_name: string;
  timeseries_key?: TimeseriesKeyMsg[] | undefined;
  supported_table_version?: bigint | undefined;
}
export interface FailedRowsResponseMsg {
  failed_rows?: FailedRowInfoMsg[] | undefined;
}
export interface SplitTimeseriesScanTaskRequestMsg {
  table_name: string;
  measurement_name?: string | undefined;
  split_count_hint: number;
}
export interface SplitTimeseriesScanTaskResponseMsg {
  split_infos?: Uint8Array[] | undefined;
}
export interface ScanTimeseriesDataRequestMsg {
  table_name: string;
  split_info?: Uint8Array | undefined;
  start_time_us?: bigint | undefined;
  end_time_us?: bigint | undefined;
  fields_to_get?: TimeseriesFieldsToGetMsg[] | undefined;
  limit?: number | undefined;
  data_serialize_type?: number | undefined;
  token?: Uint8Array | undefined;
  supported_table_version?: bigint | undefined;
}
export interface ScanTimeseriesDataResponseMsg {
  data_serialize_type?: number | undefined;
  data: Uint8Array;
  next_token?: Uint8Array | undefined;
}
export type EmptyMsg = Record<string, never>;

/** Message name → plain-object shape, so encode/decode are typed by name. */
export interface TimeseriesMessages {
  PrimaryKeySchema: PrimaryKeySchemaMsg;
  TimeseriesTableMeta: TimeseriesTableMetaMsg;
  CreateTimeseriesTableRequest: CreateTimeseriesTableRequestMsg;
  CreateTimeseriesTableResponse: EmptyMsg;
  ListTimeseriesTableRequest: EmptyMsg;
  ListTimeseriesTableResponse: ListTimeseriesTableResponseMsg;
  DescribeTimeseriesTableRequest: TableNameRequestMsg;
  DescribeTimeseriesTableResponse: DescribeTimeseriesTableResponseMsg;
  UpdateTimeseriesTableRequest: UpdateTimeseriesTableRequestMsg;
  UpdateTimeseriesTableResponse: EmptyMsg;
  DeleteTimeseriesTableRequest: TableNameRequestMsg;
  DeleteTimeseriesTableResponse: EmptyMsg;
  MetaQueryCondition: MetaQueryConditionMsg;
  MetaQueryCompositeCondition: MetaQueryCompositeConditionMsg;
  MetaQueryMeasurementCondition: MetaQueryValueConditionMsg;
  MetaQuerySourceCondition: MetaQueryValueConditionMsg;
  MetaQueryTagCondition: MetaQueryTagConditionMsg;
  MetaQueryUpdateTimeCondition: MetaQueryUpdateTimeConditionMsg;
  MetaQueryAttributeCondition: MetaQueryAttributeConditionMsg;
  TimeseriesKey: TimeseriesKeyMsg;
  TimeseriesPBRows: TimeseriesPBRowsMsg;
  TimeseriesMeta: TimeseriesMetaMsg;
  QueryTimeseriesMetaRequest: QueryTimeseriesMetaRequestMsg;
  QueryTimeseriesMetaResponse: QueryTimeseriesMetaResponseMsg;
  PutTimeseriesDataRequest: PutTimeseriesDataRequestMsg;
  PutTimeseriesDataResponse: PutTimeseriesDataResponseMsg;
  GetTimeseriesDataRequest: GetTimeseriesDataRequestMsg;
  GetTimeseriesDataResponse: GetTimeseriesDataResponseMsg;
  UpdateTimeseriesMetaRequest: UpdateTimeseriesMetaRequestMsg;
  UpdateTimeseriesMetaResponse: FailedRowsResponseMsg;
  DeleteTimeseriesMetaRequest: DeleteTimeseriesMetaRequestMsg;
  DeleteTimeseriesMetaResponse: FailedRowsResponseMsg;
  SplitTimeseriesScanTaskRequest: SplitTimeseriesScanTaskRequestMsg;
  SplitTimeseriesScanTaskResponse: SplitTimeseriesScanTaskResponseMsg;
  ScanTimeseriesDataRequest: ScanTimeseriesDataRequestMsg;
  ScanTimeseriesDataResponse: ScanTimeseriesDataResponseMsg;
}
export type TimeseriesMessageName = keyof TimeseriesMessages;

// Strict: a message missing a required field is a bug of ours, never sent.
const codec = protoCodec<TimeseriesMessages>(TIMESERIES, { strict: true });

/** Encodes message `name`; throws when a required field is missing. */
export function encodeTimeseriesMessage<N extends TimeseriesMessageName>(
  name: N,
  value: TimeseriesMessages[N],
): Uint8Array {
  return codec.encode(name, value);
}

/** Decodes message `name`; throws ProtoDecodeError on malformed bytes or a missing required field. */
export function decodeTimeseriesMessage<N extends TimeseriesMessageName>(
  name: N,
  bytes: Uint8Array,
): TimeseriesMessages[N] {
  return codec.decode(name, bytes);
}

export const MetaQueryConditionType = {
  COMPOSITE: 1,
  MEASUREMENT: 2,
  SOURCE: 3,
  TAG: 4,
  UPDATE_TIME: 5,
  ATTRIBUTE: 6,
} as const;
export const MetaQueryCompositeOperator = { AND: 1, OR: 2, NOT: 3 } as const;
export const MetaQuerySingleOperator = {
  EQUAL: 1,
  GREATER_THAN: 2,
  GREATER_EQUAL: 3,
  LESS_THAN: 4,
  LESS_EQUAL: 5,
  PREFIX: 6,
} as const;
export const RowsSerializeType = { FLAT_BUFFER: 0, PLAIN_BUFFER: 1, PROTO_BUFFER: 2 } as const;
export const MetaUpdateMode = { NORMAL: 0, IGNORE: 1 } as const;
