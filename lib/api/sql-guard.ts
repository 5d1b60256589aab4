/**
 * The gate in front of `POST /sql` (docs/functions.md, "SQL"): decides, without a SQL parser, whether a
 * statement is read-only and which tables it names, so the table allowlist can be enforced on every one of
 * them before Tablestore sees the statement.
 *
 * It is a tokenizer plus a small state machine, deliberately conservative: whatever it does not recognise is
 * refused (400), never passed on. Lexing is chosen so that where our reading could differ from the server's,
 * we refuse: comments of every form are refused (so no comment can hide or reveal a statement), a backslash
 * before the closing quote character is refused (the only place where "backslash escapes" and "no escapes"
 * put a literal's end in different places), and any character outside the small set SQL needs here is
 * refused. `;` may only end the statement. Every FROM, JOIN and comma of a FROM list, at any depth of
 * parentheses (subqueries, derived tables, join groups), must be followed by a plain table name (optionally
 * `` `t::meta` ``, whose table is t), and only a known set of tokens may follow a table name. Words that
 * would let a statement read a table outside FROM/JOIN (TABLE, LATERAL, WITH, SELECT anywhere but the start
 * of a parenthesised query, set operations, INTO, locking clauses) are refused.
 *
 * A parser (node-sql-parser, which Tablestore Local uses) would know more, but costs ~1 MB of bundle and its
 * load time at cold start; the route needs only the statement kind and the table names. Even this gate is
 * loaded on the first SQL request only: the build emits it as a file beside the function's bundle
 * (scripts/build.ts, SIDE_MODULES), so it imports nothing of ours that holds state or classes.
 */
import { isTableName } from '../tablestore/names';

export type SqlKind = 'SELECT' | 'SHOW TABLES' | 'SHOW INDEX' | 'DESCRIBE';

export interface CheckedSql {
  readonly kind: SqlKind;
  /** Tables the statement names (t for `t::meta`), in order of appearance, without repeats. */
  readonly tables: readonly string[];
  /** The statement to send: trailing `;` removed and, for SELECT, the top-level LIMIT at most `maxRows + 1`. */
  readonly statement: string;
}

/** Parentheses nested deeper than this are refused (they only make the server's parser work harder). */
const MAX_DEPTH = 32;

/** Why a statement is refused; caught in checkSql, which answers it as a value. */
class Refused extends Error {}
const reject = (why: string): never => {
  throw new Refused(`body field 'query' ${why}`);
};

interface Token {
  /** word: unquoted identifier or keyword; ident: `quoted`; string: '…' or "…"; num; punct; op. */
  readonly kind: 'word' | 'ident' | 'string' | 'num' | 'punct' | 'op';
  /** Upper-cased text for words, the unquoted name for idents, the text otherwise. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const WS = /[ \t\n\r\f\v]/;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:0[xX][0-9A-Fa-f]+|0[bB][01]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/y;
const OPS = [
  '<=>',
  '<<',
  '>>',
  '<=',
  '>=',
  '<>',
  '!=',
  '||',
  '&&',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '|',
  '&',
  '^',
  '~',
  '!',
];

function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (n: number) => `at character ${n + 1}`;
  while (i < sql.length) {
    const c = sql[i];
    if (WS.test(c)) {
      i += 1;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*'))
      reject(`contains a comment ${at(i)}; comments are not accepted`);
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) reject(`has an unterminated string ${at(i)}`);
        const d = sql[j];
        if (d === '\\') {
          if (sql[j + 1] === c) reject(`has a backslash before a quote ${at(j)}; double the quote instead (${c}${c})`);
          j += 2;
          continue;
        }
        if (d === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j += 1;
      }
      tokens.push({ kind: 'string', value: sql.slice(i, j + 1), start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      let j = i + 1;
      let name = '';
      for (;;) {
        if (j >= sql.length) reject(`has an unterminated quoted name ${at(i)}`);
        if (sql[j] === '`') {
          if (sql[j + 1] === '`') {
            name += '`';
            j += 2;
            continue;
          }
          break;
        }
        name += sql[j];
        j += 1;
      }
      tokens.push({ kind: 'ident', value: name, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(sql);
    if (word) {
      tokens.push({ kind: 'word', value: word[0].toUpperCase(), start: i, end: i + word[0].length });
      i += word[0].length;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(sql);
    if (num) {
      const end = i + num[0].length;
      // MySQL reads 1abc as a name; refuse rather than guess.
      if (end < sql.length && /[A-Za-z0-9_]/.test(sql[end])) reject(`has a malformed number ${at(i)}`);
      tokens.push({ kind: 'num', value: num[0], start: i, end });
      i = end;
      continue;
    }
    if ('(),.;'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', value: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    const cp = sql.codePointAt(i) ?? 0;
    reject(
      `has a character that is not accepted outside quotes ${at(i)}: ${cp >= 0x20 && cp < 0x7f ? `'${c}'` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`}`,
    );
  }
  return tokens;
}

/** Words that end or continue a FROM list; anything else after a table name (but an alias) is refused. */
const AFTER_TABLE = new Set([
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'OUTER',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ON',
  'USING',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
]);
/** Clauses after which a comma no longer separates tables. */
const END_OF_FROM = new Set(['WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'WINDOW']);
/** Words refused anywhere in a SELECT: other ways to read a table, writes, locks, set operations. */
const REFUSED = new Set([
  'INTO',
  'OUTFILE',
  'DUMPFILE',
  'LOCK',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'TABLE',
  'LATERAL',
  'VALUES',
  'PROCEDURE',
  'HANDLER',
  'JSON_TABLE',
  'WINDOW',
  'OVER',
  'USE',
  'FORCE',
  'IGNORE',
  'PARTITION',
  'TABLESAMPLE',
]);
/** Words that can be neither a table name nor an alias. */
const RESERVED = new Set([
  ...AFTER_TABLE,
  ...END_OF_FROM,
  ...REFUSED,
  'SELECT',
  'FROM',
  'AS',
  'WITH',
  'FOR',
  'AND',
  'OR',
  'NOT',
  'XOR',
  'IN',
  'IS',
  'LIKE',
  'BETWEEN',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'NULL',
  'DISTINCT',
  'ALL',
  'EXISTS',
  'DUAL',
  'SET',
]);

interface Frame {
  /** select: a query; group: a parenthesised join list; expr: anything else (function arguments, lists…). */
  readonly kind: 'select' | 'group' | 'expr';
  inFrom: boolean;
  expectTable: boolean;
  /** Just after a table name or a derived table: an alias may come (1), or only a FROM-list token (2). */
  after: 0 | 1 | 2;
  /** The table factor this frame stands for in its parent (derived table or join group). */
  readonly factor: boolean;
}

/** The table a FROM/JOIN/SHOW INDEX/DESCRIBE names at token i: t for `t::meta`; 400 unless a plain table name. */
function tableAt(sql: string, tokens: readonly Token[], i: number): string {
  const t = tokens[i];
  if (t.kind === 'word' && RESERVED.has(t.value)) reject(`expects a table name where it has '${t.value}'`);
  if (t.kind !== 'word' && t.kind !== 'ident') reject(`expects a table name at character ${t.start + 1}`);
  if (tokens[i + 1]?.value === '.')
    reject(`names a qualified table at character ${t.start + 1}; use the table name alone`);
  // Names are case-sensitive, as Tablestore's: the allowlist sees what was written.
  const raw = t.kind === 'ident' ? t.value : sql.slice(t.start, t.end);
  const base = raw.endsWith('::meta') ? raw.slice(0, -'::meta'.length) : raw;
  if (!isTableName(base)) reject(`names '${raw.slice(0, 80)}', which is not a table name`);
  return base;
}

/**
 * The token after SELECT (at i) must start a select list: `SELECT = 'x'` (or `:=`, `<=`…) is an assignment or
 * nothing, never a query, and a parser reads it as another kind of statement.
 */
function selectListAt(tokens: readonly Token[], i: number): void {
  const t = tokens[i];
  if (!t) reject('has SELECT without a select list');
  if (t.kind === 'op' && t.value.endsWith('='))
    reject(`has '${t.value}' right after SELECT at character ${t.start + 1}`);
}

function checkSelect(sql: string, tokens: readonly Token[], maxRows: number): { tables: string[]; statement: string } {
  selectListAt(tokens, 1);
  const tables: string[] = [];
  const stack: Frame[] = [{ kind: 'select', inFrom: false, expectTable: false, after: 0, factor: false }];
  let limit: { countAt: Token } | undefined;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    const f = stack[stack.length - 1];
    const w = t.kind === 'word' ? t.value : undefined;
    if (f.after !== 0) {
      const alias = f.after === 1;
      f.after = 0;
      if (alias && w === 'AS') {
        const a = tokens[i + 1];
        if (!a || !(a.kind === 'ident' || (a.kind === 'word' && !RESERVED.has(a.value))))
          reject(`expects an alias after AS at character ${t.start + 1}`);
        i += 1;
        f.after = 2;
        continue;
      }
      if (alias && (t.kind === 'ident' || (w !== undefined && !RESERVED.has(w)))) {
        f.after = 2;
        continue;
      }
      if (!(t.value === ',' || t.value === ')' || (w !== undefined && AFTER_TABLE.has(w))))
        reject(
          `has '${sql.slice(t.start, t.end).slice(0, 40)}' after a table at character ${t.start + 1}, which is not supported`,
        );
    }
    if (f.expectTable) {
      f.expectTable = false;
      if (t.value === '(' && t.kind === 'punct') {
        if (stack.length >= MAX_DEPTH) reject(`nests parentheses deeper than ${MAX_DEPTH}`);
        const subquery = tokens[i + 1]?.kind === 'word' && tokens[i + 1].value === 'SELECT';
        stack.push(
          subquery
            ? { kind: 'select', inFrom: false, expectTable: false, after: 0, factor: true }
            : { kind: 'group', inFrom: true, expectTable: true, after: 0, factor: true },
        );
        if (subquery) {
          selectListAt(tokens, i + 2);
          i += 1;
        }
        continue;
      }
      const name = tableAt(sql, tokens, i);
      if (!tables.includes(name)) tables.push(name);
      f.after = 1;
      continue;
    }
    if (t.kind === 'punct') {
      if (t.value === '(') {
        if (stack.length >= MAX_DEPTH) reject(`nests parentheses deeper than ${MAX_DEPTH}`);
        const subquery = tokens[i + 1]?.kind === 'word' && tokens[i + 1].value === 'SELECT';
        stack.push({ kind: subquery ? 'select' : 'expr', inFrom: false, expectTable: false, after: 0, factor: false });
        if (subquery) {
          selectListAt(tokens, i + 2);
          i += 1;
        }
      } else if (t.value === ')') {
        const closed = stack.pop() as Frame;
        if (stack.length === 0) reject(`has an unmatched ')' at character ${t.start + 1}`);
        if (closed.factor) stack[stack.length - 1].after = closed.kind === 'select' ? 1 : 2;
      } else if (t.value === ',') {
        if (f.kind !== 'expr' && f.inFrom) f.expectTable = true;
      } else if (t.value === ';') {
        reject(`has more than one statement (';' at character ${t.start + 1}); send one statement per request`);
      }
      continue;
    }
    if (w === undefined) continue;
    if (REFUSED.has(w)) reject(`uses '${w}', which this API does not accept`);
    if (w === 'SELECT') reject(`has SELECT at character ${t.start + 1}; a subquery must be in parentheses`);
    if (w === 'WITH' && tokens[i + 1]?.value !== 'ROLLUP') reject(`uses 'WITH', which this API does not accept`);
    if (f.kind === 'expr') continue;
    if (w === 'FOR') reject(`uses 'FOR', which this API does not accept`);
    if (w === 'FROM') {
      if (f.kind !== 'select' || f.inFrom) reject(`has an unexpected FROM at character ${t.start + 1}`);
      f.inFrom = true;
      f.expectTable = true;
    } else if (w === 'JOIN' || w === 'STRAIGHT_JOIN') {
      if (!f.inFrom) reject(`has JOIN outside a FROM clause at character ${t.start + 1}`);
      f.expectTable = true;
    } else if (END_OF_FROM.has(w)) {
      if (f.kind === 'group') reject(`has '${w}' inside a parenthesised join at character ${t.start + 1}`);
      f.inFrom = false;
      if (w === 'LIMIT' && stack.length === 1) {
        // LIMIT count | LIMIT offset, count | LIMIT count OFFSET offset, and nothing after it.
        const a = tokens[i + 1];
        const sep = tokens[i + 2];
        const b = tokens[i + 3];
        const int = (x: Token | undefined) => x?.kind === 'num' && /^\d+$/.test(x.value);
        if (!int(a)) reject(`needs a whole number after LIMIT`);
        let count = a;
        let used = 2;
        if (sep?.value === ',' || (sep?.kind === 'word' && sep.value === 'OFFSET')) {
          if (!int(b)) reject(`needs a whole number after LIMIT … ${sep.value}`);
          if (sep.value === ',') count = b;
          used = 4;
        }
        if (i + used < tokens.length)
          reject(
            `has '${sql.slice(tokens[i + used].start, tokens[i + used].end)}' after LIMIT, which is not supported`,
          );
        limit = { countAt: count };
        i += used - 1;
      }
    }
  }
  if (stack.length !== 1) reject(`has an unclosed '('`);
  if (stack[0].expectTable) reject('ends where a table name is expected');
  const cap = maxRows + 1;
  let statement: string;
  if (limit === undefined) statement = `${sql} LIMIT ${cap}`;
  else if (BigInt(limit.countAt.value) > BigInt(cap))
    statement = `${sql.slice(0, limit.countAt.start)}${cap}${sql.slice(limit.countAt.end)}`;
  else statement = sql;
  return { tables, statement };
}

/**
 * Checks one statement for `POST /sql`: `refused` (a message naming `body field 'query'`, for a 400) unless it
 * is a single SELECT, SHOW TABLES, SHOW INDEX FROM t or DESCRIBE t that this gate fully understands.
 * `maxRows` caps a SELECT's LIMIT (one more row is asked for, to tell a complete answer from a cut one).
 */
export function checkSql(query: string, maxRows: number): CheckedSql | { readonly refused: string } {
  try {
    return check(query, maxRows);
  } catch (e) {
    if (e instanceof Refused) return { refused: e.message };
    throw e;
  }
}

function check(query: string, maxRows: number): CheckedSql {
  let tokens = lex(query);
  let sql = query;
  const last = tokens[tokens.length - 1];
  if (last?.kind === 'punct' && last.value === ';') {
    tokens = tokens.slice(0, -1);
    sql = query.slice(0, last.start);
  }
  sql = sql.trimEnd();
  const first = tokens[0];
  if (!first) reject('is empty');
  const word = (k: number) => (tokens[k]?.kind === 'word' ? tokens[k].value : undefined);
  const end = (k: number) => {
    if (k < tokens.length)
      reject(
        `has '${sql.slice(tokens[k].start, tokens[k].end).slice(0, 40)}' at character ${tokens[k].start + 1}, which is not supported here`,
      );
  };
  for (const t of tokens)
    if (t.kind === 'punct' && t.value === ';')
      reject(`has more than one statement (';' at character ${t.start + 1}); send one statement per request`);
  switch (word(0)) {
    case 'SELECT': {
      const { tables, statement } = checkSelect(sql, tokens, maxRows);
      return { kind: 'SELECT', tables, statement };
    }
    case 'SHOW': {
      if (word(1) === 'TABLES') {
        end(2);
        return { kind: 'SHOW TABLES', tables: [], statement: sql };
      }
      if (word(1) === 'INDEX' || word(1) === 'INDEXES' || word(1) === 'KEYS') {
        if (word(2) !== 'FROM' && word(2) !== 'IN') reject(`needs FROM after SHOW ${word(1)}`);
        if (!tokens[3]) reject('ends where a table name is expected');
        const name = tableAt(sql, tokens, 3);
        end(4);
        return { kind: 'SHOW INDEX', tables: [name], statement: sql };
      }
      return reject('is a SHOW statement other than SHOW TABLES or SHOW INDEX FROM t, which this API does not accept');
    }
    case 'DESCRIBE':
    case 'DESC': {
      if (!tokens[1]) reject('ends where a table name is expected');
      const name = tableAt(sql, tokens, 1);
      end(2);
      return { kind: 'DESCRIBE', tables: [name], statement: sql };
    }
    default:
      return reject(
        `must be one read-only statement: SELECT, SHOW TABLES, SHOW INDEX FROM t or DESCRIBE t (got '${sql.slice(first.start, first.end).slice(0, 40)}')`,
      );
  }
}
