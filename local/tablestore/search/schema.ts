/**
 * Search-index definitions (what CreateSearchIndex stores and DescribeSearchIndex returns), their validation,
 * and how a base-table column value becomes indexed values (docs/protocol-search.md §2).
 */
import type { ColumnValue } from '../../../lib/tablestore/protocol/plainbuffer';
import { errors } from '../errors';
import type { AnalyzerName, AnalyzerSpec, Token } from './analyzer';
import { analyze } from './analyzer';
import { checkDateFormat, parseDate } from './dates';
import { parseGeoPoint, type GeoPoint } from './geo';
import {
  FieldType,
  decodeSearch,
  encodeSearch,
  type CreateSearchIndexRequestMsg,
  type FieldSchemaMsg,
  type IndexSchemaMsg,
} from './proto';
import type { FieldTypeCode, IndexField } from './field';
import { parseSort, sortToMsg, type SortSpec } from './sort-spec';

export type { IndexField } from './field';

export interface IndexDefinition {
  readonly table: string;
  readonly name: string;
  readonly fields: readonly IndexField[];
  readonly routingFields: readonly string[];
  /** Absent = primary-key order. */
  readonly indexSort?: SortSpec;
  /** Seconds; -1 = forever. */
  readonly ttl: number;
  readonly createdAtMs: number;
}

/** A TEXT value with its tokens. */
export interface TextValue {
  readonly text: string;
  readonly tokens: readonly Token[];
}
/** One element of a NESTED field: its sub-fields' values. */
export type SubDoc = ReadonlyMap<string, readonly FieldValue[]>;
export type FieldValue = number | string | boolean | GeoPoint | TextValue | SubDoc;

const INDEX_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const ANALYZERS = new Set<AnalyzerName>(['single_word', 'max_word', 'min_word', 'split', 'fuzzy']);
const MIN_TTL_SECONDS = 86400;

const invalid = (message: string) => errors.parameterInvalid(message);
export const notSupported = (what: string) => errors.parameterInvalid(`${what} is not supported by Tablestore Local.`);

export function validateIndexName(name: string | undefined): string {
  if (!name || !INDEX_NAME_RE.test(name)) throw invalid(`Invalid index name: '${name ?? ''}'.`);
  return name;
}

export function validateTtl(ttl: number | undefined): number {
  const v = ttl ?? -1;
  if (v !== -1 && (!Number.isInteger(v) || v < MIN_TTL_SECONDS)) {
    throw invalid(`Invalid time_to_live: ${v}. It must be -1 (forever) or at least ${MIN_TTL_SECONDS} seconds.`);
  }
  return v;
}

function parseAnalyzer(f: FieldSchemaMsg): AnalyzerSpec | undefined {
  if (f.analyzer === undefined || f.analyzer === '')
    return f.field_type === FieldType.TEXT ? { name: 'single_word' } : undefined;
  if (f.field_type !== FieldType.TEXT) throw invalid(`Field ${f.field_name}: an analyzer applies to TEXT fields only.`);
  const name = f.analyzer as AnalyzerName;
  if (!ANALYZERS.has(name)) throw invalid(`Field ${f.field_name}: unknown analyzer '${f.analyzer}'.`);
  const param = f.analyzer_parameter && f.analyzer_parameter.length > 0 ? f.analyzer_parameter : undefined;
  if (name === 'single_word') {
    const p = param
      ? decodeSearch<{ case_sensitive?: boolean; delimit_word?: boolean }>('SingleWordAnalyzerParameter', param)
      : {};
    return { name, caseSensitive: p.case_sensitive ?? false, delimitWord: p.delimit_word ?? false };
  }
  if (name === 'split') {
    const p = param
      ? decodeSearch<{ delimiter?: string; case_sensitive?: boolean }>('SplitAnalyzerParameter', param)
      : {};
    return { name, ...(p.delimiter ? { delimiter: p.delimiter } : {}), caseSensitive: p.case_sensitive ?? false };
  }
  if (name === 'fuzzy') {
    const p = param ? decodeSearch<{ min_chars?: number; max_chars?: number }>('FuzzyAnalyzerParameter', param) : {};
    const minChars = p.min_chars ?? 1;
    const maxChars = p.max_chars ?? 7;
    if (minChars < 1 || maxChars < minChars || maxChars > 7) {
      throw invalid(`Field ${f.field_name}: fuzzy analyzer needs 1 <= min_chars <= max_chars <= 7.`);
    }
    return { name, minChars, maxChars };
  }
  return { name };
}

function parseField(f: FieldSchemaMsg, nested: boolean): IndexField {
  const name = f.field_name;
  if (!name) throw invalid('A field schema needs a field_name.');
  const type = f.field_type as FieldTypeCode;
  if (type === FieldType.VECTOR) throw notSupported(`VECTOR field ${name} (KNN vector search)`);
  if (!Object.values(FieldType).includes(type))
    throw invalid(`Field ${name}: invalid field_type ${String(f.field_type)}.`);
  if (f.is_virtual_field) throw notSupported(`Virtual field ${name}`);
  if (type === FieldType.NESTED && nested)
    throw invalid(`Field ${name}: a NESTED field cannot contain another NESTED field.`);
  const docValues = f.doc_values ?? (type !== FieldType.TEXT && type !== FieldType.NESTED);
  if (type === FieldType.TEXT && f.doc_values)
    throw invalid(`Field ${name}: TEXT fields do not support sorting and aggregation (enable_sort_and_agg).`);
  const out: {
    name: string;
    type: FieldTypeCode;
    index: boolean;
    docValues: boolean;
    store: boolean;
    isArray: boolean;
    analyzer?: AnalyzerSpec;
    dateFormats?: string[];
    enableHighlighting?: boolean;
    fields?: IndexField[];
  } = {
    name,
    type,
    index: f.index ?? true,
    docValues: type === FieldType.NESTED ? false : docValues,
    store: f.store ?? true,
    isArray: f.is_array ?? false,
  };
  const analyzer = parseAnalyzer(f);
  if (analyzer) out.analyzer = analyzer;
  if (f.enable_highlighting) out.enableHighlighting = true;
  if (f.date_formats.length > 0) {
    if (type !== FieldType.DATE) throw invalid(`Field ${name}: date_formats apply to DATE fields only.`);
    for (const fmt of f.date_formats) {
      try {
        checkDateFormat(fmt);
      } catch (err) {
        throw invalid(`Field ${name}: invalid date format '${fmt}' (${(err as Error).message}).`);
      }
    }
    out.dateFormats = [...f.date_formats];
  }
  if (type === FieldType.NESTED) {
    if (f.field_schemas.length === 0) throw invalid(`Field ${name}: a NESTED field needs field_schemas.`);
    out.fields = parseFields(f.field_schemas, true);
  } else if (f.field_schemas.length > 0) throw invalid(`Field ${name}: only NESTED fields have field_schemas.`);
  return out;
}

function parseFields(list: readonly FieldSchemaMsg[], nested: boolean): IndexField[] {
  const seen = new Set<string>();
  return list.map((f) => {
    const field = parseField(f, nested);
    if (seen.has(field.name)) throw invalid(`Duplicated field name: ${field.name}.`);
    seen.add(field.name);
    return field;
  });
}

/** Validates a CreateSearchIndex request against the table's primary key. */
export function parseDefinition(
  req: CreateSearchIndexRequestMsg,
  pkNames: readonly string[],
  nowMs: number,
): IndexDefinition {
  if (req.source_index_name) throw notSupported('Creating a search index from a source index (source_index_name)');
  const schema: IndexSchemaMsg = req.schema ?? { field_schemas: [] };
  if (schema.field_schemas.length === 0) throw invalid('The index schema needs at least one field.');
  const fields = parseFields(schema.field_schemas, false);
  const routingFields = schema.index_setting?.routing_fields ?? [];
  for (const r of routingFields)
    if (!pkNames.includes(r)) throw invalid(`Routing field ${r} is not a primary key column.`);
  let indexSort: SortSpec | undefined;
  if (schema.index_sort && schema.index_sort.sorter.length > 0) {
    if (fields.some((f) => f.type === FieldType.NESTED))
      throw invalid('An index with NESTED fields does not support index sort.');
    indexSort = parseSort(schema.index_sort, fields, 'index');
  }
  return {
    table: req.table_name,
    name: validateIndexName(req.index_name),
    fields,
    routingFields,
    ...(indexSort === undefined ? {} : { indexSort }),
    ttl: validateTtl(req.time_to_live),
    createdAtMs: nowMs,
  };
}

function fieldToMsg(f: IndexField): FieldSchemaMsg {
  let analyzerParameter: Uint8Array | undefined;
  const a = f.analyzer;
  if (a?.name === 'single_word')
    analyzerParameter = encodeSearch('SingleWordAnalyzerParameter', {
      case_sensitive: a.caseSensitive,
      delimit_word: a.delimitWord,
    });
  if (a?.name === 'split')
    analyzerParameter = encodeSearch(
      'SplitAnalyzerParameter',
      a.delimiter !== undefined ? { delimiter: a.delimiter } : {},
    );
  if (a?.name === 'fuzzy')
    analyzerParameter = encodeSearch('FuzzyAnalyzerParameter', { min_chars: a.minChars, max_chars: a.maxChars });
  return {
    field_name: f.name,
    field_type: f.type,
    ...(a === undefined ? {} : { analyzer: a.name }),
    index: f.index,
    doc_values: f.docValues,
    store: f.store,
    is_array: f.isArray,
    field_schemas: (f.fields ?? []).map(fieldToMsg),
    analyzer_parameter: analyzerParameter ?? new Uint8Array(0),
    source_field_names: [],
    date_formats: [...(f.dateFormats ?? [])],
    ...(f.enableHighlighting ? { enable_highlighting: true } : {}),
    ...(f.type === FieldType.TEXT ? { index_options: 3 } : {}),
  };
}

export function schemaToMsg(def: IndexDefinition): IndexSchemaMsg {
  return {
    field_schemas: def.fields.map(fieldToMsg),
    index_setting: { number_of_shards: 1, routing_fields: [...def.routingFields], routing_partition_size: 1 },
    ...(def.indexSort ? { index_sort: sortToMsg(def.indexSort) } : {}),
  };
}

// ---------------------------------------------------------------------------------------- value mapping

function scalar(field: IndexField, v: unknown): FieldValue | undefined {
  switch (field.type) {
    case FieldType.LONG:
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case FieldType.DOUBLE:
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case FieldType.BOOLEAN:
      return typeof v === 'boolean' ? v : undefined;
    case FieldType.KEYWORD:
      return typeof v === 'string' ? v : undefined;
    case FieldType.TEXT:
      return typeof v === 'string'
        ? { text: v, tokens: analyze(v, field.analyzer ?? { name: 'single_word' }) }
        : undefined;
    case FieldType.DATE:
      return parseDate(v, field.dateFormats ?? []);
    case FieldType.GEO_POINT:
      return typeof v === 'string' ? parseGeoPoint(v) : undefined;
    case FieldType.NESTED: {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      const sub = new Map<string, FieldValue[]>();
      for (const sf of field.fields ?? []) {
        const raw = (v as Record<string, unknown>)[sf.name];
        const values = raw === undefined || raw === null ? [] : jsonValues(sf, raw);
        if (values.length > 0) sub.set(sf.name, values);
      }
      return sub;
    }
  }
  return undefined;
}

/** Fields whose documents may stand in for the rows' values: scalar LONG, DOUBLE, KEYWORD and BOOLEAN. */
export function mayHoldExactly(field: IndexField): boolean {
  return (
    !field.isArray &&
    (field.type === FieldType.LONG ||
      field.type === FieldType.DOUBLE ||
      field.type === FieldType.KEYWORD ||
      field.type === FieldType.BOOLEAN)
  );
}

/**
 * Whether a document's values of a field (one that mayHoldExactly) are the row's column value itself: one scalar of the column's own
 * type, neither dropped (NaN, a value of another type) nor rounded (a LONG beyond ±2^53 held as a float64).
 * Where every document of an index holds a field exactly, the documents can stand in for the rows (the SQL
 * engine's aggregate pushdown, docs/protocol-sql.md §7.1).
 */
export function holdsExactly(field: IndexField, value: ColumnValue, indexed: readonly FieldValue[]): boolean {
  if (indexed.length !== 1) return false;
  const d = indexed[0];
  switch (field.type) {
    case FieldType.LONG:
      // d is Number(value): a safe integer only when the conversion was exact (no BigInt needed to check).
      return typeof value === 'bigint' && Number.isSafeInteger(d);
    case FieldType.DOUBLE:
      return typeof value === 'number' && Object.is(d, value);
    case FieldType.KEYWORD:
      return typeof value === 'string' && d === value;
    case FieldType.BOOLEAN:
      return typeof value === 'boolean' && d === value;
    default:
      return false;
  }
}

function jsonValues(field: IndexField, raw: unknown): FieldValue[] {
  const items = Array.isArray(raw) ? raw : [raw];
  const out: FieldValue[] = [];
  for (const item of items) {
    const v = scalar(field, item);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * Indexed values of one base-table column. Arrays and NESTED fields arrive as JSON text in a STRING column;
 * a value that does not fit the field's type is not indexed (the row is still indexed without it).
 */
export function fieldValues(field: IndexField, value: ColumnValue): FieldValue[] {
  if (field.isArray || field.type === FieldType.NESTED) {
    if (typeof value !== 'string') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return [];
    }
    if (field.isArray && !Array.isArray(parsed)) return [];
    return jsonValues(field, parsed);
  }
  const v = scalar(field, value);
  return v === undefined ? [] : [v];
}
