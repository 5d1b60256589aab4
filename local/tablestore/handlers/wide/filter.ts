/**
 * Column conditions and filters (docs/protocol.md §5.7): parsed once per request into a small tree, then evaluated per
 * row. Values are compared only with values of the same type (INTEGER with INTEGER, ...): a type mismatch
 * never matches, except for NOT_EQUAL, which it satisfies.
 */
import { decodeColumnValue, type ColumnValue } from '../../../../lib/tablestore/protocol/plainbuffer';
import {
  ComparatorType,
  FilterType,
  LogicalOperator,
  decodeMessage,
  type FilterMessage,
} from '../../../../lib/tablestore/protocol/proto/wide';
import { errors } from '../../errors';
import type { Column } from './row-codec';
import { validateColumnName } from './table';

export type FilterNode =
  | {
      readonly kind: 'single';
      readonly comparator: number;
      readonly column: string;
      readonly value: ColumnValue;
      readonly filterIfMissing: boolean;
      readonly latestOnly: boolean;
      readonly transform?: { readonly regex: RegExp; readonly castType?: number | undefined } | undefined;
    }
  | { readonly kind: 'composite'; readonly op: number; readonly subs: readonly FilterNode[] }
  | { readonly kind: 'pagination'; readonly offset: number; readonly limit: number };

export const MAX_SUB_CONDITIONS = 32;

function parseNode(msg: FilterMessage, depth: number, counter: { n: number }): FilterNode {
  if (depth > 10) throw errors.parameterInvalid('Filter is nested too deeply.');
  switch (msg.type) {
    case FilterType.FT_SINGLE_COLUMN_VALUE: {
      const f = decodeMessage('SingleColumnValueFilter', msg.filter);
      validateColumnName(f.column_name);
      if (f.comparator < 1 || f.comparator > 8) throw errors.parameterInvalid(`Invalid comparator: ${f.comparator}.`);
      if (++counter.n > MAX_SUB_CONDITIONS)
        throw errors.parameterInvalid(`A filter may have at most ${MAX_SUB_CONDITIONS} conditions.`);
      const needsValue = f.comparator !== ComparatorType.CT_EXIST && f.comparator !== ComparatorType.CT_NOT_EXIST;
      const value = needsValue || f.column_value.length > 0 ? decodeColumnValue(f.column_value) : false;
      let transform: { regex: RegExp; castType?: number | undefined } | undefined;
      if (f.value_trans_rule) {
        try {
          transform = { regex: new RegExp(f.value_trans_rule.regex), castType: f.value_trans_rule.cast_type };
        } catch {
          throw errors.parameterInvalid(`Invalid regex in filter: ${f.value_trans_rule.regex}`);
        }
      }
      return {
        kind: 'single',
        comparator: f.comparator,
        column: f.column_name,
        value,
        filterIfMissing: f.filter_if_missing,
        latestOnly: f.latest_version_only,
        transform,
      };
    }
    case FilterType.FT_COMPOSITE_COLUMN_VALUE: {
      const f = decodeMessage('CompositeColumnValueFilter', msg.filter);
      if (f.combinator < 1 || f.combinator > 3)
        throw errors.parameterInvalid(`Invalid logical operator: ${f.combinator}.`);
      if (f.sub_filters.length === 0)
        throw errors.parameterInvalid('A composite filter needs at least one sub-condition.');
      if (f.combinator === LogicalOperator.LO_NOT && f.sub_filters.length !== 1) {
        throw errors.parameterInvalid('LO_NOT takes exactly one sub-condition.');
      }
      const subs = f.sub_filters.map((s) => parseNode(s, depth + 1, counter));
      if (subs.some((s) => s.kind === 'pagination'))
        throw errors.parameterInvalid('A pagination filter cannot be part of a composite filter.');
      return { kind: 'composite', op: f.combinator, subs };
    }
    case FilterType.FT_COLUMN_PAGINATION: {
      const f = decodeMessage('ColumnPaginationFilter', msg.filter);
      if (f.offset < 0 || f.limit < 0)
        throw errors.parameterInvalid('Pagination filter offset and limit must not be negative.');
      return { kind: 'pagination', offset: f.offset, limit: f.limit };
    }
    default:
      throw errors.parameterInvalid(`Invalid filter type: ${msg.type}.`);
  }
}

/** Parses a serialized `Filter`; `allowPagination` is false for row conditions. */
export function parseFilter(bytes: Uint8Array, allowPagination: boolean): FilterNode {
  const node = parseNode(decodeMessage('Filter', bytes), 0, { n: 0 });
  if (node.kind === 'pagination' && !allowPagination)
    throw errors.parameterInvalid('A pagination filter cannot be used as a row condition.');
  return node;
}

function compareValues(a: ColumnValue, b: ColumnValue): number | undefined {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : undefined;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  return undefined;
}

function transformValue(
  value: ColumnValue,
  t: { regex: RegExp; castType?: number | undefined },
): ColumnValue | undefined {
  if (typeof value !== 'string') return undefined;
  const m = t.regex.exec(value);
  if (!m) return undefined;
  const text = m[1] ?? m[0];
  switch (t.castType) {
    case 0:
      return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    case 1: {
      const n = Number(text);
      return Number.isNaN(n) ? undefined : n;
    }
    default:
      return text;
  }
}

function matchesOne(node: Extract<FilterNode, { kind: 'single' }>, value: ColumnValue): boolean {
  const v = node.transform ? transformValue(value, node.transform) : value;
  if (v === undefined) return false;
  const c = compareValues(v, node.value);
  if (c === undefined) return node.comparator === ComparatorType.CT_NOT_EQUAL;
  switch (node.comparator) {
    case ComparatorType.CT_EQUAL:
      return c === 0;
    case ComparatorType.CT_NOT_EQUAL:
      return c !== 0;
    case ComparatorType.CT_GREATER_THAN:
      return c > 0;
    case ComparatorType.CT_GREATER_EQUAL:
      return c >= 0;
    case ComparatorType.CT_LESS_THAN:
      return c < 0;
    case ComparatorType.CT_LESS_EQUAL:
      return c <= 0;
    default:
      return false;
  }
}

export type ColumnLookup = (name: string) => Column | undefined;

/** Evaluates a condition/filter tree against a row's columns; pagination nodes always pass here. */
export function evaluateFilter(node: FilterNode, lookup: ColumnLookup): boolean {
  switch (node.kind) {
    case 'pagination':
      return true;
    case 'composite':
      if (node.op === LogicalOperator.LO_NOT) return !evaluateFilter(node.subs[0], lookup);
      if (node.op === LogicalOperator.LO_AND) return node.subs.every((s) => evaluateFilter(s, lookup));
      return node.subs.some((s) => evaluateFilter(s, lookup));
    case 'single': {
      const col = lookup(node.column);
      const present = !!col && col.versions.length > 0;
      if (node.comparator === ComparatorType.CT_EXIST) return present;
      if (node.comparator === ComparatorType.CT_NOT_EXIST) return !present;
      if (!present) return !node.filterIfMissing;
      if (node.latestOnly) return matchesOne(node, col.versions[0].value);
      return col.versions.some((v) => matchesOne(node, v.value));
    }
  }
}
