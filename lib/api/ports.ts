/**
 * What the routes need from Tablestore, in our own terms. wide-adapter.ts and timeseries-adapter.ts implement
 * these over the shared WideTableClient and TimeseriesClient; keeping the routes on this narrow surface documents exactly which
 * Tablestore APIs (and therefore which RAM actions) each route uses.
 */
import type { CallOptions, Transport } from '../tablestore/transport/index';
import type { IndexDescription, SqlQueryResult } from '../tablestore/wide';
import type { PkBound, PkType, TsValue } from './lossless';

export type PrimaryKey = Array<[name: string, value: TsValue]>;
export type PrimaryKeyBound = Array<[name: string, value: PkBound]>;

export interface PkColumn {
  readonly name: string;
  readonly type: PkType;
  readonly autoIncrement?: boolean;
}

export interface WideTableInfo {
  readonly name: string;
  readonly primaryKey: readonly PkColumn[];
  readonly definedColumns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly options: {
    /** seconds; -1 = never expire */
    readonly timeToLive?: number;
    readonly maxVersions?: number;
    readonly deviationCellVersionInSec?: number;
    readonly allowUpdate?: boolean;
  };
  readonly reservedThroughput?: { readonly read: number; readonly write: number };
  readonly status?: string;
  /** Secondary indexes (docs/protocol-indexes.md), in creation order. */
  readonly indexes?: readonly IndexInfo[];
}

/** A secondary index as DescribeTable lists it: the wide client's description serves the routes as it is. */
export type IndexInfo = IndexDescription;

export interface WideRow {
  readonly primaryKey: PrimaryKey;
  /** Latest version of each attribute column; timestamp in ms when known. */
  readonly columns: ReadonlyArray<{ readonly name: string; readonly value: TsValue; readonly timestamp?: number }>;
}

export interface RangeQuery {
  readonly table: string;
  readonly direction: 'forward' | 'backward';
  readonly start: PrimaryKeyBound;
  readonly end: PrimaryKeyBound;
  readonly limit: number;
  readonly columns?: readonly string[];
  /** Row filter evaluated by Tablestore (a page it empties still carries `next` while the range goes on). */
  readonly filter?: ColumnFilter;
  /**
   * Versions per column to read (default 1). A filter compares only the versions read, so a comparison with
   * `latestVersionOnly: false` needs more than one; rows then carry several versions per column, newest first.
   */
  readonly maxVersions?: number;
}

/**
 * A Tablestore column filter in our own terms; the wide adapter encodes it for the wire. `passIfMissing`:
 * a row without the column passes; `latestVersionOnly`: compare only the newest version of the column.
 */
export type ColumnFilter =
  | {
      readonly kind: 'compare';
      readonly column: string;
      readonly op: '=' | '!=' | '>' | '>=' | '<' | '<=';
      readonly value: TsValue;
      readonly passIfMissing: boolean;
      readonly latestVersionOnly: boolean;
    }
  | { readonly kind: 'and' | 'or'; readonly filters: readonly ColumnFilter[] }
  | { readonly kind: 'not'; readonly filter: ColumnFilter };

export interface WideReader {
  /** ots:ListTable */
  listTables(): Promise<string[]>;
  /** ots:DescribeTable */
  describeTable(table: string): Promise<WideTableInfo>;
  /** ots:DescribeTable, answered from a short-lived per-caller cache (what /rows and /row need). */
  schema(table: string): Promise<WideTableInfo>;
  /** ots:GetRow; undefined when the row does not exist. */
  getRow(table: string, primaryKey: PrimaryKey, columns?: readonly string[]): Promise<WideRow | undefined>;
  /** ots:GetRange; `next` is the full primary key to continue from, absent when the range is done. */
  getRange(query: RangeQuery): Promise<{ rows: WideRow[]; next?: PrimaryKey }>;
  /**
   * ots:BatchGetRow on one table, in as many requests as its 100-row limit needs; one entry per key, in
   * order, undefined where the row does not exist. A row the service failed fails the whole call.
   */
  batchGetRow(
    table: string,
    primaryKeys: readonly PrimaryKey[],
    columns?: readonly string[],
  ): Promise<Array<WideRow | undefined>>;
  /** One SQL statement (ots:SQLSelect, ots:SQLShowTable or ots:SQLDescribeTable by its kind). */
  sql(statement: string): Promise<SqlQueryResult>;
}

export interface TimeseriesTableInfo {
  readonly name: string;
  /** seconds; -1 = forever */
  readonly timeToLive?: number;
  readonly metaTimeToLive?: number;
  readonly allowUpdateAttributes?: boolean;
  readonly timeseriesKeys?: readonly string[];
  readonly fieldPrimaryKeys?: readonly string[];
  readonly status?: string;
}

export interface SeriesKey {
  readonly measurement: string;
  readonly source: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SeriesMeta {
  readonly key: SeriesKey;
  readonly attributes: Readonly<Record<string, string>>;
  /** µs since the epoch */
  readonly updateTime?: number;
}

export interface MetaQuery {
  readonly table: string;
  readonly measurement?: string;
  readonly source?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** µs; only series updated strictly after this time */
  readonly updatedAfter?: number;
  /** µs; only series updated strictly before this time */
  readonly updatedBefore?: number;
  readonly limit: number;
  readonly token?: Uint8Array;
}

export interface DataQuery {
  readonly table: string;
  readonly key: SeriesKey;
  /** µs, inclusive */
  readonly begin: number;
  /** µs, exclusive; absent = unbounded */
  readonly end?: number;
  readonly backward: boolean;
  readonly limit: number;
  readonly token?: Uint8Array;
}

export interface Point {
  /** µs since the epoch */
  readonly time: number;
  /**
   * Field values by name: the record the time series client decodes, passed through as it is (the hot path of
   * /points, docs/functions.md "Warm overhead").
   */
  readonly fields: Readonly<Record<string, TsValue>>;
}

export interface TimeseriesReader {
  /** ots:ListTimeseriesTable */
  listTables(): Promise<TimeseriesTableInfo[]>;
  /** ots:DescribeTimeseriesTable */
  describeTable(table: string): Promise<TimeseriesTableInfo>;
  /** ots:QueryTimeseriesMeta */
  queryMeta(query: MetaQuery): Promise<{ series: SeriesMeta[]; next?: Uint8Array }>;
  /** ots:GetTimeseriesData */
  getData(query: DataQuery): Promise<{ points: Point[]; next?: Uint8Array }>;
}

/**
 * What the search routes need (ots:Search, ots:ListSearchIndex, ots:DescribeSearchIndex): the shared
 * transport, on which lib/api/routes/search-service.ts (loaded with the first search request) runs the lean
 * SearchClient, and each call's deadline and cancellation.
 */
export interface SearchAccess {
  readonly transport: Transport;
  options(): Pick<CallOptions, 'deadlineMs' | 'signal'>;
}

export interface TablestoreReaders {
  readonly wide: WideReader;
  readonly timeseries: TimeseriesReader;
  /** Absent where nothing searches (test doubles of the other readers). */
  readonly search?: SearchAccess;
}
