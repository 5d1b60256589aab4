/**
 * The shared transport against a small scripted HTTP server on 127.0.0.1 (a test of the transport's own
 * behaviour: signing, retries, timeouts, deadline, credential refresh — not a stand-in for Tablestore Local).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialProvider, Credentials } from '../../lib/credentials/types';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { createHmac } from 'node:crypto';
import { contentMd5, deriveV4SigningKey, signV2 } from '../../lib/tablestore/protocol/sign';
import { createTransport, type TransportOptions } from '../../lib/tablestore/transport/index';
import { MIN_ATTEMPT_MS } from '../../lib/tablestore/protocol/retry-policy';
import {
  hang,
  ok as okReply,
  otsError as otsReply,
  startScriptedTablestore,
  type Reply,
  type ScriptedTablestore,
} from '../helpers/scripted-tablestore';

let server: ScriptedTablestore;
let endpoint: string;

const otsError = (status: number, code: string, message: string, requestId = 'rid-1'): Reply =>
  otsReply(status, code, message, requestId);
const ok = (body: Uint8Array = Buffer.from([1, 2, 3])): Reply => okReply(body, 'rid-ok');

beforeAll(async () => {
  server = await startScriptedTablestore();
  endpoint = server.endpoint;
});

afterAll(() => server.stop());

beforeEach(() => {
  server.reset();
  server.fallback = ok();
});

const staticCreds =
  (c: Partial<Credentials> = {}): CredentialProvider =>
  async () => ({ accessKeyId: 'ak', accessKeySecret: 'sk', source: 'test', ...c });

function transport(extra: Partial<TransportOptions> = {}) {
  return createTransport({
    endpoint,
    instance: 'inst',
    credentials: staticCreds(),
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  });
}

describe('signing and headers', () => {
  it('signs V2 exactly like the vector of docs/protocol.md §2.1 (DescribeTable, STS token)', async () => {
    const t = transport({
      credentials: staticCreds({ securityToken: 'tok' }),
      now: () => new Date('2026-11-23T00:32:08.924Z'),
    });
    const out = await t.call('DescribeTable', Buffer.from('0a03616263', 'hex'));
    expect(Buffer.from(out)).toEqual(Buffer.from([1, 2, 3]));
    const h = server.seen[0].headers;
    expect(server.seen[0].path).toBe('/DescribeTable');
    expect(h['x-ots-contentmd5']).toBe('nu+hoWfdpFot9fzBQIGVaA==');
    expect(h['x-ots-ststoken']).toBe('tok');
    expect(h['x-ots-signature']).toBe('aTbdtM1cM1wAoYSSBLVjaCvMN8k=');
    t.close();
  });

  it('signs V4 exactly like the vector of docs/protocol.md §2.2 (ListTable, cn-hangzhou, 20240101)', async () => {
    const t = transport({
      signatureVersion: 'v4',
      region: 'cn-hangzhou',
      now: () => new Date('2024-01-01T00:00:00.000Z'),
    });
    await t.call('ListTable', new Uint8Array(0));
    const h = server.seen[0].headers;
    expect(h['x-ots-contentmd5']).toBe('1B2M2Y8AsgTpgAmY7PhCfg==');
    expect(h['x-ots-signdate']).toBe('20240101');
    expect(h['x-ots-signregion']).toBe('cn-hangzhou');
    expect(deriveV4SigningKey('sk', '20240101', 'cn-hangzhou')).toBe('w5/N0dmYEktyXVFKz+dsydAHoiVj3jgLLXzpFaEHHvU=');
    expect(h['x-ots-signaturev4']).toBe('6Up+bZ8MqesBSy4ScXANX72UMTHmIW18OjA1RIr0qkE=');
    expect(h['x-ots-signature']).toBeUndefined();
    t.close();
  });

  it('signs V4 when the region is known and V2 without one, unless told otherwise', async () => {
    const withRegion = transport({ region: 'cn-hangzhou' });
    const withoutRegion = transport();
    const v2Asked = transport({ region: 'cn-hangzhou', signatureVersion: 'v2' });
    for (const t of [withRegion, withoutRegion, v2Asked]) await t.call('ListTable', new Uint8Array(0));
    expect(
      server.seen.map((s) => [
        s.headers['x-ots-signaturev4'] !== undefined,
        s.headers['x-ots-signature'] !== undefined,
      ]),
    ).toEqual([
      [true, false],
      [false, true],
      [false, true],
    ]);
    for (const t of [withRegion, withoutRegion, v2Asked]) t.close();
  });

  it('derives each V4 key afresh for a new secret, day or region (the derived keys are cached)', async () => {
    // More keys than the cache holds, each asked twice: every answer must be the key of its own inputs.
    const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
    const expected = (secret: string, day: string, region: string) =>
      hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), region), 'ots'), 'aliyun_v4_request').toString('base64');
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 150; i++) {
        const [secret, day, region] = [`sk${i % 50}`, `2024010${1 + (i % 3)}`, i % 2 ? 'cn-hangzhou' : 'cn-beijing'];
        expect(deriveV4SigningKey(secret, day, region)).toBe(expected(secret, day, region));
      }
  });

  it('asks the provider on every request, so rotated credentials are used at once', async () => {
    let n = 0;
    const t = transport({
      credentials: async () => ({ accessKeyId: `ak${++n}`, accessKeySecret: `sk${n}`, source: 'test' }),
    });
    await t.call('ListTable', new Uint8Array(0));
    await t.call('ListTable', new Uint8Array(0));
    expect(server.seen.map((s) => s.headers['x-ots-accesskeyid'])).toEqual(['ak1', 'ak2']);
    // each signature verifies with the secret of its own key pair
    server.seen.forEach((s, i) =>
      expect(s.headers['x-ots-signature']).toBe(signV2(`sk${i + 1}`, 'ListTable', s.headers as Record<string, string>)),
    );
    t.close();
  });

  it('keeps connections alive between calls', async () => {
    const t = transport();
    for (let i = 0; i < 5; i++) await t.call('ListTable', new Uint8Array(0));
    expect(new Set(server.seen.map((s) => s.socket)).size).toBe(1);
    t.close();
  });
});

describe('errors', () => {
  it('decodes OTS errors into TablestoreError without leaking secrets', async () => {
    server.script = [otsError(404, 'OTSObjectNotExist', 'Requested table does not exist.', 'rid-404')];
    const t = transport({
      credentials: staticCreds({ accessKeySecret: 'super-secret', securityToken: 'secret-token' }),
    });
    const err = await t.call('DescribeTable', Buffer.from('0a0178', 'hex')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TablestoreError);
    const e = err as TablestoreError;
    expect([e.code, e.message, e.httpStatus, e.requestId, e.retryable]).toEqual([
      'OTSObjectNotExist',
      'Requested table does not exist.',
      404,
      'rid-404',
      false,
    ]);
    const text = `${e.message} ${e.stack} ${JSON.stringify(e)}`;
    expect(text).not.toContain('super-secret');
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain(String(server.seen[0].headers['x-ots-signature']));
    t.close();
  });

  it('rejects a 2xx body that does not match x-ots-contentmd5', async () => {
    server.fallback = (_req, res) => {
      res.writeHead(200, { 'x-ots-contentmd5': contentMd5(Buffer.from('other')) });
      res.end(Buffer.from('body'));
    };
    const t = transport({ retry: { maxRetries: 1, baseDelayMs: 1 } });
    await expect(t.call('PutRow', new Uint8Array(0))).rejects.toMatchObject({ code: 'OTSClientBadResponse' });
    t.close();
  });
});

describe('retries', () => {
  it('retries throttling errors for any API, then succeeds', async () => {
    server.script = [
      otsError(503, 'OTSServerBusy', 'Server is busy.'),
      otsError(409, 'OTSRowOperationConflict', 'conflict'),
    ];
    const retries: string[] = [];
    const t = transport({ onRetry: (e) => retries.push(e.code) });
    await t.call('PutTimeseriesData', new Uint8Array([1]));
    expect(server.seen).toHaveLength(3);
    expect(retries).toEqual(['OTSServerBusy', 'OTSRowOperationConflict']);
    t.close();
  });

  it('retries ambiguous failures only for idempotent operations', async () => {
    const t = transport();
    server.script = [otsError(500, 'OTSInternalServerError', 'Internal server error.')];
    await t.call('GetTimeseriesData', new Uint8Array([1]));
    expect(server.seen).toHaveLength(2);

    server.seen.length = 0;
    server.script = [otsError(500, 'OTSInternalServerError', 'Internal server error.')];
    const err = (await t.call('PutTimeseriesData', new Uint8Array([1])).catch((e: unknown) => e)) as TablestoreError;
    expect(err.code).toBe('OTSInternalServerError');
    expect(err.retryable).toBe(false);
    expect(server.seen).toHaveLength(1);

    server.seen.length = 0;
    server.script = [otsError(500, 'OTSInternalServerError', 'Internal server error.')];
    await t.call('PutTimeseriesData', new Uint8Array([1]), { idempotent: true });
    expect(server.seen).toHaveLength(2);
    t.close();
  });

  it('retries OTSQuotaExhausted only for "Too frequent table operations."', async () => {
    const t = transport();
    server.script = [otsError(403, 'OTSQuotaExhausted', 'Too frequent table operations.')];
    await t.call('CreateTable', new Uint8Array(0));
    expect(server.seen).toHaveLength(2);
    server.seen.length = 0;
    server.script = [otsError(403, 'OTSQuotaExhausted', 'Number of tables exceeded the quota.')];
    await expect(t.call('CreateTable', new Uint8Array(0))).rejects.toMatchObject({
      code: 'OTSQuotaExhausted',
      retryable: false,
    });
    expect(server.seen).toHaveLength(1);
    t.close();
  });

  it('times out a hung attempt and retries it when idempotent', async () => {
    const t = transport({ timeoutMs: 500 });
    server.script = [hang];
    await t.call('GetTimeseriesData', new Uint8Array([1]));
    expect(server.seen).toHaveLength(2);

    server.seen.length = 0;
    server.script = [hang];
    await expect(t.call('PutTimeseriesData', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OTSClientTimeout',
      httpStatus: 0,
    });
    expect(server.seen).toHaveLength(1);
    t.close();
  });

  it('gives up at the overall deadline with the last error', async () => {
    server.fallback = otsError(503, 'OTSServerBusy', 'Server is busy.');
    const t = transport({ deadlineMs: 600, retry: { maxRetries: 1000, baseDelayMs: 20, maxDelayMs: 40 } });
    const started = Date.now();
    await expect(t.call('PutTimeseriesData', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OTSServerBusy',
      retryable: true,
    });
    const elapsed = Date.now() - started;
    // It retries until the next wait (<= 40 ms) plus a minimal attempt would no longer fit before the deadline.
    expect(elapsed).toBeGreaterThanOrEqual(600 - MIN_ATTEMPT_MS - 40);
    expect(elapsed).toBeLessThan(3000);
    expect(server.seen.length).toBeGreaterThan(2);
    t.close();
  });

  it('reports the failure that used up the budget when the deadline cuts the next attempt short', async () => {
    server.script = [otsError(503, 'OTSServerBusy', 'Server is busy.'), hang];
    const t = transport({ deadlineMs: 800, timeoutMs: 10_000, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(t.call('GetTimeseriesData', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OTSServerBusy',
      retryable: true,
    });
    expect(server.seen.length).toBe(2); // the second attempt was sent and hung until the deadline
    t.close();
  });

  it('cancels an in-flight attempt or a backoff when the signal aborts', async () => {
    const t = transport({ retry: { baseDelayMs: 5000, maxDelayMs: 5000 }, random: () => 1 });
    server.script = [hang];
    let started = Date.now();
    await expect(
      t.call('GetTimeseriesData', new Uint8Array([1]), { signal: AbortSignal.timeout(100) }),
    ).rejects.toMatchObject({
      code: 'OTSClientAborted',
      httpStatus: 0,
    });
    expect(Date.now() - started).toBeLessThan(2000);

    server.fallback = otsError(503, 'OTSServerBusy', 'Server is busy.');
    started = Date.now();
    await expect(
      t.call('PutTimeseriesData', new Uint8Array([1]), { signal: AbortSignal.timeout(100) }),
    ).rejects.toMatchObject({ code: 'OTSClientAborted' });
    expect(Date.now() - started).toBeLessThan(2000); // not the 5 s backoff
    const aborted = new AbortController();
    aborted.abort();
    const before = server.seen.length;
    await expect(t.call('ListTable', new Uint8Array(0), { signal: aborted.signal })).rejects.toMatchObject({
      code: 'OTSClientAborted',
    });
    expect(server.seen.length).toBe(before);
    t.close();
  });

  it('stops after maxRetries', async () => {
    server.fallback = otsError(503, 'OTSServerBusy', 'Server is busy.');
    const t = transport({ retry: { maxRetries: 3, baseDelayMs: 1 } });
    await expect(t.call('ListTable', new Uint8Array(0))).rejects.toMatchObject({ code: 'OTSServerBusy' });
    expect(server.seen).toHaveLength(4);
    t.close();
  });

  it('retries a refused connection even for writes (the request never left)', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const retries: string[] = [];
    const t = createTransport({
      endpoint: `http://127.0.0.1:${port}`,
      instance: 'inst',
      credentials: staticCreds(),
      retry: { maxRetries: 2, baseDelayMs: 1 },
      onRetry: (e) => retries.push(e.code),
    });
    await expect(t.call('PutRow', new Uint8Array(0))).rejects.toMatchObject({ code: 'OTSClientNetworkError' });
    expect(retries).toEqual(['OTSClientNetworkError', 'OTSClientNetworkError']);
    t.close();
  });
});

describe('credential refresh after an auth failure', () => {
  function rotatingProvider() {
    const calls: (boolean | undefined)[] = [];
    let current = 'token-1';
    const provider: CredentialProvider = async (opts) => {
      calls.push(opts?.forceRefresh);
      if (opts?.forceRefresh) current = 'token-2';
      return { accessKeyId: 'STS.x', accessKeySecret: 'sk', securityToken: current, source: 'test' };
    };
    return { provider, calls };
  }

  it('forces one refresh and retries once when the STS token was rejected', async () => {
    server.fallback = (req, res, s) =>
      req.headers['x-ots-ststoken'] === 'token-1'
        ? otsError(403, 'OTSNoPermissionAccess', 'The security token has expired.')(req, res, s)
        : ok()(req, res, s);
    const { provider, calls } = rotatingProvider();
    const t = transport({ credentials: provider });
    await t.call('PutTimeseriesData', new Uint8Array([1]));
    expect(calls).toEqual([undefined, undefined, true]);
    expect(server.seen.map((s) => s.headers['x-ots-ststoken'])).toEqual(['token-1', 'token-2']);
    t.close();
  });

  it('does not loop, nor refresh again, when refreshed credentials are refused (a real denial)', async () => {
    server.fallback = otsError(403, 'OTSNoPermissionAccess', 'You have no permission to access the requested resource');
    const { provider, calls } = rotatingProvider();
    const t = transport({ credentials: provider });
    await expect(t.call('GetTimeseriesData', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OTSNoPermissionAccess',
      httpStatus: 403,
    });
    expect(calls).toEqual([undefined, undefined, true]);
    expect(server.seen).toHaveLength(2);
    // the next denied call uses keys that came from a forced refresh: no further AssumeRole-costing refresh
    await expect(t.call('GetTimeseriesData', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OTSNoPermissionAccess',
    });
    expect(calls).toEqual([undefined, undefined, true, undefined]);
    expect(server.seen).toHaveLength(3);
    t.close();
  });

  it('uses credentials another call already refreshed instead of forcing a new refresh', async () => {
    let token = 'old';
    const calls: (boolean | undefined)[] = [];
    const provider: CredentialProvider = async (opts) => {
      calls.push(opts?.forceRefresh);
      const c = { accessKeyId: `STS.${token}`, accessKeySecret: 'sk', securityToken: token, source: 'test' };
      token = 'new'; // rotated right after the first read
      return c;
    };
    server.fallback = (req, res, s) =>
      req.headers['x-ots-ststoken'] === 'old'
        ? otsError(403, 'OTSAuthFailed', 'expired')(req, res, s)
        : ok()(req, res, s);
    const t = transport({ credentials: provider });
    await t.call('PutTimeseriesData', new Uint8Array([1]));
    expect(calls).toEqual([undefined, undefined]);
    t.close();
  });

  it('never refreshes long-term keys, and does not resend them', async () => {
    server.fallback = otsError(403, 'OTSAuthFailed', 'The AccessKeyID does not exist.');
    const calls: (boolean | undefined)[] = [];
    const t = transport({
      credentials: async (opts) => {
        calls.push(opts?.forceRefresh);
        return { accessKeyId: 'ak', accessKeySecret: 'sk', source: 'test' };
      },
    });
    await expect(t.call('ListTable', new Uint8Array(0))).rejects.toMatchObject({ code: 'OTSAuthFailed' });
    expect(server.seen).toHaveLength(1);
    expect(calls).toEqual([undefined]);
    t.close();
  });

  it('reports a failing provider without its message', async () => {
    const t = transport({
      credentials: async () => {
        throw new Error('secret=abc');
      },
    });
    const err = (await t.call('ListTable', new Uint8Array(0)).catch((e: unknown) => e)) as TablestoreError;
    expect(err.code).toBe('OTSClientCredentialsError');
    expect(err.message).not.toContain('secret=abc');
    t.close();
  });
});
