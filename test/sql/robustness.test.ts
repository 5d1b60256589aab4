/**
 * Hostile and odd input never crashes the SQL engine: random token soup, random tweaks of valid queries and
 * malformed request bytes all get a 200 or a 400 OTSParameterInvalid (never a 5xx), and the server keeps
 * answering. Also the calls `samples/sql.js` of the official Node SDK makes, in our own words.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  sdkClient,
  sdkError,
  startLocal,
  TableStore,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';
import { rawCall } from '../helpers/ots-raw';
import { encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import { MAX_STRING_LENGTH } from '../../local/tablestore/sql/functions';
import { sql } from './helpers';

let local: LocalTablestoreHandle;
let client: SdkClient;
beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await client.createTable({
    tableMeta: { tableName: 'test_table', primaryKey: [{ name: 'pk1', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  for (let i = 0; i < 5; i++) {
    await client.putRow({
      tableName: 'test_table',
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ pk1: `k${i}` }],
      attributeColumns: [
        { col_long: TableStore.Long.fromNumber(i * 1000) },
        { col_keyword: `kw${i % 2}` },
        { col_bool: i % 2 === 0 },
        { col_double: i * 0.3 },
        { col_binary: Buffer.from('binary') },
      ],
    });
  }
  await sql(
    client,
    'create table test_table (pk1 varchar(1024), col_long bigint, col_keyword mediumtext, col_bool bool, col_double double, col_binary mediumblob, primary key(pk1));',
  );
});
afterAll(async () => local?.stop());

it('serves what samples/sql.js reads: row and column counts, table meta, LONG and BINARY cells', async () => {
  const resp = (await (client as unknown as { sqlQuery(p: object): Promise<Record<string, unknown>> }).sqlQuery({
    query: 'select * from test_table',
  })) as {
    consumes: unknown[];
    sqlRows: {
      rowCount: { toFloat64(): number };
      columnCount: number;
      sqlTableMeta: { schemas: { name: string; typeName: string }[]; columnsMap: Record<string, number> };
      get(i: number, j: number): unknown;
    };
  };
  expect(resp.consumes).toHaveLength(1);
  const rows = resp.sqlRows;
  expect(rows.rowCount.toFloat64()).toBe(5);
  expect(rows.columnCount).toBe(6);
  expect(rows.sqlTableMeta.schemas.map((s) => s.typeName)).toEqual([
    'STRING',
    'LONG',
    'STRING',
    'BOOLEAN',
    'DOUBLE',
    'BINARY',
  ]);
  expect(rows.sqlTableMeta.columnsMap).toEqual({
    pk1: 0,
    col_long: 1,
    col_keyword: 2,
    col_bool: 3,
    col_double: 4,
    col_binary: 5,
  });
  for (let i = 0; i < rows.rowCount.toFloat64(); i++) {
    expect((rows.get(i, 1) as { toFloat64(): number }).toFloat64()).toBe(i * 1000);
    expect(Buffer.from((rows.get(i, 5) as { valueArray(): Int8Array }).valueArray()).toString()).toBe('binary');
    expect(rows.get(i, 0)).toBe(`k${i}`);
  }
});

const TOKENS = [
  'select',
  'from',
  'where',
  'group',
  'by',
  'order',
  'limit',
  'having',
  'and',
  'or',
  'not',
  'in',
  'between',
  'like',
  'is',
  'null',
  'distinct',
  'count',
  'sum',
  'avg',
  '(',
  ')',
  ',',
  '*',
  '=',
  '<',
  '>=',
  '<>',
  '+',
  '-',
  '/',
  '%',
  "'x'",
  '"y"',
  '1',
  '-2',
  '3.5',
  '9223372036854775807',
  '99999999999999999999',
  'test_table',
  '`test_table::meta`',
  'pk1',
  'col_long',
  'col_double',
  'col_bool',
  'col_binary',
  'time_bin',
  'tag_value_at',
  'concat',
  'substring',
  'show',
  'tables',
  'describe',
  'create',
  'table',
  'drop',
  'mapping',
  'alter',
  'add',
  'column',
  'bool',
  'bigint',
  'primary',
  'key',
  'engine',
  ';',
  '.',
  'as',
  'asc',
  'desc',
  'offset',
  'case',
  'when',
  'then',
  'else',
  'end',
  'cast',
  "x'0f'",
  '/*',
  '*/',
  '--',
  '\n',
  '?',
];

function expectClean(status: number): void {
  expect(status === 200 || status === 400, `status ${status}`).toBe(true);
}

it('answers 200 or 400 to random token sequences and tweaked queries, never 5xx', async () => {
  const soup = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 14 }).map((t) => t.join(' '));
  const tweaked = fc
    .tuple(
      fc.constantFrom(
        'select pk1, count(*) from test_table group by pk1 having count(*) > 0 order by 1 limit 2',
        "select concat(pk1, 'a'), col_long / 0, col_long div 0, -col_long from test_table where col_double between 0 and 1",
        "select time_bin(col_long, '1h'), tag_value_at(col_keyword, 'a') from test_table",
        'select * from `test_table::meta`',
        'create table test_table (pk1 varchar(1024), c bool, primary key(pk1))',
      ),
      fc.integer({ min: 0, max: 120 }),
      fc.integer({ min: 0, max: 8 }),
      fc.constantFrom('', ')', '(', "'", '`', ',', '*', ' null ', ' 1e999 ', ' -- '),
    )
    .map(([q, at, cut, insert]) => q.slice(0, at) + insert + q.slice(at + cut));
  await fc.assert(
    fc.asyncProperty(fc.oneof(soup, tweaked), async (query) => {
      const res = await rawCall(local, 'SQLQuery', encodeMessage('SQLQueryRequest', { query }));
      expectClean(res.status);
    }),
    { numRuns: 300 },
  );
  expect((await sql(client, 'select count(*) from test_table')).rows).toEqual([[5n]]);
}, 300_000);

it('rejects malformed request bytes and payload versions cleanly', async () => {
  for (const body of [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x12, 0x01, 0x02]), new Uint8Array(0)]) {
    const res = await rawCall(local, 'SQLQuery', body);
    expect(res.status).toBe(400);
  }
  const v1 = await rawCall(local, 'SQLQuery', encodeMessage('SQLQueryRequest', { query: 'show tables', version: 1 }));
  expect(v1.status).toBe(400);
  const e = await sdkError(sql(client, 'select * from test_table where col_keyword = 1'));
  expect(e.code).toBe('OTSParameterInvalid');
});

it('answers long machine-made expressions, and a 400 (not an internal error) past the nesting limit', async () => {
  const or = (n: number) =>
    `select count(*) from test_table where ${Array.from({ length: n }, (_, i) => `pk1 = 'k${i}'`).join(' or ')}`;
  // 1,400 terms nest just under MAX_SYNTAX_DEPTH (local/tablestore/sql/parse.ts) and are answered.
  expect((await sql(client, or(1400))).rows).toEqual([[5n]]);
  for (const query of [
    or(5000),
    `select ${Array.from({ length: 20_000 }, () => '1').join(' + ')} from test_table`,
    `select * from test_table where ${Array.from({ length: 3000 }, (_, i) => `not col_long = ${i}`).join(' and ')}`,
  ]) {
    const res = await rawCall(local, 'SQLQuery', encodeMessage('SQLQueryRequest', { query, version: 2 }));
    expect(res.status).toBe(400);
    expect(res.body.toString('latin1')).toContain('nests more than 1500 levels deep');
  }
  expect((await sql(client, 'select count(*) from test_table')).rows).toEqual([[5n]]);
}, 60_000);

it('string functions return NULL past MAX_STRING_LENGTH instead of exhausting the server, and are exact below it', async () => {
  const one = async (expr: string) => (await sql(client, `select ${expr} from test_table limit 1`)).rows[0][0];
  // Below the bound: exact (REPEAT once cut every count at 2^20, a wrong answer).
  expect(await one("char_length(repeat('ab', 2000000))")).toBe(4_000_000n);
  expect(await one("char_length(lpad('a', 3000000, 'xy'))")).toBe(3_000_000n);
  expect(await one("lpad('a', 6, 'xy')")).toBe('xyxyxa');
  expect(await one("rpad('😀', 4, 'ab')")).toBe('😀aba');
  // Past it: NULL, as MySQL answers past max_allowed_packet. LPAD to 1e11 used to abort the process.
  for (const expr of [
    "lpad('a', 100000000000, 'b')",
    "rpad('a', 20000000, 'b')",
    "repeat(repeat('ab', 1048576), 1048576)",
    "concat(repeat('a', 9000000), repeat('b', 9000000))",
    "concat_ws(',', repeat('a', 9000000), repeat('b', 9000000))",
    "replace(repeat('a', 5000), 'a', repeat('b', 5000))",
  ])
    expect(await one(`${expr} is null`), expr).toBe(true);
  expect(await one(`char_length(repeat('a', ${MAX_STRING_LENGTH}))`)).toBe(BigInt(MAX_STRING_LENGTH));
}, 60_000);
