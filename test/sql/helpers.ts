/**
 * SQL test helpers: run a query through the official SDK's `sqlQuery` (its own flatbuffer decoding) and turn
 * the decoded `sqlRows` into plain rows; int64 cells come back as bigint (from the SDK's Long).
 */
import type { SdkClient } from '../helpers/tablestore-local';

/** flatbuffers 1.x Long as the SDK returns it (low/high 32-bit halves). */
interface SdkLong {
  readonly low: number;
  readonly high: number;
  toFloat64(): number;
}

function int64(v: SdkLong): bigint {
  return BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
}
interface SdkSqlRows {
  readonly rowCount: SdkLong;
  readonly columnCount: number;
  readonly sqlTableMeta: { schemas: { name: string; typeName: string }[] };
  get(row: number, column: number): unknown;
}
export interface SdkSqlResponse {
  readonly type?: number;
  readonly consumes?: { tableName?: string; table_name?: string; consumed?: { capacityUnit?: { read?: number } } }[];
  readonly sqlRows?: SdkSqlRows;
}

export type Cell = bigint | number | boolean | string | Uint8Array | null;

export interface SqlAnswer {
  /** As the SDK answered it (undefined when it gave none). */
  readonly type?: number | undefined;
  readonly names: string[];
  readonly types: string[];
  readonly rows: Cell[][];
  readonly raw: SdkSqlResponse;
}

function cell(v: unknown, typeName: string): Cell {
  if (v === null || v === undefined) return null;
  if (typeName === 'LONG') return int64(v as SdkLong);
  if (typeName === 'BINARY') return new Uint8Array((v as { valueArray(): Int8Array }).valueArray());
  return v as Cell;
}

export async function sql(client: SdkClient, query: string): Promise<SqlAnswer> {
  const call = (client as unknown as { sqlQuery(p: object): Promise<SdkSqlResponse> }).sqlQuery.bind(client);
  const raw = await call({ query });
  const r = raw.sqlRows;
  if (!r) return { type: raw.type, names: [], types: [], rows: [], raw };
  const names = r.sqlTableMeta.schemas.map((s) => s.name);
  const types = r.sqlTableMeta.schemas.map((s) => s.typeName);
  const n = r.rowCount.toFloat64();
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) rows.push(names.map((_, j) => cell(r.get(i, j), types[j])));
  return { type: raw.type, names, types, rows, raw };
}
