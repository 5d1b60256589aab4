/**
 * ColumnFilter (ports.ts) → the official SDK's column filter objects, for WideTableClient's `columnFilter`.
 * Kept apart from the wide adapter so that a different client only needs its own version of this function.
 * Values take the SDK's typed forms: INTEGER as its Int64, DOUBLE as a JS number, BINARY as a Buffer.
 */
import TableStore from 'tablestore';
import { int64 } from '../tablestore/wide';
import type { TsValue } from './lossless';
import type { ColumnFilter } from './ports';

/** The SDK's filter classes (lib/filter.js), which lib/tablestore/wide-sdk.d.ts does not declare. */
interface SdkFilterClasses {
  SingleColumnCondition: new (column: string, value: unknown, comparator: number, passIfMissing: boolean, latestVersionOnly: boolean) => object;
  CompositeCondition: new (combinator: number) => { addSubCondition(condition: object): void };
  ComparatorType: Record<'EQUAL' | 'NOT_EQUAL' | 'GREATER_THAN' | 'GREATER_EQUAL' | 'LESS_THAN' | 'LESS_EQUAL', number>;
  LogicalOperator: Record<'NOT' | 'AND' | 'OR', number>;
}
const sdk = TableStore as unknown as SdkFilterClasses;

const COMPARATOR = {
  '=': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '>': 'GREATER_THAN',
  '>=': 'GREATER_EQUAL',
  '<': 'LESS_THAN',
  '<=': 'LESS_EQUAL',
} as const;

function sdkValue(value: TsValue): unknown {
  if (typeof value === 'bigint') return int64(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

export function sdkColumnFilter(filter: ColumnFilter): object {
  switch (filter.kind) {
    case 'compare':
      return new sdk.SingleColumnCondition(filter.column, sdkValue(filter.value), sdk.ComparatorType[COMPARATOR[filter.op]], filter.passIfMissing, filter.latestVersionOnly);
    case 'not':
    case 'and':
    case 'or': {
      const composite = new sdk.CompositeCondition(sdk.LogicalOperator[filter.kind === 'not' ? 'NOT' : filter.kind === 'and' ? 'AND' : 'OR']);
      for (const sub of filter.kind === 'not' ? [filter.filter] : filter.filters) composite.addSubCondition(sdkColumnFilter(sub));
      return composite;
    }
  }
}
