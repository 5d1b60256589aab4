/**
 * Parser adapter: node-sql-parser (MySQL dialect) turns the query into its AST; this module checks the
 * statement is one Tablestore serves and reshapes the DDL/DBA statements into small typed records. SELECT
 * keeps the parser's expression tree (`AstNode`), which the planner and evaluator walk.
 *
 * Tablestore syntax MySQL's grammar lacks is rewritten before parsing, keeping character offsets so syntax
 * error positions stay true (docs/protocol-sql.md §4): `DROP MAPPING TABLE` (the word MAPPING is blanked),
 * the `BOOL` type in DDL (spelled `BIT ` for the grammar; BIT maps to BOOL), and the `ENGINE=…`,
 * `ENGINE_ATTRIBUTE=…` options after CREATE TABLE's column list (blanked and read here), and a SELECT's
 * `USE INDEX (…)` after a table name (blanked and read here; docs/protocol-sql.md §7).
 */
import nodeSqlParser from 'node-sql-parser/build/mysql.js';
import { treeDepth } from '../../../lib/tablestore/tree-depth';
import { sqlError } from './values';

// The MySQL-only build (a tenth of the all-dialects bundle, so servers start fast). It is CommonJS; under
// Node's ESM loader only its default export is reliable.
const { Parser } = nodeSqlParser;

/** A node of node-sql-parser's tree, read field by field. */
export interface AstNode {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface ColumnDef {
  readonly name: string;
  /** Declared SQL type, upper case, without length (e.g. VARCHAR, BIGINT, MEDIUMTEXT). */
  readonly sqlType: string;
  readonly length?: number;
}

export type Statement =
  | {
      readonly kind: 'select';
      readonly ast: AstNode;
      /** `USE INDEX (names)`: the only indexes the planner may use (none for an empty list). */
      readonly useIndex?: readonly string[];
    }
  | { readonly kind: 'show_tables' }
  | { readonly kind: 'show_index'; readonly table: string }
  | { readonly kind: 'describe'; readonly table: string }
  | {
      readonly kind: 'create';
      readonly table: string;
      readonly ifNotExists: boolean;
      readonly columns: readonly ColumnDef[];
      readonly primaryKey: readonly string[];
      readonly engine: string;
    }
  | { readonly kind: 'drop_mapping'; readonly tables: readonly string[]; readonly ifExists: boolean }
  | {
      readonly kind: 'alter';
      readonly table: string;
      readonly add: readonly ColumnDef[];
      readonly drop: readonly string[];
    };

/** The one parser instance (also turns expressions back into text for result column names). */
export const sqlParser = new Parser();

/** Spans of the query outside quotes/backticks/comments, where keywords may be rewritten. */
function codeMask(q: string): boolean[] {
  const mask = new Array<boolean>(q.length).fill(true);
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (c === "'" || c === '"' || c === '`') {
      const start = i++;
      while (i < q.length && q[i] !== c) i += q[i] === '\\' && c !== '`' ? 2 : 1;
      i++;
      for (let k = start; k < Math.min(i, q.length); k++) mask[k] = false;
    } else if (c === '-' && q[i + 1] === '-') {
      while (i < q.length && q[i] !== '\n') mask[i++] = false;
    } else if (c === '/' && q[i + 1] === '*') {
      const end = q.indexOf('*/', i + 2);
      const stop = end === -1 ? q.length : end + 2;
      while (i < stop) mask[i++] = false;
    } else i++;
  }
  return mask;
}

function blank(q: string, from: number, to: number): string {
  return q.slice(0, from) + ' '.repeat(to - from) + q.slice(to);
}

interface Prepared {
  readonly text: string;
  readonly dropMapping: boolean;
  readonly engine?: string | undefined;
  readonly useIndex?: readonly string[] | undefined;
}

function prepare(query: string): Prepared {
  let text = query;
  const mask = codeMask(text);
  const code = (re: RegExp) => {
    const out: RegExpExecArray[] = [];
    for (const m of text.matchAll(new RegExp(re.source, 'gi'))) if (mask[m.index]) out.push(m);
    return out;
  };
  let dropMapping = false;
  const drop = /^\s*drop\s+(mapping)\s+table\b/i.exec(text);
  if (drop) {
    dropMapping = true;
    const at = drop.index + drop[0].toLowerCase().indexOf('mapping');
    text = blank(text, at, at + 'mapping'.length);
  }
  const ddl = /^\s*(create|alter)\s+table\b/i.test(text);
  let engine: string | undefined;
  if (ddl) {
    for (const m of code(/\bbool\b/)) text = text.slice(0, m.index) + 'BIT ' + text.slice(m.index + 4);
    if (/^\s*create/i.test(text)) {
      const opt = code(/\)\s*engine\s*=/).pop();
      if (opt) {
        const from = opt.index + 1;
        const options = text.slice(from);
        const e = /engine\s*=\s*(['"`]?)([A-Za-z_]+)\1/i.exec(options);
        engine = e ? e[2].toLowerCase() : '';
        text = blank(text, from, text.length);
      }
    }
  }
  let useIndex: string[] | undefined;
  if (/^\s*\(?\s*select\b/i.test(text)) {
    for (const m of code(/\buse\s+index\s*\(([^()]*)\)/)) {
      const names = m[1]
        .split(',')
        .map((n) => n.trim().replace(/^`(.*)`$/, '$1'))
        .filter((n) => n !== '');
      useIndex = [...(useIndex ?? []), ...names];
      text = blank(text, m.index, m.index + m[0].length);
    }
  }
  return { text, dropMapping, engine, useIndex };
}

function syntaxError(err: unknown): Error {
  const loc = (err as { location?: { start?: { line: number; column: number } } }).location?.start;
  const found = /but (.+?) found/.exec(err instanceof Error ? err.message : '')?.[1];
  const where = loc ? ` at line ${loc.line}, column ${loc.column}` : '';
  return sqlError(`You have an error in your SQL syntax${where}${found ? `, near ${found}` : ''}.`);
}

function tableName(entry: unknown): string {
  const t = entry as { db?: string | null; table?: string };
  if (t.db) throw sqlError(`Database qualifier '${t.db}' is not supported; name the table alone.`);
  return String(t.table);
}

export function columnName(ref: unknown): string {
  const c = (ref as { column?: unknown }).column;
  if (typeof c === 'string') return c;
  const inner = (c as { expr?: { value?: unknown } } | undefined)?.expr?.value;
  return String(inner);
}

function columnDef(def: { column: unknown; definition: { dataType: string; length?: number } }): ColumnDef {
  const length = def.definition.length ?? undefined;
  return {
    name: columnName(def.column),
    sqlType: def.definition.dataType.toUpperCase(),
    ...(length === undefined ? {} : { length }),
  };
}

/**
 * How deeply a statement's syntax tree may nest. The planner and the compiled expressions walk it
 * recursively, so a machine-made `a = 1 OR a = 2 OR …` of a few thousand terms would otherwise overflow
 * the stack (an internal error instead of an answer). 1,500 levels take an OR of about 1,500 terms; longer
 * lists of values fit in `IN (…)`, which does not nest.
 */
export const MAX_SYNTAX_DEPTH = 1500;

/** Parses one statement; throws OTSParameterInvalid for syntax errors and statements Tablestore does not serve. */
export function parseStatement(query: string): Statement {
  if (typeof query !== 'string' || query.trim() === '') throw sqlError('The SQL query is empty.');
  const prepared = prepare(query);
  let parsed: unknown;
  try {
    parsed = sqlParser.astify(prepared.text, { database: 'MySQL' });
  } catch (err) {
    throw syntaxError(err);
  }
  if (treeDepth(parsed, MAX_SYNTAX_DEPTH) > MAX_SYNTAX_DEPTH)
    throw sqlError(`The SQL statement nests more than ${MAX_SYNTAX_DEPTH} levels deep; use IN (…) for long lists.`);
  const list = (Array.isArray(parsed) ? parsed : [parsed]).filter(
    (s) => s && typeof (s as { type?: unknown }).type === 'string',
  );
  if (list.length === 0) throw sqlError('The SQL query is empty.');
  if (list.length !== 1) throw sqlError('Only one SQL statement per request is supported.');
  const ast = list[0] as AstNode & Record<string, unknown>;
  switch (ast.type) {
    case 'select':
      return { kind: 'select', ast, ...(prepared.useIndex ? { useIndex: prepared.useIndex } : {}) };
    case 'show': {
      if (ast.keyword === 'tables') return { kind: 'show_tables' };
      if (ast.keyword === 'index' || ast.keyword === 'indexes' || ast.keyword === 'keys') {
        const from = ast.from as unknown[] | undefined;
        if (from && from.length === 1) return { kind: 'show_index', table: tableName(from[0]) };
      }
      throw sqlError(`SHOW ${String(ast.keyword ?? '').toUpperCase()} is not supported.`);
    }
    case 'desc':
      return { kind: 'describe', table: String(ast.table) };
    case 'create': {
      if (ast.keyword !== 'table' || ast.temporary || ast.query_expr || ast.as)
        throw sqlError('Only CREATE TABLE mappings are supported.');
      const tables = ast.table as unknown[];
      const defs = (ast.create_definitions as Record<string, unknown>[] | null) ?? [];
      const columns: ColumnDef[] = [];
      const primaryKey: string[] = [];
      for (const d of defs) {
        if (d.resource === 'column') {
          const col = columnDef(d as never);
          columns.push(col);
          if (d.primary_key) primaryKey.push(col.name);
        } else if (d.resource === 'constraint' && d.constraint_type === 'primary key') {
          for (const k of d.definition as unknown[]) primaryKey.push(columnName(k));
        } else {
          throw sqlError('CREATE TABLE supports column definitions and one PRIMARY KEY only.');
        }
      }
      return {
        kind: 'create',
        table: tableName(tables[0]),
        ifNotExists: Boolean(ast.if_not_exists),
        columns,
        primaryKey,
        engine: prepared.engine ?? 'tablestore',
      };
    }
    case 'drop': {
      if (!prepared.dropMapping)
        throw sqlError(
          'DROP TABLE is not supported; use DROP MAPPING TABLE to remove a mapping (the data table stays).',
        );
      return {
        kind: 'drop_mapping',
        tables: (ast.name as unknown[]).map(tableName),
        ifExists: String(ast.prefix ?? '').toLowerCase() === 'if exists',
      };
    }
    case 'alter': {
      const add: ColumnDef[] = [];
      const drop: string[] = [];
      for (const e of ast.expr as Record<string, unknown>[]) {
        if (e.resource === 'column' && e.action === 'add') add.push(columnDef(e as never));
        else if (e.resource === 'column' && e.action === 'drop') drop.push(columnName(e.column));
        else throw sqlError('ALTER TABLE supports ADD COLUMN and DROP COLUMN only.');
      }
      return { kind: 'alter', table: tableName((ast.table as unknown[])[0]), add, drop };
    }
    default:
      throw sqlError(`${ast.type.toUpperCase()} statements are not supported.`);
  }
}
