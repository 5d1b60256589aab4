/**
 * Wide-table protobuf messages (docs/protocol.md §7) and filter messages (§5.7), written from the SDKs' field tables as
 * proto2 text and parsed by protobufjs at module load, so bundles need no .proto files at run time.
 *
 * `encodeMessage` / `decodeMessage` are keyed by message name and typed by `WideMessages` (proto/codec.ts).
 * Missing required fields and malformed bytes throw `ProtoDecodeError`, which servers answer with 400
 * OTSParameterInvalid.
 */
import protobuf from 'protobufjs';
import { ProtoDecodeError, protoCodec } from './codec';

export const WIDE_PROTO = `
syntax = "proto2";
package ots;

message Error {
  required string code = 1;
  optional string message = 2;
  optional AccessDeniedDetail access_denied_detail = 3;
}
message AccessDeniedDetail {
  required string auth_action = 1;
  required string auth_principal_type = 2;
  required string auth_principal_owner_id = 3;
  required string auth_principal_display_name = 4;
  required string policy_type = 5;
  required string no_permission_type = 6;
  optional string encoded_diagnostic_message = 7;
}

enum PrimaryKeyType { INTEGER = 1; STRING = 2; BINARY = 3; }
enum PrimaryKeyOption { AUTO_INCREMENT = 1; }
enum DefinedColumnType { DCT_INTEGER = 1; DCT_DOUBLE = 2; DCT_BOOLEAN = 3; DCT_STRING = 4; DCT_BLOB = 7; }
enum TableStatus { ACTIVE = 1; INACTIVE = 2; LOADING = 3; UNLOADING = 4; UPDATING = 5; }
enum RowExistenceExpectation { IGNORE = 0; EXPECT_EXIST = 1; EXPECT_NOT_EXIST = 2; }
enum ReturnType { RT_NONE = 0; RT_PK = 1; RT_AFTER_MODIFY = 2; }
enum Direction { FORWARD = 0; BACKWARD = 1; }
enum OperationType { PUT = 1; UPDATE = 2; DELETE = 3; }
enum IndexUpdateMode { IUM_ASYNC_INDEX = 0; IUM_SYNC_INDEX = 1; }
enum IndexType { IT_GLOBAL_INDEX = 0; IT_LOCAL_INDEX = 1; }

message PrimaryKeySchema {
  required string name = 1;
  required PrimaryKeyType type = 2;
  optional PrimaryKeyOption option = 3;
}
message DefinedColumnSchema {
  required string name = 1;
  required DefinedColumnType type = 2;
}
message TableMeta {
  required string table_name = 1;
  repeated PrimaryKeySchema primary_key = 2;
  repeated DefinedColumnSchema defined_column = 3;
}
message TableOptions {
  optional int32 time_to_live = 1;
  optional int32 max_versions = 2;
  optional int32 bloom_filter_type = 3;
  optional int32 block_size = 4;
  optional int64 deviation_cell_version_in_sec = 5;
  optional bool allow_update = 6;
}
message CapacityUnit { optional int32 read = 1; optional int32 write = 2; }
message ReservedThroughput { required CapacityUnit capacity_unit = 1; }
message ReservedThroughputDetails {
  required CapacityUnit capacity_unit = 1;
  required int64 last_increase_time = 2;
  optional int64 last_decrease_time = 3;
}
message ConsumedCapacity { required CapacityUnit capacity_unit = 1; }
message Condition {
  required RowExistenceExpectation row_existence = 1;
  optional bytes column_condition = 2;
}
message TimeRange { optional int64 start_time = 1; optional int64 end_time = 2; optional int64 specific_time = 3; }
message ReturnContent { optional ReturnType return_type = 1; repeated string return_column_names = 2; }
message StreamSpecification { required bool enable_stream = 1; optional int32 expiration_time = 2; }
message StreamDetails {
  required bool enable_stream = 1;
  optional string stream_id = 2;
  optional int32 expiration_time = 3;
  optional int64 last_enable_time = 4;
}
message IndexMeta {
  required string name = 1;
  repeated string primary_key = 2;
  repeated string defined_column = 3;
  required IndexUpdateMode index_update_mode = 4;
  required IndexType index_type = 5;
  optional int32 index_sync_phase = 6;
}
message CreateIndexRequest {
  required string main_table_name = 1;
  required IndexMeta index_meta = 2;
  optional bool include_base_data = 3;
}
message DropIndexRequest {
  required string main_table_name = 1;
  required string index_name = 2;
}

message CreateTableRequest {
  required TableMeta table_meta = 1;
  required ReservedThroughput reserved_throughput = 2;
  optional TableOptions table_options = 3;
  optional StreamSpecification stream_spec = 5;
  repeated IndexMeta index_metas = 7;
}
message CreateTableResponse {}
message ListTableRequest {}
message ListTableResponse { repeated string table_names = 1; }
message DescribeTableRequest { required string table_name = 1; }
message DescribeTableResponse {
  required TableMeta table_meta = 1;
  required ReservedThroughputDetails reserved_throughput_details = 2;
  required TableOptions table_options = 3;
  optional TableStatus table_status = 4;
  optional StreamDetails stream_details = 5;
  repeated bytes shard_splits = 6;
  repeated IndexMeta index_metas = 8;
}
message DeleteTableRequest { required string table_name = 1; }
message DeleteTableResponse {}
message UpdateTableRequest {
  required string table_name = 1;
  optional ReservedThroughput reserved_throughput = 2;
  optional TableOptions table_options = 3;
  optional StreamSpecification stream_spec = 4;
}
message UpdateTableResponse {
  required ReservedThroughputDetails reserved_throughput_details = 1;
  required TableOptions table_options = 2;
  optional StreamDetails stream_details = 3;
}

message GetRowRequest {
  required string table_name = 1;
  required bytes primary_key = 2;
  repeated string columns_to_get = 3;
  optional TimeRange time_range = 4;
  optional int32 max_versions = 5;
  optional bool cache_blocks = 6;
  optional bytes filter = 7;
  optional string start_column = 8;
  optional string end_column = 9;
  optional bytes token = 10;
  optional string transaction_id = 11;
}
message GetRowResponse {
  required ConsumedCapacity consumed = 1;
  required bytes row = 2;
  optional bytes next_token = 3;
}
message PutRowRequest {
  required string table_name = 1;
  required bytes row = 2;
  required Condition condition = 3;
  optional ReturnContent return_content = 4;
  optional string transaction_id = 5;
}
message PutRowResponse { required ConsumedCapacity consumed = 1; optional bytes row = 2; }
message UpdateRowRequest {
  required string table_name = 1;
  required bytes row_change = 2;
  required Condition condition = 3;
  optional ReturnContent return_content = 4;
  optional string transaction_id = 5;
}
message UpdateRowResponse { required ConsumedCapacity consumed = 1; optional bytes row = 2; }
message DeleteRowRequest {
  required string table_name = 1;
  required bytes primary_key = 2;
  required Condition condition = 3;
  optional ReturnContent return_content = 4;
  optional string transaction_id = 5;
}
message DeleteRowResponse { required ConsumedCapacity consumed = 1; optional bytes row = 2; }

message GetRangeRequest {
  required string table_name = 1;
  required Direction direction = 2;
  repeated string columns_to_get = 3;
  optional TimeRange time_range = 4;
  optional int32 max_versions = 5;
  optional int32 limit = 6;
  required bytes inclusive_start_primary_key = 7;
  required bytes exclusive_end_primary_key = 8;
  optional bool cache_blocks = 9;
  optional bytes filter = 10;
  optional string start_column = 11;
  optional string end_column = 12;
  optional bytes token = 13;
  optional string transaction_id = 14;
  optional int32 data_block_type_hint = 15;
  optional bool return_entire_primary_keys = 16;
  optional int32 compress_type_hint = 17;
}
message GetRangeResponse {
  required ConsumedCapacity consumed = 1;
  required bytes rows = 2;
  optional bytes next_start_primary_key = 3;
  optional bytes next_token = 4;
}

message TableInBatchGetRowRequest {
  required string table_name = 1;
  repeated bytes primary_key = 2;
  repeated bytes token = 3;
  repeated string columns_to_get = 4;
  optional TimeRange time_range = 5;
  optional int32 max_versions = 6;
  optional bool cache_blocks = 7;
  optional bytes filter = 8;
  optional string start_column = 9;
  optional string end_column = 10;
}
message BatchGetRowRequest { repeated TableInBatchGetRowRequest tables = 1; }
message RowInBatchGetRowResponse {
  required bool is_ok = 1;
  optional Error error = 2;
  optional ConsumedCapacity consumed = 3;
  optional bytes row = 4;
  optional bytes next_token = 5;
}
message TableInBatchGetRowResponse { required string table_name = 1; repeated RowInBatchGetRowResponse rows = 2; }
message BatchGetRowResponse { repeated TableInBatchGetRowResponse tables = 1; }

message RowInBatchWriteRowRequest {
  required OperationType type = 1;
  required bytes row_change = 2;
  required Condition condition = 3;
  optional ReturnContent return_content = 4;
}
message TableInBatchWriteRowRequest { required string table_name = 1; repeated RowInBatchWriteRowRequest rows = 2; }
message BatchWriteRowRequest {
  repeated TableInBatchWriteRowRequest tables = 1;
  optional string transaction_id = 2;
  optional bool is_atomic = 3;
}
message RowInBatchWriteRowResponse {
  required bool is_ok = 1;
  optional Error error = 2;
  optional ConsumedCapacity consumed = 3;
  optional bytes row = 4;
}
message TableInBatchWriteRowResponse { required string table_name = 1; repeated RowInBatchWriteRowResponse rows = 2; }
message BatchWriteRowResponse { repeated TableInBatchWriteRowResponse tables = 1; }

enum FilterType { FT_SINGLE_COLUMN_VALUE = 1; FT_COMPOSITE_COLUMN_VALUE = 2; FT_COLUMN_PAGINATION = 3; }
enum ComparatorType {
  CT_EQUAL = 1; CT_NOT_EQUAL = 2; CT_GREATER_THAN = 3; CT_GREATER_EQUAL = 4; CT_LESS_THAN = 5; CT_LESS_EQUAL = 6;
  CT_EXIST = 7; CT_NOT_EXIST = 8;
}
enum LogicalOperator { LO_NOT = 1; LO_AND = 2; LO_OR = 3; }
enum VariantType { VT_INTEGER = 0; VT_DOUBLE = 1; VT_STRING = 3; VT_NULL = 6; VT_BLOB = 7; }
message ValueTransferRule { required string regex = 1; optional VariantType cast_type = 2; }
message SingleColumnValueFilter {
  required ComparatorType comparator = 1;
  required string column_name = 2;
  required bytes column_value = 3;
  required bool filter_if_missing = 4;
  required bool latest_version_only = 5;
  optional ValueTransferRule value_trans_rule = 6;
}
message CompositeColumnValueFilter { required LogicalOperator combinator = 1; repeated Filter sub_filters = 2; }
message ColumnPaginationFilter { required int32 offset = 1; required int32 limit = 2; }
message Filter { required FilterType type = 1; required bytes filter = 2; }

enum SQLPayloadVersion { SQL_PLAIN_BUFFER = 1; SQL_FLAT_BUFFERS = 2; }
enum SQLStatementType {
  SQL_SELECT = 1; SQL_CREATE_TABLE = 2; SQL_SHOW_TABLE = 3; SQL_DESCRIBE_TABLE = 4; SQL_DROP_TABLE = 5; SQL_ALTER_TABLE = 6;
}
message SQLQueryRequest { required string query = 1; optional SQLPayloadVersion version = 2; }
message TableConsumedCapacity {
  optional string table_name = 1;
  optional ConsumedCapacity consumed = 2;
  optional ReservedThroughput reserved_throughput = 3;
}
message SearchConsumedCapacity {
  optional string table_name = 1;
  optional string index_name = 2;
  optional ConsumedCapacity consumed = 3;
  optional ReservedThroughput reserved_throughput = 4;
}
message SQLQueryResponse {
  repeated TableConsumedCapacity consumes = 1;
  optional bytes rows = 2;
  optional SQLPayloadVersion version = 3;
  optional SQLStatementType type = 4;
  repeated SearchConsumedCapacity search_consumes = 5;
}
`;

export const wideRoot: protobuf.Root = protobuf.parse(WIDE_PROTO, { keepCase: true }).root;

export { ProtoDecodeError };

// ------------------------------------------------------------------------------------ typed message shapes

export const PrimaryKeyType = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;
export const DefinedColumnType = { DCT_INTEGER: 1, DCT_DOUBLE: 2, DCT_BOOLEAN: 3, DCT_STRING: 4, DCT_BLOB: 7 } as const;
export const RowExistence = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;
export const ReturnType = { RT_NONE: 0, RT_PK: 1, RT_AFTER_MODIFY: 2 } as const;
export const Direction = { FORWARD: 0, BACKWARD: 1 } as const;
export const OperationType = { PUT: 1, UPDATE: 2, DELETE: 3 } as const;
export const FilterType = { FT_SINGLE_COLUMN_VALUE: 1, FT_COMPOSITE_COLUMN_VALUE: 2, FT_COLUMN_PAGINATION: 3 } as const;
export const ComparatorType = {
  CT_EQUAL: 1,
  CT_NOT_EQUAL: 2,
  CT_GREATER_THAN: 3,
  CT_GREATER_EQUAL: 4,
  CT_LESS_THAN: 5,
  CT_LESS_EQUAL: 6,
  CT_EXIST: 7,
  CT_NOT_EXIST: 8,
} as const;
export const LogicalOperator = { LO_NOT: 1, LO_AND: 2, LO_OR: 3 } as const;

type Int64 = bigint | number;

export interface ErrorMessage { code: string; message?: string }
export interface PrimaryKeySchema { name: string; type: number; option?: number }
export interface DefinedColumnSchema { name: string; type: number }
export interface TableMeta { table_name: string; primary_key?: PrimaryKeySchema[]; defined_column?: DefinedColumnSchema[] }
export interface TableOptions {
  time_to_live?: number;
  max_versions?: number;
  bloom_filter_type?: number;
  block_size?: number;
  deviation_cell_version_in_sec?: Int64;
  allow_update?: boolean;
}
export interface CapacityUnit { read?: number; write?: number }
export interface ReservedThroughput { capacity_unit: CapacityUnit }
export interface ReservedThroughputDetails { capacity_unit: CapacityUnit; last_increase_time: Int64; last_decrease_time?: Int64 }
export interface ConsumedCapacity { capacity_unit: CapacityUnit }
export interface Condition { row_existence: number; column_condition?: Uint8Array }
export interface TimeRange { start_time?: Int64; end_time?: Int64; specific_time?: Int64 }
export interface ReturnContent { return_type?: number; return_column_names?: string[] }
export interface StreamSpecification { enable_stream: boolean; expiration_time?: number }
export interface StreamDetails { enable_stream: boolean; stream_id?: string; expiration_time?: number; last_enable_time?: Int64 }
export interface IndexMeta { name: string; primary_key?: string[]; defined_column?: string[]; index_update_mode: number; index_type: number; index_sync_phase?: number }

export interface CreateIndexRequest { main_table_name: string; index_meta: IndexMeta; include_base_data?: boolean }
export interface DropIndexRequest { main_table_name: string; index_name: string }

export interface CreateTableRequest {
  table_meta: TableMeta;
  reserved_throughput: ReservedThroughput;
  table_options?: TableOptions;
  stream_spec?: StreamSpecification;
  index_metas?: IndexMeta[];
}
export interface ListTableResponse { table_names: string[] }
export interface TableNameRequest { table_name: string }
export interface DescribeTableResponse {
  table_meta: TableMeta;
  reserved_throughput_details: ReservedThroughputDetails;
  table_options: TableOptions;
  table_status?: number;
  stream_details?: StreamDetails;
  shard_splits?: Uint8Array[];
  index_metas?: IndexMeta[];
}
export interface UpdateTableRequest {
  table_name: string;
  reserved_throughput?: ReservedThroughput;
  table_options?: TableOptions;
  stream_spec?: StreamSpecification;
}
export interface UpdateTableResponse {
  reserved_throughput_details: ReservedThroughputDetails;
  table_options: TableOptions;
  stream_details?: StreamDetails;
}
export interface ReadOptions {
  columns_to_get?: string[];
  time_range?: TimeRange;
  max_versions?: number;
  filter?: Uint8Array;
  start_column?: string;
  end_column?: string;
}
export interface GetRowRequest extends ReadOptions { table_name: string; primary_key: Uint8Array; token?: Uint8Array; transaction_id?: string }
export interface GetRowResponse { consumed: ConsumedCapacity; row: Uint8Array; next_token?: Uint8Array }
export interface PutRowRequest { table_name: string; row: Uint8Array; condition: Condition; return_content?: ReturnContent; transaction_id?: string }
export interface UpdateRowRequest { table_name: string; row_change: Uint8Array; condition: Condition; return_content?: ReturnContent; transaction_id?: string }
export interface DeleteRowRequest { table_name: string; primary_key: Uint8Array; condition: Condition; return_content?: ReturnContent; transaction_id?: string }
export interface WriteRowResponse { consumed: ConsumedCapacity; row?: Uint8Array }
export interface GetRangeRequest extends ReadOptions {
  table_name: string;
  direction: number;
  limit?: number;
  inclusive_start_primary_key: Uint8Array;
  exclusive_end_primary_key: Uint8Array;
  token?: Uint8Array;
  transaction_id?: string;
}
export interface GetRangeResponse { consumed: ConsumedCapacity; rows: Uint8Array; next_start_primary_key?: Uint8Array; next_token?: Uint8Array }
export interface TableInBatchGetRowRequest extends ReadOptions { table_name: string; primary_key: Uint8Array[]; token?: Uint8Array[] }
export interface BatchGetRowRequest { tables: TableInBatchGetRowRequest[] }
export interface RowInBatchGetRowResponse { is_ok: boolean; error?: ErrorMessage; consumed?: ConsumedCapacity; row?: Uint8Array; next_token?: Uint8Array }
export interface BatchGetRowResponse { tables: { table_name: string; rows: RowInBatchGetRowResponse[] }[] }
export interface RowInBatchWriteRowRequest { type: number; row_change: Uint8Array; condition: Condition; return_content?: ReturnContent }
export interface BatchWriteRowRequest { tables: { table_name: string; rows: RowInBatchWriteRowRequest[] }[]; transaction_id?: string; is_atomic?: boolean }
export interface RowInBatchWriteRowResponse { is_ok: boolean; error?: ErrorMessage; consumed?: ConsumedCapacity; row?: Uint8Array }
export interface BatchWriteRowResponse { tables: { table_name: string; rows: RowInBatchWriteRowResponse[] }[] }

export interface FilterMessage { type: number; filter: Uint8Array }
export interface SingleColumnValueFilter {
  comparator: number;
  column_name: string;
  column_value: Uint8Array;
  filter_if_missing: boolean;
  latest_version_only: boolean;
  value_trans_rule?: { regex: string; cast_type?: number };
}
export interface CompositeColumnValueFilter { combinator: number; sub_filters: FilterMessage[] }
export interface ColumnPaginationFilter { offset: number; limit: number }

export const SqlPayloadVersion = { SQL_PLAIN_BUFFER: 1, SQL_FLAT_BUFFERS: 2 } as const;
export interface SqlQueryRequest { query: string; version?: number }
export interface TableConsumedCapacity { table_name?: string; consumed?: ConsumedCapacity; reserved_throughput?: ReservedThroughput }
export interface SqlQueryResponse {
  consumes: TableConsumedCapacity[];
  rows?: Uint8Array;
  version?: number;
  type?: number;
  search_consumes?: { table_name?: string; index_name?: string; consumed?: ConsumedCapacity }[];
}

/** Message name → plain-object shape, so encode/decode are typed by name. */
export interface WideMessages {
  Error: ErrorMessage;
  PrimaryKeySchema: PrimaryKeySchema;
  DefinedColumnSchema: DefinedColumnSchema;
  TableMeta: TableMeta;
  TableOptions: TableOptions;
  CapacityUnit: CapacityUnit;
  ReservedThroughput: ReservedThroughput;
  ReservedThroughputDetails: ReservedThroughputDetails;
  ConsumedCapacity: ConsumedCapacity;
  Condition: Condition;
  TimeRange: TimeRange;
  ReturnContent: ReturnContent;
  StreamSpecification: StreamSpecification;
  StreamDetails: StreamDetails;
  IndexMeta: IndexMeta;
  CreateTableRequest: CreateTableRequest;
  CreateTableResponse: EmptyMessage;
  ListTableRequest: EmptyMessage;
  ListTableResponse: ListTableResponse;
  DescribeTableRequest: TableNameRequest;
  DescribeTableResponse: DescribeTableResponse;
  DeleteTableRequest: TableNameRequest;
  DeleteTableResponse: EmptyMessage;
  UpdateTableRequest: UpdateTableRequest;
  UpdateTableResponse: UpdateTableResponse;
  GetRowRequest: GetRowRequest;
  GetRowResponse: GetRowResponse;
  PutRowRequest: PutRowRequest;
  PutRowResponse: WriteRowResponse;
  UpdateRowRequest: UpdateRowRequest;
  UpdateRowResponse: WriteRowResponse;
  DeleteRowRequest: DeleteRowRequest;
  DeleteRowResponse: WriteRowResponse;
  GetRangeRequest: GetRangeRequest;
  GetRangeResponse: GetRangeResponse;
  TableInBatchGetRowRequest: TableInBatchGetRowRequest;
  BatchGetRowRequest: BatchGetRowRequest;
  RowInBatchGetRowResponse: RowInBatchGetRowResponse;
  BatchGetRowResponse: BatchGetRowResponse;
  RowInBatchWriteRowRequest: RowInBatchWriteRowRequest;
  BatchWriteRowRequest: BatchWriteRowRequest;
  RowInBatchWriteRowResponse: RowInBatchWriteRowResponse;
  BatchWriteRowResponse: BatchWriteRowResponse;
  Filter: FilterMessage;
  SingleColumnValueFilter: SingleColumnValueFilter;
  CompositeColumnValueFilter: CompositeColumnValueFilter;
  ColumnPaginationFilter: ColumnPaginationFilter;
  SQLQueryRequest: SqlQueryRequest;
  CreateIndexRequest: CreateIndexRequest;
  CreateIndexResponse: EmptyMessage;
  DropIndexRequest: DropIndexRequest;
  DropIndexResponse: EmptyMessage;
  SQLQueryResponse: SqlQueryResponse;
}
export type WideMessageName = keyof WideMessages;
export type EmptyMessage = Record<string, never>;

const codec = protoCodec<WideMessages>(wideRoot, 'ots');

/** Encodes a plain object (snake_case fields, bigint or number for int64) as message `name`. */
export function encodeMessage<N extends WideMessageName>(name: N, value: WideMessages[N]): Uint8Array {
  return codec.encode(name, value);
}

/** Decodes message `name`; throws ProtoDecodeError on malformed bytes or missing required fields. */
export function decodeMessage<N extends WideMessageName>(name: N, bytes: Uint8Array): WideMessages[N] {
  return codec.decode(name, bytes);
}
