/** Malformed requests to the time series APIs get OTS 4xx errors from Tablestore Local, never a 500. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { crc32cSigned } from '../../lib/tablestore/protocol/crc32c';
import { encodeFlatBufferRows } from '../../lib/tablestore/protocol/flatbuffer-rows';
import { encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { createTransport, type Transport } from '../../lib/tablestore/transport/index';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

const APIS = [
  'CreateTimeseriesTable',
  'ListTimeseriesTable',
  'DescribeTimeseriesTable',
  'UpdateTimeseriesTable',
  'DeleteTimeseriesTable',
  'PutTimeseriesData',
  'GetTimeseriesData',
  'QueryTimeseriesMeta',
  'UpdateTimeseriesMeta',
  'DeleteTimeseriesMeta',
  'SplitTimeseriesScanTask',
  'ScanTimeseriesData',
];

let local: LocalTablestoreHandle;
let raw: Transport;

beforeAll(async () => {
  local = await startLocal();
  raw = createTransport({
    endpoint: local.endpoint,
    instance: local.instance,
    credentials: async () => ({
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      source: 'test',
    }),
    retry: { maxRetries: 0 },
  });
  await raw.call(
    'CreateTimeseriesTable',
    encodeTimeseriesMessage('CreateTimeseriesTableRequest', { table_meta: { table_name: 't' } }),
  );
});

afterAll(async () => {
  raw?.close();
  await local?.stop();
});

async function outcome(api: string, body: Uint8Array): Promise<number> {
  try {
    await raw.call(api, body);
    return 200;
  } catch (err) {
    expect(err).toBeInstanceOf(TablestoreError);
    return (err as TablestoreError).httpStatus;
  }
}

it('answers random bytes with 2xx or 4xx for every API', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...APIS), fc.uint8Array({ maxLength: 64 }), async (api, body) => {
      const status = await outcome(api, body);
      expect(
        status === 200 || (status >= 400 && status < 500),
        `${api} ${Buffer.from(body).toString('hex')} → ${status}`,
      ).toBe(true);
    }),
    { numRuns: 300 },
  );
});

it('answers corrupted FlatBuffer rows (with a matching CRC) with 2xx or 4xx', async () => {
  const good = encodeFlatBufferRows([
    {
      measurement: 'm',
      dataSource: 's',
      tagList: [{ name: 'k', value: 'v' }],
      time: 5n,
      fields: { a: 1n, b: 'x', c: new Uint8Array([1]) },
    },
  ]);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      async (edits) => {
        const rows = good.slice();
        for (const [at, v] of edits) rows[at] = v;
        const body = encodeTimeseriesMessage('PutTimeseriesDataRequest', {
          table_name: 't',
          rows_data: { type: 0, rows_data: rows, flatbuffer_crc32c: crc32cSigned(rows) },
          supported_table_version: 1n,
        });
        const status = await outcome('PutTimeseriesData', body);
        expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
      },
    ),
    { numRuns: 150 },
  );
});

it('answers corrupted meta conditions and page tokens with 400', async () => {
  const status = await outcome(
    'QueryTimeseriesMeta',
    encodeTimeseriesMessage('QueryTimeseriesMetaRequest', {
      table_name: 't',
      condition: { type: 1, proto_data: Uint8Array.from([0xff, 0x01]) },
    }),
  );
  expect(status).toBe(400);
  const nested = (depth: number): { type: number; proto_data: Uint8Array } =>
    depth === 0
      ? { type: 2, proto_data: encodeTimeseriesMessage('MetaQueryMeasurementCondition', { op: 1, value: 'm' }) }
      : {
          type: 1,
          proto_data: encodeTimeseriesMessage('MetaQueryCompositeCondition', {
            op: 3,
            sub_conditions: [nested(depth - 1)],
          }),
        };
  expect(
    await outcome(
      'QueryTimeseriesMeta',
      encodeTimeseriesMessage('QueryTimeseriesMetaRequest', { table_name: 't', condition: nested(200) }),
    ),
  ).toBe(400);
  expect(
    await outcome(
      'QueryTimeseriesMeta',
      encodeTimeseriesMessage('QueryTimeseriesMetaRequest', { table_name: 't', condition: nested(10) }),
    ),
  ).toBe(200);
  expect(
    await outcome(
      'QueryTimeseriesMeta',
      encodeTimeseriesMessage('QueryTimeseriesMetaRequest', {
        table_name: 't',
        token: Uint8Array.from([0x54, 2, 9, 9, 9, 9, 0]),
      }),
    ),
  ).toBe(400);
});
