/**
 * Tablestore Local on a thread of its own, so that its work (authentication, storage, encoding) does not
 * compete with the caller's event loop: `npm start` runs the FC runner on the main thread and this beside it
 * (docs/running-locally.md, "Threads"). The identities are a replica of the caller's LocalIam, kept current
 * message by message (local/sts/iam-replica.ts); the storage lives on the thread, `dataDir` included.
 */
import { Worker } from 'node:worker_threads';
import type { LocalIam } from '../sts/iam';
import { shareIam, type SharedIam } from '../sts/iam-replica';
import type { TablestoreLocalOptions } from './server';

type ThreadOptions = Pick<TablestoreLocalOptions, 'host' | 'port' | 'instance' | 'region' | 'dataDir'>;

/** workerData of thread-main.ts. */
export interface ThreadStart {
  readonly options: ThreadOptions;
  readonly iam: SharedIam;
}
export type ThreadRequest =
  | { readonly type: 'lagging'; readonly id: number; readonly lagMs: number }
  | { readonly type: 'stop-lagging'; readonly id: number; readonly target: number }
  | { readonly type: 'stop'; readonly id: number };
interface ThreadError {
  readonly message: string;
  readonly code?: string;
}
export type ThreadReply =
  | {
      readonly type: 'ready';
      readonly endpoint: string;
      readonly host: string;
      readonly port: number;
      readonly instance: string;
      readonly region: string;
    }
  | { readonly type: 'failed'; readonly error: ThreadError }
  | { readonly type: 'reply'; readonly id: number; readonly endpoint?: string; readonly error?: ThreadError };

export interface TablestoreThreadOptions extends ThreadOptions {
  /** Whose users, roles and issued tokens Tablestore Local checks requests against. */
  readonly iam: LocalIam;
  /** The thread failed after it started (requests to it then fail to connect). */
  readonly onError?: (error: Error) => void;
}

export interface TablestoreThread {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly instance: string;
  readonly region: string;
  /** startLaggingEndpoint (server.ts) over the thread's storage. */
  startLaggingEndpoint(lagMs: number): Promise<{ readonly endpoint: string; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

const WORKER_URL = new URL('./thread-worker.mjs', import.meta.url);

function toError(e: ThreadError): Error {
  return Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
}

export async function startTablestoreThread(options: TablestoreThreadOptions): Promise<TablestoreThread> {
  const { iam, onError, ...threadOptions } = options;
  const feed = shareIam(iam);
  const start: ThreadStart = { options: threadOptions, iam: feed.shared };
  const worker = new Worker(WORKER_URL, { workerData: start, transferList: [feed.shared.port] });
  const pending = new Map<number, (r: Extract<ThreadReply, { type: 'reply' }>) => void>();
  let nextId = 1;
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const ready = await new Promise<Extract<ThreadReply, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: ThreadReply) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'failed') reject(toError(m.error));
      else pending.get(m.id)?.(m);
    });
    worker.on('error', (e) => {
      exited = e;
      reject(e);
      onError?.(e);
    });
    worker.once('exit', (code) => {
      exited ??= new Error(`the Tablestore Local thread exited (code ${code})`);
      reject(exited);
      for (const settle of pending.values()) settle({ type: 'reply', id: 0, error: { message: exited.message } });
      feed.stop();
    });
  }).catch(async (e: unknown) => {
    feed.stop();
    await worker.terminate();
    throw e;
  });

  const call = async (
    request: { type: 'lagging'; lagMs: number } | { type: 'stop-lagging'; target: number } | { type: 'stop' },
  ) => {
    if (exited) throw exited;
    const id = nextId++;
    const reply = await new Promise<Extract<ThreadReply, { type: 'reply' }>>((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ ...request, id });
    });
    pending.delete(id);
    if (reply.error) throw toError(reply.error);
    return { id, reply };
  };

  let stopped: Promise<void> | undefined;
  return {
    endpoint: ready.endpoint,
    host: ready.host,
    port: ready.port,
    instance: ready.instance,
    region: ready.region,
    async startLaggingEndpoint(lagMs) {
      const { id, reply } = await call({ type: 'lagging', lagMs });
      return { endpoint: reply.endpoint!, stop: async () => void (await call({ type: 'stop-lagging', target: id })) };
    },
    stop() {
      stopped ??= (async () => {
        // Closing the store (LevelDB included) happens on the thread; only then is it ended.
        if (!exited) await call({ type: 'stop' }).catch(() => undefined);
        feed.stop();
        await worker.terminate();
        await exit;
      })();
      return stopped;
    },
  };
}
