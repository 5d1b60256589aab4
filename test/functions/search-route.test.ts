/**
 * The search routes end to end through FC events: the HTTP API's handler with role credentials against
 * Tablestore Local. POST /tables/{t}/search answers what the lean SearchClient answers for the same request,
 * GET /tables/{t}/search?q= answers what a brute-force evaluation of the `q` terms over the rows answers, both
 * page by `next` with every row exactly once, GET /tables/{t}/search-indexes lists the schema, and thousands
 * of hostile bodies and `q` strings never get a 5xx while every 400 names the bad part.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../lib/api/http-app';
import { encodeValue } from '../../lib/api/lossless';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import { SearchClient } from '../../lib/tablestore/search/client';
import type { Query, Sort } from '../../lib/tablestore/search/query';
import type { Row } from '../../lib/tablestore/wide';
import { MAX_BODY_DEPTH } from '../../lib/api/router';
import { httpEvent, memoryStream } from './fc-event';
import { startFixture, type Fixture } from './fixture';

let f: Fixture;
let http: ReturnType<typeof createHttpHandler>;
let search: SearchClient;

interface Doc {
  id: number;
  status: string;
  amount: number;
  price: number;
  name: string;
}
const STATUSES = ['paid', 'open', 'void'];
const WORDS = ['red', 'fox', 'blue', 'dog'];
const BIG = 2n ** 60n;
// Deterministic data: 60 rows.
const DOCS: Doc[] = Array.from({ length: 60 }, (_, i) => ({
  id: i,
  status: STATUSES[(i * 7) % 3],
  amount: (i * 37) % 101,
  price: ((i * 13) % 20) / 4,
  name: `${WORDS[i % 4]} ${WORDS[(i * 3) % 4]}`,
}));

/** The search index `idx` of `orders`: created in beforeAll, listed back by /search-indexes. */
const IDX_FIELDS = [
  { name: 'status', type: 'KEYWORD' },
  { name: 'amount', type: 'LONG' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'name', type: 'TEXT' },
  { name: 'big', type: 'LONG' },
] as const;

beforeAll(async () => {
  f = await startFixture('tsfcsearch');
  await f.wide.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await f.wide.batchWriteRow({
    tables: [
      {
        table: 'orders',
        rows: DOCS.map((d) => ({
          type: 'put' as const,
          primaryKey: { id: d.id },
          columns: { status: d.status, amount: d.amount, price: d.price, name: d.name, big: BIG + BigInt(d.id) },
        })),
      },
    ],
  });
  await f.wide.createTable({ table: 'hidden', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  search = new SearchClient({ transport: f.wide.transport });
  await search.createSearchIndex('orders', 'idx', { fields: IDX_FIELDS });
  http = createHttpHandler({
    readers: readersFor,
    env: f.env({ TABLESTORE_TABLES: 'orders' }),
    logger: createLogger({ destination: memoryStream() }),
  });
});

afterAll(async () => {
  await f?.stop();
});

type Body = Record<string, any>;
async function post(body: unknown, table = 'orders'): Promise<{ status: number; body: Body }> {
  const res = await http(
    httpEvent(
      'POST',
      `/tables/${table}/search`,
      {},
      {
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      },
    ),
    f.context(),
  );
  return { status: res.statusCode, body: JSON.parse(res.body) as Body };
}
async function get(
  query: Record<string, string>,
  path = '/tables/orders/search',
): Promise<{ status: number; body: Body }> {
  const res = await http(httpEvent('GET', path, query), f.context());
  return { status: res.statusCode, body: JSON.parse(res.body) as Body };
}

const rowJson = (r: Row) => ({
  primaryKey: Object.fromEntries(Object.entries(r.primaryKey).map(([k, v]) => [k, encodeValue(v)])),
  columns: Object.fromEntries(Object.entries(r.columns).map(([k, v]) => [k, encodeValue(v)])),
});

// ------------------------------------------------------------------------------------------ arbitraries

const leafArb: fc.Arbitrary<Query> = fc.oneof(
  fc.constantFrom(...STATUSES, 'none').map((value): Query => ({ term: { field: 'status', value } })),
  fc
    .uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 4 })
    .map((values): Query => ({ terms: { field: 'amount', values } })),
  fc
    .record({ gte: fc.integer({ min: 0, max: 100 }), lt: fc.integer({ min: 0, max: 101 }) }, { requiredKeys: [] })
    .map((r): Query => ({ range: { field: 'amount', ...r } })),
  fc.integer({ min: 0, max: 20 }).map((x): Query => ({ range: { field: 'price', gt: x / 4 } })),
  fc.constantFrom(...WORDS).map((text): Query => ({ match: { field: 'name', text } })),
  fc.constantFrom('p', 'o', 'v').map((prefix): Query => ({ prefix: { field: 'status', prefix } })),
  fc.constantFrom('*a*', 'o?en', 'v*').map((value): Query => ({ wildcard: { field: 'status', value } })),
  fc.constant<Query>({ exists: { field: 'price' } }),
  fc.constant<Query>({ matchAll: {} }),
);
const queryArb: fc.Arbitrary<Query> = fc.oneof(
  leafArb,
  fc
    .record({ must: fc.array(leafArb, { maxLength: 2 }), mustNot: fc.array(leafArb, { maxLength: 2 }) })
    .filter((b) => b.must.length + b.mustNot.length > 0)
    .map((b): Query => ({ bool: b })),
);
const sortArb: fc.Arbitrary<Sort[] | undefined> = fc.option(
  fc.array(
    fc.oneof(
      fc
        .record({
          field: fc.constantFrom('amount', 'price', 'status'),
          order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
        })
        .map((s): Sort => s),
      fc.constantFrom<'asc' | 'desc'>('asc', 'desc').map((o): Sort => ({ primaryKey: o })),
    ),
    { minLength: 1, maxLength: 2 },
  ),
  { nil: undefined },
);

describe('POST /tables/{table}/search', () => {
  it('answers what the lean client answers: rows (lossless), total count, aggregations and group-bys', async () => {
    await fc.assert(
      fc.asyncProperty(
        queryArb,
        sortArb,
        fc.integer({ min: 0, max: 20 }),
        fc.boolean(),
        async (query, sort, limit, aggs) => {
          const request = {
            query,
            limit,
            columns: 'all' as const,
            trackTotalCount: true,
            ...(sort ? { sort } : {}),
            ...(aggs
              ? {
                  aggregations: { total: { sum: { field: 'amount' } }, kinds: { distinctCount: { field: 'status' } } },
                  groupBys: { byStatus: { field: { field: 'status' } } },
                }
              : {}),
          };
          const r = await post({ index: 'idx', ...request });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          const direct = await search.search('orders', 'idx', request);
          expect(r.body.rows).toEqual(direct.rows.map(rowJson));
          expect(r.body.totalCount).toBe(direct.totalCount);
          expect(r.body.next === null).toBe(direct.nextToken === undefined);
          if (aggs) {
            expect(r.body.aggregations).toEqual({
              total: { value: (direct.aggregations as Record<string, { value: unknown }>).total.value },
              kinds: { value: (direct.aggregations as Record<string, { value: unknown }>).kinds.value },
            });
            expect(r.body.groupBys.byStatus.items).toEqual(
              direct.groupBys.byStatus.items.map((i) => ({ key: i.key, rowCount: i.rowCount })),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
    // INTEGER beyond 2^53 comes back exact, and goes in as {"$int64"} (the index holds LONG as a float64,
    // docs/protocol-search.md §2, so a term on it matches every value that rounds alike).
    const big = await post({
      index: 'idx',
      query: {
        bool: {
          must: [{ term: { field: 'amount', value: 2 } }, { range: { field: 'big', gte: { $int64: String(BIG) } } }],
        },
      },
      columns: ['big'],
    });
    const seven = DOCS.find((d) => d.amount === 2)!.id;
    expect(big.body.rows).toEqual([
      { primaryKey: { id: seven }, columns: { big: { $int64: String(BIG + BigInt(seven)) } } },
    ]);
  });

  it('pages by next: every matching row exactly once, in the order of one big page, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, sortArb, fc.integer({ min: 1, max: 9 }), async (query, sort, limit) => {
        const all = await search.search('orders', 'idx', { query, limit: 1000, ...(sort ? { sort } : {}) });
        const ids: unknown[] = [];
        let next: string | null = null;
        for (let page = 0; page < 100; page++) {
          // The same body every time (key order may change), plus `next`.
          const body: Body = { limit, query, ...(sort ? { sort } : {}), index: 'idx', ...(next ? { next } : {}) };
          const r = await post(body);
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          ids.push(...r.body.rows.map((row: Body) => row.primaryKey.id));
          next = r.body.next as string | null;
          if (next === null) break;
        }
        expect(next).toBeNull();
        expect(ids).toEqual(all.rows.map((row) => Number(row.primaryKey.id)));
      }),
      { numRuns: 25 },
    );
  });

  it('with a score sort, answers the score of every row in row order across next pages; otherwise no scores', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, fc.integer({ min: 1, max: 9 }), async (query, limit) => {
        const sort: Sort[] = [{ score: 'desc' }, { primaryKey: 'asc' }];
        const all = await search.search('orders', 'idx', { query, sort, limit: 1000 });
        expect(all.scores).toHaveLength(all.rows.length);
        const ids: unknown[] = [];
        const scores: unknown[] = [];
        let next: string | null = null;
        for (let page = 0; page < 100; page++) {
          const r = await post({ index: 'idx', query, sort, limit, ...(next ? { next } : {}) });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          expect(r.body.scores).toHaveLength(r.body.rows.length);
          ids.push(...r.body.rows.map((row: Body) => row.primaryKey.id));
          scores.push(...(r.body.scores as unknown[]));
          next = r.body.next as string | null;
          if (next === null) break;
        }
        expect(ids).toEqual(all.rows.map((row) => Number(row.primaryKey.id)));
        expect(scores).toEqual(all.scores);
        const unsorted = await post({ index: 'idx', query, limit });
        expect(unsorted.status).toBe(200);
        expect(unsorted.body).not.toHaveProperty('scores');
        const byField = await post({ index: 'idx', query, limit, sort: [{ field: 'amount', order: 'asc' }] });
        expect(byField.body).not.toHaveProperty('scores');
      }),
      { numRuns: 20 },
    );
    // Scores differ between rows for a text match (BM25), so the order is by score, not by key alone.
    const fox = await post({
      index: 'idx',
      query: { match: { field: 'name', text: 'fox red' } },
      sort: [{ score: 'desc' }],
      limit: 100,
    });
    const s = fox.body.scores as number[];
    expect(s.length).toBeGreaterThan(1);
    expect(new Set(s).size).toBeGreaterThan(1);
    expect([...s].sort((a, b) => b - a)).toEqual(s);
  });

  it('refuses a next token of another body, and names bad parts by JSON pointer', async () => {
    const first = await post({ index: 'idx', query: { term: { field: 'status', value: 'paid' } }, limit: 2 });
    const other = await post({
      index: 'idx',
      query: { term: { field: 'status', value: 'open' } },
      next: first.body.next,
    });
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('InvalidToken');
    const cases: Array<[unknown, string]> = [
      [{ query: { matchAll: {} } }, "request body '/index' is required"],
      [{ index: 'idx', query: { term: { field: 'status' } } }, "request body '/query/term/value' is required"],
      [{ index: 'idx', query: { bool: { must: [{ nope: {} }] } } }, "request body '/query/bool/must/0/nope'"],
      [{ index: 'idx', limit: 5000 }, "request body '/limit' must be between 0 and 1000"],
      [{ index: 'idx', sort: [{ field: 'amount', order: 'up' }] }, "request body '/sort/0/order'"],
      [{ index: 'idx', aggregations: { a: { avg: {} } } }, "request body '/aggregations/a/avg/field' is required"],
      [
        { index: 'idx', groupBys: { g: { histogram: { field: 'amount', interval: 0 } } } },
        "request body '/groupBys/g/histogram/interval'",
      ],
      [
        { index: 'idx', query: { term: { field: 'big', value: 2 ** 60 } } },
        "request body '/query/term/value' is not a safe integer",
      ],
      [{ index: 'idx', colums: 'all' }, "request body '/colums' is not allowed here"],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toContain(message);
    }
    // Unknown index, a table outside the allowlist: 404.
    expect((await post({ index: 'nope' })).status).toBe(404);
    expect((await post({ index: 'idx' }, 'hidden')).status).toBe(404);
  });
});

describe('GET /tables/{table}/search?q=', () => {
  type Term =
    | { kind: 'status'; value: string; neg: boolean }
    | { kind: 'amount'; op: '>' | '>=' | '<' | '<='; value: number; neg: boolean }
    | { kind: 'name'; word: string; neg: boolean };
  const termArb: fc.Arbitrary<Term> = fc.oneof(
    fc.record({ kind: fc.constant('status' as const), value: fc.constantFrom(...STATUSES), neg: fc.boolean() }),
    fc.record({
      kind: fc.constant('amount' as const),
      op: fc.constantFrom<'>' | '>=' | '<' | '<='>('>', '>=', '<', '<='),
      value: fc.integer({ min: 0, max: 100 }),
      neg: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('name' as const), word: fc.constantFrom(...WORDS), neg: fc.boolean() }),
  );
  const text = (t: Term) =>
    (t.neg ? '-' : '') +
    (t.kind === 'status' ? `status:${t.value}` : t.kind === 'amount' ? `amount${t.op}${t.value}` : `name~"${t.word}"`);
  const holds = (t: Term, d: Doc): boolean => {
    const v =
      t.kind === 'status'
        ? d.status === t.value
        : t.kind === 'amount'
          ? { '>': d.amount > t.value, '>=': d.amount >= t.value, '<': d.amount < t.value, '<=': d.amount <= t.value }[
              t.op
            ]
          : d.name.split(' ').includes(t.word);
    return t.neg ? !v : v;
  };

  it('answers what a brute-force evaluation of the terms answers, paging by next exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(termArb, { maxLength: 4 }), fc.integer({ min: 1, max: 25 }), async (terms, limit) => {
        const q = terms.map(text).join('  ');
        const expected = DOCS.filter((d) => terms.every((t) => holds(t, d))).map((d) => d.id);
        const ids: number[] = [];
        let next: string | undefined;
        for (let page = 0; page < 100; page++) {
          const r = await get({ index: 'idx', q, limit: String(limit), ...(next ? { next } : {}) });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          ids.push(...r.body.rows.map((row: Body) => row.primaryKey.id as number));
          if (r.body.next === null) break;
          next = r.body.next as string;
        }
        expect(ids).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('reads values: quoted text, numbers, booleans, exists and wildcards', async () => {
    const ids = async (q: string) =>
      (await get({ index: 'idx', q, limit: '100' })).body.rows.map((r: Body) => r.primaryKey.id);
    expect(await ids('status:"paid" amount:0')).toEqual(
      DOCS.filter((d) => d.status === 'paid' && d.amount === 0).map((d) => d.id),
    );
    expect(await ids('status:p*')).toEqual(DOCS.filter((d) => d.status === 'paid').map((d) => d.id));
    expect(await ids('price:* -status:void')).toEqual(DOCS.filter((d) => d.status !== 'void').map((d) => d.id));
    expect(await ids('price>=4.5')).toEqual(DOCS.filter((d) => d.price >= 4.5).map((d) => d.id));
    const bad = await get({ index: 'idx', q: 'amount>=' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("query parameter 'q': term 1 ('amount>=')");
    expect((await get({ index: 'idx', limit: '1000' })).body.error.message).toContain("query parameter 'limit'");
  });
});

describe('GET /tables/{table}/search: sort, columns and total', () => {
  it('sorts by a field then the key, picks columns, counts every match, and pages in that order exactly once', async () => {
    const matches = DOCS.filter((d) => d.status === 'paid');
    const expected = [...matches].sort((a, b) => b.amount - a.amount || a.id - b.id).map((d) => d.id);
    const ids: number[] = [];
    let next: string | undefined;
    for (let page = 0; page < 20; page++) {
      const query = { index: 'idx', q: 'status:paid', sort: 'amount:desc,_pk', columns: 'amount', total: 'true' };
      const r = await get({ ...query, limit: '7', ...(next ? { next } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.totalCount).toBe(matches.length);
      for (const row of r.body.rows as Body[]) expect(Object.keys(row.columns)).toEqual(['amount']);
      ids.push(...r.body.rows.map((row: Body) => row.primaryKey.id as number));
      if (r.body.next === null) break;
      next = r.body.next as string;
    }
    expect(ids).toEqual(expected);
    const bad = await get({ index: 'idx', q: 'status:paid', sort: 'amount:up' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("'sort'");
    const noTotal = await get({ index: 'idx', q: 'status:paid' });
    expect(noTotal.body.totalCount).toBeUndefined();
  });
});

describe('GET /tables/{table}/search-indexes', () => {
  it('lists the indexes with their schemas', async () => {
    const r = await get({}, '/tables/orders/search-indexes');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      table: 'orders',
      indexes: [
        {
          index: 'idx',
          fields: IDX_FIELDS,
          status: 'running',
        },
      ],
    });
    expect((await get({}, '/tables/hidden/search-indexes')).status).toBe(404);
  });
});

describe('hostile input', () => {
  const valid = fc.record({ index: fc.constant('idx'), query: queryArb, limit: fc.integer({ min: 0, max: 20 }) });
  /** A valid body with one part replaced by anything at a random place. */
  const mutated = fc.tuple(valid, fc.anything({ maxDepth: 3, withBigInt: false }), fc.nat()).map(([body, junk, at]) => {
    const paths: Array<(b: Body) => void> = [
      (b) => (b.query = junk),
      (b) => (b.limit = junk),
      (b) => (b.sort = junk),
      (b) => (b.columns = junk),
      (b) => (b.aggregations = { a: junk }),
      (b) => (b.groupBys = { g: junk }),
      (b) => (b.index = junk),
      (b) => (b.next = junk),
      (b) => (b.query = { bool: { must: [junk] } }),
      (b) => (b.query = { range: { field: 'amount', gte: junk } }),
      (b) => (b.collapse = junk),
      // An unknown member named after the junk (String() throws on a null-prototype object or a non-function
      // toString, which fc.anything generates).
      (b) => (b[(typeof junk === 'string' ? junk : (JSON.stringify(junk) ?? 'undefined')).slice(0, 20)] = 1),
    ];
    const b: Body = JSON.parse(JSON.stringify(body));
    paths[at % paths.length](b);
    return b;
  });
  const named = (m: string) => /request body|query parameter '|Tablestore rejected the search: /.test(m);

  it('refuses bodies nested deeper than any request needs with a 400, before anything walks them', async () => {
    // A bool query 32 levels deep (the encoder's limit) is 4 JSON levels a level: still a query, answered.
    let query: Body = { matchAll: {} };
    for (let i = 0; i < 32; i++) query = { bool: { must: [query] } };
    expect((await post({ index: 'idx', query })).status).toBe(200);
    // Deeper JSON once overflowed the stack of the page token's canonical form (a 500).
    for (const body of [
      `{"index":"idx","query":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
      `{"index":"idx","query":${'{"bool":{"must":['.repeat(1000)}{"matchAll":{}}${']}}'.repeat(1000)}}`,
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidBody');
      expect(res.body.error.message).toContain(`nests deeper than ${MAX_BODY_DEPTH} levels`);
    }
  });

  it('3,000 hostile bodies: never a 5xx; every 400 names the part', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated,
          fc.json({ maxDepth: 4 }).map((t) => t as unknown),
        ),
        async (body) => {
          const r = await post(typeof body === 'string' ? body : body);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          expect(r.status, JSON.stringify(body)).toBeLessThan(500);
          if (r.status === 400)
            expect(
              named(r.body.error.message) ||
                r.body.error.code === 'InvalidBody' ||
                r.body.error.code === 'InvalidToken',
              r.body.error.message,
            ).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
    expect(statuses.get(400)).toBeGreaterThan(1000);
  }, 300_000);

  it('3,000 hostile q strings: never a 5xx; every 400 names q', async () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        'status:',
        'amount>',
        '>=',
        '~',
        '"',
        '\\',
        '-',
        '*',
        '?',
        ':',
        'name~"',
        'big:99999999999999999999',
        ' ',
        'price<=-1e400',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
        async (q) => {
          const r = await get({ index: 'idx', q });
          expect(r.status, q).toBeLessThan(500);
          if (r.status === 400) expect(named(r.body.error.message), r.body.error.message).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  }, 300_000);
});
