/** GetTimeseriesData: the points of one series in a time range, forward or backward, paged by token. */
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import { decodeTimeseriesMessage, encodeTimeseriesMessage } from '../../../../lib/tablestore/protocol/proto/timeseries';
import { encodePointRows, type PointRowInput } from '../../../../lib/tablestore/timeseries/rows';
import { errors } from '../../errors';
import type { ApiHandler, ApiHandlers } from '../context';
import { concat, KeyWriter, keySuccessor } from './keys';
import { makeToken, readToken, TOKEN_DATA } from './page-token';
import { FieldNameCache } from './point-codec';
import { fieldsWanted, INT64_MAX, MAX_POINTS_PER_READ, MAX_READ_BYTES, pointOf, seriesColumns } from './points';
import { identityFromKeyMsg, nowMicros, seriesKeyOf } from './series';
import { dataSpace, requireTimeseriesTable } from './table';

const getTimeseriesData: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('GetTimeseriesDataRequest', body);
  ctx.authorize('ots:GetTimeseriesData', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  const id = identityFromKeyMsg(table.definition, req.time_series_key);
  if (typeof id === 'string') throw errors.parameterInvalid(`Invalid time_series_key: ${id}`);

  let begin = req.begin_time !== undefined ? BigInt(req.begin_time) : 0n;
  let end = req.end_time !== undefined ? BigInt(req.end_time) : INT64_MAX;
  if (req.specific_time !== undefined && BigInt(req.specific_time) > 0n) {
    begin = BigInt(req.specific_time);
    end = begin + 1n;
  }
  if (begin < 0n) throw errors.parameterInvalid('begin_time must not be negative.');
  if (begin >= end) throw errors.parameterInvalid('begin_time must be less than end_time.');
  if (req.limit !== undefined && req.limit <= 0) throw errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? MAX_POINTS_PER_READ, MAX_POINTS_PER_READ);
  const backward = req.backward ?? false;

  const want = fieldsWanted(req.fields_to_get);

  const def = table.definition;
  if (def.timeToLive !== -1) {
    const oldest = nowMicros(ctx) - BigInt(def.timeToLive) * 1_000_000n;
    if (oldest > begin) begin = oldest;
  }
  const sKey = seriesKeyOf(id);
  const seriesCheck = crc32c(sKey);
  let gte = new KeyWriter(sKey.length + 8).raw(sKey).int64(begin).finish();
  let lt = new KeyWriter(sKey.length + 8).raw(sKey).int64(end).finish();
  if (req.token && req.token.length) {
    const resume = readToken(req.token, TOKEN_DATA, seriesCheck, backward ? 1 : 0);
    const at = concat(sKey, resume);
    if (backward) {
      const after = keySuccessor(at);
      if (Buffer.compare(after, lt) < 0) lt = after;
    } else if (Buffer.compare(at, gte) > 0) {
      gte = at;
    }
  }

  const points: PointRowInput[] = [];
  let nextToken: Uint8Array | undefined;
  if (begin < end && Buffer.compare(gte, lt) < 0) {
    const series = seriesColumns(def, sKey, id);
    const names = new FieldNameCache();
    let bytes = 0;
    for (const rec of ctx.store.scan(dataSpace(table.name), { gte, lt, reverse: backward })) {
      if (points.length >= limit || bytes >= MAX_READ_BYTES) {
        nextToken = makeToken(TOKEN_DATA, seriesCheck, backward ? 1 : 0, rec.key.subarray(sKey.length));
        break;
      }
      const point = pointOf(def, series, rec.key, sKey.length, rec.value, want, names);
      if (!point) continue;
      bytes += rec.value.length + rec.key.length;
      points.push(point);
    }
  }
  return encodeTimeseriesMessage('GetTimeseriesDataResponse', {
    rows_data: encodePointRows(points),
    next_token: nextToken,
  });
};

export const readHandlers: ApiHandlers = { GetTimeseriesData: getTimeseriesData };
