/**
 * Function Compute 3.0 event and context shapes for built-in Node.js runtimes. FC publishes no typings; these
 * follow the documented HTTP-trigger and timer-trigger structures (the event always arrives as a Buffer).
 */

/** `context.credentials`: STS keys of the function's role; an empty object when no role is configured. */
export interface FcCredentials {
  readonly accessKeyId?: string;
  readonly accessKeySecret?: string;
  readonly securityToken?: string;
}

export interface FcLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  log?(...args: unknown[]): void;
}

export interface FcContext {
  readonly requestId: string;
  readonly credentials: FcCredentials;
  readonly function: {
    readonly name: string;
    readonly handler: string;
    /** MB */
    readonly memory: number;
    /** seconds */
    readonly timeout: number;
  };
  readonly service?: {
    readonly logProject?: string;
    readonly logStore?: string;
    readonly qualifier?: string;
    readonly versionId?: string;
  };
  readonly region: string;
  readonly accountId: string;
  readonly logger?: FcLogger;
  readonly retryCount?: number;
  /** Added by our entry point (FC does not provide it); middy's timeoutEarly uses it. */
  getRemainingTimeInMillis?: () => number;
}

/** HTTP trigger event (version v1) as delivered by FC 3.0 built-in runtimes. */
export interface FcHttpEvent {
  readonly version: string;
  /** URL-encoded path. */
  readonly rawPath: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** Flat map; repeated headers are joined with ",". Casing as sent by the client. */
  readonly headers?: Record<string, string>;
  /** Flat map; repeated keys are joined with ",". */
  readonly queryParameters?: Record<string, string>;
  readonly requestContext: {
    readonly accountId?: string;
    readonly domainName?: string;
    readonly domainPrefix?: string;
    readonly http: {
      readonly method: string;
      /** Decoded path. */
      readonly path: string;
      readonly protocol?: string;
      readonly sourceIp?: string;
      readonly userAgent?: string;
    };
    readonly requestId: string;
    readonly time?: string;
    /** Milliseconds since the epoch, as a string. */
    readonly timeEpoch?: string;
    readonly triggerId?: string;
  };
}

/** What an HTTP-triggered handler returns. */
export interface FcHttpResponse {
  statusCode: number;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  body: string;
}

/** Timer trigger event; `payload` is the configured string verbatim. */
export interface FcTimerEvent {
  readonly triggerTime: string;
  readonly triggerName: string;
  readonly payload?: string;
}

/** The HTTP request our handlers see after normalisation. */
export interface HttpRequest {
  readonly method: string;
  /** Decoded path, always starting with "/". */
  readonly path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Flat query map as FC delivers it (repeated keys joined with ","). */
  readonly query: Record<string, string>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly sourceIp?: string;
}
