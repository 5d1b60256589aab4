/**
 * Tablestore Local: an HTTP server speaking the Tablestore wire protocol.
 *
 *   startTablestoreLocal(options?: TablestoreLocalOptions): Promise<TablestoreLocal>
 *
 * Options (all optional; stable, additive changes only):
 *   host ('127.0.0.1'), port (8800; 0 = any free port), instance ('local'), region ('cn-hangzhou'),
 *   accessKeys ([{ id, secret }]; default DEFAULT_ACCESS_KEY), identities (an IdentityStore; overrides
 *   accessKeys, e.g. the local STS's), dataDir (persist with LevelDB; absent = in memory), store (inject a
 *   KvStore instead), clockSkewMs (15 min), maxBodyBytes (5 MiB), verifySignatures (true), now (clock),
 *   logger (lib/fc/logger.ts or any `{ debug, info, warn, error }`; request lines at debug, failures at warn/error).
 * Result: { endpoint, host, port, instance, region, accessKeys, store, catalog, stop() }.
 *
 * Request pipeline: method → API name → body (size cap) → auth/verify.ts → dispatch.ts handler → reply.
 * Every reply carries x-ots-requestid, x-ots-date, x-ots-contentmd5, x-ots-contenttype and, once the caller
 * is identified, the `authorization` response signature (docs/protocol.md §3), errors included (except OTSAuthFailed).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';
import { FormatError } from '../../lib/tablestore/protocol/format-error';
import { TablestoreError, encodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { contentMd5, responseAuthorization } from '../../lib/tablestore/protocol/sign';
import { SignedRefusal, authenticate, type Authenticated, type ReplySigner } from './auth/verify';
import { DEFAULT_ACCESS_KEY, staticIdentityStore, type AccessKey } from './auth/static';
import type { IdentityStore } from './auth/identity';
import { otsRequestId, readBody } from '../http/helpers';
import { TableCatalog } from './catalog';
import { findHandler } from './dispatch';
import type { HandlerContext } from './handlers/context';
import type { SqlEngineOptions } from './sql/options';
import { errors } from './errors';
import { MemoryKvStore } from './persistence/memory';
import { LevelKvStore } from './persistence/level';
import type { KvStore } from './persistence/store';
import { withChangeFeed } from './persistence/change-feed';
import { attachIndexMaintainer } from './indexes/maintainer';
import { attachSearchEngine } from './search/engine';

export interface TablestoreLocalLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface TablestoreLocalOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly instance?: string | undefined;
  readonly region?: string | undefined;
  readonly accessKeys?: readonly AccessKey[] | undefined;
  readonly identities?: IdentityStore | undefined;
  readonly dataDir?: string | undefined;
  readonly store?: KvStore | undefined;
  readonly clockSkewMs?: number | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly verifySignatures?: boolean | undefined;
  readonly now?: (() => Date) | undefined;
  readonly logger?: TablestoreLocalLogger | undefined;
  /** SQL engine options: index use, a plan hook for tests (docs/protocol-sql.md §7.1). */
  readonly sql?: SqlEngineOptions | undefined;
}

export interface TablestoreLocal {
  /** `http://host:port` */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly instance: string;
  readonly region: string;
  /** The configured static keys (empty when only `identities` was given). */
  readonly accessKeys: readonly AccessKey[];
  readonly store: KvStore;
  readonly catalog: TableCatalog;
  stop(): Promise<void>;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8800,
  instance: 'local',
  region: 'cn-hangzhou',
  clockSkewMs: 15 * 60 * 1000,
  maxBodyBytes: 5 * 1024 * 1024,
} as const;

const CONTENT_TYPE = 'protocol buffer';

const noopLogger: TablestoreLocalLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface Reply {
  status: number;
  body: Uint8Array;
  signer?: ReplySigner | undefined;
}

function send(res: ServerResponse, apiName: string, requestId: string, now: Date, reply: Reply, close: boolean): void {
  const headers: Record<string, string> = {
    'x-ots-contentmd5': contentMd5(reply.body),
    'x-ots-contenttype': CONTENT_TYPE,
    'x-ots-date': now.toISOString(),
    'x-ots-requestid': requestId,
  };
  if (reply.signer)
    headers.authorization = responseAuthorization(reply.signer.accessKeyId, reply.signer.responseKey, apiName, headers);
  headers['content-type'] = 'application/x-protobuf';
  headers['content-length'] = String(reply.body.length);
  if (close) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function errorReply(err: TablestoreError, signer: ReplySigner | undefined): Reply {
  const unsigned = err.code === 'OTSAuthFailed';
  return {
    status: err.httpStatus,
    body: encodeErrorBody(err.code, err.message),
    signer: unsigned ? undefined : signer,
  };
}

/**
 * A second endpoint over `base`'s storage whose clock runs `lagMs` behind (and which accepts request dates that
 * far off), so writes made through it are recorded as made in the past: the demo data and the tests use it to
 * plant a time series that really went silent days ago, with no sleeping and no timing window.
 */
export function startLaggingEndpoint(
  base: TablestoreLocal,
  lagMs: number,
  options: Pick<TablestoreLocalOptions, 'identities' | 'logger'> = {},
): Promise<TablestoreLocal> {
  return startTablestoreLocal({
    ...options,
    host: base.host,
    port: 0,
    instance: base.instance,
    region: base.region,
    accessKeys: base.accessKeys,
    store: base.store,
    now: () => new Date(Date.now() - lagMs),
    clockSkewMs: lagMs + DEFAULTS.clockSkewMs,
  });
}

export async function startTablestoreLocal(options: TablestoreLocalOptions = {}): Promise<TablestoreLocal> {
  const host = options.host ?? DEFAULTS.host;
  const instance = options.instance ?? DEFAULTS.instance;
  const region = options.region ?? DEFAULTS.region;
  const clockSkewMs = options.clockSkewMs ?? DEFAULTS.clockSkewMs;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const verifySignatures = options.verifySignatures ?? true;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? noopLogger;
  const accessKeys = options.accessKeys ?? (options.identities ? [] : [DEFAULT_ACCESS_KEY]);
  const identities = options.identities ?? staticIdentityStore(accessKeys);
  const ownsStore = !options.store;
  const store = withChangeFeed(
    options.store ?? (options.dataDir ? await LevelKvStore.open(options.dataDir) : new MemoryKvStore()),
  );
  attachSearchEngine(store);
  attachIndexMaintainer(store);
  const catalog = new TableCatalog(store);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = otsRequestId();
    const path = (req.url ?? '/').split('?')[0];
    const apiName = path.slice(path.lastIndexOf('/') + 1);
    let reply: Reply;
    let close = false;
    let principal: string | undefined;
    let auth: Authenticated | undefined;
    try {
      if (req.method !== 'POST') {
        close = true;
        req.resume();
        throw errors.methodNotAllowed();
      }
      const body = await readBody(req, maxBodyBytes).catch(() => {
        close = true;
        throw errors.parameterInvalid('The request body could not be read.');
      });
      if (!body) {
        close = true;
        throw errors.bodyTooLarge();
      }
      const handler = findHandler(apiName);
      if (!handler) throw errors.unsupportedOperation(apiName);
      const inflated = inflateIfCompressed(req, body, maxBodyBytes);
      auth = authenticate(
        { apiName, headers: req.headers, body, inflatedBody: inflated },
        { instance, region, identities, clockSkewMs, now: now(), verifySignatures },
      );
      const identity = auth.identity;
      principal = identity.principal;
      const ctx: HandlerContext = {
        apiName,
        requestId,
        instance,
        region,
        accountId: identity.accountId,
        principal: identity.principal,
        store,
        catalog,
        now,
        sql: options.sql,
        authorize(action: string, tableNames: readonly string[]): void {
          for (const table of tableNames) {
            const decision = identity.authorize({
              action,
              resources: [`acs:ots:${region}:${identity.accountId}:instance/${instance}/table/${table}`],
              region,
              instance,
              sourceIp: req.socket.remoteAddress ?? '',
              secureTransport: false,
              now: now(),
            });
            if (!decision.allowed) {
              logger.warn(
                { requestId, api: apiName, principal: identity.principal, table, reason: decision.reason },
                'access denied',
              );
              throw errors.noPermission();
            }
          }
        },
      };
      reply = { status: 200, body: await handler(ctx, inflated ?? body), signer: auth };
    } catch (err) {
      reply = errorReply(
        toTablestoreError(err, requestId, apiName, logger),
        auth ?? (err instanceof SignedRefusal ? err.signer : undefined),
      );
    }
    // Any reply may reflect another request's write that is not durable yet: hold it until it is.
    await store.settled().catch((err: unknown) => {
      reply = errorReply(toTablestoreError(err, requestId, apiName, logger), auth);
    });
    if (res.destroyed) return;
    send(res, apiName, requestId, now(), reply, close);
    logger.debug(
      {
        requestId,
        api: apiName,
        status: reply.status,
        principal,
        ms: Math.round((performance.now() - started) * 100) / 100,
      },
      'request',
    );
  }

  const server: Server = createServer(
    { keepAliveTimeout: 75_000, headersTimeout: 80_000, requestTimeout: 120_000 },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unexpected failure while replying');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    },
  );
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    instance,
    region,
    accessKeys,
    store,
    catalog,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownsStore) await store.close();
      })();
      return stopped;
    },
  };
}

/**
 * Java clients may send `x-ots-request-compress-type: deflate` (zlib-wrapped) bodies. Returns the inflated
 * body, or undefined for uncompressed requests; responses are never compressed.
 */
function inflateIfCompressed(req: IncomingMessage, body: Buffer, max: number): Buffer | undefined {
  const type = req.headers['x-ots-request-compress-type'];
  if (type === undefined) return undefined;
  if (type !== 'deflate') throw errors.parameterInvalid(`Unsupported x-ots-request-compress-type: ${String(type)}.`);
  let inflated: Buffer;
  try {
    inflated = inflateSync(body, { maxOutputLength: max });
  } catch (err) {
    const tooLarge = err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw tooLarge ? errors.bodyTooLarge() : errors.parameterInvalid('The request body is not valid deflate data.');
  }
  const declared = req.headers['x-ots-request-compress-size'];
  if (declared !== undefined && Number(declared) !== inflated.length) {
    throw errors.parameterInvalid(
      `x-ots-request-compress-size ${String(declared)} does not match the inflated body size ${inflated.length}.`,
    );
  }
  return inflated;
}

function toTablestoreError(
  err: unknown,
  requestId: string,
  apiName: string,
  logger: TablestoreLocalLogger,
): TablestoreError {
  if (err instanceof TablestoreError) return err;
  // Malformed bytes or text from any decoder (the one predicate for every API; see handlers/context.ts).
  if (err instanceof FormatError) return errors.parameterInvalid(err.message);
  logger.error(
    { requestId, api: apiName, err: err instanceof Error ? (err.stack ?? err.message) : String(err) },
    'internal error',
  );
  return errors.internal();
}

export { DEFAULT_ACCESS_KEY };
export type { AccessKey };
