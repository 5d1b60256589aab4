/**
 * The timer-triggered table audit through FC timer events against Tablestore Local: it lists and describes
 * every table, finds the planted stale series across all meta pages, logs one summary line plus one line per
 * stale series, stops before the deadline with a partial result, and answers bad payloads clearly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../lib/api/audit';
import { createAuditHandler } from '../../lib/api/audit-app';
import { readConfig } from '../../lib/api/config';
import { readersFor } from '../../lib/api/readers';
import { createLogger } from '../../lib/fc/logger';
import type { FcContext } from '../../lib/fc/types';
import { memoryStream } from './fc-event';
import { fromStatic } from '../../lib/credentials/index';
import { TimeseriesClient } from '../../lib/tablestore/timeseries/index';
import { startLaggingEndpoint } from '../../local/tablestore/server';
import { ADMIN, int64, putRows, startFixture, type Fixture } from './fixture';

let f: Fixture;
const T = 1_790_000_000_000_000n;
const STALE = Array.from({ length: 9 }, (_, i) => ({ table: i < 7 ? 'metrics' : 'metrics2', source: `old-${i}` }));
const FRESH = [
  { table: 'metrics', source: 'new-0' },
  { table: 'metrics2', source: 'new-1' },
];
const staleAfterMinutes = 60;
const TWO_DAYS_MS = 2 * 24 * 3600_000;

const timerEvent = (payload: unknown) =>
  Buffer.from(
    JSON.stringify({
      triggerTime: '2026-11-23T01:05:00Z',
      triggerName: 'every-5-minutes',
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    }),
  );

async function plant(client: TimeseriesClient, table: string, source: string) {
  await client.putTimeseriesData({
    tableName: table,
    rows: [{ key: { measurement: 'temp', dataSource: source, tags: { site: 'hz' } }, time: T, fields: { v: 1.0 } }],
  });
}

beforeAll(async () => {
  f = await startFixture('tsfcaudit');
  await f.wide.createTable({ table: 'orders', primaryKey: [{ name: 'id', type: 'INTEGER' }] });
  await f.wide.createTable({ table: 'users', primaryKey: [{ name: 'name', type: 'STRING' }] });
  await putRows(f.wide, 'orders', [{ pk: [{ id: int64(1) }], cols: [{ v: 1 }] }]);
  await f.ts.createTimeseriesTable({ tableName: 'metrics' });
  await f.ts.createTimeseriesTable({ tableName: 'metrics2' });
  // The stale series are written through a second server over the same storage whose clock runs two days
  // behind, so their meta update time really is two days old (no sleeping, no timing window).
  const past = await startLaggingEndpoint(f.local.server, TWO_DAYS_MS, { identities: f.iam });
  const pastClient = new TimeseriesClient({
    endpoint: past.endpoint,
    instance: 'tsfcaudit',
    region: 'cn-hangzhou',
    credentials: fromStatic({ accessKeyId: ADMIN.id, accessKeySecret: ADMIN.secret }),
  });
  try {
    for (const s of STALE) await plant(pastClient, s.table, s.source);
  } finally {
    pastClient.close();
    await past.stop();
  }
  for (const s of FRESH) await plant(f.ts, s.table, s.source);
});

afterAll(async () => {
  await f?.stop();
});

describe('table audit', () => {
  it('lists and describes every table and finds exactly the planted stale series, logging one line each', async () => {
    const logs = memoryStream();
    const handler = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: logs }),
    });
    const ctx = f.context('fc-reader', 60);
    const summary = (await handler(timerEvent({ staleAfterMinutes }), ctx)) as any;
    expect(summary.errors).toBe(0);
    expect(summary.partial).toBe(false);
    expect(summary.wideTables).toEqual([
      { table: 'orders', primaryKey: ['id:INTEGER'], timeToLive: -1, maxVersions: 1 },
      { table: 'users', primaryKey: ['name:STRING'], timeToLive: -1, maxVersions: 1 },
    ]);
    expect(summary.timeseriesTables).toEqual([
      { table: 'metrics', timeToLive: -1, staleSeries: 7, complete: true },
      { table: 'metrics2', timeToLive: -1, staleSeries: 2, complete: true },
    ]);
    expect(summary.staleSeriesTotal).toBe(STALE.length);
    const lines = logs.json();
    const staleLines = lines.filter((l) => l.event === 'stale-series');
    expect(staleLines.map((l) => `${String(l.table)}/${String(l.source)}`).sort()).toEqual(
      STALE.map((s) => `${s.table}/${s.source}`).sort(),
    );
    expect(
      staleLines.every(
        (l) => l.requestId === ctx.requestId && l.measurement === 'temp' && (l.tags as any).site === 'hz',
      ),
    ).toBe(true);
    expect(staleLines.every((l) => (l.minutesSinceUpdate as number) >= 2 * 24 * 60 - 1)).toBe(true);
    expect(lines.filter((l) => l.event === 'audit-summary')).toHaveLength(1);
  });

  it('follows every meta page (page size 2) and stops before the deadline with a partial result', async () => {
    const config = readConfig(f.env());
    const ctx = f.context();
    const readers = readersFor(config, ctx);
    const log = createLogger({ destination: memoryStream() }).logger;
    const full = await runAudit(
      { staleAfterMinutes },
      { config, readers, log, remainingMs: () => 60_000, pageSize: 2 },
    );
    expect(full.staleSeriesTotal).toBe(STALE.length);
    expect(full.timeseriesTables.every((t) => t.complete)).toBe(true);

    // The clock runs out after a few calls: the audit reports what it covered.
    let budget = 5;
    const partial = await runAudit(
      { staleAfterMinutes },
      { config, readers, log, remainingMs: () => (budget-- > 0 ? 60_000 : 100), reserveMs: 1000, pageSize: 2 },
    );
    expect(partial.partial).toBe(true);
    expect(partial.stoppedBecause).toBe('deadline');
    expect(partial.notAudited.length).toBeGreaterThan(0);
    expect(partial.staleSeriesTotal).toBeLessThan(STALE.length);
  });

  it('restricts to the tables named in the payload', async () => {
    const handler = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: memoryStream() }),
    });
    const s = (await handler(
      timerEvent({ staleAfterMinutes, wideTables: ['users'], timeseriesTables: ['metrics2'] }),
      f.context(),
    )) as any;
    expect(s.wideTables.map((t: any) => t.table)).toEqual(['users']);
    expect(s.timeseriesTables).toEqual([{ table: 'metrics2', timeToLive: -1, staleSeries: 2, complete: true }]);
  });

  it('answers bad payloads and bad configuration with one clear error result', async () => {
    const handler = createAuditHandler({
      readers: readersFor,
      env: f.env(),
      logger: createLogger({ destination: memoryStream() }),
    });
    const ctx: FcContext = f.context();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ staleAfterMinutes: -1 }, 'InvalidParameter', /staleAfterMinutes/],
      [{}, 'InvalidParameter', /staleAfterMinutes/],
      [{ staleAfterMinutes: 5, wideTables: ['bad name'] }, 'InvalidParameter', /wideTables/],
      ['{not json', 'InvalidPayload', /not valid JSON/],
    ];
    for (const [payload, code, pattern] of cases) {
      const r = (await handler(timerEvent(payload), ctx)) as any;
      expect(r.error, JSON.stringify(payload)).toMatchObject({ code, requestId: ctx.requestId });
      expect(r.error.message).toMatch(pattern);
    }
    const broken = createAuditHandler({
      readers: readersFor,
      env: { FC_REGION: 'cn-hangzhou' },
      logger: createLogger({ destination: memoryStream() }),
    });
    const r = (await broken(timerEvent({ staleAfterMinutes: 5 }), ctx)) as any;
    expect(r.error).toMatchObject({ code: 'InvalidConfiguration' });
  });

  it('the real entry point answers events/timer-table-audit.json with a summary', async () => {
    Object.assign(process.env, f.env());
    const { handler } = (await import('../../functions/table-audit/index')) as unknown as {
      handler: (e: Buffer, c: FcContext) => Promise<any>;
    };
    const summary = await handler(readFileSync(join(__dirname, '../../events/timer-table-audit.json')), f.context());
    expect(summary).toMatchObject({
      instance: 'tsfcaudit',
      staleAfterMinutes: 60,
      partial: false,
      staleSeriesTotal: STALE.length,
      errors: 0,
    });
    expect(summary.timeseriesTables.map((t: any) => t.table)).toEqual(['metrics', 'metrics2']);
  });
});
