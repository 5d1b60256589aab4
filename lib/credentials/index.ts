export type { Credentials, CredentialProvider } from './types';
export { CredentialsError, isCredentialsNotFound, type CredentialsErrorCode } from './errors';
export { fromStatic, fromFcContext, fromEnv, type FcContextLike, type FcContextCredentials } from './static';
export { fromAssumeRole, type AssumeRoleOptions } from './assume-role';
export { fromDefaultChain } from './default-chain';
export { chain, memoize, type MemoizeOptions, type MemoizedProvider } from './compose';
import type { CredentialProvider } from './types';
import { chain } from './compose';
import { fromEnv, fromFcContext, type FcContextLike } from './static';

/**
 * What a function handler should use: this invocation's `context.credentials` (they may have rotated since
 * the last one), else the environment (FC injects the role keys there too; locally `s` puts long-term keys).
 */
export function fromFcInvocation(context: FcContextLike): CredentialProvider {
  return chain(fromFcContext(context), fromEnv());
}
