/** Public types of the time series client. Times are microseconds since the Unix epoch. */
import type { PrimaryKeyType } from '../values';
import type { TimeseriesFieldValue } from '../protocol/flatbuffer-rows';

export type { TimeseriesFieldValue } from '../protocol/flatbuffer-rows';

/** A value accepted wherever a time is given: µs as bigint or number, or a Date (ms precision). */
export type TimeInput = bigint | number | Date;

/** Identifies one time series. */
export interface TimeseriesKey {
  readonly measurement: string;
  /** May be empty. */
  readonly dataSource: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * One data point. Field types follow the JS type: bigint = LONG (int64, lossless), number = DOUBLE,
 * boolean = BOOLEAN, string = STRING, Uint8Array = BINARY.
 */
export interface TimeseriesRow {
  readonly key: TimeseriesKey;
  /** µs */
  readonly time: bigint;
  readonly fields: Readonly<Record<string, TimeseriesFieldValue>>;
}

/** Input form of a row: the time may be given as number, bigint or Date. */
export interface TimeseriesRowInput {
  readonly key: TimeseriesKey;
  readonly time: TimeInput;
  readonly fields: Readonly<Record<string, TimeseriesFieldValue>>;
  /** The meta update time (s) this writer last saw for the series; 0/absent if unknown. */
  readonly metaCacheUpdateTime?: number;
}

export interface TimeseriesMeta {
  readonly key: TimeseriesKey;
  readonly attributes: Readonly<Record<string, string>>;
  /** µs; 0n when the service did not send one. */
  readonly updateTime: bigint;
}

export type { PrimaryKeyType };

export interface TimeseriesMetaOptions {
  /** Default true. Must be false to set a meta TTL. */
  readonly allowUpdateAttributes?: boolean;
  /** Seconds; -1 = forever (default). */
  readonly metaTimeToLive?: number;
}

export interface TimeseriesTableMeta {
  readonly tableName: string;
  /** Seconds; -1 = forever. */
  readonly timeToLive: number;
  readonly metaOptions: { readonly allowUpdateAttributes: boolean; readonly metaTimeToLive: number };
  /** e.g. "CREATED". */
  readonly status?: string;
  readonly timeseriesKeySchema: readonly string[];
  readonly fieldPrimaryKeySchema: readonly { readonly name: string; readonly type: PrimaryKeyType }[];
  readonly disableHashPartitionKey: boolean;
  readonly disableTimeseriesMetaIndex: boolean;
}

export interface CreateTimeseriesTableRequest {
  readonly tableName: string;
  /** Seconds, -1 (default) or ≥ 86400. */
  readonly timeToLive?: number;
  readonly metaOptions?: TimeseriesMetaOptions;
  readonly timeseriesKeySchema?: readonly string[];
  readonly fieldPrimaryKeySchema?: readonly { readonly name: string; readonly type: PrimaryKeyType }[];
  readonly disableHashPartitionKey?: boolean;
  readonly disableTimeseriesMetaIndex?: boolean;
}

export interface UpdateTimeseriesTableRequest {
  readonly tableName: string;
  readonly timeToLive?: number;
  readonly metaOptions?: TimeseriesMetaOptions;
}

export type FieldTypeName = 'long' | 'boolean' | 'double' | 'string' | 'binary';

export interface GetTimeseriesDataRequest {
  readonly tableName: string;
  readonly key: TimeseriesKey;
  /** Inclusive, µs (default 0). */
  readonly beginTime?: TimeInput;
  /** Exclusive, µs (default: the end of time). */
  readonly endTime?: TimeInput;
  /** Points per page; the service caps it at 5000. */
  readonly limit?: number;
  /** Newest first. */
  readonly backward?: boolean;
  /** Only these fields; a field whose stored type differs is left out. */
  readonly fieldsToGet?: readonly { readonly name: string; readonly type: FieldTypeName }[];
  /** `nextToken` of the previous page. */
  readonly nextToken?: Uint8Array | undefined;
}

export interface GetTimeseriesDataResult {
  readonly rows: TimeseriesRow[];
  /** Present while more points remain. */
  readonly nextToken?: Uint8Array;
}

export interface PutTimeseriesDataRequest {
  readonly tableName: string;
  readonly rows: readonly TimeseriesRowInput[];
  /** 'normal' (default) keeps series meta up to date; 'ignore' skips meta maintenance. */
  readonly metaUpdateMode?: 'normal' | 'ignore';
}

export interface FailedRow {
  /** Index into the request's rows. */
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

export interface PutTimeseriesDataResult {
  readonly failedRows: FailedRow[];
  /** Rows whose series meta the service created or refreshed, with the new update time (s). */
  readonly metaUpdates: { readonly index: number; readonly updateTimeSeconds: number }[];
}

export interface QueryTimeseriesMetaRequest {
  readonly tableName: string;
  readonly condition?: import('./conditions').MetaCondition;
  readonly getTotalHit?: boolean;
  readonly limit?: number;
  readonly nextToken?: Uint8Array | undefined;
}

export interface QueryTimeseriesMetaResult {
  readonly metas: TimeseriesMeta[];
  /** Number of series matching the condition (only when `getTotalHit` was set). */
  readonly totalHit?: number;
  readonly nextToken?: Uint8Array;
}

export interface UpdateTimeseriesMetaRequest {
  readonly tableName: string;
  readonly metas: readonly { readonly key: TimeseriesKey; readonly attributes: Readonly<Record<string, string>> }[];
}

export interface DeleteTimeseriesMetaRequest {
  readonly tableName: string;
  readonly keys: readonly TimeseriesKey[];
}

export interface FailedRowsResult {
  readonly failedRows: FailedRow[];
}

export interface SplitTimeseriesScanTaskRequest {
  readonly tableName: string;
  /** Only this measurement's series. */
  readonly measurement?: string;
  readonly splitCountHint: number;
}

export interface ScanTimeseriesDataRequest {
  readonly tableName: string;
  /** One of splitTimeseriesScanTask's results; absent = the whole table. */
  readonly splitInfo?: Uint8Array;
  /** Inclusive, µs (default 0). */
  readonly beginTime?: TimeInput;
  /** Exclusive, µs (default: the end of time). */
  readonly endTime?: TimeInput;
  readonly fieldsToGet?: readonly { readonly name: string; readonly type: FieldTypeName }[];
  /** Points per page (≤ 5000). */
  readonly limit?: number;
  readonly nextToken?: Uint8Array | undefined;
}
