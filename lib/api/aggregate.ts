/**
 * Time buckets for `/timeseries/{table}/points?interval=…&agg=…`: points (in ascending time) go in one at a
 * time and each bucket comes out as soon as a later point shows it is complete, so memory stays constant
 * whatever the number of points. Buckets are aligned to the epoch: a bucket starts at a multiple of the
 * interval (µs since 1970-01-01T00:00:00Z), so the same interval gives the same buckets whatever `start`.
 *
 * Per field: `count` counts values of any type, `first`/`last` keep the earliest/latest value of any type;
 * `sum`, `avg`, `min`, `max` use the numeric values only (INTEGER and DOUBLE). `sum`/`min`/`max` stay INTEGER
 * (exact, int64 wrap-around aside) while every value seen is an INTEGER; `avg` is always a DOUBLE. A field
 * with no usable value in a bucket is left out of that bucket.
 */
import { ApiError } from '../fc/errors';
import type { TsValue } from './lossless';
import type { Point } from './ports';
import { setOwn } from '../tablestore/set-own';

export const AGG_FUNCTIONS = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;
export type AggFunction = (typeof AGG_FUNCTIONS)[number];

/** Which function each field gets: `all` applies to every field not named in `fields`. */
export interface AggSpec {
  readonly all?: AggFunction;
  readonly fields: ReadonlyMap<string, AggFunction>;
}

const UNITS_US: Record<string, number> = {
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};
/** Largest interval accepted (366 days). */
export const MAX_INTERVAL_US = 366 * UNITS_US.d;

/** `5m`, `30s`, `1h`, `1d`, `500ms` → microseconds. */
export function parseInterval(raw: string): number {
  const m = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/.exec(raw);
  const us = m ? Number(m[1]) * UNITS_US[m[2]] : Number.NaN;
  if (!m || !(us <= MAX_INTERVAL_US)) {
    throw new ApiError(
      400,
      'InvalidParameter',
      "query parameter 'interval' must be a positive duration like 30s, 5m, 1h or 1d (at most 366d)",
    );
  }
  return us;
}

const isAgg = (s: string): s is AggFunction => (AGG_FUNCTIONS as readonly string[]).includes(s);

/** `avg` (every field) or `usage:avg,seq:max` (only the fields named), or both: `max,usage:avg`. */
export function parseAgg(raw: string): AggSpec {
  let all: AggFunction | undefined;
  const fields = new Map<string, AggFunction>();
  const bad = (why: string): never => {
    throw new ApiError(
      400,
      'InvalidParameter',
      `query parameter 'agg' ${why}; use one of ${AGG_FUNCTIONS.join('|')}, or field:function pairs separated by commas`,
    );
  };
  const parts = raw.split(',');
  if (parts.length > 128) bad('names more than 128 fields');
  for (const part of parts) {
    const colon = part.lastIndexOf(':');
    const fn = part.slice(colon + 1);
    if (!isAgg(fn)) bad(`has an unknown function '${fn.slice(0, 40)}'`);
    if (colon < 0) {
      if (all !== undefined && all !== fn) bad('names two functions for every field');
      all = fn as AggFunction;
      continue;
    }
    const field = part.slice(0, colon);
    if (field === '') bad('has an empty field name');
    if (fields.has(field) && fields.get(field) !== fn) bad(`names field '${field.slice(0, 60)}' twice`);
    fields.set(field, fn as AggFunction);
  }
  return { ...(all === undefined ? {} : { all }), fields };
}

export const bucketStart = (time: number, intervalUs: number): number => Math.floor(time / intervalUs) * intervalUs;

interface Acc {
  count: number;
  /** numeric values seen */
  n: number;
  allInt: boolean;
  isum: bigint;
  fsum: number;
  min?: bigint | number;
  max?: bigint | number;
  first?: TsValue;
  last?: TsValue;
}

const less = (a: bigint | number, b: bigint | number): boolean =>
  typeof a === typeof b ? a < b : Number(a) < Number(b);

function add(acc: Acc, v: TsValue): void {
  acc.count += 1;
  if (acc.first === undefined) acc.first = v;
  acc.last = v;
  if (typeof v !== 'bigint' && typeof v !== 'number') return;
  acc.n += 1;
  if (typeof v === 'bigint') {
    acc.isum += v;
    acc.fsum += Number(v);
  } else {
    acc.allInt = false;
    acc.fsum += v;
  }
  if (acc.min === undefined || less(v, acc.min)) acc.min = v;
  if (acc.max === undefined || less(acc.max, v)) acc.max = v;
}

/** int64 arithmetic wraps like Tablestore's own INTEGER. */
const wrap64 = (v: bigint): bigint => BigInt.asIntN(64, v);

function result(acc: Acc, fn: AggFunction): TsValue | undefined {
  switch (fn) {
    case 'count':
      return BigInt(acc.count);
    case 'first':
      return acc.first;
    case 'last':
      return acc.last;
    case 'sum':
      return acc.n === 0 ? undefined : acc.allInt ? wrap64(acc.isum) : acc.fsum;
    case 'avg':
      return acc.n === 0 ? undefined : acc.allInt ? Number(acc.isum) / acc.n : acc.fsum / acc.n;
    case 'min':
      return acc.min === undefined ? undefined : acc.allInt ? acc.min : Number(acc.min);
    case 'max':
      return acc.max === undefined ? undefined : acc.allInt ? acc.max : Number(acc.max);
  }
}

/**
 * One series' bucketing. `add` returns the bucket completed by this point, if any; `flush` the bucket in
 * progress (at the end of the data). Fields come out sorted by name.
 */
export class Bucketer {
  private start: number | undefined;
  private accs = new Map<string, Acc>();

  constructor(
    readonly intervalUs: number,
    private readonly spec: AggSpec,
  ) {}

  /** Start of the bucket in progress (undefined before the first point). */
  get current(): number | undefined {
    return this.start;
  }

  private fn(field: string): AggFunction | undefined {
    return this.spec.fields.get(field) ?? this.spec.all;
  }

  add(point: Point): Point | undefined {
    const b = bucketStart(point.time, this.intervalUs);
    let done: Point | undefined;
    if (this.start !== undefined && b !== this.start) {
      if (b < this.start) throw new Error('points must arrive in ascending time');
      done = this.flush();
    }
    this.start = b;
    for (const name in point.fields) {
      if (this.fn(name) === undefined) continue;
      let acc = this.accs.get(name);
      if (!acc) {
        acc = { count: 0, n: 0, allInt: true, isum: 0n, fsum: 0 };
        this.accs.set(name, acc);
      }
      add(acc, point.fields[name]);
    }
    return done;
  }

  flush(): Point | undefined {
    if (this.start === undefined) return undefined;
    const fields: Record<string, TsValue> = {};
    for (const name of [...this.accs.keys()].sort()) {
      const value = result(this.accs.get(name) as Acc, this.fn(name) as AggFunction);
      if (value !== undefined) setOwn(fields, name, value);
    }
    const out = { time: this.start, fields };
    this.start = undefined;
    this.accs = new Map();
    return out;
  }
}
