/**
 * The Docker-free local Function Compute 3.0 runner. One HTTP server (default http://127.0.0.1:9000) that
 *  - serves every function with an HTTP trigger: `/<functionName>/<path>` reaches that function with
 *    rawPath `/<path>`; when exactly one function has an HTTP trigger it also answers at the root (`/<path>`);
 *  - answers FC 3.0's InvokeFunction API (`POST /2023-03-30/functions/<name>/invocations`, ACS3-HMAC-SHA256
 *    signed, as `@alicloud/fc20230330` sends it);
 * and fires timer triggers on their schedules. Each invocation runs in a worker-thread instance (instance-pool.ts)
 * with the function's environment, timeout and memory limit, and a context carrying role credentials that
 * are re-fetched on a short schedule so rotation is exercised.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CredentialProvider, Credentials } from '../../lib/credentials/types';
import type { IdentityStore } from '../tablestore/auth/identity';
import { loadProject, type FunctionSpec, type ProjectSpec, type TimerTriggerSpec } from './config';
import { FunctionPool, type FcContextData, type InvocationOutcome } from './instance-pool';
import { buildHttpEvent, toHttpReply } from './http-trigger';
import { API_PATH, handleInvokeApi, staticKeyStore } from './invoke-api';
import { fcRequestId, readBody, safeDecode } from '../http/helpers';
import { schedule, type ScheduledTimer } from './timers';

export type { FunctionSpec, ProjectSpec, InvocationOutcome };

export interface RunnerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface FcRunnerOptions {
  /** Path of s.yaml (default `./s.yaml`); ignored when `project` is given. */
  readonly sYamlPath?: string | undefined;
  readonly project?: ProjectSpec | undefined;
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Default: env PORT, else 9000. 0 picks a free port. */
  readonly port?: number | undefined;
  /** Account id for `${config('AccountID')}`, role ARNs, contexts and InvokeFunction resources. */
  readonly accountId?: string | undefined;
  /** Environment for `${env()}` in s.yaml (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Applied over every function's environmentVariables (e.g. point OTS_ENDPOINT at Tablestore Local). */
  readonly environmentOverrides?: Readonly<Record<string, string>> | undefined;
  /** The role credentials of a function (called once per function with a role); none → `context.credentials` is `{}`. */
  readonly credentials?: (fn: FunctionSpec) => CredentialProvider | undefined;
  /** How often role credentials are re-fetched (forced refresh). Default 60 s. */
  readonly credentialsRefreshMs?: number | undefined;
  /** Who may call the InvokeFunction API (signature secret + `fc:InvokeFunction` authorization). */
  readonly identities?: IdentityStore | undefined;
  /** Shortcut for `identities`: long-term keys allowed to do anything. */
  readonly accessKeys?: readonly { readonly id: string; readonly secret: string }[] | undefined;
  /** Fire timer triggers (default true). */
  readonly timers?: boolean | undefined;
  /** Replace schedules: key `<functionName>` or `<functionName>/<triggerName>`, value a cron or `@every`. */
  readonly timerOverrides?: Readonly<Record<string, string>> | undefined;
  /** Instances per function before invocations queue. Default 4. */
  readonly maxInstancesPerFunction?: number | undefined;
  /** Idle instances are stopped after this long, like FC reclaims them. Default 10 min; 0 = never. */
  readonly instanceIdleTimeoutMs?: number | undefined;
  /** Runner messages and function log lines. Default: console. */
  readonly logger?: RunnerLogger | undefined;
  /** Print function log lines through the logger (default true). */
  readonly functionLogs?: boolean | undefined;
  /** Allowed clock skew of signed API requests. Default 15 min. */
  readonly clockSkewMs?: number | undefined;
}

export type InvocationSource = 'http' | 'timer' | 'invoke-api' | 'direct';

export interface InvocationRecord {
  readonly functionName: string;
  readonly source: InvocationSource;
  readonly triggerName?: string;
  readonly outcome: InvocationOutcome;
}

export interface CredentialsRecord {
  readonly functionName: string;
  readonly accessKeyId: string;
  readonly expiration?: Date;
}

export interface InvokeOptions {
  readonly qualifier?: string | undefined;
  readonly source?: InvocationSource | undefined;
  readonly triggerName?: string | undefined;
}

export interface FcRunner {
  /** `http://host:port` */
  readonly url: string;
  /** `host:port`, for SDK endpoints. */
  readonly endpoint: string;
  readonly port: number;
  readonly accountId: string;
  readonly project: ProjectSpec;
  /** The function answering at `/` (the only one with an HTTP trigger), if any. */
  readonly defaultHttpFunction?: string;
  invoke(functionName: string, event: Buffer | string | object, options?: InvokeOptions): Promise<InvocationOutcome>;
  /** Fires a timer trigger now with its configured payload. */
  fireTimer(functionName: string, triggerName?: string): Promise<InvocationOutcome>;
  /** The role credentials a function currently gets (undefined: no role). */
  currentCredentials(functionName: string): Credentials | undefined;
  /** Forces a credential refresh for every function now. */
  rotateCredentials(): Promise<void>;
  onInvocation(listener: (record: InvocationRecord) => void): () => void;
  onCredentials(listener: (record: CredentialsRecord) => void): () => void;
  stop(): Promise<void>;
}

export const DEFAULT_ACCOUNT_ID = '1234567890123456';
const MAX_BODY = 32 * 1024 * 1024;

/** FC 3.0 request ids look like `1-<8 hex seconds>-<24 hex>`. */
export const newRequestId = fcRequestId;

const consoleLogger: RunnerLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export async function startFcRunner(options: FcRunnerOptions = {}): Promise<FcRunner> {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const log = options.logger ?? consoleLogger;
  const project =
    options.project ??
    loadProject(options.sYamlPath ?? 's.yaml', { env: options.env, config: { AccountID: accountId }, accountId });
  const byName = new Map(project.functions.map((f) => [f.functionName, f]));
  const httpFunctions = project.functions.filter((f) => f.triggers.some((t) => t.type === 'http'));
  const defaultHttpFunction = httpFunctions.length === 1 ? httpFunctions[0].functionName : undefined;
  const invocationListeners = new Set<(r: InvocationRecord) => void>();
  const credentialListeners = new Set<(r: CredentialsRecord) => void>();

  // ---- role credentials, renewed on a schedule ---------------------------------------------------------
  const providers = new Map<string, CredentialProvider>();
  const current = new Map<string, Credentials>();
  for (const fn of project.functions) {
    const p = fn.role ? options.credentials?.(fn) : undefined;
    if (p) providers.set(fn.functionName, p);
    else if (fn.role)
      log.warn(`[fc] ${fn.functionName}: role ${fn.role} but no credential source; context.credentials will be {}`);
  }
  const refresh = async (force: boolean): Promise<void> => {
    await Promise.all(
      [...providers].map(async ([name, provider]) => {
        try {
          const c = await provider({ forceRefresh: force });
          const previous = current.get(name);
          current.set(name, c);
          if (!previous || previous.accessKeyId !== c.accessKeyId || previous.securityToken !== c.securityToken) {
            for (const l of credentialListeners)
              l({
                functionName: name,
                accessKeyId: c.accessKeyId,
                ...(c.expiration === undefined ? {} : { expiration: c.expiration }),
              });
          }
        } catch (e) {
          log.error(`[fc] ${name}: could not obtain role credentials: ${(e as Error).message}`);
          if (!current.has(name)) throw e;
        }
      }),
    );
  };
  await refresh(false);
  let refreshing: Promise<void> | undefined;
  const refreshTimer = setInterval(() => {
    refreshing ??= refresh(true)
      .catch(() => undefined)
      .finally(() => {
        refreshing = undefined;
      });
  }, options.credentialsRefreshMs ?? 60_000);
  refreshTimer.unref();

  // ---- instances -------------------------------------------------------------------------------------------
  const functionLogs = options.functionLogs ?? true;
  const pools = new Map<string, FunctionPool>();
  for (const fn of project.functions) {
    pools.set(
      fn.functionName,
      new FunctionPool(fn, {
        maxInstances: options.maxInstancesPerFunction ?? 4,
        idleTimeoutMs: options.instanceIdleTimeoutMs,
        onLog: (line) => {
          if (functionLogs) log.info(`[${fn.functionName}] ${line}`);
        },
        instanceEnv: (instanceId) =>
          instanceEnvironment(fn, instanceId, accountId, current.get(fn.functionName), options.environmentOverrides),
      }),
    );
  }

  const contextFor = (fn: FunctionSpec, requestId: string, qualifier: string): FcContextData => {
    const c = current.get(fn.functionName);
    return {
      requestId,
      credentials: c
        ? { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken ?? '' }
        : {},
      function: { name: fn.functionName, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout },
      service: { logProject: '', logStore: '', qualifier, versionId: '' },
      region: fn.region,
      accountId,
      retryCount: 0,
      tracing: {},
    };
  };

  const invoke = async (
    functionName: string,
    event: Buffer | string | object,
    opts: InvokeOptions = {},
    requestId = newRequestId(),
  ): Promise<InvocationOutcome> => {
    const fn = byName.get(functionName);
    const pool = pools.get(functionName);
    if (!fn || !pool)
      throw new Error(
        `no function named "${functionName}" in ${project.file} (have: ${[...byName.keys()].join(', ')})`,
      );
    const bytes = Buffer.isBuffer(event)
      ? event
      : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event), 'utf8');
    // The context is built when the invocation reaches its instance (after a cold start), with the credentials current then.
    const outcome = await pool.invoke(bytes, () => contextFor(fn, requestId, opts.qualifier ?? 'LATEST'));
    const record: InvocationRecord = {
      functionName,
      source: opts.source ?? 'direct',
      ...(opts.triggerName === undefined ? {} : { triggerName: opts.triggerName }),
      outcome,
    };
    for (const l of invocationListeners) l(record);
    return outcome;
  };

  // ---- timers ----------------------------------------------------------------------------------------------
  const timerEvent = (t: TimerTriggerSpec, at: Date): string =>
    JSON.stringify({
      triggerTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      triggerName: t.name,
      ...(t.payload !== undefined ? { payload: t.payload } : {}),
    });
  const fireTimer = async (fn: FunctionSpec, t: TimerTriggerSpec, at: Date): Promise<InvocationOutcome> => {
    const outcome = await invoke(fn.functionName, timerEvent(t, at), {
      qualifier: t.qualifier,
      source: 'timer',
      triggerName: t.name,
    });
    const status = outcome.ok ? 'ok' : `${outcome.errorType}: ${outcome.error?.errorMessage}`;
    log.info(
      `[fc] timer ${fn.functionName}/${t.name} ${status} ${outcome.durationMs.toFixed(0)}ms ${outcome.requestId}`,
    );
    return outcome;
  };
  const timers: ScheduledTimer[] = [];
  for (const fn of project.functions) {
    for (const t of fn.triggers) {
      if (t.type !== 'timer') continue;
      const expr =
        options.timerOverrides?.[`${fn.functionName}/${t.name}`] ??
        options.timerOverrides?.[fn.functionName] ??
        t.cronExpression;
      if (!t.enable) {
        log.info(`[fc] timer ${fn.functionName}/${t.name} is disabled (enable: false)`);
        continue;
      }
      if (options.timers === false) continue;
      timers.push(
        schedule(expr, (at) => {
          fireTimer(fn, t, at).catch((e: unknown) =>
            log.error(`[fc] timer ${fn.functionName}/${t.name}: ${(e as Error).message}`),
          );
        }),
      );
      log.info(`[fc] timer ${fn.functionName}/${t.name} scheduled: ${expr}`);
    }
    for (const t of fn.triggers) {
      if (t.type === 'http' && t.authType !== 'anonymous') {
        log.warn(
          `[fc] ${fn.functionName}/${t.name}: trigger authType "${t.authType}" is NOT enforced locally; every request is let through`,
        );
      }
    }
    for (const s of fn.skippedTriggers) log.warn(`[fc] ${fn.functionName}: trigger ${s} is not emulated locally`);
    if (fn.instanceConcurrency > 1)
      log.warn(
        `[fc] ${fn.functionName}: instanceConcurrency ${fn.instanceConcurrency} is ignored: each instance serves one request at a time, as in FC 3.0's built-in runtimes (the setting applies to custom runtimes only)`,
      );
  }

  // ---- HTTP --------------------------------------------------------------------------------------------------
  const identities = options.identities ?? staticKeyStore(options.accessKeys ?? [], accountId);
  const nonces = new Map<string, number>();

  const serveTrigger = async (
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    rawQuery: string,
    body: Buffer,
  ): Promise<void> => {
    const segments = rawPath.split('/');
    let fn = byName.get(safeDecode(segments[1] ?? ''));
    let fnPath = rawPath;
    if (fn && fn.triggers.some((t) => t.type === 'http')) fnPath = `/${segments.slice(2).join('/')}`;
    else fn = defaultHttpFunction ? byName.get(defaultHttpFunction) : undefined;
    const requestId = newRequestId();
    if (!fn) {
      return sendJson(res, 404, requestId, {
        code: 'FunctionNotFound',
        message: `no HTTP-triggered function answers ${rawPath}; use /<functionName>/... with one of: ${httpFunctions.map((f) => f.functionName).join(', ') || '(none)'}`,
      });
    }
    const trigger = fn.triggers.find((t) => t.type === 'http' && t.methods.includes(req.method ?? ''));
    if (!trigger) {
      return sendJson(res, 405, requestId, {
        code: 'MethodNotAllowed',
        message: `${req.method} is not among the HTTP trigger's methods of ${fn.functionName}`,
      });
    }
    const event = buildHttpEvent({
      req,
      rawPath: fnPath,
      rawQuery,
      body,
      requestId,
      accountId,
      functionName: fn.functionName,
      region: fn.region,
      now: new Date(),
    });
    const outcome = await invoke(
      fn.functionName,
      JSON.stringify(event),
      { source: 'http', triggerName: trigger.name, qualifier: trigger.qualifier },
      requestId,
    );
    const reply = toHttpReply(outcome);
    res.writeHead(reply.statusCode, reply.headers);
    res.end(req.method === 'HEAD' ? undefined : reply.body);
    log.info(
      `[fc] ${fn.functionName} ${req.method} ${fnPath}${rawQuery ? `?${rawQuery}` : ''} -> ${reply.statusCode} ${outcome.durationMs.toFixed(0)}ms ${requestId}`,
    );
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const work = readBody(req, MAX_BODY).then((body) => {
      if (!body)
        return sendJson(res, 413, newRequestId(), {
          code: 'PayloadTooLarge',
          message: `request body exceeds ${MAX_BODY} bytes`,
        });
      // The API namespace is never a trigger path: unserved API calls get a 404 naming what is served.
      return API_PATH.test(rawPath)
        ? handleInvokeApi({
            req,
            res,
            rawPath,
            rawQuery,
            body,
            identities,
            accountId,
            nonces,
            clockSkewMs: options.clockSkewMs ?? 15 * 60_000,
            lookupFunction: (name) => byName.get(name),
            invoke: (name, event, opts, requestId) => invoke(name, event, { ...opts, source: 'invoke-api' }, requestId),
            log,
          })
        : serveTrigger(req, res, rawPath, rawQuery, body);
    });
    work.catch((e: unknown) => {
      log.error(`[fc] ${req.method} ${url}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent)
        sendJson(res, 500, newRequestId(), { code: 'InternalError', message: (e as Error).message });
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : 9000);
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (e) {
    // Nothing may keep running when the runner could not start (a busy port, say).
    clearInterval(refreshTimer);
    for (const t of timers) t.stop();
    await Promise.all([...pools.values()].map((p) => p.close()));
    throw e;
  }
  const actualPort = (server.address() as AddressInfo).port;
  const endpoint = `${host}:${actualPort}`;

  let stopped = false;
  return {
    url: `http://${endpoint}`,
    endpoint,
    port: actualPort,
    accountId,
    project,
    ...(defaultHttpFunction === undefined ? {} : { defaultHttpFunction }),
    invoke: (name, event, opts) => invoke(name, event, opts),
    fireTimer: (name, triggerName) => {
      const fn = byName.get(name);
      const t = fn?.triggers.find(
        (x): x is TimerTriggerSpec => x.type === 'timer' && (triggerName === undefined || x.name === triggerName),
      );
      if (!fn || !t) return Promise.reject(new Error(`no timer trigger ${triggerName ?? ''} on function "${name}"`));
      return fireTimer(fn, t, new Date());
    },
    currentCredentials: (name) => current.get(name),
    rotateCredentials: () => refresh(true),
    onInvocation: (l) => {
      invocationListeners.add(l);
      return () => invocationListeners.delete(l);
    },
    onCredentials: (l) => {
      credentialListeners.add(l);
      return () => credentialListeners.delete(l);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(refreshTimer);
      for (const t of timers) t.stop();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await Promise.all([...pools.values()].map((p) => p.close()));
    },
  };
}

/**
 * Debian 10 runtimes (nodejs20 and older) name the version variable FC_VER_ID, newer images
 * FC_FUNCTION_VERSION (docs/protocol-fc.md §3).
 */
const versionVariable = (runtime: string): string =>
  /^nodejs(\d+)$/.test(runtime) && Number(/\d+/.exec(runtime)![0]) <= 20 ? 'FC_VER_ID' : 'FC_FUNCTION_VERSION';

/**
 * Exactly the variables FC 3.0 documents for an instance (docs/protocol-fc.md §3), plus the host's PATH and
 * HOME so the process works; then the function's own variables. `FC_RUNTIME`/`FC_TIMEOUT` are not among them
 * (only `s local` sets those), so a function that reads them fails here as it would in the cloud.
 */
export function instanceEnvironment(
  fn: FunctionSpec,
  instanceId: string,
  accountId: string,
  credentials: Credentials | undefined,
  overrides: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    FC_FUNC_CODE_PATH: fn.codeDir,
    FC_ACCOUNT_ID: accountId,
    FC_FUNCTION_HANDLER: fn.handler,
    FC_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    FC_FUNCTION_NAME: fn.functionName,
    FC_REGION: fn.region,
    FC_CUSTOM_LISTEN_PORT: '9000',
    FC_INSTANCE_ID: instanceId,
    [versionVariable(fn.runtime)]: 'LATEST',
  };
  if (credentials) {
    env.ALIBABA_CLOUD_ACCESS_KEY_ID = credentials.accessKeyId;
    env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = credentials.accessKeySecret;
    if (credentials.securityToken) env.ALIBABA_CLOUD_SECURITY_TOKEN = credentials.securityToken;
  }
  return { ...env, ...fn.environmentVariables, ...(overrides ?? {}) };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId, ...extraHeaders });
  res.end(text);
}
