/**
 * Differential test: random SELECTs (filters with AND/OR/NOT, comparisons, IN, BETWEEN, LIKE, IS NULL;
 * GROUP BY with aggregates and HAVING; ORDER BY, LIMIT/OFFSET) over random rows, answered by Tablestore Local
 * through the official SDK's sqlQuery and compared with a brute-force evaluation written here.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  sdkClient,
  startLocal,
  TableStore,
  type LocalTablestoreHandle,
  type SdkClient,
} from '../helpers/tablestore-local';
import { sql, type Cell } from './helpers';

let local: LocalTablestoreHandle;
let client: SdkClient;
beforeAll(async () => {
  local = await startLocal();
  client = sdkClient(local);
});
afterAll(async () => local?.stop());

// ------------------------------------------------------------------------------------------- the data

interface DataRow {
  g: string;
  n: bigint;
  a: bigint | null;
  b: number | null;
  s: string | null;
  f: boolean | null;
}
type Col = keyof DataRow;

const STRINGS = ['x', 'xy', 'y', 'yz'];
const DOUBLES = [-2.5, -1, 0, 0.5, 1.5, 3];

const rowArb = fc.record({
  g: fc.constantFrom('a', 'b', 'c'),
  n: fc.integer({ min: 0, max: 30 }).map(BigInt),
  a: fc.option(fc.integer({ min: -5, max: 5 }).map(BigInt), { nil: null }),
  b: fc.option(fc.constantFrom(...DOUBLES), { nil: null }),
  s: fc.option(fc.constantFrom(...STRINGS), { nil: null }),
  f: fc.option(fc.boolean(), { nil: null }),
});
const dataArb = fc.uniqueArray(rowArb, { selector: (r) => `${r.g}/${r.n}`, minLength: 0, maxLength: 40 });

// ------------------------------------------------------------------------------------------ conditions

type Tri = boolean | null;
type Cond =
  | { k: 'cmp'; col: Col; op: string; v: bigint | number | string }
  | { k: 'null'; col: Col; not: boolean }
  | { k: 'in'; col: Col; vs: (bigint | string)[] }
  | { k: 'between'; col: Col; lo: bigint; hi: bigint }
  | { k: 'like'; pat: string }
  | { k: 'flag' }
  | { k: 'and' | 'or'; l: Cond; r: Cond }
  | { k: 'not'; c: Cond };

const OPS = ['=', '<>', '<', '<=', '>', '>='];
const intLit = fc.integer({ min: -1, max: 31 }).map(BigInt);
const smallLit = fc.integer({ min: -6, max: 6 }).map(BigInt);
const atomArb: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({ k: fc.constant('cmp' as const), col: fc.constant<Col>('n'), op: fc.constantFrom(...OPS), v: intLit }),
  fc.record({ k: fc.constant('cmp' as const), col: fc.constant<Col>('a'), op: fc.constantFrom(...OPS), v: smallLit }),
  fc.record({
    k: fc.constant('cmp' as const),
    col: fc.constant<Col>('b'),
    op: fc.constantFrom(...OPS),
    v: fc.constantFrom(-1.5, 0, 0.5, 2),
  }),
  fc.record({
    k: fc.constant('cmp' as const),
    col: fc.constantFrom<Col>('g', 's'),
    op: fc.constantFrom(...OPS),
    v: fc.constantFrom('a', 'b', 'x', 'xy', 'y', 'z'),
  }),
  fc.record({ k: fc.constant('null' as const), col: fc.constantFrom<Col>('a', 'b', 's', 'f'), not: fc.boolean() }),
  fc.record({
    k: fc.constant('in' as const),
    col: fc.constant<Col>('n'),
    vs: fc.array(intLit, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    k: fc.constant('in' as const),
    col: fc.constantFrom<Col>('s', 'g'),
    vs: fc.array(fc.constantFrom('a', 'c', 'x', 'yz'), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ k: fc.constant('between' as const), col: fc.constant<Col>('a'), lo: smallLit, hi: smallLit }),
  fc.record({ k: fc.constant('between' as const), col: fc.constant<Col>('n'), lo: intLit, hi: intLit }),
  fc.record({ k: fc.constant('like' as const), pat: fc.constantFrom('x%', '%y', '_', '%z%', 'y_', '%') }),
  fc.constant<Cond>({ k: 'flag' }),
);
const condArb: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atomArb,
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), l: tie('c'), r: tie('c') }),
    fc.record({ k: fc.constant('not' as const), c: tie('c') }),
  ),
})).c;

const lit = (v: bigint | number | string) => (typeof v === 'string' ? `'${v}'` : String(v));

function condSql(c: Cond): string {
  switch (c.k) {
    case 'cmp':
      return `${c.col} ${c.op} ${lit(c.v)}`;
    case 'null':
      return `${c.col} IS ${c.not ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${c.col} IN (${c.vs.map(lit).join(', ')})`;
    case 'between':
      return `${c.col} BETWEEN ${c.lo} AND ${c.hi}`;
    case 'like':
      return `s LIKE '${c.pat}'`;
    case 'flag':
      return 'f';
    case 'not':
      return `NOT (${condSql(c.c)})`;
    default:
      return `(${condSql(c.l)}) ${c.k.toUpperCase()} (${condSql(c.r)})`;
  }
}

function cmp(a: bigint | number | string, b: bigint | number | string): number {
  if (typeof a === 'string' || typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
}

function likeMatch(pat: string, s: string): boolean {
  const re = new RegExp(`^${pat.replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
  return re.test(s);
}

function evalCond(c: Cond, r: DataRow): Tri {
  switch (c.k) {
    case 'cmp': {
      const v = r[c.col];
      if (v === null) return null;
      const x = cmp(v as bigint | number | string, c.v);
      return { '=': x === 0, '<>': x !== 0, '<': x < 0, '<=': x <= 0, '>': x > 0, '>=': x >= 0 }[c.op]!;
    }
    case 'null':
      return (r[c.col] === null) !== c.not;
    case 'in': {
      const v = r[c.col];
      if (v === null) return null;
      return c.vs.some((x) => cmp(v as bigint | string, x) === 0);
    }
    case 'between': {
      const v = r[c.col] as bigint | null;
      if (v === null) return null;
      return v >= c.lo && v <= c.hi;
    }
    case 'like':
      return r.s === null ? null : likeMatch(c.pat, r.s);
    case 'flag':
      return r.f;
    case 'not': {
      const v = evalCond(c.c, r);
      return v === null ? null : !v;
    }
    case 'and': {
      const a = evalCond(c.l, r);
      const b = evalCond(c.r, r);
      if (a === false || b === false) return false;
      return a === null || b === null ? null : true;
    }
    case 'or': {
      const a = evalCond(c.l, r);
      const b = evalCond(c.r, r);
      if (a === true || b === true) return true;
      return a === null || b === null ? null : false;
    }
  }
}

// ------------------------------------------------------------------------------------------- queries

type Query =
  | { k: 'rows'; where?: Cond | undefined; desc: boolean; limit?: number | undefined; offset: number }
  | { k: 'group'; where?: Cond | undefined; by: 'g' | 's' | 'a' | 'f'; having?: bigint | undefined }
  | { k: 'total'; where?: Cond | undefined };

const queryArb: fc.Arbitrary<Query> = fc.oneof(
  fc.record({
    k: fc.constant('rows' as const),
    where: fc.option(condArb, { nil: undefined }),
    desc: fc.boolean(),
    limit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    offset: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    k: fc.constant('group' as const),
    where: fc.option(condArb, { nil: undefined }),
    by: fc.constantFrom('g' as const, 's' as const, 'a' as const, 'f' as const),
    having: fc.option(fc.integer({ min: 0, max: 4 }).map(BigInt), { nil: undefined }),
  }),
  fc.record({ k: fc.constant('total' as const), where: fc.option(condArb, { nil: undefined }) }),
);

function querySql(table: string, q: Query): string {
  const where = q.where ? ` WHERE ${condSql(q.where)}` : '';
  switch (q.k) {
    case 'rows': {
      const dir = q.desc ? ' DESC' : '';
      const page = q.limit === undefined ? '' : ` LIMIT ${q.limit}${q.offset ? ` OFFSET ${q.offset}` : ''}`;
      return `SELECT g, n, a, b, s, f FROM ${table}${where} ORDER BY g${dir}, n${dir}${page}`;
    }
    case 'group':
      return (
        `SELECT ${q.by}, COUNT(*), COUNT(a), SUM(a), MIN(b), MAX(s), AVG(b), COUNT(DISTINCT s) FROM ${table}${where} GROUP BY ${q.by}` +
        `${q.having === undefined ? '' : ` HAVING COUNT(*) > ${q.having}`} ORDER BY ${q.by}`
      );
    case 'total':
      return `SELECT COUNT(*), SUM(n), MIN(a), MAX(b) FROM ${table}${where}`;
  }
}

/** NULL first, then ascending (the engine's order for ORDER BY). */
function order(a: Cell, b: Cell): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return cmp(a as bigint | number | string, b as bigint | number | string);
}

function bruteForce(rows: DataRow[], q: Query): Cell[][] {
  const sorted = rows.slice().sort((x, y) => cmp(x.g, y.g) || cmp(x.n, y.n));
  const hit = sorted.filter((r) => !q.where || evalCond(q.where, r) === true);
  switch (q.k) {
    case 'rows': {
      const ordered = q.desc ? hit.slice().reverse() : hit;
      const page = q.limit === undefined ? ordered : ordered.slice(q.offset, q.offset + q.limit);
      return page.map((r) => [r.g, r.n, r.a, r.b, r.s, r.f]);
    }
    case 'group': {
      const groups = new Map<string, DataRow[]>();
      for (const r of hit) {
        const k = String(r[q.by]);
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const out: Cell[][] = [];
      for (const members of groups.values()) {
        if (q.having !== undefined && !(BigInt(members.length) > q.having)) continue;
        out.push([members[0][q.by], ...aggregates(members)]);
      }
      return out.sort((x, y) => order(x[0], y[0]));
    }
    case 'total': {
      const as = hit.map((r) => r.a).filter((v): v is bigint => v !== null);
      const bs = hit.map((r) => r.b).filter((v): v is number => v !== null);
      return [
        [
          BigInt(hit.length),
          hit.length ? hit.reduce((s, r) => s + r.n, 0n) : null,
          as.length ? as.reduce((m, v) => (v < m ? v : m)) : null,
          bs.length ? bs.reduce((m, v) => (v > m ? v : m)) : null,
        ],
      ];
    }
  }
}

function aggregates(members: DataRow[]): Cell[] {
  const as = members.map((r) => r.a).filter((v): v is bigint => v !== null);
  const bs = members.map((r) => r.b).filter((v): v is number => v !== null);
  const ss = members.map((r) => r.s).filter((v): v is string => v !== null);
  return [
    BigInt(members.length),
    BigInt(as.length),
    as.length ? as.reduce((s, v) => s + v, 0n) : null,
    bs.length ? bs.reduce((m, v) => (v < m ? v : m)) : null,
    ss.length ? ss.reduce((m, v) => (v > m ? v : m)) : null,
    bs.length ? bs.reduce((s, v) => s + v, 0) / bs.length : null,
    BigInt(new Set(ss).size),
  ];
}

/** Doubles compared to 12 significant digits (sums may associate differently); everything else exactly. */
function normalize(rows: Cell[][]): unknown[][] {
  return rows.map((r) => r.map((v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
}

let tableNo = 0;

it('random SELECTs agree with a brute-force evaluation', async () => {
  await fc.assert(
    fc.asyncProperty(dataArb, fc.array(queryArb, { minLength: 1, maxLength: 8 }), async (data, queries) => {
      const table = `diff_${tableNo++}`;
      await client.createTable({
        tableMeta: {
          tableName: table,
          primaryKey: [
            { name: 'g', type: 'STRING' },
            { name: 'n', type: 'INTEGER' },
          ],
        },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      });
      if (data.length > 0) {
        await client.batchWriteRow({
          tables: [
            {
              tableName: table,
              rows: data.map((r) => ({
                type: 'PUT',
                condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
                primaryKey: [{ g: r.g }, { n: TableStore.Long.fromString(String(r.n)) }],
                attributeColumns: [
                  ...(r.a === null ? [] : [{ a: TableStore.Long.fromString(String(r.a)) }]),
                  ...(r.b === null ? [] : [{ b: r.b }]),
                  ...(r.s === null ? [] : [{ s: r.s }]),
                  ...(r.f === null ? [] : [{ f: r.f }]),
                  { pad: 1.25 },
                ],
              })),
            },
          ],
        });
      }
      try {
        await sql(
          client,
          `CREATE TABLE ${table} (g VARCHAR(1024), n BIGINT, a BIGINT, b DOUBLE, s MEDIUMTEXT, f BOOL, PRIMARY KEY(g, n))`,
        );
        for (const q of queries) {
          const text = querySql(table, q);
          const got = await sql(client, text);
          expect(normalize(got.rows), text).toEqual(normalize(bruteForce(data, q)));
        }
      } finally {
        await client.deleteTable({ tableName: table }); // the instance holds at most 64 tables, shrinking makes many
      }
    }),
    { numRuns: 40 },
  );
}, 120_000);
