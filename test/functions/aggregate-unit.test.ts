/**
 * The bucket engine against a brute-force computation (group every point by its epoch-aligned bucket, then
 * apply the function to the whole group) on random series, and the interval/agg parameter parsers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGG_FUNCTIONS, Bucketer, parseAgg, parseInterval } from '../../lib/api/aggregate';
import type { TsValue } from '../../lib/api/lossless';
import type { Point } from '../../lib/api/ports';
import { bruteForce } from './aggregate-oracle';

const valueArb: fc.Arbitrary<TsValue> = fc.oneof(
  fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
  fc.constantFrom(-(1n << 63n), (1n << 63n) - 1n, 9007199254740993n),
  fc.integer({ min: -1000, max: 1000 }).map((n) => n / 8),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
);

const seriesArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 400_000_000 }),
      fields: fc.dictionary(fc.constantFrom('a', 'b', 'c'), valueArb, { maxKeys: 3 }),
    }),
    { maxLength: 300 },
  )
  .map((rows) => {
    let t = 1_790_000_000_000_000;
    return rows.map((r): Point => {
      t += r.gap;
      return { time: t, fields: r.fields };
    });
  });

describe('aggregation engine', () => {
  it('equals a brute-force computation on random series, for every function and interval', () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.constantFrom('1s', '30s', '1m', '5m', '1h', '7m', '1d'),
        fc.constantFrom(...AGG_FUNCTIONS),
        fc.option(fc.record({ field: fc.constantFrom('a', 'b', 'c'), fn: fc.constantFrom(...AGG_FUNCTIONS) }), {
          nil: undefined,
        }),
        fc.boolean(),
        (points, interval, all, one, everyField) => {
          const spec = parseAgg(
            [...(everyField ? [all] : []), ...(one ? [`${one.field}:${one.fn}`] : [])].join(',') || all,
          );
          const us = parseInterval(interval);
          const b = new Bucketer(us, spec);
          const got: Point[] = [];
          for (const p of points) {
            const done = b.add(p);
            if (done) got.push(done);
          }
          const last = b.flush();
          if (last) got.push(last);
          const fn = (f: string) => spec.fields.get(f) ?? spec.all;
          const expected = bruteForce(points, us, fn);
          expect(got.map((p) => p.time)).toEqual(expected.map((p) => p.time));
          for (let i = 0; i < got.length; i++) {
            expect(Object.keys(got[i].fields)).toEqual(Object.keys(expected[i].fields));
            for (const [name, v] of Object.entries(got[i].fields)) {
              const e = expected[i].fields[name];
              if (typeof e === 'number' && typeof v === 'number') expect(v).toBeCloseTo(e, 6);
              else expect(v).toEqual(e);
            }
          }
          // Buckets start at multiples of the interval since the epoch.
          for (const p of got) expect(p.time % us).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parses intervals and aggregate lists, and names the parameter when they are wrong', () => {
    expect(parseInterval('5m')).toBe(300_000_000);
    expect(parseInterval('1d')).toBe(86_400_000_000);
    expect(parseInterval('250ms')).toBe(250_000);
    for (const bad of ['0m', '5', 'm', '5w', '-1h', '367d', '99999999999s'])
      expect(() => parseInterval(bad), bad).toThrow(/'interval'/);
    expect(parseAgg('avg')).toEqual({ all: 'avg', fields: new Map() });
    expect(parseAgg('max,usage:avg,host:port:last')).toEqual({
      all: 'max',
      fields: new Map([
        ['usage', 'avg'],
        ['host:port', 'last'],
      ]),
    });
    for (const bad of ['', 'mean', 'a:avg,a:max', 'avg,max', ':avg', 'x:'])
      expect(() => parseAgg(bad), bad).toThrow(/'agg'/);
  });
});
