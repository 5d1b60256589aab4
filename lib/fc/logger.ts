/**
 * The functions' logger: one JSON line per call on stdout, `{"level":"info","time":"<ISO>",<bindings>,
 * <fields>,"msg":"…"}`, the shape FC's log tooling indexes and our tests read. It is ours rather than a
 * library because it is on the cold-start path of every function: pino (with its serializers, redaction and
 * stringifier) was about a fifth of the bundle and the main part of its load time once the HTTP client was
 * accounted for (README, Benchmarks). What the functions need is small: levels, child loggers with bindings,
 * error serialisation, and secrets kept out of every line — here in ~150 lines.
 */
import type { MiddlewareObj } from '@middy/core';
import { stdoutSync } from './stdout';
import type { FcContext } from './types';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * Keys whose values never reach a log line, at any depth and in any letter case (headers arrive
 * lower-cased, credentials in camel case): the value becomes "[REDACTED]".
 */
const REDACTED_KEYS = new Set([
  'accesskeysecret',
  'securitytoken',
  'secretaccesskey',
  'ststoken',
  'credentials',
  'authorization',
  'cookie',
  'x-ots-signature',
  'x-ots-ststoken',
  'x-fc-access-key-secret',
  'x-fc-security-token',
]);
const CENSOR = '[REDACTED]';

export interface LogFn {
  (msg: string): void;
  (fields: object, msg?: string): void;
}

export interface Logger {
  /** The lowest level written; `silent` writes nothing. */
  readonly level: LogLevel | 'silent';
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  /** A logger whose lines all carry `bindings` (after level and time, before the call's own fields). */
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

/** Where lines go: each call gets one complete line, newline included. */
export interface LogDestination {
  write(line: string): void;
}

export interface FcLoggerOptions {
  /** A level name or `silent`; `LOG_LEVEL` by default, else `info`. */
  readonly level?: string;
  /** Where lines go; stdout by default (FC ships stdout to the configured Logstore). */
  readonly destination?: LogDestination;
}

export interface SecretScrubber {
  /** Remembers a secret value; any later log line containing it has it replaced. */
  add(secret: string | undefined): void;
}

export interface ScrubbingLogger {
  readonly logger: Logger;
  readonly secrets: SecretScrubber;
}

/** Per-invocation logger, bound to the FC request id. */
export type RequestLogger = Logger;

/**
 * `type`, `message` and `stack` (both with the `cause` chain appended), then the error's own fields. The
 * type is the error's `name` when it has one of its own kind: in a minified bundle the constructor's name is
 * a mangled identifier.
 */
function serializeError(err: Error): Record<string, unknown> {
  const type = err.name && err.name !== 'Error' ? err.name : err.constructor.name || 'Error';
  const out: Record<string, unknown> = { type, message: err.message };
  let stack = err.stack ?? '';
  const seen = new Set<unknown>([err]);
  for (let cause = err.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    out.message = `${String(out.message)}: ${cause.message}`;
    stack += `\ncaused by: ${cause.stack ?? cause.message}`;
  }
  out.stack = stack;
  if (err instanceof AggregateError) out.aggregateErrors = err.errors;
  for (const [key, value] of Object.entries(err)) if (key !== 'cause' && !(key in out)) out[key] = value;
  return out;
}

/**
 * JSON.stringify's replacer: `this` is the object holding `key`, so an error is serialised from the error
 * itself, not from what its toJSON (if any) returns.
 */
function replacer(this: unknown, key: string, value: unknown): unknown {
  if (key !== '' && REDACTED_KEYS.has(key.toLowerCase())) return value === undefined ? undefined : CENSOR;
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Error) return serializeError(raw);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

/** The same, for the rare line whose fields refer to themselves: a repeated object becomes "[Circular]". */
function cycleSafeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return function (this: unknown, key, value) {
    const v = replacer.call(this, key, value);
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    return v;
  };
}

function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, replacer);
  } catch {
    try {
      return JSON.stringify(record, cycleSafeReplacer());
    } catch (err) {
      // A field whose toJSON throws: the line still says what was logged, without its fields.
      return JSON.stringify({ level: record.level, time: record.time, msg: record.msg, logError: String(err) });
    }
  }
}

interface Core {
  readonly threshold: number;
  readonly level: LogLevel | 'silent';
  readonly out: (line: string) => void;
}

class JsonLogger implements Logger {
  readonly trace: LogFn = (a: object | string, b?: string) => this.write('trace', a, b);
  readonly debug: LogFn = (a: object | string, b?: string) => this.write('debug', a, b);
  readonly info: LogFn = (a: object | string, b?: string) => this.write('info', a, b);
  readonly warn: LogFn = (a: object | string, b?: string) => this.write('warn', a, b);
  readonly error: LogFn = (a: object | string, b?: string) => this.write('error', a, b);
  readonly fatal: LogFn = (a: object | string, b?: string) => this.write('fatal', a, b);

  constructor(
    private readonly core: Core,
    private readonly bindings: Readonly<Record<string, unknown>>,
  ) {}

  get level(): LogLevel | 'silent' {
    return this.core.level;
  }

  child(bindings: Readonly<Record<string, unknown>>): Logger {
    return new JsonLogger(this.core, { ...this.bindings, ...bindings });
  }

  private write(level: LogLevel, a: object | string, b: string | undefined): void {
    if (LEVELS[level] < this.core.threshold) return;
    let fields: object | undefined;
    let msg = b;
    if (typeof a === 'string') msg = a;
    else if (a instanceof Error) {
      fields = { err: a };
      msg ??= a.message;
    } else {
      fields = a;
      const err = (a as { err?: unknown; msg?: unknown }).err;
      if (msg === undefined && (a as { msg?: unknown }).msg === undefined && err instanceof Error) msg = err.message;
    }
    const record: Record<string, unknown> = {
      level,
      time: new Date().toISOString(),
      ...this.bindings,
      ...fields,
    };
    if (msg !== undefined) record.msg = msg;
    this.core.out(`${stringify(record)}\n`);
  }
}

/**
 * A JSON-lines logger that redacts known secret fields and, as a second line of defence, scrubs any
 * registered secret value (the role's AccessKey secret and STS token of recent invocations) from every line,
 * so an upstream error message that echoes a credential still cannot leak it.
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
  const destination = options.destination ?? stdoutSync;
  const out = (line: string): void => {
    let scrubbed = line;
    for (const secret of known) if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(CENSOR);
    destination.write(scrubbed);
  };
  const wanted = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const level = wanted === 'silent' || Object.hasOwn(LEVELS, wanted) ? (wanted as LogLevel | 'silent') : 'info';
  const logger = new JsonLogger(
    { threshold: level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[level], level, out },
    {},
  );
  // An unknown level must not stop the function from starting (every invocation would fail): say so, once.
  if (level !== wanted) logger.warn({ logLevel: wanted }, `unknown log level, using ${level}`);
  return { logger, secrets };
}

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
