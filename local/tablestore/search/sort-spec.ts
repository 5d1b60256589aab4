/**
 * Sort specifications (query sort, index sort, top_rows sort) in a JSON-serializable form, so a next_token
 * can carry the sort it was made with (docs/protocol-search.md §5).
 */
import { decodeColumnValue } from '../../../lib/tablestore/protocol/plainbuffer';
import { errors } from '../errors';
import { parseDate } from './dates';
import { parseGeoPoint, type GeoPoint } from './geo';
import { FieldType, type SortMsg } from './proto';
import type { IndexField } from './field';

export type SortMode = 'min' | 'max' | 'avg';
export type Sorter =
  | {
      readonly kind: 'field';
      readonly field: string;
      readonly order: 1 | -1;
      readonly mode?: SortMode;
      readonly missing?: number | string | boolean;
    }
  | { readonly kind: 'pk'; readonly order: 1 | -1 }
  | { readonly kind: 'score'; readonly order: 1 | -1 }
  | {
      readonly kind: 'geo';
      readonly field: string;
      readonly points: readonly GeoPoint[];
      readonly order: 1 | -1;
      readonly mode?: SortMode;
    };
export type SortSpec = readonly Sorter[];

const invalid = (m: string) => errors.parameterInvalid(m);

/** Finds a field by name; `path.sub` names a sub-field of a NESTED field. */
export function findField(
  fields: readonly IndexField[],
  name: string,
): { field: IndexField; nestedPath?: string } | undefined {
  const direct = fields.find((f) => f.name === name);
  if (direct) return { field: direct };
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const parent = fields.find((f) => f.name === name.slice(0, dot) && f.type === FieldType.NESTED);
  const sub = parent?.fields?.find((f) => f.name === name.slice(dot + 1));
  return sub ? { field: sub, nestedPath: parent!.name } : undefined;
}

const order = (o: number | undefined): 1 | -1 => (o === 1 ? -1 : 1);
const MODES: Record<number, SortMode> = { 0: 'min', 1: 'max', 2: 'avg' };

/** Comparable form of a variant for a field (numbers for LONG/DOUBLE/DATE). */
export function variantFor(field: IndexField, bytes: Uint8Array, what: string): number | string | boolean {
  const v = decodeColumnValue(bytes);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) throw invalid(`${what}: BINARY values are not supported.`);
  if (field.type === FieldType.KEYWORD && typeof v !== 'string')
    throw invalid(`${what}: field ${field.name} is KEYWORD and needs a STRING value.`);
  if (
    (field.type === FieldType.LONG || field.type === FieldType.DOUBLE || field.type === FieldType.DATE) &&
    typeof v !== 'number'
  ) {
    const t = field.type === FieldType.DATE ? parseDate(v, field.dateFormats ?? []) : undefined;
    if (t !== undefined) return t;
    throw invalid(`${what}: field ${field.name} needs a numeric value.`);
  }
  return v;
}

export function parseSort(msg: SortMsg, fields: readonly IndexField[], where: 'query' | 'index'): SortSpec {
  return msg.sorter.map((s): Sorter => {
    if (s.field_sort) {
      const fs = s.field_sort;
      const name = fs.field_name ?? '';
      const found = findField(fields, name);
      if (!found) throw invalid(`Sort field ${name} is not a field of the index.`);
      if (!found.field.docValues)
        throw invalid(`Field ${name} does not enable sort and aggregation, so it cannot be sorted on.`);
      if (found.field.type === FieldType.GEO_POINT)
        throw invalid(`Field ${name} is GEO_POINT: sort it with a geo distance sort.`);
      if (fs.nested_filter)
        throw errors.parameterInvalid('FieldSort nested_filter is not supported by Tablestore Local.');
      if (fs.missing_field)
        throw errors.parameterInvalid('FieldSort missing_field is not supported by Tablestore Local.');
      if (where === 'index' && (found.field.isArray || found.nestedPath))
        throw invalid(`Index sort field ${name} must not be an array or nested field.`);
      const missing =
        fs.missing_value && fs.missing_value.length > 0
          ? variantFor(found.field, fs.missing_value, 'missing_value')
          : undefined;
      return {
        kind: 'field',
        field: name,
        order: order(fs.order),
        ...(fs.mode !== undefined ? { mode: MODES[fs.mode] } : {}),
        ...(missing !== undefined ? { missing } : {}),
      };
    }
    if (s.pk_sort || s.doc_sort) return { kind: 'pk', order: order((s.pk_sort ?? s.doc_sort)!.order) };
    if (s.score_sort) {
      if (where === 'index') throw invalid('An index sort cannot sort by score.');
      return { kind: 'score', order: order(s.score_sort.order ?? 1) };
    }
    if (s.geo_distance_sort) {
      const g = s.geo_distance_sort;
      const name = g.field_name ?? '';
      const found = findField(fields, name);
      if (!found || found.field.type !== FieldType.GEO_POINT)
        throw invalid(`Geo distance sort field ${name} is not a GEO_POINT field of the index.`);
      if (g.nested_filter)
        throw errors.parameterInvalid('GeoDistanceSort nested_filter is not supported by Tablestore Local.');
      const points = g.points.map((p) => {
        const point = parseGeoPoint(p);
        if (!point) throw invalid(`Invalid geo point: '${p}'.`);
        return point;
      });
      if (points.length === 0) throw invalid('A geo distance sort needs at least one point.');
      return {
        kind: 'geo',
        field: name,
        points,
        order: order(g.order),
        ...(g.mode !== undefined ? { mode: MODES[g.mode] } : {}),
      };
    }
    throw invalid('Empty sorter.');
  });
}

export function sortToMsg(spec: SortSpec): SortMsg {
  return {
    sorter: spec.map((s) => {
      const o = s.order === 1 ? 0 : 1;
      if (s.kind === 'pk') return { pk_sort: { order: o } };
      if (s.kind === 'score') return { score_sort: { order: o } };
      if (s.kind === 'geo')
        return {
          geo_distance_sort: { field_name: s.field, points: s.points.map((p) => `${p.lat},${p.lon}`), order: o },
        };
      const mode = s.mode === undefined ? undefined : s.mode === 'min' ? 0 : s.mode === 'max' ? 1 : 2;
      return { field_sort: { field_name: s.field, order: o, ...(mode !== undefined ? { mode } : {}) } };
    }),
  };
}
