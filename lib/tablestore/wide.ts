/**
 * WideTableClient: typed promise calls over the official `tablestore` SDK, with credentials resolved from a
 * provider before every call and swapped into the SDK's config in place (the SDK reads them at signing
 * time), errors decoded into TablestoreError (the SDK leaves the raw protobuf bytes in its message), and one
 * forced credential refresh + one retry when an STS token was refused.
 */
import http from 'node:http';
import https from 'node:https';
import TableStore, { type Int64 } from 'tablestore';
import type { CredentialProvider, Credentials } from '../credentials/types';
import { fromNodeSdkError, TablestoreError } from './protocol/errors';

export type { Int64 };
/** Cell and primary-key values as the SDK takes and returns them: int64 is the SDK's Int64 (see `int64`). */
export type WideValue = string | number | boolean | Uint8Array | Int64 | WideMarker;
/** TableStore.INF_MIN / INF_MAX / PK_AUTO_INCR (opaque marker objects). */
export type WideMarker = object;
export const INF_MIN: WideMarker = TableStore.INF_MIN;
export const INF_MAX: WideMarker = TableStore.INF_MAX;
export const PK_AUTO_INCR: WideMarker = TableStore.PK_AUTO_INCR;
/** An int64 value for the SDK (use a string beyond 2^53). */
export const int64 = (value: number | string | bigint): Int64 =>
  typeof value === 'number' ? TableStore.Long.fromNumber(value) : TableStore.Long.fromString(String(value));

/** `[{ pk1: value }, { pk2: value }]`, in schema order. */
export type PrimaryKeyInput = ReadonlyArray<Readonly<Record<string, WideValue>>>;
/** `[{ col: value }, …]`; a `{ col: value, timestamp }` entry sets the cell version. */
export type AttributeColumnsInput = ReadonlyArray<Readonly<Record<string, WideValue>>>;
export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
/** A row-existence expectation, or an SDK `TableStore.Condition` (with a column condition). */
export type ConditionInput = RowExistence | object;

export interface WideRow {
  readonly primaryKey: ReadonlyArray<{ readonly name: string; readonly value: WideValue }>;
  readonly attributes: ReadonlyArray<{ readonly columnName: string; readonly columnValue: WideValue; readonly timestamp?: Int64 }>;
}

export interface CapacityUnit {
  readonly read?: number;
  readonly write?: number;
}

export interface DescribeTableResult {
  readonly tableMeta: { readonly tableName: string; readonly primaryKey: ReadonlyArray<{ readonly name: string; readonly type: number | string }> };
  readonly tableOptions?: { readonly timeToLive?: number; readonly maxVersions?: number };
  readonly reservedThroughputDetails?: { readonly capacityUnit?: CapacityUnit };
  readonly tableStatus?: number | string;
  readonly RequestId?: string;
}

interface ReadColumnsOptions {
  readonly columnsToGet?: readonly string[];
  readonly maxVersions?: number;
  /** An SDK filter (TableStore.SingleColumnCondition / CompositeCondition). */
  readonly columnFilter?: object;
}

export interface GetRowParams extends ReadColumnsOptions {
  readonly tableName: string;
  readonly primaryKey: PrimaryKeyInput;
}

export interface GetRangeParams extends ReadColumnsOptions {
  readonly tableName: string;
  readonly direction?: 'FORWARD' | 'BACKWARD';
  readonly inclusiveStartPrimaryKey: PrimaryKeyInput;
  readonly exclusiveEndPrimaryKey: PrimaryKeyInput;
  readonly limit?: number;
}

export interface GetRangeResult {
  readonly rows: readonly WideRow[];
  /** Where the next page starts; absent at the end of the range. */
  readonly nextStartPrimaryKey?: ReadonlyArray<{ readonly name: string; readonly value: WideValue }>;
  readonly RequestId?: string;
}

export interface PutRowParams {
  readonly tableName: string;
  readonly primaryKey: PrimaryKeyInput;
  readonly attributeColumns: AttributeColumnsInput;
  readonly condition?: ConditionInput;
  readonly returnContent?: { readonly returnType: number };
}

export interface UpdateRowParams {
  readonly tableName: string;
  readonly primaryKey: PrimaryKeyInput;
  /** `[{ PUT: [{ col: v }] }, { DELETE: [{ col: ts }] }, { DELETE_ALL: ['col'] }, { INCREMENT: [{ col: int64 }] }]` */
  readonly updateOfAttributeColumns: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly condition?: ConditionInput;
}

export interface DeleteRowParams {
  readonly tableName: string;
  readonly primaryKey: PrimaryKeyInput;
  readonly condition?: ConditionInput;
}

export interface RowWriteResult {
  readonly row?: WideRow;
  readonly consumed?: { readonly capacityUnit?: CapacityUnit };
  readonly RequestId?: string;
}

export interface BatchGetRowParams {
  readonly tables: ReadonlyArray<ReadColumnsOptions & { readonly tableName: string; readonly primaryKey: readonly PrimaryKeyInput[] }>;
}

/** Per-row outcome: batch calls succeed as a whole and report row failures here. */
export interface BatchRowResult {
  readonly isOk: boolean;
  readonly tableName?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly row?: WideRow;
}

export interface BatchGetRowResult {
  readonly tables: ReadonlyArray<readonly BatchRowResult[]>;
  readonly RequestId?: string;
}

export interface BatchWriteRowParams {
  readonly tables: ReadonlyArray<{
    readonly tableName: string;
    readonly rows: ReadonlyArray<{
      readonly type: 'PUT' | 'UPDATE' | 'DELETE';
      readonly primaryKey: PrimaryKeyInput;
      readonly attributeColumns?: AttributeColumnsInput | ReadonlyArray<Readonly<Record<string, unknown>>>;
      readonly condition?: ConditionInput;
      readonly returnContent?: { readonly returnType: number };
    }>;
  }>;
}

export interface BatchWriteRowResult {
  readonly tables: readonly BatchRowResult[];
  readonly RequestId?: string;
}

export interface CreateTableParams {
  readonly tableName: string;
  readonly primaryKey: ReadonlyArray<{ readonly name: string; readonly type: 'INTEGER' | 'STRING' | 'BINARY'; readonly autoIncrement?: boolean }>;
  /** Seconds; -1 = forever (default). */
  readonly timeToLive?: number;
  readonly maxVersions?: number;
  readonly reservedThroughput?: CapacityUnit;
}

export interface WideTableClientOptions {
  /** `http(s)://host[:port]` */
  readonly endpoint: string;
  readonly instance: string;
  /** Called before every request; see lib/credentials. */
  readonly credentials: CredentialProvider;
  /** Socket timeout per request, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Keep-alive agent shared by every request of this client; one is made when absent. */
  readonly agent?: http.Agent;
}

/** Codes Tablestore uses when it refuses the keys themselves (expired/replaced token → either, §6.2). */
const AUTH_CODES = new Set(['OTSAuthFailed', 'OTSNoPermissionAccess']);
/** Keys this young from a forced refresh cannot be stale: a refusal is a policy decision. */
const FORCED_FRESH_MS = 60_000;

export function toTablestoreError(error: unknown): TablestoreError {
  if (error instanceof TablestoreError) return error;
  const decoded = fromNodeSdkError(error);
  if (decoded) return decoded;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : 'OTSClientError';
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  // Network-level failures (ECONNRESET, TimeoutError, …) have no HTTP status; retrying them is the caller's call.
  return new TablestoreError({ code, message, httpStatus: typeof e?.code === 'number' ? e.code : 0, retryable: typeof e?.code === 'string' });
}

function condition(input: ConditionInput | undefined): object {
  if (input === undefined) return new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
  if (typeof input === 'string') {
    const expectation = TableStore.RowExistenceExpectation[input];
    if (expectation === undefined) throw new TypeError(`unknown row existence expectation ${input}`);
    return new TableStore.Condition(expectation, null);
  }
  return input;
}

function readOptions(o: ReadColumnsOptions): Record<string, unknown> {
  return {
    ...(o.columnsToGet ? { columnsToGet: [...o.columnsToGet] } : {}),
    maxVersions: o.maxVersions ?? 1,
    ...(o.columnFilter ? { columnFilter: o.columnFilter } : {}),
  };
}

function hasRow(row: unknown): row is WideRow {
  return typeof row === 'object' && row !== null && Array.isArray((row as { primaryKey?: unknown }).primaryKey);
}

export interface WideTableClientStats {
  calls: number;
  /** Times the SDK config received different keys. */
  credentialSwaps: number;
  /** Forced refresh + retry after the service refused an STS token. */
  authRetries: number;
}

export class WideTableClient {
  readonly endpoint: string;
  readonly instance: string;
  readonly stats: WideTableClientStats = { calls: 0, credentialSwaps: 0, authRetries: 0 };
  private readonly sdk: InstanceType<typeof TableStore.Client>;
  private readonly credentials: CredentialProvider;
  private applied: Credentials | undefined;
  /** AccessKeyIds obtained by a forced refresh → when; "fresh" for FORCED_FRESH_MS (bounded). */
  private readonly forced = new Map<string, number>();

  constructor(options: WideTableClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.instance = options.instance;
    this.credentials = options.credentials;
    const agent =
      options.agent ??
      (this.endpoint.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 }));
    this.sdk = new TableStore.Client({
      // Filled in from the provider before the first request.
      accessKeyId: '',
      secretAccessKey: '',
      endpoint: this.endpoint,
      instancename: options.instance,
      httpOptions: { timeout: options.timeoutMs ?? 30_000, maxSockets: 64, agent },
    });
  }

  private async apply(forceRefresh: boolean): Promise<Credentials> {
    const c = await this.credentials(forceRefresh ? { forceRefresh: true } : undefined);
    const a = this.applied;
    if (!a || a.accessKeyId !== c.accessKeyId || a.accessKeySecret !== c.accessKeySecret || a.securityToken !== c.securityToken) {
      // One synchronous block: a request is never signed with half-swapped keys.
      const cfg = this.sdk.config;
      cfg.accessKeyId = c.accessKeyId;
      cfg.secretAccessKey = c.accessKeySecret;
      cfg.accessKeySecret = null;
      cfg.stsToken = c.securityToken ?? null;
      cfg.securityToken = null;
      this.applied = c;
      this.stats.credentialSwaps += 1;
    }
    return c;
  }

  private async call<T>(run: () => Promise<unknown>): Promise<T> {
    this.stats.calls += 1;
    const used = await this.apply(false);
    try {
      return (await run()) as T;
    } catch (error) {
      const e = toTablestoreError(error);
      // Only temporary keys can be cured by a refresh; a long-term key that is refused stays refused. Keys
      // that were themselves just force-refreshed are not refreshed again: a refusal then is a real policy
      // denial (the service may use OTSNoPermissionAccess for both), and must not cost an AssumeRole each.
      const forcedAt = this.forced.get(used.accessKeyId);
      if (!AUTH_CODES.has(e.code) || !used.securityToken || (forcedAt !== undefined && Date.now() - forcedAt < FORCED_FRESH_MS)) throw e;
      // A concurrent call may already have refreshed: then use its keys instead of fetching again.
      const alreadyRefreshed = this.applied !== undefined && this.applied.accessKeyId !== used.accessKeyId;
      const fresh = await this.apply(!alreadyRefreshed);
      if (!alreadyRefreshed) {
        this.forced.set(fresh.accessKeyId, Date.now());
        if (this.forced.size > 64) this.forced.delete(this.forced.keys().next().value as string);
      }
      if (fresh.accessKeyId === used.accessKeyId && fresh.securityToken === used.securityToken) throw e;
      this.stats.authRetries += 1;
      try {
        return (await run()) as T;
      } catch (again) {
        throw toTablestoreError(again);
      }
    }
  }

  async listTables(): Promise<string[]> {
    const r = await this.call<{ tableNames?: string[] }>(() => this.sdk.listTable({}));
    return r.tableNames ?? [];
  }

  describeTable(tableName: string): Promise<DescribeTableResult> {
    return this.call(() => this.sdk.describeTable({ tableName }));
  }

  async createTable(p: CreateTableParams): Promise<void> {
    await this.call(() =>
      this.sdk.createTable({
        tableMeta: {
          tableName: p.tableName,
          primaryKey: p.primaryKey.map((k) => ({ name: k.name, type: k.type, ...(k.autoIncrement ? { option: 'AUTO_INCREMENT' } : {}) })),
        },
        reservedThroughput: { capacityUnit: { read: p.reservedThroughput?.read ?? 0, write: p.reservedThroughput?.write ?? 0 } },
        tableOptions: { timeToLive: p.timeToLive ?? -1, maxVersions: p.maxVersions ?? 1 },
      }),
    );
  }

  async deleteTable(tableName: string): Promise<void> {
    await this.call(() => this.sdk.deleteTable({ tableName }));
  }

  /** `row` is undefined when the row does not exist. */
  async getRow(p: GetRowParams): Promise<{ row: WideRow | undefined; RequestId?: string }> {
    const r = await this.call<{ row?: unknown; RequestId?: string }>(() =>
      this.sdk.getRow({ tableName: p.tableName, primaryKey: p.primaryKey, ...readOptions(p) }),
    );
    return { row: hasRow(r.row) ? r.row : undefined, ...(r.RequestId ? { RequestId: r.RequestId } : {}) };
  }

  async getRange(p: GetRangeParams): Promise<GetRangeResult> {
    const r = await this.call<{ rows?: WideRow[]; nextStartPrimaryKey?: GetRangeResult['nextStartPrimaryKey'] | null; RequestId?: string }>(() =>
      this.sdk.getRange({
        tableName: p.tableName,
        direction: p.direction ?? TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: p.inclusiveStartPrimaryKey,
        exclusiveEndPrimaryKey: p.exclusiveEndPrimaryKey,
        ...(p.limit !== undefined ? { limit: p.limit } : {}),
        ...readOptions(p),
      }),
    );
    return {
      rows: r.rows ?? [],
      ...(r.nextStartPrimaryKey ? { nextStartPrimaryKey: r.nextStartPrimaryKey } : {}),
      ...(r.RequestId ? { RequestId: r.RequestId } : {}),
    };
  }

  putRow(p: PutRowParams): Promise<RowWriteResult> {
    return this.call(() =>
      this.sdk.putRow({
        tableName: p.tableName,
        condition: condition(p.condition),
        primaryKey: p.primaryKey,
        attributeColumns: p.attributeColumns,
        ...(p.returnContent ? { returnContent: p.returnContent } : {}),
      }),
    );
  }

  updateRow(p: UpdateRowParams): Promise<RowWriteResult> {
    return this.call(() =>
      this.sdk.updateRow({
        tableName: p.tableName,
        condition: condition(p.condition),
        primaryKey: p.primaryKey,
        updateOfAttributeColumns: p.updateOfAttributeColumns,
      }),
    );
  }

  deleteRow(p: DeleteRowParams): Promise<RowWriteResult> {
    return this.call(() => this.sdk.deleteRow({ tableName: p.tableName, condition: condition(p.condition), primaryKey: p.primaryKey }));
  }

  batchGetRow(p: BatchGetRowParams): Promise<BatchGetRowResult> {
    return this.call(() =>
      this.sdk.batchGetRow({ tables: p.tables.map((t) => ({ tableName: t.tableName, primaryKey: t.primaryKey, ...readOptions(t) })) }),
    );
  }

  batchWriteRow(p: BatchWriteRowParams): Promise<BatchWriteRowResult> {
    return this.call(() =>
      this.sdk.batchWriteRow({
        tables: p.tables.map((t) => ({
          tableName: t.tableName,
          rows: t.rows.map((r) => ({ ...r, condition: condition(r.condition) })),
        })),
      }),
    );
  }
}
