import type { MiddlewareObj } from '@middy/core';
import { pino, type DestinationStream, type Logger } from 'pino';
import { stdoutSync } from './stdout';
import type { FcContext } from './types';

/** Field paths whose values never reach a log line (pino replaces them with "[REDACTED]"). */
export const REDACTED_PATHS = [
  'accessKeySecret',
  'securityToken',
  'secretAccessKey',
  'stsToken',
  'credentials',
  '*.accessKeySecret',
  '*.securityToken',
  '*.secretAccessKey',
  '*.stsToken',
  '*.credentials',
  'headers.authorization',
  'headers["x-ots-signature"]',
  'headers["x-ots-ststoken"]',
  'headers["x-fc-access-key-secret"]',
  'headers["x-fc-security-token"]',
  'headers.cookie',
];

export interface FcLoggerOptions {
  readonly level?: string;
  /** Where lines go; stdout by default (FC ships stdout to the configured Logstore). */
  readonly destination?: DestinationStream;
}

export interface SecretScrubber {
  /** Remembers a secret value; any later log line containing it has it replaced. */
  add(secret: string | undefined): void;
}

export interface ScrubbingLogger {
  readonly logger: Logger;
  readonly secrets: SecretScrubber;
}

/**
 * A pino logger that redacts known secret fields and, as a second line of defence, scrubs any registered
 * secret value (the role's AccessKey secret and STS token of recent invocations) from every line, so an
 * upstream error message that echoes a credential still cannot leak it.
 */
export function createLogger(options: FcLoggerOptions = {}): ScrubbingLogger {
  const known = new Set<string>();
  const recent: string[] = [];
  const secrets: SecretScrubber = {
    add(secret) {
      if (!secret || secret.length < 8 || known.has(secret)) return;
      known.add(secret);
      recent.push(secret);
      // Keep the set bounded across many rotations in a long-lived instance.
      if (recent.length > 16) known.delete(recent.shift() as string);
    },
  };
  const scrub = (line: string): string => {
    let out = line;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    return out;
  };
  const logger = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrub },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? stdoutSync,
  );
  return { logger, secrets };
}

/** Per-invocation logger, bound to the FC request id. */
export type RequestLogger = Logger;

export interface LoggedContext extends FcContext {
  log?: RequestLogger;
}

/**
 * middy middleware: binds a child logger with the FC request id to `context.log`, registers the invocation's
 * secrets with the scrubber and writes one line per invocation with its outcome and duration.
 */
export function fcLogger(
  root: ScrubbingLogger,
  fields: Record<string, string> = {},
): MiddlewareObj<unknown, unknown, Error, LoggedContext> {
  const started = new WeakMap<object, number>();
  const finish = (request: { context: LoggedContext; response: unknown; error: Error | null }) => {
    const log = request.context.log ?? root.logger;
    const start = started.get(request.context);
    const durationMs = start === undefined ? undefined : Math.round(performance.now() - start);
    const status = (request.response as { statusCode?: unknown } | null | undefined)?.statusCode;
    const err = request.error;
    if (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof status === 'number' && status < 500) {
        // The caller's mistake: one line with what was answered, no stack.
        log.info({ status, durationMs, code, reason: err.message }, 'invocation rejected');
      } else {
        const cause = (err as { cause?: unknown }).cause;
        log.error({ status, durationMs, code, err: cause instanceof Error ? cause : err }, 'invocation failed');
      }
    } else {
      log.info({ status, durationMs }, 'invocation completed');
    }
  };
  return {
    before: (request) => {
      const ctx = request.context;
      root.secrets.add(ctx.credentials?.accessKeySecret);
      root.secrets.add(ctx.credentials?.securityToken);
      started.set(ctx, performance.now());
      ctx.log = root.logger.child({ requestId: ctx.requestId, ...fields });
    },
    after: (request) => finish(request),
    onError: (request) => finish(request),
  };
}
