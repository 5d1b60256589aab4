/**
 * The part of the official `tablestore` Node SDK (5.6.x, CJS, untyped) that the tests and benchmarks use as
 * the judge and baseline (our clients do not use it; `sdk()` of clients.ts hands it out untyped).
 */
declare module 'tablestore' {
  import type { Agent, ClientRequest } from 'node:http';

  interface TableStoreClientConfig {
    accessKeyId: string;
    secretAccessKey?: string | null;
    accessKeySecret?: string | null;
    stsToken?: string | null;
    securityToken?: string | null;
    endpoint: string;
    instancename: string;
    maxRetries?: number;
    /** Copied into every `http.request` options object (so `signal` cancels the request). */
    httpOptions?: { timeout?: number; maxSockets?: number; agent?: Agent; signal?: AbortSignal };
  }

  /** What the SDK's request state machine hands to a 'retry' listener. */
  interface SdkResponse {
    error: { retryable?: boolean } | null;
  }

  /** One SDK call (lib/request.js): build → sign → send → retry/extract → complete. */
  class Request {
    constructor(config: TableStoreClientConfig, operation: string, params: object);
    on(event: 'retry', listener: (response: SdkResponse) => void): this;
    send(callback: (err: unknown, data: unknown) => void): Promise<unknown>;
    readonly httpRequest: { stream?: ClientRequest };
  }

  class Client {
    constructor(config: TableStoreClientConfig);
    config: TableStoreClientConfig;
    /** Attaches the SDK's build/sign/send/decode listeners to a request (what `makeRequest` does). */
    addAllRequestListeners(request: Request): void;
    listTable(params: object): Promise<unknown>;
    describeTable(params: object): Promise<unknown>;
    createTable(params: object): Promise<unknown>;
    deleteTable(params: object): Promise<unknown>;
    getRow(params: object): Promise<unknown>;
    putRow(params: object): Promise<unknown>;
    updateRow(params: object): Promise<unknown>;
    deleteRow(params: object): Promise<unknown>;
    getRange(params: object): Promise<unknown>;
    batchGetRow(params: object): Promise<unknown>;
    batchWriteRow(params: object): Promise<unknown>;
  }

  class Condition {
    constructor(rowExistenceExpectation: number, columnCondition?: object | null);
  }

  interface Int64 {
    toNumber(): number;
    toString(radix?: number): string;
    toBuffer(): Buffer;
  }

  const TableStore: {
    Client: typeof Client;
    Request: typeof Request;
    Condition: typeof Condition;
    Long: { fromNumber(n: number): Int64; fromString(s: string): Int64 };
    RowExistenceExpectation: { IGNORE: 0; EXPECT_EXIST: 1; EXPECT_NOT_EXIST: 2 };
    Direction: { FORWARD: 'FORWARD'; BACKWARD: 'BACKWARD' };
    PrimaryKeyType: { INTEGER: 1; STRING: 2; BINARY: 3 };
    BatchWriteType: { PUT: 1; UPDATE: 2; DELETE: 3 };
    INF_MIN: object;
    INF_MAX: object;
    PK_AUTO_INCR: object;
  };
  export default TableStore;
  export type { Int64, TableStoreClientConfig };
}
