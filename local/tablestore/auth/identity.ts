/**
 * Who may call Tablestore Local, and what they may do. The server's auth layer asks the IdentityStore for
 * the secret that signed a request; the result's `authorize` is then asked for every table the request
 * touches. A store built from `--access-key ID:SECRET` allows everything; the local STS (local/sts) provides
 * a store that knows RAM users, STS tokens and their policies.
 */
export interface AuthzRequest {
  /** RAM action, e.g. "ots:GetRow", "ots:ListTable", "ots:PutTimeseriesData". */
  readonly action: string;
  /** RAM resources, e.g. "acs:ots:cn-hangzhou:<account>:instance/<instance>/table/<table>". */
  readonly resources: readonly string[];
  readonly region: string;
  readonly instance: string;
  readonly sourceIp: string;
  readonly secureTransport: boolean;
  readonly now: Date;
}

export type AuthzDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export type IdentityLookup =
  | {
      readonly ok: true;
      /** The secret the request signature must be computed with. */
      readonly secret: string;
      /** Account id used in resource ARNs. */
      readonly accountId: string;
      /** Principal name for logs (never a secret). */
      readonly principal: string;
      readonly authorize: (request: AuthzRequest) => AuthzDecision;
    }
  | {
      readonly ok: false;
      /** OTS error code, e.g. OTSAuthFailed or OTSNoPermissionAccess (expired token). */
      readonly code: string;
      readonly message: string;
      readonly httpStatus: number;
      /**
       * The secret the caller signed with, when the store knows it although it refuses the request (e.g. an
       * expired, revoked or replaced STS token it issued). The server then signs the error reply with it, once
       * the request's signature proves the caller holds it; without it the reply goes out unsigned.
       */
      readonly replySecret?: string;
    };

export interface IdentityStore {
  /** `securityToken` is the x-ots-ststoken header, when sent. */
  lookup(accessKeyId: string, securityToken: string | undefined, now: Date): IdentityLookup;
}
