import middy, { type MiddlewareObj } from '@middy/core';
import validator from '@middy/validator';
import { withDeadline } from '../fc/deadline';
import { toApiError } from './error-mapping';
import { createLogger, fcLogger, type LoggedContext, type ScrubbingLogger } from '../fc/logger';
import { fcTimerEvent, type TimerRequest } from '../fc/timer-event';
import type { FcContext } from '../fc/types';
import { AUDIT_PAYLOAD_SCHEMA, runAudit, type AuditPayload, type AuditSummary } from './audit';
import { readConfig, type ApiConfig } from './config';
import { eventValidator } from './validators';
import type { TablestoreReaders } from './ports';

export interface AuditAppOptions {
  readers(config: ApiConfig, context: FcContext, signal?: AbortSignal): Promise<TablestoreReaders> | TablestoreReaders;
  readonly logger?: ScrubbingLogger;
  readonly env?: NodeJS.ProcessEnv;
  /** Stop auditing when fewer ms than this remain (default: 10 % of the time, at least 1.5 s). */
  readonly reserveMs?: number;
}

export interface AuditFailure {
  readonly error: { readonly code: string; readonly message: string; readonly requestId: string };
}

export type FcTimerHandler = (
  event: Buffer | Uint8Array | string,
  context: FcContext,
) => Promise<AuditSummary | AuditFailure>;

/** Time left for writing the summary after in-flight calls are cancelled. */
const CANCEL_MARGIN_MS = 500;

type TimerMiddleware = MiddlewareObj<TimerRequest<AuditPayload>, AuditSummary | AuditFailure, Error, LoggedContext>;
const as = (m: object): TimerMiddleware => m;

/**
 * A timer invocation that fails (bad payload, bad configuration) returns `{error: {...}}` and logs it rather
 * than throwing, so a misconfigured schedule produces one clear log line per run and no retry storm.
 */
function timerErrors(): TimerMiddleware {
  return {
    onError: (request) => {
      const e = toApiError(request.error);
      request.error = e;
      request.response = { error: { code: e.code, message: e.message, requestId: request.context.requestId } };
    },
  };
}

/** The timer event the audit validates (its payload). */
export const AUDIT_EVENT_SCHEMA: Record<string, unknown> = {
  type: 'object',
  required: ['payload'],
  properties: { payload: AUDIT_PAYLOAD_SCHEMA },
};

export function createAuditHandler(options: AuditAppOptions): FcTimerHandler {
  const log = options.logger ?? createLogger();
  const chain = middy<TimerRequest<AuditPayload>, AuditSummary | AuditFailure, Error, LoggedContext>({
    timeoutEarlyInMillis: 0,
  })
    .use(as(fcLogger(log, { trigger: 'timer' })))
    .use(as(fcTimerEvent()))
    .use(as(validator({ eventSchema: eventValidator('auditEvent', AUDIT_EVENT_SCHEMA) })))
    .use(timerErrors())
    .handler(async (event, context) => {
      const config = readConfig(options.env ?? process.env);
      const remaining = context.getRemainingTimeInMillis ?? (() => Number.POSITIVE_INFINITY);
      // A call still running just before the function deadline is cancelled, so the summary is returned
      // (as partial) instead of FC killing the invocation.
      const controller = new AbortController();
      const budget = remaining();
      const timer = Number.isFinite(budget)
        ? setTimeout(() => controller.abort(), Math.max(0, budget - CANCEL_MARGIN_MS))
        : undefined;
      try {
        const readers = await options.readers(config, context, controller.signal);
        return await runAudit(event.payload, {
          config,
          readers,
          log: context.log ?? log.logger,
          remainingMs: remaining,
          ...(options.reserveMs === undefined ? {} : { reserveMs: options.reserveMs }),
        });
      } finally {
        if (timer) clearTimeout(timer);
      }
    });
  return (event, context) => chain(event as unknown as TimerRequest<AuditPayload>, withDeadline(context));
}
