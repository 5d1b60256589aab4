/**
 * The local FC runner on its own, with small fixture functions (test/local-fc/fixtures): real HTTP on a free
 * port, FC 3.0 HTTP-trigger events and response structs, context and environment, timeouts that cannot block
 * the runner, crashes, timers, credential rotation, and InvokeFunction through @alicloud/fc20230330.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Credentials } from '../../lib/credentials/types';
import { startFcRunner, type FcRunner, type InvocationRecord } from '../../local/fc/index';
import { createFcClient, invokeWithSdk } from '../../local/fc/fc-sdk';

const S_YAML = fileURLToPath(new URL('./fixtures/s.yaml', import.meta.url));
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

let runner: FcRunner;
let issued = 0;
const warnings: string[] = [];
const records: InvocationRecord[] = [];

beforeAll(async () => {
  runner = await startFcRunner({
    sYamlPath: S_YAML,
    port: 0,
    accountId: '1111222233334444',
    env: { FIXTURE_GREETING: 'hi there' },
    environmentOverrides: { OVERRIDDEN: 'by-runner' },
    credentials: (fn) => async (): Promise<Credentials> => {
      issued += 1;
      return {
        accessKeyId: `STS.${fn.functionName}.${issued}`,
        accessKeySecret: `secret-${issued}`,
        securityToken: `token-${issued}`,
        source: 'test',
      };
    },
    credentialsRefreshMs: 60_000,
    accessKeys: [{ id: 'LTAI-test', secret: 'test-secret' }],
    timerOverrides: { 'fixture-jobs/tick': '@every 300ms' },
    logger: { ...quiet, warn: (m) => warnings.push(m) },
  });
  runner.onInvocation((r) => records.push(r));
});
afterAll(async () => {
  await runner?.stop();
});

async function call(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const res = await fetch(`${runner.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

describe('s.yaml', () => {
  it('resolves vars, env(), config(), this.props and completes role ARNs', () => {
    const [echo, jobs, esm] = runner.project.functions;
    expect(echo.functionName).toBe('fixture-echo');
    expect(echo.region).toBe('cn-hangzhou');
    expect(echo.environmentVariables).toEqual({ GREETING: 'hi there', TARGET: 'local' });
    expect(echo.role).toBe('acs:ram::1111222233334444:role/fixture-role');
    expect(jobs.role).toBe('acs:ram::1111222233334444:role/fixture-role');
    expect(jobs.environmentVariables.JOB_LABEL).toBe('fixture-jobs-local');
    expect(jobs.memorySize).toBe(512);
    expect(jobs.skippedTriggers).toEqual(['uploads (oss)']);
    expect(esm.role).toBeUndefined();
  });

  it('refuses to start on a port in use, leaving nothing running', async () => {
    let calls = 0;
    const failed = startFcRunner({
      sYamlPath: S_YAML,
      port: runner.port,
      logger: quiet,
      credentials: () => async () => {
        calls += 1;
        return { accessKeyId: 'STS.x', accessKeySecret: 'x', securityToken: 'x', source: 'test' };
      },
      credentialsRefreshMs: 20,
    });
    await expect(failed).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const afterStart = calls;
    expect(afterStart).toBe(2); // one initial fetch per function with a role
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(afterStart); // the refresh schedule was stopped
  });

  it('warns that trigger auth is not enforced locally', () => {
    expect(warnings.some((w) => w.includes('fixture-esm') && w.includes('NOT enforced'))).toBe(true);
  });
});

describe('HTTP trigger', () => {
  it('delivers an FC 3.0 event and maps the response struct back', async () => {
    const r = await call('/fixture-echo/items/a%20b?limit=10&tag=x&tag=y', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Custom': 'v1' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-echo')).toBe('yes');
    expect(r.headers.get('x-fc-request-id')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const { event, context, env } = r.json();
    expect(event.version).toBe('v1');
    expect(event.rawPath).toBe('/items/a%20b');
    expect(event.requestContext.http).toMatchObject({
      method: 'POST',
      path: '/items/a b',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
    });
    expect(event.queryParameters).toEqual({ limit: '10', tag: 'x,y' });
    expect(event.headers['X-Custom'] ?? event.headers['x-custom']).toBe('v1');
    expect(JSON.parse(event.body)).toEqual({ hello: 'world' });
    expect(typeof event.requestContext.timeEpoch).toBe('string');
    expect(event.requestContext.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(event.requestContext.requestId).toBe(r.headers.get('x-fc-request-id'));
    expect(context.requestId).toBe(event.requestContext.requestId);
    expect(context.function).toEqual({ name: 'fixture-echo', handler: 'index.handler', memory: 256, timeout: 2 });
    expect(context.service.qualifier).toBe('LATEST');
    expect(context.region).toBe('cn-hangzhou');
    expect(context.accountId).toBe('1111222233334444');
    expect(context.credentials.accessKeyId).toMatch(/^STS\.fixture-echo\./);
    expect(context.credentials.securityToken).toMatch(/^token-/);
    expect(context.hasLogger).toBe(true);
    expect(env).toMatchObject({
      GREETING: 'hi there',
      TARGET: 'local',
      FC_FUNCTION_NAME: 'fixture-echo',
      FC_REGION: 'cn-hangzhou',
      FC_ACCOUNT_ID: '1111222233334444',
      OVERRIDDEN: 'by-runner',
    });
    expect(env.ALIBABA_CLOUD_ACCESS_KEY_ID).toMatch(/^STS\.fixture-echo\./);
  });

  it('canonicalises header names as FC does, joins repeated values and keeps Host out of the event', async () => {
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${runner.url}/fixture-echo/h`, {
        method: 'GET',
        headers: { 'accept-encoding': 'gzip', 'X-LOUD-NAME': 'a', 'x-multi': ['one', 'two'], 'x-fc-trace-id': 't' },
      });
      req.on('response', (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    const { event } = JSON.parse(res.text);
    expect(event.headers).toMatchObject({
      'Accept-Encoding': 'gzip',
      'X-Loud-Name': 'a',
      'X-Multi': 'one,two',
      'X-Fc-Trace-Id': 't',
    });
    for (const name of Object.keys(event.headers)) expect(name.toLowerCase()).not.toBe('host');
    expect(Object.keys(event.headers).filter((n) => /^[a-z]|-[a-z]/.test(n))).toEqual([]);
  });

  it("sets exactly FC 3.0's documented environment variables (docs/protocol-fc.md §3)", async () => {
    const { platformEnv } = (await call('/fixture-echo/env')).json();
    expect(platformEnv).toEqual(
      [
        'ALIBABA_CLOUD_ACCESS_KEY_ID',
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        'ALIBABA_CLOUD_SECURITY_TOKEN',
        'FC_ACCOUNT_ID',
        'FC_CUSTOM_LISTEN_PORT',
        'FC_FUNCTION_HANDLER',
        'FC_FUNCTION_MEMORY_SIZE',
        'FC_FUNCTION_NAME',
        'FC_FUNC_CODE_PATH',
        'FC_INSTANCE_ID',
        'FC_REGION',
        'FC_VER_ID',
      ].sort(),
    );
  });

  it('base64-encodes binary request bodies and decodes base64 response bodies', async () => {
    const r = await call('/fixture-echo/upload', {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0xff, 0x00, 0x41]),
    });
    const { event } = r.json();
    // the fixture decodes base64 bodies before echoing them
    expect(event.isBase64Encoded).toBe(true);
    const bin = await fetch(`${runner.url}/fixture-echo/binary`);
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await bin.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('sends a non-struct return value as it is', async () => {
    const r = await call('/fixture-echo/plain');
    expect(r.status).toBe(200);
    expect(r.text).toBe('just a string');
  });

  it('keeps module state in a warm instance, and drops FC-reserved response headers', async () => {
    const a = (await call('/fixture-echo/count')).json().invocations;
    const b = await call('/fixture-echo/count');
    expect(b.json().invocations).toBeGreaterThan(a);
    // The initializer ran once for this instance, with an FC context of its own.
    expect(b.json().initializerCalls).toBe(1);
    expect(b.json().initializerRequestId).toMatch(/^1-/);
    expect(b.headers.get('content-length')).not.toBe('1');
  });

  it('turns a thrown error into FC error JSON with X-Fc-Error-Type', async () => {
    const r = await call('/fixture-echo/boom');
    expect(r.status).toBe(502);
    expect(r.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    expect(r.json()).toMatchObject({ errorMessage: 'boom from echo', errorType: 'TypeError' });
    expect(r.json().stackTrace[0]).toContain('boom from echo');
  });

  it('cuts off a handler that never yields at its timeout, while other requests keep being served', async () => {
    const started = Date.now();
    let hangDoneAt = 0;
    const hang = call('/fixture-echo/hang').then((r) => {
      hangDoneAt = Date.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    const other = await call('/fixture-echo/meanwhile');
    const otherDoneAt = Date.now();
    expect(other.status).toBe(200);
    const r = await hang;
    // The spinning instance did not block the runner: the second request finished first.
    expect(otherDoneAt).toBeLessThan(hangDoneAt);
    expect(r.status).toBe(502);
    expect(r.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    expect(r.json()).toEqual({ errorMessage: 'Function time out after 2 seconds' });
    expect(hangDoneAt - started).toBeGreaterThanOrEqual(1900);
    const timedOut = records.find((x) => x.outcome.timedOut);
    expect(timedOut?.outcome.requestId).toBe(r.headers.get('x-fc-request-id'));
    expect((await call('/fixture-echo/after')).status).toBe(200);
  });

  it('survives an instance that exits mid-invocation', async () => {
    const r = await call('/fixture-echo/exit');
    expect(r.status).toBe(502);
    expect(r.json().errorMessage).toMatch(/exited unexpectedly/);
    expect((await call('/fixture-echo/next')).status).toBe(200);
  });

  it('loads ES module functions and gives {} credentials to functions without a role', async () => {
    const r = await call('/fixture-esm/anything');
    expect(r.status).toBe(200);
    expect(r.text).toBe('esm fixture-esm {}');
  });

  it('rejects methods the trigger does not allow and unknown functions', async () => {
    expect((await call('/fixture-esm/x', { method: 'POST', body: 'x' })).status).toBe(405);
    const r = await call('/nobody/here');
    expect(r.status).toBe(404);
    expect(r.json().code).toBe('FunctionNotFound');
  });
});

describe('timers and credentials', () => {
  it('fires a timer trigger on its schedule with the configured payload', async () => {
    const deadline = Date.now() + 5000;
    while (!records.some((r) => r.source === 'timer') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const rec = records.find((r) => r.source === 'timer');
    expect(rec?.triggerName).toBe('tick');
    const summary = JSON.parse(rec!.outcome.body.toString());
    expect(summary).toMatchObject({ triggerName: 'tick', payload: { job: 'audit' }, label: 'fixture-jobs-local' });
    expect(summary.triggerTime).toMatch(/Z$/);
    expect(records.some((r) => r.triggerName === 'off')).toBe(false);
  });

  it('rotates role credentials; the next invocation sees the new ones', async () => {
    const before = runner.currentCredentials('fixture-echo')!.accessKeyId;
    await runner.rotateCredentials();
    const after = runner.currentCredentials('fixture-echo')!.accessKeyId;
    expect(after).not.toBe(before);
    const r = await call('/fixture-echo/rotated');
    expect(r.json().context.credentials.accessKeyId).toBe(after);
  });
});

describe('InvokeFunction API (@alicloud/fc20230330)', () => {
  it('invokes with a verified ACS3 signature and returns the log tail', async () => {
    const client = createFcClient({
      endpoint: runner.endpoint,
      accessKeyId: 'LTAI-test',
      accessKeySecret: 'test-secret',
    });
    const res = await invokeWithSdk(
      client,
      'fixture-jobs',
      Buffer.from(JSON.stringify({ triggerName: 'manual', payload: '{"n":1}' })),
      { logTail: true },
    );
    expect(res.statusCode).toBe(200);
    expect(res.errorType).toBeUndefined();
    expect(JSON.parse(res.body.toString())).toMatchObject({ triggerName: 'manual', payload: { n: 1 } });
    expect(res.requestId).toMatch(/^1-/);
    expect(res.logTail).toContain('{"msg":"job ran","trigger":"manual"}');
    const err = await invokeWithSdk(client, 'fixture-echo', Buffer.from(JSON.stringify({ rawPath: '/boom' })), {
      logTail: true,
    });
    expect(err.statusCode).toBe(200);
    expect(err.errorType).toBe('UnhandledInvocationError');
    expect(JSON.parse(err.body.toString()).errorMessage).toBe('boom from echo');
  });

  it('accepts asynchronous invocations with 202 and runs them in the background', async () => {
    const client = createFcClient({
      endpoint: runner.endpoint,
      accessKeyId: 'LTAI-test',
      accessKeySecret: 'test-secret',
    });
    const res = await invokeWithSdk(
      client,
      'fixture-jobs',
      Buffer.from(JSON.stringify({ triggerName: 'async-1', sleepMs: 100 })),
      { invocationType: 'Async' },
    );
    expect(res.statusCode).toBe(202);
    expect(res.body.length).toBe(0);
    const deadline = Date.now() + 5000;
    const done = () => records.find((r) => r.source === 'invoke-api' && r.outcome.requestId === res.requestId);
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(JSON.parse(done()!.outcome.body.toString()).triggerName).toBe('async-1');
  });

  it('rejects a bad signature, an unknown key and an unknown function', async () => {
    const bad = createFcClient({ endpoint: runner.endpoint, accessKeyId: 'LTAI-test', accessKeySecret: 'wrong' });
    await expect(invokeWithSdk(bad, 'fixture-jobs', Buffer.from('{}'))).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      statusCode: 403,
    });
    const unknown = createFcClient({ endpoint: runner.endpoint, accessKeyId: 'nobody', accessKeySecret: 'x' });
    await expect(invokeWithSdk(unknown, 'fixture-jobs', Buffer.from('{}'))).rejects.toMatchObject({ statusCode: 403 });
    const good = createFcClient({
      endpoint: runner.endpoint,
      accessKeyId: 'LTAI-test',
      accessKeySecret: 'test-secret',
    });
    await expect(invokeWithSdk(good, 'no-such-fn', Buffer.from('{}'))).rejects.toMatchObject({
      code: 'FunctionNotFound',
      statusCode: 404,
    });
  });

  it('rejects a replayed request whose body or host changed after signing', async () => {
    // Capture what the SDK sends (a throwaway server answers 500), then replay it at the runner.
    let captured: IncomingHttpHeaders = {};
    const trap = createServer((req, res) => {
      captured = req.headers;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"Code":"Captured","Message":"captured"}');
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const trapEndpoint = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
    const capturer = createFcClient({
      endpoint: trapEndpoint,
      accessKeyId: 'LTAI-test',
      accessKeySecret: 'test-secret',
    });
    await invokeWithSdk(capturer, 'fixture-jobs', Buffer.from('{"a":1}')).catch(() => undefined);
    trap.close();
    expect(captured.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=LTAI-test,SignedHeaders=.*host.*,Signature=[0-9a-f]{64}$/,
    );
    const { 'content-length': _cl, 'transfer-encoding': _te, connection: _c, ...signed } = captured;
    const changedBody = await rawPost(signed, '{"a":2}');
    expect(changedBody.status).toBe(400);
    expect(changedBody.json.Code).toBe('InvalidContentSha256');
    // Same body, but the signed host was the trap's: the signature no longer matches at the runner.
    const movedHost = await rawPost({ ...signed, host: runner.endpoint }, '{"a":1}');
    expect(movedHost.status).toBe(403);
    expect(movedHost.json.Code).toBe('SignatureDoesNotMatch');
    // The untouched request (host included) is accepted once, and its nonce cannot be replayed.
    const exact = await rawPost(signed, '{"a":1}');
    expect(exact.status).toBe(200);
    const again = await rawPost(signed, '{"a":1}');
    expect(again.status).toBe(403);
    expect(again.json.Code).toBe('SignatureNonceUsed');
  });
});

function rawPost(headers: IncomingHttpHeaders, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: runner.port,
        method: 'POST',
        path: '/2023-03-30/functions/fixture-jobs/invocations',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = { text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('instance lifecycle', () => {
  it('serves one invocation per instance, as FC 3.0 built-in runtimes do, whatever instanceConcurrency says', async () => {
    expect(runner.project.functions.find((f) => f.functionName === 'fixture-echo')?.instanceConcurrency).toBe(4);
    expect(warnings.some((w) => w.includes('fixture-echo') && w.includes('instanceConcurrency 4 is ignored'))).toBe(
      true,
    );
    const event = JSON.stringify({ rawPath: '/sleep', requestContext: { http: { method: 'GET' } } });
    const outcomes = await Promise.all([1, 2, 3].map(() => runner.invoke('fixture-echo', event)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(new Set(outcomes.map((o) => o.instanceId)).size).toBe(3);
  });

  it('reclaims an idle instance; the next invocation is a cold start with fresh module state', async () => {
    const r = await startFcRunner({
      sYamlPath: S_YAML,
      port: 0,
      logger: quiet,
      timers: false,
      instanceIdleTimeoutMs: 150,
    });
    try {
      const event = JSON.stringify({ rawPath: '/x', requestContext: { http: { method: 'GET' } } });
      const first = await r.invoke('fixture-echo', event);
      const warm = await r.invoke('fixture-echo', event);
      expect([first.coldStart, warm.coldStart]).toEqual([true, false]);
      expect(warm.instanceId).toBe(first.instanceId);
      expect(JSON.parse(JSON.parse(warm.body.toString()).body).invocations).toBe(2);
      await new Promise((res) => setTimeout(res, 400));
      const later = await r.invoke('fixture-echo', event);
      expect(later.coldStart).toBe(true);
      expect(later.instanceId).not.toBe(first.instanceId);
      expect(JSON.parse(JSON.parse(later.body.toString()).body)).toMatchObject({ invocations: 1, initializerCalls: 1 });
    } finally {
      await r.stop();
    }
  });
});
