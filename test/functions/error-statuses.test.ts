/**
 * The error statuses that need a misbehaving Tablestore: 503 + Retry-After when throttling outlasts the
 * client's retries, 504 when the function deadline arrives first, and 403 when the role is refused. The
 * functions talk to Tablestore Local through a fault-injecting proxy (real HTTP on 127.0.0.1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditHandler } from '../../lib/api/audit-app';
import { createHttpHandler } from '../../lib/api/http-app';
import { readersFor } from '../../lib/api/readers';
import { clearTablestoreClients } from '../../lib/tablestore/clients';
import { createLogger } from '../../lib/fc/logger';
import { httpEvent, memoryStream } from './fc-event';
import { hang, otsError, startScriptedTablestore, type ScriptedTablestore } from '../helpers/scripted-tablestore';
import { startFixture, type Fixture } from './fixture';

let f: Fixture;
let proxy: ScriptedTablestore;
const logs = memoryStream();
let handler: ReturnType<typeof createHttpHandler>;

beforeAll(async () => {
  f = await startFixture('tsfcerr');
  await f.ts.createTimeseriesTable({ tableName: 'metrics' });
  await f.wide.createTable({ table: 'items', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  proxy = await startScriptedTablestore({ upstream: f.local.endpoint });
  handler = createHttpHandler({
    readers: readersFor,
    env: f.env({ TABLESTORE_ENDPOINT: proxy.endpoint }),
    logger: createLogger({ destination: logs }),
  });
});

afterAll(async () => {
  clearTablestoreClients();
  await proxy?.stop();
  await f?.stop();
});

const call = async (path: string, timeoutSeconds = 30, query: Record<string, string> = {}) => {
  const res = await handler(httpEvent('GET', path, query), f.context('fc-reader', timeoutSeconds));
  return {
    status: res.statusCode,
    headers: res.headers ?? {},
    body: JSON.parse(res.body) as { error: { code: string; message: string; requestId: string } },
  };
};

describe('error statuses', () => {
  it('works through the proxy when nothing is injected', async () => {
    expect((await call('/timeseries')).status).toBe(200);
    expect((await call('/tables')).status).toBe(200);
  });

  it('503 with Retry-After when Tablestore keeps answering OTSServerBusy after the client retried', async () => {
    proxy.standing.set('ListTimeseriesTable', otsError(503, 'OTSServerBusy', 'Server is busy.'));
    try {
      const before = proxy.attempts.get('ListTimeseriesTable') ?? 0;
      const r = await call('/timeseries');
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(r.body.error.code).toBe('Throttled');
      expect(r.body.error.message).toContain('OTSServerBusy');
      // The client retried before giving up.
      expect((proxy.attempts.get('ListTimeseriesTable') ?? 0) - before).toBeGreaterThan(1);
    } finally {
      proxy.standing.delete('ListTimeseriesTable');
    }
  });

  it('wide-table routes: 503 with Retry-After within the function timeout when throttling outlasts the retries', async () => {
    // The official SDK alone would retry OTSServerBusy 20 times over ~38 s (504 at best); our client retries
    // with the shared policy inside the invocation's budget and lets the throttling error surface.
    proxy.standing.set('ListTable', otsError(503, 'OTSServerBusy', 'Server is busy.'));
    proxy.standing.set('GetRange', otsError(503, 'OTSNotEnoughCapacityUnit', 'Remaining CU is not enough.'));
    try {
      const before = proxy.attempts.get('ListTable') ?? 0;
      const started = Date.now();
      // 3 s function: the HTTP chain would answer 504 at 2.7 s, so a 503 proves the retries stopped in time.
      const r = await call('/tables', 3);
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(r.body.error.code).toBe('Throttled');
      expect(r.body.error.message).toContain('OTSServerBusy');
      const attempts = (proxy.attempts.get('ListTable') ?? 0) - before;
      // Retried (more than one attempt), by us alone (at most 1 + our 10 retries, none of the SDK's own).
      expect(attempts).toBeGreaterThan(1);
      expect(attempts).toBeLessThanOrEqual(11);
      expect(Date.now() - started).toBeLessThan(15_000);

      const rows = await call('/tables/items/rows', 3);
      expect(rows.status).toBe(503);
      expect(rows.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(rows.body.error.message).toContain('OTSNotEnoughCapacityUnit');
    } finally {
      proxy.standing.delete('ListTable');
      proxy.standing.delete('GetRange');
    }
  });

  it('wide-table routes: 504 at the deadline, and the hung request is abandoned', async () => {
    proxy.standing.set('GetRange', hang);
    try {
      const before = proxy.abandoned.get('GetRange') ?? 0;
      const started = Date.now();
      const r = await call('/tables/items/rows', 2);
      expect(r.status).toBe(504);
      expect(r.body.error.code).toBe('DeadlineExceeded');
      // At the deadline, not after the SDK's 30 s socket timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
      // The call was cancelled: the client closed the held connection instead of leaving it hanging.
      await expect.poll(() => (proxy.abandoned.get('GetRange') ?? 0) - before, { timeout: 3000 }).toBeGreaterThan(0);
    } finally {
      proxy.standing.delete('GetRange');
    }
    // The route works again right after (the abandoned socket did not poison the pool).
    expect((await call('/tables/items/rows')).status).toBe(200);
  });

  it('504 when the function deadline arrives before Tablestore answers', async () => {
    proxy.standing.set('DescribeTimeseriesTable', hang);
    proxy.standing.set('DescribeTable', hang);
    try {
      const started = Date.now();
      const ts = await call('/timeseries/metrics', 2);
      expect(ts.status, JSON.stringify(ts.body)).toBe(504);
      expect(ts.body.error.code).toBe('DeadlineExceeded');
      // Answered at the deadline (2 s − 300 ms), not after the hung call's own 10 s timeout.
      expect(Date.now() - started).toBeLessThan(6000);
      // The invocation's abort signal cancelled the hung time series request (no socket left dangling).
      await expect
        .poll(() => proxy.abandoned.get('DescribeTimeseriesTable') ?? 0, { timeout: 3000 })
        .toBeGreaterThan(0);
      const wide = await call('/tables/items/rows', 2);
      expect(wide.status, JSON.stringify(wide.body)).toBe(504);
      await expect.poll(() => proxy.abandoned.get('DescribeTable') ?? 0, { timeout: 3000 }).toBeGreaterThan(0);
    } finally {
      proxy.standing.delete('DescribeTimeseriesTable');
      proxy.standing.delete('DescribeTable');
    }
  });

  it('403 when Tablestore denies the role, naming the action, never echoing upstream bytes', async () => {
    proxy.standing.set(
      'GetRange',
      otsError(
        403,
        'OTSNoPermissionAccess',
        'You have no permission to access the requested resource, please contact the resource owner',
      ),
    );
    try {
      const r = await call('/tables/items/rows');
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('AccessDenied');
      expect(r.body.error.message).toContain('ots:GetRange');
      expect(r.body.error.message).toContain("'items'");
    } finally {
      proxy.standing.delete('GetRange');
    }
  });

  it('never puts a stack trace or a credential in a response, and logs with the request id', async () => {
    const ctx = f.context();
    // A code the client does not retry, so the failure surfaces at once as 502.
    proxy.standing.set('ListTimeseriesTable', otsError(400, 'OTSOutOfRowSizeLimit', 'boom'));
    try {
      const res = await handler(httpEvent('GET', '/timeseries'), ctx);
      expect(res.statusCode).toBe(502);
      expect(JSON.parse(res.body).error.code).toBe('UpstreamError');
      expect(res.body).not.toMatch(/\bat .*\.ts:\d+/);
      for (const secret of [ctx.credentials.accessKeySecret, ctx.credentials.securityToken]) {
        expect(res.body).not.toContain(secret);
        expect(logs.lines.join('\n')).not.toContain(secret);
      }
      expect(logs.json().some((l) => l.requestId === ctx.requestId)).toBe(true);
    } finally {
      proxy.standing.delete('ListTimeseriesTable');
    }
  });

  it('the audit cancels a call still running at the deadline and returns a partial summary', async () => {
    const audit = createAuditHandler({
      readers: readersFor,
      env: f.env({ TABLESTORE_ENDPOINT: proxy.endpoint }),
      logger: createLogger({ destination: logs }),
    });
    proxy.standing.set('QueryTimeseriesMeta', hang);
    try {
      const started = Date.now();
      const event = Buffer.from(
        JSON.stringify({ triggerTime: '2026-11-23T00:00:00Z', triggerName: 't', payload: '{"staleAfterMinutes":5}' }),
      );
      const summary = (await audit(event, f.context('fc-reader', 3))) as any;
      expect(Date.now() - started).toBeLessThan(3000);
      expect(summary).toMatchObject({ partial: true, stoppedBecause: 'deadline' });
      expect(summary.wideTables).toEqual([
        { table: 'items', primaryKey: ['id:INTEGER'], timeToLive: -1, maxVersions: 1 },
      ]);
      expect(summary.timeseriesTables).toEqual([
        {
          table: 'metrics',
          timeToLive: -1,
          staleSeries: 0,
          complete: false,
          error: expect.objectContaining({ status: 504, code: 'DeadlineExceeded' }),
        },
      ]);
      await expect.poll(() => proxy.abandoned.get('QueryTimeseriesMeta') ?? 0, { timeout: 2000 }).toBeGreaterThan(0);
    } finally {
      proxy.standing.delete('QueryTimeseriesMeta');
    }
  });
});
