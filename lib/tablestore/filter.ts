/**
 * Column filters of the wide-table client (GetRow / GetRange / BatchGetRow `filter`, and the column part of
 * a write condition), and their wire form: a `Filter { type, filter }` message whose `filter` bytes hold a
 * SingleColumnValueFilter or a CompositeColumnValueFilter, the compared value as a bare PlainBuffer
 * `vtype payload` (see docs/protocol-wide-client.md §3).
 */
import { encodeColumnValue, type ColumnValue } from './protocol/plainbuffer';
import {
  ComparatorType,
  encodeMessage,
  FilterType,
  LogicalOperator,
  type CompositeColumnValueFilter,
  type FilterMessage,
  type SingleColumnValueFilter,
} from './protocol/proto/wide';
import { toColumnValue, type ColumnInput } from './values';

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=';

/**
 * A row passes a `compare` filter when its `column` compares true against `value`. `passIfMissing`: a row
 * without the column passes (default false); `latestVersionOnly`: compare only the newest version (default
 * true). `and` / `or` take two or more filters, `not` one.
 */
export type ColumnFilter =
  | {
      readonly kind: 'compare';
      readonly column: string;
      readonly op: CompareOp;
      readonly value: ColumnInput;
      readonly passIfMissing?: boolean;
      readonly latestVersionOnly?: boolean;
    }
  | { readonly kind: 'and' | 'or'; readonly filters: readonly ColumnFilter[] }
  | { readonly kind: 'not'; readonly filter: ColumnFilter };

const COMPARATOR: Record<CompareOp, number> = {
  '=': ComparatorType.CT_EQUAL,
  '!=': ComparatorType.CT_NOT_EQUAL,
  '>': ComparatorType.CT_GREATER_THAN,
  '>=': ComparatorType.CT_GREATER_EQUAL,
  '<': ComparatorType.CT_LESS_THAN,
  '<=': ComparatorType.CT_LESS_EQUAL,
};

function filterMessage(filter: ColumnFilter): FilterMessage {
  switch (filter.kind) {
    case 'compare': {
      const comparator = COMPARATOR[filter.op];
      if (comparator === undefined) throw new TypeError(`unknown filter operator ${String(filter.op)}`);
      const value: ColumnValue = toColumnValue(filter.value, `filter value of column "${filter.column}"`);
      const single: SingleColumnValueFilter = {
        comparator,
        column_name: filter.column,
        column_value: encodeColumnValue(value),
        filter_if_missing: !(filter.passIfMissing ?? false),
        latest_version_only: filter.latestVersionOnly ?? true,
      };
      return { type: FilterType.FT_SINGLE_COLUMN_VALUE, filter: encodeMessage('SingleColumnValueFilter', single) };
    }
    case 'and':
    case 'or':
    case 'not': {
      const subs = filter.kind === 'not' ? [filter.filter] : filter.filters;
      if (filter.kind !== 'not' && subs.length < 2)
        throw new TypeError(`an '${filter.kind}' filter needs at least two filters`);
      const composite: CompositeColumnValueFilter = {
        combinator:
          filter.kind === 'and'
            ? LogicalOperator.LO_AND
            : filter.kind === 'or'
              ? LogicalOperator.LO_OR
              : LogicalOperator.LO_NOT,
        sub_filters: subs.map(filterMessage),
      };
      return {
        type: FilterType.FT_COMPOSITE_COLUMN_VALUE,
        filter: encodeMessage('CompositeColumnValueFilter', composite),
      };
    }
    default:
      throw new TypeError(`unknown filter kind ${String((filter as { kind?: unknown }).kind)}`);
  }
}

/** The `filter` bytes of a read request, or a write condition's `column_condition`. */
export function encodeFilter(filter: ColumnFilter): Uint8Array {
  return encodeMessage('Filter', filterMessage(filter));
}
