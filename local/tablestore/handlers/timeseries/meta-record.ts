/**
 * Series meta records (one per series, in the table's meta space keyed by the series key) and the
 * evaluation of QueryTimeseriesMeta conditions against them.
 */
import { compareUtf8 } from '../../../../lib/tablestore/protocol/flatbuffer-rows';
import type { MetaCondition, MetaOperator } from '../../../../lib/tablestore/timeseries/conditions';
import { parseTags } from '../../../../lib/tablestore/timeseries/tags';

export interface MetaRecord {
  readonly measurement: string;
  readonly dataSource: string;
  /** Tags in string form (sorted). */
  readonly tags: string;
  /** Attributes in string form (sorted). */
  readonly attributes: string;
  /** µs */
  readonly updateTime: bigint;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeMeta(m: MetaRecord): Uint8Array {
  return enc.encode(
    JSON.stringify({ m: m.measurement, s: m.dataSource, t: m.tags, a: m.attributes, u: m.updateTime.toString() }),
  );
}

export function decodeMeta(bytes: Uint8Array): MetaRecord {
  const o = JSON.parse(dec.decode(bytes)) as { m: string; s: string; t: string; a: string; u: string };
  return { measurement: o.m, dataSource: o.s, tags: o.t, attributes: o.a, updateTime: BigInt(o.u) };
}

function compareOp(op: MetaOperator, cmp: number): boolean {
  switch (op) {
    case '=':
      return cmp === 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    default:
      return false;
  }
}

function matchString(op: MetaOperator, actual: string | undefined, expected: string): boolean {
  if (actual === undefined) return false;
  if (op === 'prefix') return actual.startsWith(expected);
  return compareOp(op, compareUtf8(actual, expected));
}

/** A meta with its tag/attribute maps parsed lazily (only conditions that need them pay for it). */
export class MetaView {
  private tagMap?: Record<string, string>;
  private attrMap?: Record<string, string>;
  constructor(readonly record: MetaRecord) {}
  tag(name: string): string | undefined {
    this.tagMap ??= parseTags(this.record.tags);
    return Object.prototype.hasOwnProperty.call(this.tagMap, name) ? this.tagMap[name] : undefined;
  }
  attribute(name: string): string | undefined {
    this.attrMap ??= parseTags(this.record.attributes);
    return Object.prototype.hasOwnProperty.call(this.attrMap, name) ? this.attrMap[name] : undefined;
  }
}

/**
 * Single conditions on a tag or attribute the series lacks are false. NOT of several conditions negates
 * their conjunction.
 */
export function matches(c: MetaCondition, m: MetaView): boolean {
  switch (c.kind) {
    case 'and':
      return c.conditions.every((s) => matches(s, m));
    case 'or':
      return c.conditions.some((s) => matches(s, m));
    case 'not':
      return !c.conditions.every((s) => matches(s, m));
    case 'measurement':
      return matchString(c.op, m.record.measurement, c.value);
    case 'source':
      return matchString(c.op, m.record.dataSource, c.value);
    case 'tag':
      return matchString(c.op, m.tag(c.name), c.value);
    case 'attribute':
      return matchString(c.op, m.attribute(c.name), c.value);
    case 'updateTime': {
      const t = m.record.updateTime;
      return compareOp(c.op, t < c.value ? -1 : t > c.value ? 1 : 0);
    }
  }
}
