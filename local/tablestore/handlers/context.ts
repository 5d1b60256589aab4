/**
 * The handler contract of Tablestore Local (stable; additive changes only). Pipeline:
 * server.ts → auth/verify.ts → dispatch.ts (registry) → handlers/<model>/*.ts → persistence (KvStore).
 *
 * 1. An API is a plain function `ApiHandler = (ctx, body) => Promise<Uint8Array>`: `body` is the raw request
 *    protobuf, the result the serialized response (an empty Uint8Array for an empty message). Add it to its
 *    model's map (handlers/wide/index.ts, handlers/timeseries/index.ts, or a new folder's index.ts) keyed by
 *    the API name in the URL path; dispatch.ts merges the maps. Handlers import this file only, never dispatch.ts.
 * 2. Decode with the name-keyed codec of the message family (`decodeMessage('GetRowRequest', body)`,
 *    `decodeTimeseriesMessage(...)`, or `protoCodec<YourMessages>(root, pkg)` from lib/tablestore/protocol/proto/codec.ts).
 * 3. Raise every OTS failure with the one error factory: `throw errors.parameterInvalid('...')` etc. from
 *    local/tablestore/errors.ts (add a member there for a new code). Any other throwable becomes a 500.
 * 4. Malformed input needs no try/catch: any `FormatError` (lib/tablestore/protocol/format-error.ts; the
 *    base of ProtoDecodeError, PlainBufferError, FlatBufferFormatError, ...) thrown from a handler is answered
 *    by server.ts with 400 OTSParameterInvalid and the error's message. Throw a FormatError subclass from new decoders.
 * 5. Call `ctx.authorize('ots:<Api>', [table, ...])` before touching a table (['*'] for list APIs).
 *
 * Store rules: reads from `ctx.store` are synchronous; `ctx.store.write()` updates the in-memory index at call
 * time and resolves once durable, so do one request's read-check-write without an `await` in between and await
 * the write before replying. Do not keep a `scan()` iterator open across an `await` (collect what you need
 * first). Table metadata lives in `ctx.catalog` (one namespace for every kind of table).
 */
import type { TableCatalog } from '../catalog';
import type { KvStore } from '../persistence/store';
import type { SqlEngineOptions } from '../sql/options';

export interface HandlerContext {
  readonly apiName: string;
  readonly requestId: string;
  readonly instance: string;
  readonly region: string;
  /** Account id of the caller's identity, used in resource ARNs. */
  readonly accountId: string;
  /** Caller principal for logs (never a secret). */
  readonly principal: string;
  readonly store: KvStore;
  readonly catalog: TableCatalog;
  /** Server clock (injectable for tests). */
  readonly now: () => Date;
  /** Throws 403 OTSNoPermissionAccess unless `action` is allowed on every table (`'*'` = all tables). */
  authorize(action: string, tableNames: readonly string[]): void;
  /** SQL engine options of the server (docs/protocol-sql.md §7). */
  readonly sql?: SqlEngineOptions | undefined;
}

export type ApiHandler = (ctx: HandlerContext, body: Uint8Array) => Promise<Uint8Array>;

/** API name → handler, as each model's index.ts exports it. */
export type ApiHandlers = Readonly<Record<string, ApiHandler>>;
