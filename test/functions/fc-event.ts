import type { FcContext, FcHttpEvent } from '../../lib/fc/types';

let seq = 0;

/** Builds an FC 3.0 HTTP-trigger event (as the runtime delivers it: a Buffer of JSON). */
export function httpEvent(
  method: string,
  path: string,
  query: Record<string, string> = {},
  extra: { headers?: Record<string, string>; body?: string; base64?: boolean } = {},
): Buffer {
  seq += 1;
  const rawPath = path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  const event: FcHttpEvent = {
    version: 'v1',
    rawPath,
    ...(extra.body === undefined
      ? {}
      : {
          body: extra.base64 ? Buffer.from(extra.body).toString('base64') : extra.body,
          isBase64Encoded: !!extra.base64,
        }),
    headers: { Accept: 'application/json', 'User-Agent': 'vitest', ...extra.headers },
    queryParameters: query,
    requestContext: {
      accountId: '1234567890123456',
      domainName: 'api-test.cn-hangzhou.fcapp.run',
      domainPrefix: 'api-test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `1-test-${seq}`,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(Date.now()),
    },
  };
  return Buffer.from(JSON.stringify(event));
}

export function fcContext(
  credentials: FcContext['credentials'] = {},
  timeoutSeconds = 30,
  name = 'http-api',
): FcContext {
  seq += 1;
  return {
    requestId: `ctx-${seq}`,
    credentials,
    function: { name, handler: 'index.handler', memory: 512, timeout: timeoutSeconds },
    service: { qualifier: 'LATEST', versionId: '' },
    region: 'cn-hangzhou',
    accountId: '1234567890123456',
  };
}

/** Captures the logger's lines (lib/fc/logger.ts) in memory. */
export function memoryStream(): { write(line: string): void; lines: string[]; json(): Array<Record<string, unknown>> } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
