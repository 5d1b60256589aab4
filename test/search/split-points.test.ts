/**
 * ComputeSplitPointsBySize (raw requests: the Node SDK has no call for it) and malformed search requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { decodeRow } from '../../lib/tablestore/protocol/plainbuffer';
import { decodeSearch, encodeSearch } from '../../local/tablestore/search/proto';
import { rawCall } from '../helpers/ots-raw';
import { sdkClient, startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';
import { Sdk, asSearch } from './sdk';

let local: LocalTablestoreHandle;

beforeAll(async () => {
  local = await startLocal();
  const client = asSearch(sdkClient(local));
  await client.createTable({
    tableMeta: {
      tableName: 'big',
      primaryKey: [
        { name: 'h', type: 'STRING' },
        { name: 'i', type: 'INTEGER' },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  const pad = 'v'.repeat(1000);
  for (let b = 0; b < 5; b++) {
    await client.batchWriteRow({
      tables: [
        {
          tableName: 'big',
          rows: Array.from({ length: 20 }, (_, j) => ({
            type: 'PUT',
            condition: new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null),
            primaryKey: [{ h: `k${String(b * 20 + j).padStart(3, '0')}` }, { i: Sdk.Long.fromNumber(j) }],
            attributeColumns: [{ pad }],
          })),
        },
      ],
    });
  }
});

afterAll(async () => {
  await local?.stop();
});

interface SplitResponse {
  schema: { name: string; type: number }[];
  split_points: Uint8Array[];
  locations: { location: string; repeat: bigint }[];
}

async function splitPoints(body: object) {
  const res = await rawCall(
    { ...local, region: local.region },
    'ComputeSplitPointsBySize',
    encodeSearch('ComputeSplitPointsBySizeRequest', body),
  );
  return res;
}

describe('ComputeSplitPointsBySize', () => {
  it('cuts the table into splits of about the requested size, in key order', async () => {
    const res = await splitPoints({ table_name: 'big', split_size: 1, split_size_unit_in_byte: 10_000 });
    expect(res.status).toBe(200);
    const out = decodeSearch<SplitResponse>('ComputeSplitPointsBySizeResponse', res.body);
    expect(out.schema.map((c) => c.name)).toEqual(['h', 'i']);
    // ~1 KB rows, 10 KB splits, 100 rows: 9 or 10 cut points.
    expect(out.split_points.length).toBeGreaterThanOrEqual(9);
    expect(out.split_points.length).toBeLessThanOrEqual(10);
    const firsts = out.split_points.map((p) => decodeRow(p).primaryKey[0].value as string);
    expect([...firsts].sort()).toEqual(firsts);
    expect(Number(out.locations[0].repeat)).toBe(out.split_points.length + 1);
    const whole = decodeSearch<SplitResponse>(
      'ComputeSplitPointsBySizeResponse',
      (await splitPoints({ table_name: 'big', split_size: 1 })).body,
    );
    expect(whole.split_points).toHaveLength(0);
  });

  it('refuses a missing table and a bad size', async () => {
    const missing = await splitPoints({ table_name: 'nope', split_size: 1 });
    expect(missing.status).toBe(404);
    expect(decodeErrorBody(missing.body)?.code).toBe('OTSObjectNotExist');
    const bad = await splitPoints({ table_name: 'big', split_size: 0 });
    expect(bad.status).toBe(400);
    expect(decodeErrorBody(bad.body)?.code).toBe('OTSParameterInvalid');
  });
});

describe('malformed search requests', () => {
  it('answer 400 OTSParameterInvalid, never 5xx', async () => {
    for (const api of ['Search', 'CreateSearchIndex', 'ParallelScan', 'DescribeSearchIndex']) {
      const res = await rawCall(
        { ...local, region: local.region },
        api,
        new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x22]),
      );
      expect(res.status, api).toBe(400);
      expect(decodeErrorBody(res.body)?.code).toBe('OTSParameterInvalid');
    }
    const badQuery = encodeSearch('SearchRequest', {
      table_name: 'big',
      index_name: 'x',
      search_query: new Uint8Array([0x22, 0x05, 0x08]),
    });
    const res = await rawCall({ ...local, region: local.region }, 'Search', badQuery);
    expect(res.status).toBeLessThan(500);
  });
});
