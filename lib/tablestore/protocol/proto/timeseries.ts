/**
 * Time series protobuf messages (timeseries.proto beside this file, facts in docs/protocol.md §9), encoded
 * and decoded by the name-keyed codec of codec.ts over the static field tables of descriptors.ts, typed by
 * `TimeseriesMessages`; int64 values are bigint both ways and never lose precision.
 */
import { protoCodec } from './codec';
import { TIMESERIES } from './descriptors';

// ---- plain-object shapes of the messages (field names as on the wire; int64 as bigint; bytes as Uint8Array)

export interface PrimaryKeySchemaMsg {
  name: string;
  type: number;
  option?: number;
}
export interface TimeseriesTableOptionsMsg {
  time_to_live?: number;
}
export interface TimeseriesMetaOptionsMsg {
  allow_update_attributes?: boolean;
  meta_time_to_live?: number;
}
export interface TimeseriesTableMetaMsg {
  table_name: string;
  table_options?: TimeseriesTableOptionsMsg;
  status?: string;
  meta_options?: TimeseriesMetaOptionsMsg;
  timeseries_key_schema?: string[];
  field_primary_key_schema?: PrimaryKeySchemaMsg[];
  disable_hash_partition_key?: boolean;
  disable_timeseries_meta_index?: boolean;
}
export interface TimeseriesAnalyticalStoreMsg {
  store_name?: string;
  time_to_live?: number;
  sync_option?: number;
}
export interface CreateTimeseriesTableRequestMsg {
  table_meta: TimeseriesTableMetaMsg;
  analytical_stores?: TimeseriesAnalyticalStoreMsg[];
  enable_analytical_store?: boolean;
  lastpoint_index_metas?: { index_table_name: string }[];
}
export interface ListTimeseriesTableResponseMsg {
  table_metas?: TimeseriesTableMetaMsg[];
}
export interface TableNameRequestMsg {
  table_name: string;
}
export interface DescribeTimeseriesTableResponseMsg {
  table_meta: TimeseriesTableMetaMsg;
  analytical_stores?: TimeseriesAnalyticalStoreMsg[];
  lastpoint_indexes?: { index_table_name?: string }[];
}
export interface UpdateTimeseriesTableRequestMsg {
  table_name: string;
  table_options?: TimeseriesTableOptionsMsg;
  meta_options?: TimeseriesMetaOptionsMsg;
}
export interface MetaQueryConditionMsg {
  type: number;
  proto_data: Uint8Array;
}
export interface MetaQueryCompositeConditionMsg {
  op: number;
  sub_conditions?: MetaQueryConditionMsg[];
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
  measurement?: string;
  source?: string;
  tags?: string;
  tag_list?: TimeseriesTagMsg[];
}
/** One field of a protobuf row (`RST_PROTO_BUFFER`, the Go SDK's alternative to FlatBuffer rows). */
export interface TimeseriesFieldMsg {
  field_name?: string;
  value_int?: bigint;
  value_string?: string;
  value_bool?: boolean;
  value_double?: number;
  value_binary?: Uint8Array;
}
export interface TimeseriesRowMsg {
  timeseries_key?: TimeseriesKeyMsg;
  time?: bigint;
  fields?: TimeseriesFieldMsg[];
  meta_cache_update_time?: number;
}
export interface TimeseriesPBRowsMsg {
  rows?: TimeseriesRowMsg[];
}
export interface TimeseriesMetaMsg {
  time_series_key: TimeseriesKeyMsg;
  attributes?: string;
  update_time?: bigint;
}
export interface QueryTimeseriesMetaRequestMsg {
  table_name: string;
  condition?: MetaQueryConditionMsg;
  get_total_hit?: boolean;
  token?: Uint8Array;
  limit?: number;
  supported_table_version?: bigint;
}
export interface QueryTimeseriesMetaResponseMsg {
  timeseries_metas?: TimeseriesMetaMsg[];
  total_hit?: bigint;
  next_token?: Uint8Array;
}
export interface TimeseriesRowsMsg {
  type: number;
  rows_data: Uint8Array;
  flatbuffer_crc32c?: number;
}
export interface PutTimeseriesDataRequestMsg {
  table_name: string;
  rows_data: TimeseriesRowsMsg;
  meta_update_mode?: number;
  supported_table_version?: bigint;
}
export interface FailedRowInfoMsg {
  row_index: number;
  error_code?: string;
  error_message?: string;
}
export interface PutTimeseriesDataResponseMsg {
  failed_rows?: FailedRowInfoMsg[];
  meta_update_status?: { row_ids?: number[]; meta_update_times?: number[] };
}
export interface TimeseriesFieldsToGetMsg {
  name?: string;
  type?: number;
}
export interface GetTimeseriesDataRequestMsg {
  table_name: string;
  time_series_key: TimeseriesKeyMsg;
  begin_time?: bigint;
  end_time?: bigint;
  specific_time?: bigint;
  token?: Uint8Array;
  limit?: number;
  backward?: boolean;
  fields_to_get?: TimeseriesFieldsToGetMsg[];
  supported_table_version?: bigint;
}
export interface GetTimeseriesDataResponseMsg {
  rows_data: Uint8Array;
  next_token?: Uint8Array;
}
export interface UpdateTimeseriesMetaRequestMsg {
  table_name: string;
  timeseries_meta?: TimeseriesMetaMsg[];
  supported_table_version?: bigint;
}
export interface DeleteTimeseriesMetaRequestMsg {
  table_name: string;
  timeseries_key?: TimeseriesKeyMsg[];
  supported_table_version?: bigint;
}
export interface FailedRowsResponseMsg {
  failed_rows?: FailedRowInfoMsg[];
}
export interface SplitTimeseriesScanTaskRequestMsg {
  table_name: string;
  measurement_name?: string;
  split_count_hint: number;
}
export interface SplitTimeseriesScanTaskResponseMsg {
  split_infos?: Uint8Array[];
}
export interface ScanTimeseriesDataRequestMsg {
  table_name: string;
  split_info?: Uint8Array;
  start_time_us?: bigint;
  end_time_us?: bigint;
  fields_to_get?: TimeseriesFieldsToGetMsg[];
  limit?: number;
  data_serialize_type?: number;
  token?: Uint8Array;
  supported_table_version?: bigint;
}
export interface ScanTimeseriesDataResponseMsg {
  data_serialize_type?: number;
  data: Uint8Array;
  next_token?: Uint8Array;
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
