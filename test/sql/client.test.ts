/**
 * The lean client's `sqlQuery()` against Tablestore Local over HTTP, with the official SDK's `sqlQuery` (and
 * its own SQL_FLAT_BUFFERS decoding) as the oracle: random rows of every column type must read the same
 * through both; statement types, consumed capacity and errors; and the rows decoder on its own, where
 * malformed bytes raise SqlRowsFormatError and nothing else.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials/static';
import { FormatError } from '../../lib/tablestore/protocol/format-error';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { decodeSqlRows, sqlQueryResult, SqlRowsFormatError, type SqlRow } from '../../lib/tablestore/sql-rows';
import { double, WideTableClient, type ColumnInput, type SqlQueryResult } from '../../lib/tablestore/wide';
import { encodeSqlRows, type ResultColumn } from '../../local/tablestore/sql/flatbuffer';
import { SqlType } from '../../local/tablestore/sql/values';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkClient } from '../helpers/tablestore-local';
import { sql, type Cell } from './helpers';

let local: LocalTablestoreHandle;
let sdk: SdkClient;
let wide: WideTableClient;

beforeAll(async () => {
  local = await startLocal();
  sdk = sdkClient(local);
  wide = new WideTableClient({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: fromStatic({ accessKeyId: local.accessKeyId, accessKeySecret: local.accessKeySecret }),
  });
});
afterAll(async () => {
  wide?.close();
  await local?.stop();
});

/** Our row as cells in column order, LONG as bigint (the form the SDK helper gives). */
function cells(r: SqlQueryResult): Cell[][] {
  return r.rows.map((row) =>
    r.columns.map((c) =>
      c.type === 'LONG' && typeof row[c.name] === 'number' ? BigInt(row[c.name] as number) : row[c.name],
    ),
  );
}

// ------------------------------------------------------------------------------------------ differential

const INT64 = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) + 1n, -(2n ** 53n) - 1n, 0n),
);
const rowArb = fc.record({
  i: fc.option(INT64, { nil: null }),
  d: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  b: fc.option(fc.boolean(), { nil: null }),
  s: fc.option(fc.string({ unit: 'grapheme', maxLength: 12 }), { nil: null }),
  x: fc.option(fc.uint8Array({ maxLength: 10 }), { nil: null }),
  // Two values, read ordered by g: few runs, so Tablestore Local sends g run-length encoded.
  g: fc.constantFrom('red', 'blue'),
});

let tableNo = 0;

describe('sqlQuery() vs the official SDK', () => {
  it('reads random rows of every type (int64 beyond 2^53, NULLs, run-length strings, binary) as the SDK does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 4, maxLength: 24 }), async (data) => {
        const table = `sqlc${tableNo++}`;
        await wide.createTable({
          table,
          primaryKey: [{ name: 'id', type: 'INTEGER' }],
          definedColumns: [
            { name: 'i', type: 'INTEGER' },
            { name: 'd', type: 'DOUBLE' },
            { name: 'b', type: 'BOOLEAN' },
            { name: 's', type: 'STRING' },
            { name: 'x', type: 'BINARY' },
            { name: 'g', type: 'STRING' },
          ],
        });
        try {
          await wide.batchWriteRow({
            tables: [
              {
                table,
                rows: data.map((row, id) => {
                  const columns: Record<string, ColumnInput> = {};
                  for (const [k, v] of Object.entries(row)) if (v !== null) columns[k] = v;
                  // A DOUBLE column keeps its type even for integral values.
                  if (row.d !== null) columns.d = double(row.d);
                  return { type: 'put' as const, primaryKey: { id }, columns };
                }),
              },
            ],
          });
          const query = `SELECT id, i, d, b, s, x, g FROM ${table} ORDER BY g, id`;
          const [ours, theirs] = await Promise.all([wide.sqlQuery(query), sql(sdk, query)]);

          expect(ours.type).toBe('SQL_SELECT');
          expect(ours.columns).toEqual([
            { name: 'id', type: 'LONG' },
            { name: 'i', type: 'LONG' },
            { name: 'd', type: 'DOUBLE' },
            { name: 'b', type: 'BOOLEAN' },
            { name: 's', type: 'STRING' },
            { name: 'x', type: 'BINARY' },
            { name: 'g', type: 'STRING' },
          ]);
          expect(theirs.types[6]).toBe('STRING_RLE');
          expect(ours.columns.map((c) => c.name)).toEqual(theirs.names);
          expect(cells(ours)).toEqual(theirs.rows);

          // And both are the data written (ordered as the query asks).
          const expected = data
            .map((row, id) => ({ id, ...row }))
            .sort((a, b) => (a.g === b.g ? a.id - b.id : a.g < b.g ? -1 : 1))
            .map((row): SqlRow => {
              const out: SqlRow = {};
              for (const [k, v] of Object.entries(row))
                out[k] = typeof v === 'bigint' && v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v;
              return out;
            });
          expect(ours.rows).toEqual(expected);
          // int64 stays lossless: unsafe values are bigints, safe ones numbers.
          for (const row of ours.rows) {
            if (typeof row.i === 'bigint') expect(Number.isSafeInteger(Number(row.i))).toBe(false);
          }
          expect(ours.consumed).toEqual([
            { table, read: theirs.raw.consumes?.[0]?.consumed?.capacityUnit?.read, write: 0 },
          ]);
          expect(ours.consumed[0].read).toBeGreaterThanOrEqual(1);
        } finally {
          await wide.deleteTable(table);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('sqlQuery() statements and errors', () => {
  beforeAll(async () => {
    await wide.createTable({
      table: 'people',
      primaryKey: [{ name: 'pk', type: 'STRING' }],
      definedColumns: [{ name: 'age', type: 'INTEGER' }],
    });
    await wide.putRow({ table: 'people', primaryKey: { pk: 'a' }, columns: { age: 9007199254740993n } });
  });

  it("answers SHOW TABLES and DESCRIBE with their statement types and the SDK's rows", async () => {
    const shown = await wide.sqlQuery('SHOW TABLES');
    expect(shown.type).toBe('SQL_SHOW_TABLE');
    expect(shown.columns).toEqual([{ name: `Tables_in_${local.instance}`, type: 'STRING' }]);
    expect(shown.rows.map((r) => r[`Tables_in_${local.instance}`])).toContain('people');
    expect(cells(shown)).toEqual((await sql(sdk, 'SHOW TABLES')).rows);

    const described = await wide.sqlQuery('DESCRIBE people');
    expect(described.type).toBe('SQL_DESCRIBE_TABLE');
    expect(described.columns.map((c) => c.name)).toEqual(['Field', 'Type', 'Null', 'Key', 'Default', 'Extra']);
    expect(described.rows.map((r) => [r.Field, r.Key])).toEqual([
      ['pk', 'PRI'],
      ['age', ''],
    ]);
    expect(cells(described)).toEqual((await sql(sdk, 'DESCRIBE people')).rows);
    expect(described.consumed).toEqual([]);
  });

  it('reports the DDL statement types with an empty result', async () => {
    const created = await wide.sqlQuery(
      'CREATE TABLE people (pk VARCHAR(1024), age BIGINT, nick MEDIUMTEXT, PRIMARY KEY(pk))',
    );
    expect(created).toMatchObject({ type: 'SQL_CREATE_TABLE', columns: [], rows: [] });
    expect((await wide.sqlQuery('ALTER TABLE people DROP COLUMN nick')).type).toBe('SQL_ALTER_TABLE');
    expect((await wide.sqlQuery('DROP MAPPING TABLE people')).type).toBe('SQL_DROP_TABLE');
    const read = await wide.sqlQuery('SELECT age, age + 1 AS next FROM people');
    expect(read.rows).toEqual([{ age: 9007199254740993n, next: 9007199254740994n }]);
  });

  it('surfaces a syntax error as TablestoreError OTSParameterInvalid', async () => {
    const err = await wide.sqlQuery('SELEC * FROM people').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TablestoreError);
    expect(err).toMatchObject({ code: 'OTSParameterInvalid', httpStatus: 400 });
    expect((err as Error).message).toMatch(/syntax/);
    const unknown = await wide.sqlQuery('SELECT * FROM nowhere').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'OTSParameterInvalid', message: expect.stringContaining("doesn't exist") });
  });
});

// ------------------------------------------------------------------------------------------ the decoder

const columnArb: fc.Arbitrary<ResultColumn> = fc.integer({ min: 0, max: 6 }).chain((n) =>
  fc.oneof(
    fc
      .array(fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { nil: null }), {
        minLength: n,
        maxLength: n,
      })
      .map((values) => ({ name: 'l', type: SqlType.LONG, values })),
    fc
      .array(fc.option(fc.double(), { nil: null }), { minLength: n, maxLength: n })
      .map((values) => ({ name: 'd', type: SqlType.DOUBLE, values })),
    fc
      .array(fc.option(fc.boolean(), { nil: null }), { minLength: n, maxLength: n })
      .map((values) => ({ name: 'b', type: SqlType.BOOLEAN, values })),
    fc
      .array(fc.option(fc.constantFrom('', 'a', 'é', '__proto__'), { nil: null }), { minLength: n, maxLength: n })
      .map((values) => ({ name: '__proto__', type: SqlType.STRING, values })),
    fc
      .array(fc.constantFrom('p', 'q'), { minLength: n, maxLength: n })
      .map((values) => ({ name: 'r', type: SqlType.STRING, values })),
    fc
      .array(fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }), { minLength: n, maxLength: n })
      .map((values) => ({ name: 'x', type: SqlType.BINARY, values })),
  ),
);
/** Columns of one shared row count, names made unique. */
const resultArb = fc.integer({ min: 0, max: 6 }).chain((n) =>
  fc
    .array(
      columnArb.filter((c) => c.values.length === n),
      { maxLength: 4 },
    )
    .map((cols) => ({ n, cols: cols.map((c, i) => ({ ...c, name: `${c.name}${i === 0 ? '' : i}` })) })),
);

const lossless = (v: unknown) =>
  typeof v === 'bigint' && v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;

describe('decodeSqlRows', () => {
  it('reads back what the Tablestore Local encoder writes', () => {
    fc.assert(
      fc.property(resultArb, ({ n, cols }) => {
        const decoded = decodeSqlRows(encodeSqlRows(cols, n));
        expect(decoded.columns.map((c) => c.name)).toEqual(cols.map((c) => c.name));
        expect(decoded.rows).toHaveLength(n);
        cols.forEach((c) => {
          expect(decoded.rows.map((r) => (Object.hasOwn(r, c.name) ? r[c.name] : 'missing'))).toEqual(
            c.values.map(lossless),
          );
        });
      }),
      { numRuns: 200 },
    );
  });

  it('throws SqlRowsFormatError, never anything else, on truncated or corrupted bytes', () => {
    fc.assert(
      fc.property(
        resultArb,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        ({ n, cols }, cut, flips) => {
          const good = encodeSqlRows(cols, n);
          const truncated = good.subarray(0, cut % good.length);
          const corrupted = good.slice();
          for (const [at, byte] of flips) corrupted[at % corrupted.length] = byte;
          for (const bytes of [truncated, corrupted]) {
            try {
              decodeSqlRows(bytes);
            } catch (err) {
              expect(err).toBeInstanceOf(SqlRowsFormatError);
              expect(err).toBeInstanceOf(FormatError);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(() => decodeSqlRows(new Uint8Array([1, 2, 3]))).toThrow(SqlRowsFormatError);
    expect(() => decodeSqlRows(new Uint8Array(64).fill(0xff))).toThrow(SqlRowsFormatError);
    expect(() =>
      sqlQueryResult({
        consumes: [],
        rows: encodeSqlRows([{ name: 'l', type: SqlType.LONG, values: [1n] }], 1).subarray(0, 20),
      }),
    ).toThrow(SqlRowsFormatError);
  });

  it('refuses a row count the payload cannot hold and a run index outside the runs', () => {
    const big = encodeSqlRows([{ name: 'l', type: SqlType.LONG, values: [1n, 2n] }], 2);
    // row_count is the only int64 scalar: patch every little-endian 2 in an 8-byte window into a huge count.
    const patched = big.slice();
    const view = new DataView(patched.buffer);
    let found = false;
    for (let p = 0; p + 8 <= patched.length; p += 4) {
      if (view.getBigInt64(p, true) === 2n) {
        view.setBigInt64(p, 1n << 40n, true);
        found = true;
      }
    }
    expect(found).toBe(true);
    expect(() => decodeSqlRows(patched)).toThrow(/row_count/);

    const rle = encodeSqlRows([{ name: 'r', type: SqlType.STRING, values: ['a', 'a', 'a', 'a'] }], 4);
    // The run index vector is four int32 zeros preceded by its length 4; point row 2 at run 7.
    const bad = rle.slice();
    const dv = new DataView(bad.buffer);
    let at = -1;
    for (let p = 0; p + 20 <= bad.length; p += 4) {
      if (dv.getInt32(p, true) === 4 && [4, 8, 12, 16].every((o) => dv.getInt32(p + o, true) === 0)) at = p;
    }
    expect(at).toBeGreaterThanOrEqual(0);
    dv.setInt32(at + 12, 7, true);
    expect(() => decodeSqlRows(bad)).toThrow(/run 7/);
  });
});
