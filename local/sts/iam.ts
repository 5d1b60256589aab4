/**
 * The pretend account at run time: the identities plus the STS sessions issued so far. The local STS server
 * calls `assumeRole`; Tablestore Local calls `lookup` (this class is its IdentityStore). Both must see the same
 * sessions: either they share one LocalIam, or a replica follows this one's `onChange` feed (iam-replica.ts,
 * how `npm start` runs Tablestore Local on its own thread).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuthzDecision, AuthzRequest, IdentityLookup, IdentityStore } from '../tablestore/auth/identity';
import { conditionsHold, evaluateAccess, wildcardMatch, type RequestContext } from './evaluator';
import { parsePolicy, PolicyGrammarError, type Policy } from './policy';
import type { AccessKey, Identities, Role, User } from './identities';

/** An STS error as the service reports it (docs/protocol.md §10.4). */
export class StsError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly accessDeniedDetail?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'StsError';
  }
}

export type Principal =
  | { readonly kind: 'root'; readonly accountId: string; readonly key: AccessKey }
  | { readonly kind: 'user'; readonly accountId: string; readonly user: User; readonly key: AccessKey }
  | { readonly kind: 'session'; readonly accountId: string; readonly session: Session };

export interface Session {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string;
  readonly expiration: Date;
  readonly role: Role;
  readonly sessionName: string;
  readonly policy?: Policy;
  revoked: boolean;
}

export interface AssumeRoleParams {
  readonly RoleArn?: string;
  readonly RoleSessionName?: string;
  readonly DurationSeconds?: string;
  readonly Policy?: string;
  readonly ExternalId?: string;
  readonly SourceIdentity?: string;
}

export interface CallContext {
  readonly sourceIp: string;
  readonly secureTransport: boolean;
  readonly now: Date;
}

export interface AssumeRoleResult {
  readonly RequestId: string;
  readonly AssumedRoleUser: { readonly Arn: string; readonly AssumedRoleId: string };
  readonly Credentials: {
    readonly AccessKeyId: string;
    readonly AccessKeySecret: string;
    readonly SecurityToken: string;
    readonly Expiration: string;
  };
  readonly SourceIdentity?: string;
}

export interface LocalIamOptions {
  /**
   * How Tablestore Local rejects an expired, revoked or mismatched token. The real service's choice is not
   * documented (docs/protocol.md §11.6); default 403 OTSNoPermissionAccess.
   */
  readonly tokenFailure?: { readonly code: string; readonly httpStatus: number };
  /** `strict` denies; `soft` allows but reports through onDenied (like LocalStack's soft mode); `off` allows. */
  readonly enforcement?: 'strict' | 'soft' | 'off';
  readonly onDenied?: (event: { principal: string; action: string; reason: string }) => void;
}

/**
 * A change to the issued sessions, as plain data (it crosses threads by structured clone). Roles and users are
 * fixed at construction, so a replica built from the same Identities needs only these to answer as this one.
 */
export type IamChange =
  | {
      readonly kind: 'issued';
      readonly session: Omit<Session, 'role'> & { readonly roleName: string };
    }
  | { readonly kind: 'revoked'; readonly accessKeyId: string }
  | { readonly kind: 'purged'; readonly accessKeyIds: readonly string[] };

const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ROLE_ARN = /^acs:ram::(\d+):role\/([A-Za-z0-9.-]{1,64})$/i;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

/** `YYYY-MM-DDTHH:mm:ssZ`: the only shape @alicloud/credentials parses reliably. */
export function stsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function principalName(p: Principal): string {
  if (p.kind === 'root') return `acs:ram::${p.accountId}:root`;
  if (p.kind === 'user') return `acs:ram::${p.accountId}:user/${p.user.name}`;
  return `acs:ram::${p.accountId}:assumed-role/${p.session.role.name}/${p.session.sessionName}`;
}

function conditionContext(ctx: CallContext, extra: RequestContext = {}): RequestContext {
  return {
    'acs:SourceIp': ctx.sourceIp,
    'acs:SecureTransport': String(ctx.secureTransport),
    'acs:CurrentTime': ctx.now.toISOString(),
    ...extra,
  };
}

export class LocalIam implements IdentityStore {
  readonly accountId: string;
  private readonly keys = new Map<string, { key: AccessKey; user?: User }>();
  private readonly sessions = new Map<string, Session>();
  private readonly roles = new Map<string, Role>();
  readonly tokenFailure: { readonly code: string; readonly httpStatus: number };
  readonly enforcement: 'strict' | 'soft' | 'off';
  private readonly onDenied: LocalIamOptions['onDenied'];
  private readonly listeners = new Set<(change: IamChange) => void>();
  /** Counters for tests and diagnostics. */
  readonly stats = { assumeRole: 0, lookups: 0, rejectedTokens: 0 };

  constructor(
    readonly identities: Identities,
    options: LocalIamOptions = {},
  ) {
    this.accountId = identities.accountId;
    for (const key of identities.rootAccessKeys) this.keys.set(key.id, { key });
    for (const user of identities.users) for (const key of user.accessKeys) this.keys.set(key.id, { key, user });
    for (const role of identities.roles) this.roles.set(role.name.toLowerCase(), role);
    this.tokenFailure = options.tokenFailure ?? { code: 'OTSNoPermissionAccess', httpStatus: 403 };
    this.enforcement = options.enforcement ?? 'strict';
    this.onDenied = options.onDenied;
  }

  /** Resolve the keys that signed a request; STS keys need their own, unexpired, unrevoked token. */
  resolve(
    accessKeyId: string,
    securityToken: string | undefined,
    now: Date,
  ):
    | { ok: true; principal: Principal; secret: string }
    | { ok: false; reason: 'unknown' | 'disabled' | 'missing-token' | 'unexpected-token' }
    /** `secret`: the session's AccessKeySecret, which the caller signed with although its token is refused. */
    | { ok: false; reason: 'bad-token' | 'expired'; secret: string } {
    if (accessKeyId.startsWith('STS.')) {
      const session = this.sessions.get(accessKeyId);
      if (!session) return { ok: false, reason: 'unknown' };
      if (!securityToken) return { ok: false, reason: 'missing-token' };
      if (
        securityToken !== session.securityToken ||
        session.revoked ||
        !this.roles.has(session.role.name.toLowerCase())
      ) {
        return { ok: false, reason: 'bad-token', secret: session.accessKeySecret };
      }
      if (now.getTime() >= session.expiration.getTime())
        return { ok: false, reason: 'expired', secret: session.accessKeySecret };
      return {
        ok: true,
        secret: session.accessKeySecret,
        principal: { kind: 'session', accountId: this.accountId, session },
      };
    }
    const entry = this.keys.get(accessKeyId);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (!entry.key.active) return { ok: false, reason: 'disabled' };
    if (securityToken) return { ok: false, reason: 'unexpected-token' };
    const principal: Principal = entry.user
      ? { kind: 'user', accountId: this.accountId, user: entry.user, key: entry.key }
      : { kind: 'root', accountId: this.accountId, key: entry.key };
    return { ok: true, secret: entry.key.secret, principal };
  }

  /** IdentityStore for Tablestore Local. */
  lookup(accessKeyId: string, securityToken: string | undefined, now: Date): IdentityLookup {
    this.stats.lookups += 1;
    const r = this.resolve(accessKeyId, securityToken, now);
    if (!r.ok) {
      switch (r.reason) {
        case 'unknown':
          return { ok: false, code: 'OTSAuthFailed', message: 'The AccessKeyID does not exist.', httpStatus: 403 };
        case 'disabled':
          return { ok: false, code: 'OTSAuthFailed', message: 'The AccessKeyID is disabled.', httpStatus: 403 };
        case 'missing-token':
          return { ok: false, code: 'OTSAuthFailed', message: 'The security token is missing.', httpStatus: 403 };
        case 'unexpected-token':
          return {
            ok: false,
            code: 'OTSAuthFailed',
            message: 'A security token was sent with a long-term AccessKeyID.',
            httpStatus: 403,
          };
        case 'expired':
          this.stats.rejectedTokens += 1;
          return { ok: false, ...this.tokenFailure, message: 'The security token has expired.', replySecret: r.secret };
        case 'bad-token':
          this.stats.rejectedTokens += 1;
          return {
            ok: false,
            ...this.tokenFailure,
            message: 'The security token is invalid, revoked or was replaced.',
            replySecret: r.secret,
          };
      }
    }
    const principal = r.principal;
    return {
      ok: true,
      secret: r.secret,
      accountId: this.accountId,
      principal: principalName(principal),
      authorize: (request) => this.authorize(principal, request),
    };
  }

  authorize(principal: Principal, request: AuthzRequest): AuthzDecision {
    if (principal.kind === 'root' || this.enforcement === 'off') return { allowed: true };
    const access = {
      action: request.action,
      resources: request.resources,
      context: conditionContext({
        sourceIp: request.sourceIp,
        secureTransport: request.secureTransport,
        now: request.now,
      }),
    };
    const decision =
      principal.kind === 'user'
        ? evaluateAccess(principal.user.policies, undefined, access)
        : evaluateAccess(principal.session.role.policies, principal.session.policy, access);
    if (decision.allowed) return decision;
    this.onDenied?.({ principal: principalName(principal), action: request.action, reason: decision.reason });
    if (this.enforcement === 'soft') return { allowed: true };
    return { allowed: false, reason: decision.reason };
  }

  /** STS AssumeRole for an authenticated caller (the server has checked the request signature). */
  assumeRole(caller: Principal, params: AssumeRoleParams, ctx: CallContext): AssumeRoleResult {
    if (caller.kind === 'root') throw new StsError(403, 'NoPermission', 'Roles may not be assumed by root accounts.');
    const { role, duration, policy, sessionName } = this.checkParams(params);

    const callerName = principalName(caller);
    const context = conditionContext(ctx, params.ExternalId ? { 'sts:ExternalId': params.ExternalId } : {});
    const identity =
      caller.kind === 'user'
        ? evaluateAccess(caller.user.policies, undefined, { action: 'sts:AssumeRole', resources: [role.arn], context })
        : evaluateAccess(caller.session.role.policies, caller.session.policy, {
            action: 'sts:AssumeRole',
            resources: [role.arn],
            context,
          });
    if (!identity.allowed) {
      throw new StsError(403, 'NoPermission', `You are not authorized to do this action. ${identity.reason}.`, {
        AuthAction: 'sts:AssumeRole',
        AuthPrincipalType: caller.kind === 'user' ? 'SubUser' : 'AssumedRoleUser',
        AuthPrincipalOwnerId: this.accountId,
        AuthPrincipalDisplayName:
          caller.kind === 'user' ? caller.user.name : `${caller.session.role.name}:${caller.session.sessionName}`,
        PolicyType:
          caller.kind === 'session' && caller.session.policy ? 'SessionPolicy' : 'AccountLevelIdentityBasedPolicy',
        NoPermissionType: identity.type,
      });
    }
    const principalArn =
      caller.kind === 'user'
        ? `acs:ram::${this.accountId}:user/${caller.user.name}`
        : `acs:ram::${this.accountId}:role/${caller.session.role.name}`;
    if (!this.trusts(role, { ram: principalArn }, context)) {
      throw new StsError(
        403,
        'NoPermission',
        `You are not authorized to do this action: ${callerName} is not trusted by role ${role.name}.`,
      );
    }
    this.stats.assumeRole += 1;
    return this.issue(role, sessionName, duration, policy, ctx.now, params.SourceIdentity);
  }

  /**
   * A trusted service (e.g. `fc.aliyuncs.com` for a function's execution role) obtains role credentials
   * without a signed STS call: what the local FC runner uses to fill `context.credentials`.
   */
  issueForService(
    roleName: string,
    service: string,
    options: { durationSeconds?: number; sessionName?: string; policy?: string; now?: Date } = {},
  ): AssumeRoleResult {
    const now = options.now ?? new Date();
    const { role, duration, policy, sessionName } = this.checkParams({
      RoleArn: `acs:ram::${this.accountId}:role/${roleName}`,
      RoleSessionName: options.sessionName ?? service.split('.')[0] ?? 'service',
      DurationSeconds: String(options.durationSeconds ?? 3600),
      ...(options.policy ? { Policy: options.policy } : {}),
    });
    const context = conditionContext({ sourceIp: '127.0.0.1', secureTransport: true, now });
    if (!this.trusts(role, { service }, context)) {
      throw new StsError(403, 'NoPermission', `Service ${service} is not trusted by role ${role.name}.`);
    }
    this.stats.assumeRole += 1;
    return this.issue(role, sessionName, duration, policy, now);
  }

  /** Invalidate an issued token before it expires (what deleting a role does in RAM). */
  revoke(accessKeyId: string): boolean {
    const s = this.sessions.get(accessKeyId);
    if (!s) return false;
    s.revoked = true;
    this.emit({ kind: 'revoked', accessKeyId });
    return true;
  }

  /**
   * Every change to the sessions from now on, synchronously as it is made; `replay` first reports the sessions
   * issued so far. Returns the unsubscribe function.
   */
  onChange(listener: (change: IamChange) => void, replay = true): () => void {
    if (replay) for (const s of this.sessions.values()) listener(sessionIssued(s));
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Apply another LocalIam's change (this one being its replica over the same Identities). */
  applyChange(change: IamChange): void {
    if (change.kind === 'revoked') {
      const s = this.sessions.get(change.accessKeyId);
      if (s) s.revoked = true;
    } else if (change.kind === 'purged') {
      for (const id of change.accessKeyIds) this.sessions.delete(id);
    } else {
      const { roleName, ...rest } = change.session;
      const role = this.roles.get(roleName.toLowerCase());
      // A role the replica does not know: the session could not pass resolve() anyway.
      if (role) this.sessions.set(rest.accessKeyId, { ...rest, role });
    }
    this.emit(change);
  }

  private emit(change: IamChange): void {
    for (const l of this.listeners) l(change);
  }

  roleByArn(arn: string): Role | undefined {
    const m = ROLE_ARN.exec(arn);
    if (!m || m[1] !== this.accountId) return undefined;
    return this.roles.get(m[2].toLowerCase());
  }

  private checkParams(params: AssumeRoleParams): {
    role: Role;
    duration: number;
    policy?: Policy;
    sessionName: string;
  } {
    const arn = params.RoleArn;
    if (!arn) throw new StsError(400, 'MissingRoleArn', 'RoleArn is mandatory for this action.');
    const m = ROLE_ARN.exec(arn);
    if (!m) throw new StsError(400, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed.');
    const role = m[1] === this.accountId ? this.roles.get(m[2].toLowerCase()) : undefined;
    if (!role) throw new StsError(404, 'EntityNotExist.Role', `The role not exists: ${arn}.`);

    const sessionName = params.RoleSessionName;
    if (!sessionName)
      throw new StsError(400, 'MissingRoleSessionName', 'RoleSessionName is mandatory for this action.');
    if (!SESSION_NAME.test(sessionName)) {
      throw new StsError(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
    }
    const rawDuration = params.DurationSeconds ?? '3600';
    const duration = /^\d{1,9}$/.test(rawDuration) ? Number(rawDuration) : NaN;
    if (!(duration >= 900 && duration <= role.maxSessionDuration)) {
      throw new StsError(
        400,
        'InvalidParameter.DurationSeconds',
        `The Min/Max value of DurationSeconds is 900/${role.maxSessionDuration} seconds, current value is ${rawDuration}.`,
      );
    }
    if (params.ExternalId !== undefined && !EXTERNAL_ID.test(params.ExternalId)) {
      throw new StsError(400, 'InvalidParameter.ExternalId', 'The parameter ExternalId is wrongly formed.');
    }
    let policy: Policy | undefined;
    if (params.Policy !== undefined && params.Policy !== '') {
      if (params.Policy.length > 2048)
        throw new StsError(400, 'InvalidParameter.PolicySize', 'The policy is too large (more than 2048 characters).');
      try {
        policy = parsePolicy(params.Policy, 'session policy');
      } catch (e) {
        if (!(e instanceof PolicyGrammarError)) throw e;
        throw new StsError(
          400,
          'InvalidParameter.PolicyGrammar',
          `The parameter Policy has not passed grammar check: ${e.message}.`,
        );
      }
    }
    return { role, duration, sessionName, ...(policy ? { policy } : {}) };
  }

  private trusts(role: Role, who: { ram?: string; service?: string }, context: RequestContext): boolean {
    let allowed = false;
    for (const s of role.trust) {
      if (!s.actions.some((a) => wildcardMatch(a, 'sts:AssumeRole', true))) continue;
      const principalMatches =
        (who.ram !== undefined &&
          s.ram.some((p) =>
            p.toLowerCase() === `acs:ram::${this.accountId}:root`
              ? who.ram!.startsWith(`acs:ram::${this.accountId}:`)
              : wildcardMatch(p, who.ram!, true),
          )) ||
        (who.service !== undefined && s.services.some((p) => wildcardMatch(p, who.service!, true)));
      if (!principalMatches || !conditionsHold(s.condition, context)) continue;
      if (s.effect === 'Deny') return false;
      allowed = true;
    }
    return allowed;
  }

  private issue(
    role: Role,
    sessionName: string,
    duration: number,
    policy: Policy | undefined,
    now: Date,
    sourceIdentity?: string,
  ): AssumeRoleResult {
    this.purge(now);
    // Whole seconds, so the expiry we enforce is exactly the one the client parses.
    const expiration = new Date(Math.floor(now.getTime() / 1000) * 1000 + duration * 1000);
    const session: Session = {
      accessKeyId: `STS.NT${randomText(26)}`,
      accessKeySecret: randomText(44),
      securityToken: `CAIS${randomBytes(96).toString('base64')}`,
      expiration,
      role,
      sessionName,
      ...(policy ? { policy } : {}),
      revoked: false,
    };
    this.sessions.set(session.accessKeyId, session);
    this.emit(sessionIssued(session));
    return {
      RequestId: randomUUID().toUpperCase(),
      AssumedRoleUser: { Arn: `${role.arn}/${sessionName}`, AssumedRoleId: `${role.roleId}:${sessionName}` },
      Credentials: {
        AccessKeyId: session.accessKeyId,
        AccessKeySecret: session.accessKeySecret,
        SecurityToken: session.securityToken,
        Expiration: stsTimestamp(expiration),
      },
      ...(sourceIdentity ? { SourceIdentity: sourceIdentity } : {}),
    };
  }

  /** Forget sessions an hour past expiry; until then they are reported as expired rather than unknown. */
  private purge(now: Date): void {
    if (this.sessions.size < 1000) return;
    const purged: string[] = [];
    for (const [id, s] of this.sessions)
      if (s.expiration.getTime() + 3_600_000 < now.getTime()) {
        this.sessions.delete(id);
        purged.push(id);
      }
    if (purged.length) this.emit({ kind: 'purged', accessKeyIds: purged });
  }
}

function sessionIssued(s: Session): IamChange {
  const { role, ...rest } = s;
  return { kind: 'issued', session: { ...rest, roleName: role.name } };
}
