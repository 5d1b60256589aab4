/**
 * One wide-table client and one time series client per (region, instance, endpoint), kept for the life of
 * the process (i.e. across FC invocations). Credentials are not part of the key: each call may bring a new
 * provider (FC hands every invocation fresh `context.credentials`) and the cached clients switch to it in
 * place: same client objects, same keep-alive sockets.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { CredentialProvider } from '../credentials/types';
import { memoize } from '../credentials/compose';
import { isInstanceName, isRegionId } from './names';
import { TimeseriesClient } from './timeseries';
import { WideTableClient } from './wide';

export type TablestoreNetwork = 'public' | 'vpc';

export interface TablestoreClientsOptions {
  /** e.g. cn-hangzhou */
  readonly region: string;
  readonly instance: string;
  /** Explicit endpoint (e.g. Tablestore Local's `http://127.0.0.1:8800`); wins over region + network. */
  readonly endpoint?: string;
  /** Which derived endpoint to use when none is given (default public; functions in a VPC use vpc). */
  readonly network?: TablestoreNetwork;
  /** This call's credentials; they replace the previous call's for both clients. */
  readonly credentials: CredentialProvider;
  readonly timeoutMs?: number;
}

export interface TablestoreClients {
  readonly wide: WideTableClient;
  readonly timeseries: TimeseriesClient;
  readonly endpoint: string;
}

/** `https://<instance>.<region>.ots.aliyuncs.com`, or the VPC form `…<region>.vpc.tablestore.aliyuncs.com`. */
export function tablestoreEndpoint(region: string, instance: string, network: TablestoreNetwork = 'public'): string {
  if (!isRegionId(region)) throw new TypeError(`invalid region ${JSON.stringify(region)}`);
  if (!isInstanceName(instance)) throw new TypeError(`invalid instance name ${JSON.stringify(instance)}`);
  const name = instance.toLowerCase();
  return network === 'vpc' ? `https://${name}.${region}.vpc.tablestore.aliyuncs.com` : `https://${name}.${region}.ots.aliyuncs.com`;
}

interface Entry {
  readonly clients: TablestoreClients;
  readonly agent: http.Agent;
  source: CredentialProvider;
  current: CredentialProvider;
}

const cache = new Map<string, Entry>();
const counters = { constructions: 0, socketsCreated: 0 };

function countingAgent(secure: boolean): http.Agent {
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
  // Counted so tests can prove that credential swaps reuse the pool.
  const a = agent as unknown as { createConnection: (...args: unknown[]) => Socket };
  const create = a.createConnection.bind(agent);
  a.createConnection = (...args: unknown[]) => {
    counters.socketsCreated += 1;
    return create(...args);
  };
  return agent;
}

export function getTablestoreClients(options: TablestoreClientsOptions): TablestoreClients {
  const endpoint = (options.endpoint ?? tablestoreEndpoint(options.region, options.instance, options.network)).replace(/\/+$/, '');
  const key = `${options.region}\u0000${options.instance.toLowerCase()}\u0000${endpoint}`;
  let entry = cache.get(key);
  if (!entry) {
    const agent = countingAgent(endpoint.startsWith('https:'));
    // The clients call through the entry, so a later call's provider takes over without rebuilding them.
    const delegate: CredentialProvider = (o) => entry!.current(o);
    entry = {
      agent,
      source: options.credentials,
      current: memoize(options.credentials),
      clients: {
        endpoint,
        wide: new WideTableClient({ endpoint, instance: options.instance, credentials: delegate, agent, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }),
        timeseries: new TimeseriesClient({ endpoint, instance: options.instance, region: options.region, credentials: delegate, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }),
      },
    };
    cache.set(key, entry);
    counters.constructions += 1;
  } else if (entry.source !== options.credentials) {
    // Memoized so that a raw AssumeRole provider is not called once per request.
    entry.source = options.credentials;
    entry.current = memoize(options.credentials);
  }
  return entry.clients;
}

/** Diagnostics (and test evidence): client constructions and sockets opened by the wide-table pools. */
export function tablestoreClientStats(): { constructions: number; entries: number; socketsCreated: number } {
  return { ...counters, entries: cache.size };
}

/** Drop every cached client and close idle sockets (tests, or a process that changes its mind). */
export function clearTablestoreClients(): void {
  for (const entry of cache.values()) {
    entry.agent.destroy();
    entry.clients.timeseries.close();
  }
  cache.clear();
}
