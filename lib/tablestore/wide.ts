/**
 * WideTableClient: typed promise calls over the official `tablestore` SDK, with credentials resolved from a
 * provider before every attempt and swapped into the SDK's config in place, errors decoded into
 * TablestoreError (the SDK leaves the raw protobuf bytes in its message), and one forced credential
 * refresh + one retry when an STS token was refused.
 *
 * Retries are ours, not the SDK's: the SDK retries on its own up to 20 times with 0.5–3 s waits (~38 s when
 * Tablestore keeps throttling), past any function timeout, and cannot be cancelled. Each SDK request here
 * has its own retrying switched off, and the call retries with the shared retry classes of
 * protocol/retry-policy.ts (throttling for every API, ambiguous failures only for read APIs), jittered
 * backoff, an overall deadline and an optional AbortSignal, exactly like the time series transport.
 */
import http from 'node:http';
import https from 'node:https';
import TableStore, { type Int64 } from 'tablestore';
import type { CredentialProvider, Credentials } from '../credentials/types';
import { fromNodeSdkError, TablestoreError } from './protocol/errors';
import { backoffDelayMs, isIdempotentApi, isRetryable, MIN_ATTEMPT_MS, type FailureInfo } from './protocol/retry-policy';
import { ClientErrorCode, type CallOptions, type RetryEvent, type RetryOptions } from './transport/index';

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
  /** Socket idle timeout per attempt, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Overall time budget of one call including retries and backoff, ms (default 30 000); see WideCallOptions. */
  readonly deadlineMs?: number;
  /** Our retries (the SDK's own are off): default 10 retries, backoff from 20 ms doubling up to 2 s. */
  readonly retry?: RetryOptions;
  /** Observability hook, called before each backoff; receives no secrets. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Random source for the backoff jitter (tests). */
  readonly random?: () => number;
  /** Keep-alive agent shared by every request of this client; one is made when absent. */
  readonly agent?: http.Agent;
}

/**
 * Per call, like the time series client: `deadlineMs` overrides the client's overall budget, `signal`
 * cancels the call (in-flight request and backoff alike). The call then rejects at once with
 * OTSClientDeadlineExceeded / OTSClientAborted and its HTTP request is destroyed.
 */
export type WideCallOptions = Pick<CallOptions, 'deadlineMs' | 'signal'>;

/** Codes Tablestore uses when it refuses the keys themselves (expired/replaced token → either, docs/protocol.md §11.6). */
const AUTH_CODES = new Set(['OTSAuthFailed', 'OTSNoPermissionAccess']);
/** Keys this young from a forced refresh cannot be stale: a refusal is a policy decision. */
const FORCED_FRESH_MS = 60_000;

/** The SDK's names for failures before a response arrived → the transport's client codes. */
const SDK_TRANSPORT_CODES: Readonly<Record<string, string>> = { TimeoutError: ClientErrorCode.Timeout, NetworkingError: ClientErrorCode.Network };

export function toTablestoreError(error: unknown): TablestoreError {
  if (error instanceof TablestoreError) return error;
  const decoded = fromNodeSdkError(error);
  if (decoded) return decoded;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  const transport = typeof e?.code === 'string' ? SDK_TRANSPORT_CODES[e.code] : undefined;
  if (transport) return new TablestoreError({ code: transport, message, httpStatus: 0 });
  const code = typeof e?.code === 'string' ? e.code : 'OTSClientError';
  return new TablestoreError({ code, message, httpStatus: typeof e?.code === 'number' ? e.code : 0 });
}

/** Node errors of a connection that was never made: the request provably did not reach the service. */
const NOT_SENT_SYSCALLS = new Set(['connect', 'getaddrinfo']);

/** The retry policy's view of a failed SDK attempt. */
function failureInfo(e: TablestoreError, raw: unknown, stream: http.ClientRequest | undefined): FailureInfo {
  if (e.code === ClientErrorCode.Timeout) return { transportFailure: true, requestSent: true };
  if (e.code === ClientErrorCode.Network) {
    const r = raw as { syscall?: unknown; message?: unknown };
    const refused = typeof r.syscall === 'string' && NOT_SENT_SYSCALLS.has(r.syscall);
    // A keep-alive socket the server had already closed: it reset before our request was read.
    const stale = stream?.reusedSocket === true && /ECONNRESET|socket hang up/.test(String(r.message));
    return { transportFailure: true, requestSent: !(refused || stale) };
  }
  return { code: e.code, message: e.message, ...(e.httpStatus > 0 ? { httpStatus: e.httpStatus } : {}) };
}

/** Turns the SDK's per-request retrying off: runs after its own RETRY_CHECK listener on the same event. */
const noSdkRetry = (response: { error: { retryable?: boolean } | null }): void => {
  if (response.error) response.error.retryable = false;
};

/** Rejects (and aborts `signal`) when the caller's signal aborts or the deadline passes. */
class Cancellation {
  readonly signal: AbortSignal;
  readonly promise: Promise<never>;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private reject!: (e: TablestoreError) => void;
  private readonly onAbort = () => this.cancel(new TablestoreError({ code: ClientErrorCode.Aborted, message: `${this.api} was cancelled`, httpStatus: 0 }));

  constructor(
    private readonly api: string,
    budgetMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    this.signal = this.controller.signal;
    this.promise = new Promise<never>((_, reject) => (this.reject = reject));
    this.promise.catch(() => undefined);
    this.timer = setTimeout(
      () => this.cancel(new TablestoreError({ code: ClientErrorCode.DeadlineExceeded, message: `${api}: deadline of ${budgetMs} ms exceeded`, httpStatus: 0 })),
      Math.max(0, budgetMs),
    );
    if (outer?.aborted) this.onAbort();
    else outer?.addEventListener('abort', this.onAbort, { once: true });
  }

  get error(): TablestoreError | undefined {
    return this.signal.aborted ? (this.signal.reason as TablestoreError) : undefined;
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.promise]);
  }

  private cancel(e: TablestoreError): void {
    if (this.signal.aborted) return;
    this.controller.abort(e);
    this.reject(e);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}

/** Resolves after `ms`, or early when `signal` aborts (no timer outlives a cancelled call). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
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
  /** Attempts repeated after a retryable failure (backoffs taken). */
  retries: number;
  /** Times the SDK config received different keys. */
  credentialSwaps: number;
  /** Forced refresh + retry after the service refused an STS token. */
  authRetries: number;
}

export class WideTableClient {
  readonly endpoint: string;
  readonly instance: string;
  readonly stats: WideTableClientStats = { calls: 0, retries: 0, credentialSwaps: 0, authRetries: 0 };
  private readonly sdk: InstanceType<typeof TableStore.Client>;
  private readonly credentials: CredentialProvider;
  private applied: Credentials | undefined;
  /** AccessKeyIds obtained by a forced refresh → when; "fresh" for FORCED_FRESH_MS (bounded). */
  private readonly forced = new Map<string, number>();
  private readonly deadlineMs: number;
  private readonly maxRetries: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly random: () => number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: WideTableClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.instance = options.instance;
    this.credentials = options.credentials;
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.maxRetries = options.retry?.maxRetries ?? 10;
    this.backoff = { baseMs: options.retry?.baseDelayMs ?? 20, capMs: options.retry?.maxDelayMs ?? 2000 };
    this.random = options.random ?? Math.random;
    this.onRetry = options.onRetry;
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

  /**
   * One SDK request with the SDK's retrying off, cancelled through `signal`, signed with exactly `keys`
   * (a per-request view of the shared config, so the keys checked on refusal are the keys that were sent).
   */
  private send(operation: string, params: object, keys: Credentials, signal: AbortSignal): { done: Promise<unknown>; stream(): http.ClientRequest | undefined } {
    const base = this.sdk.config;
    const config = Object.create(base) as typeof base;
    config.accessKeyId = keys.accessKeyId;
    config.secretAccessKey = keys.accessKeySecret;
    config.stsToken = keys.securityToken ?? null;
    config.httpOptions = { ...base.httpOptions, signal };
    const request = new TableStore.Request(config, operation, params);
    this.sdk.addAllRequestListeners(request);
    request.on('retry', noSdkRetry);
    const done = new Promise<unknown>((resolve, reject) => {
      void request.send((err, data) => (err ? reject(err) : resolve(data)));
    });
    return { done, stream: () => request.httpRequest.stream };
  }

  private async call<T>(api: string, operation: string, params: () => object, options: WideCallOptions = {}): Promise<T> {
    this.stats.calls += 1;
    const idempotent = isIdempotentApi(api);
    const budget = options.deadlineMs ?? this.deadlineMs;
    const deadline = Date.now() + budget;
    const cancel = new Cancellation(api, budget, options.signal);
    let authRetried = false;
    let retries = 0;
    let nextKeys: Credentials | undefined;
    try {
      for (;;) {
        if (cancel.error) throw cancel.error;
        const used = nextKeys ?? (await cancel.race(this.apply(false)));
        nextKeys = undefined;
        const attempt = this.send(operation, params(), used, cancel.signal);
        let e: TablestoreError;
        let failure: FailureInfo;
        try {
          return (await cancel.race(attempt.done)) as T;
        } catch (error) {
          if (cancel.error) throw cancel.error;
          e = toTablestoreError(error);
          failure = failureInfo(e, error, attempt.stream());
        }
        e.retryable = isRetryable(failure, idempotent);

        if (!authRetried && AUTH_CODES.has(e.code)) {
          authRetried = true;
          const fresh = await cancel.race(this.refreshAfterRefusal(used));
          if (!fresh) throw e;
          this.stats.authRetries += 1;
          nextKeys = fresh;
          continue;
        }

        if (!e.retryable || retries >= this.maxRetries) throw e;
        const delay = backoffDelayMs(retries, this.backoff, this.random);
        // Not enough time left for the wait and a useful attempt: the failure itself is the better answer
        // (a throttled call then surfaces as throttled, not as a deadline).
        if (Date.now() + delay + MIN_ATTEMPT_MS >= deadline) throw e;
        retries += 1;
        this.stats.retries += 1;
        this.onRetry?.({ apiName: api, retry: retries, delayMs: delay, code: e.code, httpStatus: e.httpStatus, ...(e.requestId ? { requestId: e.requestId } : {}) });
        await cancel.race(sleep(delay, cancel.signal));
      }
    } finally {
      cancel.dispose();
    }
  }

  /**
   * Newer keys after the service refused `used`, or undefined when a retry cannot help. Only temporary keys
   * can be cured by a refresh; a long-term key that is refused stays refused. Keys that were themselves just
   * force-refreshed are not refreshed again: a refusal then is a real policy denial (the service may use
   * OTSNoPermissionAccess for both), and must not cost an AssumeRole each.
   */
  private async refreshAfterRefusal(used: Credentials): Promise<Credentials | undefined> {
    const forcedAt = this.forced.get(used.accessKeyId);
    if (!used.securityToken || (forcedAt !== undefined && Date.now() - forcedAt < FORCED_FRESH_MS)) return undefined;
    // A concurrent call may already have refreshed: then use its keys instead of fetching again.
    const alreadyRefreshed = this.applied !== undefined && this.applied.accessKeyId !== used.accessKeyId;
    const fresh = await this.apply(!alreadyRefreshed);
    if (!alreadyRefreshed) {
      this.forced.set(fresh.accessKeyId, Date.now());
      if (this.forced.size > 64) this.forced.delete(this.forced.keys().next().value as string);
    }
    if (fresh.accessKeyId === used.accessKeyId && fresh.securityToken === used.securityToken) return undefined;
    return fresh;
  }

  async listTables(options?: WideCallOptions): Promise<string[]> {
    const r = await this.call<{ tableNames?: string[] }>('ListTable', 'listTable', () => ({}), options);
    return r.tableNames ?? [];
  }

  describeTable(tableName: string, options?: WideCallOptions): Promise<DescribeTableResult> {
    return this.call('DescribeTable', 'describeTable', () => ({ tableName }), options);
  }

  async createTable(p: CreateTableParams, options?: WideCallOptions): Promise<void> {
    await this.call(
      'CreateTable',
      'createTable',
      () => ({
        tableMeta: {
          tableName: p.tableName,
          primaryKey: p.primaryKey.map((k) => ({ name: k.name, type: k.type, ...(k.autoIncrement ? { option: 'AUTO_INCREMENT' } : {}) })),
        },
        reservedThroughput: { capacityUnit: { read: p.reservedThroughput?.read ?? 0, write: p.reservedThroughput?.write ?? 0 } },
        tableOptions: { timeToLive: p.timeToLive ?? -1, maxVersions: p.maxVersions ?? 1 },
      }),
      options,
    );
  }

  async deleteTable(tableName: string, options?: WideCallOptions): Promise<void> {
    await this.call('DeleteTable', 'deleteTable', () => ({ tableName }), options);
  }

  /** `row` is undefined when the row does not exist. */
  async getRow(p: GetRowParams, options?: WideCallOptions): Promise<{ row: WideRow | undefined; RequestId?: string }> {
    const r = await this.call<{ row?: unknown; RequestId?: string }>(
      'GetRow',
      'getRow',
      () => ({ tableName: p.tableName, primaryKey: p.primaryKey, ...readOptions(p) }),
      options,
    );
    return { row: hasRow(r.row) ? r.row : undefined, ...(r.RequestId ? { RequestId: r.RequestId } : {}) };
  }

  async getRange(p: GetRangeParams, options?: WideCallOptions): Promise<GetRangeResult> {
    const r = await this.call<{ rows?: WideRow[]; nextStartPrimaryKey?: GetRangeResult['nextStartPrimaryKey'] | null; RequestId?: string }>(
      'GetRange',
      'getRange',
      () => ({
        tableName: p.tableName,
        direction: p.direction ?? TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: p.inclusiveStartPrimaryKey,
        exclusiveEndPrimaryKey: p.exclusiveEndPrimaryKey,
        ...(p.limit !== undefined ? { limit: p.limit } : {}),
        ...readOptions(p),
      }),
      options,
    );
    return {
      rows: r.rows ?? [],
      ...(r.nextStartPrimaryKey ? { nextStartPrimaryKey: r.nextStartPrimaryKey } : {}),
      ...(r.RequestId ? { RequestId: r.RequestId } : {}),
    };
  }

  putRow(p: PutRowParams, options?: WideCallOptions): Promise<RowWriteResult> {
    return this.call(
      'PutRow',
      'putRow',
      () => ({
        tableName: p.tableName,
        condition: condition(p.condition),
        primaryKey: p.primaryKey,
        attributeColumns: p.attributeColumns,
        ...(p.returnContent ? { returnContent: p.returnContent } : {}),
      }),
      options,
    );
  }

  updateRow(p: UpdateRowParams, options?: WideCallOptions): Promise<RowWriteResult> {
    return this.call(
      'UpdateRow',
      'updateRow',
      () => ({
        tableName: p.tableName,
        condition: condition(p.condition),
        primaryKey: p.primaryKey,
        updateOfAttributeColumns: p.updateOfAttributeColumns,
      }),
      options,
    );
  }

  deleteRow(p: DeleteRowParams, options?: WideCallOptions): Promise<RowWriteResult> {
    return this.call('DeleteRow', 'deleteRow', () => ({ tableName: p.tableName, condition: condition(p.condition), primaryKey: p.primaryKey }), options);
  }

  batchGetRow(p: BatchGetRowParams, options?: WideCallOptions): Promise<BatchGetRowResult> {
    return this.call(
      'BatchGetRow',
      'batchGetRow',
      () => ({ tables: p.tables.map((t) => ({ tableName: t.tableName, primaryKey: t.primaryKey, ...readOptions(t) })) }),
      options,
    );
  }

  batchWriteRow(p: BatchWriteRowParams, options?: WideCallOptions): Promise<BatchWriteRowResult> {
    return this.call(
      'BatchWriteRow',
      'batchWriteRow',
      () => ({
        tables: p.tables.map((t) => ({
          tableName: t.tableName,
          rows: t.rows.map((r) => ({ ...r, condition: condition(r.condition) })),
        })),
      }),
      options,
    );
  }
}
