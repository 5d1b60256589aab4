import { describe, expect, it } from 'vitest';
import { evaluateFilter, parseFilter } from '../../local/tablestore/handlers/wide/filter';
import type { Column } from '../../local/tablestore/handlers/wide/row-codec';
import { encodeColumnValue, type ColumnValue } from '../../lib/tablestore/protocol/plainbuffer';
import {
  ComparatorType as CT,
  FilterType,
  LogicalOperator,
  encodeMessage,
} from '../../lib/tablestore/protocol/proto/wide';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';

function single(column: string, comparator: number, value: ColumnValue, extra: object = {}): Uint8Array {
  const inner = encodeMessage('SingleColumnValueFilter', {
    comparator,
    column_name: column,
    column_value: encodeColumnValue(value),
    filter_if_missing: false,
    latest_version_only: true,
    ...extra,
  });
  return encodeMessage('Filter', { type: FilterType.FT_SINGLE_COLUMN_VALUE, filter: inner });
}
/** `subs` are serialized SingleColumnValueFilter messages. */
function composite(op: number, subs: Uint8Array[]): Uint8Array {
  const inner = encodeMessage('CompositeColumnValueFilter', {
    combinator: op,
    sub_filters: subs.map((filter) => ({ type: FilterType.FT_SINGLE_COLUMN_VALUE, filter })),
  });
  return encodeMessage('Filter', { type: FilterType.FT_COMPOSITE_COLUMN_VALUE, filter: inner });
}

const row: Column[] = [
  {
    name: 'n',
    versions: [
      { ts: 3, value: 5n },
      { ts: 2, value: 9n },
    ],
  },
  { name: 's', versions: [{ ts: 1, value: 'id-0042-x' }] },
  { name: 'd', versions: [{ ts: 1, value: 1.5 }] },
];
const lookup = (name: string) => row.find((c) => c.name === name);
const check = (bytes: Uint8Array) => evaluateFilter(parseFilter(bytes, true), lookup);

describe('column filters', () => {
  it('compares same-typed values only; mismatches satisfy only NOT_EQUAL', () => {
    expect(check(single('n', CT.CT_EQUAL, 5n))).toBe(true);
    expect(check(single('n', CT.CT_GREATER_THAN, 4n))).toBe(true);
    expect(check(single('n', CT.CT_LESS_EQUAL, 4n))).toBe(false);
    expect(check(single('n', CT.CT_EQUAL, 5))).toBe(false);
    expect(check(single('n', CT.CT_NOT_EQUAL, 5))).toBe(true);
    expect(check(single('d', CT.CT_GREATER_EQUAL, 1.5))).toBe(true);
    expect(check(single('s', CT.CT_LESS_THAN, 'id-1'))).toBe(true);
  });

  it('checks older versions when latest_version_only is false', () => {
    expect(check(single('n', CT.CT_EQUAL, 9n))).toBe(false);
    expect(check(single('n', CT.CT_EQUAL, 9n, { latest_version_only: false }))).toBe(true);
  });

  it('handles missing columns, EXIST and NOT_EXIST', () => {
    expect(check(single('absent', CT.CT_EQUAL, 1n, { filter_if_missing: false }))).toBe(true);
    expect(check(single('absent', CT.CT_EQUAL, 1n, { filter_if_missing: true }))).toBe(false);
    expect(check(single('n', CT.CT_EXIST, 0n))).toBe(true);
    expect(check(single('absent', CT.CT_NOT_EXIST, 0n))).toBe(true);
  });

  it('extracts and casts with a value transfer rule', () => {
    expect(check(single('s', CT.CT_EQUAL, 42n, { value_trans_rule: { regex: 'id-(\\d+)', cast_type: 0 } }))).toBe(true);
    expect(
      check(single('s', CT.CT_GREATER_THAN, 100n, { value_trans_rule: { regex: 'id-(\\d+)', cast_type: 0 } })),
    ).toBe(false);
  });

  it('combines with NOT, AND and OR, and rejects bad trees', () => {
    const a = encodeMessage('SingleColumnValueFilter', {
      comparator: CT.CT_EQUAL,
      column_name: 'n',
      column_value: encodeColumnValue(5n),
      filter_if_missing: false,
      latest_version_only: true,
    });
    const b = encodeMessage('SingleColumnValueFilter', {
      comparator: CT.CT_EQUAL,
      column_name: 's',
      column_value: encodeColumnValue('nope'),
      filter_if_missing: false,
      latest_version_only: true,
    });
    expect(check(composite(LogicalOperator.LO_AND, [a, b]))).toBe(false);
    expect(check(composite(LogicalOperator.LO_OR, [a, b]))).toBe(true);
    expect(check(composite(LogicalOperator.LO_NOT, [b]))).toBe(true);
    expect(() => parseFilter(composite(LogicalOperator.LO_NOT, [a, b]), true)).toThrow(TablestoreError);
    const page = encodeMessage('Filter', {
      type: FilterType.FT_COLUMN_PAGINATION,
      filter: encodeMessage('ColumnPaginationFilter', { offset: 0, limit: 1 }),
    });
    expect(() => parseFilter(page, false)).toThrow(/row condition/);
    // Unknown filter type and garbage: both are typed errors that the server answers with 400.
    for (const bad of [new Uint8Array([0x08, 0x09, 0x12, 0x00]), new Uint8Array([0xff, 0xff])]) {
      expect(() => parseFilter(bad, true)).toThrow(
        expect.objectContaining({ name: expect.stringMatching(/^(TablestoreError|ProtoDecodeError)$/) }),
      );
    }
  });
});
