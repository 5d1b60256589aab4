/**
 * Aggregations and group-bys over the documents a query matched (docs/protocol-search.md §7). Everything is
 * exact (percentiles interpolate linearly between the two nearest ranks); results are encoded straight into
 * the nested result messages the SDKs decode.
 */
import { decodeColumnValue, encodeColumnValue } from '../../../lib/tablestore/protocol/plainbuffer';
import { errors } from '../errors';
import { distanceMeters, type GeoPoint } from './geo';
import {
  AggType,
  FieldType,
  GroupByType,
  decodeSearch,
  encodeSearch,
  type AggregationsMsg,
  type GroupBysMsg,
  type QueryMsg,
  type SortMsg,
} from './proto';
import { compileQuery } from './query';
import type { FieldValue, IndexField } from './schema';
import { notSupported } from './schema';
import type { Doc, SearchIndex } from './search-index';
import { findField, parseSort, type SortSpec } from './sort-spec';

const invalid = (m: string) => errors.parameterInvalid(m);

export interface AggContext {
  readonly index: SearchIndex;
  /** Encodes the rows of top_rows in the request's columns_to_get, sorted by `sort` (undefined = default order). */
  readonly topRows: (docs: readonly Doc[], limit: number, sort: SortSpec | undefined) => Uint8Array[];
}

const MAX_GROUP_SIZE = 2000;
const MAX_BUCKETS = 10000;
const AGG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AggType).map(([k, v]) => [v, `AGG_${k}`]));
const GROUP_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GroupByType).map(([k, v]) => [v, `GROUP_BY_${k}`]),
);

function fieldFor(ctx: AggContext, name: string | undefined, what: string): { field: IndexField; nestedPath?: string } {
  const found = findField(ctx.index.def.fields, name ?? '');
  if (!found) throw invalid(`${what}: field ${name ?? ''} is not a field of the index.`);
  if (!found.field.docValues) throw invalid(`${what}: field ${name ?? ''} does not enable sort and aggregation.`);
  return found;
}

/** Values of a field in a document (a nested sub-field's values across all its elements). */
export function docValues(doc: Doc, name: string, nestedPath?: string): readonly FieldValue[] {
  if (!nestedPath) return doc.values.get(name) ?? [];
  const sub = name.slice(nestedPath.length + 1);
  const out: FieldValue[] = [];
  for (const s of (doc.values.get(nestedPath) ?? []) as ReadonlyMap<string, readonly FieldValue[]>[])
    out.push(...(s.get(sub) ?? []));
  return out;
}

const numericType = (f: IndexField) =>
  f.type === FieldType.LONG || f.type === FieldType.DOUBLE || f.type === FieldType.DATE;

function missingNumber(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  const v = decodeColumnValue(bytes);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw invalid('The missing value of a numeric aggregation must be numeric.');
}

function numbersOf(
  ctx: AggContext,
  docs: readonly Doc[],
  fieldName: string | undefined,
  missing: Uint8Array | undefined,
  what: string,
): number[] {
  const { field, nestedPath } = fieldFor(ctx, fieldName, what);
  if (!numericType(field)) throw invalid(`${what}: field ${field.name} is not numeric (LONG, DOUBLE or DATE).`);
  const m = missingNumber(missing);
  const out: number[] = [];
  for (const d of docs) {
    const vs = docValues(d, fieldName!, nestedPath);
    if (vs.length === 0) {
      if (m !== undefined) out.push(m);
    } else for (const v of vs) out.push(v as number);
  }
  return out;
}

/**
 * The correctly rounded sum (Shewchuk's exact partials, as Python's math.fsum): the same in any order, so
 * sum and avg do not depend on the order documents are held in — which a rebuild at start-up changes
 * (docs/protocol-search.md §6). Non-finite values, or an overflow on the way, give the plain IEEE sum.
 */
export function exactSum(xs: readonly number[]): number {
  const partials: number[] = [];
  for (const value of xs) {
    if (!Number.isFinite(value)) return xs.reduce((a, b) => a + b, 0);
    let x = value;
    let i = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    if (!Number.isFinite(x)) return xs.reduce((a, b) => a + b, 0);
    partials.length = i;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials (the rounding of hi + lo may be a tie).
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function keyString(v: FieldValue): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : (v as string);
}

/** Numeric value of an aggregation result, for group sorts by sub-aggregation. */
interface AggOutcome {
  readonly bytes: Uint8Array;
  readonly sortValue: number;
}

function runAgg(
  ctx: AggContext,
  type: number | undefined,
  body: Uint8Array,
  docs: readonly Doc[],
  name: string,
): AggOutcome {
  const single = (value: number | undefined): AggOutcome => ({
    bytes: encodeSearch('SingleValueResult', value === undefined ? {} : { value }),
    sortValue: value ?? Number.NaN,
  });
  switch (type) {
    case AggType.AVG:
    case AggType.SUM:
    case AggType.MAX:
    case AggType.MIN: {
      const q = decodeSearch<{ field_name?: string; missing?: Uint8Array }>('FieldAgg', body);
      const nums = numbersOf(ctx, docs, q.field_name, q.missing, name);
      if (type === AggType.SUM) return single(exactSum(nums));
      if (nums.length === 0) return single(undefined);
      if (type === AggType.AVG) return single(exactSum(nums) / nums.length);
      let best = nums[0];
      for (const n of nums) if (type === AggType.MAX ? n > best : n < best) best = n;
      return single(best);
    }
    case AggType.COUNT: {
      const q = decodeSearch<{ field_name?: string }>('CountAggregation', body);
      const { nestedPath } = fieldFor(ctx, q.field_name, name);
      let n = 0;
      for (const d of docs) n += docValues(d, q.field_name!, nestedPath).length;
      return { bytes: encodeSearch('CountResult', { value: n }), sortValue: n };
    }
    case AggType.DISTINCT_COUNT: {
      const q = decodeSearch<{ field_name?: string; missing?: Uint8Array }>('FieldAgg', body);
      const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
      const seen = new Set<string>();
      let missing: string | undefined;
      if (q.missing && q.missing.length > 0) {
        const v = decodeColumnValue(q.missing);
        missing = typeof v === 'bigint' ? String(Number(v)) : String(v);
      }
      for (const d of docs) {
        const vs = docValues(d, q.field_name!, nestedPath);
        if (vs.length === 0 && missing !== undefined) seen.add(missing);
        for (const v of vs)
          seen.add(field.type === FieldType.GEO_POINT ? `${(v as GeoPoint).lat},${(v as GeoPoint).lon}` : keyString(v));
      }
      return { bytes: encodeSearch('CountResult', { value: seen.size }), sortValue: seen.size };
    }
    case AggType.TOP_ROWS: {
      const q = decodeSearch<{ limit?: number; sort?: SortMsg }>('TopRowsAggregation', body);
      const limit = q.limit ?? 1;
      if (limit < 0 || limit > 100) throw invalid(`${name}: top_rows limit must be in [0, 100].`);
      const sort = q.sort && q.sort.sorter.length > 0 ? parseSort(q.sort, ctx.index.def.fields, 'query') : undefined;
      return {
        bytes: encodeSearch('TopRowsAggregationResult', { rows: ctx.topRows(docs, limit, sort) }),
        sortValue: Number.NaN,
      };
    }
    case AggType.PERCENTILES: {
      const q = decodeSearch<{ field_name?: string; percentiles: number[]; missing?: Uint8Array }>(
        'PercentilesAggregation',
        body,
      );
      const nums = numbersOf(ctx, docs, q.field_name, q.missing, name).sort((a, b) => a - b);
      const ps = q.percentiles.length > 0 ? q.percentiles : [1, 5, 25, 50, 75, 95, 99];
      for (const p of ps) if (!(p >= 0 && p <= 100)) throw invalid(`${name}: percentiles must be in [0, 100].`);
      const items = nums.length === 0 ? [] : ps.map((p) => ({ key: p, value: encodeColumnValue(percentile(nums, p)) }));
      return {
        bytes: encodeSearch('PercentilesAggregationResult', { percentiles_aggregation_items: items }),
        sortValue: Number.NaN,
      };
    }
    default:
      if (type !== undefined && AGG_NAMES[type]) throw notSupported(AGG_NAMES[type]);
      throw invalid(`Invalid aggregation type: ${String(type)}.`);
  }
}

interface AggsOutcome {
  readonly msg: { agg_results: { name?: string; type?: number | undefined; agg_result: Uint8Array }[] };
  readonly byName: Map<string, number>;
}

function runAggs(ctx: AggContext, aggs: AggregationsMsg | undefined, docs: readonly Doc[]): AggsOutcome | undefined {
  if (!aggs || aggs.aggs.length === 0) return undefined;
  const names = new Set<string>();
  const byName = new Map<string, number>();
  const results = aggs.aggs.map((a) => {
    const name = a.name ?? '';
    if (!name) throw invalid('An aggregation needs a name.');
    if (names.has(name)) throw invalid(`Duplicated aggregation name: ${name}.`);
    names.add(name);
    const out = runAgg(ctx, a.type, a.body ?? new Uint8Array(0), docs, name);
    byName.set(name, out.sortValue);
    return { name, type: a.type, agg_result: out.bytes };
  });
  return { msg: { agg_results: results }, byName };
}

// -------------------------------------------------------------------------------------------- group-bys

interface Bucket {
  /** Sort key for group_key_sort. */
  readonly key: number | string;
  readonly docs: Doc[];
  readonly item: Record<string, unknown>;
  subAggs?: Map<string, number>;
}

interface SubRequest {
  readonly sub_aggs?: AggregationsMsg;
  readonly sub_group_bys?: GroupBysMsg;
}

function withSubs(ctx: AggContext, bucket: Bucket, req: SubRequest, depth: number): void {
  const aggs = runAggs(ctx, req.sub_aggs, bucket.docs);
  if (aggs) {
    bucket.item.sub_aggs_result = aggs.msg;
    bucket.subAggs = aggs.byName;
  }
  const groups = runGroupBysIn(ctx, req.sub_group_bys, bucket.docs, depth + 1);
  if (groups) bucket.item.sub_group_bys_result = groups;
}

interface GroupSortMsg {
  sorters: {
    group_key_sort?: { order?: number };
    row_count_sort?: { order?: number };
    sub_agg_sort?: { sub_agg_name?: string; order?: number };
  }[];
}

function sortBuckets(buckets: Bucket[], sort: GroupSortMsg | undefined, fallback: 'count' | 'key'): void {
  type Cmp = (a: Bucket, b: Bucket) => number;
  const cmps: Cmp[] = [];
  const dir = (o: number | undefined) => (o === 1 ? -1 : 1);
  for (const s of sort?.sorters ?? []) {
    if (s.group_key_sort) {
      const d = dir(s.group_key_sort.order);
      cmps.push((a, b) => d * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    } else if (s.row_count_sort) {
      const d = dir(s.row_count_sort.order);
      cmps.push((a, b) => d * (a.docs.length - b.docs.length));
    } else if (s.sub_agg_sort) {
      const name = s.sub_agg_sort.sub_agg_name ?? '';
      const d = dir(s.sub_agg_sort.order);
      cmps.push((a, b) => {
        const x = a.subAggs?.get(name);
        const y = b.subAggs?.get(name);
        if (x === undefined || y === undefined)
          throw invalid(`Group sort by sub aggregation ${name}, which is not a sub aggregation of the group-by.`);
        if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
        return d * (x - y);
      });
    }
  }
  if (cmps.length === 0) {
    if (fallback === 'count') cmps.push((a, b) => b.docs.length - a.docs.length);
    cmps.push((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else cmps.push((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  buckets.sort((a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  });
}

function groupByField(
  ctx: AggContext,
  body: Uint8Array,
  docs: readonly Doc[],
  name: string,
  depth: number,
): Uint8Array {
  const q = decodeSearch<
    { field_name?: string; size?: number; sort?: GroupSortMsg; min_doc_count?: bigint } & SubRequest
  >('GroupByField', body);
  const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
  if (field.type === FieldType.GEO_POINT || field.type === FieldType.TEXT)
    throw invalid(`${name}: field ${field.name} cannot be grouped by value.`);
  const size = q.size ?? 10;
  if (size < 1 || size > MAX_GROUP_SIZE) throw invalid(`${name}: size must be in [1, ${MAX_GROUP_SIZE}].`);
  const groups = new Map<string, { key: number | string; docs: Doc[] }>();
  for (const d of docs) {
    const seen = new Set<string>();
    for (const v of docValues(d, q.field_name!, nestedPath)) {
      const k = keyString(v);
      if (seen.has(k)) continue;
      seen.add(k);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { key: typeof v === 'number' ? v : k, docs: [] }));
      g.docs.push(d);
    }
  }
  const min = Number(q.min_doc_count ?? 0);
  const buckets: Bucket[] = [...groups.entries()]
    .filter(([, g]) => g.docs.length >= min)
    .map(([k, g]) => ({ key: g.key, docs: g.docs, item: { key: k, row_count: g.docs.length } }));
  const needsSubAggsFirst = q.sort?.sorters.some((s) => s.sub_agg_sort) ?? false;
  if (needsSubAggsFirst) for (const b of buckets) withSubs(ctx, b, q, depth);
  sortBuckets(buckets, q.sort, 'count');
  const top = buckets.slice(0, size);
  if (!needsSubAggsFirst) for (const b of top) withSubs(ctx, b, q, depth);
  return encodeSearch('GroupByFieldResult', { group_by_field_result_items: top.map((b) => b.item) });
}

function rangeBuckets(
  ctx: AggContext,
  docs: readonly Doc[],
  ranges: { from?: number; to?: number }[],
  valueOf: (d: Doc) => number[],
  req: SubRequest,
  depth: number,
): Bucket[] {
  if (ranges.length === 0) throw invalid('A range group-by needs at least one range.');
  return ranges.map((r) => {
    const from = r.from ?? -Infinity;
    const to = r.to ?? Infinity;
    const inside = docs.filter((d) => valueOf(d).some((v) => v >= from && v < to));
    const b: Bucket = { key: from, docs: inside, item: { from, to, row_count: inside.length } };
    withSubs(ctx, b, req, depth);
    return b;
  });
}

function fieldRangeBound(bytes: Uint8Array | undefined): number | undefined {
  return missingNumber(bytes);
}

/**
 * The documents of each bucket of a histogram: every value of the field (or `missing` when it has none)
 * inside [lo, hi) falls into bucket `keyOf(value)`; a document counts once per bucket.
 */
function bucketDocs(
  docs: readonly Doc[],
  fieldName: string,
  nestedPath: string | undefined,
  missing: number | undefined,
  lo: number | undefined,
  hi: number | undefined,
  keyOf: (value: number) => number,
): Map<number, Doc[]> {
  const groups = new Map<number, Doc[]>();
  for (const d of docs) {
    let vs = docValues(d, fieldName, nestedPath) as number[];
    if (vs.length === 0 && missing !== undefined) vs = [missing];
    const seen = new Set<number>();
    for (const v of vs) {
      if ((lo !== undefined && v < lo) || (hi !== undefined && v >= hi)) continue;
      const k = keyOf(v);
      if (seen.has(k)) continue;
      seen.add(k);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(d);
    }
  }
  return groups;
}

function histogram(ctx: AggContext, body: Uint8Array, docs: readonly Doc[], name: string, depth: number): Uint8Array {
  const q = decodeSearch<
    {
      field_name?: string;
      interval?: Uint8Array;
      missing?: Uint8Array;
      min_doc_count?: bigint;
      sort?: GroupSortMsg;
      field_range?: { min?: Uint8Array; max?: Uint8Array };
      offset?: Uint8Array;
    } & SubRequest
  >('GroupByHistogram', body);
  const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
  if (!numericType(field)) throw invalid(`${name}: histogram needs a numeric field.`);
  const interval = missingNumber(q.interval);
  if (interval === undefined || !(interval > 0)) throw invalid(`${name}: histogram interval must be greater than 0.`);
  const offset = missingNumber(q.offset) ?? 0;
  const missing = missingNumber(q.missing);
  const lo = fieldRangeBound(q.field_range?.min);
  const hi = fieldRangeBound(q.field_range?.max);
  const groups = bucketDocs(docs, q.field_name!, nestedPath, missing, lo, hi, (v) =>
    Math.floor((v - offset) / interval),
  );
  const min = Number(q.min_doc_count ?? 0);
  let keys = [...groups.keys()].sort((a, b) => a - b);
  if (min === 0 && keys.length > 1) {
    const first = keys[0];
    const last = keys[keys.length - 1];
    if (last - first > MAX_BUCKETS)
      throw invalid(`${name}: the histogram would have more than ${MAX_BUCKETS} buckets.`);
    keys = [];
    for (let i = first; i <= last; i++) keys.push(i);
  }
  const isLong = field.type !== FieldType.DOUBLE && Number.isInteger(interval) && Number.isInteger(offset);
  const buckets: Bucket[] = [];
  for (const idx of keys) {
    const ds = groups.get(idx) ?? [];
    if (ds.length < min) continue;
    const k = idx * interval + offset;
    buckets.push({
      key: k,
      docs: ds,
      item: { key: encodeColumnValue(isLong ? BigInt(Math.round(k)) : k), value: ds.length },
    });
  }
  for (const b of buckets) withSubs(ctx, b, q, depth);
  sortBuckets(buckets, q.sort, 'key');
  return encodeSearch('GroupByHistogramResult', { group_by_histogram_items: buckets.map((b) => b.item) });
}

const UNIT_MS: Record<number, number> = { 4: 7 * 86400_000, 5: 86400_000, 6: 3600_000, 7: 60_000, 8: 1000, 9: 1 };

function parseZone(tz: string | undefined): number {
  if (!tz) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (!m) throw invalid(`Invalid time_zone: '${tz}'. Use an offset such as +08:00.`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

function dateBucket(t: number, value: number, unit: number, zone: number, offsetMs: number): number {
  const local = t + zone - offsetMs;
  const fixed = UNIT_MS[unit];
  if (fixed !== undefined) {
    // Weeks start on Monday; 1970-01-01 was a Thursday.
    const shift = unit === 4 ? 3 * 86400_000 : 0;
    const size = fixed * value;
    return Math.floor((local + shift) / size) * size - shift - zone + offsetMs;
  }
  const d = new Date(local);
  const months = (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
  const step = value * (unit === 1 ? 12 : unit === 2 ? 3 : 1);
  const start = Math.floor(months / step) * step;
  return Date.UTC(1970 + Math.floor(start / 12), ((start % 12) + 12) % 12, 1) - zone + offsetMs;
}

function nextDateBucket(k: number, value: number, unit: number, zone: number, offsetMs: number): number {
  const fixed = UNIT_MS[unit];
  if (fixed !== undefined) return k + fixed * value;
  const d = new Date(k + zone - offsetMs);
  const step = value * (unit === 1 ? 12 : unit === 2 ? 3 : 1);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + step, 1) - zone + offsetMs;
}

function dateHistogram(
  ctx: AggContext,
  body: Uint8Array,
  docs: readonly Doc[],
  name: string,
  depth: number,
): Uint8Array {
  const q = decodeSearch<
    {
      field_name?: string;
      interval?: { value?: number; unit?: number };
      field_range?: { min?: Uint8Array; max?: Uint8Array };
      missing?: Uint8Array;
      min_doc_count?: bigint;
      time_zone?: string;
      sort?: GroupSortMsg;
      offset?: { value?: number; unit?: number };
    } & SubRequest
  >('GroupByDateHistogram', body);
  const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
  if (field.type !== FieldType.DATE) throw invalid(`${name}: date_histogram needs a DATE field.`);
  const value = q.interval?.value ?? 0;
  const unit = q.interval?.unit ?? 0;
  if (!(value > 0) || unit < 1 || unit > 9)
    throw invalid(`${name}: date_histogram needs an interval with a positive value and a unit.`);
  const zone = parseZone(q.time_zone);
  const offsetMs = q.offset?.value ? q.offset.value * (UNIT_MS[q.offset.unit ?? 9] ?? NaN) : 0;
  if (!Number.isFinite(offsetMs)) throw invalid(`${name}: the offset must use a fixed unit (week or smaller).`);
  const missing = missingNumber(q.missing);
  const lo = fieldRangeBound(q.field_range?.min);
  const hi = fieldRangeBound(q.field_range?.max);
  const groups = bucketDocs(docs, q.field_name!, nestedPath, missing, lo, hi, (v) =>
    dateBucket(v, value, unit, zone, offsetMs),
  );
  const min = Number(q.min_doc_count ?? 0);
  let keys = [...groups.keys()].sort((a, b) => a - b);
  if (min === 0 && keys.length > 1) {
    const last = keys[keys.length - 1];
    const filled: number[] = [];
    for (let k = keys[0]; k <= last; k = nextDateBucket(k, value, unit, zone, offsetMs)) {
      filled.push(k);
      if (filled.length > MAX_BUCKETS)
        throw invalid(`${name}: the date histogram would have more than ${MAX_BUCKETS} buckets.`);
    }
    keys = filled;
  }
  const buckets: Bucket[] = [];
  for (const k of keys) {
    const ds = groups.get(k) ?? [];
    if (ds.length < min) continue;
    buckets.push({ key: k, docs: ds, item: { timestamp: k, row_count: ds.length } });
  }
  for (const b of buckets) withSubs(ctx, b, q, depth);
  sortBuckets(buckets, q.sort, 'key');
  return encodeSearch('GroupByDateHistogramResult', { group_by_date_histogram_items: buckets.map((b) => b.item) });
}

function runGroupBy(
  ctx: AggContext,
  type: number | undefined,
  body: Uint8Array,
  docs: readonly Doc[],
  name: string,
  depth: number,
): Uint8Array {
  switch (type) {
    case GroupByType.FIELD:
      return groupByField(ctx, body, docs, name, depth);
    case GroupByType.RANGE: {
      const q = decodeSearch<{ field_name?: string; ranges: { from?: number; to?: number }[] } & SubRequest>(
        'GroupByRange',
        body,
      );
      const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
      if (!numericType(field)) throw invalid(`${name}: a range group-by needs a numeric field.`);
      const buckets = rangeBuckets(
        ctx,
        docs,
        q.ranges,
        (d) => docValues(d, q.field_name!, nestedPath) as number[],
        q,
        depth,
      );
      return encodeSearch('GroupByRangeResult', { group_by_range_result_items: buckets.map((b) => b.item) });
    }
    case GroupByType.FILTER: {
      const q = decodeSearch<{ filters: QueryMsg[] } & SubRequest>('GroupByFilter', body);
      if (q.filters.length === 0) throw invalid(`${name}: a filter group-by needs at least one filter.`);
      const items = q.filters.map((f, i) => {
        const compiled = compileQuery(ctx.index, f);
        const inside = docs.filter((d) => compiled.test(d.values));
        const b: Bucket = { key: i, docs: inside, item: { row_count: inside.length } };
        withSubs(ctx, b, q, depth);
        return b.item;
      });
      return encodeSearch('GroupByFilterResult', { group_by_filter_result_items: items });
    }
    case GroupByType.GEO_DISTANCE: {
      const q = decodeSearch<
        {
          field_name?: string;
          origin?: { lat?: number; lon?: number };
          ranges: { from?: number; to?: number }[];
        } & SubRequest
      >('GroupByGeoDistance', body);
      const { field, nestedPath } = fieldFor(ctx, q.field_name, name);
      if (field.type !== FieldType.GEO_POINT)
        throw invalid(`${name}: a geo distance group-by needs a GEO_POINT field.`);
      const origin = { lat: q.origin?.lat ?? 0, lon: q.origin?.lon ?? 0 };
      const buckets = rangeBuckets(
        ctx,
        docs,
        q.ranges,
        (d) => (docValues(d, q.field_name!, nestedPath) as GeoPoint[]).map((p) => distanceMeters(origin, p)),
        q,
        depth,
      );
      return encodeSearch('GroupByGeoDistanceResult', {
        group_by_geo_distance_result_items: buckets.map((b) => b.item),
      });
    }
    case GroupByType.HISTOGRAM:
      return histogram(ctx, body, docs, name, depth);
    case GroupByType.DATE_HISTOGRAM:
      return dateHistogram(ctx, body, docs, name, depth);
    default:
      if (type !== undefined && GROUP_NAMES[type]) throw notSupported(GROUP_NAMES[type]);
      throw invalid(`Invalid group-by type: ${String(type)}.`);
  }
}

function runGroupBysIn(
  ctx: AggContext,
  groupBys: GroupBysMsg | undefined,
  docs: readonly Doc[],
  depth: number,
): object | undefined {
  if (!groupBys || groupBys.group_bys.length === 0) return undefined;
  if (depth > 5) throw invalid('Group-bys are nested too deeply.');
  const names = new Set<string>();
  return {
    group_by_results: groupBys.group_bys.map((g) => {
      const name = g.name ?? '';
      if (!name) throw invalid('A group-by needs a name.');
      if (names.has(name)) throw invalid(`Duplicated group-by name: ${name}.`);
      names.add(name);
      return {
        name,
        type: g.type,
        group_by_result: runGroupBy(ctx, g.type, g.body ?? new Uint8Array(0), docs, name, depth),
      };
    }),
  };
}

export function aggregate(
  ctx: AggContext,
  aggs: AggregationsMsg | undefined,
  docs: readonly Doc[],
): Uint8Array | undefined {
  const out = runAggs(ctx, aggs, docs);
  return out ? encodeSearch('AggregationsResult', out.msg) : undefined;
}

export function groupBy(
  ctx: AggContext,
  groupBys: GroupBysMsg | undefined,
  docs: readonly Doc[],
): Uint8Array | undefined {
  const out = runGroupBysIn(ctx, groupBys, docs, 0);
  return out ? encodeSearch('GroupBysResult', out) : undefined;
}
