/**
 * PutTimeseriesData with protobuf rows (`RST_PROTO_BUFFER`, the Go SDK's alternative to FlatBuffer rows;
 * docs/protocol.md §9.5): the same points written as FlatBuffer rows (through our client) and as protobuf
 * rows (raw, as the Go SDK builds them) read back identically; malformed rows fail one by one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { crc32cSigned } from '../../lib/tablestore/protocol/crc32c';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  RowsSerializeType,
  type TimeseriesRowMsg,
} from '../../lib/tablestore/protocol/proto/timeseries';
import { TimeseriesClient, type TimeseriesKey } from '../../lib/tablestore/timeseries/index';
import { createTransport, type Transport } from '../../lib/tablestore/transport/index';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

let local: LocalTablestoreHandle;
let client: TimeseriesClient;
let raw: Transport;
const T = 'pb_rows';

beforeAll(async () => {
  local = await startLocal();
  const credentials = async () => ({
    accessKeyId: local.accessKeyId,
    accessKeySecret: local.accessKeySecret,
    source: 'test',
  });
  client = new TimeseriesClient({ endpoint: local.endpoint, instance: local.instance, credentials });
  raw = createTransport({ endpoint: local.endpoint, instance: local.instance, credentials, retry: { maxRetries: 0 } });
  await client.createTimeseriesTable({ tableName: T });
});

afterAll(async () => {
  client?.close();
  raw?.close();
  await local?.stop();
});

function putProtoRows(rows: TimeseriesRowMsg[], crc = true) {
  const rowsData = encodeTimeseriesMessage('TimeseriesPBRows', { rows });
  const body = encodeTimeseriesMessage('PutTimeseriesDataRequest', {
    table_name: T,
    rows_data: {
      type: RowsSerializeType.PROTO_BUFFER,
      rows_data: rowsData,
      ...(crc ? { flatbuffer_crc32c: crc32cSigned(rowsData) } : {}),
    },
    supported_table_version: 1n,
  });
  return raw.call('PutTimeseriesData', body).then((res) => decodeTimeseriesMessage('PutTimeseriesDataResponse', res));
}

const pbKey = (k: TimeseriesKey) => ({
  measurement: k.measurement,
  source: k.dataSource,
  tag_list: Object.entries(k.tags).map(([name, value]) => ({ name, value })),
});

it('stores protobuf rows exactly like the same FlatBuffer rows', async () => {
  const viaFlat: TimeseriesKey = { measurement: 'cpu', dataSource: 'flat', tags: { region: 'hz' } };
  const viaProto: TimeseriesKey = { measurement: 'cpu', dataSource: 'proto', tags: { region: 'hz' } };
  const points = [
    {
      time: 1_000n,
      fields: { load: 0.5, count: 9007199254740993n, up: true, state: 'ok', raw: new Uint8Array([0, 255]) },
    },
    { time: 2_000n, fields: { load: 0.75, count: -5n, up: false, state: 'warn', raw: new Uint8Array([]) } },
  ];
  expect(
    (await client.putTimeseriesData({ tableName: T, rows: points.map((p) => ({ key: viaFlat, ...p })) })).failedRows,
  ).toEqual([]);
  const res = await putProtoRows(
    points.map((p) => ({
      timeseries_key: pbKey(viaProto),
      time: p.time,
      fields: [
        { field_name: 'load', value_double: p.fields.load },
        { field_name: 'count', value_int: p.fields.count },
        { field_name: 'up', value_bool: p.fields.up },
        { field_name: 'state', value_string: p.fields.state },
        { field_name: 'raw', value_binary: p.fields.raw },
      ],
    })),
  );
  expect(res.failed_rows ?? []).toEqual([]);
  const read = async (key: TimeseriesKey) =>
    (await client.getTimeseriesData({ tableName: T, key })).rows.map((r) => ({ time: r.time, fields: r.fields }));
  const flat = await read(viaFlat);
  expect(flat).toHaveLength(2);
  expect(await read(viaProto)).toEqual(flat);
});

it('fails only the malformed protobuf rows, and checks the CRC of rows_data', async () => {
  const key = pbKey({ measurement: 'mem', dataSource: 'h1', tags: {} });
  const res = await putProtoRows([
    { timeseries_key: key, time: 1n, fields: [{ field_name: 'v', value_int: 1n }] },
    { timeseries_key: key, time: 2n, fields: [{ field_name: 'v' }] },
    { timeseries_key: key, time: 3n, fields: [{ field_name: 'v', value_int: 1n, value_string: 'x' }] },
    { timeseries_key: key, fields: [{ field_name: 'v', value_int: 1n }] },
    { timeseries_key: { ...key, measurement: '' }, time: 5n, fields: [{ field_name: 'v', value_int: 1n }] },
  ]);
  expect((res.failed_rows ?? []).map((f) => [f.row_index, f.error_code])).toEqual([
    [1, 'OTSParameterInvalid'],
    [2, 'OTSParameterInvalid'],
    [3, 'OTSParameterInvalid'],
    [4, 'OTSParameterInvalid'],
  ]);
  const rowsData = encodeTimeseriesMessage('TimeseriesPBRows', {
    rows: [{ timeseries_key: key, time: 9n, fields: [{ field_name: 'v', value_int: 1n }] }],
  });
  const bad = encodeTimeseriesMessage('PutTimeseriesDataRequest', {
    table_name: T,
    rows_data: {
      type: RowsSerializeType.PROTO_BUFFER,
      rows_data: rowsData,
      flatbuffer_crc32c: crc32cSigned(rowsData) ^ 1,
    },
  });
  await expect(raw.call('PutTimeseriesData', bad)).rejects.toMatchObject({
    code: 'OTSParameterInvalid',
    httpStatus: 400,
  });
});
