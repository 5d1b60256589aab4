/**
 * Test helper: start Tablestore Local on 127.0.0.1 (free port) and build official `tablestore` SDK clients
 * bound to it. Stop it in afterAll.
 *
 *   const local = await startLocal();            // in-memory, default instance/region and one access key
 *   const client = sdkClient(local);              // official Node SDK Client, promise style
 *   await local.stop();
 */
import { createRequire } from 'node:module';
import { startTablestoreLocal, type TablestoreLocal, type TablestoreLocalOptions } from '../../local/tablestore/server';

export interface LocalTablestoreHandle {
  readonly endpoint: string;
  readonly instance: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly server: TablestoreLocal;
  stop(): Promise<void>;
}

/** Key pair used by startLocal() unless options.accessKeys/identities say otherwise. */
export const TEST_ACCESS_KEY = { id: 'test-access-key-id', secret: 'test-access-key-secret' } as const;

export async function startLocal(options: TablestoreLocalOptions = {}): Promise<LocalTablestoreHandle> {
  const accessKeys = options.accessKeys ?? (options.identities ? [] : [TEST_ACCESS_KEY]);
  const server = await startTablestoreLocal({ host: '127.0.0.1', port: 0, ...options, accessKeys });
  const key = accessKeys[0] ?? { id: '', secret: '' };
  return {
    endpoint: server.endpoint,
    instance: server.instance,
    region: server.region,
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    server,
    stop: () => server.stop(),
  };
}

// ------------------------------------------------------------------------- the official SDK, loosely typed

/** Int64 as the SDK represents it (its own Long). */
export interface SdkInt64 {
  toNumber(): number;
  toString(radix?: number): string;
}
export interface SdkPkCell {
  readonly name: string;
  readonly value: unknown;
}
export interface SdkAttribute {
  readonly columnName: string;
  readonly columnValue: unknown;
  readonly timestamp: SdkInt64;
}
export interface SdkRow {
  readonly primaryKey?: SdkPkCell[];
  readonly attributes?: SdkAttribute[];
}
export interface SdkBatchRowResult {
  readonly isOk: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly tableName: string;
  readonly primaryKey?: SdkPkCell[];
  readonly attributes?: SdkAttribute[];
  readonly row?: SdkRow;
  readonly capacityUnit?: { read: number; write: number };
}
export interface SdkResult {
  readonly row?: SdkRow;
  readonly rows?: SdkRow[];
  readonly nextStartPrimaryKey?: SdkPkCell[] | null;
  readonly tableNames?: string[];
  readonly consumed?: { capacityUnit: { read?: number; write?: number } };
  readonly tableMeta?: {
    tableName: string;
    primaryKey: { name: string; type: string | number; option?: string | number }[];
  };
  readonly tableOptions?: { timeToLive?: number; maxVersions?: number; deviationCellVersionInSec?: SdkInt64 | number };
  readonly reservedThroughputDetails?: { capacityUnit: { read?: number; write?: number } };
  readonly tables?: SdkBatchRowResult[];
  readonly [key: string]: unknown;
}
export type SdkCall = (params: object) => Promise<SdkResult>;
export interface SdkClient {
  readonly createTable: SdkCall;
  readonly listTable: SdkCall;
  readonly describeTable: SdkCall;
  readonly updateTable: SdkCall;
  readonly deleteTable: SdkCall;
  readonly getRow: SdkCall;
  readonly putRow: SdkCall;
  readonly updateRow: SdkCall;
  readonly deleteRow: SdkCall;
  readonly getRange: SdkCall;
  readonly batchGetRow: SdkCall;
  readonly batchWriteRow: SdkCall;
}
export interface SdkModule {
  readonly Client: new (config: {
    accessKeyId: string;
    secretAccessKey: string;
    /** The SDK reads it as `config.stsToken`: undefined and absent are the same. */
    stsToken?: string | undefined;
    endpoint: string;
    instancename: string;
    maxRetries?: number;
  }) => SdkClient;
  readonly Long: { fromNumber(n: number): SdkInt64; fromString(s: string): SdkInt64 };
  readonly Condition: new (rowExistence: string | number, columnCondition?: object | null) => object;
  readonly SingleColumnCondition: new (
    name: string,
    value: unknown,
    comparator: number,
    passIfMissing?: boolean,
    latestVersionOnly?: boolean,
  ) => object;
  readonly CompositeCondition: new (op: number) => { addSubCondition(c: object): void };
  readonly ColumnPaginationFilter: new (limit: number, offset: number) => object;
  readonly RowExistenceExpectation: {
    IGNORE: string | number;
    EXPECT_EXIST: string | number;
    EXPECT_NOT_EXIST: string | number;
  };
  readonly ComparatorType: Record<
    'EQUAL' | 'NOT_EQUAL' | 'GREATER_THAN' | 'GREATER_EQUAL' | 'LESS_THAN' | 'LESS_EQUAL',
    number
  >;
  readonly LogicalOperator: Record<'NOT' | 'AND' | 'OR', number>;
  readonly Direction: { FORWARD: string; BACKWARD: string };
  readonly ReturnType: { NONE: number; Primarykey: number; AfterModify: number };
  readonly PrimaryKeyType: { INTEGER: number; STRING: number; BINARY: number };
  readonly PrimaryKeyOption: { AUTO_INCREMENT: number };
  readonly INF_MIN: object;
  readonly INF_MAX: object;
  readonly PK_AUTO_INCR: object;
}

const requireCjs = createRequire(import.meta.url);
/** The official `tablestore` npm package, unchanged. */
export const TableStore = requireCjs('tablestore') as SdkModule;

export function sdkClient(
  local: Pick<LocalTablestoreHandle, 'endpoint' | 'instance' | 'accessKeyId' | 'accessKeySecret'>,
  overrides: { accessKeyId?: string; accessKeySecret?: string; stsToken?: string; instance?: string } = {},
): SdkClient {
  return new TableStore.Client({
    accessKeyId: overrides.accessKeyId ?? local.accessKeyId,
    secretAccessKey: overrides.accessKeySecret ?? local.accessKeySecret,
    stsToken: overrides.stsToken,
    endpoint: local.endpoint,
    instancename: overrides.instance ?? local.instance,
    maxRetries: 0,
  });
}

/**
 * The SDK reports errors as `{ code: <HTTP status>, message: <raw Error body> + " requestId:..." }`
 * (docs/protocol.md §4.4); this decodes them into `{ status, code, message }` for assertions.
 */
export async function sdkError(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const { fromNodeSdkError } = await import('../../lib/tablestore/protocol/errors');
    const decoded = fromNodeSdkError(err);
    if (!decoded) throw err;
    return { status: decoded.httpStatus, code: decoded.code, message: decoded.message };
  }
  throw new Error('expected the call to fail');
}
