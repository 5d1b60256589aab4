import { createHash } from 'node:crypto';
import { ApiError } from '../fc/errors';
import { isInstanceName, isRegionId, isTableName } from '../tablestore/names';

/** Runtime configuration of the functions, read from the environment on every invocation. */
export interface ApiConfig {
  readonly instance: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly network?: 'public' | 'vpc';
  /** When set, only these tables (wide and time series) are visible; others answer 404. */
  readonly tables?: ReadonlySet<string>;
  /** Key for `next` tokens. */
  readonly tokenKey: string;
  /** True when `tokenKey` was derived from the (public) region and instance because PAGE_TOKEN_SECRET is unset. */
  readonly tokenKeyDerived: boolean;
  /** Request signatures; V4 unless TABLESTORE_SIGNATURE_VERSION=v2. */
  readonly signatureVersion?: 'v2' | 'v4';
}

export const ENV = {
  instance: 'TABLESTORE_INSTANCE',
  endpoint: 'TABLESTORE_ENDPOINT',
  network: 'TABLESTORE_NETWORK',
  tables: 'TABLESTORE_TABLES',
  region: 'FC_REGION',
  tokenKey: 'PAGE_TOKEN_SECRET',
  signatureVersion: 'TABLESTORE_SIGNATURE_VERSION',
} as const;

const misconfigured = (message: string): ApiError => new ApiError(500, 'InvalidConfiguration', message);

let last: { readonly values: string; readonly config: ApiConfig } | undefined;

/**
 * Validates the function's environment. Errors name the variable and what is wrong, and are answered as
 * one 500 `InvalidConfiguration` per request instead of failing the module load (which FC would retry).
 * Read on every invocation, so a changed variable takes effect at once; parsed again only when one of them
 * changed (the derived token key costs a SHA-256 otherwise paid by every request).
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const values = Object.values(ENV)
    .map((name) => env[name] ?? '\u0001')
    .join('\u0000');
  if (last?.values === values) return last.config;
  const config = parseConfig(env);
  last = { values, config };
  return config;
}

function parseConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const instance = env[ENV.instance]?.trim();
  if (!instance) throw misconfigured(`${ENV.instance} is not set; set it to the Tablestore instance name.`);
  if (!isInstanceName(instance))
    throw misconfigured(`${ENV.instance} '${instance.slice(0, 70)}' is not a valid instance name.`);
  const region = env[ENV.region]?.trim();
  if (!region)
    throw misconfigured(`${ENV.region} is not set (Function Compute sets it; set it when running elsewhere).`);
  if (!isRegionId(region)) throw misconfigured(`${ENV.region} '${region.slice(0, 40)}' is not a region id.`);
  const endpoint = env[ENV.endpoint]?.trim() || undefined;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.pathname.length > 1 ||
      url.search ||
      url.username
    ) {
      throw misconfigured(
        `${ENV.endpoint} must be an http(s) URL without a path, e.g. https://${instance}.${region}.ots.aliyuncs.com.`,
      );
    }
  }
  const networkRaw = env[ENV.network]?.trim() || undefined;
  if (networkRaw !== undefined && networkRaw !== 'public' && networkRaw !== 'vpc') {
    throw misconfigured(`${ENV.network} must be 'public' or 'vpc'.`);
  }
  const signatureRaw = env[ENV.signatureVersion]?.trim().toLowerCase() || undefined;
  if (signatureRaw !== undefined && signatureRaw !== 'v2' && signatureRaw !== 'v4') {
    throw misconfigured(`${ENV.signatureVersion} must be 'v2' or 'v4'.`);
  }
  let tables: Set<string> | undefined;
  const tablesRaw = env[ENV.tables]?.trim();
  if (tablesRaw) {
    tables = new Set(
      tablesRaw
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    );
    for (const t of tables)
      if (!isTableName(t))
        throw misconfigured(`${ENV.tables} contains '${t.slice(0, 70)}', which is not a table name.`);
  }
  // Without a configured key, tokens are still bound to table and query (the binding check is what stops
  // replay); the key then only needs to be stable across instances, so derive it from the instance.
  const tokenKeyDerived = !env[ENV.tokenKey];
  const tokenKey =
    env[ENV.tokenKey] || createHash('sha256').update(`tablestore-fc/page-token/${region}/${instance}`).digest('hex');
  return {
    instance,
    region,
    ...(endpoint === undefined ? {} : { endpoint: endpoint.replace(/\/$/, '') }),
    ...(networkRaw === undefined ? {} : { network: networkRaw }),
    ...(tables === undefined ? {} : { tables }),
    ...(signatureRaw === undefined ? {} : { signatureVersion: signatureRaw }),
    tokenKey,
    tokenKeyDerived,
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
let warnedDerivedKey = false;

/**
 * Warns once per function instance when `next` tokens are signed with the derived key outside a local run
 * (an endpoint on loopback): region and instance are public in the endpoint's host name, so anyone can sign
 * a token then. Forged positions are still validated (400), but they can start a page anywhere in the table
 * the function may read, bypassing the `start` the caller was given. See docs/functions.md, "Page tokens".
 */
export function warnIfDerivedTokenKey(config: ApiConfig, warn: (message: string) => void): void {
  if (warnedDerivedKey || !config.tokenKeyDerived) return;
  if (config.endpoint !== undefined && LOOPBACK.has(new URL(config.endpoint).hostname)) return;
  warnedDerivedKey = true;
  warn(
    `${ENV.tokenKey} is not set: next tokens are signed with a key derived from the region and instance name, which anyone can compute. Set ${ENV.tokenKey} to a random secret.`,
  );
}
