/**
 * Time series protobuf messages (proto2), written from the field tables of docs/protocol.md §9. The text is
 * parsed by protobufjs at module load so bundled functions need no .proto files at run time.
 *
 * Encoding and decoding go through the name-keyed codec of proto/codec.ts, typed by `TimeseriesMessages`;
 * int64 values are bigint and never lose precision.
 */
import protobuf from 'protobufjs';
import { protoCodec } from './codec';

export const TIMESERIES_PROTO = `
syntax = "proto2";
package ots.timeseries;

enum PrimaryKeyType { INTEGER = 1; STRING = 2; BINARY = 3; }
enum PrimaryKeyOption { AUTO_INCREMENT = 1; }
message PrimaryKeySchema {
  required string name = 1;
  required PrimaryKeyType type = 2;
  optional PrimaryKeyOption option = 3;
}

message TimeseriesTableOptions { optional int32 time_to_live = 1; }
message TimeseriesMetaOptions {
  optional bool allow_update_attributes = 1;
  optional int32 meta_time_to_live = 2;
}
message TimeseriesTableMeta {
  required string table_name = 1;
  optional TimeseriesTableOptions table_options = 2;
  optional string status = 3;
  optional TimeseriesMetaOptions meta_options = 4;
  repeated string timeseries_key_schema = 5;
  repeated PrimaryKeySchema field_primary_key_schema = 6;
  optional bool disable_hash_partition_key = 7;
  optional bool disable_timeseries_meta_index = 8;
}

enum AnalyticalStoreSyncType { SYNC_TYPE_FULL = 1; SYNC_TYPE_INCR = 2; }
message TimeseriesAnalyticalStore {
  optional string store_name = 1;
  optional int32 time_to_live = 2;
  optional AnalyticalStoreSyncType sync_option = 3;
}
message LastpointIndexMetaForCreate { required string index_table_name = 1; }
message TimeseriesLastpointIndex { optional string index_table_name = 1; }

message CreateTimeseriesTableRequest {
  required TimeseriesTableMeta table_meta = 1;
  repeated TimeseriesAnalyticalStore analytical_stores = 3;
  optional bool enable_analytical_store = 4;
  repeated LastpointIndexMetaForCreate lastpoint_index_metas = 5;
}
message CreateTimeseriesTableResponse {}

message ListTimeseriesTableRequest {}
message ListTimeseriesTableResponse { repeated TimeseriesTableMeta table_metas = 1; }

message DescribeTimeseriesTableRequest { required string table_name = 1; }
message DescribeTimeseriesTableResponse {
  required TimeseriesTableMeta table_meta = 1;
  repeated TimeseriesAnalyticalStore analytical_stores = 2;
  repeated TimeseriesLastpointIndex lastpoint_indexes = 3;
}

message UpdateTimeseriesTableRequest {
  required string table_name = 1;
  optional TimeseriesTableOptions table_options = 2;
  optional TimeseriesMetaOptions meta_options = 3;
}
message UpdateTimeseriesTableResponse {}

message DeleteTimeseriesTableRequest { required string table_name = 1; }
message DeleteTimeseriesTableResponse {}

enum MetaQueryConditionType {
  COMPOSITE_CONDITION = 1;
  MEASUREMENT_CONDITION = 2;
  SOURCE_CONDITION = 3;
  TAG_CONDITION = 4;
  UPDATE_TIME_CONDITION = 5;
  ATTRIBUTE_CONDITION = 6;
}
enum MetaQueryCompositeOperator { OP_AND = 1; OP_OR = 2; OP_NOT = 3; }
enum MetaQuerySingleOperator {
  OP_EQUAL = 1;
  OP_GREATER_THAN = 2;
  OP_GREATER_EQUAL = 3;
  OP_LESS_THAN = 4;
  OP_LESS_EQUAL = 5;
  OP_PREFIX = 6;
}
message MetaQueryCondition {
  required MetaQueryConditionType type = 1;
  required bytes proto_data = 2;
}
message MetaQueryCompositeCondition {
  required MetaQueryCompositeOperator op = 1;
  repeated MetaQueryCondition sub_conditions = 2;
}
message MetaQueryMeasurementCondition {
  required MetaQuerySingleOperator op = 1;
  required string value = 2;
}
message MetaQuerySourceCondition {
  required MetaQuerySingleOperator op = 1;
  required string value = 2;
}
message MetaQueryTagCondition {
  required MetaQuerySingleOperator op = 1;
  required string tag_name = 2;
  required string value = 3;
}
message MetaQueryUpdateTimeCondition {
  required MetaQuerySingleOperator op = 1;
  required int64 value = 2;
}
message MetaQueryAttributeCondition {
  required MetaQuerySingleOperator op = 1;
  required string attr_name = 2;
  required string value = 3;
}

message TimeseriesTag {
  required string name = 1;
  required string value = 2;
}
message TimeseriesKey {
  optional string measurement = 1;
  optional string source = 2;
  optional string tags = 3;
  repeated TimeseriesTag tag_list = 4;
}
message TimeseriesMeta {
  required TimeseriesKey time_series_key = 1;
  optional string attributes = 2;
  optional int64 update_time = 3;
}

message QueryTimeseriesMetaRequest {
  required string table_name = 1;
  optional MetaQueryCondition condition = 2;
  optional bool get_total_hit = 3;
  optional bytes token = 4;
  optional int32 limit = 5;
  optional int64 supported_table_version = 6;
}
message QueryTimeseriesMetaResponse {
  repeated TimeseriesMeta timeseries_metas = 1;
  optional int64 total_hit = 2;
  optional bytes next_token = 3;
}

enum RowsSerializeType { RST_FLAT_BUFFER = 0; RST_PLAIN_BUFFER = 1; RST_PROTO_BUFFER = 2; }
message TimeseriesRows {
  required RowsSerializeType type = 1;
  required bytes rows_data = 2;
  optional int32 flatbuffer_crc32c = 3;
}
enum MetaUpdateMode { MUM_NORMAL = 0; MUM_IGNORE = 1; }
message PutTimeseriesDataRequest {
  required string table_name = 1;
  required TimeseriesRows rows_data = 2;
  optional MetaUpdateMode meta_update_mode = 3;
  optional int64 supported_table_version = 4;
}
message FailedRowInfo {
  required int32 row_index = 1;
  optional string error_code = 2;
  optional string error_message = 3;
}
message MetaUpdateStatus {
  repeated uint32 row_ids = 1;
  repeated uint32 meta_update_times = 2;
}
message PutTimeseriesDataResponse {
  repeated FailedRowInfo failed_rows = 1;
  optional MetaUpdateStatus meta_update_status = 2;
}

message TimeseriesFieldsToGet {
  optional string name = 1;
  optional int32 type = 2;
}
message GetTimeseriesDataRequest {
  required string table_name = 1;
  required TimeseriesKey time_series_key = 2;
  optional int64 begin_time = 3;
  optional int64 end_time = 4;
  optional int64 specific_time = 5;
  optional bytes token = 6;
  optional int32 limit = 7;
  optional bool backward = 8;
  repeated TimeseriesFieldsToGet fields_to_get = 9;
  optional int64 supported_table_version = 10;
}
message GetTimeseriesDataResponse {
  required bytes rows_data = 1;
  optional bytes next_token = 2;
}

message UpdateTimeseriesMetaRequest {
  required string table_name = 1;
  repeated TimeseriesMeta timeseries_meta = 2;
  optional int64 supported_table_version = 3;
}
message UpdateTimeseriesMetaResponse { repeated FailedRowInfo failed_rows = 1; }

message DeleteTimeseriesMetaRequest {
  required string table_name = 1;
  repeated TimeseriesKey timeseries_key = 2;
  optional int64 supported_table_version = 3;
}
message DeleteTimeseriesMetaResponse { repeated FailedRowInfo failed_rows = 1; }

message SplitTimeseriesScanTaskRequest {
  required string table_name = 1;
  optional string measurement_name = 2;
  required int32 split_count_hint = 3;
}
message SplitTimeseriesScanTaskResponse { repeated bytes split_infos = 1; }
message ScanTimeseriesDataRequest {
  required string table_name = 1;
  optional bytes split_info = 2;
  optional int64 start_time_us = 3;
  optional int64 end_time_us = 4;
  repeated TimeseriesFieldsToGet fields_to_get = 5;
  optional int32 limit = 6;
  optional RowsSerializeType data_serialize_type = 7;
  optional bytes token = 8;
  optional int64 supported_table_version = 9;
}
message ScanTimeseriesDataResponse {
  optional RowsSerializeType data_serialize_type = 1;
  required bytes data = 2;
  optional bytes next_token = 3;
}
`;

const root = protobuf.parse(TIMESERIES_PROTO, { keepCase: true }).root;

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

const codec = protoCodec<TimeseriesMessages>(root, 'ots.timeseries', { verifyOnEncode: true });

/** Encodes message `name`; throws when a required field is missing. */
export function encodeTimeseriesMessage<N extends TimeseriesMessageName>(name: N, value: TimeseriesMessages[N]): Uint8Array {
  return codec.encode(name, value);
}

/** Decodes message `name`; throws ProtoDecodeError on malformed bytes or a missing required field. */
export function decodeTimeseriesMessage<N extends TimeseriesMessageName>(name: N, bytes: Uint8Array): TimeseriesMessages[N] {
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
