/**
 * Calling InvokeFunction through the official `@alicloud/fc20230330` SDK, against FC in the cloud or against
 * the local runner (plain HTTP on 127.0.0.1). Used by the invoke CLI's `--remote` mode and the tests.
 */
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
  readonly securityToken?: string;
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
  options: { qualifier?: string; logTail?: boolean; invocationType?: 'Sync' | 'Async' } = {},
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
    logTail: h['x-fc-log-result'] ? Buffer.from(h['x-fc-log-result'], 'base64').toString('utf8') : undefined,
  };
}
