/** PutTimeseriesData: FlatBuffer or protobuf rows → points, with series meta kept up to date. */
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import {
  compareUtf8,
  decodeFlatBufferRows,
  type FlatBufferRow,
  type TimeseriesFieldValue,
} from '../../../../lib/tablestore/protocol/flatbuffer-rows';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  MetaUpdateMode,
  RowsSerializeType,
  type FailedRowInfoMsg,
  type TimeseriesRowMsg,
} from '../../../../lib/tablestore/protocol/proto/timeseries';
import { MAX_ROWS_PER_WRITE, RESERVED_FIELD_NAMES } from '../../../../lib/tablestore/timeseries/rows';
import type { KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import type { ApiHandler, ApiHandlers } from '../context';
import { KeyWriter } from './keys';
import { decodeMeta, encodeMeta, type MetaRecord } from './meta-record';
import { encodeFields, type StoredField } from './point-codec';
import { failed, nowMicros, seriesKeyOf, tableSeriesIdentity, type SeriesIdentity } from './series';
import { dataSpace, metaSpace, requireTimeseriesTable, type TimeseriesTable } from './table';
import { MAX_ATTR_VALUE_BYTES } from '../wide/table';

/** A series' meta update time is refreshed by writes at most this often. */
export const META_REFRESH_MICROS = 3600n * 1_000_000n;
const MAX_FIELDS_PER_ROW = 1024;

function pkValueMatches(type: number, v: TimeseriesFieldValue): boolean {
  return type === 1 ? typeof v === 'bigint' : type === 2 ? typeof v === 'string' : v instanceof Uint8Array;
}

interface PreparedRow {
  readonly id: SeriesIdentity;
  readonly seriesKey: Uint8Array;
  readonly pointKey: Uint8Array;
  readonly value: Uint8Array;
  readonly metaCacheUpdateTime: number;
}

/** Field names are 1–128 bytes; STRING and BINARY values at most 2 MB, as wide-table cells (docs/protocol.md §9.7). */
const MAX_FIELD_NAME_BYTES = 128;

function prepareRow(table: TimeseriesTable, row: FlatBufferRow): PreparedRow | string {
  const id = tableSeriesIdentity(table.definition, row.measurement, row.dataSource, row.tagList, row.tags);
  if (typeof id === 'string') return id;
  if (row.time < 0n) return `time must not be negative, got ${row.time}.`;
  const names = Object.keys(row.fields);
  if (names.length === 0) return 'a row needs at least one field.';
  if (names.length > MAX_FIELDS_PER_ROW) return `a row may hold at most ${MAX_FIELDS_PER_ROW} fields.`;
  for (const n of names) {
    if (!n) return 'field names must not be empty.';
    if (RESERVED_FIELD_NAMES.has(n)) return `field name '${n}' is reserved.`;
    if (Buffer.byteLength(n) > MAX_FIELD_NAME_BYTES)
      return `field name '${n.slice(0, 32)}…' exceeds ${MAX_FIELD_NAME_BYTES} bytes.`;
    const v = row.fields[n];
    const size = typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : 0;
    if (size > MAX_ATTR_VALUE_BYTES)
      return `The value of field ${n} exceeds the limit of ${MAX_ATTR_VALUE_BYTES} bytes.`;
  }
  const sKey = seriesKeyOf(id);
  const w = new KeyWriter(sKey.length + 16).raw(sKey).int64(row.time);
  const pkNames = new Set<string>();
  // A row without every field primary key fails the whole request on the service, not just itself
  // (docs/protocol.md §9.2).
  const missing = table.definition.fieldPrimaryKeySchema
    .filter((pk) => !Object.prototype.hasOwnProperty.call(row.fields, pk.name))
    .map((pk) => pk.name);
  if (missing.length > 0) throw errors.parameterInvalid(`A row is missing primary key fields: ${missing.join(', ')}.`);
  for (const pk of table.definition.fieldPrimaryKeySchema) {
    const v = row.fields[pk.name];
    if (!pkValueMatches(pk.type, v)) return `field primary key column '${pk.name}' has the wrong type.`;
    if (typeof v === 'bigint') w.int64(v);
    else if (typeof v === 'string') w.string(v);
    else w.bytes(v as Uint8Array);
    pkNames.add(pk.name);
  }
  const stored: StoredField[] = names
    .filter((n) => !pkNames.has(n))
    .sort(compareUtf8)
    .map((n) => [n, row.fields[n]] as const);
  return {
    id,
    seriesKey: sKey,
    pointKey: w.finish(),
    value: encodeFields(stored),
    metaCacheUpdateTime: row.metaCacheUpdateTime,
  };
}

/**
 * A protobuf row (`RST_PROTO_BUFFER`) in the shape of a decoded FlatBuffer row, or the problem that fails it:
 * each field carries exactly one value_* member (docs/protocol.md §9.5).
 */
function rowFromProto(row: TimeseriesRowMsg): FlatBufferRow | string {
  const key = row.timeseries_key ?? {};
  if (row.time === undefined) return 'a row needs its time.';
  const fields: Record<string, TimeseriesFieldValue> = {};
  for (const f of row.fields ?? []) {
    const name = f.field_name ?? '';
    const present = [f.value_int, f.value_string, f.value_bool, f.value_double, f.value_binary].filter(
      (v) => v !== undefined,
    );
    if (present.length !== 1) return `field '${name}' must carry exactly one value.`;
    if (Object.prototype.hasOwnProperty.call(fields, name)) return `field '${name}' appears more than once.`;
    fields[name] = present[0];
  }
  return {
    measurement: key.measurement ?? '',
    dataSource: key.source ?? '',
    tags: key.tags,
    tagList: (key.tag_list ?? []).map((t) => ({ name: t.name, value: t.value })),
    time: BigInt(row.time),
    fields,
    metaCacheUpdateTime: row.meta_cache_update_time ?? 0,
  };
}

const putTimeseriesData: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('PutTimeseriesDataRequest', body);
  ctx.authorize('ots:PutTimeseriesData', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  const rowsMsg = req.rows_data;
  if (rowsMsg.type !== RowsSerializeType.FLAT_BUFFER && rowsMsg.type !== RowsSerializeType.PROTO_BUFFER) {
    throw errors.parameterInvalid(
      `Unsupported rows serialize type ${rowsMsg.type}; use RST_FLAT_BUFFER or RST_PROTO_BUFFER.`,
    );
  }
  // The checksum covers rows_data whatever its form (the Go SDK fills it for protobuf rows too; docs/protocol.md §9.5).
  if (rowsMsg.flatbuffer_crc32c !== undefined) {
    const actual = crc32c(rowsMsg.rows_data) | 0;
    if (actual !== rowsMsg.flatbuffer_crc32c) {
      throw errors.parameterInvalid(
        `flatbuffer_crc32c mismatch: rows_data has CRC-32C ${actual}, request says ${rowsMsg.flatbuffer_crc32c}.`,
      );
    }
  }
  const rows: (FlatBufferRow | string)[] =
    rowsMsg.type === RowsSerializeType.FLAT_BUFFER
      ? decodeFlatBufferRows(rowsMsg.rows_data)
      : (decodeTimeseriesMessage('TimeseriesPBRows', rowsMsg.rows_data).rows ?? []).map(rowFromProto);
  if (rows.length === 0) throw errors.parameterInvalid('rows_data holds no rows.');
  if (rows.length > MAX_ROWS_PER_WRITE)
    throw errors.parameterInvalid(`Rows count exceeds the upper limit: ${rows.length} > ${MAX_ROWS_PER_WRITE}.`);

  const now = nowMicros(ctx);
  const updateMeta = (req.meta_update_mode ?? MetaUpdateMode.NORMAL) === MetaUpdateMode.NORMAL;
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  const dSpace = dataSpace(table.name);
  const mSpace = metaSpace(table.name);
  const touched = new Map<string, MetaRecord>();
  const statusIds: number[] = [];
  const statusTimes: number[] = [];

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const p = typeof row === 'string' ? row : prepareRow(table, row);
    if (typeof p === 'string') {
      failures.push(failed(i, p));
      continue;
    }
    writes.push({ space: dSpace, key: p.pointKey, value: p.value });
    if (!updateMeta) continue;
    const mapKey = Buffer.from(p.seriesKey).toString('latin1');
    let meta = touched.get(mapKey);
    if (!meta) {
      const stored = ctx.store.get(mSpace, p.seriesKey);
      const existing = stored ? decodeMeta(stored) : undefined;
      if (!existing || now - existing.updateTime >= META_REFRESH_MICROS) {
        meta = {
          measurement: p.id.measurement,
          dataSource: p.id.dataSource,
          tags: p.id.tags,
          attributes: existing?.attributes ?? '[]',
          updateTime: now,
        };
        writes.push({ space: mSpace, key: p.seriesKey, value: encodeMeta(meta) });
      } else {
        meta = existing;
      }
      touched.set(mapKey, meta);
    }
    const metaSeconds = Number(meta.updateTime / 1_000_000n);
    // Tell the writer when its cached meta time is stale so it can refresh its cache.
    if (p.metaCacheUpdateTime !== metaSeconds) {
      statusIds.push(i);
      statusTimes.push(metaSeconds);
    }
  }
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('PutTimeseriesDataResponse', {
    failed_rows: failures,
    meta_update_status: statusIds.length ? { row_ids: statusIds, meta_update_times: statusTimes } : undefined,
  });
};

export const writeHandlers: ApiHandlers = { PutTimeseriesData: putTimeseriesData };
