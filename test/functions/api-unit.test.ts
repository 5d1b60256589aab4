import { readConfig } from '../../lib/api/config';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePkValue, encodeValue, restorePk, snapshotPk, type PkBound } from '../../lib/api/lossless';
import { createPageTokens } from '../../lib/api/page-token';
import { parseTags, parseTimeParam } from '../../lib/api/params';
import { THROTTLED, toApiError } from '../../lib/api/error-mapping';
import { RETRYABLE_FOR_ANY_API, RETRYABLE_IF_IDEMPOTENT } from '../../lib/tablestore/protocol/retry-policy';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { toHttpRequest, asFcHttpEvent, decodePayload } from '../../lib/fc/http-event';
import { parseTimerPayload } from '../../lib/fc/timer-event';
import { httpEvent } from './fc-event';

describe('lossless JSON', () => {
  it('keeps every int64 exactly (number when safe, {$int64} otherwise) and round-trips through input decoding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        const json = JSON.parse(JSON.stringify(encodeValue(v)));
        if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))
          expect(typeof json).toBe('number');
        else expect(json).toEqual({ $int64: v.toString() });
        expect(decodePkValue(json, 'INTEGER', 'x', false)).toBe(v);
      }),
    );
  });

  it('encodes binary with a marker and doubles including non-finite ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const json = JSON.parse(JSON.stringify(encodeValue(bytes)));
        expect(Object.keys(json)).toEqual(['$binary']);
        expect(decodePkValue(json, 'BINARY', 'x', false)).toEqual(bytes);
      }),
    );
    expect(encodeValue(1.5)).toBe(1.5);
    expect(encodeValue(Number.NaN)).toEqual({ $double: 'NaN' });
    expect(encodeValue(-Infinity)).toEqual({ $double: '-Infinity' });
    // The official SDK's Long objects are int64 too.
    expect(encodeValue({ high: 0x7fffffff, low: -1, toString: () => '9223372036854775807' })).toEqual({
      $int64: '9223372036854775807',
    });
  });

  it('rejects values that do not fit the column type, naming where', () => {
    expect(() => decodePkValue(2 ** 60, 'INTEGER', "query parameter 'pk' column 'id'", false)).toThrow(
      /'id'.*safe integer/,
    );
    expect(() => decodePkValue('abc', 'INTEGER', 'p', false)).toThrow(/not an integer/);
    expect(() => decodePkValue('9223372036854775808', 'INTEGER', 'p', false)).toThrow(/int64/);
    expect(() => decodePkValue('***', 'BINARY', 'p', false)).toThrow(/base64/);
    expect(() => decodePkValue(1, 'STRING', 'p', false)).toThrow(/STRING/);
    expect(() => decodePkValue('INF_MIN', 'STRING', 'p', false)).not.toThrow();
    expect(decodePkValue('INF_MAX', 'INTEGER', 'p', true)).toBe('INF_MAX');
    expect(decodePkValue({ $string: 'INF_MIN' }, 'STRING', 'p', true)).toBe('INF_MIN');
  });

  it('snapshots primary keys losslessly for page tokens', () => {
    const pk: Array<[string, PkBound]> = [
      ['a', 'text'],
      ['b', -(1n << 63n)],
      ['c', new Uint8Array([0, 255, 7])],
      ['d', 'INF_MAX'],
    ];
    const schema = [
      { name: 'a', type: 'STRING' as const },
      { name: 'b', type: 'INTEGER' as const },
      { name: 'c', type: 'BINARY' as const },
      { name: 'd', type: 'INTEGER' as const },
    ];
    expect(restorePk(JSON.parse(JSON.stringify(snapshotPk(pk))), schema)).toEqual(pk);
  });
});

describe('page tokens', () => {
  const tokens = createPageTokens('k1');
  const bind = { route: 'rows', table: 't1', query: { start: '{"id":1}', direction: 'forward', limit: '10' } };

  it('round-trips a position for the same table and query, whatever the limit', () => {
    const t = tokens.issue(bind, ['x', 1]);
    expect(tokens.open(t, { ...bind, query: { ...bind.query, limit: '99', next: t } })).toEqual(['x', 1]);
  });

  it('cannot be replayed against another table, route or query, nor forged or tampered with', () => {
    const t = tokens.issue(bind, ['x', 1]);
    expect(() => tokens.open(t, { ...bind, table: 't2' })).toThrow(/another table/);
    expect(() => tokens.open(t, { ...bind, route: 'series' })).toThrow(/another route/);
    expect(() => tokens.open(t, { ...bind, query: { ...bind.query, direction: 'backward' } })).toThrow(
      /different query/,
    );
    expect(() => createPageTokens('k2').open(t, bind)).toThrow(/not a token issued/);
    const [payload, sig] = t.split('.');
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"t1"', '"t2"')).toString(
      'base64url',
    );
    expect(() => tokens.open(`${forged}.${sig}`, { ...bind, table: 't2' })).toThrow(/not a token issued/);
    expect(() => tokens.open('garbage', bind)).toThrow(/not a token issued/);
  });
});

describe('configuration', () => {
  it('follows the environment on every call: the same values give the same config, a changed one a new config', () => {
    const env: Record<string, string> = { TABLESTORE_INSTANCE: 'inst', FC_REGION: 'cn-hangzhou' };
    const first = readConfig(env);
    expect(readConfig({ ...env })).toBe(first);
    env.PAGE_TOKEN_SECRET = 'a-secret';
    const keyed = readConfig(env);
    expect(keyed.tokenKey).toBe('a-secret');
    expect(keyed.tokenKeyDerived).toBe(false);
    env.TABLESTORE_TABLES = 'a,b';
    expect([...(readConfig(env).tables ?? [])]).toEqual(['a', 'b']);
    env.FC_REGION = 'not a region';
    expect(() => readConfig(env)).toThrow(/FC_REGION/);
    delete env.PAGE_TOKEN_SECRET;
    delete env.TABLESTORE_TABLES;
    env.FC_REGION = 'cn-hangzhou';
    expect(readConfig(env)).toEqual(first);
  });
});

describe('query parameter parsing', () => {
  it('recovers repeated tag parameters that FC joined with commas, values with commas included', () => {
    expect(parseTags('region=hz,zone=a')).toEqual({ region: 'hz', zone: 'a' });
    expect(parseTags('list=a,b,c,zone=z')).toEqual({ list: 'a,b,c', zone: 'z' });
    expect(parseTags(undefined)).toEqual({});
    expect(() => parseTags('novalue')).toThrow(/name=value/);
    expect(() => parseTags('a=1,a=2')).toThrow(/twice/);
  });

  it('reads times as integer microseconds or ISO-8601 with microsecond fractions', () => {
    expect(parseTimeParam('start', '1700000000000123')).toBe(1700000000000123);
    expect(parseTimeParam('start', '2026-11-23T01:02:03.456789Z')).toBe(
      Date.parse('2026-11-23T01:02:03Z') * 1000 + 456789,
    );
    expect(parseTimeParam('start', '2026-11-23T09:02:03+08:00')).toBe(Date.parse('2026-11-23T01:02:03Z') * 1000);
    expect(() => parseTimeParam('end', '2026-13-45T00:00:00Z')).toThrow(/end/);
  });
});

describe('FC event normalisation', () => {
  it('decodes base64 bodies, URL-encoded paths and keeps query maps flat', () => {
    const buf = httpEvent(
      'POST',
      '/tables/my table',
      { limit: '10', tag: 'a=1,b=2' },
      { body: '{"x":1}', base64: true },
    );
    const req = toHttpRequest(asFcHttpEvent(decodePayload(buf)), 'fallback');
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/tables/my table');
    expect(req.body.toString()).toBe('{"x":1}');
    expect(req.query).toEqual({ limit: '10', tag: 'a=1,b=2' });
  });

  it('does not let an encoded slash change the route', () => {
    const event = JSON.parse(httpEvent('GET', '/tables/x').toString());
    event.rawPath = '/tables/a%2Fb/rows';
    expect(toHttpRequest(asFcHttpEvent(event), 'r').path).toBe('/tables/a%2Fb/rows');
  });

  it('parses timer payloads (a JSON string inside the event)', () => {
    expect(parseTimerPayload('{"staleAfterMinutes":5}')).toEqual({ staleAfterMinutes: 5 });
    expect(parseTimerPayload('')).toEqual({});
    expect(() => parseTimerPayload('{oops')).toThrow(/not valid JSON/);
  });
});

describe('error mapping', () => {
  const ots = (code: string, httpStatus: number) =>
    Object.assign(new Error('x'), { name: 'TablestoreError', code, httpStatus });
  it('maps Tablestore errors to API statuses without leaking upstream text', () => {
    expect(toApiError(ots('OTSObjectNotExist', 404), { table: 't' })).toMatchObject({
      status: 404,
      code: 'TableNotFound',
    });
    const denied = toApiError(ots('OTSNoPermissionAccess', 403), { action: 'ots:GetRange', table: 't' });
    expect(denied).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(denied.message).toContain('ots:GetRange');
    const busy = toApiError(ots('OTSServerBusy', 503));
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toMatch(/^\d+$/);
    expect(toApiError(ots('OTSParameterInvalid', 400)).status).toBe(400);
    expect(toApiError(Object.assign(new Error('t'), { name: 'TimeoutError' })).status).toBe(504);
    // The official Node SDK reports the HTTP status as code and the raw protobuf body as message.
    const sdk = Object.assign(new Error('\n\x15OTSNoPermissionAccess\x12\x05nope requestId:abc'), { code: 403 });
    expect(toApiError(sdk).status).toBe(403);
    const internal = toApiError(new Error('secret-ish detail at /x.ts:1'));
    expect(internal).toMatchObject({ status: 500, message: 'Internal error.' });
  });
});

describe('Tablestore → HTTP error mapping and the retry classes', () => {
  const status = (code: string) =>
    toApiError(new TablestoreError({ code, message: 'm', httpStatus: 503 }), { table: 't' });

  it('every code the client retries for any API is 503 Throttled with Retry-After once retries are used up', () => {
    for (const code of RETRYABLE_FOR_ANY_API) {
      expect(THROTTLED.has(code), code).toBe(true);
      expect(status(code)).toMatchObject({ status: 503, code: 'Throttled', headers: { 'retry-after': '1' } });
    }
  });

  it('outcome-unknown codes (retried for reads only) map by what the caller can do: unavailable 503, timeout 504, internal 502', () => {
    const expected: Record<string, number> = {
      OTSServerUnavailable: 503,
      OTSTimeout: 504,
      OTSInternalServerError: 502,
      OTSTunnelServerUnavailable: 502,
    };
    for (const code of RETRYABLE_IF_IDEMPOTENT) expect(status(code).status, code).toBe(expected[code]);
  });

  it('throttled adds only codes the client does not retry for every API: hard quota, unavailability, throughput adjustments', () => {
    const extra = [...THROTTLED].filter((c) => !RETRYABLE_FOR_ANY_API.has(c)).sort();
    expect(extra).toEqual(['OTSQuotaExhausted', 'OTSServerUnavailable', 'OTSTooFrequentReservedThroughputAdjustment']);
  });
});
