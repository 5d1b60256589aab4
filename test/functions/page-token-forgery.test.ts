/**
 * Forged `next` tokens. Without PAGE_TOKEN_SECRET the signing key is derived from the region and instance
 * (both public in the endpoint's host name), so an attacker can sign any position. Every such token must be
 * answered with a 4xx — never a 5xx, never a page from a silently wrapped position.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig, warnIfDerivedTokenKey } from '../../lib/api/config';
import { createPageTokens } from '../../lib/api/page-token';
import type { JsonValue } from '../../lib/api/lossless';
import type { FcContext, FcHttpResponse } from '../../lib/fc/types';
import { httpEvent } from './fc-event';
import { int64, putRows, startFixture, type Fixture } from './fixture';

const INSTANCE = 'tsfcforge';
const FORGED = Number(process.env.FORGED_TOKENS ?? 10_000);

let f: Fixture;
let handler: (event: Buffer, context: FcContext) => Promise<FcHttpResponse>;
let context: FcContext;

async function get(path: string, query: Record<string, string>) {
  const res = await handler(httpEvent('GET', path, query), context);
  return {
    status: res.statusCode,
    body: JSON.parse(res.body) as { next?: string | null; rows?: unknown[]; error?: { code: string; message: string } },
  };
}

/** The payload of a real token, so forged ones carry the same route, table and query digest. */
function payloadOf(token: string): { r: string; t: string; q: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as {
    r: string;
    t: string;
    q: string;
  };
}

beforeAll(async () => {
  f = await startFixture(INSTANCE);
  Object.assign(process.env, f.env());
  delete process.env.PAGE_TOKEN_SECRET;
  ({ handler } = await import('../../functions/http-api/index'));
  context = f.context();
  await f.wide.createTable({
    table: 'keyed',
    primaryKey: [
      { name: 's', type: 'STRING' },
      { name: 'i', type: 'INTEGER' },
      { name: 'b', type: 'BINARY' },
    ],
  });
  await putRows(
    f.wide,
    'keyed',
    Array.from({ length: 30 }, (_, n) => ({
      pk: [{ s: `k${n % 3}` }, { i: int64(n) }, { b: Buffer.from([n]) }],
      cols: [{ v: n }],
    })),
  );
});

afterAll(async () => {
  await f?.stop();
});

const hostileInt = fc.oneof(
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.constantFrom(
    '9223372036854775808',
    '-9223372036854775809',
    '18446744073709551615',
    '1e3',
    '0x10',
    '',
    '-',
    '+1',
    ' 1',
    '١',
  ),
  fc.string(),
);
const hostileB64 = fc.oneof(
  fc.base64String(),
  fc.string(),
  fc.constantFrom('', '=', 'AA', 'A===', '****', 'AAA=', 'AAB='),
);
const tag = fc.constantFrom('i', 'n', 's', 'b', 'x', 'y', '', 'I');
const name = fc.constantFrom('s', 'i', 'b', 'x', '__proto__', '');
const element = fc.oneof(
  fc.tuple(name, tag, fc.oneof(hostileInt, hostileB64, fc.constantFrom('INF_MIN', 'INF_MAX', 'inf_min'))),
  fc.tuple(name, tag, fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Positions close to valid (right names and tags, hostile values) and anything JSON at all. */
const position: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.tuple(
    fc.oneof(
      fc.tuple(
        fc.constant('s'),
        fc.constantFrom('s', 'x', 'i'),
        fc.oneof(fc.string(), fc.constantFrom('INF_MIN', 'INF_MAX')),
      ),
    ),
    fc.tuple(
      fc.constant('i'),
      fc.constantFrom('i', 'n', 'x', 's'),
      fc.oneof(hostileInt, fc.constantFrom('INF_MIN', 'INF_MAX')),
    ),
    fc.tuple(
      fc.constant('b'),
      fc.constantFrom('b', 'x', 's'),
      fc.oneof(hostileB64, fc.constantFrom('INF_MIN', 'INF_MAX')),
    ),
  ) as fc.Arbitrary<JsonValue>,
  fc.array(element, { maxLength: 5 }) as fc.Arbitrary<JsonValue>,
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
);

describe('forged page tokens', () => {
  it(`answers ${FORGED} validly signed tokens with hostile positions without a single 5xx`, async () => {
    const first = await get('/tables/keyed/rows', { limit: '4' });
    expect(first.status).toBe(200);
    const { r, t, q } = payloadOf(first.body.next as string);
    const key = readConfig(f.env()).tokenKey; // what an attacker computes from the endpoint's host name
    const statuses = new Map<number, number>();
    const fives: string[] = [];
    await fc.assert(
      fc.asyncProperty(position, async (p) => {
        const body = Buffer.from(JSON.stringify({ v: 1, r, t, q, p }), 'utf8');
        const token = forge(key, body);
        const res = await get('/tables/keyed/rows', { limit: '4', next: token });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fives.push(`${JSON.stringify(p)} -> ${res.status} ${res.body.error?.code}`);
        return res.status < 500;
      }),
      { numRuns: FORGED, endOnFailure: true },
    );
    expect(fives).toEqual([]);
    // Most forged positions are refused as tokens; the valid-looking ones are served.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(FORGED / 2);
  }, 600_000);

  it('refuses the cases that used to reach Tablestore: wrong arity, a number for a string key, int64 overflow', async () => {
    const first = await get('/tables/keyed/rows', { limit: '4' });
    const { r, t, q } = payloadOf(first.body.next as string);
    const key = readConfig(f.env()).tokenKey;
    const cases: JsonValue[] = [
      [5],
      [
        ['s', 'i', '5'],
        ['i', 'i', '1'],
        ['b', 'b', 'AA=='],
      ],
      [
        ['s', 's', 'k1'],
        ['i', 'i', '9223372036854775808'],
        ['b', 'b', 'AA=='],
      ],
      [
        ['s', 's', 'k1'],
        ['i', 'i', '1'],
        ['b', 'b', '*'],
      ],
      [
        ['s', 's', 'k1'],
        ['j', 'i', '1'],
        ['b', 'b', 'AA=='],
      ],
    ];
    for (const p of cases) {
      const res = await get('/tables/keyed/rows', {
        limit: '4',
        next: forge(key, Buffer.from(JSON.stringify({ v: 1, r, t, q, p }))),
      });
      expect(res.status, JSON.stringify(p)).toBe(400);
      expect(res.body.error?.code).toBe('InvalidToken');
    }
    // A well-formed forged position is served from exactly where it points.
    const ok = await get('/tables/keyed/rows', {
      limit: '2',
      next: forge(
        key,
        Buffer.from(
          JSON.stringify({
            v: 1,
            r,
            t,
            q,
            p: [
              ['s', 's', 'k1'],
              ['i', 'i', '7'],
              ['b', 'b', 'Bw=='],
            ],
          }),
        ),
      ),
    });
    expect(ok.status).toBe(200);
    expect((ok.body.rows as Array<{ primaryKey: { i: number } }>).map((row) => row.primaryKey.i)).toEqual([7, 10]);
  });

  it('forged time series tokens are refused without a 5xx', async () => {
    await f.ts.createTimeseriesTable({ tableName: 'forged_ts' });
    const key = readConfig(f.env()).tokenKey;
    const tokens = createPageTokens(key);
    for (const route of ['series', 'points'] as const) {
      const path = route === 'series' ? '/timeseries/forged_ts/series' : '/timeseries/forged_ts/points';
      const query: Record<string, string> = route === 'series' ? {} : { measurement: 'cpu' };
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.base64String(), fc.string(), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<JsonValue>),
          async (p) => {
            const res = await get(path, { ...query, next: tokens.issue({ route, table: 'forged_ts', query }, p) });
            return res.status < 500;
          },
        ),
        { numRuns: 300 },
      );
    }
  });
});

describe('derived token key warning', () => {
  it('warns once per instance, and only outside a local run', () => {
    const warnings: string[] = [];
    const env = { TABLESTORE_INSTANCE: 'prod-inst', FC_REGION: 'cn-hangzhou' };
    warnIfDerivedTokenKey(readConfig({ ...env, TABLESTORE_ENDPOINT: 'http://127.0.0.1:8800' }), (m) =>
      warnings.push(m),
    );
    warnIfDerivedTokenKey(readConfig({ ...env, PAGE_TOKEN_SECRET: 's3cret' }), (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    warnIfDerivedTokenKey(readConfig(env), (m) => warnings.push(m));
    warnIfDerivedTokenKey(readConfig(env), (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/PAGE_TOKEN_SECRET is not set/);
  });
});

/** Signs like the API does (HMAC-SHA256 truncated to 16 bytes): the attacker knows the key. */
function forge(key: string, body: Buffer): string {
  return `${body.toString('base64url')}.${createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest().subarray(0, 16).toString('base64url')}`;
}
