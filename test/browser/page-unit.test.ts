/**
 * The page's pure helpers, against Node's own implementations: lossless values keep every digit and byte,
 * times convert between the API's microseconds and the viewer's zone.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64ToHex, chartNumber, isNumeric, valueText } from '../../lib/explorer/page/values';
import { durationText, parseTime, utcText } from '../../lib/explorer/page/time';

describe('lossless values', () => {
  it('shows every int64 with all its digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(valueText({ $int64: n.toString() })).toBe(n.toString());
        expect(isNumeric({ $int64: n.toString() })).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('shows binary as base64 and as the hex Node computes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(valueText({ $binary: b64 })).toBe(b64);
        expect(base64ToHex(b64)).toBe(Buffer.from(bytes).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('charts numbers, int64 and finite doubles; gaps for the rest', () => {
    expect(chartNumber(3.5)).toBe(3.5);
    expect(chartNumber({ $int64: '9007199254740993' })).toBe(9007199254740992);
    expect(chartNumber({ $double: 'NaN' })).toBeNull();
    expect(chartNumber({ $double: 'Infinity' })).toBeNull();
    expect(chartNumber(true)).toBeNull();
    expect(chartNumber('7')).toBeNull();
    expect(chartNumber(undefined)).toBeNull();
    expect(isNumeric(false)).toBe(false);
  });
});

describe('times', () => {
  it('reads integer microseconds and ISO-8601 as the API does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), (ms) => {
        expect(parseTime(String(ms * 1000))).toBe(ms);
        expect(parseTime(new Date(ms).toISOString())).toBe(ms);
        expect(utcText(ms)).toBe(`${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`);
      }),
    );
    expect(parseTime('')).toBeUndefined();
    expect(parseTime('yesterday')).toBeUndefined();
  });

  it('names durations by their two largest units', () => {
    expect([7 * 86400e3, 10001 * 60e3, 3600e3, 90e3, 500].map(durationText)).toEqual([
      '7 d',
      '6 d 22 h',
      '1 h',
      '1 min 30 s',
      '0 s',
    ]);
  });
});
