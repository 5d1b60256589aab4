/**
 * Time parameters: impossible calendar dates and times of day, and values beyond 2^53 µs, are a 400 naming the
 * parameter, never rolled over into another instant. Valid ISO-8601 agrees with Date.parse (the oracle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib/fc/errors';
import { parseTimeParam } from '../../lib/api/params';

function refused(name: string, raw: string): ApiError {
  try {
    parseTimeParam(name, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`'${raw}' was accepted`);
}

describe('time parameters', () => {
  it('refuse impossible dates, 24:00, leap seconds and bad zone offsets with a 400 naming the parameter', () => {
    for (const raw of [
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-12-31T23:59:60Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00+05:60',
    ]) {
      const e = refused('start', raw);
      expect(e.status, raw).toBe(400);
      expect(e.message, raw).toMatch(/'start'/);
    }
    expect(parseTimeParam('start', '2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z') * 1000);
  });

  it('refuse instants beyond 2^53 µs, in ISO-8601 as in integers', () => {
    for (const raw of [
      '9999-12-31T23:59:59.999999999Z',
      '2300-01-01T00:00:00Z',
      '9007199254740992',
      '99999999999999999999',
    ]) {
      const e = refused('end', raw);
      expect(e.status, raw).toBe(400);
      expect(e.message, raw).toMatch(/'end'.*range/);
    }
    // The last representable second is still accepted in both forms.
    const maxIso = new Date(Math.floor(Number.MAX_SAFE_INTEGER / 1e6) * 1000).toISOString().replace('.000Z', 'Z');
    expect(parseTimeParam('end', maxIso)).toBe(Math.floor(Number.MAX_SAFE_INTEGER / 1e6) * 1e6);
    expect(parseTimeParam('end', String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('agrees with Date.parse on every valid instant and zone', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2250-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (date, micros, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
          const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
          const raw = `${local}${String(micros).padStart(3, '0')}${zone}`;
          expect(parseTimeParam('t', raw)).toBe(Date.parse(raw.slice(0, 23) + zone) * 1000 + micros);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
