/**
 * Aggregations and group-bys as plain data (one-key objects naming the kind, like queries), their encoding
 * (checked, SearchInputError with a JSON pointer on bad input) and the decoding of their results into typed
 * plain objects (docs/protocol-search.md §1, §7).
 */
import { decodeColumnValue, decodeReadRows } from '../protocol/plainbuffer';
import { toRow, type Row } from '../wide';
import {
  arrayAt,
  DEFAULT_CONTEXT,
  encodeQuery,
  encodeSort,
  geoPointAt,
  intAt,
  numberAt,
  objectAt,
  oneKind,
  orderAt,
  stringAt,
  variantAt,
  escapePointer,
  type EncodeContext,
  type GeoPoint,
  type Query,
  type QueryValue,
  type Sort,
  type SortOrder,
} from './query';
import { failAt as fail } from './input-error';
import {
  AggType,
  decodeSearch,
  encodeSearch,
  GroupByType,
  type AggregationMsg,
  type AggregationsMsg,
  type GroupByMsg,
  type GroupBysMsg,
} from './wire';

export interface FieldAggregation {
  readonly field: string;
  /** Counted for rows without the field. */
  readonly missing?: QueryValue;
}

export type Aggregation =
  | { readonly avg: FieldAggregation }
  | { readonly max: FieldAggregation }
  | { readonly min: FieldAggregation }
  | { readonly sum: FieldAggregation }
  | { readonly count: { readonly field: string } }
  | { readonly distinctCount: FieldAggregation }
  | { readonly topRows: { readonly limit?: number; readonly sort?: readonly Sort[] } }
  | {
      readonly percentiles: {
        readonly field: string;
        readonly percentiles?: readonly number[];
        readonly missing?: QueryValue;
      };
    };

export type GroupSort =
  | { readonly key: SortOrder }
  | { readonly rowCount: SortOrder }
  | { readonly subAggregation: string; readonly order?: SortOrder };

export interface SubAggregations {
  readonly aggregations?: Readonly<Record<string, Aggregation>>;
  readonly groupBys?: Readonly<Record<string, GroupBy>>;
}

export type DateUnit = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond';
export interface Duration {
  readonly value: number;
  readonly unit: DateUnit;
}

export interface NumberRange {
  /** Inclusive; absent = unbounded. */
  readonly from?: number;
  /** Exclusive; absent = unbounded. */
  readonly to?: number;
}

export type GroupBy =
  | {
      readonly field: {
        readonly field: string;
        readonly size?: number;
        readonly minDocCount?: number;
        readonly sort?: readonly GroupSort[];
      } & SubAggregations;
    }
  | { readonly range: { readonly field: string; readonly ranges: readonly NumberRange[] } & SubAggregations }
  | { readonly filter: { readonly filters: readonly Query[] } & SubAggregations }
  | {
      readonly histogram: {
        readonly field: string;
        readonly interval: number | bigint;
        readonly offset?: number | bigint;
        readonly missing?: QueryValue;
        readonly minDocCount?: number;
        readonly fieldRange?: { readonly min: QueryValue; readonly max: QueryValue };
        readonly sort?: readonly GroupSort[];
      } & SubAggregations;
    }
  | {
      readonly dateHistogram: {
        readonly field: string;
        readonly interval: Duration;
        readonly offset?: Duration;
        /** A fixed offset such as `+08:00`. */
        readonly timeZone?: string;
        readonly missing?: QueryValue;
        readonly minDocCount?: number;
        readonly fieldRange?: { readonly min: QueryValue; readonly max: QueryValue };
        readonly sort?: readonly GroupSort[];
      } & SubAggregations;
    }
  | {
      readonly geoDistance: {
        readonly field: string;
        readonly origin: GeoPoint;
        readonly ranges: readonly NumberRange[];
      } & SubAggregations;
    };

// ------------------------------------------------------------------------------------------- results

export type AggregationResult =
  | { readonly kind: 'avg' | 'max' | 'min' | 'sum'; readonly value: number | null }
  | { readonly kind: 'count' | 'distinctCount'; readonly value: number }
  | { readonly kind: 'topRows'; readonly rows: Row[] }
  | {
      readonly kind: 'percentiles';
      readonly percentiles: ReadonlyArray<{ readonly percentile: number; readonly value: number | null }>;
    };

export interface Buckets {
  readonly aggregations: Readonly<Record<string, AggregationResult>>;
  readonly groupBys: Readonly<Record<string, GroupByResult>>;
}

export type GroupByResult =
  | {
      readonly kind: 'field';
      readonly items: ReadonlyArray<{ readonly key: string; readonly rowCount: number } & Buckets>;
    }
  | {
      readonly kind: 'range' | 'geoDistance';
      readonly items: ReadonlyArray<
        { readonly from: number; readonly to: number; readonly rowCount: number } & Buckets
      >;
    }
  | { readonly kind: 'filter'; readonly items: ReadonlyArray<{ readonly rowCount: number } & Buckets> }
  | {
      readonly kind: 'histogram';
      readonly items: ReadonlyArray<{ readonly key: number; readonly rowCount: number } & Buckets>;
    }
  | {
      readonly kind: 'dateHistogram';
      readonly items: ReadonlyArray<{ readonly timestamp: number; readonly rowCount: number } & Buckets>;
    };

type KindOf<T> = T extends Record<infer K, unknown> ? K : never;
/** The members of result union `R` whose `kind` includes `K` (several kinds share one result shape). */
type ResultOf<R, K> = R extends { readonly kind: infer RK }
  ? [K] extends [RK]
    ? R
    : [RK] extends [K]
      ? R
      : never
  : never;

/** The result type of one aggregation spec. */
export type AggregationResultOf<A> = ResultOf<AggregationResult, KindOf<A>>;
/** The result type of one group-by spec. */
export type GroupByResultOf<G> = ResultOf<GroupByResult, KindOf<G>>;

// ------------------------------------------------------------------------------------------ encoding

const AGG_KINDS = ['avg', 'max', 'min', 'sum', 'count', 'distinctCount', 'topRows', 'percentiles'] as const;
const AGG_TYPE: Record<(typeof AGG_KINDS)[number], number> = {
  avg: AggType.AVG,
  max: AggType.MAX,
  min: AggType.MIN,
  sum: AggType.SUM,
  count: AggType.COUNT,
  distinctCount: AggType.DISTINCT_COUNT,
  topRows: AggType.TOP_ROWS,
  percentiles: AggType.PERCENTILES,
};
const GROUP_KINDS = ['field', 'range', 'filter', 'histogram', 'dateHistogram', 'geoDistance'] as const;
const GROUP_TYPE: Record<(typeof GROUP_KINDS)[number], number> = {
  field: GroupByType.FIELD,
  range: GroupByType.RANGE,
  filter: GroupByType.FILTER,
  histogram: GroupByType.HISTOGRAM,
  dateHistogram: GroupByType.DATE_HISTOGRAM,
  geoDistance: GroupByType.GEO_DISTANCE,
};
const DATE_UNIT: Record<DateUnit, number> = {
  year: 1,
  quarter: 2,
  month: 3,
  week: 4,
  day: 5,
  hour: 6,
  minute: 7,
  second: 8,
  millisecond: 9,
};
const MAX_NAMES = 100;
const MAX_DEPTH = 8;
const INT32_MAX = 2 ** 31 - 1;

function namedEntries(raw: unknown, pointer: string): Array<[string, unknown, string]> {
  const o = objectAt(raw, pointer, Object.keys(raw ?? {}));
  const names = Object.keys(o);
  if (names.length > MAX_NAMES) fail(pointer, `must have at most ${MAX_NAMES} entries`);
  return names.map((n) => {
    if (n.length === 0 || n.length > 128) fail(`${pointer}/${escapePointer(n)}`, 'names must have 1 to 128 characters');
    return [n, o[n], `${pointer}/${escapePointer(n)}`];
  });
}

function missingOf(o: Record<string, unknown>, p: string, ctx: EncodeContext) {
  return o.missing === undefined ? {} : { missing: variantAt(o.missing, `${p}/missing`, ctx) };
}

/** Encodes (and checks) `{ name: aggregation }`. */
export function encodeAggregations(
  raw: unknown,
  pointer = '/aggregations',
  ctx: EncodeContext = DEFAULT_CONTEXT,
): AggregationsMsg {
  return {
    aggs: namedEntries(raw, pointer).map(([name, spec, at]): AggregationMsg => {
      const [kind, body] = oneKind(spec, at, AGG_KINDS);
      const p = `${at}/${kind}`;
      let bytes: Uint8Array;
      switch (kind) {
        case 'count': {
          const o = objectAt(body, p, ['field'], ['field']);
          bytes = encodeSearch('CountAggregation', { field_name: stringAt(o.field, `${p}/field`) });
          break;
        }
        case 'topRows': {
          const o = objectAt(body, p, ['limit', 'sort']);
          bytes = encodeSearch('TopRowsAggregation', {
            ...(o.limit === undefined ? {} : { limit: intAt(o.limit, `${p}/limit`, 1, 100) }),
            ...(o.sort === undefined ? {} : { sort: encodeSort(o.sort, `${p}/sort`, ctx) }),
          });
          break;
        }
        case 'percentiles': {
          const o = objectAt(body, p, ['field', 'percentiles', 'missing'], ['field']);
          const percentiles =
            o.percentiles === undefined
              ? []
              : arrayAt(o.percentiles, `${p}/percentiles`, 100, 1).map((v, i) => {
                  const n = numberAt(v, `${p}/percentiles/${i}`);
                  if (n < 0 || n > 100) fail(`${p}/percentiles/${i}`, 'must be between 0 and 100');
                  return n;
                });
          bytes = encodeSearch('PercentilesAggregation', {
            field_name: stringAt(o.field, `${p}/field`),
            percentiles,
            ...missingOf(o, p, ctx),
          });
          break;
        }
        default: {
          const o = objectAt(body, p, ['field', 'missing'], ['field']);
          bytes = encodeSearch('FieldAgg', { field_name: stringAt(o.field, `${p}/field`), ...missingOf(o, p, ctx) });
        }
      }
      return { name, type: AGG_TYPE[kind], body: bytes };
    }),
  };
}

function groupSort(raw: unknown, pointer: string) {
  return {
    sorters: arrayAt(raw, pointer, 8, 1).map((s, i) => {
      const p = `${pointer}/${i}`;
      const o = objectAt(s, p, ['key', 'rowCount', 'subAggregation', 'order']);
      if (o.key !== undefined) {
        objectAt(s, p, ['key']);
        return { group_key_sort: { order: orderAt(o.key, `${p}/key`) } };
      }
      if (o.rowCount !== undefined) {
        objectAt(s, p, ['rowCount']);
        return { row_count_sort: { order: orderAt(o.rowCount, `${p}/rowCount`) } };
      }
      if (o.subAggregation !== undefined) {
        return {
          sub_agg_sort: {
            sub_agg_name: stringAt(o.subAggregation, `${p}/subAggregation`),
            order: o.order === undefined ? 0 : orderAt(o.order, `${p}/order`),
          },
        };
      }
      return fail(p, 'must have one of key, rowCount, subAggregation');
    }),
  };
}

function ranges(raw: unknown, pointer: string) {
  return arrayAt(raw, pointer, 1000, 1).map((r, i) => {
    const p = `${pointer}/${i}`;
    const o = objectAt(r, p, ['from', 'to']);
    return {
      ...(o.from === undefined ? {} : { from: numberAt(o.from, `${p}/from`) }),
      ...(o.to === undefined ? {} : { to: numberAt(o.to, `${p}/to`) }),
    };
  });
}

function intervalVariant(raw: unknown, pointer: string, ctx: EncodeContext): Uint8Array {
  const v = ctx.value(raw, pointer);
  if (!(typeof v === 'number' ? v > 0 : typeof v === 'bigint' ? v > 0n : false))
    fail(pointer, 'must be a number greater than 0');
  return variantAt(v, pointer, DEFAULT_CONTEXT);
}

function duration(raw: unknown, pointer: string, positive: boolean) {
  const o = objectAt(raw, pointer, ['value', 'unit'], ['value', 'unit']);
  const value = intAt(o.value, `${pointer}/value`, positive ? 1 : -INT32_MAX, INT32_MAX);
  if (typeof o.unit !== 'string' || !Object.hasOwn(DATE_UNIT, o.unit))
    fail(`${pointer}/unit`, `must be one of ${Object.keys(DATE_UNIT).join(', ')}`);
  return { value, unit: DATE_UNIT[o.unit as DateUnit] };
}

function fieldRange(raw: unknown, pointer: string, ctx: EncodeContext) {
  const o = objectAt(raw, pointer, ['min', 'max'], ['min', 'max']);
  return { min: variantAt(o.min, `${pointer}/min`, ctx), max: variantAt(o.max, `${pointer}/max`, ctx) };
}

/** Encodes (and checks) `{ name: groupBy }`. */
export function encodeGroupBys(
  raw: unknown,
  pointer = '/groupBys',
  ctx: EncodeContext = DEFAULT_CONTEXT,
  depth = 0,
): GroupBysMsg {
  if (depth > MAX_DEPTH) fail(pointer, `nests deeper than ${MAX_DEPTH} levels`);
  return {
    group_bys: namedEntries(raw, pointer).map(([name, spec, at]): GroupByMsg => {
      const [kind, body] = oneKind(spec, at, GROUP_KINDS);
      const p = `${at}/${kind}`;
      const SUB = ['aggregations', 'groupBys'];
      const subs = (o: Record<string, unknown>) => ({
        ...(o.aggregations === undefined
          ? {}
          : { sub_aggs: encodeAggregations(o.aggregations, `${p}/aggregations`, ctx) }),
        ...(o.groupBys === undefined
          ? {}
          : { sub_group_bys: encodeGroupBys(o.groupBys, `${p}/groupBys`, ctx, depth + 1) }),
      });
      const minDocCount = (o: Record<string, unknown>) =>
        o.minDocCount === undefined ? {} : { min_doc_count: intAt(o.minDocCount, `${p}/minDocCount`, 0, INT32_MAX) };
      const sort = (o: Record<string, unknown>) =>
        o.sort === undefined ? {} : { sort: groupSort(o.sort, `${p}/sort`) };
      let bytes: Uint8Array;
      switch (kind) {
        case 'field': {
          const o = objectAt(body, p, ['field', 'size', 'minDocCount', 'sort', ...SUB], ['field']);
          bytes = encodeSearch('GroupByField', {
            field_name: stringAt(o.field, `${p}/field`),
            ...(o.size === undefined ? {} : { size: intAt(o.size, `${p}/size`, 1, 2000) }),
            ...minDocCount(o),
            ...sort(o),
            ...subs(o),
          });
          break;
        }
        case 'range': {
          const o = objectAt(body, p, ['field', 'ranges', ...SUB], ['field', 'ranges']);
          bytes = encodeSearch('GroupByRange', {
            field_name: stringAt(o.field, `${p}/field`),
            ranges: ranges(o.ranges, `${p}/ranges`),
            ...subs(o),
          });
          break;
        }
        case 'filter': {
          const o = objectAt(body, p, ['filters', ...SUB], ['filters']);
          bytes = encodeSearch('GroupByFilter', {
            filters: arrayAt(o.filters, `${p}/filters`, 100, 1).map((f, i) => encodeQuery(f, `${p}/filters/${i}`, ctx)),
            ...subs(o),
          });
          break;
        }
        case 'histogram': {
          const o = objectAt(
            body,
            p,
            ['field', 'interval', 'offset', 'missing', 'minDocCount', 'fieldRange', 'sort', ...SUB],
            ['field', 'interval'],
          );
          bytes = encodeSearch('GroupByHistogram', {
            field_name: stringAt(o.field, `${p}/field`),
            interval: intervalVariant(o.interval, `${p}/interval`, ctx),
            ...(o.offset === undefined ? {} : { offset: variantAt(o.offset, `${p}/offset`, ctx) }),
            ...missingOf(o, p, ctx),
            ...minDocCount(o),
            ...(o.fieldRange === undefined ? {} : { field_range: fieldRange(o.fieldRange, `${p}/fieldRange`, ctx) }),
            ...sort(o),
            ...subs(o),
          });
          break;
        }
        case 'dateHistogram': {
          const o = objectAt(
            body,
            p,
            ['field', 'interval', 'offset', 'timeZone', 'missing', 'minDocCount', 'fieldRange', 'sort', ...SUB],
            ['field', 'interval'],
          );
          if (o.timeZone !== undefined && !/^[+-](0\d|1[0-8]):[0-5]\d$/.test(stringAt(o.timeZone, `${p}/timeZone`)))
            fail(`${p}/timeZone`, "must be a fixed offset such as '+08:00'");
          bytes = encodeSearch('GroupByDateHistogram', {
            field_name: stringAt(o.field, `${p}/field`),
            interval: duration(o.interval, `${p}/interval`, true),
            ...(o.offset === undefined ? {} : { offset: duration(o.offset, `${p}/offset`, false) }),
            ...(o.timeZone === undefined ? {} : { time_zone: o.timeZone }),
            ...missingOf(o, p, ctx),
            ...minDocCount(o),
            ...(o.fieldRange === undefined ? {} : { field_range: fieldRange(o.fieldRange, `${p}/fieldRange`, ctx) }),
            ...sort(o),
            ...subs(o),
          });
          break;
        }
        case 'geoDistance': {
          const o = objectAt(body, p, ['field', 'origin', 'ranges', ...SUB], ['field', 'origin', 'ranges']);
          const [lat, lon] = geoPointAt(o.origin, `${p}/origin`).split(',').map(Number);
          bytes = encodeSearch('GroupByGeoDistance', {
            field_name: stringAt(o.field, `${p}/field`),
            origin: { lat, lon },
            ranges: ranges(o.ranges, `${p}/ranges`),
            ...subs(o),
          });
          break;
        }
      }
      return { name, type: GROUP_TYPE[kind], body: bytes };
    }),
  };
}

// ------------------------------------------------------------------------------------------ decoding

type Int64 = bigint | number;
const num = (v: Int64 | undefined): number => (v === undefined ? 0 : Number(v));

interface SubResultsMsg {
  sub_aggs_result?: AggsResultMsg;
  sub_group_bys_result?: GroupBysResultMsg;
}
interface AggsResultMsg {
  agg_results: Array<{ name?: string; type?: number; agg_result?: Uint8Array }>;
}
interface GroupBysResultMsg {
  group_by_results: Array<{ name?: string; type?: number; group_by_result?: Uint8Array }>;
}

const AGG_KIND_OF: Record<number, (typeof AGG_KINDS)[number]> = Object.fromEntries(
  Object.entries(AGG_TYPE).map(([k, v]) => [v, k]),
) as Record<number, (typeof AGG_KINDS)[number]>;
const GROUP_KIND_OF: Record<number, (typeof GROUP_KINDS)[number]> = Object.fromEntries(
  Object.entries(GROUP_TYPE).map(([k, v]) => [v, k]),
) as Record<number, (typeof GROUP_KINDS)[number]>;

function variantNumber(bytes: Uint8Array | undefined): number | null {
  if (!bytes || bytes.length === 0) return null;
  const v = decodeColumnValue(bytes);
  if (typeof v === 'bigint' || typeof v === 'number') return Number(v);
  throw new TypeError(`expected a number variant, got ${typeof v}`);
}

function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function decodeAggregationsResult(msg: AggsResultMsg | undefined): Record<string, AggregationResult> {
  const out: Record<string, AggregationResult> = {};
  for (const a of msg?.agg_results ?? []) {
    const kind = AGG_KIND_OF[a.type ?? 0];
    if (kind === undefined) throw new TypeError(`unknown aggregation type ${String(a.type)}`);
    const bytes = a.agg_result ?? new Uint8Array(0);
    let result: AggregationResult;
    switch (kind) {
      case 'count':
      case 'distinctCount':
        result = { kind, value: num(decodeSearch<{ value?: Int64 }>('CountResult', bytes).value) };
        break;
      case 'topRows':
        result = {
          kind,
          rows: decodeSearch<{ rows: Uint8Array[] }>('TopRowsAggregationResult', bytes).rows.flatMap((r) =>
            decodeReadRows(r).map((row) => toRow(row, false)),
          ),
        };
        break;
      case 'percentiles':
        result = {
          kind,
          percentiles: decodeSearch<{ percentiles_aggregation_items: Array<{ key?: number; value?: Uint8Array }> }>(
            'PercentilesAggregationResult',
            bytes,
          ).percentiles_aggregation_items.map((i) => ({ percentile: i.key ?? 0, value: variantNumber(i.value) })),
        };
        break;
      default: {
        const v = decodeSearch<{ value?: number }>('SingleValueResult', bytes).value;
        result = { kind, value: v === undefined || Number.isNaN(v) ? null : v };
      }
    }
    setOwn(out, a.name ?? '', result);
  }
  return out;
}

function buckets(item: SubResultsMsg): Buckets {
  return {
    aggregations: decodeAggregationsResult(item.sub_aggs_result),
    groupBys: decodeGroupBysResult(item.sub_group_bys_result),
  };
}

export function decodeGroupBysResult(msg: GroupBysResultMsg | undefined): Record<string, GroupByResult> {
  const out: Record<string, GroupByResult> = {};
  for (const g of msg?.group_by_results ?? []) {
    const kind = GROUP_KIND_OF[g.type ?? 0];
    if (kind === undefined) throw new TypeError(`unknown group-by type ${String(g.type)}`);
    const bytes = g.group_by_result ?? new Uint8Array(0);
    let result: GroupByResult;
    switch (kind) {
      case 'field':
        result = {
          kind,
          items: decodeSearch<{
            group_by_field_result_items: Array<{ key?: string; row_count?: Int64 } & SubResultsMsg>;
          }>('GroupByFieldResult', bytes).group_by_field_result_items.map((i) => ({
            key: i.key ?? '',
            rowCount: num(i.row_count),
            ...buckets(i),
          })),
        };
        break;
      case 'range':
      case 'geoDistance': {
        type Item = { from?: number; to?: number; row_count?: Int64 } & SubResultsMsg;
        const decoded =
          kind === 'range'
            ? decodeSearch<{ group_by_range_result_items: Item[] }>('GroupByRangeResult', bytes)
                .group_by_range_result_items
            : decodeSearch<{ group_by_geo_distance_result_items: Item[] }>('GroupByGeoDistanceResult', bytes)
                .group_by_geo_distance_result_items;
        result = {
          kind,
          items: decoded.map((i) => ({
            from: i.from ?? -Infinity,
            to: i.to ?? Infinity,
            rowCount: num(i.row_count),
            ...buckets(i),
          })),
        };
        break;
      }
      case 'filter':
        result = {
          kind,
          items: decodeSearch<{ group_by_filter_result_items: Array<{ row_count?: Int64 } & SubResultsMsg> }>(
            'GroupByFilterResult',
            bytes,
          ).group_by_filter_result_items.map((i) => ({ rowCount: num(i.row_count), ...buckets(i) })),
        };
        break;
      case 'histogram':
        result = {
          kind,
          items: decodeSearch<{ group_by_histogram_items: Array<{ key?: Uint8Array; value?: Int64 } & SubResultsMsg> }>(
            'GroupByHistogramResult',
            bytes,
          ).group_by_histogram_items.map((i) => ({
            key: variantNumber(i.key) ?? 0,
            rowCount: num(i.value),
            ...buckets(i),
          })),
        };
        break;
      case 'dateHistogram':
        result = {
          kind,
          items: decodeSearch<{
            group_by_date_histogram_items: Array<{ timestamp?: Int64; row_count?: Int64 } & SubResultsMsg>;
          }>('GroupByDateHistogramResult', bytes).group_by_date_histogram_items.map((i) => ({
            timestamp: num(i.timestamp),
            rowCount: num(i.row_count),
            ...buckets(i),
          })),
        };
        break;
    }
    setOwn(out, g.name ?? '', result);
  }
  return out;
}

/** Decodes the `aggs` / `group_bys` bytes of a SearchResponse. */
export function decodeAggregationsBytes(bytes: Uint8Array | undefined): Record<string, AggregationResult> {
  return bytes && bytes.length > 0
    ? decodeAggregationsResult(decodeSearch<AggsResultMsg>('AggregationsResult', bytes))
    : {};
}
export function decodeGroupBysBytes(bytes: Uint8Array | undefined): Record<string, GroupByResult> {
  return bytes && bytes.length > 0
    ? decodeGroupBysResult(decodeSearch<GroupBysResultMsg>('GroupBysResult', bytes))
    : {};
}
