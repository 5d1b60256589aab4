/** Stored points as response rows (GetTimeseriesData, ScanTimeseriesData): key columns, fields, fields_to_get. */
import { crc32c } from '../../../../lib/tablestore/protocol/crc32c';
import type { PrimaryKeyCell } from '../../../../lib/tablestore/protocol/plainbuffer';
import type { TimeseriesFieldsToGetMsg } from '../../../../lib/tablestore/protocol/proto/timeseries';
import type { PointRowInput } from '../../../../lib/tablestore/timeseries/rows';
import { errors } from '../../errors';
import { KeyReader } from './keys';
import { decodeFields, type FieldNameCache } from './point-codec';
import type { SeriesIdentity } from './series';
import { RESERVED_KEY_COLUMNS, type TimeseriesTable } from './table';

/** The tag keys of a custom `timeseries_key_schema` (the reserved columns are always emitted anyway). */
function customKeys(def: TimeseriesTable['definition']): string[] {
  return def.timeseriesKeySchema.filter((k) => !RESERVED_KEY_COLUMNS.has(k));
}

/** GetTimeseriesData and ScanTimeseriesData return at most this many points per call. */
export const MAX_POINTS_PER_READ = 5000;
/** Response size after which a read stops early with a token. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;
export const INT64_MAX = (1n << 63n) - 1n;

/** The key columns every point of one series shares. */
export type SeriesColumns = Pick<PointRowInput, 'hash' | 'measurement' | 'dataSource' | 'tags' | 'extraKey'>;

export function seriesColumns(def: TimeseriesTable['definition'], sKey: Uint8Array, id: SeriesIdentity): SeriesColumns {
  return {
    hash: crc32c(sKey).toString(16).padStart(8, '0'),
    measurement: id.measurement,
    dataSource: id.dataSource,
    tags: id.tags,
    extraKey: customKeys(def).length
      ? customKeys(def).map((name) => ({ name, value: id.pairs.find((p) => p.name === name)?.value ?? '' }))
      : undefined,
  };
}

/** A stored point as a response row; undefined when `want` leaves none of its fields. */
export function pointOf(
  def: TimeseriesTable['definition'],
  series: SeriesColumns,
  key: Uint8Array,
  seriesKeyLength: number,
  value: Uint8Array,
  want: ReadonlyMap<string, number> | undefined,
  names: FieldNameCache,
): PointRowInput | undefined {
  const fields = decodeFields(value, want, names);
  const reader = new KeyReader(key, seriesKeyLength);
  const time = reader.int64();
  let fieldKey: PrimaryKeyCell[] | undefined;
  if (def.fieldPrimaryKeySchema.length) {
    fieldKey = def.fieldPrimaryKeySchema.map((pk) => ({
      name: pk.name,
      value: pk.type === 1 ? reader.int64() : pk.type === 2 ? reader.string() : reader.bytes(),
    }));
    if (want)
      fieldKey = fieldKey.filter(
        (c) => want.get(c.name) === (typeof c.value === 'bigint' ? 1 : typeof c.value === 'string' ? 4 : 5),
      );
  }
  if (want && fields.length === 0 && !fieldKey?.length) return undefined;
  return {
    hash: series.hash,
    measurement: series.measurement,
    dataSource: series.dataSource,
    tags: series.tags,
    extraKey: series.extraKey,
    time,
    fieldKey,
    fields,
  };
}

export function fieldsWanted(list: readonly TimeseriesFieldsToGetMsg[] | undefined): Map<string, number> | undefined {
  if (!list || list.length === 0) return undefined;
  const want = new Map<string, number>();
  for (const f of list) {
    if (!f.name || f.type === undefined || f.type < 1 || f.type > 5) {
      throw errors.parameterInvalid('Every fields_to_get entry needs a name and a type (1-5).');
    }
    want.set(f.name, f.type);
  }
  return want;
}
