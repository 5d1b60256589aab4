/**
 * One LocalIam's sessions followed from another thread. The owner's changes (issued, revoked, purged tokens)
 * are posted on a MessagePort as they happen; the replica takes every message already queued on its port
 * synchronously (receiveMessageOnPort) before it answers a lookup. So a change made on the owner's thread
 * before a request was sent is always seen when that request is checked: no window in which a revoked token
 * still works, and no lookup waits for the other thread.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { IdentityStore } from '../tablestore/auth/identity';
import type { Identities } from './identities';
import { LocalIam, type IamChange, type LocalIamOptions } from './iam';

/** What a replica is built from: plain data plus the port to transfer to its thread. */
export interface SharedIam {
  readonly identities: Identities;
  readonly options: Pick<LocalIamOptions, 'tokenFailure' | 'enforcement'>;
  readonly port: MessagePort;
}

/** Owner side: the replica's seed; `stop` ends the feed. The sessions issued so far are sent first. */
export function shareIam(iam: LocalIam): { shared: SharedIam; stop: () => void } {
  const { port1, port2 } = new MessageChannel();
  const off = iam.onChange((change) => port1.postMessage(change));
  return {
    shared: {
      identities: iam.identities,
      options: { tokenFailure: iam.tokenFailure, enforcement: iam.enforcement },
      port: port2,
    },
    stop: () => {
      off();
      port1.close();
    },
  };
}

/** Replica side: an IdentityStore answering as the owner would, on the replica's thread. */
export function iamReplica(shared: SharedIam): IdentityStore & { readonly iam: LocalIam } {
  const iam = new LocalIam(shared.identities, shared.options);
  const catchUp = (): void => {
    for (let m = receiveMessageOnPort(shared.port); m; m = receiveMessageOnPort(shared.port))
      iam.applyChange(m.message as IamChange);
  };
  return {
    iam,
    lookup(accessKeyId, securityToken, now) {
      catchUp();
      return iam.lookup(accessKeyId, securityToken, now);
    },
  };
}
