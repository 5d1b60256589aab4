/**
 * Search queries and sorts as plain data, a typed builder for them (`q`, `sort`), and their encoding into
 * the wire messages (docs/protocol-search.md §1, §4, §5). A query is a one-key object naming its kind:
 * `{ term: { field: 'status', value: 'paid' } }`, so the JSON query DSL of the HTTP API is the same shape.
 *
 * The encoders check the shape as they go and throw SearchInputError naming the bad part as a JSON pointer
 * (`/query/bool/must/0/term/value`), so untrusted input (the HTTP DSL) is validated by the same code that
 * encodes it.
 */
import { encodeColumnValue } from '../protocol/plainbuffer';
import { DoubleValue, toColumnValue } from '../values';
import { failAt as fail, SearchInputError } from './input-error';
import { encodeSearch, QueryType, type QueryMsg, type SorterMsg, type SortMsg } from './wire';

/** A value in a query, sort or aggregation: integers as INTEGER, other numbers as DOUBLE (or `double(x)`). */
export type QueryValue = string | number | bigint | boolean | DoubleValue;

export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

export type Query =
  | { readonly matchAll: Readonly<Record<string, never>> }
  | {
      readonly match: {
        readonly field: string;
        readonly text: string;
        readonly operator?: 'or' | 'and';
        readonly minimumShouldMatch?: number;
        readonly weight?: number;
      };
    }
  | { readonly matchPhrase: { readonly field: string; readonly text: string; readonly weight?: number } }
  | { readonly term: { readonly field: string; readonly value: QueryValue; readonly weight?: number } }
  | { readonly terms: { readonly field: string; readonly values: readonly QueryValue[]; readonly weight?: number } }
  | {
      readonly range: {
        readonly field: string;
        readonly gt?: QueryValue;
        readonly gte?: QueryValue;
        readonly lt?: QueryValue;
        readonly lte?: QueryValue;
      };
    }
  | { readonly prefix: { readonly field: string; readonly prefix: string; readonly weight?: number } }
  | { readonly wildcard: { readonly field: string; readonly value: string; readonly weight?: number } }
  | { readonly exists: { readonly field: string } }
  | {
      readonly bool: {
        readonly must?: readonly Query[];
        readonly mustNot?: readonly Query[];
        readonly filter?: readonly Query[];
        readonly should?: readonly Query[];
        readonly minimumShouldMatch?: number;
      };
    }
  | { readonly constScore: { readonly filter: Query } }
  | {
      readonly nested: {
        readonly path: string;
        readonly query: Query;
        readonly scoreMode?: 'none' | 'avg' | 'max' | 'total' | 'min';
      };
    }
  | { readonly geoDistance: { readonly field: string; readonly center: GeoPoint; readonly distance: number } }
  | { readonly geoBoundingBox: { readonly field: string; readonly topLeft: GeoPoint; readonly bottomRight: GeoPoint } }
  | { readonly geoPolygon: { readonly field: string; readonly points: readonly GeoPoint[] } };

/** The query kinds, i.e. the one key of a Query object. */
export type QueryKind = Query extends infer Q ? (Q extends Record<infer K, unknown> ? K : never) : never;

export type SortOrder = 'asc' | 'desc';
export type SortMode = 'min' | 'max' | 'avg';

export type Sort =
  | {
      readonly field: string;
      readonly order?: SortOrder;
      readonly mode?: SortMode;
      /** Where rows without the field sort (default: last in either order). */
      readonly missing?: QueryValue;
    }
  | { readonly primaryKey: SortOrder }
  | { readonly score: SortOrder }
  | {
      readonly geoDistance: {
        readonly field: string;
        readonly points: readonly GeoPoint[];
        readonly order?: SortOrder;
        readonly mode?: SortMode;
      };
    };

type Opt<T> = { readonly [K in keyof T]?: T[K] };

/** The typed query builder: `q.bool({ must: [q.term('status', 'paid'), q.range('amount', { gte: 10 })] })`. */
export const q = {
  matchAll: (): Query => ({ matchAll: {} }),
  match: (
    field: string,
    text: string,
    options: Opt<{ operator: 'or' | 'and'; minimumShouldMatch: number; weight: number }> = {},
  ): Query => ({ match: { field, text, ...options } }),
  matchPhrase: (field: string, text: string): Query => ({ matchPhrase: { field, text } }),
  term: (field: string, value: QueryValue): Query => ({ term: { field, value } }),
  terms: (field: string, values: readonly QueryValue[]): Query => ({ terms: { field, values } }),
  range: (field: string, bounds: Opt<{ gt: QueryValue; gte: QueryValue; lt: QueryValue; lte: QueryValue }>): Query => ({
    range: { field, ...bounds },
  }),
  prefix: (field: string, prefix: string): Query => ({ prefix: { field, prefix } }),
  wildcard: (field: string, value: string): Query => ({ wildcard: { field, value } }),
  exists: (field: string): Query => ({ exists: { field } }),
  bool: (
    clauses: Opt<{ must: Query[]; mustNot: Query[]; filter: Query[]; should: Query[]; minimumShouldMatch: number }>,
  ): Query => ({
    bool: clauses,
  }),
  not: (query: Query): Query => ({ bool: { mustNot: [query] } }),
  constScore: (filter: Query): Query => ({ constScore: { filter } }),
  nested: (path: string, query: Query): Query => ({ nested: { path, query } }),
  geoDistance: (field: string, center: GeoPoint, meters: number): Query => ({
    geoDistance: { field, center, distance: meters },
  }),
  geoBoundingBox: (field: string, topLeft: GeoPoint, bottomRight: GeoPoint): Query => ({
    geoBoundingBox: { field, topLeft, bottomRight },
  }),
  geoPolygon: (field: string, points: readonly GeoPoint[]): Query => ({ geoPolygon: { field, points } }),
} as const;

// ------------------------------------------------------------------------------------------- encoding

/**
 * Turns a raw value at `pointer` into a QueryValue. The default accepts the QueryValue types themselves; the
 * HTTP API passes its lossless-JSON decoder ({"$int64": …}).
 */
export type ValueReader = (raw: unknown, pointer: string) => QueryValue;

export interface EncodeContext {
  readonly value: ValueReader;
}

export const defaultValueReader: ValueReader = (raw, pointer) => {
  if (
    typeof raw === 'string' ||
    typeof raw === 'number' ||
    typeof raw === 'bigint' ||
    typeof raw === 'boolean' ||
    raw instanceof DoubleValue
  )
    return raw;
  return fail(pointer, 'must be a string, number, bigint or boolean');
};

export const DEFAULT_CONTEXT: EncodeContext = { value: defaultValueReader };

/** `obj` as a plain object with only `allowed` keys (and `required` present). */
export function objectAt(
  raw: unknown,
  pointer: string,
  allowed: readonly string[],
  required: readonly string[] = [],
): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(pointer, 'must be an object');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      fail(`${pointer}/${escapePointer(k)}`, `is not allowed here (expected ${allowed.join(', ') || 'nothing'})`);
  }
  for (const k of required) if (obj[k] === undefined) fail(`${pointer}/${k}`, 'is required');
  return obj;
}

/** `raw` as an object with exactly one key, one of `kinds`: that key and its value. */
export function oneKind<K extends string>(raw: unknown, pointer: string, kinds: readonly K[]): [K, unknown] {
  const o = objectAt(raw, pointer, kinds);
  const keys = Object.keys(o);
  if (keys.length !== 1) fail(pointer, `must have exactly one of ${kinds.join(', ')}`);
  return [keys[0] as K, o[keys[0]]];
}

export const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function stringAt(raw: unknown, pointer: string, nonEmpty = true): string {
  if (typeof raw !== 'string') return fail(pointer, 'must be a string');
  if (nonEmpty && raw.length === 0) fail(pointer, 'must not be empty');
  return raw;
}

export function intAt(raw: unknown, pointer: string, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail(pointer, 'must be an integer');
  if (raw < min || raw > max) fail(pointer, `must be between ${min} and ${max}`);
  return raw;
}

export function numberAt(raw: unknown, pointer: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return fail(pointer, 'must be a finite number');
  return raw;
}

export function boolAt(raw: unknown, pointer: string): boolean {
  if (typeof raw !== 'boolean') return fail(pointer, 'must be true or false');
  return raw;
}

export function arrayAt(raw: unknown, pointer: string, max: number, min = 0): readonly unknown[] {
  if (!Array.isArray(raw)) return fail(pointer, 'must be an array');
  if (raw.length < min) fail(pointer, `must have at least ${min} element${min === 1 ? '' : 's'}`);
  if (raw.length > max) fail(pointer, `must have at most ${max} elements`);
  return raw;
}

/** The bare PlainBuffer variant of a value (docs/protocol-search.md §1). */
export function variantAt(raw: unknown, pointer: string, ctx: EncodeContext): Uint8Array {
  const v = ctx.value(raw, pointer);
  try {
    const cv = toColumnValue(v, pointer);
    if (cv instanceof Uint8Array) return fail(pointer, 'binary values cannot be searched');
    return encodeColumnValue(cv);
  } catch (err) {
    if (err instanceof SearchInputError) throw err;
    return fail(pointer, err instanceof Error ? err.message.replace(`${pointer}: `, '') : 'is not a valid value');
  }
}

export function geoPointAt(raw: unknown, pointer: string): string {
  const o = objectAt(raw, pointer, ['lat', 'lon'], ['lat', 'lon']);
  const lat = numberAt(o.lat, `${pointer}/lat`);
  const lon = numberAt(o.lon, `${pointer}/lon`);
  if (lat < -90 || lat > 90) fail(`${pointer}/lat`, 'must be between -90 and 90');
  if (lon < -180 || lon > 180) fail(`${pointer}/lon`, 'must be between -180 and 180');
  return `${lat},${lon}`;
}

const MAX_DEPTH = 32;
const WEIGHT = (o: Record<string, unknown>, p: string) =>
  o.weight === undefined ? {} : { weight: numberAt(o.weight, `${p}/weight`) };
const SCORE_MODE: Record<string, number> = { none: 1, avg: 2, max: 3, total: 4, min: 5 };

function sub(type: number, name: string, body: object): QueryMsg {
  return { type, query: encodeSearch(name, body) };
}

/** Encodes (and checks) one query; `pointer` names where it sits in the request. */
export function encodeQuery(
  raw: unknown,
  pointer = '/query',
  ctx: EncodeContext = DEFAULT_CONTEXT,
  depth = 0,
): QueryMsg {
  if (depth > MAX_DEPTH) fail(pointer, `nests deeper than ${MAX_DEPTH} levels`);
  const [kind, body] = oneKind(raw, pointer, QUERY_KINDS);
  const p = `${pointer}/${kind}`;
  const nestedQuery = (r: unknown, at: string) => encodeQuery(r, at, ctx, depth + 1);
  switch (kind) {
    case 'matchAll':
      objectAt(body, p, []);
      return { type: QueryType.MATCH_ALL, query: new Uint8Array(0) };
    case 'match': {
      const o = objectAt(body, p, ['field', 'text', 'operator', 'minimumShouldMatch', 'weight'], ['field', 'text']);
      let operator: number | undefined;
      if (o.operator !== undefined) {
        if (o.operator !== 'or' && o.operator !== 'and') fail(`${p}/operator`, "must be 'or' or 'and'");
        operator = o.operator === 'and' ? 2 : 1;
      }
      return sub(QueryType.MATCH, 'MatchQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        text: stringAt(o.text, `${p}/text`, false),
        ...(o.minimumShouldMatch === undefined
          ? {}
          : { minimum_should_match: intAt(o.minimumShouldMatch, `${p}/minimumShouldMatch`, 1, 1024) }),
        ...(operator === undefined ? {} : { operator }),
        ...WEIGHT(o, p),
      });
    }
    case 'matchPhrase': {
      const o = objectAt(body, p, ['field', 'text', 'weight'], ['field', 'text']);
      return sub(QueryType.MATCH_PHRASE, 'MatchPhraseQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        text: stringAt(o.text, `${p}/text`, false),
        ...WEIGHT(o, p),
      });
    }
    case 'term': {
      const o = objectAt(body, p, ['field', 'value', 'weight'], ['field', 'value']);
      return sub(QueryType.TERM, 'TermQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        term: variantAt(o.value, `${p}/value`, ctx),
        ...WEIGHT(o, p),
      });
    }
    case 'terms': {
      const o = objectAt(body, p, ['field', 'values', 'weight'], ['field', 'values']);
      const values = arrayAt(o.values, `${p}/values`, 1024, 1);
      return sub(QueryType.TERMS, 'TermsQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        terms: values.map((v, i) => variantAt(v, `${p}/values/${i}`, ctx)),
        ...WEIGHT(o, p),
      });
    }
    case 'range': {
      const o = objectAt(body, p, ['field', 'gt', 'gte', 'lt', 'lte'], ['field']);
      if (o.gt !== undefined && o.gte !== undefined) fail(`${p}/gte`, "cannot be given together with 'gt'");
      if (o.lt !== undefined && o.lte !== undefined) fail(`${p}/lte`, "cannot be given together with 'lt'");
      const lowerKey = o.gte !== undefined ? 'gte' : 'gt';
      const upperKey = o.lte !== undefined ? 'lte' : 'lt';
      const lower = o[lowerKey];
      const upper = o[upperKey];
      return sub(QueryType.RANGE, 'RangeQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        ...(lower === undefined ? {} : { range_from: variantAt(lower, `${p}/${lowerKey}`, ctx) }),
        ...(upper === undefined ? {} : { range_to: variantAt(upper, `${p}/${upperKey}`, ctx) }),
        include_lower: lowerKey === 'gte' && lower !== undefined,
        include_upper: upperKey === 'lte' && upper !== undefined,
      });
    }
    case 'prefix': {
      const o = objectAt(body, p, ['field', 'prefix', 'weight'], ['field', 'prefix']);
      return sub(QueryType.PREFIX, 'PrefixQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        prefix: stringAt(o.prefix, `${p}/prefix`, false),
        ...WEIGHT(o, p),
      });
    }
    case 'wildcard': {
      const o = objectAt(body, p, ['field', 'value', 'weight'], ['field', 'value']);
      return sub(QueryType.WILDCARD, 'WildcardQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        value: stringAt(o.value, `${p}/value`),
        ...WEIGHT(o, p),
      });
    }
    case 'exists': {
      const o = objectAt(body, p, ['field'], ['field']);
      return sub(QueryType.EXISTS, 'ExistsQuery', { field_name: stringAt(o.field, `${p}/field`) });
    }
    case 'bool': {
      const o = objectAt(body, p, ['must', 'mustNot', 'filter', 'should', 'minimumShouldMatch']);
      const list = (key: string) =>
        o[key] === undefined
          ? []
          : arrayAt(o[key], `${p}/${key}`, 1024).map((c, i) => nestedQuery(c, `${p}/${key}/${i}`));
      const must = list('must');
      const mustNot = list('mustNot');
      const filter = list('filter');
      const should = list('should');
      if (must.length + mustNot.length + filter.length + should.length === 0)
        fail(p, 'must have at least one of must, mustNot, filter, should');
      let msm: number | undefined;
      if (o.minimumShouldMatch !== undefined) {
        msm = intAt(o.minimumShouldMatch, `${p}/minimumShouldMatch`, 0, should.length);
      }
      return sub(QueryType.BOOL, 'BoolQuery', {
        must_queries: must,
        must_not_queries: mustNot,
        filter_queries: filter,
        should_queries: should,
        ...(msm === undefined ? {} : { minimum_should_match: msm }),
      });
    }
    case 'constScore': {
      const o = objectAt(body, p, ['filter'], ['filter']);
      return sub(QueryType.CONST_SCORE, 'ConstScoreQuery', { filter: nestedQuery(o.filter, `${p}/filter`) });
    }
    case 'nested': {
      const o = objectAt(body, p, ['path', 'query', 'scoreMode'], ['path', 'query']);
      let scoreMode: number | undefined;
      if (o.scoreMode !== undefined) {
        scoreMode =
          typeof o.scoreMode === 'string' && Object.hasOwn(SCORE_MODE, o.scoreMode)
            ? SCORE_MODE[o.scoreMode]
            : undefined;
        if (scoreMode === undefined) fail(`${p}/scoreMode`, `must be one of ${Object.keys(SCORE_MODE).join(', ')}`);
      }
      return sub(QueryType.NESTED, 'NestedQuery', {
        path: stringAt(o.path, `${p}/path`),
        query: nestedQuery(o.query, `${p}/query`),
        ...(scoreMode === undefined ? {} : { score_mode: scoreMode }),
      });
    }
    case 'geoDistance': {
      const o = objectAt(body, p, ['field', 'center', 'distance'], ['field', 'center', 'distance']);
      const distance = numberAt(o.distance, `${p}/distance`);
      if (distance < 0) fail(`${p}/distance`, 'must not be negative');
      return sub(QueryType.GEO_DISTANCE, 'GeoDistanceQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        center_point: geoPointAt(o.center, `${p}/center`),
        distance,
      });
    }
    case 'geoBoundingBox': {
      const o = objectAt(body, p, ['field', 'topLeft', 'bottomRight'], ['field', 'topLeft', 'bottomRight']);
      return sub(QueryType.GEO_BOUNDING_BOX, 'GeoBoundingBoxQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        top_left: geoPointAt(o.topLeft, `${p}/topLeft`),
        bottom_right: geoPointAt(o.bottomRight, `${p}/bottomRight`),
      });
    }
    case 'geoPolygon': {
      const o = objectAt(body, p, ['field', 'points'], ['field', 'points']);
      const points = arrayAt(o.points, `${p}/points`, 4096, 3);
      return sub(QueryType.GEO_POLYGON, 'GeoPolygonQuery', {
        field_name: stringAt(o.field, `${p}/field`),
        points: points.map((pt, i) => geoPointAt(pt, `${p}/points/${i}`)),
      });
    }
  }
  return fail(pointer, 'is not a query');
}

const QUERY_KINDS: readonly string[] = [
  'matchAll',
  'match',
  'matchPhrase',
  'term',
  'terms',
  'range',
  'prefix',
  'wildcard',
  'exists',
  'bool',
  'constScore',
  'nested',
  'geoDistance',
  'geoBoundingBox',
  'geoPolygon',
] satisfies readonly QueryKind[];

const ORDER: Record<string, number> = { asc: 0, desc: 1 };
const MODE: Record<string, number> = { min: 0, max: 1, avg: 2 };

function enumAt(raw: unknown, pointer: string, table: Record<string, number>): number {
  if (typeof raw !== 'string' || !Object.hasOwn(table, raw))
    return fail(
      pointer,
      `must be one of ${Object.keys(table)
        .map((k) => `'${k}'`)
        .join(', ')}`,
    );
  return table[raw];
}

export const orderAt = (raw: unknown, pointer: string): number => enumAt(raw, pointer, ORDER);

/** Encodes (and checks) a list of sorts. */
export function encodeSort(raw: unknown, pointer: string, ctx: EncodeContext = DEFAULT_CONTEXT): SortMsg {
  const list = arrayAt(raw, pointer, 32, 1);
  return {
    sorter: list.map((s, i): SorterMsg => {
      const p = `${pointer}/${i}`;
      if (typeof s === 'object' && s !== null && 'primaryKey' in s) {
        const o = objectAt(s, p, ['primaryKey']);
        return { pk_sort: { order: orderAt(o.primaryKey, `${p}/primaryKey`) } };
      }
      if (typeof s === 'object' && s !== null && 'score' in s) {
        const o = objectAt(s, p, ['score']);
        return { score_sort: { order: orderAt(o.score, `${p}/score`) } };
      }
      if (typeof s === 'object' && s !== null && 'geoDistance' in s) {
        const g = objectAt(
          objectAt(s, p, ['geoDistance']).geoDistance,
          `${p}/geoDistance`,
          ['field', 'points', 'order', 'mode'],
          ['field', 'points'],
        );
        const gp = `${p}/geoDistance`;
        return {
          geo_distance_sort: {
            field_name: stringAt(g.field, `${gp}/field`),
            points: arrayAt(g.points, `${gp}/points`, 1024, 1).map((pt, j) => geoPointAt(pt, `${gp}/points/${j}`)),
            ...(g.order === undefined ? {} : { order: orderAt(g.order, `${gp}/order`) }),
            ...(g.mode === undefined ? {} : { mode: enumAt(g.mode, `${gp}/mode`, MODE) }),
          },
        };
      }
      const o = objectAt(s, p, ['field', 'order', 'mode', 'missing'], ['field']);
      return {
        field_sort: {
          field_name: stringAt(o.field, `${p}/field`),
          ...(o.order === undefined ? {} : { order: orderAt(o.order, `${p}/order`) }),
          ...(o.mode === undefined ? {} : { mode: enumAt(o.mode, `${p}/mode`, MODE) }),
          ...(o.missing === undefined ? {} : { missing_value: variantAt(o.missing, `${p}/missing`, ctx) }),
        },
      };
    }),
  };
}
