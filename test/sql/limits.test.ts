/**
 * The per-query scan limit (100,000 rows or 128 MB): a query that would read more fails with a clear 400
 * instead of answering partially, while key ranges and early-stopping LIMITs stay under it. The rows are
 * loaded in-process through the server's KvStore with the handlers' own codecs; queries go over HTTP.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  sdkClient,
  sdkError,
  startLocal,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';
import { MAX_SCAN_ROWS } from '../../local/tablestore/sql/scan';
import { MAX_JOIN_PAIRS, MAX_JOIN_ROWS } from '../../local/tablestore/sql/sources';
import { preloadRows } from '../helpers/preload';
import { sql } from './helpers';

let local: LocalTablestoreHandle;
let client: SdkClient;
const ROWS = MAX_SCAN_ROWS + 100;

beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
  await client.createTable({
    tableMeta: {
      tableName: 'big',
      primaryKey: [
        { name: 'g', type: 'INTEGER' },
        { name: 'n', type: 'INTEGER' },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await preloadRows(local, 'big', ROWS, (i) => ({
    key: [
      { name: 'g', value: BigInt(i % 100) },
      { name: 'n', value: BigInt(i) },
    ],
    columns: { v: BigInt(i % 7) },
  }));
  await sql(client, 'create table big (g bigint, n bigint, v bigint, primary key(g, n))');
}, 120_000);
afterAll(async () => local?.stop());

it('fails a query that must read more than the scan limit, serves narrower ones', async () => {
  const e = await sdkError(sql(client, 'select count(*) from big'));
  expect([e.status, e.code]).toEqual([400, 'OTSParameterInvalid']);
  expect(e.message).toMatch(/scans more than 100000 rows/);
  expect((await sdkError(sql(client, 'select * from big where v = 99'))).message).toMatch(/scan/);
  expect((await sql(client, 'select count(*), sum(v) from big where g = 42')).rows[0][0]).toBe(BigInt(ROWS / 100));
  expect((await sql(client, 'select count(*) from big where g < 50')).rows).toEqual([[BigInt(ROWS / 2)]]);
  // no ORDER BY: key order, stopping after three hits although the whole table matches the filter's column
  const inGroup0 = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 100 === 0 && i % 7 === 3);
  expect((await sql(client, 'select n from big where v = 3 limit 3')).rows).toEqual(
    inGroup0.slice(0, 3).map((i) => [BigInt(i)]),
  );
  // ORDER BY the key descending: a backward read that stops after two rows
  const last = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 100 === 99);
  expect((await sql(client, 'select g, n from big order by g desc, n desc limit 2')).rows).toEqual(
    last
      .slice(-2)
      .reverse()
      .map((i) => [99n, BigInt(i)]),
  );
}, 60_000);

it('refuses a join whose product would exhaust memory or time, answers one within the limits', async () => {
  // g = 1 and g = 2 hold 1,001 rows each (n = i, g = i % 100).
  const within = await sql(client, 'SELECT COUNT(*) FROM big a JOIN big b ON a.n < b.n WHERE a.g = 1 AND b.g = 2');
  expect(within.rows).toEqual([[BigInt((1001 * 1002) / 2)]]);
  // An equality join compares only matching pairs, however large the sides.
  expect(
    (await sql(client, 'SELECT COUNT(*) FROM big a JOIN big b ON a.n = b.n WHERE a.g < 50 AND b.g < 50')).rows,
  ).toEqual([[50_050n]]);
  const rows = await sdkError(sql(client, 'SELECT COUNT(*) FROM big a, big b WHERE a.g = 1 AND b.g < 2'));
  expect([rows.status, rows.code]).toEqual([400, 'OTSParameterInvalid']);
  expect(rows.message).toContain(`joins more than ${MAX_JOIN_ROWS} rows`);
  const pairs = await sdkError(
    sql(client, 'SELECT COUNT(*) FROM big a JOIN big b ON a.n > b.n + 1000000 WHERE a.g < 5 AND b.g < 5'),
  );
  expect([pairs.status, pairs.code]).toEqual([400, 'OTSParameterInvalid']);
  expect(pairs.message).toContain(`compares more than ${MAX_JOIN_PAIRS} pairs`);
}, 60_000);
