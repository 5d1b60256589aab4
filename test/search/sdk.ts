/**
 * The official Node SDK's search calls, loosely typed for tests (the SDK ships no types), plus small helpers
 * to read its results.
 */
import { TableStore, type SdkClient, type SdkResult, type SdkRow } from '../helpers/tablestore-local';

type Call = (params: object) => Promise<SdkResult>;

export interface SearchSdkClient extends SdkClient {
  readonly createSearchIndex: Call;
  readonly listSearchIndex: Call;
  readonly describeSearchIndex: Call;
  readonly updateSearchIndex: Call;
  readonly deleteSearchIndex: Call;
  readonly search: Call;
  readonly computeSplits: Call;
  readonly parallelScan: Call;
}

export interface SearchSdk {
  readonly FieldType: Record<
    'LONG' | 'DOUBLE' | 'BOOLEAN' | 'KEYWORD' | 'TEXT' | 'NESTED' | 'GEO_POINT' | 'DATE',
    number
  >;
  readonly QueryType: Record<string, number>;
  readonly QueryOperator: Record<'OR' | 'AND', number>;
  readonly SortOrder: Record<'SORT_ORDER_ASC' | 'SORT_ORDER_DESC', number>;
  readonly SortMode: Record<'SORT_MODE_MIN' | 'SORT_MODE_MAX' | 'SORT_MODE_AVG', number>;
  readonly ColumnReturnType: Record<
    'RETURN_ALL' | 'RETURN_SPECIFIED' | 'RETURN_NONE' | 'RETURN_ALL_FROM_INDEX',
    number
  >;
  readonly AggregationType: Record<string, number>;
  readonly GroupByType: Record<string, number>;
  readonly DateTimeUnit: Record<string, number>;
}

export const Sdk = TableStore as unknown as SearchSdk & typeof TableStore;

export function asSearch(client: SdkClient): SearchSdkClient {
  return client as SearchSdkClient;
}

/** A primary-key cell's value as a plain string (the SDK gives Long objects for integers). */
export function pkString(row: SdkRow): string {
  return (row.primaryKey ?? []).map((c) => String(c.value)).join('|');
}

export function attr(row: SdkRow, name: string): unknown {
  return row.attributes?.find((a) => a.columnName === name)?.columnValue;
}
