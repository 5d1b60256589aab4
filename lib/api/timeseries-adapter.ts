import {
  and,
  measurement,
  source,
  tag,
  updateTime,
  type MetaCondition,
  type TimeseriesClient,
} from '../tablestore/timeseries/index';
import type { TimeseriesCallOptions } from '../tablestore/timeseries/client';
import type { TimeseriesReader, TimeseriesTableInfo } from './ports';

type TableMeta = Awaited<ReturnType<TimeseriesClient['describeTimeseriesTable']>>;

function info(meta: TableMeta): TimeseriesTableInfo {
  return {
    name: meta.tableName,
    timeToLive: meta.timeToLive,
    metaTimeToLive: meta.metaOptions.metaTimeToLive,
    allowUpdateAttributes: meta.metaOptions.allowUpdateAttributes,
    timeseriesKeys: [...meta.timeseriesKeySchema],
    fieldPrimaryKeys: meta.fieldPrimaryKeySchema.map((f) => `${f.name}:${f.type}`),
    ...(meta.status === undefined ? {} : { status: meta.status }),
  };
}

/**
 * The routes' time series port over the shared TimeseriesClient. `options` gives each call its options (the
 * invocation's abort signal and the time left before the function deadline), read when the call starts.
 */
export function timeseriesReader(
  client: TimeseriesClient,
  options: TimeseriesCallOptions | (() => TimeseriesCallOptions) = {},
): TimeseriesReader {
  const next = typeof options === 'function' ? options : () => options;
  return {
    async listTables() {
      return (await client.listTimeseriesTables(next())).map(info);
    },
    async describeTable(table) {
      return info(await client.describeTimeseriesTable(table, next()));
    },
    async queryMeta(q) {
      const parts: MetaCondition[] = [];
      if (q.measurement !== undefined) parts.push(measurement('=', q.measurement));
      if (q.source !== undefined) parts.push(source('=', q.source));
      for (const [name, value] of Object.entries(q.tags ?? {})) parts.push(tag(name, '=', value));
      if (q.updatedAfter !== undefined) parts.push(updateTime('>', BigInt(q.updatedAfter)));
      if (q.updatedBefore !== undefined) parts.push(updateTime('<', BigInt(q.updatedBefore)));
      const condition = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : and(...parts);
      const page = await client.queryTimeseriesMeta(
        {
          tableName: q.table,
          limit: q.limit,
          ...(condition ? { condition } : {}),
          ...(q.token ? { nextToken: q.token } : {}),
        },
        next(),
      );
      return {
        series: page.metas.map((m) => ({
          key: { measurement: m.key.measurement, source: m.key.dataSource, tags: { ...m.key.tags } },
          attributes: { ...m.attributes },
          ...(m.updateTime > 0n ? { updateTime: Number(m.updateTime) } : {}),
        })),
        ...(page.nextToken ? { next: page.nextToken } : {}),
      };
    },
    async getData(q) {
      const page = await client.getTimeseriesData(
        {
          tableName: q.table,
          key: { measurement: q.key.measurement, dataSource: q.key.source, tags: q.key.tags },
          beginTime: BigInt(q.begin),
          ...(q.end === undefined ? {} : { endTime: BigInt(q.end) }),
          limit: q.limit,
          backward: q.backward,
          ...(q.token ? { nextToken: q.token } : {}),
        },
        next(),
      );
      return {
        points: page.rows.map((r) => ({ time: Number(r.time), fields: r.fields })),
        ...(page.nextToken ? { next: page.nextToken } : {}),
      };
    },
  };
}
