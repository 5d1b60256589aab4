import { fromFcInvocation } from '../credentials/fc-invocation';
import type { FcContext } from '../fc/types';
import { getTablestoreClients } from '../tablestore/clients';
import type { WideCallOptions } from '../tablestore/wide';
import type { ApiConfig } from './config';
import type { TablestoreReaders } from './ports';
import { timeseriesReader } from './timeseries-adapter';
import { wideReader } from './wide-adapter';

/**
 * Each Tablestore call gets the time left before the function deadline minus this reserve as its overall
 * budget (retries and backoff included), so a call that is still throttled gives up with its own error
 * (→ 503 + Retry-After) while there is time to answer, before the HTTP chain's early timeout (300 ms before
 * the deadline → 504) or the audit's cancellation (500 ms before).
 */
export const CALL_RESERVE_MS = 600;

/**
 * Readers for one invocation: credentials come from this invocation's `context.credentials` (falling back to
 * the ALIBABA_CLOUD_* environment), and the clients from the shared per-(region, instance, endpoint) cache, so
 * connections survive across invocations while rotated credentials take effect immediately.
 */
export function readersFor(config: ApiConfig, context: FcContext, signal?: AbortSignal): TablestoreReaders {
  const credentials = fromFcInvocation(context);
  const clients = getTablestoreClients({
    region: config.region,
    instance: config.instance,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.network === undefined ? {} : { network: config.network }),
    ...(config.signatureVersion === undefined ? {} : { signatureVersion: config.signatureVersion }),
    credentials,
  });
  // Read per call: the budget shrinks as the invocation goes on. `signal` (the deadline seen by middy or
  // the audit) cancels whatever is still in flight, on both clients.
  const remaining = context.getRemainingTimeInMillis;
  const options = (): WideCallOptions => ({
    ...(signal ? { signal } : {}),
    ...(remaining ? { deadlineMs: Math.max(1, remaining() - CALL_RESERVE_MS) } : {}),
  });
  const caller = async () => (await credentials()).accessKeyId;
  return {
    wide: wideReader(clients.wide, options, caller),
    timeseries: timeseriesReader(clients.timeseries, options),
    search: { transport: clients.wide.transport, options },
  };
}
