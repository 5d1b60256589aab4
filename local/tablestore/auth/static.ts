/**
 * IdentityStore built from configured AccessKey pairs (`--access-key ID:SECRET`): every key may do
 * everything. STS tokens are not issued here; the local STS provides a richer store.
 */
import type { IdentityLookup, IdentityStore } from './identity';

export interface AccessKey {
  readonly id: string;
  readonly secret: string;
}

/** The key pair used when none is configured; documented in docs/tablestore-local.md. */
export const DEFAULT_ACCESS_KEY: AccessKey = { id: 'local-access-key-id', secret: 'local-access-key-secret' };
export const LOCAL_ACCOUNT_ID = '1234567890123456';

export function staticIdentityStore(keys: readonly AccessKey[], accountId = LOCAL_ACCOUNT_ID): IdentityStore {
  const byId = new Map(keys.map((k) => [k.id, k.secret]));
  return {
    lookup(accessKeyId: string): IdentityLookup {
      const secret = byId.get(accessKeyId);
      if (secret === undefined) {
        return { ok: false, code: 'OTSAuthFailed', message: 'The AccessKeyID does not exist.', httpStatus: 403 };
      }
      return {
        ok: true,
        secret,
        accountId,
        principal: `accesskey/${accessKeyId}`,
        authorize: () => ({ allowed: true }),
      };
    },
  };
}
