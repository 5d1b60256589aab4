/**
 * Calling InvokeFunction through the official `@alicloud/fc20230330` SDK, against FC in the cloud or against
 * the local runner (plain HTTP on 127.0.0.1). Used by the invoke CLI's `--remote` mode and the tests.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import * as FcModule from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';

type FcClient = InstanceType<typeof FcModule.default>;

/** The package is CommonJS with `exports.default = Client`; unwrap whichever shape the loader hands us. */
function clientClass(): typeof FcModule.default {
  const m = FcModule as unknown as { default: typeof FcModule.default | { default: typeof FcModule.default } };
  const d = m.default as unknown as { default?: typeof FcModule.default };
  return (typeof d === 'function' ? d : d.default) as typeof FcModule.default;
}

export interface FcSdkOptions {
  /** `host[:port]`, no scheme. */
  readonly endpoint: string;
  /** http for the local runner, https for the cloud. Default: http for loopback hosts, else https. */
  readonly protocol?: 'http' | 'https';
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
  readonly regionId?: string;
  readonly readTimeoutMs?: number;
}

export function createFcClient(o: FcSdkOptions): FcClient {
  const loopback = /^(127\.|localhost|\[?::1\]?)/.test(o.endpoint);
  const Client = clientClass();
  return new Client(
    new $OpenApiUtil.Config({
      accessKeyId: o.accessKeyId,
      accessKeySecret: o.accessKeySecret,
      securityToken: o.securityToken,
      endpoint: o.endpoint,
      protocol: o.protocol ?? (loopback ? 'http' : 'https'),
      regionId: o.regionId ?? 'cn-hangzhou',
      readTimeout: o.readTimeoutMs ?? 120_000,
    }),
  );
}

export interface SdkInvokeResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly requestId?: string;
  readonly errorType?: string;
  /** Decoded `x-fc-log-result` when the log tail was asked for. */
  readonly logTail?: string;
}

export async function invokeWithSdk(
  client: FcClient,
  functionName: string,
  event: Buffer,
  options: { qualifier?: string | undefined; logTail?: boolean; invocationType?: 'Sync' | 'Async' } = {},
): Promise<SdkInvokeResult> {
  const request = new FcModule.InvokeFunctionRequest({ body: Readable.from([event]), qualifier: options.qualifier });
  const headers = new FcModule.InvokeFunctionHeaders({
    xFcLogType: options.logTail ? 'Tail' : 'None',
    xFcInvocationType: options.invocationType ?? 'Sync',
  });
  // The SDK retries nothing by default; keep it that way so a rejected signature surfaces once.
  const res = await client.invokeFunctionWithOptions(functionName, request, headers, new $dara.RuntimeOptions({}));
  const chunks: Buffer[] = [];
  if (res.body) for await (const c of res.body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  const h = res.headers ?? {};
  return {
    statusCode: res.statusCode ?? 0,
    headers: h,
    body: Buffer.concat(chunks),
    requestId: h['x-fc-request-id'],
    errorType: h['x-fc-error-type'],
    ...(h['x-fc-log-result'] ? { logTail: Buffer.from(h['x-fc-log-result'], 'base64').toString('utf8') } : {}),
  };
}

interface Fc2Client {
  version: string;
  request(
    method: string,
    path: string,
    query: Record<string, string> | null,
    body: Buffer,
    headers?: Record<string, string>,
    opts?: { rawBuf?: boolean },
  ): Promise<{ headers: Record<string, string>; data: Buffer | string }>;
}
type Fc2Class = new (
  accountId: string,
  config: {
    accessKeyID: string;
    accessKeySecret: string;
    securityToken?: string;
    region: string;
    endpoint: string;
    timeout?: number;
  },
) => Fc2Client;

/**
 * The same invocation through `@alicloud/fc2` (`FC <AccessKeyId>:<signature>` scheme), on the 2023-03-30 path as
 * the fc3 component drives it (`client.version = '2023-03-30'`). A development dependency: `--sdk fc2` only.
 */
export async function invokeWithFc2(
  o: FcSdkOptions & { readonly accountId: string },
  functionName: string,
  event: Buffer,
  options: { qualifier?: string | undefined; logTail?: boolean } = {},
): Promise<SdkInvokeResult> {
  const loopback = /^(127\.|localhost|\[?::1\]?)/.test(o.endpoint);
  const FC2 = createRequire(import.meta.url)('@alicloud/fc2') as Fc2Class;
  const client = new FC2(o.accountId, {
    accessKeyID: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
    ...(o.securityToken ? { securityToken: o.securityToken } : {}),
    region: o.regionId ?? 'cn-hangzhou',
    endpoint: `${o.protocol ?? (loopback ? 'http' : 'https')}://${o.endpoint}`,
    timeout: o.readTimeoutMs ?? 120_000,
  });
  client.version = '2023-03-30';
  const res = await client.request(
    'POST',
    `/functions/${encodeURIComponent(functionName)}/invocations`,
    options.qualifier ? { qualifier: options.qualifier } : null,
    event,
    { 'x-fc-log-type': options.logTail ? 'Tail' : 'None', 'x-fc-invocation-type': 'Sync' },
    { rawBuf: true },
  );
  const h = res.headers;
  return {
    statusCode: 200,
    headers: h,
    body: Buffer.isBuffer(res.data) ? res.data : Buffer.from(String(res.data), 'utf8'),
    requestId: h['x-fc-request-id'],
    errorType: h['x-fc-error-type'],
    ...(h['x-fc-log-result'] ? { logTail: Buffer.from(h['x-fc-log-result'], 'base64').toString('utf8') } : {}),
  };
}
