import { fromFcInvocation } from '../credentials/index';
import type { FcContext } from '../fc/types';
import { getTablestoreClients } from '../tablestore/clients';
import type { ApiConfig } from './config';
import type { TablestoreReaders } from './ports';
import { timeseriesReader } from './timeseries-adapter';
import { wideReader } from './wide-adapter';

/**
 * Readers for one invocation: credentials come from this invocation's `context.credentials` (falling back to
 * the ALIBABA_CLOUD_* environment), and the clients from the shared per-(region, instance, endpoint) cache, so
 * connections survive across invocations while rotated credentials take effect immediately.
 */
export function readersFor(config: ApiConfig, context: FcContext, signal?: AbortSignal): TablestoreReaders {
  const clients = getTablestoreClients({
    region: config.region,
    instance: config.instance,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.network === undefined ? {} : { network: config.network }),
    credentials: fromFcInvocation(context),
  });
  // The wide-table client (official SDK) has no cancellation; the time series calls stop at the deadline.
  return { wide: wideReader(clients.wide), timeseries: timeseriesReader(clients.timeseries, signal ? { signal } : {}) };
}
