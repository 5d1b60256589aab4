/**
 * `/tables/{table}/rows?filter=` through real FC HTTP events against Tablestore Local, under the function's
 * policy: random filter documents against a brute-force evaluation of the same rows (every version read by
 * the admin), paging exactly once over a range the filter empties for thousands of rows, typing against
 * defined columns, and 400s naming the parameter for hostile documents.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import type { FcHttpResponse } from '../../lib/fc/types';
import { double, type BatchWriteRowChange, type ColumnInput } from '../../lib/tablestore/wide';
import { sdkClient } from '../helpers/tablestore-local';
import { httpEvent, memoryStream } from './fc-event';
import { ADMIN, int64, putRows, startFixture, type Fixture } from './fixture';

let f: Fixture;
let http: (event: Buffer, context: ReturnType<Fixture['context']>) => Promise<FcHttpResponse>;

type V = bigint | number | string | boolean | Uint8Array;
const COLUMNS = ['s', 'n', 'd', 'b', 'x', 'mix'] as const;
const POOL: Record<(typeof COLUMNS)[number], readonly V[]> = {
  s: ['a', 'b', 'c', 'é', ''],
  n: [-(1n << 63n), -5n, 0n, 3n, 7n, 9007199254740993n, (1n << 63n) - 1n],
  d: [-1.5, 0, 2.5, 3, 1e300],
  b: [true, false],
  x: [new Uint8Array([]), new Uint8Array([0]), new Uint8Array([0, 1]), new Uint8Array([255])],
  mix: ['3', 3n, 3, true, new Uint8Array([3])],
};
const FUZZ_ROWS = 240;
const NOW_MS = Date.now();
const SPARSE_ROWS = 12_000;
/** All versions of each column per fuzz row, newest first (what the brute force evaluates). */
const truth = new Map<number, Map<string, V[]>>();

async function get(path: string, query: Record<string, string> = {}) {
  const res = await http(httpEvent('GET', path, query), f.context());
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** Follows `next` to the end; returns every row and the number of pages. */
async function all(
  path: string,
  query: Record<string, string>,
): Promise<{ rows: any[]; pages: number; emptyPagesWithNext: number }> {
  const rows: any[] = [];
  let next: string | null = null;
  let pages = 0;
  let emptyPagesWithNext = 0;
  do {
    const r = await get(path, { ...query, ...(next ? { next } : {}) });
    expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(200);
    rows.push(...r.body.rows);
    next = r.body.next;
    if (r.body.rows.length === 0 && next) emptyPagesWithNext += 1;
    pages += 1;
    expect(pages).toBeLessThan(500);
  } while (next);
  return { rows, pages, emptyPagesWithNext };
}

const rand = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

beforeAll(async () => {
  f = await startFixture('tsfcfilter');
  http = createHttpHandler({
    readers: readersFor,
    env: f.env(),
    logger: createLogger({ destination: memoryStream() }),
  });
  // Fuzz table: up to 3 versions per column, every column sometimes missing, `mix` of any type.
  await f.wide.createTable({ table: 'fz', primaryKey: [{ name: 'id', type: 'INTEGER' }], maxVersions: 3 });
  const r = rand(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  // One update per (row, version index): every cell of a change shares its timestamp.
  const changes: BatchWriteRowChange[] = [];
  for (let id = 0; id < FUZZ_ROWS; id++) {
    const byVersion: Array<Record<string, ColumnInput>> = [{}, {}, {}];
    const seen = new Map<string, V[]>();
    for (const c of COLUMNS) {
      if (r() < 0.25) continue;
      const versions = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(POOL[c]));
      seen.set(c, [...versions].reverse());
      versions.forEach((v, i) => (byVersion[i][c] = clientValue(v)));
    }
    truth.set(id, seen);
    byVersion.forEach((put, i) => {
      if (Object.keys(put).length > 0)
        changes.push({ type: 'update', primaryKey: { id: BigInt(id) }, put, timestamp: NOW_MS - 1000 + i });
    });
  }
  for (let i = 0; i < changes.length; i += 200) {
    const res = await f.wide.batchWriteRow({ tables: [{ table: 'fz', rows: changes.slice(i, i + 200) }] });
    expect(res.tables.flatMap((t) => t.rows).filter((x) => !x.ok)).toEqual([]);
  }
  // Sparse table: only the last 3 of 12,000 rows match `hot = true`.
  await f.wide.createTable({ table: 'sparse', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await putRows(
    f.wide,
    'sparse',
    Array.from({ length: SPARSE_ROWS }, (_, id) => ({
      pk: [{ id: int64(id) }],
      cols: [{ hot: id >= SPARSE_ROWS - 3 }, { v: int64(id) }],
    })),
  );
  // Typed table: defined columns decide how a JSON number is sent.
  const admin = sdkClient({
    endpoint: f.local.endpoint,
    instance: 'tsfcfilter',
    accessKeyId: ADMIN.id,
    accessKeySecret: ADMIN.secret,
  });
  await admin.createTable({
    tableMeta: {
      tableName: 'typed',
      primaryKey: [{ name: 'id', type: 'INTEGER' }],
      definedColumn: [
        { name: 'price', type: 2 },
        { name: 'qty', type: 1 },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await putRows(f.wide, 'typed', [
    { pk: [{ id: int64(1) }], cols: [{ price: double(3) }, { qty: int64(3) }] },
    { pk: [{ id: int64(2) }], cols: [{ price: double(4.5) }, { qty: int64(9) }] },
  ]);
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

/** A value as the client writes it: bigint = INTEGER, any number = DOUBLE (as the filter DSL types them). */
function clientValue(v: V): ColumnInput {
  return typeof v === 'number' ? double(v) : v;
}

// ---- the brute force ----
type Filter =
  | {
      kind: 'cmp';
      column: string;
      op: string;
      value: V;
      json: unknown;
      passIfMissing?: boolean | undefined;
      latestVersionOnly?: boolean | undefined;
    }
  | { kind: 'and' | 'or'; subs: Filter[] }
  | { kind: 'not'; sub: Filter };

function compare(a: V, b: V): number | undefined {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  return undefined;
}

function matches(f: Filter, row: Map<string, V[]>, pim = false, lvo = true): boolean {
  if (f.kind === 'and') return f.subs.every((s) => matches(s, row, pim, lvo));
  if (f.kind === 'or') return f.subs.some((s) => matches(s, row, pim, lvo));
  if (f.kind === 'not') return !matches(f.sub, row, pim, lvo);
  if (f.kind !== 'cmp') throw new Error('unreachable');
  const op = f.op as '=' | '!=' | '>' | '>=' | '<' | '<=';
  // A plain integral JSON number is compared both as an INTEGER and as a DOUBLE (filter.ts).
  if (typeof f.json === 'number' && Number.isInteger(f.json) && typeof f.value === 'bigint') {
    const as = (value: V): Filter => ({ ...f, value, json: { $double: 0 } });
    const both = [as(f.value), as(Number(f.value))];
    return f.op === '!=' ? both.every((x) => matches(x, row, pim, lvo)) : both.some((x) => matches(x, row, pim, lvo));
  }
  const versions = row.get(f.column) ?? [];
  if (versions.length === 0) return f.passIfMissing ?? pim;
  const one = (v: V) => {
    const c = compare(v, f.value);
    if (c === undefined) return op === '!=';
    return { '=': c === 0, '!=': c !== 0, '>': c > 0, '>=': c >= 0, '<': c < 0, '<=': c <= 0 }[op];
  };
  return (f.latestVersionOnly ?? lvo) ? one(versions[0]) : versions.some(one);
}

function doc(f: Filter): unknown {
  if (f.kind === 'and' || f.kind === 'or') return { [f.kind]: f.subs.map(doc) };
  if (f.kind === 'not') return { not: doc(f.sub) };
  if (f.kind !== 'cmp') throw new Error('unreachable');
  return {
    column: f.column,
    op: f.op,
    value: f.json,
    ...(f.passIfMissing === undefined ? {} : { passIfMissing: f.passIfMissing }),
    ...(f.latestVersionOnly === undefined ? {} : { latestVersionOnly: f.latestVersionOnly }),
  };
}

/** A value and one of its lossless JSON spellings (no table schema: an integral JSON number is an INTEGER). */
const valueArb: fc.Arbitrary<{ value: V; json: unknown }> = fc.oneof(
  ...COLUMNS.map((c) =>
    fc.constantFrom(...POOL[c]).chain((v): fc.Arbitrary<{ value: V; json: unknown }> => {
      if (typeof v === 'bigint') {
        const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
        return fc
          .constantFrom(...(safe ? [Number(v), { $int64: String(v) }] : [{ $int64: String(v) }]))
          .map((json) => ({ value: v, json }));
      }
      if (typeof v === 'number')
        return fc
          .constantFrom(...(Number.isInteger(v) ? [{ $double: v }] : [v, { $double: v }]))
          .map((json) => ({ value: v, json }));
      if (typeof v === 'string') return fc.constantFrom(v, { $string: v }).map((json) => ({ value: v, json }));
      if (v instanceof Uint8Array)
        return fc.constant({ value: v, json: { $binary: Buffer.from(v).toString('base64') } });
      return fc.constant({ value: v, json: v });
    }),
  ),
);

const cmpArb: fc.Arbitrary<Filter> = fc
  .record({
    column: fc.constantFrom(...COLUMNS, 'absent'),
    op: fc.constantFrom('=', '!=', '>', '>=', '<', '<='),
    v: valueArb,
    passIfMissing: fc.option(fc.boolean(), { nil: undefined }),
    latestVersionOnly: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ column, op, v, passIfMissing, latestVersionOnly }) => ({
    kind: 'cmp' as const,
    column,
    op,
    value: v.value,
    json: v.json,
    passIfMissing,
    latestVersionOnly,
  }));

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cmpArb,
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      subs: fc.array(tie('f'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('not' as const), sub: tie('f') }),
  ),
})).f;

const count = (f: Filter): number =>
  f.kind === 'cmp'
    ? typeof f.json === 'number' && Number.isInteger(f.json)
      ? 2
      : 1
    : f.kind === 'not'
      ? count(f.sub)
      : f.subs.reduce((n, s) => n + count(s), 0);

describe('filters on ranges', () => {
  it('returns exactly the rows a brute-force evaluation of the same filter selects, each once, in key order', async () => {
    await fc.assert(
      fc.asyncProperty(
        filterArb.filter((x) => count(x) <= 32),
        fc.integer({ min: 7, max: 300 }),
        fc.boolean(),
        async (filter, limit, backward) => {
          const { rows } = await all('/tables/fz/rows', {
            filter: JSON.stringify(doc(filter)),
            limit: String(limit),
            ...(backward ? { direction: 'backward' } : {}),
          });
          const expected = [...truth.keys()].filter((id) => matches(filter, truth.get(id) as Map<string, V[]>));
          if (backward) expected.reverse();
          expect(rows.map((r) => r.primaryKey.id)).toEqual(expected);
          // Whatever versions the filter looked at, each column shows its newest value.
          for (const row of rows) expect(row.columns.s).toEqual(truth.get(row.primaryKey.id)?.get('s')?.[0]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a page the filter empties still carries next: 12,000 rows scanned to find the 3 that match, each once', async () => {
    const { rows, pages, emptyPagesWithNext } = await all('/tables/sparse/rows', {
      filter: '{"column":"hot","op":"=","value":true}',
      limit: '2',
    });
    expect(rows.map((r) => r.primaryKey.id)).toEqual([SPARSE_ROWS - 3, SPARSE_ROWS - 2, SPARSE_ROWS - 1]);
    expect(emptyPagesWithNext).toBeGreaterThan(0);
    expect(pages).toBeGreaterThan(2);
    // A filter that matches nothing anywhere ends with an empty last page and next = null.
    const none = await all('/tables/sparse/rows', { filter: '{"column":"v","op":"<","value":-1}', limit: '100' });
    expect(none.rows).toEqual([]);
    expect(none.pages).toBeGreaterThan(1);
  });

  it('filters on a column the response does not include (columns=…), and values round-trip losslessly', async () => {
    const r = await get('/tables/sparse/rows', {
      filter: JSON.stringify({
        and: [
          { column: 'hot', op: '=', value: true },
          { column: 'v', op: '>=', value: { $int64: String(SPARSE_ROWS - 2) } },
        ],
      }),
      columns: 'v',
      start: JSON.stringify({ id: SPARSE_ROWS - 10 }),
    });
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([
      { primaryKey: { id: SPARSE_ROWS - 2 }, columns: { v: SPARSE_ROWS - 2 } },
      { primaryKey: { id: SPARSE_ROWS - 1 }, columns: { v: SPARSE_ROWS - 1 } },
    ]);
    const big = await get('/tables/fz/rows', {
      filter: JSON.stringify({ column: 'n', op: '=', value: { $int64: '9223372036854775807' } }),
      columns: 'n',
    });
    expect(big.status).toBe(200);
    for (const row of big.body.rows) expect(row.columns.n).toEqual({ $int64: '9223372036854775807' });
    expect(big.body.rows.length).toBe([...truth.values()].filter((m) => m.get('n')?.[0] === (1n << 63n) - 1n).length);
  });

  it('types a JSON number by the defined column: 3 is a DOUBLE for price and an INTEGER for qty', async () => {
    const price = await get('/tables/typed/rows', { filter: '{"column":"price","op":"=","value":3}' });
    expect(price.body.rows.map((r: any) => r.primaryKey.id)).toEqual([1]);
    const qty = await get('/tables/typed/rows', { filter: '{"column":"qty","op":">","value":3}' });
    // Undeclared column: a plain integer matches INTEGER and DOUBLE cells alike.
    const mixed = await get('/tables/fz/rows', { filter: '{"column":"mix","op":"=","value":3}', limit: '1000' });
    const expectedMixed = [...truth.keys()].filter((id) => {
      const v = truth.get(id)?.get('mix')?.[0];
      return v === 3n || v === 3;
    });
    expect(mixed.body.rows.map((r: any) => r.primaryKey.id)).toEqual(expectedMixed);
    expect(expectedMixed.some((id) => truth.get(id)?.get('mix')?.[0] === 3)).toBe(true);
    expect(expectedMixed.some((id) => truth.get(id)?.get('mix')?.[0] === 3n)).toBe(true);
    expect(qty.body.rows.map((r: any) => r.primaryKey.id)).toEqual([2]);
    const wrong = await get('/tables/typed/rows', { filter: '{"column":"qty","op":">","value":"abc"}' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/'filter' at \/value: expected an integer/);
  });

  it('answers 400 naming filter (and where in it) for malformed documents', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /'filter' must be a JSON object/],
      ['[]', /'filter': expected an object/],
      ['{"column":"n","op":"~","value":1}', /'op' must be one of/],
      ['{"column":"n","op":"=","value":1.5e400}', /number out of range/],
      ['{"column":"n","op":"="}', /'value' is missing/],
      ['{"column":"id","op":"=","value":1}', /primary-key column/],
      ['{"and":[]}', /at \/and: expected a non-empty array/],
      ['{"and":[{"column":"n","op":"=","value":1}],"or":[]}', /one of 'and', 'or', 'not'/],
      [
        '{"not":{"column":"n","op":"=","value":{"$int64":"99999999999999999999"}}}',
        /at \/not\/value: integer out of the int64 range/,
      ],
      ['{"column":"n","op":"=","value":9007199254740993}', /not a safe integer/],
      ['{"column":"x","op":"=","value":{"$binary":"***"}}', /not valid base64/],
      ['{"column":"n","op":"=","value":1,"passIfMissing":"yes"}', /'passIfMissing' must be true or false/],
      [
        JSON.stringify({ or: Array.from({ length: 33 }, () => ({ column: 'n', op: '=', value: 1 })) }),
        /more than 32 comparisons/,
      ],
      ['{"not":'.repeat(12) + '{"column":"n","op":"=","value":1}' + '}'.repeat(12), /nested deeper than 10/],
      ['{"column":"n","op":"=","value":[1]}', /expected a value/],
      [
        '{"not":'.repeat(10) + '{"column":"n","op":"=","value":1}' + '}'.repeat(10),
        /nested deeper than 10 levels \(a plain integer/,
      ],
    ];
    for (const [filter, pattern] of cases) {
      const r = await get('/tables/fz/rows', { filter });
      expect(r.status, filter).toBe(400);
      expect(r.body.error.code).toBe('InvalidParameter');
      expect(r.body.error.message, filter).toMatch(pattern);
    }
    const long = await get('/tables/fz/rows', { filter: 'x'.repeat(9000) });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('filter');
  });

  it('a next token is bound to its filter', async () => {
    const first = await get('/tables/sparse/rows', { filter: '{"column":"hot","op":"=","value":false}', limit: '5' });
    const other = await get('/tables/sparse/rows', {
      filter: '{"column":"hot","op":"=","value":true}',
      limit: '5',
      next: first.body.next,
    });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toContain("'next'");
  });
});
