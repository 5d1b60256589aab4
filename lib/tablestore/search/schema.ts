/**
 * Search-index schemas as plain data, encoded for CreateSearchIndex and decoded from DescribeSearchIndex
 * (docs/protocol-search.md §1, §2).
 */
import { decodeColumnValue } from '../protocol/plainbuffer';
import { SearchInputError } from './input-error';
import { encodeSort, type QueryValue, type Sort } from './query';
import { decodeSearch, encodeSearch, FieldType, type FieldSchemaMsg, type IndexSchemaMsg, type SortMsg } from './wire';

export type SearchFieldType = 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'KEYWORD' | 'TEXT' | 'NESTED' | 'GEO_POINT' | 'DATE';

export type Analyzer =
  | { readonly name: 'single_word'; readonly caseSensitive?: boolean; readonly delimitWord?: boolean }
  | { readonly name: 'split'; readonly delimiter?: string; readonly caseSensitive?: boolean }
  | { readonly name: 'fuzzy'; readonly minChars?: number; readonly maxChars?: number; readonly caseSensitive?: boolean }
  | { readonly name: 'max_word' | 'min_word' };

export interface SearchField {
  readonly name: string;
  readonly type: SearchFieldType;
  /** Queryable (default true). */
  readonly index?: boolean;
  /** Sortable and aggregatable (default true except TEXT and NESTED). */
  readonly sortAndAgg?: boolean;
  readonly store?: boolean;
  /** The column holds a JSON array of values. */
  readonly array?: boolean;
  /** TEXT only. */
  readonly analyzer?: Analyzer;
  /** NESTED only. */
  readonly fields?: readonly SearchField[];
  /** DATE only: Java-style formats for STRING columns. */
  readonly dateFormats?: readonly string[];
}

export interface SearchIndexSchema {
  readonly fields: readonly SearchField[];
  readonly indexSort?: readonly Sort[];
  /** Primary-key columns that route rows to partitions. */
  readonly routingFields?: readonly string[];
  /** Seconds; -1 = forever (CreateSearchIndex only). */
  readonly timeToLive?: number;
}

const TYPE_CODE: Record<SearchFieldType, number> = {
  LONG: FieldType.LONG,
  DOUBLE: FieldType.DOUBLE,
  BOOLEAN: FieldType.BOOLEAN,
  KEYWORD: FieldType.KEYWORD,
  TEXT: FieldType.TEXT,
  NESTED: FieldType.NESTED,
  GEO_POINT: FieldType.GEO_POINT,
  DATE: FieldType.DATE,
};
const TYPE_NAME: Record<number, SearchFieldType> = Object.fromEntries(
  Object.entries(TYPE_CODE).map(([k, v]) => [v, k as SearchFieldType]),
);

function analyzerParameter(a: Analyzer): Uint8Array | undefined {
  switch (a.name) {
    case 'single_word':
      return encodeSearch('SingleWordAnalyzerParameter', {
        ...(a.caseSensitive === undefined ? {} : { case_sensitive: a.caseSensitive }),
        ...(a.delimitWord === undefined ? {} : { delimit_word: a.delimitWord }),
      });
    case 'split':
      return encodeSearch('SplitAnalyzerParameter', {
        ...(a.delimiter === undefined ? {} : { delimiter: a.delimiter }),
        ...(a.caseSensitive === undefined ? {} : { case_sensitive: a.caseSensitive }),
      });
    case 'fuzzy':
      return encodeSearch('FuzzyAnalyzerParameter', {
        ...(a.minChars === undefined ? {} : { min_chars: a.minChars }),
        ...(a.maxChars === undefined ? {} : { max_chars: a.maxChars }),
        ...(a.caseSensitive === undefined ? {} : { case_sensitive: a.caseSensitive }),
      });
    default:
      return undefined;
  }
}

function fieldMsg(f: SearchField, pointer: string): FieldSchemaMsg {
  const type = TYPE_CODE[f.type];
  if (type === undefined) throw new SearchInputError(`${pointer}/type`, `is not a field type: ${String(f.type)}`);
  const param = f.analyzer ? analyzerParameter(f.analyzer) : undefined;
  return {
    field_name: f.name,
    field_type: type,
    index: f.index ?? true,
    ...(f.sortAndAgg === undefined ? {} : { doc_values: f.sortAndAgg }),
    ...(f.store === undefined ? {} : { store: f.store }),
    ...(f.array === undefined ? {} : { is_array: f.array }),
    ...(f.analyzer ? { analyzer: f.analyzer.name } : {}),
    ...(param ? { analyzer_parameter: param } : {}),
    field_schemas: (f.fields ?? []).map((s, i) => fieldMsg(s, `${pointer}/fields/${i}`)),
    source_field_names: [],
    date_formats: [...(f.dateFormats ?? [])],
  };
}

export function encodeIndexSchema(schema: SearchIndexSchema): IndexSchemaMsg {
  return {
    field_schemas: schema.fields.map((f, i) => fieldMsg(f, `/fields/${i}`)),
    ...(schema.routingFields ? { index_setting: { routing_fields: [...schema.routingFields] } } : {}),
    ...(schema.indexSort ? { index_sort: encodeSort(schema.indexSort, '/indexSort') } : {}),
  };
}

function decodeAnalyzer(name: string, param: Uint8Array | undefined): Analyzer | undefined {
  const bytes = param ?? new Uint8Array(0);
  switch (name) {
    case 'single_word': {
      const p = decodeSearch<{ case_sensitive?: boolean; delimit_word?: boolean }>(
        'SingleWordAnalyzerParameter',
        bytes,
      );
      return {
        name,
        ...(p.case_sensitive === undefined ? {} : { caseSensitive: p.case_sensitive }),
        ...(p.delimit_word === undefined ? {} : { delimitWord: p.delimit_word }),
      };
    }
    case 'split': {
      const p = decodeSearch<{ delimiter?: string; case_sensitive?: boolean }>('SplitAnalyzerParameter', bytes);
      return {
        name,
        ...(p.delimiter === undefined ? {} : { delimiter: p.delimiter }),
        ...(p.case_sensitive === undefined ? {} : { caseSensitive: p.case_sensitive }),
      };
    }
    case 'fuzzy': {
      const p = decodeSearch<{ min_chars?: number; max_chars?: number; case_sensitive?: boolean }>(
        'FuzzyAnalyzerParameter',
        bytes,
      );
      return {
        name,
        ...(p.min_chars === undefined ? {} : { minChars: p.min_chars }),
        ...(p.max_chars === undefined ? {} : { maxChars: p.max_chars }),
        ...(p.case_sensitive === undefined ? {} : { caseSensitive: p.case_sensitive }),
      };
    }
    case 'max_word':
    case 'min_word':
      return { name };
    default:
      return undefined;
  }
}

function decodeField(f: FieldSchemaMsg): SearchField {
  const analyzer = f.analyzer ? decodeAnalyzer(f.analyzer, f.analyzer_parameter) : undefined;
  return {
    name: f.field_name ?? '',
    type: TYPE_NAME[f.field_type ?? 0] ?? 'KEYWORD',
    ...(f.index === undefined ? {} : { index: f.index }),
    ...(f.doc_values === undefined ? {} : { sortAndAgg: f.doc_values }),
    ...(f.store === undefined ? {} : { store: f.store }),
    ...(f.is_array ? { array: true } : {}),
    ...(analyzer ? { analyzer } : {}),
    ...(f.field_schemas.length > 0 ? { fields: f.field_schemas.map(decodeField) } : {}),
    ...(f.date_formats.length > 0 ? { dateFormats: [...f.date_formats] } : {}),
  };
}

const ORDER = ['asc', 'desc'] as const;
const MODE = ['min', 'max', 'avg'] as const;

function missingValue(bytes: Uint8Array | undefined): { missing?: QueryValue } {
  if (!bytes || bytes.length === 0) return {};
  const v = decodeColumnValue(bytes);
  return v instanceof Uint8Array ? {} : { missing: v };
}

/** The sorts of a SortMsg in the client's form (index sorts of DescribeSearchIndex). */
export function decodeSort(msg: SortMsg | undefined): Sort[] {
  return (msg?.sorter ?? []).flatMap((s): Sort[] => {
    const order = (o: number | undefined) => ORDER[o ?? 0] ?? 'asc';
    if (s.field_sort)
      return [
        {
          field: s.field_sort.field_name ?? '',
          order: order(s.field_sort.order),
          ...(s.field_sort.mode === undefined ? {} : { mode: MODE[s.field_sort.mode] ?? 'min' }),
          ...missingValue(s.field_sort.missing_value),
        },
      ];
    if (s.pk_sort) return [{ primaryKey: order(s.pk_sort.order) }];
    if (s.score_sort) return [{ score: order(s.score_sort.order) }];
    if (s.geo_distance_sort)
      return [
        {
          geoDistance: {
            field: s.geo_distance_sort.field_name ?? '',
            points: s.geo_distance_sort.points.map((p) => {
              const [lat, lon] = p.split(',').map(Number);
              return { lat: lat ?? 0, lon: lon ?? 0 };
            }),
            order: order(s.geo_distance_sort.order),
          },
        },
      ];
    return [];
  });
}

export function decodeIndexSchema(msg: IndexSchemaMsg | undefined): SearchIndexSchema {
  const sort = decodeSort(msg?.index_sort);
  const routing = msg?.index_setting?.routing_fields ?? [];
  return {
    fields: (msg?.field_schemas ?? []).map(decodeField),
    ...(sort.length > 0 ? { indexSort: sort } : {}),
    ...(routing.length > 0 ? { routingFields: [...routing] } : {}),
  };
}
