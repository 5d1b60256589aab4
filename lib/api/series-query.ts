/**
 * Points of one series or of every series a meta query selects, raw or in time buckets (aggregate.ts), one
 * bounded page at a time. A page holds at most `limit` points (raw) or buckets (aggregated) and visits at
 * most `maxSeries` series; `next` says where the following page starts:
 *
 *   m  the meta page (QueryTimeseriesMeta token, base64; absent = the first) that holds the series,
 *   i  the series' index in it and k its key (checked on resume: a series added or expired in between
 *      would otherwise shift the index silently),
 *   d  raw: the GetTimeseriesData token inside that series;  t  aggregated: the start of the first bucket
 *      not returned yet (buckets are re-read from their start, so a bucket is never split across pages).
 *
 * Aggregation streams GetTimeseriesData pages through a Bucketer, so memory is bounded by the page, not by
 * the series. A request reads at most SCAN_BUDGET raw points when aggregating and then ends its page at the
 * next bucket boundary. Wire facts: docs/protocol-filters.md §2.
 */
import { ApiError } from '../fc/errors';
import { Bucketer, type AggSpec } from './aggregate';
import type { Point, SeriesKey, TimeseriesReader } from './ports';

/** Raw points read per GetTimeseriesData call while aggregating. */
export const DATA_PAGE = 5000;
/** Raw points one aggregated request reads at most (then it ends at a bucket boundary). */
export const SCAN_BUDGET = 500_000;

export interface MetaSelection {
  readonly measurement?: string;
  readonly source?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** µs */
  readonly updatedAfter?: number;
}

export interface PointsPlan {
  readonly table: string;
  /** µs, inclusive */
  readonly begin: number;
  /** µs, exclusive */
  readonly end?: number;
  readonly limit: number;
  readonly maxSeries: number;
  /** One series named exactly, or every series the meta query selects. */
  readonly series: { readonly key: SeriesKey } | { readonly select: MetaSelection };
  readonly agg?: { readonly intervalUs: number; readonly spec: AggSpec };
  readonly backward?: boolean;
}

export interface PointsPosition {
  readonly m?: string;
  readonly i: number;
  readonly k: string;
  readonly d?: string;
  readonly t?: number;
}

export interface SeriesPoints {
  readonly key: SeriesKey;
  readonly points: Point[];
}

/** Called around each Tablestore call so the route can map failures to the action and table. */
export type CallWrapper = <T>(
  action: 'ots:QueryTimeseriesMeta' | 'ots:GetTimeseriesData',
  run: () => Promise<T>,
) => Promise<T>;

const keyText = (k: SeriesKey): string =>
  JSON.stringify([k.measurement, k.source, Object.entries(k.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export function isPosition(p: unknown): p is PointsPosition {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const o = p as Record<string, unknown>;
  return (
    Number.isSafeInteger(o.i) &&
    (o.i as number) >= 0 &&
    typeof o.k === 'string' &&
    (o.m === undefined || typeof o.m === 'string') &&
    (o.d === undefined || typeof o.d === 'string') &&
    (o.t === undefined || (Number.isSafeInteger(o.t) && (o.t as number) >= 0))
  );
}

interface SeriesResult {
  readonly points: Point[];
  /** Where this series continues, when the page ended inside it. */
  readonly resume?: { d?: string; t?: number };
}

/** Raw points of one series, at most `room`, from `token`. */
async function rawSeries(
  ts: TimeseriesReader,
  plan: PointsPlan,
  key: SeriesKey,
  room: number,
  token: Uint8Array | undefined,
  call: CallWrapper,
): Promise<SeriesResult> {
  const points: Point[] = [];
  for (;;) {
    const page = await call('ots:GetTimeseriesData', () =>
      ts.getData({
        table: plan.table,
        key,
        begin: plan.begin,
        ...(plan.end === undefined ? {} : { end: plan.end }),
        backward: plan.backward === true,
        limit: Math.min(room - points.length, DATA_PAGE),
        ...(token ? { token } : {}),
      }),
    );
    points.push(...page.points);
    token = page.next && page.next.length > 0 ? page.next : undefined;
    if (!token) return { points };
    if (points.length >= room) return { points, resume: { d: b64(token) } };
  }
}

/** Buckets of one series, at most `room`, from bucket start `from`; `scanned` counts raw points read. */
async function bucketSeries(
  ts: TimeseriesReader,
  plan: PointsPlan,
  key: SeriesKey,
  room: number,
  from: number | undefined,
  scanned: { n: number },
  call: CallWrapper,
): Promise<SeriesResult> {
  const agg = plan.agg as NonNullable<PointsPlan['agg']>;
  const bucketer = new Bucketer(agg.intervalUs, agg.spec);
  const buckets: Point[] = [];
  let token: Uint8Array | undefined;
  const begin = Math.max(plan.begin, from ?? 0);
  for (;;) {
    const page = await call('ots:GetTimeseriesData', () =>
      ts.getData({
        table: plan.table,
        key,
        begin,
        ...(plan.end === undefined ? {} : { end: plan.end }),
        backward: false,
        limit: DATA_PAGE,
        ...(token ? { token } : {}),
      }),
    );
    scanned.n += page.points.length;
    for (const p of page.points) {
      const done = bucketer.add(p);
      if (!done) continue;
      buckets.push(done);
      // The page ends at a bucket boundary: when it is full, or when this request has read its share.
      if (buckets.length >= room || scanned.n >= SCAN_BUDGET)
        return { points: buckets, resume: { t: bucketer.current as number } };
    }
    token = page.next && page.next.length > 0 ? page.next : undefined;
    if (!token) break;
  }
  const last = bucketer.flush();
  if (last) buckets.push(last);
  return { points: buckets };
}

/** One page of points; `position` is what the previous page's `next` carried. */
export async function readPoints(
  ts: TimeseriesReader,
  plan: PointsPlan,
  position: PointsPosition | undefined,
  call: CallWrapper,
): Promise<{ series: SeriesPoints[]; next?: PointsPosition }> {
  const out: SeriesPoints[] = [];
  let room = plan.limit;
  let visited = 0;
  const scanned = { n: 0 };
  let metaToken = position?.m;
  let index = position?.i ?? 0;
  let resume: { d?: string; t?: number } | undefined = position
    ? { ...(position.d ? { d: position.d } : {}), ...(position.t === undefined ? {} : { t: position.t }) }
    : undefined;
  let expectKey = position?.k;
  for (;;) {
    let keys: SeriesKey[];
    let nextMeta: string | undefined;
    if ('key' in plan.series) {
      keys = [plan.series.key];
    } else {
      const select = plan.series.select;
      const page = await call('ots:QueryTimeseriesMeta', () =>
        ts.queryMeta({
          table: plan.table,
          limit: plan.maxSeries,
          ...(select.measurement === undefined ? {} : { measurement: select.measurement }),
          ...(select.source === undefined ? {} : { source: select.source }),
          ...(select.tags && Object.keys(select.tags).length > 0 ? { tags: select.tags } : {}),
          ...(select.updatedAfter === undefined ? {} : { updatedAfter: select.updatedAfter }),
          ...(metaToken === undefined ? {} : { token: unb64(metaToken) }),
        }),
      );
      keys = page.series.map((s) => s.key);
      nextMeta = page.next && page.next.length > 0 ? b64(page.next) : undefined;
    }
    if (expectKey !== undefined) {
      if (index >= keys.length || keyText(keys[index]) !== expectKey) {
        throw new ApiError(
          409,
          'SeriesChanged',
          "query parameter 'next': the selected series changed since this page token was issued; repeat the query without 'next'",
        );
      }
      expectKey = undefined;
    }
    for (; index < keys.length; index++) {
      const key = keys[index];
      const here = { ...(metaToken === undefined ? {} : { m: metaToken }), i: index, k: keyText(key) };
      if (room <= 0 || visited >= plan.maxSeries || scanned.n >= SCAN_BUDGET) return { series: out, next: here };
      visited += 1;
      const r = plan.agg
        ? await bucketSeries(ts, plan, key, room, resume?.t, scanned, call)
        : await rawSeries(ts, plan, key, room, resume?.d ? unb64(resume.d) : undefined, call);
      resume = undefined;
      if (r.points.length > 0 || 'key' in plan.series) out.push({ key, points: r.points });
      room -= r.points.length;
      if (r.resume) return { series: out, next: { ...here, ...r.resume } };
    }
    if (nextMeta === undefined) return { series: out };
    metaToken = nextMeta;
    index = 0;
  }
}
