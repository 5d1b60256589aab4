/**
 * Index consistency, differential: after random PutRow / UpdateRow (put, delete, increment) / DeleteRow /
 * BatchWriteRow sequences sent by the official SDK, each index read through GetRange equals the index built
 * by brute force from the base table read through GetRange — same rows, same order, same attributes, none
 * missing, none extra. Values of the wrong type and absent columns exercise the sparse-index rule; a row
 * left out for a wrong-typed value must be in the index's skipped list, and nothing else.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sdkClient, startLocal, type LocalTablestoreHandle, type SdkRow } from '../helpers/tablestore-local';
import { encodeKey } from '../../local/tablestore/handlers/wide/keys';
import type { WideTableDefinition } from '../../local/tablestore/handlers/wide/table';
import { skippedSpace } from '../../local/tablestore/indexes/maintainer';
import { Sdk, asIndexClient, attrsOf, pkOf, readAll, type IndexSdkClient } from './sdk';

const Long = Sdk.Long;
const T = 'cons';
const BASE_PK = ['pk1', 'pk2'];
const INDEXES = [
  { name: 'cons_a', primaryKey: ['a'], definedColumn: ['b', 'c'], local: false },
  { name: 'cons_ba', primaryKey: ['b', 'a'], definedColumn: [], local: false },
  { name: 'cons_local', primaryKey: ['pk1', 'b'], definedColumn: ['c'], local: true },
  { name: 'cons_pk2', primaryKey: ['pk2'], definedColumn: ['a'], local: false },
];
/** Types an index key column accepts (predefined columns: a INTEGER, b STRING). */
const KEY_TYPE: Record<string, 'bigint' | 'string'> = { pk1: 'bigint', pk2: 'string', a: 'bigint', b: 'string' };

let local: LocalTablestoreHandle;
let client: IndexSdkClient;

// ------------------------------------------------------------------------------------------ operations

type Value = { kind: 'int'; v: number } | { kind: 'str'; v: string } | { kind: 'dbl'; v: number };
type Pk = [number, string];
type CellOp =
  { op: 'set'; col: 'a' | 'b' | 'c'; value: Value } | { op: 'del'; col: 'a' | 'b' | 'c' } | { op: 'inc'; by: number };
type Op =
  | { type: 'put'; pk: Pk; cols: { col: 'a' | 'b' | 'c'; value: Value }[] }
  | { type: 'update'; pk: Pk; cells: CellOp[] }
  | { type: 'delete'; pk: Pk }
  | { type: 'batch'; rows: Op[] };

const pkArb = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('x', 'y')) as fc.Arbitrary<Pk>;
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((v) => ({ kind: 'int' as const, v })),
  fc.constantFrom('p', 'q', 'r').map((v) => ({ kind: 'str' as const, v })),
  fc.constantFrom(0.5, 2.25).map((v) => ({ kind: 'dbl' as const, v })),
);
const colArb = fc.constantFrom('a' as const, 'b' as const, 'c' as const);
const putArb = fc.record({
  type: fc.constant('put' as const),
  pk: pkArb,
  cols: fc.uniqueArray(fc.record({ col: colArb, value: valueArb }), { maxLength: 3, selector: (c) => c.col }),
});
const cellArb: fc.Arbitrary<CellOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), col: colArb, value: valueArb }),
  fc.record({ op: fc.constant('del' as const), col: colArb }),
  fc.record({ op: fc.constant('inc' as const), by: fc.integer({ min: -2, max: 2 }) }),
);
const updateArb = fc.record({
  type: fc.constant('update' as const),
  pk: pkArb,
  cells: fc.uniqueArray(cellArb, { minLength: 1, maxLength: 2, selector: (c) => (c.op === 'inc' ? 'a' : c.col) }),
});
const deleteArb = fc.record({ type: fc.constant('delete' as const), pk: pkArb });
const singleArb: fc.Arbitrary<Op> = fc.oneof(putArb, updateArb, deleteArb);
const batchArb: fc.Arbitrary<Op> = fc
  .uniqueArray(singleArb, { minLength: 1, maxLength: 4, selector: (o) => JSON.stringify((o as { pk: Pk }).pk) })
  .map((rows) => ({ type: 'batch' as const, rows }));
const opsArb = fc.array(fc.oneof({ weight: 3, arbitrary: singleArb }, { weight: 1, arbitrary: batchArb }), {
  minLength: 1,
  maxLength: 12,
});

const IGNORE = () => new Sdk.Condition(Sdk.RowExistenceExpectation.IGNORE, null);
const sdkValue = (v: Value) => (v.kind === 'int' ? Long.fromNumber(v.v) : v.v);
const sdkPk = (pk: Pk) => [{ pk1: Long.fromNumber(pk[0]) }, { pk2: pk[1] }];

function updateColumns(cells: CellOp[]) {
  const out: object[] = [];
  const sets = cells.filter((c) => c.op === 'set');
  const dels = cells.filter((c) => c.op === 'del');
  const incs = cells.filter((c) => c.op === 'inc');
  if (sets.length) out.push({ PUT: sets.map((c) => ({ [c.col]: sdkValue(c.value) })) });
  if (dels.length) out.push({ DELETE_ALL: dels.map((c) => c.col) });
  if (incs.length) out.push({ INCREMENT: incs.map((c) => ({ a: Long.fromNumber(c.by) })) });
  return out;
}

async function apply(op: Op): Promise<void> {
  // Individual failures (e.g. incrementing a STRING) are expected; the base table is the reference anyway.
  try {
    if (op.type === 'put') {
      await client.putRow({
        tableName: T,
        condition: IGNORE(),
        primaryKey: sdkPk(op.pk),
        attributeColumns: op.cols.map((c) => ({ [c.col]: sdkValue(c.value) })),
      });
    } else if (op.type === 'update') {
      await client.updateRow({
        tableName: T,
        condition: IGNORE(),
        primaryKey: sdkPk(op.pk),
        updateOfAttributeColumns: updateColumns(op.cells),
      });
    } else if (op.type === 'delete') {
      await client.deleteRow({ tableName: T, condition: IGNORE(), primaryKey: sdkPk(op.pk) });
    } else {
      const rows = op.rows.map((r) => {
        if (r.type === 'put')
          return {
            type: 'PUT',
            condition: IGNORE(),
            primaryKey: sdkPk(r.pk),
            attributeColumns: r.cols.map((c) => ({ [c.col]: sdkValue(c.value) })),
          };
        if (r.type === 'update')
          return {
            type: 'UPDATE',
            condition: IGNORE(),
            primaryKey: sdkPk(r.pk),
            attributeColumns: updateColumns(r.cells),
          };
        return { type: 'DELETE', condition: IGNORE(), primaryKey: sdkPk((r as { pk: Pk }).pk) };
      });
      await client.batchWriteRow({ tables: [{ tableName: T, rows }] });
    }
  } catch {
    /* expected for some random operations */
  }
}

// ------------------------------------------------------------------------------------------ brute force

function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    return (x as bigint | string) < (y as bigint | string) ? -1 : 1;
  }
  return 0;
}

/** The index as the rules say it must be, from the base rows. */
function expectedIndex(base: readonly SdkRow[], index: (typeof INDEXES)[number]): string[] {
  const pkNames = [...index.primaryKey, ...BASE_PK.filter((n) => !index.primaryKey.includes(n))];
  const rows: { key: unknown[]; attrs: Record<string, unknown> }[] = [];
  for (const row of base) {
    const values = new Map<string, unknown>();
    pkOf(row).forEach((v, i) => values.set(BASE_PK[i], v));
    for (const [k, v] of Object.entries(attrsOf(row))) values.set(k, v);
    const key = pkNames.map((n) => values.get(n));
    if (pkNames.some((n, i) => typeof key[i] !== KEY_TYPE[n])) continue;
    const attrs: Record<string, unknown> = {};
    for (const n of index.definedColumn) if (values.has(n)) attrs[n] = values.get(n);
    rows.push({ key, attrs });
  }
  rows.sort((x, y) => compareKeys(x.key, y.key));
  return rows.map(show);
}

const show = (r: { key: unknown[]; attrs: Record<string, unknown> }) =>
  JSON.stringify([r.key, r.attrs], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

async function actualIndex(index: (typeof INDEXES)[number]): Promise<string[]> {
  const pkNames = [...index.primaryKey, ...BASE_PK.filter((n) => !index.primaryKey.includes(n))];
  const rows = await readAll(client, index.name, pkNames);
  return rows.map((r) => {
    const attrs = attrsOf(r);
    return show({
      key: pkOf(r),
      attrs: Object.fromEntries(
        Object.keys(attrs)
          .sort()
          .map((k) => [k, attrs[k]]),
      ),
    });
  });
}

/** Base keys the index must list as skipped: every index column has a value, but one of the wrong type. */
function expectedSkipped(base: readonly SdkRow[], index: (typeof INDEXES)[number]): string[] {
  const out: string[] = [];
  for (const row of base) {
    const values = new Map<string, unknown>();
    const pk = pkOf(row);
    pk.forEach((v, i) => values.set(BASE_PK[i], v));
    for (const [k, v] of Object.entries(attrsOf(row))) values.set(k, v);
    const key = index.primaryKey.map((n) => values.get(n));
    if (key.some((v) => v === undefined)) continue;
    if (index.primaryKey.every((n, i) => typeof key[i] === KEY_TYPE[n])) continue;
    out.push(baseKeyHex(pk));
  }
  return out.sort();
}

const BASE_DEF = {
  primaryKey: [
    { name: 'pk1', type: 1 },
    { name: 'pk2', type: 2 },
  ],
} as unknown as WideTableDefinition;
const baseKeyHex = (pk: unknown[]) =>
  encodeKey(
    BASE_DEF,
    pk.map((value, i) => ({ name: BASE_PK[i], value: value as bigint | string })),
  ).toString('hex');

/** The index's skipped list as stored (docs/protocol-indexes.md §4). */
function actualSkipped(index: (typeof INDEXES)[number]): string[] {
  return [...local.server.store.scan(skippedSpace(index.name))].map((r) => Buffer.from(r.key).toString('hex')).sort();
}

beforeAll(async () => {
  local = await startLocal();
  client = asIndexClient(sdkClient(local));
  await client.createTable({
    tableMeta: {
      tableName: T,
      primaryKey: [
        { name: 'pk1', type: Sdk.PrimaryKeyType.INTEGER },
        { name: 'pk2', type: Sdk.PrimaryKeyType.STRING },
      ],
      definedColumn: [
        { name: 'a', type: Sdk.DefinedColumnType.DCT_INTEGER },
        { name: 'b', type: Sdk.DefinedColumnType.DCT_STRING },
        { name: 'c', type: Sdk.DefinedColumnType.DCT_DOUBLE },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
    indexMetas: INDEXES.map((i) => ({
      name: i.name,
      primaryKey: i.primaryKey,
      definedColumn: i.definedColumn,
      indexType: i.local ? Sdk.IndexType.IT_LOCAL_INDEX : Sdk.IndexType.IT_GLOBAL_INDEX,
      indexUpdateMode: i.local ? Sdk.IndexUpdateMode.IUM_SYNC_INDEX : Sdk.IndexUpdateMode.IUM_ASYNC_INDEX,
    })),
  });
});
afterAll(async () => {
  await local?.stop();
});

it('every index equals the brute-force index of the base table after random write sequences', async () => {
  await fc.assert(
    fc.asyncProperty(opsArb, async (ops) => {
      for (const row of await readAll(client, T, BASE_PK))
        await client.deleteRow({
          tableName: T,
          condition: IGNORE(),
          primaryKey: row.primaryKey!.map((c) => ({ [c.name]: c.value })),
        });
      for (const op of ops) await apply(op);
      const base = await readAll(client, T, BASE_PK);
      for (const index of INDEXES) {
        expect(await actualIndex(index)).toEqual(expectedIndex(base, index));
        expect(actualSkipped(index), index.name).toEqual(expectedSkipped(base, index));
      }
    }),
    { numRuns: 30 },
  );
}, 120_000);
