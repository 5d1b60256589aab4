/** QueryTimeseriesMeta, UpdateTimeseriesMeta, DeleteTimeseriesMeta. */
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  type FailedRowInfoMsg,
  type TimeseriesMetaMsg,
} from '../../../../lib/tablestore/protocol/proto/timeseries';
import { decodeMetaCondition, type MetaCondition } from '../../../../lib/tablestore/timeseries/conditions';
import { formatTagPairs, parseTagPairs } from '../../../../lib/tablestore/timeseries/tags';
import type { KvWrite } from '../../persistence/store';
import { errors } from '../../errors';
import type { ApiHandler, ApiHandlers } from '../context';
import { decodeMeta, encodeMeta, matches, MetaView, type MetaRecord } from './meta-record';
import { makeToken, readToken, TOKEN_META } from './page-token';
import { failed, identityFromKeyMsg, keyMsg, measurementRange, nowMicros, seriesKeyOf } from './series';
import { metaSpace, requireTimeseriesTable, type TimeseriesTable } from './table';

export const DEFAULT_META_LIMIT = 100;
export const MAX_META_LIMIT = 1000;

function liveMeta(table: TimeseriesTable, now: bigint, m: MetaRecord): boolean {
  const ttl = table.definition.metaTimeToLive;
  return ttl === -1 || now - m.updateTime < BigInt(ttl) * 1_000_000n;
}

function metaMsg(m: MetaRecord, version: bigint | undefined): TimeseriesMetaMsg {
  return { time_series_key: keyMsg(m, version), attributes: m.attributes, update_time: m.updateTime };
}

const queryTimeseriesMeta: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('QueryTimeseriesMetaRequest', body);
  ctx.authorize('ots:QueryTimeseriesMeta', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  if (table.definition.disableTimeseriesMetaIndex) {
    throw errors.parameterInvalid(
      'QueryTimeseriesMeta is not available: the table was created with disable_timeseries_meta_index.',
    );
  }
  const condition: MetaCondition | undefined = req.condition ? decodeMetaCondition(req.condition) : undefined;
  if (req.limit !== undefined && req.limit <= 0) throw errors.parameterInvalid('limit must be positive.');
  const limit = Math.min(req.limit ?? DEFAULT_META_LIMIT, MAX_META_LIMIT);
  const check = req.condition ? crc32c(encodeTimeseriesMessage('MetaQueryCondition', req.condition)) : 0;
  const now = nowMicros(ctx);
  const space = metaSpace(table.name);
  const isMatch = (m: MetaRecord) => liveMeta(table, now, m) && (!condition || matches(condition, new MetaView(m)));

  // Series keys start with the measurement, so a measurement condition that every match must satisfy
  // narrows the scan to a key range.
  const range = condition ? measurementRange(condition) : {};
  let gte = range.gte;
  if (req.token && req.token.length) {
    const resume = Uint8Array.from(readToken(req.token, TOKEN_META, check, 0));
    if (!gte || Buffer.compare(resume, gte) > 0) gte = resume;
  }
  const metas: TimeseriesMetaMsg[] = [];
  let nextToken: Uint8Array | undefined;
  for (const rec of ctx.store.scan(space, { gte, lt: range.lt })) {
    const m = decodeMeta(rec.value);
    if (!isMatch(m)) continue;
    if (metas.length >= limit) {
      nextToken = makeToken(TOKEN_META, check, 0, rec.key);
      break;
    }
    metas.push(metaMsg(m, req.supported_table_version));
  }
  let totalHit: bigint | undefined;
  if (req.get_total_hit) {
    let n = 0n;
    for (const rec of ctx.store.scan(space, { gte: range.gte, lt: range.lt })) if (isMatch(decodeMeta(rec.value))) n++;
    totalHit = n;
  }
  return encodeTimeseriesMessage('QueryTimeseriesMetaResponse', {
    timeseries_metas: metas,
    total_hit: totalHit,
    next_token: nextToken,
  });
};

const updateTimeseriesMeta: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('UpdateTimeseriesMetaRequest', body);
  ctx.authorize('ots:UpdateTimeseriesMeta', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  if (!table.definition.allowUpdateAttributes) {
    throw errors.parameterInvalid('This table does not allow updating attributes (allow_update_attributes is false).');
  }
  const items = req.timeseries_meta ?? [];
  if (items.length === 0) throw errors.parameterInvalid('timeseries_meta must not be empty.');
  const now = nowMicros(ctx);
  const space = metaSpace(table.name);
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  items.forEach((item, i) => {
    const id = identityFromKeyMsg(table.definition, item.time_series_key);
    if (typeof id === 'string') return void failures.push(failed(i, id));
    const key = seriesKeyOf(id);
    let attributes: string;
    if (item.attributes !== undefined) {
      try {
        attributes = formatTagPairs(parseTagPairs(item.attributes));
      } catch (err) {
        return void failures.push(failed(i, `Invalid attributes: ${(err as Error).message}`));
      }
    } else {
      const stored = ctx.store.get(space, key);
      attributes = stored ? decodeMeta(stored).attributes : '[]';
    }
    writes.push({
      space,
      key,
      value: encodeMeta({
        measurement: id.measurement,
        dataSource: id.dataSource,
        tags: id.tags,
        attributes,
        updateTime: now,
      }),
    });
  });
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('UpdateTimeseriesMetaResponse', { failed_rows: failures });
};

const deleteTimeseriesMeta: ApiHandler = async (ctx, body) => {
  const req = decodeTimeseriesMessage('DeleteTimeseriesMetaRequest', body);
  ctx.authorize('ots:DeleteTimeseriesMeta', [req.table_name]);
  const table = requireTimeseriesTable(ctx.catalog, req.table_name);
  const keys = req.timeseries_key ?? [];
  if (keys.length === 0) throw errors.parameterInvalid('timeseries_key must not be empty.');
  const space = metaSpace(table.name);
  const failures: FailedRowInfoMsg[] = [];
  const writes: KvWrite[] = [];
  keys.forEach((k, i) => {
    const id = identityFromKeyMsg(table.definition, k);
    if (typeof id === 'string') return void failures.push(failed(i, id));
    writes.push({ space, key: seriesKeyOf(id) });
  });
  if (writes.length) await ctx.store.write(writes);
  return encodeTimeseriesMessage('DeleteTimeseriesMetaResponse', { failed_rows: failures });
};

export const metaHandlers: ApiHandlers = {
  QueryTimeseriesMeta: queryTimeseriesMeta,
  UpdateTimeseriesMeta: updateTimeseriesMeta,
  DeleteTimeseriesMeta: deleteTimeseriesMeta,
};
