export type { Credentials, CredentialProvider } from './types';
export { CredentialsError, isCredentialsNotFound, type CredentialsErrorCode } from './errors';
export { fromStatic, fromFcContext, fromEnv, type FcContextLike, type FcContextCredentials } from './static';
export { fromAssumeRole, type AssumeRoleOptions } from './assume-role';
export { fromDefaultChain } from './default-chain';
export { chain, memoize, type MemoizeOptions, type MemoizedProvider } from './compose';
export { fromFcInvocation } from './fc-invocation';
