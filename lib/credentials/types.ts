/** A resolved set of Alibaba Cloud credentials. STS credentials carry a token and an expiration. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** STS security token; absent for long-term AccessKey pairs. */
  readonly securityToken?: string;
  /** When STS credentials stop working; absent for long-term keys. */
  readonly expiration?: Date;
  /** Where they came from (e.g. "fc-context", "env", "assume-role"), for logs; never a secret. */
  readonly source: string;
}

/**
 * A provider resolves credentials; it is called again whenever fresh ones may be needed.
 * `forceRefresh` asks a caching provider to bypass its cache (e.g. after an auth failure).
 */
export type CredentialProvider = (options?: { forceRefresh?: boolean }) => Promise<Credentials>;
