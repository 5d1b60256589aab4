/**
 * The one retry engine (the transport's) as both clients see it, against the shared scripted Tablestore
 * (test/helpers/scripted-tablestore.ts) answering each API from a queue: an OTS error, a success body, a
 * held request or a dropped connection. The shared scenarios run table-driven against WideTableClient and TimeseriesClient; the
 * wide-specific ones prove the retry classes per API (throttling retried for every API, ambiguous failures
 * only for reads), the retry limit, the overall deadline and cancellation. No timing assertions beyond
 * generous bounds; attempt counts are exact.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromStatic, type CredentialProvider } from '../../lib/credentials';
import { encodeTimeseriesMessage } from '../../lib/tablestore/protocol/proto/timeseries';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { TablestoreError } from '../../lib/tablestore/protocol/errors';
import { encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import type { RetryEvent } from '../../lib/tablestore/transport/index';
import { WideTableClient, type WideTableClientConnection } from '../../lib/tablestore/wide';
import {
  drop,
  hang,
  ok,
  otsError,
  startScriptedTablestore,
  type Reply,
  type ScriptedTablestore,
} from '../helpers/scripted-tablestore';

const consumed = (read: number, write: number) => ({ capacity_unit: { read, write } });
const SUCCESS: Record<string, () => Uint8Array> = {
  ListTable: () => encodeMessage('ListTableResponse', { table_names: ['t'] }),
  GetRow: () => encodeMessage('GetRowResponse', { consumed: consumed(1, 0), row: new Uint8Array() }),
  PutRow: () => encodeMessage('PutRowResponse', { consumed: consumed(0, 1) }),
  UpdateRow: () => encodeMessage('UpdateRowResponse', { consumed: consumed(0, 1) }),
  DeleteRow: () => encodeMessage('DeleteRowResponse', { consumed: consumed(0, 1) }),
  ListTimeseriesTable: () => encodeTimeseriesMessage('ListTimeseriesTableResponse', { table_metas: [] }),
};

let server: ScriptedTablestore;
let endpoint: string;

beforeAll(async () => {
  server = await startScriptedTablestore();
  endpoint = server.endpoint;
});

afterAll(() => server.stop());

beforeEach(() => {
  server.reset();
  // Anything not scripted succeeds with the API's own response body.
  server.fallback = ok((req) => SUCCESS[req.api]());
});

/** Replies one per request for `api`, then falls through to its standing reply or success. */
const script = (api: string, replies: Reply[]) => server.queue.set(api, replies);
/** A reply for every request to `api` once its queue is empty. */
const forever = (api: string, reply: Reply) => server.standing.set(api, reply);
const attempts = (api: string) => server.attempts.get(api);
const abandoned = (api: string) => server.abandoned.get(api) ?? 0;

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

const fail = (status: number, code: string, message?: string): Reply => otsError(status, code, message);

describe('WideTableClient retry classes', () => {
  it.each([
    [503, 'OTSServerBusy', undefined],
    [403, 'OTSNotEnoughCapacityUnit', undefined],
    [409, 'OTSRowOperationConflict', undefined],
    [503, 'OTSPartitionUnavailable', undefined],
    [403, 'OTSQuotaExhausted', 'Too frequent table operations.'],
  ])('%i %s is retried for every API, writes included', async (status, code, message) => {
    for (const api of ['GetRow', 'PutRow', 'UpdateRow', 'DeleteRow']) {
      script(api, [fail(status, code, message), fail(status, code, message)]);
      const events: RetryEvent[] = [];
      const c = client({}, events);
      await expect(calls[api](c)).resolves.toBeDefined();
      expect(attempts(api)).toBe(3);
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
      script(api, [fail(status, code)]);
      await expect(calls[api](client())).resolves.toBeDefined();
      expect(attempts(api)).toBe(2);
    }
    for (const api of ['PutRow', 'UpdateRow', 'DeleteRow']) {
      script(api, [fail(status, code)]);
      const c = client();
      const err = await calls[api](c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TablestoreError);
      expect(err).toMatchObject({ code, httpStatus: status, retryable: false });
      expect(attempts(api)).toBe(1);
      expect(c.stats.retries).toBe(0);
    }
  });

  it('errors that a repeat cannot fix fail at once', async () => {
    script('GetRow', [fail(400, 'OTSParameterInvalid')]);
    await expect(calls.GetRow(client())).rejects.toMatchObject({
      code: 'OTSParameterInvalid',
      httpStatus: 400,
      retryable: false,
    });
    expect(attempts('GetRow')).toBe(1);
    // A hard quota limit (any other message) is not the retryable "too frequent" flavour.
    script('PutRow', [fail(403, 'OTSQuotaExhausted', 'Number of tables exceeded the quota.')]);
    await expect(calls.PutRow(client())).rejects.toMatchObject({ code: 'OTSQuotaExhausted' });
    expect(attempts('PutRow')).toBe(1);
  });

  it('persistent throttling: exactly 1 + maxRetries attempts (none of the SDK’s own), then the last error', async () => {
    forever('GetRow', fail(503, 'OTSServerBusy', 'Server is busy.'));
    const events: RetryEvent[] = [];
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } }, events);
    const err = (await calls.GetRow(c).catch((e: unknown) => e)) as TablestoreError;
    expect(err).toMatchObject({ name: 'TablestoreError', code: 'OTSServerBusy', httpStatus: 503, retryable: true });
    expect(attempts('GetRow')).toBe(4);
    expect(events.map((e) => e.retry)).toEqual([1, 2, 3]);
    // The error is the last attempt's (its request id is the latest the server issued).
    expect(err.requestId).toBe(`req-${server.replies}`);
  });

  it('the overall deadline stops retrying with the throttling error itself, not a deadline error', async () => {
    forever('ListTable', fail(503, 'OTSServerBusy'));
    const c = client({ retry: { maxRetries: 10_000, baseDelayMs: 10, maxDelayMs: 40 } });
    const started = Date.now();
    await expect(c.listTables({ deadlineMs: 1500 })).rejects.toMatchObject({ code: 'OTSServerBusy', httpStatus: 503 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(attempts('ListTable')).toBeGreaterThan(1);
    expect(attempts('ListTable')).toBeLessThan(10_000);
  });
});

describe('WideTableClient deadline and cancellation', () => {
  it('a request still unanswered at the deadline fails with OTSClientDeadlineExceeded and its connection is closed', async () => {
    forever('GetRow', hang);
    const before = abandoned('GetRow');
    const started = Date.now();
    await expect(client().getRow({ table: 't', primaryKey: pk }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'OTSClientDeadlineExceeded',
      httpStatus: 0,
    });
    // Well before the SDK's own 30 s socket timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(attempts('GetRow')).toBe(1);
    await expect.poll(() => abandoned('GetRow') - before, { timeout: 3000 }).toBe(1);
  });

  it('the client-wide deadline applies when the call gives none', async () => {
    forever('ListTable', hang);
    await expect(client({ deadlineMs: 200 }).listTables()).rejects.toMatchObject({ code: 'OTSClientDeadlineExceeded' });
  });

  it('an aborted signal cancels the in-flight request with OTSClientAborted; an already-aborted one sends nothing', async () => {
    forever('PutRow', hang);
    const before = abandoned('PutRow');
    const controller = new AbortController();
    const pending = client().putRow({ table: 't', primaryKey: pk, columns: { v: 'x' } }, { signal: controller.signal });
    await expect.poll(() => attempts('PutRow') ?? 0, { timeout: 3000 }).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'OTSClientAborted', httpStatus: 0 });
    await expect.poll(() => abandoned('PutRow') - before, { timeout: 3000 }).toBe(1);

    await expect(client().listTables({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'OTSClientAborted',
    });
    expect(attempts('ListTable')).toBeUndefined();
  });

  it('an abort during the backoff ends the call without another attempt', async () => {
    forever('GetRow', fail(503, 'OTSServerBusy'));
    const controller = new AbortController();
    const c = client({
      retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 1,
      onRetry: () => controller.abort(),
    });
    await expect(
      c.getRow({ table: 't', primaryKey: pk }, { signal: controller.signal, deadlineMs: 600_000 }),
    ).rejects.toMatchObject({
      code: 'OTSClientAborted',
    });
    expect(attempts('GetRow')).toBe(1);
  });
});

describe('WideTableClient network failures', () => {
  it('a connection dropped after the request was sent is retried for reads only', async () => {
    script('GetRow', [drop]);
    await expect(calls.GetRow(client())).resolves.toBeDefined();
    expect(attempts('GetRow')).toBe(2);

    script('PutRow', [drop]);
    await expect(calls.PutRow(client())).rejects.toMatchObject({
      code: 'OTSClientNetworkError',
      httpStatus: 0,
      retryable: false,
    });
    expect(attempts('PutRow')).toBe(1);
  });

  it('a refused connection (request never sent) is retried for writes too', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const events: RetryEvent[] = [];
    const c = client(
      { endpoint: `http://127.0.0.1:${port}`, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } },
      events,
    );
    await expect(calls.PutRow(c)).rejects.toMatchObject({ code: 'OTSClientNetworkError', retryable: true });
    expect(events.map((e) => e.code)).toEqual(['OTSClientNetworkError', 'OTSClientNetworkError']);
  });
});

/** One read API of each client, through the same transport engine. */
interface Subject {
  readonly name: string;
  readonly api: string;
  read(
    options: Partial<WideTableClientConnection>,
    call?: { deadlineMs?: number; signal?: AbortSignal },
  ): Promise<unknown>;
}

const base = (
  credentials: CredentialProvider,
  extra: Partial<WideTableClientConnection>,
): WideTableClientConnection => ({
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
    read: (o, call) =>
      new WideTableClient(
        base(o.credentials ?? fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }), o),
      ).listTables(call),
  },
  {
    name: 'TimeseriesClient',
    api: 'ListTimeseriesTable',
    read: (o, call) =>
      new TimeseriesClient(
        base(o.credentials ?? fromStatic({ accessKeyId: 'AKID0000001', accessKeySecret: 'secret' }), o),
      ).listTimeseriesTables(call),
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
    return {
      accessKeyId: `STS.key${generation}`,
      accessKeySecret: `secret${generation}`,
      securityToken: `token${generation}`,
      source: 'test',
    };
  };
  return { provider, forced: () => forced };
}

describe.each(subjects)('one engine, same scenarios: $name', (subject) => {
  it('throttling is retried with backoff until it clears', async () => {
    script(subject.api, [fail(503, 'OTSServerBusy'), fail(503, 'OTSServerBusy')]);
    const events: RetryEvent[] = [];
    await expect(subject.read({ onRetry: (e) => events.push(e) })).resolves.toBeDefined();
    expect(attempts(subject.api)).toBe(3);
    expect(events.map((e) => [e.apiName, e.code, e.retry])).toEqual([
      [subject.api, 'OTSServerBusy', 1],
      [subject.api, 'OTSServerBusy', 2],
    ]);
    expect(events.every((e) => e.delayMs >= 1)).toBe(true);
  });

  it('a refused STS token: exactly one forced refresh, then success with the new keys', async () => {
    script(subject.api, [fail(403, 'OTSAuthFailed')]);
    const { provider, forced } = rotatingProvider();
    await expect(subject.read({ credentials: provider })).resolves.toBeDefined();
    expect(forced()).toBe(1);
    expect(attempts(subject.api)).toBe(2);
  });

  it('refused fresh keys: no second refresh, the refusal is the answer', async () => {
    forever(subject.api, fail(403, 'OTSNoPermissionAccess'));
    const { provider, forced } = rotatingProvider();
    await expect(subject.read({ credentials: provider })).rejects.toMatchObject({
      code: 'OTSNoPermissionAccess',
      httpStatus: 403,
    });
    expect(forced()).toBe(1);
    expect(attempts(subject.api)).toBe(2);
  });

  it('the deadline after a service error reports that error, not a deadline', async () => {
    forever(subject.api, fail(503, 'OTSServerBusy'));
    await expect(
      subject.read({ retry: { maxRetries: 10_000, baseDelayMs: 10, maxDelayMs: 40 } }, { deadlineMs: 800 }),
    ).rejects.toMatchObject({
      code: 'OTSServerBusy',
      httpStatus: 503,
    });
    expect(attempts(subject.api)).toBeGreaterThan(1);
  });

  it('an abort during the backoff ends the call at once, without another attempt', async () => {
    forever(subject.api, fail(503, 'OTSServerBusy'));
    const controller = new AbortController();
    const pending = subject.read(
      {
        retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
        random: () => 1,
        onRetry: () => controller.abort(),
      },
      { signal: controller.signal, deadlineMs: 600_000 },
    );
    await expect(pending).rejects.toMatchObject({ code: 'OTSClientAborted' });
    expect(attempts(subject.api)).toBe(1);
  });
});
