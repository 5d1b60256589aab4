/**
 * Dispatch: routes an authenticated request to its API handler.
 *
 * Contract for handler authors (stable; additive changes only):
 *   type ApiHandler = (ctx: HandlerContext, body: Uint8Array) => Promise<Uint8Array>
 *   - `body` is the raw request protobuf; decode it with `decodeMessage` (lib/tablestore/protocol/proto/*).
 *     A thrown ProtoDecodeError or PlainBufferError becomes 400 OTSParameterInvalid automatically.
 *   - Return the serialized response message (empty Uint8Array for empty messages).
 *   - Throw a TablestoreError (use `ctx.errors.*`) for any failure; anything else becomes a 500 without
 *     details on the wire.
 *   - Call `ctx.authorize('ots:<Api>', [tableName, ...])` before touching a table (use ['*'] for list APIs):
 *     it throws 403 OTSNoPermissionAccess unless the caller's identity allows the action on every table.
 *   - Reads from `ctx.store` are synchronous; `ctx.store.write()` updates the in-memory index at call time and
 *     resolves once durable, so do the read-check-write of one request without an `await` in between and
 *     await the write before replying. Do not keep a `scan()` iterator open across an `await` (the index may
 *     change underneath it); collect what you need first.
 *   - Table metadata lives in `ctx.catalog` (shared namespace for wide and time series tables).
 */
import type { TableCatalog } from './catalog';
import type { ErrorFactory } from './errors';
import type { KvStore } from './persistence/store';
import { wideHandlers } from './handlers/wide';
import { timeseriesHandlers } from './handlers/timeseries';
import { searchHandlers } from './handlers/search';
import { indexHandlers } from './indexes/api';

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
  readonly errors: ErrorFactory;
  /** Server clock (injectable for tests). */
  readonly now: () => Date;
  /** Throws 403 OTSNoPermissionAccess unless `action` is allowed on every table (`'*'` = all tables). */
  authorize(action: string, tableNames: readonly string[]): void;
}

export type ApiHandler = (ctx: HandlerContext, body: Uint8Array) => Promise<Uint8Array>;

let registry: Map<string, ApiHandler> | undefined;

function handlers(): Map<string, ApiHandler> {
  // Built lazily so handler modules may import this module's types without an init-order cycle.
  registry ??= new Map<string, ApiHandler>([
    ...Object.entries(wideHandlers),
    ...Object.entries(timeseriesHandlers),
    ...Object.entries(searchHandlers),
    ...Object.entries(indexHandlers),
  ]);
  return registry;
}

export function findHandler(apiName: string): ApiHandler | undefined {
  return handlers().get(apiName);
}

export function supportedApis(): string[] {
  return [...handlers().keys()].sort();
}
