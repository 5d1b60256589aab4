/**
 * WideTableClient's own retrying (the official SDK's is switched off per request), against a scripted
 * Tablestore on 127.0.0.1 that answers each API from a queue: an OTS error, a success body, a held request
 * or a dropped connection. Proves the retry classes (throttling retried for every API, ambiguous failures
 * only for reads), the retry limit, the overall deadline and cancellation. No timing assertions beyond
 * generous bounds; attempt counts are exact.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromStatic } from '../../lib/credentials';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import type { RetryEvent } from '../../lib/tablestore/transport/index';
import { int64, WideTableClient, type WideTableClientOptions } from '../../lib/tablestore/wide';
import { drop, hang, ok, otsError, startScriptedTablestore, type ScriptedTablestore } from '../helpers/scripted-tablestore';

const consumed = (read: number, write: number) => ({ capacity_unit: { read, write } });
const SUCCESS: Record<string, () => Uint8Array> = {
  ListTable: () => encodeMessage('ListTableResponse', { table_names: ['t'] }),
  GetRow: () => encodeMessage('GetRowResponse', { consumed: consumed(1, 0), row: new Uint8Array() }),
  PutRow: () => encodeMessage('PutRowResponse', { consumed: consumed(0, 1) }),
  UpdateRow: () => encodeMessage('UpdateRowResponse', { consumed: consumed(0, 1) }),
  DeleteRow: () => encodeMessage('DeleteRowResponse', { consumed: consumed(0, 1) }),
};

let server: ScriptedTablestore;
let endpoint: string;
const succeed = ok((req) => SUCCESS[req.api]());

beforeAll(async () => {
  server = await startScriptedTablestore();
  endpoint = server.endpoint;
});

afterAll(() => server.stop());

beforeEach(() => {
  server.reset();
  server.fallback = succeed;
});

function client(extra: Partial<WideTableClientOptions> = {}, events: RetryEvent[] = []): WideTableClient {
  return new WideTableClient({
    endpoint,
    instance: 'scripted',
    credentials: fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }),
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    onRetry: (e) => events.push(e),
    ...extra,
  });
}

const pk = [{ id: int64(1) }];
const calls: Record<string, (c: WideTableClient) => Promise<unknown>> = {
  ListTable: (c) => c.listTables(),
  GetRow: (c) => c.getRow({ tableName: 't', primaryKey: pk }),
  PutRow: (c) => c.putRow({ tableName: 't', primaryKey: pk, attributeColumns: [{ v: 'x' }] }),
  UpdateRow: (c) => c.updateRow({ tableName: 't', primaryKey: pk, updateOfAttributeColumns: [{ PUT: [{ v: 'y' }] }] }),
  DeleteRow: (c) => c.deleteRow({ tableName: 't', primaryKey: pk }),
};

const fail = (status: number, code: string, message?: string) => otsError(status, code, message);

describe('WideTableClient retry classes', () => {
  it.each([
    [503, 'OTSServerBusy', undefined],
    [403, 'OTSNotEnoughCapacityUnit', undefined],
    [409, 'OTSRowOperationConflict', undefined],
    [503, 'OTSPartitionUnavailable', undefined],
    [403, 'OTSQuotaExhausted', 'Too frequent table operations.'],
  ])('%i %s is retried for every API, writes included', async (status, code, message) => {
    for (const api of ['GetRow', 'PutRow', 'UpdateRow', 'DeleteRow']) {
      server.queue.set(api, [fail(status, code, message), fail(status, code, message)]);
      const events: RetryEvent[] = [];
      const c = client({}, events);
      await expect(calls[api](c)).resolves.toBeDefined();
      expect(server.attempts.get(api)).toBe(3);
      expect(c.stats.retries).toBe(2);
      expect(events.map((e) => [e.apiName, e.code])).toEqual([
        [api, code],
        [api, code],
      ]);
    }
  });

  it.each([
    [500, 'OTSInternalServerError'],
    [503, 'OTSServerUnavailable'],
    [503, 'OTSTimeout'],
  ])('%i %s (outcome unknown) is retried for reads but not for writes', async (status, code) => {
    for (const api of ['ListTable', 'GetRow']) {
      server.queue.set(api, [fail(status, code)]);
      await expect(calls[api](client())).resolves.toBeDefined();
      expect(server.attempts.get(api)).toBe(2);
    }
    for (const api of ['PutRow', 'UpdateRow', 'DeleteRow']) {
      server.queue.set(api, [fail(status, code)]);
      const c = client();
      const err = await calls[api](c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TablestoreError);
      expect(err).toMatchObject({ code, httpStatus: status, retryable: false });
      expect(server.attempts.get(api)).toBe(1);
      expect(c.stats.retries).toBe(0);
    }
  });

  it('errors that a repeat cannot fix fail at once', async () => {
    server.queue.set('GetRow', [fail(400, 'OTSParameterInvalid')]);
    await expect(calls.GetRow(client())).rejects.toMatchObject({ code: 'OTSParameterInvalid', httpStatus: 400, retryable: false });
    expect(server.attempts.get('GetRow')).toBe(1);
    // A hard quota limit (any other message) is not the retryable "too frequent" flavour.
    server.queue.set('PutRow', [fail(403, 'OTSQuotaExhausted', 'Number of tables exceeded the quota.')]);
    await expect(calls.PutRow(client())).rejects.toMatchObject({ code: 'OTSQuotaExhausted' });
    expect(server.attempts.get('PutRow')).toBe(1);
  });

  it('persistent throttling: exactly 1 + maxRetries attempts (none of the SDK’s own), then the last error', async () => {
    server.standing.set('GetRow', fail(503, 'OTSServerBusy', 'Server is busy.'));
    const events: RetryEvent[] = [];
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } }, events);
    const err = (await calls.GetRow(c).catch((e: unknown) => e)) as TablestoreError;
    expect(err).toMatchObject({ name: 'TablestoreError', code: 'OTSServerBusy', httpStatus: 503, retryable: true });
    expect(server.attempts.get('GetRow')).toBe(4);
    expect(events.map((e) => e.retry)).toEqual([1, 2, 3]);
    // The error is the last attempt's (its request id is the latest the server issued).
    expect(err.requestId).toBe(`req-${server.replies}`);
  });

  it('the overall deadline stops retrying with the throttling error itself, not a deadline error', async () => {
    server.standing.set('ListTable', fail(503, 'OTSServerBusy'));
    const c = client({ retry: { maxRetries: 10_000, baseDelayMs: 10, maxDelayMs: 40 } });
    const started = Date.now();
    await expect(c.listTables({ deadlineMs: 1500 })).rejects.toMatchObject({ code: 'OTSServerBusy', httpStatus: 503 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.attempts.get('ListTable')).toBeGreaterThan(1);
    expect(server.attempts.get('ListTable')).toBeLessThan(10_000);
  });
});

describe('WideTableClient deadline and cancellation', () => {
  it('a request still unanswered at the deadline fails with OTSClientDeadlineExceeded and its connection is closed', async () => {
    server.standing.set('GetRow', hang);
    const before = server.abandoned.get('GetRow') ?? 0;
    const started = Date.now();
    await expect(client().getRow({ tableName: 't', primaryKey: pk }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'OTSClientDeadlineExceeded',
      httpStatus: 0,
    });
    // Well before the SDK's own 30 s socket timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.attempts.get('GetRow')).toBe(1);
    await expect.poll(() => (server.abandoned.get('GetRow') ?? 0) - before, { timeout: 3000 }).toBe(1);
  });

  it('the client-wide deadline applies when the call gives none', async () => {
    server.standing.set('ListTable', hang);
    await expect(client({ deadlineMs: 200 }).listTables()).rejects.toMatchObject({ code: 'OTSClientDeadlineExceeded' });
  });

  it('an aborted signal cancels the in-flight request with OTSClientAborted; an already-aborted one sends nothing', async () => {
    server.standing.set('PutRow', hang);
    const before = server.abandoned.get('PutRow') ?? 0;
    const controller = new AbortController();
    const pending = client().putRow({ tableName: 't', primaryKey: pk, attributeColumns: [{ v: 'x' }] }, { signal: controller.signal });
    await expect.poll(() => server.attempts.get('PutRow') ?? 0, { timeout: 3000 }).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'OTSClientAborted', httpStatus: 0 });
    await expect.poll(() => (server.abandoned.get('PutRow') ?? 0) - before, { timeout: 3000 }).toBe(1);

    await expect(client().listTables({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'OTSClientAborted' });
    expect(server.attempts.get('ListTable')).toBeUndefined();
  });

  it('an abort during the backoff ends the call without another attempt', async () => {
    server.standing.set('GetRow', fail(503, 'OTSServerBusy'));
    const controller = new AbortController();
    const c = client({ retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1, onRetry: () => controller.abort() });
    await expect(c.getRow({ tableName: 't', primaryKey: pk }, { signal: controller.signal, deadlineMs: 600_000 })).rejects.toMatchObject({
      code: 'OTSClientAborted',
    });
    expect(server.attempts.get('GetRow')).toBe(1);
  });
});

describe('WideTableClient network failures', () => {
  it('a connection dropped after the request was sent is retried for reads only', async () => {
    server.queue.set('GetRow', [drop]);
    await expect(calls.GetRow(client())).resolves.toBeDefined();
    expect(server.attempts.get('GetRow')).toBe(2);

    server.queue.set('PutRow', [drop]);
    await expect(calls.PutRow(client())).rejects.toMatchObject({ code: 'OTSClientNetworkError', httpStatus: 0, retryable: false });
    expect(server.attempts.get('PutRow')).toBe(1);
  });

  it('a refused connection (request never sent) is retried for writes too', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const events: RetryEvent[] = [];
    const c = client({ endpoint: `http://127.0.0.1:${port}`, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } }, events);
    await expect(calls.PutRow(c)).rejects.toMatchObject({ code: 'OTSClientNetworkError', retryable: true });
    expect(events.map((e) => e.code)).toEqual(['OTSClientNetworkError', 'OTSClientNetworkError']);
  });
});
