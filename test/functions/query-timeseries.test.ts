/**
 * `/timeseries/{table}/points` across series (match=meta) and in buckets (interval + agg), and
 * `/timeseries/{table}/latest`, through real FC HTTP events against Tablestore Local under the function's
 * policy: every page followed to the end equals what was written (each point once), buckets equal a
 * brute-force computation over the written points, bad input answers 400 naming the parameter.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgg, parseInterval } from '../../lib/api/aggregate';
import { createHttpHandler } from '../../lib/api/http-app';
import { encodeValue, type TsValue } from '../../lib/api/lossless';
import type { Point } from '../../lib/api/ports';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import type { FcHttpResponse } from '../../lib/fc/types';
import { bruteForce } from './aggregate-oracle';
import { httpEvent, memoryStream } from './fc-event';
import { startFixture, type Fixture } from './fixture';

let f: Fixture;
let http: (event: Buffer, context: ReturnType<Fixture['context']>) => Promise<FcHttpResponse>;
const T0 = 1_790_000_000_000_000;

interface Written {
  measurement: string;
  source: string;
  tags: Record<string, string>;
  points: Point[];
}
const written: Written[] = [];
const LONG = { measurement: 'long', source: 'one', tags: { k: 'v' } };
const LONG_POINTS = 12_000;

async function get(path: string, query: Record<string, string> = {}) {
  const res = await http(httpEvent('GET', path, query), f.context());
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

async function all(path: string, query: Record<string, string>): Promise<{ bodies: any[] }> {
  const bodies: any[] = [];
  let next: string | null = null;
  do {
    const r = await get(path, { ...query, ...(next ? { next } : {}) });
    expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(200);
    bodies.push(r.body);
    next = r.body.next;
    expect(bodies.length).toBeLessThan(2000);
  } while (next);
  return { bodies };
}

const seriesId = (s: { measurement: string; source: string; tags: Record<string, string> }) =>
  `${s.measurement}|${s.source}|${JSON.stringify(Object.entries(s.tags).sort())}`;
const pointJson = (p: Point) => ({
  time: p.time,
  fields: Object.fromEntries(Object.entries(p.fields).map(([name, v]) => [name, encodeValue(v)])),
});

beforeAll(async () => {
  f = await startFixture('tsfcquery');
  http = createHttpHandler({
    readers: readersFor,
    env: f.env(),
    logger: createLogger({ destination: memoryStream() }),
  });
  await f.ts.createTimeseriesTable({ tableName: 'm' });
  let seed = 11;
  const r = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const specs: Array<Omit<Written, 'points'>> = [];
  for (let h = 0; h < 9; h++)
    specs.push({
      measurement: 'cpu',
      source: `h${h}`,
      tags: { env: h % 3 === 0 ? 'staging' : 'prod', rack: `r${h % 2}` },
    });
  for (let h = 0; h < 4; h++) specs.push({ measurement: 'mem', source: `h${h}`, tags: { env: 'prod' } });
  for (const s of specs) {
    const n = s.source === 'h4' && s.measurement === 'cpu' ? 0 : Math.floor(r() * 700);
    let t = T0;
    const points: Point[] = [];
    for (let i = 0; i < n; i++) {
      t += 1_000_000 + Math.floor(r() * 90) * 1_000_000;
      const fields: Record<string, TsValue> = { n: BigInt(Math.floor(r() * 1000) - 500) };
      if (r() < 0.8) fields.usage = Math.round(r() * 1000) / 8;
      if (r() < 0.1) fields.note = `x${i}`;
      points.push({ time: t, fields });
    }
    written.push({ ...s, points });
  }
  const long: Point[] = Array.from({ length: LONG_POINTS }, (_, i) => ({
    time: T0 + i * 1_000_000,
    fields: { v: i / 4 },
  }));
  written.push({ ...LONG, points: long });
  for (const w of written) {
    // A series without points still has its meta row.
    const rows = w.points.map((p) => ({
      key: { measurement: w.measurement, dataSource: w.source, tags: w.tags },
      time: BigInt(p.time),
      fields: p.fields as Record<string, string | number | bigint | boolean>,
    }));
    if (rows.length === 0)
      rows.push({
        key: { measurement: w.measurement, dataSource: w.source, tags: w.tags },
        time: BigInt(T0 - 1_000_000_000),
        fields: { n: 0n },
      });
    for (let i = 0; i < rows.length; i += 500)
      await f.ts.putTimeseriesData({ tableName: 'm', rows: rows.slice(i, i + 500) });
  }
  const empty = written.find((w) => w.points.length === 0) as Written;
  empty.points = [{ time: T0 - 1_000_000_000, fields: { n: 0n } }];
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

const selections: Array<[Record<string, string>, (w: Written) => boolean]> = [
  [{ measurement: 'cpu' }, (w) => w.measurement === 'cpu'],
  [{ measurement: 'cpu', tag: 'env=prod' }, (w) => w.measurement === 'cpu' && w.tags.env === 'prod'],
  [{ tag: 'env=prod' }, (w) => w.tags.env === 'prod'],
  [{ source: 'h1' }, (w) => w.source === 'h1'],
  [{}, () => true],
];

describe('points across series (match=meta)', () => {
  it('returns every point of every selected series exactly once, whatever limit and maxSeries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...selections.slice(0, 4)),
        fc.integer({ min: 40, max: 900 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async ([sel, keep], limit, maxSeries, backward) => {
          const { bodies } = await all('/timeseries/m/points', {
            ...sel,
            match: 'meta',
            limit: String(limit),
            maxSeries: String(maxSeries),
            ...(backward ? { backward: 'true' } : {}),
          });
          const got = new Map<string, any[]>();
          for (const b of bodies) {
            expect(b.series.length).toBeLessThanOrEqual(maxSeries);
            expect(b.series.reduce((n: number, s: any) => n + s.points.length, 0)).toBeLessThanOrEqual(limit);
            for (const s of b.series) got.set(seriesId(s), [...(got.get(seriesId(s)) ?? []), ...s.points]);
          }
          const expected = new Map(
            written
              .filter(keep)
              .map((w) => [seriesId(w), (backward ? [...w.points].reverse() : w.points).map(pointJson)]),
          );
          expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
          for (const [id, points] of expected) expect(got.get(id), id).toEqual(points);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('start/end and updatedAfter narrow the selection; fields selects fields', async () => {
    const r = await get('/timeseries/m/points', {
      match: 'meta',
      measurement: 'mem',
      start: String(T0 + 100_000_000),
      end: String(T0 + 300_000_000),
      fields: 'usage',
      limit: '5000',
    });
    expect(r.status).toBe(200);
    for (const s of r.body.series) {
      const w = written.find((x) => seriesId(x) === seriesId(s)) as Written;
      const expected = w.points.filter((p) => p.time >= T0 + 100_000_000 && p.time < T0 + 300_000_000);
      expect(s.points.map((p: any) => p.time)).toEqual(expected.map((p) => p.time));
      for (const p of s.points) expect(Object.keys(p.fields).every((k) => k === 'usage')).toBe(true);
    }
    const future = await get('/timeseries/m/points', { match: 'meta', updatedAfter: '2100-01-01T00:00:00Z' });
    expect(future.body).toMatchObject({ series: [], next: null });
  });
});

describe('aggregation (interval + agg)', () => {
  it('equals a brute-force computation over the written points, one series or many, across pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('30s', '1m', '5m', '7m', '1h'),
        fc.constantFrom(
          'avg',
          'min',
          'max',
          'sum',
          'count',
          'first',
          'last',
          'usage:avg',
          'n:sum,usage:max',
          'count,usage:last',
        ),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        async (interval, agg, limit, meta) => {
          const spec = parseAgg(agg);
          const fn = (name: string) => spec.fields.get(name) ?? spec.all;
          const us = parseInterval(interval);
          if (meta) {
            const { bodies } = await all('/timeseries/m/points', {
              match: 'meta',
              measurement: 'cpu',
              interval,
              agg,
              limit: String(limit),
              maxSeries: '3',
            });
            const got = new Map<string, any[]>();
            for (const b of bodies) {
              expect(b).toMatchObject({ interval, agg });
              for (const s of b.series) got.set(seriesId(s), [...(got.get(seriesId(s)) ?? []), ...s.points]);
            }
            for (const w of written.filter((x) => x.measurement === 'cpu')) {
              expect(got.get(seriesId(w)) ?? [], seriesId(w)).toEqual(bruteForce(w.points, us, fn).map(pointJson));
            }
          } else {
            const w = written[1];
            const { bodies } = await all('/timeseries/m/points', {
              measurement: w.measurement,
              source: w.source,
              tag: Object.entries(w.tags)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
              interval,
              agg,
              limit: String(limit),
            });
            expect(bodies.flatMap((b) => b.points)).toEqual(bruteForce(w.points, us, fn).map(pointJson));
            expect(bodies[0].series).toEqual({ measurement: w.measurement, source: w.source, tags: w.tags });
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('streams a 12,000-point series through several data pages: each bucket once, aligned to the epoch', async () => {
    const { bodies } = await all('/timeseries/m/points', {
      measurement: LONG.measurement,
      source: LONG.source,
      tag: 'k=v',
      interval: '1m',
      agg: 'avg',
      limit: '37',
    });
    const buckets = bodies.flatMap((b) => b.points);
    const long = written.find((w) => w.measurement === 'long') as Written;
    expect(buckets).toEqual(bruteForce(long.points, 60_000_000, () => 'avg').map(pointJson));
    expect(bodies.length).toBe(Math.ceil(buckets.length / 37));
    for (const b of buckets) expect(b.time % 60_000_000).toBe(0);
  });
});

describe('latest', () => {
  it('returns the last point of each selected series, paging through the series once', async () => {
    for (const [sel, keep] of selections) {
      const { bodies } = await all('/timeseries/m/latest', { ...sel, limit: '2' });
      const got = bodies.flatMap((b) => b.series);
      const expected = written.filter(keep);
      expect(got.map(seriesId).sort()).toEqual(expected.map(seriesId).sort());
      for (const s of got) {
        const w = expected.find((x) => seriesId(x) === seriesId(s)) as Written;
        expect(s.point).toEqual(pointJson(w.points[w.points.length - 1]));
      }
    }
    const fields = await get('/timeseries/m/latest', { measurement: 'long', fields: 'nope' });
    expect(fields.body.series[0].point).toEqual({ time: T0 + (LONG_POINTS - 1) * 1_000_000, fields: {} });
  });
});

describe('OpenAPI', () => {
  it('publishes the new routes and parameters, and every answer conforms to the published response schema', async () => {
    const doc = (await get('/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const conforms = (route: string, body: unknown) => {
      const schema = doc.paths[route].get.responses['200'].content['application/json'].schema;
      const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"doc#/components')));
      expect(validate(body), `${route}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    };
    const params = (route: string) => doc.paths[route].get.parameters.map((p: any) => p.name);
    expect(params('/timeseries/{table}/points')).toEqual(
      expect.arrayContaining(['match', 'updatedAfter', 'maxSeries', 'interval', 'agg']),
    );
    expect(params('/tables/{table}/rows')).toContain('filter');
    expect(params('/timeseries/{table}/latest')).toEqual(
      expect.arrayContaining(['measurement', 'source', 'tag', 'updatedAfter', 'fields', 'limit', 'next']),
    );
    const queries: Array<Record<string, string>> = [
      { measurement: 'cpu', source: 'h1', tag: 'env=prod,rack=r1', limit: '3' },
      { measurement: 'cpu', source: 'h1', tag: 'env=prod,rack=r1', interval: '5m', agg: 'avg', limit: '3' },
      { match: 'meta', measurement: 'cpu', limit: '3' },
      { match: 'meta', interval: '1h', agg: 'n:sum', limit: '3' },
    ];
    for (const q of queries) {
      const r = await get('/timeseries/m/points', q);
      expect(r.status).toBe(200);
      conforms('/timeseries/{table}/points', r.body);
    }
    conforms('/timeseries/{table}/latest', (await get('/timeseries/m/latest', { limit: '3' })).body);
  });
});

describe('bad input', () => {
  it('answers 400 naming the parameter', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['/timeseries/m/points', {}, /'measurement' is required/],
      ['/timeseries/m/points', { measurement: 'cpu', interval: '5m' }, /'agg' is required with 'interval'/],
      ['/timeseries/m/points', { measurement: 'cpu', agg: 'avg' }, /'interval' is required with 'agg'/],
      ['/timeseries/m/points', { measurement: 'cpu', interval: '5w', agg: 'avg' }, /'interval'/],
      ['/timeseries/m/points', { measurement: 'cpu', interval: '999d', agg: 'avg' }, /'interval'/],
      [
        '/timeseries/m/points',
        { measurement: 'cpu', interval: '5m', agg: 'median' },
        /'agg' has an unknown function 'median'/,
      ],
      ['/timeseries/m/points', { measurement: 'cpu', interval: '5m', agg: 'avg', backward: 'true' }, /'backward'/],
      ['/timeseries/m/points', { measurement: 'cpu', updatedAfter: '0' }, /'updatedAfter' needs match=meta/],
      ['/timeseries/m/points', { measurement: 'cpu', maxSeries: '3' }, /'maxSeries' needs match=meta/],
      ['/timeseries/m/points', { match: 'meta', maxSeries: '0' }, /maxSeries/],
      ['/timeseries/m/points', { match: 'all' }, /match/],
      ['/timeseries/m/latest', { limit: '1001' }, /limit/],
      ['/timeseries/m/latest', { updatedAfter: 'yesterday' }, /updatedAfter/],
      ['/timeseries/m/latest', { tag: 'novalue' }, /'tag'/],
    ];
    for (const [path, q, pattern] of cases) {
      const r = await get(path, q);
      expect(r.status, `${path} ${JSON.stringify(q)}`).toBe(400);
      expect(r.body.error.message, JSON.stringify(q)).toMatch(pattern);
    }
  });

  it('a next token is bound to its query and mode', async () => {
    const first = await get('/timeseries/m/points', { match: 'meta', measurement: 'cpu', limit: '3' });
    expect(first.body.next).toEqual(expect.any(String));
    const other = await get('/timeseries/m/points', {
      match: 'meta',
      measurement: 'mem',
      limit: '3',
      next: first.body.next,
    });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toContain("'next'");
    const latest = await get('/timeseries/m/latest', { measurement: 'cpu', next: first.body.next });
    expect(latest.status).toBe(400);
  });
});

describe('field names', () => {
  it('keeps a field named "__proto__" an ordinary field in raw points, buckets and the latest point', async () => {
    // A legal time series field name; plain assignment into an object would set the prototype and drop it.
    const key = { measurement: 'proto', dataSource: 'p1', tags: { k: 'v' } };
    const rows = [1, 2, 3].map((i) => {
      const fields: Record<string, number | bigint> = { usage: i / 2 };
      Object.defineProperty(fields, '__proto__', { value: BigInt(i), enumerable: true, writable: true });
      return { key, time: BigInt(T0 + i * 1_000_000), fields };
    });
    await f.ts.putTimeseriesData({ tableName: 'm', rows });
    const owned = (fields: object) => Object.getOwnPropertyDescriptor(fields, '__proto__')?.value;
    const series = { measurement: 'proto', source: 'p1', tag: 'k=v' };
    const raw = await get('/timeseries/m/points', series);
    expect(raw.status).toBe(200);
    expect(raw.body.points.map((p: { fields: object }) => owned(p.fields))).toEqual([1, 2, 3]);
    expect(raw.body.points.map((p: { fields: { usage: number } }) => p.fields.usage)).toEqual([0.5, 1, 1.5]);
    const picked = await get('/timeseries/m/points', { ...series, fields: '__proto__' });
    expect(picked.body.points.map((p: { fields: object }) => Object.keys(p.fields))).toEqual([
      ['__proto__'],
      ['__proto__'],
      ['__proto__'],
    ]);
    const summed = await get('/timeseries/m/points', { ...series, interval: '1h', agg: 'sum' });
    expect(summed.status).toBe(200);
    expect(owned(summed.body.points[0].fields)).toBe(6);
    expect(summed.body.points[0].fields.usage).toBe(3);
    const latest = await get('/timeseries/m/latest', { measurement: 'proto' });
    expect(owned(latest.body.series[0].point.fields)).toBe(3);
  });
});
