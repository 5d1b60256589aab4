/**
 * The demo data set, generated deterministically (same rows on every machine, so the docs' outputs hold):
 *  - wide table `orders`: PK (customer_id STRING, order_id INTEGER), ~10k rows with string, integer, double,
 *    boolean and binary columns;
 *  - time series table `metrics`: cpu / temperature / requests measurements from a few sources with tags, one
 *    point per minute for the last 7 days; `temperature` from `sensor-2` stopped reporting two days ago (the
 *    deliberately stale series the table audit should find).
 */
import type { TimeseriesKey } from '../../lib/tablestore/timeseries/types';

export const WIDE_TABLE = 'orders';
export const TIMESERIES_TABLE = 'metrics';

export interface OrderRow {
  readonly customerId: string;
  readonly orderId: bigint;
  readonly status: string;
  readonly amount: number;
  readonly quantity: bigint;
  readonly paid: boolean;
  readonly createdAt: bigint;
  readonly sku: string;
  readonly note?: string;
  readonly checksum: Uint8Array;
}

/** mulberry32: tiny, fast, good enough for demo data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ['created', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const SKUS = ['keyboard', 'mouse', 'monitor', 'laptop-stand', 'usb-hub', 'headset', 'webcam', 'desk-lamp'];
const NOTES = ['gift wrap', 'leave at the door', 'call before delivery', 'fragile'];
/** 2026-01-01T00:00:00Z: order timestamps are fixed so outputs are reproducible. */
const BASE_MS = 1_767_225_600_000;

export function* orderRows(count: number): Generator<OrderRow> {
  const rnd = prng(20261123);
  const customers = Math.max(1, Math.round(count / 20));
  for (let i = 0; i < count; i++) {
    const c = i % customers;
    const quantity = 1 + Math.floor(rnd() * 5);
    const unit = Math.round((5 + rnd() * 195) * 100) / 100;
    const status = STATUSES[Math.floor(rnd() * STATUSES.length)];
    const noteRoll = rnd();
    const checksum = new Uint8Array(4);
    new DataView(checksum.buffer).setUint32(0, Math.floor(rnd() * 0xffffffff));
    yield {
      customerId: `c${String(c + 1).padStart(4, '0')}`,
      orderId: BigInt(100000 + i),
      status,
      amount: Math.round(unit * quantity * 100) / 100,
      quantity: BigInt(quantity),
      paid: status !== 'created' && status !== 'cancelled',
      createdAt: BigInt(BASE_MS + i * 47_000 + Math.floor(rnd() * 30_000)),
      sku: SKUS[Math.floor(rnd() * SKUS.length)],
      ...(noteRoll < 0.15 ? { note: NOTES[Math.floor(noteRoll * 100) % NOTES.length] } : {}),
      checksum,
    };
  }
}

export interface SeriesSpec {
  readonly key: TimeseriesKey;
  /** Minutes before "now" of the series' last point (0 = current; the stale series stops earlier). */
  readonly stopsMinutesAgo: number;
  /** Field values of the point at minute `m` since the epoch (so the daily cycle follows UTC). */
  readonly fields: (minute: number, rnd: () => number) => Record<string, bigint | number | boolean | string>;
}

const daily = (minute: number): number => Math.sin(((minute % 1440) / 1440) * 2 * Math.PI - Math.PI / 2);

export const STALE_AFTER_MINUTES_HINT = 2 * 24 * 60;

export const SERIES: readonly SeriesSpec[] = [
  {
    key: { measurement: 'cpu', dataSource: 'host-a', tags: { region: 'cn-hangzhou', env: 'prod' } },
    stopsMinutesAgo: 0,
    fields: (m, r) => ({ usage: round(45 + 30 * daily(m) + r() * 10), cores: 8n, throttled: r() < 0.02 }),
  },
  {
    key: { measurement: 'cpu', dataSource: 'host-b', tags: { region: 'cn-hangzhou', env: 'staging' } },
    stopsMinutesAgo: 0,
    fields: (m, r) => ({ usage: round(20 + 10 * daily(m) + r() * 5), cores: 4n, throttled: false }),
  },
  {
    key: { measurement: 'temperature', dataSource: 'sensor-1', tags: { site: 'hz-dc1', rack: 'r01' } },
    stopsMinutesAgo: 0,
    fields: (m, r) => ({ celsius: round(22 + 2 * daily(m) + r() * 0.5), unit: 'C' }),
  },
  {
    // The deliberately stale series: sensor-2 went silent two days ago.
    key: { measurement: 'temperature', dataSource: 'sensor-2', tags: { site: 'hz-dc1', rack: 'r02' } },
    stopsMinutesAgo: STALE_AFTER_MINUTES_HINT,
    fields: (m, r) => ({ celsius: round(24 + 2 * daily(m) + r() * 0.5), unit: 'C' }),
  },
  {
    key: { measurement: 'requests', dataSource: 'gateway', tags: { region: 'cn-shanghai', route: '/api' } },
    stopsMinutesAgo: 0,
    fields: (m, r) => {
      const count = BigInt(Math.max(0, Math.round(600 + 400 * daily(m) + r() * 50)));
      return { count, errors: BigInt(Math.floor(r() * 4)), p99_ms: round(80 + r() * 40) };
    },
  },
];

export const STALE_SERIES: TimeseriesKey = SERIES.find((s) => s.stopsMinutesAgo > 0)!.key;

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
