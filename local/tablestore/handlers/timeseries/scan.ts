/** SplitTimeseriesScanTask and ScanTimeseriesData: every point of a table, split into key ranges. */
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  RowsSerializeType,
} from '../../../../lib/tablestore/protocol/proto/timeseries';
import { encodePointRows, type PointRowInput } from '../../../../lib/tablestore/timeseries/rows';
import { errors } from '../../errors';
import type { ApiHandler, ApiHandlers } from '../context';
import { concat, KeyReader, KeyWriter, prefixEnd } from './keys';
import { makeToken, readToken, TOKEN_SCAN } from './page-token';
import { FieldNameCache } from './point-codec';
import {
  fieldsWanted,
  INT64_MAX,
  MAX_POINTS_PER_READ,
  MAX_READ_BYTES,
  pointOf,
  seriesColumns,
  type SeriesColumns,
} from './points';
import { measurementRange, nowMicros, seriesIdentity, seriesKeyLength } from './series';
import { dataSpace, requireTimeseriesTable } from './table';

/** Key range of one scan split: [gte, lt) over point keys, bound to its table. */
interface SplitRange {
  readonly table: string;
  readonly gte?: Uint8Array | undefined;
  readonly lt?: Uint8Array | undefined;
}

function encodeSplit(split: SplitRange): Uint8Array {
  const table = Buffer.from(split.table, 'utf8');
  const part = (b: Uint8Array | undefined) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b ? b.length : 0xffffffff);
    return b ? Buffer.concat([len, b]) : len;
  };
  const head = Buffer.from([0x53, 1, table.length & 0xff, table.length >> 8]);
  return new Uint8Array(Buffer.concat([head, table, part(split.gte), part(split.lt)]));
}

function decodeSplit(bytes: Uint8Array, tableName: string): SplitRange {
  const bad = () =>
    errors.parameterInvalid('Invalid split_info: use one returned by SplitTimeseriesScanTask for this table.');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0x53 || b[1] !== 1) throw bad();
  const tableLen = b.readUInt16LE(2);
  if (b.length < 4 + tableLen) throw bad();
  const table = b.toString('utf8', 4, 4 + tableLen);
  if (table !== tableName) throw bad();
  let p = 4 + tableLen;
  const part = (): Uint8Array | undefined => {
    if (p + 4 > b.length) throw bad();
    const len = b.readUInt32LE(p);
    p += 4;
    if (len === 0xffffffff) return undefined;
    if (p + len > b.length) throw bad();
    const out = new Uint8Array(b.subarray(p, p + len));
    p += len;
    return out;
  };
  const gte = part();
  const lt = part();
  if (p !== b.length) throw bad();
  return { table, gte, lt };
}

const splitTimeseriesScanTask: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('SplitTimeseriesScanTaskRequest', body);
  ctx.authorize('ots:SplitTimeseriesScanTask', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  if (!(req.split_count_hint >= 1)) throw errors.parameterInvalid('split_count_hint must be at least 1.');
  const range = req.measurement_name
    ? measurementRange({ kind: 'measurement', op: '=', value: req.measurement_name })
    : {};
  // Distinct series in the range, found by seeking past each one.
  const space = dataSpace(table.name);
  const starts: Uint8Array[] = [];
  let cursor = range.gte;
  for (;;) {
    const it = ctx.store.scan(space, { gte: cursor, lt: range.lt });
    const first = it.next();
    it.return?.();
    if (first.done) break;
    const prefix = first.value.key.subarray(0, seriesKeyLength(first.value.key));
    starts.push(new Uint8Array(prefix));
    cursor = prefixEnd(prefix);
  }
  const n = Math.max(1, Math.min(req.split_count_hint, starts.length));
  const splits: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const from = Math.floor((k * starts.length) / n);
    const to = Math.floor(((k + 1) * starts.length) / n);
    splits.push(
      encodeSplit({
        table: table.name,
        gte: k === 0 ? range.gte : starts[from],
        lt: k === n - 1 ? range.lt : starts[to],
      }),
    );
  }
  return encodeTimeseriesMessage('SplitTimeseriesScanTaskResponse', { split_infos: splits });
};

const scanTimeseriesData: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('ScanTimeseriesDataRequest', body);
  ctx.authorize('ots:ScanTimeseriesData', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  const def = table.definition;
  const split: SplitRange =
    req.split_info && req.split_info.length ? decodeSplit(req.split_info, table.name) : { table: table.name };
  let begin = req.start_time_us !== undefined ? BigInt(req.start_time_us) : 0n;
  const end = req.end_time_us !== undefined ? BigInt(req.end_time_us) : INT64_MAX;
  if (begin < 0n) throw errors.parameterInvalid('start_time_us must not be negative.');
  if (begin >= end) throw errors.parameterInvalid('start_time_us must be less than end_time_us.');
  if (req.limit !== undefined && req.limit <= 0) throw errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? MAX_POINTS_PER_READ, MAX_POINTS_PER_READ);
  const want = fieldsWanted(req.fields_to_get);
  if (def.timeToLive !== -1) {
    const oldest = nowMicros(ctx) - BigInt(def.timeToLive) * 1_000_000n;
    if (oldest > begin) begin = oldest;
  }
  const check = crc32c(encodeSplit(split));
  let cursor = split.gte;
  if (req.token && req.token.length) {
    const resume = new Uint8Array(readToken(req.token, TOKEN_SCAN, check, 0));
    if (!cursor || Buffer.compare(resume, cursor) > 0) cursor = resume;
  }

  const space = dataSpace(table.name);
  const points: PointRowInput[] = [];
  let nextToken: Uint8Array | undefined;
  let bytes = 0;
  let series: { prefix: Uint8Array; columns: SeriesColumns } | undefined;
  const names = new FieldNameCache();
  // Walk the split in key order, seeking past the parts of each series outside [begin, end).
  scan: while (begin < end) {
    for (const rec of ctx.store.scan(space, { gte: cursor, lt: split.lt })) {
      const prefixLen = seriesKeyLength(rec.key);
      const time = new KeyReader(rec.key, prefixLen).int64();
      const prefix = rec.key.subarray(0, prefixLen);
      if (time < begin) {
        cursor = concat(prefix, new KeyWriter(8).int64(begin).finish());
        continue scan;
      }
      if (time >= end) {
        cursor = prefixEnd(prefix);
        continue scan;
      }
      if (points.length >= limit || bytes >= MAX_READ_BYTES) {
        nextToken = makeToken(TOKEN_SCAN, check, 0, rec.key);
        break scan;
      }
      if (!series || Buffer.compare(series.prefix, prefix) !== 0) {
        const r = new KeyReader(rec.key);
        const id = seriesIdentity(r.string(), r.string(), undefined, r.string(), false);
        if (typeof id === 'string') continue; // cannot happen for keys we wrote
        series = { prefix: new Uint8Array(prefix), columns: seriesColumns(def, prefix, id) };
      }
      const point = pointOf(def, series.columns, rec.key, prefixLen, rec.value, want, names);
      if (!point) continue;
      bytes += rec.key.length + rec.value.length;
      points.push(point);
    }
    break;
  }
  return encodeTimeseriesMessage('ScanTimeseriesDataResponse', {
    data_serialize_type: RowsSerializeType.PLAIN_BUFFER,
    data: encodePointRows(points),
    next_token: nextToken,
  });
};

export const scanHandlers: ApiHandlers = {
  SplitTimeseriesScanTask: splitTimeseriesScanTask,
  ScanTimeseriesData: scanTimeseriesData,
};
