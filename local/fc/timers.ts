/**
 * Timer trigger schedules as FC reads them (docs/protocol.md §12.4): six-field cron
 * `second minute hour day-of-month month day-of-week` in UTC unless prefixed `CRON_TZ=<IANA zone> `, or the
 * fixed rate `@every <duration>` (Go duration syntax: `90s`, `5m`, `1h30m`).
 */
import { Cron } from 'croner';

export type Schedule =
  | { readonly kind: 'every'; readonly intervalMs: number }
  | { readonly kind: 'cron'; readonly pattern: string; readonly timezone: string };

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

export function parseDuration(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length || total <= 0)
    throw new ScheduleError(`invalid duration "${text}" (examples: 30s, 5m, 1h30m)`);
  return total;
}

export function parseSchedule(expression: string): Schedule {
  let expr = expression.trim();
  if (expr.startsWith('@every')) return { kind: 'every', intervalMs: parseDuration(expr.slice('@every'.length)) };
  let timezone = 'UTC';
  const tz = /^CRON_TZ=(\S+)\s+/.exec(expr);
  if (tz) {
    timezone = tz[1];
    expr = expr.slice(tz[0].length);
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      throw new ScheduleError(`unknown time zone in "${expression}"`);
    }
  }
  const fields = expr.split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleError(
      `cron "${expression}" must have six fields: second minute hour day-of-month month day-of-week`,
    );
  try {
    new Cron(expr, { mode: '6-part', timezone, paused: true }).stop();
  } catch (e) {
    throw new ScheduleError(`invalid cron "${expression}": ${(e as Error).message}`);
  }
  return { kind: 'cron', pattern: expr, timezone };
}

export interface ScheduledTimer {
  nextRun(): Date | undefined;
  stop(): void;
}

/** Calls `fire` with the scheduled time on every tick until stopped; timers never keep the process alive. */
export function schedule(expression: string, fire: (at: Date) => void): ScheduledTimer {
  const s = parseSchedule(expression);
  if (s.kind === 'every') {
    let next = Date.now() + s.intervalMs;
    const t = setInterval(() => {
      const at = new Date(next);
      next += s.intervalMs;
      fire(at);
    }, s.intervalMs);
    t.unref();
    return { nextRun: () => new Date(next), stop: () => clearInterval(t) };
  }
  const job = new Cron(s.pattern, { mode: '6-part', timezone: s.timezone, unref: true, catch: true }, (self: Cron) => {
    fire(self.currentRun() ?? new Date());
  });
  return { nextRun: () => job.nextRun() ?? undefined, stop: () => job.stop() };
}
