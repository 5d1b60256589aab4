import { BlockList, isIP } from 'node:net';
import type { ConditionBlock, Policy, Statement } from './policy';

/** Condition keys and their values for one request (keys compared case-insensitively). */
export type RequestContext = Readonly<Record<string, string | undefined>>;

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface SetDecision {
  readonly decision: Decision;
  /** The policy that decided (for Allow and ExplicitDeny). */
  readonly policy?: string;
}

const patternCache = new Map<string, RegExp>();

/** RAM wildcards: `*` any run of characters (also across `/` and `:`), `?` one character; whole string. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const cacheKey = (ignoreCase ? 'i:' : 's:') + pattern;
  let re = patternCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(cacheKey, re);
  }
  return re.test(value);
}

function normaliseIp(ip: string): string {
  const trimmed = ip.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1] : trimmed;
}

/** Parsed once per policy value list (policies are immutable once parsed). */
const blockListCache = new WeakMap<readonly string[], BlockList>();

function blockListFor(list: readonly string[]): BlockList {
  let blocks = blockListCache.get(list);
  if (blocks) return blocks;
  blocks = new BlockList();
  for (const entry of list) {
    const [net, bits] = entry.trim().split('/');
    const netAddress = normaliseIp(net ?? '');
    const family = isIP(netAddress);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) blocks.addAddress(netAddress, type);
    else {
      const prefix = bits.trim() === '' ? NaN : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) continue;
      blocks.addSubnet(netAddress, prefix, type);
    }
  }
  blockListCache.set(list, blocks);
  return blocks;
}

function ipInList(ip: string, list: readonly string[]): boolean {
  const address = normaliseIp(ip);
  const family = isIP(address);
  if (family === 0) return false;
  return blockListFor(list).check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function toTime(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000; // epoch seconds
  return Date.parse(value);
}

type Compare = (actual: string, expected: string) => boolean;

const numeric =
  (f: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = Number(a);
    const y = Number(b);
    return a.trim() !== '' && b.trim() !== '' && !Number.isNaN(x) && !Number.isNaN(y) && f(x, y);
  };
const date =
  (f: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = toTime(a);
    const y = toTime(b);
    return !Number.isNaN(x) && !Number.isNaN(y) && f(x, y);
  };

/** Positive comparisons; a `negated` operator is true when its positive twin matches none of the values. */
const OPERATORS: Readonly<Record<string, { compare: Compare; negated: boolean } | { ip: true; negated: boolean }>> = {
  StringEquals: { compare: (a, b) => a === b, negated: false },
  StringNotEquals: { compare: (a, b) => a === b, negated: true },
  StringEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: true },
  StringLike: { compare: (a, b) => wildcardMatch(b, a, false), negated: false },
  StringNotLike: { compare: (a, b) => wildcardMatch(b, a, false), negated: true },
  NumericEquals: { compare: numeric((a, b) => a === b), negated: false },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b), negated: false },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b), negated: false },
  NumericGreaterThan: { compare: numeric((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b), negated: false },
  DateEquals: { compare: date((a, b) => a === b), negated: false },
  DateNotEquals: { compare: date((a, b) => a === b), negated: true },
  DateLessThan: { compare: date((a, b) => a < b), negated: false },
  DateLessThanEquals: { compare: date((a, b) => a <= b), negated: false },
  DateGreaterThan: { compare: date((a, b) => a > b), negated: false },
  DateGreaterThanEquals: { compare: date((a, b) => a >= b), negated: false },
  Bool: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  IpAddress: { ip: true, negated: false },
  NotIpAddress: { ip: true, negated: true },
};

function lookup(context: RequestContext, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * Every operator and every key must hold (AND); the values listed for one key are alternatives (OR).
 * A key the request does not carry fails positive operators and satisfies negated ones (AWS semantics; RAM
 * does not document it).
 */
export function conditionsHold(block: ConditionBlock | undefined, context: RequestContext): boolean {
  if (!block) return true;
  for (const [operator, keys] of Object.entries(block)) {
    const op = OPERATORS[operator];
    if (!op) return false;
    for (const [key, values] of Object.entries(keys)) {
      const actual = lookup(context, key);
      if (actual === undefined) {
        if (!op.negated) return false;
        continue;
      }
      const any = 'ip' in op ? ipInList(actual, values) : values.some((v) => op.compare(actual, v));
      if (any === op.negated) return false;
    }
  }
  return true;
}

function statementApplies(s: Statement, action: string, resource: string, context: RequestContext): boolean {
  const actionMatches = s.actions
    ? s.actions.some((p) => wildcardMatch(p, action, true))
    : !(s.notActions ?? []).some((p) => wildcardMatch(p, action, true));
  if (!actionMatches) return false;
  if (!s.resources.some((p) => wildcardMatch(p, resource, false))) return false;
  return conditionsHold(s.condition, context);
}

/** One policy set: any matching Deny wins, else any matching Allow, else implicit deny. */
export function evaluatePolicies(
  policies: readonly Policy[],
  action: string,
  resource: string,
  context: RequestContext,
): SetDecision {
  let allowedBy: string | undefined;
  for (const policy of policies) {
    for (const s of policy.statements) {
      if (!statementApplies(s, action, resource, context)) continue;
      if (s.effect === 'Deny') return { decision: 'ExplicitDeny', policy: policy.name };
      allowedBy ??= policy.name;
    }
  }
  return allowedBy ? { decision: 'Allow', policy: allowedBy } : { decision: 'ImplicitDeny' };
}

export interface AccessRequest {
  readonly action: string;
  readonly resources: readonly string[];
  readonly context: RequestContext;
}

export type AccessDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly reason: string;
      readonly type: 'ExplicitDeny' | 'ImplicitDeny';
      readonly resource: string;
    };

/**
 * Identity policies, optionally narrowed by a session policy (AssumeRole `Policy`): allowed only if no
 * explicit deny anywhere, the session policy allows and the identity policies allow. Every resource must be
 * allowed (batch APIs send one per table).
 */
export function evaluateAccess(
  identityPolicies: readonly Policy[],
  sessionPolicy: Policy | undefined,
  request: AccessRequest,
): AccessDecision {
  if (request.resources.length === 0) {
    return {
      allowed: false,
      type: 'ImplicitDeny',
      reason: `${request.action}: no resource to authorize`,
      resource: '',
    };
  }
  for (const resource of request.resources) {
    const session = sessionPolicy
      ? evaluatePolicies([sessionPolicy], request.action, resource, request.context)
      : undefined;
    const identity = evaluatePolicies(identityPolicies, request.action, resource, request.context);
    const deny =
      session?.decision === 'ExplicitDeny' ? session : identity.decision === 'ExplicitDeny' ? identity : undefined;
    if (deny) {
      return {
        allowed: false,
        type: 'ExplicitDeny',
        resource,
        reason: `${request.action} on ${resource} explicitly denied by ${deny === session ? 'the session policy' : `policy ${deny.policy}`}`,
      };
    }
    if (session && session.decision !== 'Allow') {
      return {
        allowed: false,
        type: 'ImplicitDeny',
        resource,
        reason: `${request.action} on ${resource} not allowed by the session policy`,
      };
    }
    if (identity.decision !== 'Allow') {
      return {
        allowed: false,
        type: 'ImplicitDeny',
        resource,
        reason: `${request.action} on ${resource} not allowed by any attached policy`,
      };
    }
  }
  return { allowed: true };
}
