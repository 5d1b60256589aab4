/**
 * The unchanged `@alicloud/fc2` package against the runner: its `FC <AccessKeyId>:<signature>` requests on the
 * 2016-08-15 path (its default) and on the 2023-03-30 path (`client.version = '2023-03-30'`, as the fc3
 * component sets it); a wrong secret and a replayed request are 403; API paths the runner does not serve are a
 * 404 naming what it serves, never the HTTP trigger's 405.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFcRunner, type FcRunner } from '../../local/fc/index';

const S_YAML = fileURLToPath(new URL('./fixtures/s.yaml', import.meta.url));
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const KEY = { id: 'LTAI-fc2-test', secret: 'fc2-test-secret' };

interface Fc2Response {
  readonly headers: Record<string, string>;
  readonly data: unknown;
}
interface Fc2Client {
  version: string;
  invokeFunction(
    service: string,
    fn: string,
    event: string | Buffer,
    headers?: Record<string, string>,
    qualifier?: string,
  ): Promise<Fc2Response>;
  request(
    method: string,
    path: string,
    query: object | null,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<Fc2Response>;
}
type Fc2Class = new (
  accountId: string,
  config: { accessKeyID: string; accessKeySecret: string; region: string; endpoint: string; timeout?: number },
) => Fc2Client;
const FC2 = createRequire(import.meta.url)('@alicloud/fc2') as Fc2Class;

let runner: FcRunner;
const client = (secret = KEY.secret): Fc2Client =>
  new FC2(runner.accountId, {
    accessKeyID: KEY.id,
    accessKeySecret: secret,
    region: 'cn-hangzhou',
    endpoint: runner.url,
    timeout: 30_000,
  });

beforeAll(async () => {
  runner = await startFcRunner({
    sYamlPath: S_YAML,
    port: 0,
    accountId: '1111222233334444',
    accessKeys: [KEY],
    timers: false,
    logger: quiet,
    functionLogs: false,
  });
});
afterAll(async () => {
  await runner?.stop();
});

const httpEvent = (path: string) =>
  JSON.stringify({
    version: 'v1',
    rawPath: path,
    headers: {},
    queryParameters: {},
    requestContext: { http: { method: 'GET', path } },
  });

describe('@alicloud/fc2 against the runner', () => {
  it('invokes through the 2016-08-15 path (service name + qualifier in the path)', async () => {
    const res = await client().invokeFunction('any-service', 'fixture-echo', httpEvent('/v2'), {}, 'LATEST');
    const struct = JSON.parse(res.data as string) as { statusCode: number; body: string };
    expect(struct.statusCode).toBe(200);
    expect(JSON.parse(struct.body).event.rawPath).toBe('/v2');
    expect(res.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('invokes through the 2023-03-30 path when version is set as the fc3 component does', async () => {
    const c = client();
    c.version = '2023-03-30';
    const res = await c.request('POST', '/functions/fixture-echo/invocations', null, httpEvent('/v3'));
    const struct = JSON.parse(res.data as string) as { statusCode: number; body: string };
    expect(JSON.parse(struct.body).event.rawPath).toBe('/v3');
  });

  it('refuses a wrong secret and a replayed request with 403', async () => {
    await expect(client('wrong-secret').invokeFunction('s', 'fixture-echo', httpEvent('/bad'))).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    // Capture one signed request on a recording server, then send it to the runner twice.
    const captured = await new Promise<{ url: string; headers: Record<string, string>; body: Buffer }>(
      (resolve, reject) => {
        const recorder = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            res.writeHead(200, { 'content-type': 'text/plain' }).end('recorded');
            recorder.close();
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(req.headers))
              if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
            resolve({ url: req.url ?? '', headers, body: Buffer.concat(chunks) });
          });
        });
        recorder.listen(0, '127.0.0.1', () => {
          const port = (recorder.address() as AddressInfo).port;
          new FC2(runner.accountId, {
            accessKeyID: KEY.id,
            accessKeySecret: KEY.secret,
            region: 'cn-hangzhou',
            endpoint: `http://127.0.0.1:${port}`,
          })
            .invokeFunction('s', 'fixture-echo', httpEvent('/once'))
            .catch(reject);
        });
      },
    );
    const send = () =>
      fetch(`${runner.url}${captured.url}`, {
        method: 'POST',
        headers: captured.headers,
        body: new Uint8Array(captured.body),
      });
    expect((await send()).status).toBe(200);
    const replay = await send();
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { ErrorCode: string }).ErrorCode).toBe('SignatureReplayed');
  });

  it('answers unserved API paths with a 404 naming what is served', async () => {
    const c = client();
    await expect(c.request('GET', '/services', null, null)).rejects.toMatchObject({ code: 'ApiNotServed' });
    const raw = await fetch(`${runner.url}/2023-03-30/functions/fixture-echo`, { method: 'GET' });
    expect(raw.status).toBe(404);
    const body = (await raw.json()) as { Message?: string; ErrorMessage?: string };
    expect(body.Message ?? body.ErrorMessage).toContain('/2023-03-30/functions/{functionName}/invocations');
  });
});
