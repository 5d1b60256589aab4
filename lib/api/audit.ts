/**
 * The scheduled table audit: lists and describes wide and time series tables and finds series whose meta
 * was not updated within `staleAfterMinutes` (QueryTimeseriesMeta on update time, every page). It stops
 * before the function deadline and then reports what it covered as a partial result.
 */
import type { Logger } from '../fc/logger';
import { toApiError } from './error-mapping';
import type { ApiConfig } from './config';
import type { TablestoreReaders, TimeseriesTableInfo } from './ports';
import { TABLE_NAME } from './schemas';
import { runSavedQuery, SAVED_QUERY_SCHEMA, type SavedQuery, type SavedQueryResult } from './saved-queries';

export interface AuditPayload {
  /** Minutes without a meta update after which a series counts as stale (fractions allowed). */
  readonly staleAfterMinutes: number;
  /** Restrict to these wide tables (default: all listed). */
  readonly wideTables?: readonly string[];
  /** Restrict to these time series tables (default: all listed). */
  readonly timeseriesTables?: readonly string[];
  /** Saved queries run after the tables (saved-queries.ts); their results are logged as metrics. */
  readonly queries?: readonly SavedQuery[];
}

export const AUDIT_PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['staleAfterMinutes'],
  properties: {
    staleAfterMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 5256000 },
    wideTables: { type: 'array', items: TABLE_NAME, maxItems: 64, uniqueItems: true },
    timeseriesTables: { type: 'array', items: TABLE_NAME, maxItems: 64, uniqueItems: true },
    queries: { type: 'array', items: SAVED_QUERY_SCHEMA, maxItems: 32 },
  },
  additionalProperties: false,
} as const;

export interface AuditError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface WideTableAudit {
  readonly table: string;
  readonly primaryKey?: string[];
  readonly timeToLive?: number;
  readonly maxVersions?: number;
  readonly error?: AuditError;
}

export interface TimeseriesTableAudit {
  readonly table: string;
  readonly timeToLive?: number;
  /** Series inspected (all series when complete). */
  readonly staleSeries: number;
  /** False when the deadline stopped paging through this table. */
  readonly complete: boolean;
  readonly error?: AuditError;
}

export interface StaleSeries {
  readonly table: string;
  readonly measurement: string;
  readonly source: string;
  readonly tags: Record<string, string>;
  /** µs */
  readonly updateTime?: number;
  readonly minutesSinceUpdate?: number;
}

export interface AuditSummary {
  readonly instance: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly staleAfterMinutes: number;
  /** Series updated before this time (µs) are stale. */
  readonly staleBefore: number;
  readonly partial: boolean;
  readonly stoppedBecause?: 'deadline';
  readonly wideTables: WideTableAudit[];
  readonly timeseriesTables: TimeseriesTableAudit[];
  readonly staleSeriesTotal: number;
  readonly errors: number;
  /** Tables not reached before the deadline. */
  readonly notAudited: string[];
  /** Saved queries, when the payload names some (one entry each, in payload order). */
  readonly queries?: SavedQueryResult[];
}

export interface AuditOptions {
  readonly config: ApiConfig;
  readonly readers: TablestoreReaders;
  readonly log: Logger;
  /** Milliseconds left before the function deadline. */
  readonly remainingMs: () => number;
  /** Stop when fewer than this many ms remain (default: 1500 ms or 10 % of the remaining time at start). */
  readonly reserveMs?: number;
  readonly now?: () => number;
  readonly pageSize?: number;
}

const errorOf = (error: unknown, action: string, table?: string): AuditError => {
  const e = toApiError(error, { action, ...(table === undefined ? {} : { table }) });
  return { status: e.status, code: e.code, message: e.message };
};

/** A call cut off by the deadline (cancelled or timed out) ends the audit as partial. */
const isDeadline = (e: AuditError): boolean => e.status === 504;

export async function runAudit(payload: AuditPayload, options: AuditOptions): Promise<AuditSummary> {
  const { config, readers, log } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const reserve = options.reserveMs ?? Math.max(1500, Math.round(options.remainingMs() * 0.1));
  const staleBefore = Math.round((started - payload.staleAfterMinutes * 60_000) * 1000);
  const visible = (t: string) => config.tables === undefined || config.tables.has(t);
  let stopped = false;
  const timeLeft = () => {
    if (!stopped && options.remainingMs() < reserve) stopped = true;
    return !stopped;
  };

  const wideTables: WideTableAudit[] = [];
  const timeseriesTables: TimeseriesTableAudit[] = [];
  let staleSeriesTotal = 0;
  let errors = 0;
  const notAudited: string[] = [];

  // Wide tables.
  let wideNames: string[] | undefined = payload.wideTables ? [...payload.wideTables] : undefined;
  if (!wideNames && timeLeft()) {
    try {
      wideNames = (await readers.wide.listTables()).filter((n) => !n.includes('#'));
    } catch (error) {
      errors += 1;
      wideTables.push({ table: '*', error: errorOf(error, 'ots:ListTable') });
    }
  }
  for (const table of (wideNames ?? []).filter(visible).sort()) {
    if (!timeLeft()) {
      notAudited.push(table);
      continue;
    }
    try {
      const info = await readers.wide.describeTable(table);
      wideTables.push({
        table,
        primaryKey: info.primaryKey.map((c) => `${c.name}:${c.type}`),
        ...(info.options.timeToLive === undefined ? {} : { timeToLive: info.options.timeToLive }),
        ...(info.options.maxVersions === undefined ? {} : { maxVersions: info.options.maxVersions }),
      });
    } catch (error) {
      errors += 1;
      const e = errorOf(error, 'ots:DescribeTable', table);
      if (isDeadline(e)) stopped = true;
      wideTables.push({ table, error: e });
    }
  }

  // Time series tables.
  let tsNames: string[] | undefined = payload.timeseriesTables ? [...payload.timeseriesTables] : undefined;
  if (!tsNames && timeLeft()) {
    try {
      tsNames = (await readers.timeseries.listTables()).map((t) => t.name);
    } catch (error) {
      errors += 1;
      timeseriesTables.push({
        table: '*',
        staleSeries: 0,
        complete: false,
        error: errorOf(error, 'ots:ListTimeseriesTable'),
      });
    }
  }
  for (const table of (tsNames ?? []).filter(visible).sort()) {
    if (!timeLeft()) {
      notAudited.push(table);
      continue;
    }
    let info: TimeseriesTableInfo;
    try {
      info = await readers.timeseries.describeTable(table);
    } catch (error) {
      errors += 1;
      const e = errorOf(error, 'ots:DescribeTimeseriesTable', table);
      if (isDeadline(e)) stopped = true;
      timeseriesTables.push({ table, staleSeries: 0, complete: false, error: e });
      continue;
    }
    let stale = 0;
    let complete = false;
    let token: Uint8Array | undefined;
    let failure: AuditError | undefined;
    try {
      while (timeLeft()) {
        const page = await readers.timeseries.queryMeta({
          table,
          updatedBefore: staleBefore,
          limit: options.pageSize ?? 1000,
          ...(token === undefined ? {} : { token }),
        });
        for (const s of page.series) {
          // The query already filters on update time; re-check in case a server ignores the condition.
          if (s.updateTime !== undefined && s.updateTime >= staleBefore) continue;
          stale += 1;
          const line: StaleSeries = {
            table,
            measurement: s.key.measurement,
            source: s.key.source,
            tags: { ...s.key.tags },
            ...(s.updateTime === undefined
              ? {}
              : {
                  updateTime: s.updateTime,
                  minutesSinceUpdate: Math.floor((started * 1000 - s.updateTime) / 60_000_000),
                }),
          };
          log.info({ event: 'stale-series', ...line }, 'stale series');
        }
        if (!page.next || page.next.length === 0) {
          complete = true;
          break;
        }
        token = page.next;
      }
    } catch (error) {
      errors += 1;
      failure = errorOf(error, 'ots:QueryTimeseriesMeta', table);
      if (isDeadline(failure)) stopped = true;
    }
    staleSeriesTotal += stale;
    timeseriesTables.push({
      table,
      ...(info.timeToLive === undefined ? {} : { timeToLive: info.timeToLive }),
      staleSeries: stale,
      complete,
      ...(failure ? { error: failure } : {}),
    });
  }

  // Saved queries: same reserve, same deadline rule; one not started is reported with 0 pages.
  let queries: SavedQueryResult[] | undefined;
  if (payload.queries) {
    queries = [];
    for (const q of payload.queries) {
      if (!timeLeft()) {
        queries.push({ name: q.name, route: q.route, pages: 0, complete: false });
        continue;
      }
      const { result, deadline } = await runSavedQuery(q, { config, readers, log, timeLeft, now });
      if (result.error) errors += 1;
      if (deadline) stopped = true;
      queries.push(result);
    }
  }

  const summary: AuditSummary = {
    instance: config.instance,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(now()).toISOString(),
    staleAfterMinutes: payload.staleAfterMinutes,
    staleBefore,
    partial: stopped,
    ...(stopped ? { stoppedBecause: 'deadline' as const } : {}),
    wideTables,
    timeseriesTables,
    staleSeriesTotal,
    errors,
    notAudited,
    ...(queries ? { queries } : {}),
  };
  log.info({ event: 'audit-summary', ...summary }, 'table audit summary');
  return summary;
}
