/**
 * Wide-table protobuf messages and filter messages (wide.proto beside this file, facts in docs/protocol.md
 * §7), encoded and decoded by codec.ts with the static field tables of descriptors.ts (scripts/gen-proto.ts).
 *
 * `encodeMessage` / `decodeMessage` are keyed by message name and typed by `WideMessages`. Decoding gives
 * int64 as bigint, enums as numbers, bytes as Uint8Array and repeated fields always as arrays. Missing
 * required fields and malformed bytes throw `ProtoDecodeError`, which servers answer with 400
 * OTSParameterInvalid.
 *
 * Optional fields accept `undefined`: the codec writes a field only when it is neither undefined nor null, so
 * an undefined value and an absent key encode the same bytes. Decoding never produces undefined keys.
 */
import { ProtoDecodeError, protoCodec } from './codec';
import { WIDE } from './descriptors';

export { ProtoDecodeError };

export const DefinedColumnType = { DCT_INTEGER: 1, DCT_DOUBLE: 2, DCT_BOOLEAN: 3, DCT_STRING: 4, DCT_BLOB: 7 } as const;
export const RowExistence = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;
export const ReturnType = { RT_NONE: 0, RT_PK: 1, RT_AFTER_MODIFY: 2 } as const;
export const Direction = { FORWARD: 0, BACKWARD: 1 } as const;
export const DataBlockType = { DBT_PLAIN_BUFFER: 0, DBT_SIMPLE_ROW_MATRIX: 1 } as const;
export const SSEKeyType = { SSE_KMS_SERVICE: 1, SSE_BYOK: 2 } as const;
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

export interface ErrorMessage {
  code: string;
  message?: string | undefined;
}
export interface PrimaryKeySchema {
  name: string;
  type: number;
  option?: number | undefined;
}
export interface DefinedColumnSchema {
  name: string;
  type: number;
}
export interface TableMeta {
  table_name: string;
  primary_key?: PrimaryKeySchema[] | undefined;
  defined_column?: DefinedColumnSchema[] | undefined;
}
export interface TableOptions {
  time_to_live?: number | undefined;
  max_versions?: number | undefined;
  bloom_filter_type?: number | undefined;
  block_size?: number | undefined;
  deviation_cell_version_in_sec?: Int64 | undefined;
  allow_update?: boolean | undefined;
  update_full_row?: boolean | undefined;
}
export interface CapacityUnit {
  read?: number | undefined;
  write?: number | undefined;
}
export interface ReservedThroughput {
  capacity_unit: CapacityUnit;
}
export interface ReservedThroughputDetails {
  capacity_unit: CapacityUnit;
  last_increase_time: Int64;
  last_decrease_time?: Int64 | undefined;
}
export interface ConsumedCapacity {
  capacity_unit: CapacityUnit;
}
export interface Condition {
  row_existence: number;
  column_condition?: Uint8Array | undefined;
}
export interface TimeRange {
  start_time?: Int64 | undefined;
  end_time?: Int64 | undefined;
  specific_time?: Int64 | undefined;
}
export interface ReturnContent {
  return_type?: number | undefined;
  return_column_names?: string[] | undefined;
}
export interface StreamSpecification {
  enable_stream: boolean;
  expiration_time?: number | undefined;
  columns_to_get?: string[] | undefined;
}
export interface StreamDetails {
  enable_stream: boolean;
  stream_id?: string | undefined;
  expiration_time?: number | undefined;
  last_enable_time?: Int64 | undefined;
  columns_to_get?: string[] | undefined;
}
/** Server-side encryption; key_type 1 = KMS service key, 2 = bring your own key (docs/protocol.md §8.6). */
export interface SSESpecification {
  enable: boolean;
  key_type?: number | undefined;
  key_id?: Uint8Array | undefined;
  role_arn?: Uint8Array | undefined;
}
export interface IndexMeta {
  name: string;
  primary_key?: string[] | undefined;
  defined_column?: string[] | undefined;
  index_update_mode: number;
  index_type: number;
  index_sync_phase?: number | undefined;
}

export interface CreateIndexRequest {
  main_table_name: string;
  index_meta: IndexMeta;
  include_base_data?: boolean | undefined;
}
export interface DropIndexRequest {
  main_table_name: string;
  index_name: string;
}

export interface CreateTableRequest {
  table_meta: TableMeta;
  reserved_throughput: ReservedThroughput;
  table_options?: TableOptions | undefined;
  stream_spec?: StreamSpecification | undefined;
  sse_spec?: SSESpecification | undefined;
  index_metas?: IndexMeta[] | undefined;
}
export interface ListTableResponse {
  table_names: string[];
}
export interface TableNameRequest {
  table_name: string;
}
export interface DescribeTableResponse {
  table_meta: TableMeta;
  reserved_throughput_details: ReservedThroughputDetails;
  table_options: TableOptions;
  table_status?: number | undefined;
  stream_details?: StreamDetails | undefined;
  shard_splits?: Uint8Array[] | undefined;
  sse_details?: SSESpecification | undefined;
  index_metas?: IndexMeta[] | undefined;
}
export interface UpdateTableRequest {
  table_name: string;
  reserved_throughput?: ReservedThroughput | undefined;
  table_options?: TableOptions | undefined;
  stream_spec?: StreamSpecification | undefined;
}
export interface UpdateTableResponse {
  reserved_throughput_details: ReservedThroughputDetails;
  table_options: TableOptions;
  stream_details?: StreamDetails | undefined;
}
export interface ReadOptions {
  columns_to_get?: string[] | undefined;
  time_range?: TimeRange | undefined;
  max_versions?: number | undefined;
  filter?: Uint8Array | undefined;
  start_column?: string | undefined;
  end_column?: string | undefined;
}
export interface GetRowRequest extends ReadOptions {
  table_name: string;
  primary_key: Uint8Array;
  token?: Uint8Array | undefined;
  transaction_id?: string | undefined;
}
export interface GetRowResponse {
  consumed: ConsumedCapacity;
  row: Uint8Array;
  next_token?: Uint8Array | undefined;
}
export interface PutRowRequest {
  table_name: string;
  row: Uint8Array;
  condition: Condition;
  return_content?: ReturnContent | undefined;
  transaction_id?: string | undefined;
}
export interface UpdateRowRequest {
  table_name: string;
  row_change: Uint8Array;
  condition: Condition;
  return_content?: ReturnContent | undefined;
  transaction_id?: string | undefined;
}
export interface DeleteRowRequest {
  table_name: string;
  primary_key: Uint8Array;
  condition: Condition;
  return_content?: ReturnContent | undefined;
  transaction_id?: string | undefined;
}
export interface WriteRowResponse {
  consumed: ConsumedCapacity;
  row?: Uint8Array | undefined;
}
export interface GetRangeRequest extends ReadOptions {
  table_name: string;
  direction: number;
  limit?: number | undefined;
  inclusive_start_primary_key: Uint8Array;
  exclusive_end_primary_key: Uint8Array;
  token?: Uint8Array | undefined;
  transaction_id?: string | undefined;
  data_block_type_hint?: number | undefined;
  return_entire_primary_keys?: boolean | undefined;
  compress_type_hint?: number | undefined;
}
export interface GetRangeResponse {
  consumed: ConsumedCapacity;
  rows: Uint8Array;
  next_start_primary_key?: Uint8Array | undefined;
  next_token?: Uint8Array | undefined;
  data_block_type?: number | undefined;
  compress_type?: number | undefined;
}
export interface TableInBatchGetRowRequest extends ReadOptions {
  table_name: string;
  primary_key: Uint8Array[];
  token?: Uint8Array[] | undefined;
}
export interface BatchGetRowRequest {
  tables: TableInBatchGetRowRequest[];
}
export interface RowInBatchGetRowResponse {
  is_ok: boolean;
  error?: ErrorMessage | undefined;
  consumed?: ConsumedCapacity | undefined;
  row?: Uint8Array | undefined;
  next_token?: Uint8Array | undefined;
}
export interface BatchGetRowResponse {
  tables: { table_name: string; rows: RowInBatchGetRowResponse[] }[];
}
export interface RowInBatchWriteRowRequest {
  type: number;
  row_change: Uint8Array;
  condition: Condition;
  return_content?: ReturnContent | undefined;
}
export interface BatchWriteRowRequest {
  tables: { table_name: string; rows: RowInBatchWriteRowRequest[] }[];
  transaction_id?: string | undefined;
  is_atomic?: boolean | undefined;
}
export interface RowInBatchWriteRowResponse {
  is_ok: boolean;
  error?: ErrorMessage | undefined;
  consumed?: ConsumedCapacity | undefined;
  row?: Uint8Array | undefined;
}
export interface BatchWriteRowResponse {
  tables: { table_name: string; rows: RowInBatchWriteRowResponse[] }[];
}

export interface FilterMessage {
  type: number;
  filter: Uint8Array;
}
export interface SingleColumnValueFilter {
  comparator: number;
  column_name: string;
  column_value: Uint8Array;
  filter_if_missing: boolean;
  latest_version_only: boolean;
  value_trans_rule?: { regex: string; cast_type?: number } | undefined;
}
export interface CompositeColumnValueFilter {
  combinator: number;
  sub_filters: FilterMessage[];
}
export interface ColumnPaginationFilter {
  offset: number;
  limit: number;
}

export const SqlPayloadVersion = { SQL_PLAIN_BUFFER: 1, SQL_FLAT_BUFFERS: 2 } as const;
export interface SqlQueryRequest {
  query: string;
  version?: number | undefined;
}
export interface TableConsumedCapacity {
  table_name?: string | undefined;
  consumed?: ConsumedCapacity | undefined;
  reserved_throughput?: ReservedThroughput | undefined;
}
export interface SqlQueryResponse {
  consumes: TableConsumedCapacity[];
  rows?: Uint8Array | undefined;
  version?: number | undefined;
  type?: number | undefined;
  search_consumes?: { table_name?: string; index_name?: string; consumed?: ConsumedCapacity }[] | undefined;
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
  SSESpecification: SSESpecification;
  SSEDetails: SSESpecification;
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

const codec = protoCodec<WideMessages>(WIDE);

/** Encodes a plain object (snake_case fields, bigint or number for int64) as message `name`. */
export function encodeMessage<N extends WideMessageName>(name: N, value: WideMessages[N]): Uint8Array {
  return codec.encode(name, value);
}

/** Decodes message `name`; throws ProtoDecodeError on malformed bytes or missing required fields. */
export function decodeMessage<N extends WideMessageName>(name: N, bytes: Uint8Array): WideMessages[N] {
  return codec.decode(name, bytes);
}
