/**
 * Runs on the thread started by thread.ts: Tablestore Local with the identities of a replica of the owner's
 * LocalIam (local/sts/iam-replica.ts), answering the owner's requests on parentPort.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { iamReplica } from '../sts/iam-replica';
import { startLaggingEndpoint, startTablestoreLocal, type TablestoreLocal } from './server';
import type { ThreadRequest, ThreadReply, ThreadStart } from './thread';

const start = workerData as ThreadStart;
const port = parentPort!;
const post = (m: ThreadReply): void => port.postMessage(m);
const describe = (e: unknown): { message: string; code?: string } => {
  const err = e as NodeJS.ErrnoException;
  return { message: err.message ?? String(e), ...(typeof err.code === 'string' ? { code: err.code } : {}) };
};

const identities = iamReplica(start.iam);
const lagging = new Map<number, TablestoreLocal>();
let ots: TablestoreLocal;
try {
  ots = await startTablestoreLocal({ ...start.options, identities });
  const { endpoint, host, port: listening, instance, region } = ots;
  post({ type: 'ready', endpoint, host, port: listening, instance, region });
} catch (e) {
  post({ type: 'failed', error: describe(e) });
  port.close();
  start.iam.port.close();
}

port.on('message', (m: ThreadRequest) => {
  const answer = async (): Promise<ThreadReply> => {
    if (m.type === 'lagging') {
      const l = await startLaggingEndpoint(ots, m.lagMs, { identities });
      lagging.set(m.id, l);
      return { type: 'reply', id: m.id, endpoint: l.endpoint };
    }
    if (m.type === 'stop-lagging') {
      await lagging.get(m.target)?.stop();
      lagging.delete(m.target);
      return { type: 'reply', id: m.id };
    }
    for (const l of lagging.values()) await l.stop();
    await ots.stop();
    return { type: 'reply', id: m.id };
  };
  answer().then(post, (e: unknown) => post({ type: 'reply', id: m.id, error: describe(e) }));
});
