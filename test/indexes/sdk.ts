/**
 * The official Node SDK's secondary-index calls, loosely typed for tests (the SDK ships no types), and small
 * helpers to read whole tables and indexes through it.
 */
import { TableStore, type SdkClient, type SdkResult, type SdkRow } from '../helpers/tablestore-local';

type Call = (params: object) => Promise<SdkResult>;

export interface IndexSdkClient extends SdkClient {
  readonly createIndex: Call;
  readonly dropIndex: Call;
}

export interface IndexSdk {
  readonly IndexUpdateMode: Record<'IUM_ASYNC_INDEX' | 'IUM_SYNC_INDEX', number>;
  readonly IndexType: Record<'IT_GLOBAL_INDEX' | 'IT_LOCAL_INDEX', number>;
  readonly DefinedColumnType: Record<'DCT_INTEGER' | 'DCT_DOUBLE' | 'DCT_BOOLEAN' | 'DCT_STRING', number>;
  readonly SyncPhase: Record<'FULL' | 'INCR', unknown>;
}

export const Sdk = TableStore as unknown as IndexSdk & typeof TableStore;

export function asIndexClient(client: SdkClient): IndexSdkClient {
  return client as IndexSdkClient;
}

/** A value as a plain JS value: SDK Longs become bigint, Buffers stay bytes. */
export function plain(v: unknown): unknown {
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && 'toNumber' in v)
    return BigInt((v as { toString(): string }).toString());
  return v;
}

export function pkOf(row: SdkRow): unknown[] {
  return (row.primaryKey ?? []).map((c) => plain(c.value));
}

export function attrsOf(row: SdkRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of row.attributes ?? []) out[a.columnName] = plain(a.columnValue);
  return out;
}

/** Every row of a table or index, in key order, following next_start_primary_key. */
export async function readAll(client: SdkClient, tableName: string, pkNames: readonly string[]): Promise<SdkRow[]> {
  const rows: SdkRow[] = [];
  let start: object[] | null = pkNames.map((n) => ({ [n]: TableStore.INF_MIN }));
  const end = pkNames.map((n) => ({ [n]: TableStore.INF_MAX }));
  while (start) {
    const res = await client.getRange({
      tableName,
      direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: start,
      exclusiveEndPrimaryKey: end,
      maxVersions: 1,
    });
    rows.push(...(res.rows ?? []));
    const next = res.nextStartPrimaryKey;
    start = next && next.length > 0 ? next.map((c) => ({ [c.name]: c.value })) : null;
  }
  return rows;
}
