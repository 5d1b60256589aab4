import { chain } from './compose';
import { fromEnv, fromFcContext, type FcContextLike } from './static';
import type { CredentialProvider } from './types';

/**
 * What a function handler should use: this invocation's `context.credentials` (they may have rotated since
 * the last one), else the environment (FC injects the role keys there too; locally `s` puts long-term keys).
 * Its own module, so a bundle that needs only this does not pull in the AssumeRole / default-chain
 * providers and their SDK.
 */
export function fromFcInvocation(context: FcContextLike): CredentialProvider {
  return chain(fromFcContext(context), fromEnv());
}
