/**
 * Search-index protobuf messages (see docs/protocol-search.md §1): the codec over the generated field tables of
 * protocol/proto/search.proto, the message shapes and the wire enums, shared by the lean search client
 * (client.ts beside this file) and Tablestore Local's search handlers. Queries, aggregations and group-bys
 * travel as nested message bytes (`Query.query`, `Aggregation.body`, ...); values (terms, range bounds,
 * missing values, histogram keys) travel as bare PlainBuffer variants (`vtype payload`).
 */
import { protoCodec } from '../protocol/proto/codec';
import { SEARCH } from '../protocol/proto/descriptors';

// Search messages nest query/aggregation bytes whose type is only known at run time, so callers name the shape.
const codec = protoCodec<Record<string, object>>(SEARCH);

/** Decodes search message `name` (malformed bytes throw ProtoDecodeError → 400 OTSParameterInvalid). */
export function decodeSearch<T extends object>(name: string, bytes: Uint8Array): T {
  return codec.decode(name, bytes) as T;
}

export function encodeSearch<T extends object>(name: string, value: T): Uint8Array {
  return codec.encode(name, value);
}

// ------------------------------------------------------------------------------------ typed message shapes

type Int64 = bigint | number;

export interface QueryMsg {
  type?: number;
  query?: Uint8Array;
}
export interface SortOrderMsg {
  order?: number;
}
export interface NestedFilterMsg {
  path?: string;
  filter?: QueryMsg;
}
export interface FieldSortMsg {
  field_name?: string;
  order?: number;
  mode?: number;
  nested_filter?: NestedFilterMsg;
  missing_value?: Uint8Array;
  missing_field?: string;
}
export interface GeoDistanceSortMsg {
  field_name?: string;
  points: string[];
  order?: number;
  mode?: number;
  distance_type?: number;
  nested_filter?: NestedFilterMsg;
}
export interface SorterMsg {
  field_sort?: FieldSortMsg;
  geo_distance_sort?: GeoDistanceSortMsg;
  score_sort?: SortOrderMsg;
  pk_sort?: SortOrderMsg;
  doc_sort?: SortOrderMsg;
}
export interface SortMsg {
  sorter: SorterMsg[];
}
export interface AggregationMsg {
  name?: string;
  type?: number;
  body?: Uint8Array;
}
export interface AggregationsMsg {
  aggs: AggregationMsg[];
}
export interface GroupByMsg {
  name?: string;
  type?: number;
  body?: Uint8Array;
}
export interface GroupBysMsg {
  group_bys: GroupByMsg[];
}
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
export interface ColumnsToGetMsg {
  return_type?: number;
  column_names: string[];
}
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
export interface IndexSettingMsg {
  number_of_shards?: number;
  routing_fields: string[];
  routing_partition_size?: number;
}
export interface IndexSchemaMsg {
  field_schemas: FieldSchemaMsg[];
  index_setting?: IndexSettingMsg;
  index_sort?: SortMsg;
}
export interface CreateSearchIndexRequestMsg {
  table_name: string;
  index_name: string;
  schema?: IndexSchemaMsg;
  source_index_name?: string;
  time_to_live?: number;
}
export interface UpdateSearchIndexRequestMsg {
  table_name?: string;
  index_name?: string;
  time_to_live?: number;
}
export interface IndexNameRequestMsg {
  table_name?: string;
  index_name?: string;
}
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
export interface ComputeSplitsRequestMsg {
  table_name?: string;
  search_index_splits_options?: { index_name?: string };
}
export interface ComputeSplitPointsBySizeRequestMsg {
  table_name: string;
  split_size: Int64;
  split_size_unit_in_byte?: Int64;
}

/** Enum values on the wire (docs/protocol-search.md §1). */
export const FieldType = {
  LONG: 1,
  DOUBLE: 2,
  BOOLEAN: 3,
  KEYWORD: 4,
  TEXT: 5,
  NESTED: 6,
  GEO_POINT: 7,
  DATE: 8,
  VECTOR: 9,
} as const;
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
export const AggType = {
  AVG: 1,
  MAX: 2,
  MIN: 3,
  SUM: 4,
  COUNT: 5,
  DISTINCT_COUNT: 6,
  TOP_ROWS: 7,
  PERCENTILES: 8,
} as const;
export const GroupByType = {
  FIELD: 1,
  RANGE: 2,
  FILTER: 3,
  GEO_DISTANCE: 4,
  HISTOGRAM: 5,
  DATE_HISTOGRAM: 6,
  GEO_GRID: 7,
  COMPOSITE: 8,
} as const;
export const ReturnType = { ALL: 1, SPECIFIED: 2, NONE: 3, ALL_FROM_INDEX: 4 } as const;
