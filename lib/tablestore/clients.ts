/**
 * One wide-table client and one time series client per (region, instance, endpoint), kept for the life of
 * the process (i.e. across FC invocations), both on one transport (one keep-alive pool, one retry engine).
 * Credentials are not part of the key: each call may bring a new provider (FC hands every invocation fresh
 * `context.credentials`) and the cached clients switch to it in place: same client objects, same sockets.
 *
 * `sdk()` is the escape hatch for APIs our clients do not cover (search, SQL, indexes): the official
 * `tablestore` SDK, imported on first use only (it is not bundled; install it beside your function), with
 * the current keys of the same provider written into its config on every `sdk()` call.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { CredentialProvider } from '../credentials/types';
import { memoize } from '../credentials/compose';
import { isInstanceName, isRegionId } from './names';
import { TimeseriesClient } from './timeseries';
import { createTransport, type Transport } from './transport/index';
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
  /** Request signatures (default V4; Tablestore also accepts V2). Part of the cache key. */
  readonly signatureVersion?: 'v2' | 'v4';
}

/** The official SDK's client, as far as `sdk()` types it (the SDK ships no types). */
export interface OfficialSdkClient {
  readonly config: Record<string, unknown>;
  [method: string]: unknown;
}

export interface TablestoreClients {
  readonly wide: WideTableClient;
  readonly timeseries: TimeseriesClient;
  readonly endpoint: string;
  /** The official `tablestore` SDK client with the provider's current keys; imported on the first call. */
  sdk(): Promise<OfficialSdkClient>;
}

/** `https://<instance>.<region>.ots.aliyuncs.com`, or the VPC form `…<region>.vpc.tablestore.aliyuncs.com`. */
export function tablestoreEndpoint(region: string, instance: string, network: TablestoreNetwork = 'public'): string {
  if (!isRegionId(region)) throw new TypeError(`invalid region ${JSON.stringify(region)}`);
  if (!isInstanceName(instance)) throw new TypeError(`invalid instance name ${JSON.stringify(instance)}`);
  const name = instance.toLowerCase();
  return network === 'vpc'
    ? `https://${name}.${region}.vpc.tablestore.aliyuncs.com`
    : `https://${name}.${region}.ots.aliyuncs.com`;
}

interface Entry {
  readonly clients: TablestoreClients;
  readonly agent: http.Agent;
  readonly transport: Transport;
  source: CredentialProvider;
  current: CredentialProvider;
}

const cache = new Map<string, Entry>();
const counters = { constructions: 0, socketsCreated: 0 };

function countingAgent(secure: boolean): http.Agent {
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 64 })
    : new http.Agent({ keepAlive: true, maxSockets: 64 });
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
  const endpoint = (options.endpoint ?? tablestoreEndpoint(options.region, options.instance, options.network)).replace(
    /\/+$/,
    '',
  );
  const signatureVersion = options.signatureVersion ?? 'v4';
  const key = `${options.region}\u0000${options.instance.toLowerCase()}\u0000${endpoint}\u0000${signatureVersion}`;
  let entry = cache.get(key);
  if (!entry) {
    const agent = countingAgent(endpoint.startsWith('https:'));
    // The clients call through the entry, so a later call's provider takes over without rebuilding them.
    const delegate: CredentialProvider = (o) => entry!.current(o);
    const transport = createTransport({
      endpoint,
      instance: options.instance,
      region: options.region,
      signatureVersion,
      credentials: delegate,
      agent,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    let sdk: Promise<OfficialSdkClient> | undefined;
    entry = {
      agent,
      transport,
      source: options.credentials,
      current: memoize(options.credentials),
      clients: {
        endpoint,
        wide: new WideTableClient({ transport }),
        timeseries: new TimeseriesClient({ transport }),
        async sdk() {
          sdk ??= loadSdk(endpoint, options.instance, agent);
          const [client, keys] = await Promise.all([sdk, delegate()]);
          // One synchronous block: a request is never signed with half-swapped keys.
          Object.assign(client.config, {
            accessKeyId: keys.accessKeyId,
            secretAccessKey: keys.accessKeySecret,
            accessKeySecret: null,
            stsToken: keys.securityToken ?? null,
            securityToken: null,
          });
          return client;
        },
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

async function loadSdk(endpoint: string, instance: string, agent: http.Agent): Promise<OfficialSdkClient> {
  // A variable specifier keeps bundlers from inlining the SDK: it is loaded from node_modules on first use.
  const name = 'tablestore';
  const mod = (await import(name)) as { default?: unknown; Client?: unknown };
  const TableStore = (mod.default ?? mod) as { Client: new (config: object) => OfficialSdkClient };
  return new TableStore.Client({
    accessKeyId: '',
    secretAccessKey: '',
    endpoint,
    instancename: instance,
    httpOptions: { maxSockets: 64, agent },
  });
}

/** Diagnostics (and test evidence): client constructions and sockets opened by the wide-table pools. */
export function tablestoreClientStats(): { constructions: number; entries: number; socketsCreated: number } {
  return { ...counters, entries: cache.size };
}

/** Drop every cached client and close idle sockets (tests, or a process that changes its mind). */
export function clearTablestoreClients(): void {
  for (const entry of cache.values()) entry.transport.close();
  cache.clear();
}
