import { DefaultCredentialsProvider } from '@alicloud/credentials';
import type { CredentialProvider } from './types';
import { CredentialsError } from './errors';

/**
 * `@alicloud/credentials`' default chain (env, OIDC, CLI profile, INI profile, ECS metadata, URI), built on
 * first use. The library's chain sticks to the last provider it tried even when every one failed, so a
 * failed chain is thrown away and rebuilt on the next call instead of being reused.
 */
export function fromDefaultChain(): CredentialProvider {
  let library: DefaultCredentialsProvider | undefined;
  return async () => {
    try {
      library ??= DefaultCredentialsProvider.builder().build();
      const c = await library.getCredentials();
      if (!c.accessKeyId || !c.accessKeySecret) throw new Error('the default chain returned empty keys');
      return {
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        ...(c.securityToken ? { securityToken: c.securityToken } : {}),
        source: `default-chain/${c.providerName}`,
      };
    } catch (error) {
      library = undefined;
      throw new CredentialsError('CredentialsNotFound', `default credential chain: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
}
