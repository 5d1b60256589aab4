/**
 * Series identity shared by the time series handlers: validating a series key (measurement, data source,
 * tags) from a request, its storage key and key ranges, and the TimeseriesKey message in the caller's tag form.
 */
import { compareUtf8, type TimeseriesTagPair } from '../../../../lib/tablestore/protocol/flatbuffer-rows';
import type { FailedRowInfoMsg, TimeseriesKeyMsg } from '../../../../lib/tablestore/protocol/proto/timeseries';
import type { MetaCondition } from '../../../../lib/tablestore/timeseries/conditions';
import {
  formatTagPairs,
  parseTagPairs,
  tagKeyProblem,
  tagValueProblem,
} from '../../../../lib/tablestore/timeseries/tags';
import type { HandlerContext } from '../context';
import { KeyReader, KeyWriter, prefixEnd, seriesKey } from './keys';

export const nowMicros = (ctx: HandlerContext): bigint => BigInt(ctx.now().getTime()) * 1000n;

export interface SeriesIdentity {
  readonly measurement: string;
  readonly dataSource: string;
  readonly pairs: readonly TimeseriesTagPair[];
  readonly tags: string;
}

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Validates a series key; returns the problem as text (request- or row-level, the caller decides).
 * `measurementRequired` is false for tables whose key schema leaves the measurement out.
 */
export function seriesIdentity(
  measurement: string,
  dataSource: string,
  pairsIn: readonly TimeseriesTagPair[] | undefined,
  tagsText: string | undefined,
  measurementRequired = true,
): SeriesIdentity | string {
  if (!measurement && measurementRequired) return 'measurement must not be empty.';
  if (byteLength(measurement) > 128) return 'measurement must be at most 128 bytes.';
  if (measurement.includes('#')) return "measurement must not contain '#'.";
  if (byteLength(dataSource) > 256) return 'data source must be at most 256 bytes.';
  let pairs: TimeseriesTagPair[];
  if (pairsIn && pairsIn.length) {
    pairs = [...pairsIn].sort((a, b) => compareUtf8(a.name, b.name));
    for (let i = 0; i < pairs.length; i++) {
      const problem = tagKeyProblem(pairs[i].name) ?? tagValueProblem(pairs[i].value);
      if (problem) return problem;
      if (i && pairs[i].name === pairs[i - 1].name) return `duplicate tag name '${pairs[i].name}'.`;
    }
  } else {
    try {
      pairs = parseTagPairs(tagsText ?? '');
    } catch (err) {
      return (err as Error).message;
    }
  }
  const tags = formatTagPairs(pairs);
  if (byteLength(tags) > 512) return 'tags must be at most 512 bytes in string form.';
  return { measurement, dataSource, pairs, tags };
}

/** The part of a table definition that decides what identifies a series. */
export interface KeySchema {
  readonly timeseriesKeySchema: readonly string[];
}

/**
 * A series key as the table's key schema sees it (docs/protocol.md §9.2): with a custom
 * `timeseries_key_schema`, the measurement and the data source belong to a series only when the schema names
 * `_m_name` / `_data_source` (otherwise they are dropped, and the measurement may be empty), and without
 * `_tags` every tag must be one of the schema's tag keys. The default schema keys by all three.
 */
export function tableSeriesIdentity(
  schema: KeySchema,
  measurement: string,
  dataSource: string,
  pairs: readonly TimeseriesTagPair[] | undefined,
  tagsText: string | undefined,
): SeriesIdentity | string {
  const keys = schema.timeseriesKeySchema;
  const custom = keys.length > 0;
  const byMeasurement = !custom || keys.includes('_m_name');
  const bySource = !custom || keys.includes('_data_source');
  const id = seriesIdentity(
    byMeasurement ? measurement : '',
    bySource ? dataSource : '',
    pairs,
    tagsText,
    byMeasurement,
  );
  if (typeof id === 'string' || !custom || keys.includes('_tags')) return id;
  const stray = id.pairs.find((p) => !keys.includes(p.name));
  return stray ? `tag '${stray.name}' is not a key of this table.` : id;
}

export function identityFromKeyMsg(schema: KeySchema, key: TimeseriesKeyMsg): SeriesIdentity | string {
  return tableSeriesIdentity(schema, key.measurement ?? '', key.source ?? '', key.tag_list, key.tags);
}

export function seriesKeyOf(id: SeriesIdentity): Uint8Array {
  return seriesKey(id.measurement, id.dataSource, id.tags);
}

/** TimeseriesKey in the tag form the caller speaks (tag_list from table version 1 on, else the string). */
export function keyMsg(
  m: { measurement: string; dataSource: string; tags: string },
  version: bigint | undefined,
): TimeseriesKeyMsg {
  if (version !== undefined && version >= 1n) {
    return { measurement: m.measurement, source: m.dataSource, tag_list: parseTagPairs(m.tags) };
  }
  return { measurement: m.measurement, source: m.dataSource, tags: m.tags };
}

export function failed(index: number, message: string, code = 'OTSParameterInvalid'): FailedRowInfoMsg {
  return { row_index: index, error_code: code, error_message: message };
}

/** Length of the series part of a point key (measurement, data source, tags components). */
export function seriesKeyLength(key: Uint8Array): number {
  const r = new KeyReader(key);
  r.bytes();
  r.bytes();
  r.bytes();
  return r.pos;
}

/** Key range implied by a measurement '=' or 'prefix' condition at the top level (or under a top-level AND). */
export function measurementRange(c: MetaCondition): { gte?: Uint8Array; lt?: Uint8Array } {
  const candidates = c.kind === 'and' ? c.conditions : [c];
  for (const x of candidates) {
    if (x.kind !== 'measurement') continue;
    if (x.op === '=') {
      const prefix = new KeyWriter().string(x.value).finish();
      return { gte: prefix, lt: prefixEnd(prefix) };
    }
    if (x.op === 'prefix' && x.value.length > 0) {
      // The escaped bytes of the prefix without the component terminator.
      const full = new KeyWriter().string(x.value).finish();
      const prefix = full.subarray(0, full.length - 2);
      return { gte: prefix, lt: prefixEnd(prefix) };
    }
  }
  return {};
}
