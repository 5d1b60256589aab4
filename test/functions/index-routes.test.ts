/**
 * The secondary-index routes through FC events against Tablestore Local: index metas, exact paging across
 * index pages (every row once, in index-key order, both directions, with bounds) against a brute-force
 * oracle, the join back to the base table for columns the index lacks, the allowlist, and hostile queries.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import { sdkClient } from '../helpers/tablestore-local';
import { asIndexClient, Sdk } from '../indexes/sdk';
import { httpEvent, memoryStream } from './fc-event';
import { ADMIN, int64, putRows, startFixture, type Fixture } from './fixture';

let f: Fixture;
let http: ReturnType<typeof createHttpHandler>;

const CITIES = ['berlin', 'hangzhou', 'lima', 'oslo', 'quito'];
interface Person {
  id: number;
  city?: string;
  age: number;
  name: string;
}
const people: Person[] = Array.from({ length: 57 }, (_, i) => ({
  id: i + 1,
  // Every seventh person has no city: the sparse index leaves them out.
  ...(i % 7 === 3 ? {} : { city: CITIES[(i * 3) % CITIES.length] }),
  age: 20 + ((i * 11) % 40),
  name: `p${i + 1}`,
}));

beforeAll(async () => {
  f = await startFixture('tsfcidx');
  const sdk = asIndexClient(sdkClient(f.local, { accessKeyId: ADMIN.id, accessKeySecret: ADMIN.secret }));
  await sdk.createTable({
    tableMeta: {
      tableName: 'people',
      primaryKey: [{ name: 'id', type: 'INTEGER' }],
      definedColumn: [
        { name: 'city', type: Sdk.DefinedColumnType.DCT_STRING },
        { name: 'age', type: Sdk.DefinedColumnType.DCT_INTEGER },
        { name: 'name', type: Sdk.DefinedColumnType.DCT_STRING },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    indexMetas: [
      {
        name: 'by_city',
        primaryKey: ['city'],
        definedColumn: ['age'],
        indexUpdateMode: Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
        indexType: Sdk.IndexType.IT_GLOBAL_INDEX,
      },
      {
        name: 'by_id_age',
        primaryKey: ['id', 'age'],
        definedColumn: [],
        indexUpdateMode: Sdk.IndexUpdateMode.IUM_SYNC_INDEX,
        indexType: Sdk.IndexType.IT_LOCAL_INDEX,
      },
    ],
  });
  await putRows(
    f.wide,
    'people',
    people.map((p) => ({
      pk: [{ id: int64(p.id) }],
      cols: [...(p.city === undefined ? [] : [{ city: p.city }]), { age: int64(p.age) }, { name: p.name }],
    })),
  );
  await f.wide.createTable({ table: 'hidden', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  http = createHttpHandler({
    readers: readersFor,
    env: f.env({ TABLESTORE_TABLES: 'people' }),
    logger: createLogger({ destination: memoryStream() }),
  });
});

afterAll(async () => {
  await f?.stop();
});

async function get(path: string, query: Record<string, string> = {}) {
  const res = await http(httpEvent('GET', path, query), f.context());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, any> };
}

/** Brute force: the by_city index in key order (city, id). */
const byCity = () =>
  people
    .filter((p) => p.city !== undefined)
    .sort((a, b) => (a.city! < b.city! ? -1 : a.city! > b.city! ? 1 : a.id - b.id));

async function pages(query: Record<string, string>): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let next: string | null = null;
  let n = 0;
  do {
    const r = await get('/tables/people/indexes/by_city/rows', { ...query, ...(next ? { next } : {}) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (const row of r.body.rows) keys.push(`${row.primaryKey.city}/${row.primaryKey.id}`);
    next = r.body.next;
    n += 1;
  } while (next && n < 500);
  return { keys, pages: n };
}

describe('GET /tables/{table}/indexes', () => {
  it('lists the indexes with type, index columns, key and attribute columns', async () => {
    const r = await get('/tables/people/indexes');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      table: 'people',
      indexes: [
        {
          name: 'by_city',
          type: 'global',
          updateMode: 'async',
          indexColumns: ['city'],
          primaryKey: [
            { name: 'city', type: 'STRING' },
            { name: 'id', type: 'INTEGER' },
          ],
          definedColumns: [{ name: 'age', type: 'INTEGER' }],
          syncPhase: 'incremental',
        },
        {
          name: 'by_id_age',
          type: 'local',
          updateMode: 'sync',
          indexColumns: ['id', 'age'],
          primaryKey: [
            { name: 'id', type: 'INTEGER' },
            { name: 'age', type: 'INTEGER' },
          ],
          definedColumns: [],
          syncPhase: 'incremental',
        },
      ],
    });
    expect((await get('/tables/hidden/indexes')).status).toBe(404);
  });
});

describe('GET /tables/{table}/indexes/{index}/rows', () => {
  it('pages through the index exactly once, in index-key order, both directions and within bounds', async () => {
    const all = byCity().map((p) => `${p.city}/${p.id}`);
    for (const limit of ['1', '4', '9', '100']) {
      const forward = await pages({ limit });
      expect(forward.keys, `limit ${limit}`).toEqual(all);
      expect(forward.pages).toBeGreaterThanOrEqual(Math.ceil(all.length / Number(limit)));
      const backward = await pages({ limit, direction: 'backward' });
      expect(backward.keys, `limit ${limit} backward`).toEqual([...all].reverse());
    }
    // Prefix bounds in the index key: one city, then a range of cities.
    const lima = await pages({ limit: '2', start: '{"city":"lima"}', end: '{"city":"lima","id":"INF_MAX"}' });
    expect(lima.keys).toEqual(all.filter((k) => k.startsWith('lima/')));
    const range = await pages({ limit: '5', start: '{"city":"hangzhou"}', end: '{"city":"oslo"}' });
    expect(range.keys).toEqual(all.filter((k) => k >= 'hangzhou/' && k < 'oslo/'));
    const back = await pages({
      limit: '3',
      direction: 'backward',
      start: '{"city":"oslo"}',
      end: '{"city":"hangzhou"}',
    });
    expect(back.keys).toEqual(
      byCity()
        .filter((p) => p.city! > 'hangzhou' && p.city! <= 'oslo')
        .map((p) => `${p.city}/${p.id}`)
        .reverse(),
    );
  });

  it('returns the columns the index carries, and filters on them', async () => {
    const r = await get('/tables/people/indexes/by_city/rows', {
      limit: '100',
      filter: '{"column":"age","op":">=","value":50}',
      columns: 'age',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.joined).toBeUndefined();
    const expected = byCity().filter((p) => p.age >= 50);
    expect(r.body.rows).toEqual(
      expected.map((p) => ({ primaryKey: { city: p.city, id: p.id }, columns: { age: p.age } })),
    );
  });

  it('joins columns the index lacks from the base table and says so', async () => {
    const r = await get('/tables/people/indexes/by_city/rows', { limit: '6', columns: 'name,age' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const expected = byCity().slice(0, 6);
    expect(r.body.rows).toEqual(
      expected.map((p) => ({ primaryKey: { city: p.city, id: p.id }, columns: { age: p.age, name: p.name } })),
    );
    expect(r.body.joined).toEqual({ columns: ['name'], baseReads: 6, missing: 0 });
    // The local index carries no attributes: everything asked comes from the base table, across pages.
    let next: string | null = null;
    const seen: number[] = [];
    do {
      const page: { status: number; body: Record<string, any> } = await get('/tables/people/indexes/by_id_age/rows', {
        limit: '20',
        columns: 'name',
        ...(next ? { next } : {}),
      });
      expect(page.body.joined).toMatchObject({ columns: ['name'], missing: 0 });
      for (const row of page.body.rows) {
        expect(row.columns.name).toBe(`p${row.primaryKey.id}`);
        seen.push(row.primaryKey.id);
      }
      next = page.body.next;
    } while (next);
    expect(seen).toEqual(people.map((p) => p.id));
  });

  it('answers 404 for an index the table does not have and for tables outside the allowlist', async () => {
    const none = await get('/tables/people/indexes/nope/rows');
    expect(none.status).toBe(404);
    expect(none.body.error).toMatchObject({ code: 'IndexNotFound', message: "Table 'people' has no index 'nope'." });
    // A table name in the index position is not an index of this table.
    expect((await get('/tables/people/indexes/hidden/rows')).body.error.code).toBe('IndexNotFound');
    expect((await get('/tables/hidden/indexes/by_city/rows')).body.error.code).toBe('TableNotFound');
  });

  it('answers 400 naming the parameter, and refuses a /rows token', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ start: '{"age":3}' }, /query parameter 'start': 'age' is not a primary-key column/],
      [{ start: '{"id":3}' }, /query parameter 'start' gives 'id' but not the earlier primary-key column 'city'/],
      [{ start: '{"city":3}' }, /query parameter 'start' column 'city'/],
      [{ filter: '{"column":"age","op":"~","value":1}' }, /filter/],
      [{ limit: '0' }, /limit/],
      [{ columns: 'a,,b' }, /columns/],
      [{ next: 'forged' }, /next/],
    ];
    for (const [query, pattern] of cases) {
      const r = await get('/tables/people/indexes/by_city/rows', query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect(r.body.error.message, JSON.stringify(query)).toMatch(pattern);
    }
    const rows = await get('/tables/people/rows', { limit: '2' });
    const reused = await get('/tables/people/indexes/by_city/rows', { limit: '2', next: rows.body.next });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('InvalidToken');
  });

  it('never answers 5xx to hostile parameters', async () => {
    const json = fc.oneof(
      fc.json(),
      fc
        .record(
          {
            city: fc.oneof(fc.string(), fc.integer(), fc.constant('INF_MAX')),
            id: fc.oneof(fc.integer(), fc.string()),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    const param = fc.record(
      {
        start: json,
        end: json,
        limit: fc.oneof(fc.integer({ min: -3, max: 6000 }).map(String), fc.string()),
        direction: fc.constantFrom('forward', 'backward', 'up'),
        columns: fc.oneof(fc.constantFrom('age', 'name', 'age,name', 'city,nope'), fc.string()),
        filter: fc.oneof(fc.constant('{"column":"age","op":">","value":30}'), fc.json(), fc.string()),
        next: fc.string(),
        bogus: fc.string(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('by_city', 'by_id_age', 'nope', 'bad-name'), param, async (index, query) => {
        const r = await get(`/tables/people/indexes/${index}/rows`, query);
        expect(r.status, JSON.stringify(query)).toBeLessThan(500);
        if (r.status === 400) expect(r.body.error.message).toMatch(/parameter|token|filter/);
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});
