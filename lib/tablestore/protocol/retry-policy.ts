/**
 * Which failures are worth retrying, following the official SDKs' retry classes (docs/protocol.md §4.3):
 * throttling/contention codes are retried for every API, because the service did not apply the request;
 * ambiguous failures (server-side timeouts, internal errors, 5xx, broken connections) only for idempotent
 * operations, because a write may already have happened.
 */

/** Codes the service returns when it did not execute the request; safe to retry for any API. */
export const RETRYABLE_FOR_ANY_API: ReadonlySet<string> = new Set([
  'OTSRowOperationConflict',
  'OTSNotEnoughCapacityUnit',
  'OTSTableNotReady',
  'OTSPartitionUnavailable',
  'OTSServerBusy',
  'OTSStorageServerBusy', // Go
  'OTSOperationThrottled', // Python
]);

/** OTSQuotaExhausted is retryable only in this flavour (the others are hard quota limits). */
export const RETRYABLE_QUOTA_MESSAGE = 'Too frequent table operations.';

/** Codes whose outcome is unknown; retried only when repeating the request cannot do harm. */
export const RETRYABLE_IF_IDEMPOTENT: ReadonlySet<string> = new Set([
  'OTSTimeout',
  'OTSInternalServerError',
  'OTSServerUnavailable',
  'OTSTunnelServerUnavailable',
]);

/** Read-only APIs (Java `OperationNames` idempotent list plus the Python read list). */
export const IDEMPOTENT_APIS: ReadonlySet<string> = new Set([
  'ListTable',
  'DescribeTable',
  'GetRow',
  'BatchGetRow',
  'GetRange',
  'ComputeSplitPointsBySize',
  'ListSearchIndex',
  'DescribeSearchIndex',
  'Search',
  'ParallelScan',
  'ComputeSplits',
  'ListStream',
  'DescribeStream',
  'GetShardIterator',
  'GetStreamRecord',
  'ListTimeseriesTable',
  'DescribeTimeseriesTable',
  'GetTimeseriesData',
  'QueryTimeseriesMeta',
  'ScanTimeseriesData',
  'SplitTimeseriesScanTask',
  'DescribeTimeseriesAnalyticalStore',
]);

export function isIdempotentApi(apiName: string): boolean {
  return IDEMPOTENT_APIS.has(apiName);
}

/** What the retry decision needs to know about a failure. */
export interface FailureInfo {
  /** OTS error code from the response body, when there was one. */
  readonly code?: string;
  readonly message?: string;
  /** HTTP status, when a response arrived. */
  readonly httpStatus?: number;
  /**
   * True when no usable response arrived (connection refused/reset, per-attempt timeout, truncated or
   * corrupted body): the outcome is unknown, so only idempotent calls are retried...
   */
  readonly transportFailure?: boolean;
  /** ...unless the request provably never left (e.g. connection refused): then any API may be retried. */
  readonly requestSent?: boolean;
}

export function isRetryable(failure: FailureInfo, idempotent: boolean): boolean {
  if (failure.transportFailure) return idempotent || failure.requestSent === false;
  const { code } = failure;
  if (code !== undefined) {
    if (RETRYABLE_FOR_ANY_API.has(code)) return true;
    if (code === 'OTSQuotaExhausted') return failure.message === RETRYABLE_QUOTA_MESSAGE;
    if (RETRYABLE_IF_IDEMPOTENT.has(code)) return idempotent;
  }
  if (failure.httpStatus !== undefined && failure.httpStatus >= 500) return idempotent;
  return false;
}

/**
 * Do not start another attempt with less time than this left before the overall deadline: surface the last
 * failure instead, so a throttled call reports throttling rather than a deadline it would hit anyway.
 */
export const MIN_ATTEMPT_MS = 100;

export interface BackoffOptions {
  /** First retry waits up to this many ms (default 20). */
  readonly baseMs?: number;
  /** Upper bound of any single wait (default 2000). */
  readonly capMs?: number;
}

/**
 * "Full jitter" exponential backoff: uniformly random in [1, min(cap, base * 2^attempt)] ms, like Java's
 * random-in-[1, base] with a doubling base. `attempt` counts retries from 0. `random` is injectable for tests.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 20;
  const cap = options.capMs ?? 2000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.ceil(random() * ceiling));
}
