/** Shapes of the JSON API's answers, as the explorer reads them (see docs/functions.md for the contract). */

/** A lossless JSON value: exact int64 and binary are tagged objects, never lossy numbers. */
export type Lossless =
  | null
  | string
  | number
  | boolean
  | { readonly $int64: string }
  | { readonly $binary: string }
  | { readonly $double: string }
  | { readonly $string: string };

export type PkType = 'STRING' | 'INTEGER' | 'BINARY';

export interface WideTable {
  readonly table: string;
  readonly primaryKey: ReadonlyArray<{
    readonly name: string;
    readonly type: PkType;
    readonly autoIncrement?: boolean;
  }>;
  readonly definedColumns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly options: Readonly<Record<string, number | boolean | string>>;
  readonly reservedThroughput?: { readonly read: number; readonly write: number };
  /** Present once the API reports indexes. */
  readonly indexes?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

export interface Row {
  readonly primaryKey: Readonly<Record<string, Lossless>>;
  readonly columns: Readonly<Record<string, Lossless>>;
}

export interface RowsPage {
  readonly rows: readonly Row[];
  readonly next: string | null;
}

export interface TsTable {
  readonly table: string;
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

export interface SeriesMeta extends SeriesKey {
  readonly attributes: Readonly<Record<string, string>>;
  /** Microseconds since the epoch. */
  readonly updateTime?: number;
}

export interface SeriesPage {
  readonly series: readonly SeriesMeta[];
  readonly next: string | null;
}

export interface Point {
  /** Microseconds since the epoch. */
  readonly time: number;
  readonly fields: Readonly<Record<string, Lossless>>;
}

export interface PointsPage {
  readonly points: readonly Point[];
  readonly next: string | null;
}

export interface Health {
  readonly instance?: string;
  readonly region?: string;
}

/** POST /sql's answer: typed columns, rows keyed by column name, and whether the statement had more rows. */
export interface SqlAnswer {
  readonly statement: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<Readonly<Record<string, Lossless>>>;
  readonly truncated: boolean;
}

export interface SearchField {
  readonly name: string;
  readonly type: string;
  readonly fields?: readonly SearchField[];
}

/** GET /tables/{t}/search-indexes. */
export interface SearchIndexes {
  readonly indexes: ReadonlyArray<{ readonly index: string; readonly fields: readonly SearchField[] }>;
}

export interface AggregationValue {
  readonly value?: Lossless;
  readonly rows?: readonly Row[];
  readonly percentiles?: ReadonlyArray<{ readonly percentile: number; readonly value: Lossless }>;
}

export interface GroupByItem {
  readonly [key: string]: unknown;
  readonly aggregations?: Readonly<Record<string, AggregationValue>>;
  readonly groupBys?: Readonly<Record<string, { readonly items: readonly GroupByItem[] }>>;
}

/** The search routes' answer. */
export interface SearchAnswer extends RowsPage {
  readonly totalCount?: number;
  readonly aggregations?: Readonly<Record<string, AggregationValue>>;
  readonly groupBys?: Readonly<Record<string, { readonly items: readonly GroupByItem[] }>>;
}

/** GET /tables/{t}/indexes: secondary indexes, each with its own key. */
export interface IndexInfo {
  readonly name: string;
  readonly type: string;
  readonly updateMode: string;
  readonly indexColumns: readonly string[];
  readonly primaryKey: ReadonlyArray<{ readonly name: string; readonly type: PkType }>;
  readonly definedColumns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
}

/** GET /tables/{t}/indexes/{i}/rows: /rows' page, plus what was read back from the base table. */
export interface IndexRowsPage extends RowsPage {
  readonly joined?: { readonly columns: readonly string[]; readonly baseReads: number; readonly missing: number };
}
