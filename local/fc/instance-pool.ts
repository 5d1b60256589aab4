/**
 * The instances of one function. Like FC 3.0 built-in runtimes, an instance serves one invocation at a time, so
 * concurrent invocations scale out to more instances (up to `maxInstances`, then they queue). Module state
 * (cached clients!) lives as long as the instance. A timed-out or crashed instance is destroyed, as FC does.
 */
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import type { FunctionSpec } from './config';

/** The serialisable part of the FC context; the worker adds `logger`. */
export interface FcContextData {
  readonly requestId: string;
  readonly credentials: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  readonly function: { name: string; handler: string; memory: number; timeout: number };
  readonly service: { logProject: string; logStore: string; qualifier: string; versionId: string };
  readonly region: string;
  readonly accountId: string;
  readonly retryCount: number;
  readonly tracing: Record<string, string>;
}

export interface FcError {
  readonly errorMessage: string;
  readonly errorType?: string;
  readonly stackTrace?: readonly string[];
}

export interface InvocationOutcome {
  readonly requestId: string;
  readonly ok: boolean;
  /** The response bytes: the handler's converted return value, or FC's JSON error body. */
  readonly body: Buffer;
  /** Set when !ok: the value of FC's X-Fc-Error-Type header. */
  readonly errorType?: 'UnhandledInvocationError' | 'InitializationError';
  readonly error?: FcError;
  readonly timedOut: boolean;
  /** Log lines the invocation produced (console.* and context.logger), FC-prefixed. */
  readonly logs: readonly string[];
  readonly durationMs: number;
  readonly coldStart: boolean;
  readonly instanceId: string;
}

export interface PoolOptions {
  /** Environment of a new instance (FC variables, role credentials, environmentVariables). */
  readonly instanceEnv: (instanceId: string) => Record<string, string>;
  readonly maxInstances: number;
  /** An instance idle this long is stopped, as FC reclaims idle instances (default 10 min; 0 = never). */
  readonly idleTimeoutMs?: number | undefined;
  /** Every log line of every instance, as it happens. */
  readonly onLog: (line: string) => void;
}

type WorkerMessage =
  | { type: 'log'; requestId: string; line: string }
  | { type: 'ready' }
  | { type: 'init-error'; error: FcError }
  | { type: 'result'; id: number; ok: true; body: Uint8Array }
  | {
      type: 'result';
      id: number;
      ok: false;
      errorType: 'UnhandledInvocationError' | 'InitializationError';
      error: FcError;
    };

const WORKER_URL = new URL('./instance-worker.mjs', import.meta.url);

export function newInstanceId(): string {
  return `c-${randomBytes(4).toString('hex')}-${randomBytes(8).toString('hex')}`;
}

class Instance {
  readonly worker: Worker;
  busy = false;
  dead = false;
  idleTimer?: NodeJS.Timeout;
  private readonly ready: Promise<FcError | undefined>;
  private nextId = 1;
  private pending:
    | {
        id: number;
        requestId: string;
        logs: string[];
        settle: (m: WorkerMessage | { type: 'exit'; code: number; error: Error | undefined }) => void;
      }
    | undefined;

  constructor(
    readonly id: string,
    spec: FunctionSpec,
    env: Record<string, string>,
    onLog: (line: string) => void,
    onDeath: (i: Instance) => void,
  ) {
    this.worker = new Worker(WORKER_URL, {
      workerData: { codeDir: spec.codeDir, handler: spec.handler, initializer: spec.initializer?.handler },
      env,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: Math.max(spec.memorySize, 128) },
    });
    this.worker.unref();
    let exitError: Error | undefined;
    this.ready = new Promise((resolveReady) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolveReady(undefined);
        else if (m.type === 'init-error') resolveReady(m.error);
        else if (m.type === 'log') {
          onLog(m.line);
          if (this.pending && (m.requestId === this.pending.requestId || m.requestId === ''))
            this.pending.logs.push(m.line);
        } else if (m.type === 'result' && this.pending?.id === m.id) this.pending.settle(m);
      });
      this.worker.on('error', (e) => {
        exitError = e;
      });
      this.worker.on('exit', (code) => {
        this.dead = true;
        resolveReady({
          errorMessage: `Process exited unexpectedly before completing request (exit code ${code})`,
          ...(exitError === undefined ? {} : { errorType: exitError.name }),
        });
        this.pending?.settle({ type: 'exit', code, error: exitError });
        onDeath(this);
      });
    });
    this.worker.postMessage({ type: 'init' });
  }

  /** `makeContext` is called again right before dispatch, so the credentials are current after a cold start. */
  async invoke(
    event: Buffer,
    makeContext: () => FcContextData,
    timeoutMs: number,
    coldStart: boolean,
  ): Promise<InvocationOutcome> {
    const context = makeContext();
    const started = performance.now();
    const logs: string[] = [];
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const outcome = (ok: boolean, body: Buffer, extra: Partial<InvocationOutcome> = {}): InvocationOutcome => ({
      requestId: context.requestId,
      ok,
      body,
      timedOut: false,
      logs,
      durationMs: performance.now() - started,
      coldStart,
      instanceId: this.id,
      ...extra,
    });
    const failure = (errorType: 'UnhandledInvocationError' | 'InitializationError', error: FcError, timedOut = false) =>
      outcome(false, Buffer.from(JSON.stringify(error)), { errorType, error, timedOut });

    const settled = new Promise<InvocationOutcome>((resolveOutcome) => {
      this.pending = {
        id,
        requestId: context.requestId,
        logs,
        settle: (m) => {
          this.pending = undefined;
          if (timer) clearTimeout(timer);
          if (m.type === 'exit') {
            resolveOutcome(
              failure('UnhandledInvocationError', {
                errorMessage: `Process exited unexpectedly before completing request (duration: ${Math.round(performance.now() - started)}ms)`,
                ...(m.error === undefined ? {} : { errorType: m.error.name }),
              }),
            );
          } else if (m.type === 'result') {
            resolveOutcome(
              m.ok
                ? outcome(true, Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength))
                : failure(m.errorType, m.error),
            );
          }
        },
      };
      timer = setTimeout(() => {
        const p = this.pending;
        this.pending = undefined;
        this.dead = true;
        void this.worker.terminate();
        p?.logs.push(
          `${new Date().toISOString()} ${context.requestId} [ERROR] Function time out after ${context.function.timeout} seconds`,
        );
        resolveOutcome(
          failure(
            'UnhandledInvocationError',
            { errorMessage: `Function time out after ${context.function.timeout} seconds` },
            true,
          ),
        );
      }, timeoutMs);
    });

    const initError = await Promise.race([this.ready, settled.then(() => 'settled' as const)]);
    if (initError === 'settled') return settled; // timed out (or died) while loading the code
    if (initError) {
      const p = this.pending;
      this.dead = true;
      p?.settle({ type: 'result', id, ok: false, errorType: 'UnhandledInvocationError', error: initError });
      void this.worker.terminate();
      return settled;
    }
    if (!this.dead)
      this.worker.postMessage({ type: 'invoke', id, event: new Uint8Array(event), context: makeContext() });
    return settled;
  }

  stop(): Promise<number> {
    this.dead = true;
    return this.worker.terminate();
  }
}

export class FunctionPool {
  private readonly instances = new Set<Instance>();
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: PoolOptions,
  ) {}

  get size(): number {
    return this.instances.size;
  }

  async invoke(event: Buffer, makeContext: () => FcContextData): Promise<InvocationOutcome> {
    if (this.closed) throw new Error(`function ${this.spec.functionName} is stopped`);
    const { instance, cold } = await this.acquire();
    try {
      return await instance.invoke(event, makeContext, this.spec.timeout * 1000, cold);
    } finally {
      instance.busy = false;
      if (instance.dead) this.instances.delete(instance);
      else this.scheduleReclaim(instance);
      this.waiting.shift()?.();
    }
  }

  private scheduleReclaim(instance: Instance): void {
    const ms = this.options.idleTimeoutMs ?? 10 * 60_000;
    if (ms <= 0) return;
    instance.idleTimer = setTimeout(() => {
      if (instance.busy || instance.dead) return;
      this.instances.delete(instance);
      void instance.stop();
    }, ms);
    instance.idleTimer.unref();
  }

  private async acquire(): Promise<{ instance: Instance; cold: boolean }> {
    for (;;) {
      for (const i of this.instances) {
        if (!i.busy && !i.dead) {
          clearTimeout(i.idleTimer);
          i.busy = true;
          return { instance: i, cold: false };
        }
      }
      if (this.instances.size < this.options.maxInstances) {
        const id = newInstanceId();
        const i = new Instance(id, this.spec, this.options.instanceEnv(id), this.options.onLog, (dead) => {
          this.instances.delete(dead);
          if (!dead.busy) this.waiting.shift()?.();
        });
        i.busy = true;
        this.instances.add(i);
        return { instance: i, cold: true };
      }
      await new Promise<void>((r) => this.waiting.push(r));
      if (this.closed) throw new Error(`function ${this.spec.functionName} is stopped`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
    await Promise.all(
      [...this.instances].map((i) => {
        clearTimeout(i.idleTimer);
        return i.stop();
      }),
    );
    this.instances.clear();
  }
}
