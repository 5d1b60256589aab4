/**
 * Expressions: the parser's tree compiled once per query into closures over a row (an array of values), so
 * per-row work is a few calls, no tree walking or name lookups. Column references are resolved at compile
 * time (an unknown column fails the query even on an empty table). NULL follows SQL three-valued logic;
 * comparing or combining values of unrelated types is a type-mismatch error, never a silent coercion.
 */
import type { AstNode } from './parse';
import { columnName } from './parse';
import { callFunction, isKnownFunction } from './functions';
import { compareValues, describeValue, sqlError, type SqlValue } from './values';
import { likeMatcher } from '../pattern-match';

export type Row = SqlValue[];
export type Compiled = (row: Row) => SqlValue;

export interface CompileScope {
  /** Index in the row of a column reference; throws for unknown columns. */
  column(table: string | null, name: string): number;
  /**
   * Index of a whole sub-expression computed elsewhere (GROUP BY keys, aggregates); checked before the
   * node is compiled structurally. Undefined = compile it here.
   */
  precomputed?(node: AstNode): number | undefined;
  /** Why aggregates are not allowed here (e.g. in WHERE); undefined when they are precomputed. */
  readonly aggregateError?: string;
  readonly nowMs: number;
}

export function nodeKey(node: unknown): string {
  return JSON.stringify(node);
}

const MAX = 0x7fffffffffffffffn;
const MIN = -0x8000000000000000n;

function checkedInt(v: bigint): bigint {
  if (v > MAX || v < MIN) throw sqlError('BIGINT value is out of range.');
  return v;
}

/** TRUE / FALSE / NULL of a condition value. */
export function truth(v: SqlValue): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  throw sqlError(`Type mismatch: a ${describeValue(v)} value cannot be used as a condition.`);
}

function numeric(v: Exclude<SqlValue, null>, op: string): bigint | number {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw sqlError(`Type mismatch: operator ${op} does not apply to ${describeValue(v)}.`);
}

export function arithmetic(op: string, a: SqlValue, b: SqlValue): SqlValue {
  if (a === null || b === null) return null;
  const x = numeric(a, op);
  const y = numeric(b, op);
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    switch (op) {
      case '+':
        return checkedInt(x + y);
      case '-':
        return checkedInt(x - y);
      case '*':
        return checkedInt(x * y);
      case '/':
        return y === 0n ? null : Number(x) / Number(y);
      case 'DIV':
        return y === 0n ? null : checkedInt(x / y);
      default:
        return y === 0n ? null : x % y;
    }
  }
  const p = Number(x);
  const q = Number(y);
  switch (op) {
    case '+':
      return p + q;
    case '-':
      return p - q;
    case '*':
      return p * q;
    case '/':
      return q === 0 ? null : p / q;
    case 'DIV':
      return q === 0 ? null : checkedInt(BigInt(Math.trunc(p / q)));
    default:
      return q === 0 ? null : p % q;
  }
}

function equalOrNull(a: SqlValue, b: SqlValue): boolean | null {
  if (a === null || b === null) return null;
  return compareValues(a, b) === 0;
}

function compareOp(op: string, a: SqlValue, b: SqlValue): boolean | null {
  if (a === null || b === null) return null;
  const c = compareValues(a, b);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

/** Value of a literal node, or undefined when the node is not a literal. */
export function literalValue(node: AstNode): SqlValue | undefined {
  switch (node.type) {
    case 'number':
    case 'bigint': {
      const v = node.value;
      if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
      const s = String(v);
      return /^-?\d+$/.test(s) ? checkedInt(BigInt(s)) : Number(s);
    }
    case 'single_quote_string':
    case 'double_quote_string':
    case 'natural_string':
    case 'string':
      return String(node.value);
    case 'bool':
    case 'boolean':
      return Boolean(node.value);
    case 'null':
      return null;
    case 'hex_string':
      return new Uint8Array(Buffer.from(String(node.value), 'hex'));
    default:
      return undefined;
  }
}

export function functionName(node: AstNode): string {
  const n = node.name as { name?: { value: string }[] } | string;
  if (typeof n === 'string') return n.toLowerCase();
  return (n.name ?? [])
    .map((p) => p.value)
    .join('.')
    .toLowerCase();
}

function argList(node: AstNode): AstNode[] {
  const args = node.args as { type?: string; value?: AstNode[] } | undefined;
  if (!args) return [];
  return args.value ?? [];
}

const CAST_TARGETS = new Set([
  'CHAR',
  'VARCHAR',
  'TEXT',
  'MEDIUMTEXT',
  'STRING',
  'SIGNED',
  'INTEGER',
  'INT',
  'BIGINT',
  'UNSIGNED',
  'DOUBLE',
  'FLOAT',
  'DECIMAL',
  'REAL',
  'BINARY',
  'VARBINARY',
  'BLOB',
  'BOOL',
  'BOOLEAN',
]);

function castTo(v: SqlValue, target: string): SqlValue {
  if (v === null) return null;
  const t = target.toUpperCase();
  if (t === 'CHAR' || t === 'VARCHAR' || t === 'TEXT' || t === 'MEDIUMTEXT' || t === 'STRING') {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  }
  if (t === 'SIGNED' || t === 'INTEGER' || t === 'INT' || t === 'BIGINT' || t === 'UNSIGNED') {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return checkedInt(BigInt(Math.round(v)));
    if (typeof v === 'boolean') return v ? 1n : 0n;
    if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return checkedInt(BigInt(v.trim()));
    throw sqlError(`Cannot cast ${describeValue(v)} value to ${t}.`);
  }
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'DECIMAL' || t === 'REAL') {
    if (typeof v === 'string') {
      const n = Number(v);
      if (v.trim() === '' || Number.isNaN(n)) throw sqlError(`Cannot cast '${v}' to ${t}.`);
      return n;
    }
    if (v instanceof Uint8Array) throw sqlError(`Cannot cast VARBINARY value to ${t}.`);
    return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  }
  if (t === 'BINARY' || t === 'VARBINARY' || t === 'BLOB') {
    if (v instanceof Uint8Array) return v;
    return new Uint8Array(Buffer.from(typeof v === 'string' ? v : String(v), 'utf8'));
  }
  if (t === 'BOOL' || t === 'BOOLEAN') return truth(v);
  throw sqlError(`CAST to ${t} is not supported.`);
}

export function compile(node: AstNode, scope: CompileScope): Compiled {
  const pre = scope.precomputed?.(node);
  if (pre !== undefined) return (row) => row[pre];
  const lit = literalValue(node);
  if (lit !== undefined) return () => lit;
  const sub = (n: unknown) => compile(n as AstNode, scope);
  switch (node.type) {
    case 'column_ref': {
      const name = columnName(node);
      if (name === '*') throw sqlError("'*' is only allowed in the select list and COUNT(*).");
      const i = scope.column((node.table as string | null) ?? null, name);
      return (row) => row[i];
    }
    case 'aggr_func':
      throw sqlError(scope.aggregateError ?? 'Invalid use of group function.');
    case 'unary_expr': {
      const op = String(node.operator).toUpperCase();
      const e = sub(node.expr);
      if (op === 'NOT' || op === '!') {
        return (row) => {
          const t = truth(e(row));
          return t === null ? null : !t;
        };
      }
      if (op === '-') return (row) => arithmetic('-', 0n, e(row));
      if (op === '+') return e;
      throw sqlError(`Operator ${op} is not supported.`);
    }
    case 'binary_expr':
      return compileBinary(node, scope);
    case 'function': {
      const name = functionName(node);
      // `NOT (x)` reaches us as a call of a function named NOT.
      if (name === 'not' && argList(node).length === 1) {
        const e = sub(argList(node)[0]);
        return (row) => {
          const t = truth(e(row));
          return t === null ? null : !t;
        };
      }
      if (!isKnownFunction(name)) throw sqlError(`Function ${name} is not supported.`);
      const args = argList(node).map(sub);
      const now = scope.nowMs;
      return (row) =>
        callFunction(
          name,
          args.map((a) => a(row)),
          now,
        );
    }
    case 'cast': {
      const e = sub(node.expr);
      const target = ((node.target as { dataType: string }[])[0] ?? { dataType: 'CHAR' }).dataType;
      if (!CAST_TARGETS.has(target.toUpperCase())) throw sqlError(`CAST to ${target.toUpperCase()} is not supported.`);
      return (row) => castTo(e(row), target);
    }
    case 'case': {
      const base = node.expr ? sub(node.expr) : undefined;
      const arms = (node.args as { type: string; cond?: AstNode; result: AstNode }[]).map((a) => ({
        cond: a.type === 'when' ? sub(a.cond) : undefined,
        result: sub(a.result),
      }));
      return (row) => {
        const b = base?.(row);
        for (const arm of arms) {
          if (!arm.cond) return arm.result(row);
          const c = arm.cond(row);
          const hit = base ? equalOrNull(b ?? null, c) : truth(c);
          if (hit) return arm.result(row);
        }
        return null;
      };
    }
    case 'expr_list': {
      const items = ((node.value as AstNode[]) ?? []).map(sub);
      if (items.length === 1) return items[0];
      throw sqlError('Row constructors are not supported.');
    }
    case 'interval':
      throw sqlError('INTERVAL expressions are not supported.');
    default:
      if (node.type === undefined || node.ast || node.type === 'select')
        throw sqlError('Subqueries are not supported.');
      throw sqlError(`Expression of type ${node.type} is not supported.`);
  }
}

function compileBinary(node: AstNode, scope: CompileScope): Compiled {
  const op = String(node.operator).toUpperCase();
  const left = compile(node.left as AstNode, scope);
  const rightNode = node.right as AstNode;
  switch (op) {
    case 'AND': {
      const right = compile(rightNode, scope);
      return (row) => {
        const a = truth(left(row));
        if (a === false) return false;
        const b = truth(right(row));
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    }
    case 'OR':
    case '||': {
      const right = compile(rightNode, scope);
      return (row) => {
        const a = truth(left(row));
        if (a === true) return true;
        const b = truth(right(row));
        if (b === true) return true;
        return a === null || b === null ? null : false;
      };
    }
    case 'XOR': {
      const right = compile(rightNode, scope);
      return (row) => {
        const a = truth(left(row));
        const b = truth(right(row));
        return a === null || b === null ? null : a !== b;
      };
    }
    case '=':
    case '!=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const right = compile(rightNode, scope);
      return (row) => compareOp(op, left(row), right(row));
    }
    case '<=>': {
      const right = compile(rightNode, scope);
      return (row) => {
        const a = left(row);
        const b = right(row);
        return a === null || b === null ? a === b : compareValues(a, b) === 0;
      };
    }
    case '+':
    case '-':
    case '*':
    case '/':
    case 'DIV':
    case '%':
    case 'MOD': {
      const right = compile(rightNode, scope);
      const o = op === 'MOD' ? '%' : op;
      return (row) => arithmetic(o, left(row), right(row));
    }
    case 'IS':
    case 'IS NOT': {
      const target = literalValue(rightNode);
      if (target === undefined || (target !== null && typeof target !== 'boolean'))
        throw sqlError(`${op} expects NULL, TRUE or FALSE.`);
      const negate = op === 'IS NOT';
      return (row) => {
        const v = left(row);
        const hit = target === null ? v === null : v !== null && truth(v) === target;
        return negate ? !hit : hit;
      };
    }
    case 'IN':
    case 'NOT IN': {
      const items = ((rightNode.value as AstNode[] | undefined) ?? []).map((n) => compile(n, scope));
      if (rightNode.type !== 'expr_list' || items.length === 0)
        throw sqlError('IN expects a list of values; subqueries are not supported.');
      const negate = op === 'NOT IN';
      return (row) => {
        const v = left(row);
        if (v === null) return null;
        let sawNull = false;
        for (const item of items) {
          const x = item(row);
          if (x === null) sawNull = true;
          else if (compareValues(v, x) === 0) return !negate;
        }
        return sawNull ? null : negate;
      };
    }
    case 'BETWEEN':
    case 'NOT BETWEEN': {
      const [lo, hi] = ((rightNode.value as AstNode[]) ?? []).map((n) => compile(n, scope));
      const negate = op === 'NOT BETWEEN';
      return (row) => {
        const v = left(row);
        const a = compareOp('>=', v, lo(row));
        const b = compareOp('<=', v, hi(row));
        const r = a === false || b === false ? false : a === null || b === null ? null : true;
        return r === null ? null : negate ? !r : r;
      };
    }
    case 'LIKE':
    case 'NOT LIKE': {
      const negate = op === 'NOT LIKE';
      const constant = literalValue(rightNode);
      const fixed = typeof constant === 'string' ? likeMatcher(constant) : undefined;
      const right = compile(rightNode, scope);
      return (row) => {
        const v = left(row);
        const p = fixed ? '' : right(row);
        if (v === null || p === null) return null;
        if (typeof v !== 'string' || (!fixed && typeof p !== 'string')) {
          throw sqlError(
            `Type mismatch: LIKE applies to strings, not ${describeValue(typeof v !== 'string' ? v : p)}.`,
          );
        }
        const hit = (fixed ?? likeMatcher(p as string))(v);
        return negate ? !hit : hit;
      };
    }
    default:
      throw sqlError(`Operator ${op} is not supported.`);
  }
}
