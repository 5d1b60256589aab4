/**
 * The one retry engine (the transport's) as both clients see it, against a scripted Tablestore on 127.0.0.1
 * that answers each API from a queue: an OTS error, a success body, a held request or a dropped
 * connection. The shared scenarios run table-driven against WideTableClient and TimeseriesClient; the
 * wide-specific ones prove the retry classes per API (throttling retried for every API, ambiguous failures
 * only for reads), the retry limit, the overall deadline and cancellation. No timing assertions beyond
 * generous bounds; attempt counts are exact.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromStatic, type CredentialProvider } from '../../lib/credentials';
import { encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { encodeErrorBody, TablestoreError } from '../../lib/tablestore/protocol/errors';
import { encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import type { RetryEvent } from '../../lib/tablestore/transport/index';
import { WideTableClient, type WideTableClientConnection } from '../../lib/tablestore/wide';

type Step = { error: [status: number, code: string, message?: string] } | 'hang' | 'drop';

const consumed = (read: number, write: number) => ({ capacity_unit: { read, write } });
const SUCCESS: Record<string, () => Uint8Array> = {
  ListTable: () => encodeMessage('ListTableResponse', { table_names: ['t'] }),
  GetRow: () => encodeMessage('GetRowResponse', { consumed: consumed(1, 0), row: new Uint8Array() }),
  PutRow: () => encodeMessage('PutRowResponse', { consumed: consumed(0, 1) }),
  UpdateRow: () => encodeMessage('UpdateRowResponse', { consumed: consumed(0, 1) }),
  DeleteRow: () => encodeMessage('DeleteRowResponse', { consumed: consumed(0, 1) }),
  ListTimeseriesTable: () => encodeTimeseriesMessage('ListTimeseriesTableResponse', { table_metas: [] }),
};

const script = new Map<string, Step[]>();
/** A step that repeats forever once the queue is down to it. */
const forever = new Map<string, Step>();
const attempts = new Map<string, number>();
const abandoned = new Map<string, number>();
const sockets = new Set<Socket>();
let server: http.Server;
let endpoint: string;
let n = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const api = (req.url ?? '/').slice(1);
    attempts.set(api, (attempts.get(api) ?? 0) + 1);
    const step = script.get(api)?.shift() ?? forever.get(api);
    req.resume();
    req.on('end', () => {
      if (step === 'hang') {
        res.on('close', () => abandoned.set(api, (abandoned.get(api) ?? 0) + 1));
        return;
      }
      if (step === 'drop') {
        req.socket.destroy();
        return;
      }
      n += 1;
      const body = step ? Buffer.from(encodeErrorBody(step.error[1], step.error[2] ?? 'scripted')) : Buffer.from(SUCCESS[api]());
      res.writeHead(step ? step.error[0] : 200, { 'content-type': 'application/x-protobuf', 'x-ots-requestid': `req-${n}`, 'content-length': body.length });
      res.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  script.clear();
  forever.clear();
  attempts.clear();
});

function client(extra: Partial<WideTableClientConnection> = {}, events: RetryEvent[] = []): WideTableClient {
  return new WideTableClient({
    endpoint,
    instance: 'scripted',
    credentials: fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }),
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    onRetry: (e) => events.push(e),
    ...extra,
  });
}

const pk = { id: 1 };
const calls: Record<string, (c: WideTableClient) => Promise<unknown>> = {
  ListTable: (c) => c.listTables(),
  // A missing row is `undefined`: report that the call succeeded.
  GetRow: (c) => c.getRow({ table: 't', primaryKey: pk }).then(() => 'ok'),
  PutRow: (c) => c.putRow({ table: 't', primaryKey: pk, columns: { v: 'x' } }),
  UpdateRow: (c) => c.updateRow({ table: 't', primaryKey: pk, put: { v: 'y' } }),
  DeleteRow: (c) => c.deleteRow({ table: 't', primaryKey: pk }),
};

const fail = (status: number, code: string, message?: string): Step => ({ error: [status, code, ...(message === undefined ? [] : [message])] as [number, string, string?] });

describe('WideTableClient retry classes', () => {
  it.each([
    [503, 'OTSServerBusy', undefined],
    [403, 'OTSNotEnoughCapacityUnit', undefined],
    [409, 'OTSRowOperationConflict', undefined],
    [503, 'OTSPartitionUnavailable', undefined],
    [403, 'OTSQuotaExhausted', 'Too frequent table operations.'],
  ])('%i %s is retried for every API, writes included', async (status, code, message) => {
    for (const api of ['GetRow', 'PutRow', 'UpdateRow', 'DeleteRow']) {
      script.set(api, [fail(status, code, message), fail(status, code, message)]);
      const events: RetryEvent[] = [];
      const c = client({}, events);
      await expect(calls[api](c)).resolves.toBeDefined();
      expect(attempts.get(api)).toBe(3);
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
      script.set(api, [fail(status, code)]);
      await expect(calls[api](client())).resolves.toBeDefined();
      expect(attempts.get(api)).toBe(2);
    }
    for (const api of ['PutRow', 'UpdateRow', 'DeleteRow']) {
      script.set(api, [fail(status, code)]);
      const c = client();
      const err = await calls[api](c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TablestoreError);
      expect(err).toMatchObject({ code, httpStatus: status, retryable: false });
      expect(attempts.get(api)).toBe(1);
      expect(c.stats.retries).toBe(0);
    }
  });

  it('errors that a repeat cannot fix fail at once', async () => {
    script.set('GetRow', [fail(400, 'OTSParameterInvalid')]);
    await expect(calls.GetRow(client())).rejects.toMatchObject({ code: 'OTSParameterInvalid', httpStatus: 400, retryable: false });
    expect(attempts.get('GetRow')).toBe(1);
    // A hard quota limit (any other message) is not the retryable "too frequent" flavour.
    script.set('PutRow', [fail(403, 'OTSQuotaExhausted', 'Number of tables exceeded the quota.')]);
    await expect(calls.PutRow(client())).rejects.toMatchObject({ code: 'OTSQuotaExhausted' });
    expect(attempts.get('PutRow')).toBe(1);
  });

  it('persistent throttling: exactly 1 + maxRetries attempts (none of the SDK’s own), then the last error', async () => {
    forever.set('GetRow', fail(503, 'OTSServerBusy', 'Server is busy.'));
    const events: RetryEvent[] = [];
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } }, events);
    const err = (await calls.GetRow(c).catch((e: unknown) => e)) as TablestoreError;
    expect(err).toMatchObject({ name: 'TablestoreError', code: 'OTSServerBusy', httpStatus: 503, retryable: true });
    expect(attempts.get('GetRow')).toBe(4);
    expect(events.map((e) => e.retry)).toEqual([1, 2, 3]);
    // The error is the last attempt's (its request id is the latest the server issued).
    expect(err.requestId).toBe(`req-${n}`);
  });

  it('the overall deadline stops retrying with the throttling error itself, not a deadline error', async () => {
    forever.set('ListTable', fail(503, 'OTSServerBusy'));
    const c = client({ retry: { maxRetries: 10_000, baseDelayMs: 10, maxDelayMs: 40 } });
    const started = Date.now();
    await expect(c.listTables({ deadlineMs: 1500 })).rejects.toMatchObject({ code: 'OTSServerBusy', httpStatus: 503 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(attempts.get('ListTable')).toBeGreaterThan(1);
    expect(attempts.get('ListTable')).toBeLessThan(10_000);
  });
});

describe('WideTableClient deadline and cancellation', () => {
  it('a request still unanswered at the deadline fails with OTSClientDeadlineExceeded and its connection is closed', async () => {
    forever.set('GetRow', 'hang');
    const before = abandoned.get('GetRow') ?? 0;
    const started = Date.now();
    await expect(client().getRow({ table: 't', primaryKey: pk }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'OTSClientDeadlineExceeded',
      httpStatus: 0,
    });
    // Well before the SDK's own 30 s socket timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(attempts.get('GetRow')).toBe(1);
    await expect.poll(() => (abandoned.get('GetRow') ?? 0) - before, { timeout: 3000 }).toBe(1);
  });

  it('the client-wide deadline applies when the call gives none', async () => {
    forever.set('ListTable', 'hang');
    await expect(client({ deadlineMs: 200 }).listTables()).rejects.toMatchObject({ code: 'OTSClientDeadlineExceeded' });
  });

  it('an aborted signal cancels the in-flight request with OTSClientAborted; an already-aborted one sends nothing', async () => {
    forever.set('PutRow', 'hang');
    const before = abandoned.get('PutRow') ?? 0;
    const controller = new AbortController();
    const pending = client().putRow({ table: 't', primaryKey: pk, columns: { v: 'x' } }, { signal: controller.signal });
    await expect.poll(() => attempts.get('PutRow') ?? 0, { timeout: 3000 }).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'OTSClientAborted', httpStatus: 0 });
    await expect.poll(() => (abandoned.get('PutRow') ?? 0) - before, { timeout: 3000 }).toBe(1);

    await expect(client().listTables({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'OTSClientAborted' });
    expect(attempts.get('ListTable')).toBeUndefined();
  });

  it('an abort during the backoff ends the call without another attempt', async () => {
    forever.set('GetRow', fail(503, 'OTSServerBusy'));
    const controller = new AbortController();
    const c = client({ retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1, onRetry: () => controller.abort() });
    await expect(c.getRow({ table: 't', primaryKey: pk }, { signal: controller.signal, deadlineMs: 600_000 })).rejects.toMatchObject({
      code: 'OTSClientAborted',
    });
    expect(attempts.get('GetRow')).toBe(1);
  });
});

describe('WideTableClient network failures', () => {
  it('a connection dropped after the request was sent is retried for reads only', async () => {
    script.set('GetRow', ['drop']);
    await expect(calls.GetRow(client())).resolves.toBeDefined();
    expect(attempts.get('GetRow')).toBe(2);

    script.set('PutRow', ['drop']);
    await expect(calls.PutRow(client())).rejects.toMatchObject({ code: 'OTSClientNetworkError', httpStatus: 0, retryable: false });
    expect(attempts.get('PutRow')).toBe(1);
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

/** One read API of each client, through the same transport engine. */
interface Subject {
  readonly name: string;
  readonly api: string;
  read(options: Partial<WideTableClientConnection>, call?: { deadlineMs?: number; signal?: AbortSignal }): Promise<unknown>;
}

const base = (credentials: CredentialProvider, extra: Partial<WideTableClientConnection>): WideTableClientConnection => ({
  endpoint,
  instance: 'scripted',
  credentials,
  retry: { baseDelayMs: 1, maxDelayMs: 5 },
  ...extra,
});

const subjects: Subject[] = [
  {
    name: 'WideTableClient',
    api: 'ListTable',
    read: (o, call) => new WideTableClient(base(o.credentials ?? fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }), o)).listTables(call),
  },
  {
    name: 'TimeseriesClient',
    api: 'ListTimeseriesTable',
    read: (o, call) => new TimeseriesClient(base(o.credentials ?? fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }), o)).listTimeseriesTables(call),
  },
];

/** STS-style keys whose access key id changes on every forced refresh; counts the refreshes. */
function rotatingProvider(): { provider: CredentialProvider; forced: () => number } {
  let generation = 0;
  let forced = 0;
  const provider: CredentialProvider = async (o) => {
    if (o?.forceRefresh) {
      forced++;
      generation++;
    }
    return { accessKeyId: `STS.key${generation}`, accessKeySecret: `secret${generation}`, securityToken: `token${generation}`, source: 'test' };
  };
  return { provider, forced: () => forced };
}

describe.each(subjects)('one engine, same scenarios: $name', (subject) => {
  it('throttling is retried with backoff until it clears', async () => {
    script.set(subject.api, [fail(503, 'OTSServerBusy'), fail(503, 'OTSServerBusy')]);
    const events: RetryEvent[] = [];
    await expect(subject.read({ onRetry: (e) => events.push(e) })).resolves.toBeDefined();
    expect(attempts.get(subject.api)).toBe(3);
    expect(events.map((e) => [e.apiName, e.code, e.retry])).toEqual([
      [subject.api, 'OTSServerBusy', 1],
      [subject.api, 'OTSServerBusy', 2],
    ]);
    expect(events.every((e) => e.delayMs >= 1)).toBe(true);
  });

  it('a refused STS token: exactly one forced refresh, then success with the new keys', async () => {
    script.set(subject.api, [fail(403, 'OTSAuthFailed')]);
    const { provider, forced } = rotatingProvider();
    await expect(subject.read({ credentials: provider })).resolves.toBeDefined();
    expect(forced()).toBe(1);
    expect(attempts.get(subject.api)).toBe(2);
  });

  it('refused fresh keys: no second refresh, the refusal is the answer', async () => {
    forever.set(subject.api, fail(403, 'OTSNoPermissionAccess'));
    const { provider, forced } = rotatingProvider();
    await expect(subject.read({ credentials: provider })).rejects.toMatchObject({ code: 'OTSNoPermissionAccess', httpStatus: 403 });
    expect(forced()).toBe(1);
    expect(attempts.get(subject.api)).toBe(2);
  });

  it('the deadline after a service error reports that error, not a deadline', async () => {
    forever.set(subject.api, fail(503, 'OTSServerBusy'));
    await expect(subject.read({ retry: { maxRetries: 10_000, baseDelayMs: 10, maxDelayMs: 40 } }, { deadlineMs: 800 })).rejects.toMatchObject({
      code: 'OTSServerBusy',
      httpStatus: 503,
    });
    expect(attempts.get(subject.api)).toBeGreaterThan(1);
  });

  it('an abort during the backoff ends the call at once, without another attempt', async () => {
    forever.set(subject.api, fail(503, 'OTSServerBusy'));
    const controller = new AbortController();
    const pending = subject.read(
      { retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1, onRetry: () => controller.abort() },
      { signal: controller.signal, deadlineMs: 600_000 },
    );
    await expect(pending).rejects.toMatchObject({ code: 'OTSClientAborted' });
    expect(attempts.get(subject.api)).toBe(1);
  });
});
