/**
 * The `filter` query parameter of `/tables/{table}/rows`: a small JSON condition language compiled to our
 * ColumnFilter (ports.ts), which the wide adapter encodes as a Tablestore column filter. Documented in
 * docs/functions.md ("Filters").
 *
 *   comparison  {"column": "status", "op": "=", "value": "unpaid"}
 *               op: "=" "!=" ">" ">=" "<" "<="; optional "passIfMissing" (default false: a row without the
 *               column does not match) and "latestVersionOnly" (default true)
 *   logic       {"and": [f, …]}  {"or": [f, …]}  {"not": f}
 *               "passIfMissing" / "latestVersionOnly" on a logic node become the default of the comparisons
 *               below it
 *
 * Values are lossless JSON (lossless.ts): numbers, strings, booleans, {"$int64": "…"}, {"$binary": "…"},
 * {"$double": …}, {"$string": "…"}. Tablestore compares a column only with a value of the same type, so when
 * the table declares the column (defined columns) the value is converted to that type or refused. Otherwise a
 * fractional JSON number is a DOUBLE, and an integral one is compared both as an INTEGER and as a DOUBLE
 * (`amount >= 900` matches 950 and 950.5); {"$int64"} / {"$double"} pin one type. Wire facts:
 * docs/protocol-filters.md §1.
 */
import { ApiError } from '../fc/errors';
import type { TsValue } from './lossless';
import type { ColumnFilter, WideTableInfo } from './ports';

/** Tablestore limits of one filter (conditions in the whole tree, nesting depth). */
export const MAX_FILTER_CONDITIONS = 32;
export const MAX_FILTER_DEPTH = 10;

const OPS = ['=', '!=', '>', '>=', '<', '<='] as const;
type Op = (typeof OPS)[number];

/** Declared attribute-column types, normalised from DescribeTable's defined columns. */
export type ColumnType = 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'BINARY';

/** The defined-column type names of WideTableInfo (lib/tablestore/wide.ts names them so). */
const COLUMN_TYPES: ReadonlySet<string> = new Set<ColumnType>(['INTEGER', 'DOUBLE', 'BOOLEAN', 'STRING', 'BINARY']);

export interface FilterSchema {
  readonly primaryKey: ReadonlySet<string>;
  readonly columns: ReadonlyMap<string, ColumnType>;
}

export function filterSchema(info: WideTableInfo): FilterSchema {
  const columns = new Map<string, ColumnType>();
  for (const c of info.definedColumns) {
    if (COLUMN_TYPES.has(c.type)) columns.set(c.name, c.type as ColumnType);
  }
  return { primaryKey: new Set(info.primaryKey.map((c) => c.name)), columns };
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Tablestore's column naming rule. */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

class Compiler {
  private conditions = 0;
  constructor(private readonly schema: FilterSchema) {}

  private fail(path: string, why: string): never {
    throw new ApiError(400, 'InvalidParameter', `query parameter 'filter'${path === '' ? '' : ` at ${path}`}: ${why}`);
  }

  node(
    doc: unknown,
    path: string,
    depth: number,
    defaults: { passIfMissing: boolean; latestVersionOnly: boolean },
  ): ColumnFilter {
    if (depth > MAX_FILTER_DEPTH) this.fail(path, `nested deeper than ${MAX_FILTER_DEPTH} levels`);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) this.fail(path, 'expected an object');
    const o = doc as Record<string, unknown>;
    const inherited = {
      passIfMissing: this.flag(o, 'passIfMissing', path, defaults.passIfMissing),
      latestVersionOnly: this.flag(o, 'latestVersionOnly', path, defaults.latestVersionOnly),
    };
    const logic = (['and', 'or', 'not'] as const).filter((k) => Object.hasOwn(o, k));
    if (logic.length > 1) this.fail(path, `use one of 'and', 'or', 'not' per object (found ${logic.join(', ')})`);
    if (logic.length === 1) {
      const kind = logic[0];
      this.only(o, path, [kind, 'passIfMissing', 'latestVersionOnly']);
      const at = `${path}/${kind}`;
      if (kind === 'not') return { kind: 'not', filter: this.node(o.not, at, depth + 1, inherited) };
      const list = o[kind];
      if (!Array.isArray(list) || list.length === 0) this.fail(at, 'expected a non-empty array of conditions');
      const filters = list.map((f, i) => this.node(f, `${at}/${i}`, depth + 1, inherited));
      // Tablestore's composite filters take two or more conditions; one alone is that condition.
      return filters.length === 1 ? filters[0] : { kind, filters };
    }
    this.only(o, path, ['column', 'op', 'value', 'passIfMissing', 'latestVersionOnly']);
    const column = o.column;
    if (typeof column !== 'string' || !COLUMN_NAME.test(column))
      this.fail(path, "'column' must be a column name (a letter or _, then up to 254 letters, digits or _)");
    if (this.schema.primaryKey.has(column))
      this.fail(
        path,
        `'${column}' is a primary-key column; filters apply to attribute columns (bound the range with start/end instead)`,
      );
    if (typeof o.op !== 'string' || !(OPS as readonly string[]).includes(o.op))
      this.fail(path, `'op' must be one of ${OPS.join(' ')}`);
    if (!Object.hasOwn(o, 'value')) this.fail(path, "'value' is missing");
    const type = this.schema.columns.get(column);
    const value = this.value(o.value, type, `${path}/value`);
    const compare = (v: TsValue): ColumnFilter => ({ kind: 'compare', column, op: o.op as Op, value: v, ...inherited });
    // An integral JSON number on an undeclared column may be meant for an INTEGER or a DOUBLE column, and
    // Tablestore never matches across types: compare with both (either matches; for != both must hold).
    if (type === undefined && typeof o.value === 'number' && typeof value === 'bigint') {
      if (depth + 1 > MAX_FILTER_DEPTH)
        this.fail(
          path,
          `nested deeper than ${MAX_FILTER_DEPTH} levels (a plain integer on an undeclared column adds one; use {"$int64"} or {"$double"})`,
        );
      this.conditions += 2;
      if (this.conditions > MAX_FILTER_CONDITIONS)
        this.fail(
          path,
          `more than ${MAX_FILTER_CONDITIONS} comparisons (a plain integer on an undeclared column counts twice)`,
        );
      return { kind: o.op === '!=' ? 'and' : 'or', filters: [compare(value), compare(o.value)] };
    }
    if (++this.conditions > MAX_FILTER_CONDITIONS) this.fail(path, `more than ${MAX_FILTER_CONDITIONS} comparisons`);
    return compare(value);
  }

  private only(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.fail(path, `unknown key '${k.slice(0, 40)}' (allowed: ${allowed.join(', ')})`);
  }

  private flag(o: Record<string, unknown>, key: string, path: string, dflt: boolean): boolean {
    if (!Object.hasOwn(o, key)) return dflt;
    if (typeof o[key] !== 'boolean') this.fail(path, `'${key}' must be true or false`);
    return o[key];
  }

  private int64(text: string, path: string): bigint {
    if (!/^-?[0-9]{1,20}$/.test(text)) this.fail(path, 'expected an integer');
    const v = BigInt(text);
    if (v < INT64_MIN || v > INT64_MAX) this.fail(path, 'integer out of the int64 range');
    return v;
  }

  /** One comparison value, typed by the column's declared type when known. */
  value(json: unknown, type: ColumnType | undefined, path: string): TsValue {
    const mismatch = (): never => this.fail(path, `column is declared ${type}; the value does not convert to it`);
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const keys = Object.keys(json);
      const o = json as Record<string, unknown>;
      if (keys.length !== 1) this.fail(path, 'a typed value has exactly one of $int64, $double, $binary, $string');
      if (typeof o.$int64 === 'string')
        return type === undefined || type === 'INTEGER' ? this.int64(o.$int64, path) : mismatch();
      if (typeof o.$binary === 'string') {
        if (type !== undefined && type !== 'BINARY') mismatch();
        if (o.$binary.length % 4 !== 0 || !BASE64.test(o.$binary)) this.fail(path, '$binary is not valid base64');
        return new Uint8Array(Buffer.from(o.$binary, 'base64'));
      }
      if (typeof o.$string === 'string') return type === undefined || type === 'STRING' ? o.$string : mismatch();
      if (Object.hasOwn(o, '$double')) {
        if (type !== undefined && type !== 'DOUBLE') mismatch();
        const d = o.$double;
        if (typeof d === 'number') return d;
        if (d === 'NaN') return Number.NaN;
        if (d === 'Infinity') return Number.POSITIVE_INFINITY;
        if (d === '-Infinity') return Number.NEGATIVE_INFINITY;
        this.fail(path, '$double must be a number, "NaN", "Infinity" or "-Infinity"');
      }
      this.fail(path, 'a typed value has exactly one of $int64, $double, $binary, $string');
    }
    switch (typeof json) {
      case 'number':
        // JSON.parse reads an overflowing literal (1e400) as Infinity: say so rather than compare with it.
        if (!Number.isFinite(json))
          this.fail(path, 'number out of range; send {"$double": "Infinity"} to mean infinity');
        if (type === 'DOUBLE') return json;
        if (type === undefined && !Number.isInteger(json)) return json;
        if (type !== undefined && type !== 'INTEGER') return mismatch();
        if (!Number.isSafeInteger(json))
          this.fail(
            path,
            `${json} is not a safe integer; send {"$int64": "<decimal>"} (or {"$double": ${json}} for a DOUBLE column)`,
          );
        return BigInt(json);
      case 'string':
        if (type === 'INTEGER') return this.int64(json, path);
        if (type === 'BINARY') {
          if (json.length % 4 !== 0 || !BASE64.test(json)) this.fail(path, 'not valid base64');
          return new Uint8Array(Buffer.from(json, 'base64'));
        }
        return type === undefined || type === 'STRING' ? json : mismatch();
      case 'boolean':
        return type === undefined || type === 'BOOLEAN' ? json : mismatch();
      default:
        return this.fail(
          path,
          'expected a value (number, string, boolean or a typed {"$int64"|"$double"|"$binary"|"$string": …})',
        );
    }
  }
}

/** Parses and compiles the `filter` query parameter; every mistake is a 400 naming `filter` and where. */
export function compileFilter(raw: string, schema: FilterSchema): ColumnFilter {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'InvalidParameter', "query parameter 'filter' must be a JSON object");
  }
  return new Compiler(schema).node(doc, '', 0, { passIfMissing: false, latestVersionOnly: true });
}

/** Attribute columns a filter reads (they must be fetched for Tablestore to evaluate it). */
export function filterColumns(filter: ColumnFilter, into = new Set<string>()): Set<string> {
  if (filter.kind === 'compare') into.add(filter.column);
  else if (filter.kind === 'not') filterColumns(filter.filter, into);
  else for (const f of filter.filters) filterColumns(f, into);
  return into;
}

/** True when some comparison looks past the newest version (the read must then fetch every version). */
export function needsAllVersions(filter: ColumnFilter): boolean {
  if (filter.kind === 'compare') return !filter.latestVersionOnly;
  if (filter.kind === 'not') return needsAllVersions(filter.filter);
  return filter.filters.some(needsAllVersions);
}
