/**
 * GetTimeseriesData rows: one PlainBuffer row per point (protocol reference §7.7).
 *   PK:         _#h (hidden hash, STRING), _m_name, _data_source, _tags (string form),
 *               [custom timeseries_key_schema columns], _time (INTEGER µs), [field_primary_key_schema columns]
 *   attributes: `<field>:<typecode>` with a typed value.
 * The decoder looks columns up by name (so `_#h` may be present or not) and strips the type suffix after the
 * last ':'; the value's own PlainBuffer type gives the field type. Extra PK columns after `_time` are
 * returned as fields, as the SDKs do.
 */
import { encodeRows, type AttributeCell, type PlainBufferRow, type PrimaryKeyCell } from '../protocol/plainbuffer';
import { decodeRowsFast } from './plainbuffer-reader';
import type { TimeseriesFieldValue } from '../protocol/flatbuffer-rows';
import { parseTags } from './tags';
import type { TimeseriesKey, TimeseriesRow } from './types';

export const HASH_COLUMN = '_#h';
export const MEASUREMENT_COLUMN = '_m_name';
export const DATA_SOURCE_COLUMN = '_data_source';
export const TAGS_COLUMN = '_tags';
export const TIME_COLUMN = '_time';

/** Field names the service reserves. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  '_m_name',
  '_data_source',
  '_tags',
  '_time',
  '_meta_update_time',
  '_attributes',
]);

/**
 * Column-name suffixes per field type. `i`, `d`, `s` are confirmed against the real service; `b` (boolean)
 * and `x` (binary) are our choice — no SDK reads the suffix, only the part before it.
 */
export function fieldTypeCode(value: TimeseriesFieldValue): string {
  switch (typeof value) {
    case 'bigint':
      return 'i';
    case 'number':
      return 'd';
    case 'boolean':
      return 'b';
    case 'string':
      return 's';
    default:
      return 'x';
  }
}

export class TimeseriesRowFormatError extends Error {
  override readonly name = 'TimeseriesRowFormatError';
}

/** What the server needs to lay out one point. */
export interface PointRowInput {
  readonly hash: string;
  readonly measurement: string;
  readonly dataSource: string;
  readonly tags: string;
  /** Values of custom timeseries_key_schema columns, in schema order. */
  readonly extraKey?: readonly PrimaryKeyCell[];
  readonly time: bigint;
  /** Field-primary-key columns that follow `_time`. */
  readonly fieldKey?: readonly PrimaryKeyCell[];
  /** Fields in output order. */
  readonly fields: readonly (readonly [string, TimeseriesFieldValue])[];
}

export function pointToPlainBufferRow(p: PointRowInput): PlainBufferRow {
  const primaryKey: PrimaryKeyCell[] = [
    { name: HASH_COLUMN, value: p.hash },
    { name: MEASUREMENT_COLUMN, value: p.measurement },
    { name: DATA_SOURCE_COLUMN, value: p.dataSource },
    { name: TAGS_COLUMN, value: p.tags },
  ];
  if (p.extraKey) primaryKey.push(...p.extraKey);
  primaryKey.push({ name: TIME_COLUMN, value: p.time });
  if (p.fieldKey) primaryKey.push(...p.fieldKey);
  const attributes: AttributeCell[] = p.fields.map(([name, value]) => ({ name: `${name}:${fieldTypeCode(value)}`, value }));
  return { primaryKey, attributes };
}

export function encodePointRows(points: readonly PointRowInput[]): Uint8Array {
  if (points.length === 0) return new Uint8Array(0);
  return encodeRows(points.map(pointToPlainBufferRow));
}

function setField(target: Record<string, TimeseriesFieldValue>, name: string, value: TimeseriesFieldValue): void {
  // defineProperty keeps a field literally named "__proto__" an ordinary own property.
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** Turns decoded PlainBuffer rows into points. Throws TimeseriesRowFormatError when a row lacks its key. */
export function plainBufferRowsToPoints(rows: readonly PlainBufferRow[]): TimeseriesRow[] {
  const out: TimeseriesRow[] = [];
  let lastTagsText: string | undefined;
  let lastTags: Record<string, string> = {};
  let lastKey: TimeseriesKey | undefined;
  for (const row of rows) {
    let measurement: string | undefined;
    let dataSource: string | undefined;
    let tagsText: string | undefined;
    let time: bigint | undefined;
    const fields: Record<string, TimeseriesFieldValue> = {};
    for (const cell of row.primaryKey) {
      const v = cell.value;
      switch (cell.name) {
        case HASH_COLUMN:
          break;
        case MEASUREMENT_COLUMN:
          if (typeof v === 'string') measurement = v;
          break;
        case DATA_SOURCE_COLUMN:
          if (typeof v === 'string') dataSource = v;
          break;
        case TAGS_COLUMN:
          if (typeof v === 'string') tagsText = v;
          break;
        case TIME_COLUMN:
          if (typeof v === 'bigint') time = v;
          break;
        default:
          // Custom key columns come before _time and repeat a tag; field-PK columns come after it.
          if (time !== undefined && (typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array)) {
            setField(fields, cell.name, v);
          }
      }
    }
    if (measurement === undefined || dataSource === undefined || tagsText === undefined || time === undefined) {
      throw new TimeseriesRowFormatError('time series row lacks _m_name, _data_source, _tags or _time');
    }
    if (tagsText !== lastTagsText) {
      lastTags = parseTags(tagsText);
      lastTagsText = tagsText;
    }
    for (const cell of row.attributes) {
      if (cell.value === undefined) continue;
      const colon = cell.name.lastIndexOf(':');
      setField(fields, colon >= 0 ? cell.name.slice(0, colon) : cell.name, cell.value);
    }
    // Rows of one response normally share one series: share its key object too.
    if (!lastKey || lastKey.measurement !== measurement || lastKey.dataSource !== dataSource || lastKey.tags !== lastTags) {
      lastKey = { measurement, dataSource, tags: lastTags };
    }
    out.push({ key: lastKey, time, fields });
  }
  return out;
}

export function decodePointRows(bytes: Uint8Array): TimeseriesRow[] {
  return plainBufferRowsToPoints(decodeRowsFast(bytes));
}
