/**
 * Search-index protobuf messages (see docs/protocol-search.md §1), written as proto2 text from the field
 * numbers the official SDKs use, parsed by protobufjs at module load. Queries, aggregations and group-bys
 * travel as nested message bytes (`Query.query`, `Aggregation.body`, ...); values (terms, range bounds,
 * missing values, histogram keys) travel as bare PlainBuffer variants (`vtype payload`).
 */
import protobuf from 'protobufjs';
import { protoCodec } from '../../../lib/tablestore/protocol/proto/codec';

const SEARCH_PROTO = `
syntax = "proto2";
package search;

message Aggregation { optional string name = 1; optional int32 type = 2; optional bytes body = 3; }
message Aggregations { repeated Aggregation aggs = 1; }
message GroupBy { optional string name = 1; optional int32 type = 2; optional bytes body = 3; }
message GroupBys { repeated GroupBy group_bys = 1; }

message FieldAgg { optional string field_name = 1; optional bytes missing = 2; }
message CountAggregation { optional string field_name = 1; }
message TopRowsAggregation { optional int32 limit = 1; optional Sort sort = 2; }
message PercentilesAggregation { optional string field_name = 1; repeated double percentiles = 2; optional bytes missing = 3; }

message FieldRange { optional bytes min = 1; optional bytes max = 2; }
message DateTimeValue { optional int32 value = 1; optional int32 unit = 2; }
message GroupByDateHistogram {
  optional string field_name = 1; optional DateTimeValue interval = 2; optional FieldRange field_range = 3;
  optional bytes missing = 4; optional int64 min_doc_count = 5; optional string time_zone = 6;
  optional GroupBySort sort = 7; optional Aggregations sub_aggs = 8; optional GroupBys sub_group_bys = 9;
  optional DateTimeValue offset = 10;
}
message GroupByHistogram {
  optional string field_name = 1; optional bytes interval = 2; optional bytes missing = 3; optional int64 min_doc_count = 4;
  optional GroupBySort sort = 5; optional FieldRange field_range = 6; optional Aggregations sub_aggs = 7;
  optional GroupBys sub_group_bys = 8; optional bytes offset = 9;
}
message GroupKeySort { optional int32 order = 1; }
message RowCountSort { optional int32 order = 1; }
message SubAggSort { optional string sub_agg_name = 1; optional int32 order = 2; }
message GroupBySorter { optional GroupKeySort group_key_sort = 1; optional RowCountSort row_count_sort = 2; optional SubAggSort sub_agg_sort = 3; }
message GroupBySort { repeated GroupBySorter sorters = 1; }
message GroupByField {
  optional string field_name = 1; optional int32 size = 2; optional GroupBySort sort = 3; optional Aggregations sub_aggs = 4;
  optional GroupBys sub_group_bys = 5; optional int64 min_doc_count = 6;
}
message Range { optional double from = 1; optional double to = 2; }
message GroupByRange { optional string field_name = 1; repeated Range ranges = 2; optional Aggregations sub_aggs = 3; optional GroupBys sub_group_bys = 4; }
message GroupByFilter { repeated Query filters = 1; optional Aggregations sub_aggs = 2; optional GroupBys sub_group_bys = 3; }
message GeoPoint { optional double lat = 1; optional double lon = 2; }
message GroupByGeoDistance {
  optional string field_name = 1; optional GeoPoint origin = 2; repeated Range ranges = 3; optional Aggregations sub_aggs = 4;
  optional GroupBys sub_group_bys = 5;
}

message SingleValueResult { optional double value = 1; }
message CountResult { optional int64 value = 1; }
message TopRowsAggregationResult { repeated bytes rows = 1; }
message PercentilesAggregationItem { optional double key = 1; optional bytes value = 2; }
message PercentilesAggregationResult { repeated PercentilesAggregationItem percentiles_aggregation_items = 1; }
message AggregationResult { optional string name = 1; optional int32 type = 2; optional bytes agg_result = 3; }
message AggregationsResult { repeated AggregationResult agg_results = 1; }

message GroupByFieldResultItem { optional string key = 1; optional int64 row_count = 2; optional AggregationsResult sub_aggs_result = 3; optional GroupBysResult sub_group_bys_result = 4; }
message GroupByFieldResult { repeated GroupByFieldResultItem group_by_field_result_items = 1; }
message GroupByRangeResultItem { optional double from = 1; optional double to = 2; optional int64 row_count = 3; optional AggregationsResult sub_aggs_result = 4; optional GroupBysResult sub_group_bys_result = 5; }
message GroupByRangeResult { repeated GroupByRangeResultItem group_by_range_result_items = 1; }
message GroupByGeoDistanceResult { repeated GroupByRangeResultItem group_by_geo_distance_result_items = 1; }
message GroupByFilterResultItem { optional int64 row_count = 1; optional AggregationsResult sub_aggs_result = 2; optional GroupBysResult sub_group_bys_result = 3; }
message GroupByFilterResult { repeated GroupByFilterResultItem group_by_filter_result_items = 1; }
message GroupByResult { optional string name = 1; optional int32 type = 2; optional bytes group_by_result = 3; }
message GroupBysResult { repeated GroupByResult group_by_results = 1; }
message GroupByHistogramItem { optional bytes key = 1; optional int64 value = 2; optional AggregationsResult sub_aggs_result = 3; optional GroupBysResult sub_group_bys_result = 4; }
message GroupByHistogramResult { repeated GroupByHistogramItem group_by_histogram_items = 1; }
message GroupByDateHistogramItem { optional int64 timestamp = 1; optional int64 row_count = 2; optional AggregationsResult sub_aggs_result = 3; optional GroupBysResult sub_group_bys_result = 4; }
message GroupByDateHistogramResult { repeated GroupByDateHistogramItem group_by_date_histogram_items = 1; }

message MatchQuery { optional string field_name = 1; optional string text = 2; optional int32 minimum_should_match = 3; optional int32 operator = 4; optional float weight = 5; }
message MatchPhraseQuery { optional string field_name = 1; optional string text = 2; optional float weight = 3; }
message TermQuery { optional string field_name = 1; optional bytes term = 2; optional float weight = 3; }
message TermsQuery { optional string field_name = 1; repeated bytes terms = 2; optional float weight = 3; }
message RangeQuery { optional string field_name = 1; optional bytes range_from = 2; optional bytes range_to = 3; optional bool include_lower = 4; optional bool include_upper = 5; }
message PrefixQuery { optional string field_name = 1; optional string prefix = 2; optional float weight = 3; }
message WildcardQuery { optional string field_name = 1; optional string value = 2; optional float weight = 3; }
message BoolQuery { repeated Query must_queries = 1; repeated Query must_not_queries = 2; repeated Query filter_queries = 3; repeated Query should_queries = 4; optional int32 minimum_should_match = 5; }
message ConstScoreQuery { optional Query filter = 1; }
message NestedQuery { optional string path = 1; optional Query query = 2; optional int32 score_mode = 3; optional float weight = 4; optional bytes inner_hits = 5; }
message GeoBoundingBoxQuery { optional string field_name = 1; optional string top_left = 2; optional string bottom_right = 3; }
message GeoDistanceQuery { optional string field_name = 1; optional string center_point = 2; optional double distance = 3; }
message GeoPolygonQuery { optional string field_name = 1; repeated string points = 2; }
message ExistsQuery { optional string field_name = 1; }
message Query { optional int32 type = 1; optional bytes query = 2; }

message Collapse { optional string field_name = 1; }
message NestedFilter { optional string path = 1; optional Query filter = 2; }
message ScoreSort { optional int32 order = 1; }
message FieldSort {
  optional string field_name = 1; optional int32 order = 2; optional int32 mode = 3; optional NestedFilter nested_filter = 4;
  optional bytes missing_value = 5; optional string missing_field = 6;
}
message DocSort { optional int32 order = 1; }
message GeoDistanceSort {
  optional string field_name = 1; repeated string points = 2; optional int32 order = 3; optional int32 mode = 4;
  optional int32 distance_type = 5; optional NestedFilter nested_filter = 6;
}
message PrimaryKeySort { optional int32 order = 1; }
message Sorter {
  optional FieldSort field_sort = 1; optional GeoDistanceSort geo_distance_sort = 2; optional ScoreSort score_sort = 3;
  optional PrimaryKeySort pk_sort = 4; optional DocSort doc_sort = 5;
}
message Sort { repeated Sorter sorter = 1; }
message SearchQuery {
  optional int32 offset = 1; optional int32 limit = 2; optional Query query = 4; optional Collapse collapse = 5; optional Sort sort = 6;
  optional bool getTotalCount = 8; optional bytes token = 9; optional Aggregations aggs = 10; optional GroupBys group_bys = 11;
  optional bytes highlight = 12;
}
message ColumnsToGet { optional int32 return_type = 1; repeated string column_names = 2; }
message SearchRequest {
  optional string table_name = 1; optional string index_name = 2; optional ColumnsToGet columns_to_get = 3; optional bytes search_query = 4;
  repeated bytes routing_values = 5; optional int32 timeout_ms = 6;
}
message CapacityUnit { optional int32 read = 1; optional int32 write = 2; }
message ConsumedCapacity { required CapacityUnit capacity_unit = 1; }
message SearchHit { optional double score = 3; }
message SearchResponse {
  optional int64 total_hits = 1; repeated bytes rows = 2; optional bool is_all_succeeded = 3; repeated SearchHit search_hits = 5;
  optional bytes next_token = 6; optional bytes aggs = 7; optional bytes group_bys = 8; optional ConsumedCapacity consumed = 9;
  optional ConsumedCapacity reserved_consumed = 10;
}

message SingleWordAnalyzerParameter { optional bool case_sensitive = 1; optional bool delimit_word = 2; }
message SplitAnalyzerParameter { optional string delimiter = 1; optional bool case_sensitive = 2; }
message FuzzyAnalyzerParameter { optional int32 min_chars = 1; optional int32 max_chars = 2; optional bool case_sensitive = 3; }
message FieldSchema {
  optional string field_name = 1; optional int32 field_type = 2; optional int32 index_options = 3; optional string analyzer = 4;
  optional bool index = 5; optional bool doc_values = 6; optional bool store = 7; repeated FieldSchema field_schemas = 8;
  optional bool is_array = 9; optional bytes analyzer_parameter = 10; optional bool is_virtual_field = 11;
  repeated string source_field_names = 12; repeated string date_formats = 13; optional bool enable_highlighting = 14;
  optional bytes vector_options = 15;
}
message IndexSetting { optional int32 number_of_shards = 1; repeated string routing_fields = 2; optional int32 routing_partition_size = 3; }
message IndexSchema { repeated FieldSchema field_schemas = 1; optional IndexSetting index_setting = 2; optional Sort index_sort = 3; }
message CreateSearchIndexRequest {
  required string table_name = 1; required string index_name = 2; optional IndexSchema schema = 3; optional string source_index_name = 4;
  optional int32 time_to_live = 5;
}
message UpdateSearchIndexRequest { optional string table_name = 1; optional string index_name = 2; optional int32 time_to_live = 5; }
message IndexInfo { optional string table_name = 1; optional string index_name = 2; }
message ListSearchIndexRequest { optional string table_name = 1; }
message ListSearchIndexResponse { repeated IndexInfo indices = 1; }
message IndexNameRequest { optional string table_name = 1; optional string index_name = 2; }
message SyncStat { optional int32 sync_phase = 1; optional int64 current_sync_timestamp = 2; }
message MeteringInfo { optional int64 storage_size = 1; optional int64 row_count = 2; optional int64 reserved_read_cu = 3; optional int64 timestamp = 4; }
message IndexStatus { optional int32 status = 1; optional string status_description = 2; }
message DescribeSearchIndexResponse {
  optional IndexSchema schema = 1; optional SyncStat sync_stat = 2; optional MeteringInfo metering_info = 3;
  optional string brother_index_name = 4; optional int64 create_time = 6; optional int32 time_to_live = 7;
  optional IndexStatus index_status = 8;
}
message ComputeSplitsRequest { optional string table_name = 1; optional SearchIndexSplitsOptions search_index_splits_options = 2; }
message SearchIndexSplitsOptions { optional string index_name = 1; }
message ComputeSplitsResponse { optional bytes session_id = 1; optional int32 splits_size = 2; }
message ScanQuery {
  optional Query query = 1; optional int32 limit = 2; optional int32 alive_time = 3; optional bytes token = 4;
  optional int32 current_parallel_id = 5; optional int32 max_parallel = 6;
}
message ParallelScanRequest {
  optional string table_name = 1; optional string index_name = 2; optional ColumnsToGet columns_to_get = 3; optional bytes session_id = 4;
  optional ScanQuery scan_query = 5; optional int32 timeout_ms = 6;
}
message ParallelScanResponse { repeated bytes rows = 1; optional bytes next_token = 2; }

message PrimaryKeySchema { required string name = 1; required int32 type = 2; optional int32 option = 3; }
message SplitLocation { required string location = 1; required sint64 repeat = 2; }
message ComputeSplitPointsBySizeRequest { required string table_name = 1; required int64 split_size = 2; optional int64 split_size_unit_in_byte = 3; }
message ComputeSplitPointsBySizeResponse {
  required ConsumedCapacity consumed = 1; repeated PrimaryKeySchema schema = 2; repeated bytes split_points = 3;
  repeated SplitLocation locations = 4;
}
`;

const searchRoot: protobuf.Root = protobuf.parse(SEARCH_PROTO, { keepCase: true }).root;
// Search messages nest query/aggregation bytes whose type is only known at run time, so callers name the shape.
const codec = protoCodec<Record<string, object>>(searchRoot, 'search');

/** Decodes search message `name` (malformed bytes throw ProtoDecodeError → 400 OTSParameterInvalid). */
export function decodeSearch<T extends object>(name: string, bytes: Uint8Array): T {
  return codec.decode(name, bytes) as T;
}

export function encodeSearch<T extends object>(name: string, value: T): Uint8Array {
  return codec.encode(name, value);
}

// ------------------------------------------------------------------------------------ typed message shapes

type Int64 = bigint | number;

export interface QueryMsg { type?: number; query?: Uint8Array }
export interface SortOrderMsg { order?: number }
export interface NestedFilterMsg { path?: string; filter?: QueryMsg }
export interface FieldSortMsg {
  field_name?: string;
  order?: number;
  mode?: number;
  nested_filter?: NestedFilterMsg;
  missing_value?: Uint8Array;
  missing_field?: string;
}
export interface GeoDistanceSortMsg { field_name?: string; points: string[]; order?: number; mode?: number; distance_type?: number; nested_filter?: NestedFilterMsg }
export interface SorterMsg {
  field_sort?: FieldSortMsg;
  geo_distance_sort?: GeoDistanceSortMsg;
  score_sort?: SortOrderMsg;
  pk_sort?: SortOrderMsg;
  doc_sort?: SortOrderMsg;
}
export interface SortMsg { sorter: SorterMsg[] }
export interface AggregationMsg { name?: string; type?: number; body?: Uint8Array }
export interface AggregationsMsg { aggs: AggregationMsg[] }
export interface GroupByMsg { name?: string; type?: number; body?: Uint8Array }
export interface GroupBysMsg { group_bys: GroupByMsg[] }
export interface SearchQueryMsg {
  offset?: number;
  limit?: number;
  query?: QueryMsg;
  collapse?: { field_name?: string };
  sort?: SortMsg;
  getTotalCount?: boolean;
  token?: Uint8Array;
  aggs?: AggregationsMsg;
  group_bys?: GroupBysMsg;
  highlight?: Uint8Array;
}
export interface ColumnsToGetMsg { return_type?: number; column_names: string[] }
export interface SearchRequestMsg {
  table_name?: string;
  index_name?: string;
  columns_to_get?: ColumnsToGetMsg;
  search_query?: Uint8Array;
  routing_values: Uint8Array[];
  timeout_ms?: number;
}
export interface FieldSchemaMsg {
  field_name?: string;
  field_type?: number;
  index_options?: number;
  analyzer?: string;
  index?: boolean;
  doc_values?: boolean;
  store?: boolean;
  field_schemas: FieldSchemaMsg[];
  is_array?: boolean;
  analyzer_parameter?: Uint8Array;
  is_virtual_field?: boolean;
  source_field_names: string[];
  date_formats: string[];
  enable_highlighting?: boolean;
  vector_options?: Uint8Array;
}
export interface IndexSettingMsg { number_of_shards?: number; routing_fields: string[]; routing_partition_size?: number }
export interface IndexSchemaMsg { field_schemas: FieldSchemaMsg[]; index_setting?: IndexSettingMsg; index_sort?: SortMsg }
export interface CreateSearchIndexRequestMsg {
  table_name: string;
  index_name: string;
  schema?: IndexSchemaMsg;
  source_index_name?: string;
  time_to_live?: number;
}
export interface UpdateSearchIndexRequestMsg { table_name?: string; index_name?: string; time_to_live?: number }
export interface IndexNameRequestMsg { table_name?: string; index_name?: string }
export interface ScanQueryMsg {
  query?: QueryMsg;
  limit?: number;
  alive_time?: number;
  token?: Uint8Array;
  current_parallel_id?: number;
  max_parallel?: number;
}
export interface ParallelScanRequestMsg {
  table_name?: string;
  index_name?: string;
  columns_to_get?: ColumnsToGetMsg;
  session_id?: Uint8Array;
  scan_query?: ScanQueryMsg;
  timeout_ms?: number;
}
export interface ComputeSplitsRequestMsg { table_name?: string; search_index_splits_options?: { index_name?: string } }
export interface ComputeSplitPointsBySizeRequestMsg { table_name: string; split_size: Int64; split_size_unit_in_byte?: Int64 }

/** Enum values on the wire (docs/protocol-search.md §1). */
export const FieldType = { LONG: 1, DOUBLE: 2, BOOLEAN: 3, KEYWORD: 4, TEXT: 5, NESTED: 6, GEO_POINT: 7, DATE: 8, VECTOR: 9 } as const;
export const QueryType = {
  MATCH: 1,
  MATCH_PHRASE: 2,
  TERM: 3,
  RANGE: 4,
  PREFIX: 5,
  BOOL: 6,
  CONST_SCORE: 7,
  FUNCTION_SCORE: 8,
  NESTED: 9,
  WILDCARD: 10,
  MATCH_ALL: 11,
  GEO_BOUNDING_BOX: 12,
  GEO_DISTANCE: 13,
  GEO_POLYGON: 14,
  TERMS: 15,
  EXISTS: 16,
  KNN_VECTOR: 17,
  FUNCTIONS_SCORE: 18,
} as const;
export const AggType = { AVG: 1, MAX: 2, MIN: 3, SUM: 4, COUNT: 5, DISTINCT_COUNT: 6, TOP_ROWS: 7, PERCENTILES: 8 } as const;
export const GroupByType = { FIELD: 1, RANGE: 2, FILTER: 3, GEO_DISTANCE: 4, HISTOGRAM: 5, DATE_HISTOGRAM: 6, GEO_GRID: 7, COMPOSITE: 8 } as const;
export const ReturnType = { ALL: 1, SPECIFIED: 2, NONE: 3, ALL_FROM_INDEX: 4 } as const;
