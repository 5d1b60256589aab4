/**
 * Conditions of QueryTimeseriesMeta, as plain data plus a small builder:
 *
 *   and(measurement('=', 'cpu'), or(tag('region', 'prefix', 'cn-'), not(source('=', 'host-9'))))
 *
 * On the wire a condition is `MetaQueryCondition { type, proto_data }` where proto_data is the serialized
 * concrete message, recursively for composites (docs/protocol.md §9.3).
 */
import { FormatError } from '../protocol/format-error';
import {
  decodeTimeseriesMessage,
  encodeTimeseriesMessage,
  MetaQueryCompositeOperator,
  MetaQueryConditionType,
  MetaQuerySingleOperator,
  type MetaQueryConditionMsg,
} from '../protocol/proto/timeseries';

export type MetaOperator = '=' | '>' | '>=' | '<' | '<=' | 'prefix';

export type MetaCondition =
  | { readonly kind: 'measurement'; readonly op: MetaOperator; readonly value: string }
  | { readonly kind: 'source'; readonly op: MetaOperator; readonly value: string }
  | { readonly kind: 'tag'; readonly name: string; readonly op: MetaOperator; readonly value: string }
  | { readonly kind: 'attribute'; readonly name: string; readonly op: MetaOperator; readonly value: string }
  /** value in µs; 'prefix' is not meaningful for times */
  | { readonly kind: 'updateTime'; readonly op: Exclude<MetaOperator, 'prefix'>; readonly value: bigint }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly MetaCondition[] }
  | { readonly kind: 'not'; readonly conditions: readonly MetaCondition[] };

export const measurement = (op: MetaOperator, value: string): MetaCondition => ({ kind: 'measurement', op, value });
export const source = (op: MetaOperator, value: string): MetaCondition => ({ kind: 'source', op, value });
export const tag = (name: string, op: MetaOperator, value: string): MetaCondition => ({ kind: 'tag', name, op, value });
export const attribute = (name: string, op: MetaOperator, value: string): MetaCondition => ({
  kind: 'attribute',
  name,
  op,
  value,
});
export const updateTime = (op: Exclude<MetaOperator, 'prefix'>, micros: bigint | number | Date): MetaCondition => ({
  kind: 'updateTime',
  op,
  value: micros instanceof Date ? BigInt(micros.getTime()) * 1000n : BigInt(micros),
});
export const and = (...conditions: MetaCondition[]): MetaCondition => ({ kind: 'and', conditions });
export const or = (...conditions: MetaCondition[]): MetaCondition => ({ kind: 'or', conditions });
/** NOT of one condition (several are combined with AND first). */
export const not = (...conditions: MetaCondition[]): MetaCondition => ({ kind: 'not', conditions });

const OP_CODE: Record<MetaOperator, number> = {
  '=': MetaQuerySingleOperator.EQUAL,
  '>': MetaQuerySingleOperator.GREATER_THAN,
  '>=': MetaQuerySingleOperator.GREATER_EQUAL,
  '<': MetaQuerySingleOperator.LESS_THAN,
  '<=': MetaQuerySingleOperator.LESS_EQUAL,
  prefix: MetaQuerySingleOperator.PREFIX,
};
const OP_NAME = new Map<number, MetaOperator>(Object.entries(OP_CODE).map(([k, v]) => [v, k as MetaOperator]));

export function encodeMetaCondition(c: MetaCondition): MetaQueryConditionMsg {
  switch (c.kind) {
    case 'and':
    case 'or':
    case 'not':
      return {
        type: MetaQueryConditionType.COMPOSITE,
        proto_data: encodeTimeseriesMessage('MetaQueryCompositeCondition', {
          op:
            c.kind === 'and'
              ? MetaQueryCompositeOperator.AND
              : c.kind === 'or'
                ? MetaQueryCompositeOperator.OR
                : MetaQueryCompositeOperator.NOT,
          sub_conditions: c.conditions.map(encodeMetaCondition),
        }),
      };
    case 'measurement':
      return {
        type: MetaQueryConditionType.MEASUREMENT,
        proto_data: encodeTimeseriesMessage('MetaQueryMeasurementCondition', { op: OP_CODE[c.op], value: c.value }),
      };
    case 'source':
      return {
        type: MetaQueryConditionType.SOURCE,
        proto_data: encodeTimeseriesMessage('MetaQuerySourceCondition', { op: OP_CODE[c.op], value: c.value }),
      };
    case 'tag':
      return {
        type: MetaQueryConditionType.TAG,
        proto_data: encodeTimeseriesMessage('MetaQueryTagCondition', {
          op: OP_CODE[c.op],
          tag_name: c.name,
          value: c.value,
        }),
      };
    case 'attribute':
      return {
        type: MetaQueryConditionType.ATTRIBUTE,
        proto_data: encodeTimeseriesMessage('MetaQueryAttributeCondition', {
          op: OP_CODE[c.op],
          attr_name: c.name,
          value: c.value,
        }),
      };
    case 'updateTime':
      return {
        type: MetaQueryConditionType.UPDATE_TIME,
        proto_data: encodeTimeseriesMessage('MetaQueryUpdateTimeCondition', { op: OP_CODE[c.op], value: c.value }),
      };
  }
}

export class MetaConditionError extends FormatError {
  override readonly name = 'MetaConditionError';
}

function opName(code: number): MetaOperator {
  const op = OP_NAME.get(code);
  if (!op) throw new MetaConditionError(`unknown meta query operator ${code}`);
  return op;
}

/** Inverse of encodeMetaCondition; throws MetaConditionError (or a protobuf decode error) for bad input. */
export function decodeMetaCondition(msg: MetaQueryConditionMsg, depth = 0): MetaCondition {
  if (depth > 32) throw new MetaConditionError('meta query condition nested too deeply');
  switch (msg.type) {
    case MetaQueryConditionType.COMPOSITE: {
      const m = decodeTimeseriesMessage('MetaQueryCompositeCondition', msg.proto_data);
      const conditions = (m.sub_conditions ?? []).map((s) => decodeMetaCondition(s, depth + 1));
      if (conditions.length === 0) throw new MetaConditionError('composite condition without sub conditions');
      if (m.op === MetaQueryCompositeOperator.AND) return { kind: 'and', conditions };
      if (m.op === MetaQueryCompositeOperator.OR) return { kind: 'or', conditions };
      if (m.op === MetaQueryCompositeOperator.NOT) return { kind: 'not', conditions };
      throw new MetaConditionError(`unknown composite operator ${m.op}`);
    }
    case MetaQueryConditionType.MEASUREMENT: {
      const m = decodeTimeseriesMessage('MetaQueryMeasurementCondition', msg.proto_data);
      return { kind: 'measurement', op: opName(m.op), value: m.value };
    }
    case MetaQueryConditionType.SOURCE: {
      const m = decodeTimeseriesMessage('MetaQuerySourceCondition', msg.proto_data);
      return { kind: 'source', op: opName(m.op), value: m.value };
    }
    case MetaQueryConditionType.TAG: {
      const m = decodeTimeseriesMessage('MetaQueryTagCondition', msg.proto_data);
      return { kind: 'tag', name: m.tag_name, op: opName(m.op), value: m.value };
    }
    case MetaQueryConditionType.ATTRIBUTE: {
      const m = decodeTimeseriesMessage('MetaQueryAttributeCondition', msg.proto_data);
      return { kind: 'attribute', name: m.attr_name, op: opName(m.op), value: m.value };
    }
    case MetaQueryConditionType.UPDATE_TIME: {
      const m = decodeTimeseriesMessage('MetaQueryUpdateTimeCondition', msg.proto_data);
      const op = opName(m.op);
      if (op === 'prefix') throw new MetaConditionError('PREFIX does not apply to update time');
      return { kind: 'updateTime', op, value: BigInt(m.value) };
    }
    default:
      throw new MetaConditionError(`unknown meta query condition type ${msg.type}`);
  }
}
