import { createHash } from 'node:crypto';
import { ApiError } from '../fc/errors';

/** Runtime configuration of the functions, read from the environment on every invocation (it is cheap). */
export interface ApiConfig {
  readonly instance: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly network?: 'public' | 'vpc';
  /** When set, only these tables (wide and time series) are visible; others answer 404. */
  readonly tables?: ReadonlySet<string>;
  /** Key for `next` tokens. */
  readonly tokenKey: string;
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

// Tablestore instance names: 3–16 letters, digits and hyphens, starting with a letter, not ending with a hyphen.
const INSTANCE = /^[A-Za-z][A-Za-z0-9-]{1,14}[A-Za-z0-9]$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;

const misconfigured = (message: string): ApiError => new ApiError(500, 'InvalidConfiguration', message);

/**
 * Validates the function's environment. Errors name the variable and what is wrong, and are answered as
 * one 500 `InvalidConfiguration` per request instead of failing the module load (which FC would retry).
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const instance = env[ENV.instance]?.trim();
  if (!instance) throw misconfigured(`${ENV.instance} is not set; set it to the Tablestore instance name.`);
  if (!INSTANCE.test(instance)) throw misconfigured(`${ENV.instance} '${instance.slice(0, 70)}' is not a valid instance name.`);
  const region = env[ENV.region]?.trim();
  if (!region) throw misconfigured(`${ENV.region} is not set (Function Compute sets it; set it when running elsewhere).`);
  if (!REGION.test(region)) throw misconfigured(`${ENV.region} '${region.slice(0, 40)}' is not a region id.`);
  const endpoint = env[ENV.endpoint]?.trim() || undefined;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname.length > 1 || url.search || url.username) {
      throw misconfigured(`${ENV.endpoint} must be an http(s) URL without a path, e.g. https://${instance}.${region}.ots.aliyuncs.com.`);
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
    tables = new Set(tablesRaw.split(',').map((t) => t.trim()).filter(Boolean));
    for (const t of tables) if (!TABLE.test(t)) throw misconfigured(`${ENV.tables} contains '${t.slice(0, 70)}', which is not a table name.`);
  }
  // Without a configured key, tokens are still bound to table and query (the binding check is what stops
  // replay); the key then only needs to be stable across instances, so derive it from the instance.
  const tokenKey = env[ENV.tokenKey] || createHash('sha256').update(`tablestore-fc/page-token/${region}/${instance}`).digest('hex');
  return {
    instance,
    region,
    ...(endpoint === undefined ? {} : { endpoint: endpoint.replace(/\/$/, '') }),
    ...(networkRaw === undefined ? {} : { network: networkRaw }),
    ...(tables === undefined ? {} : { tables }),
    ...(signatureRaw === undefined ? {} : { signatureVersion: signatureRaw }),
    tokenKey,
  };
}
