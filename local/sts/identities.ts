/**
 * The identities file: who exists in Tablestore Local's pretend Alibaba Cloud account. JSON:
 *
 *   { "accountId": "1234567890123456",
 *     "rootAccessKeys": [{ "id": "...", "secret": "..." }],            // optional; root may not AssumeRole
 *     "policies": { "<custom name>": { "Version": "1", "Statement": [...] } },
 *     "users": [{ "name": "dev", "accessKeys": [{ "id", "secret", "status"? }], "policies": ["<name>" | {doc}] }],
 *     "roles": [{ "name": "reader", "maxSessionDuration": 3600, "trustPolicy"?: {doc}, "policies": [...] }] }
 *
 * Policy references are system policy names (AliyunOTSFullAccess, AliyunOTSReadOnlyAccess,
 * AliyunOTSWriteOnlyAccess, AliyunSTSAssumeRoleAccess), names from "policies", or inline documents.
 */
import { readFileSync } from 'node:fs';
import {
  parsePolicy,
  PolicyGrammarError,
  SYSTEM_POLICIES,
  type ConditionBlock,
  type Effect,
  type Policy,
} from './policy';

export interface AccessKey {
  readonly id: string;
  readonly secret: string;
  readonly active: boolean;
}

export interface User {
  readonly name: string;
  readonly accessKeys: readonly AccessKey[];
  readonly policies: readonly Policy[];
}

export interface TrustStatement {
  readonly effect: Effect;
  readonly actions: readonly string[];
  readonly ram: readonly string[];
  readonly services: readonly string[];
  readonly condition?: ConditionBlock;
}

export interface Role {
  readonly name: string;
  /** Stable, made-up numeric id (AssumedRoleId = `<roleId>:<sessionName>`). */
  readonly roleId: string;
  readonly arn: string;
  readonly maxSessionDuration: number;
  readonly trust: readonly TrustStatement[];
  readonly policies: readonly Policy[];
}

export interface Identities {
  readonly accountId: string;
  readonly rootAccessKeys: readonly AccessKey[];
  readonly users: readonly User[];
  readonly roles: readonly Role[];
}

export class IdentitiesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentitiesError';
  }
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function list(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new IdentitiesError(`${where} must be a list`);
  return v;
}

function str(v: unknown, where: string, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0) throw new IdentitiesError(`${where} must be a non-empty string`);
  if (pattern && !pattern.test(v)) throw new IdentitiesError(`${where} ${JSON.stringify(v)} must match ${pattern}`);
  return v;
}

function accessKeys(v: unknown, where: string): AccessKey[] {
  return list(v, where).map((k, i) => {
    const w = `${where}[${i}]`;
    if (!isRecord(k)) throw new IdentitiesError(`${w} must be an object`);
    const status = k.status ?? 'Active';
    if (status !== 'Active' && status !== 'Inactive')
      throw new IdentitiesError(`${w}.status must be Active or Inactive`);
    const id = str(k.id, `${w}.id`, /^[A-Za-z0-9._-]{4,128}$/);
    if (id.startsWith('STS.')) throw new IdentitiesError(`${w}.id: the STS. prefix is reserved for issued tokens`);
    return { id, secret: str(k.secret, `${w}.secret`), active: status === 'Active' };
  });
}

function roleIdFor(accountId: string, name: string): string {
  let h = 0n;
  for (const ch of `${accountId}/${name.toLowerCase()}`) h = (h * 131n + BigInt(ch.codePointAt(0)!)) % 10n ** 18n;
  return `3${h.toString().padStart(18, '0')}`;
}

function parseTrust(doc: unknown, where: string): TrustStatement[] {
  if (!isRecord(doc) || doc.Version !== '1') throw new IdentitiesError(`${where} must be a policy with Version "1"`);
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.map((s, i) => {
    const w = `${where}.Statement[${i}]`;
    if (!isRecord(s)) throw new IdentitiesError(`${w} must be an object`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new IdentitiesError(`${w}.Effect must be Allow or Deny`);
    if (!isRecord(s.Principal)) throw new IdentitiesError(`${w}.Principal must be an object`);
    const toList = (v: unknown, key: string): string[] =>
      v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x, j) => str(x, `${w}.${key}[${j}]`));
    // Reuse the identity-policy grammar for Action and Condition.
    let parsed;
    try {
      parsed = parsePolicy({
        Version: '1',
        Statement: [
          {
            Effect: s.Effect,
            Action: s.Action ?? 'sts:AssumeRole',
            Resource: '*',
            ...(s.Condition ? { Condition: s.Condition } : {}),
          },
        ],
      }).statements[0]!;
    } catch (e) {
      throw new IdentitiesError(`${w}: ${(e as Error).message}`);
    }
    return {
      effect: s.Effect,
      actions: parsed.actions ?? [],
      ram: toList(s.Principal.RAM, 'Principal.RAM'),
      services: toList(s.Principal.Service, 'Principal.Service'),
      ...(parsed.condition ? { condition: parsed.condition } : {}),
    };
  });
}

/** Validate and resolve an identities document (already parsed JSON). */
export function parseIdentities(doc: unknown): Identities {
  if (!isRecord(doc)) throw new IdentitiesError('identities must be a JSON object');
  const accountId = str(doc.accountId ?? DEFAULT_ACCOUNT_ID, 'accountId', /^\d{1,32}$/);
  const custom: Record<string, Policy> = {};
  if (doc.policies !== undefined) {
    if (!isRecord(doc.policies)) throw new IdentitiesError('policies must map names to policy documents');
    for (const [name, body] of Object.entries(doc.policies)) {
      if (SYSTEM_POLICIES[name]) throw new IdentitiesError(`policies.${name}: that is a system policy name`);
      try {
        custom[name] = parsePolicy(body, name);
      } catch (e) {
        throw new IdentitiesError(`policies.${name}: ${(e as Error).message}`);
      }
    }
  }
  const resolve = (refs: unknown, where: string): Policy[] =>
    list(refs, where).map((ref, i) => {
      if (typeof ref === 'string') {
        const p = SYSTEM_POLICIES[ref] ?? custom[ref];
        if (!p) throw new IdentitiesError(`${where}[${i}]: unknown policy ${JSON.stringify(ref)}`);
        return p;
      }
      try {
        return parsePolicy(ref, `${where}[${i}]`);
      } catch (e) {
        if (e instanceof PolicyGrammarError) throw new IdentitiesError(`${where}[${i}]: ${e.message}`);
        throw e;
      }
    });

  const seenKeys = new Set<string>();
  const checkKeys = (keys: AccessKey[], where: string): AccessKey[] => {
    for (const k of keys) {
      if (seenKeys.has(k.id)) throw new IdentitiesError(`${where}: AccessKeyId ${k.id} is used twice`);
      seenKeys.add(k.id);
    }
    return keys;
  };

  const rootAccessKeys = checkKeys(accessKeys(doc.rootAccessKeys, 'rootAccessKeys'), 'rootAccessKeys');
  const names = new Set<string>();
  const users = list(doc.users, 'users').map((u, i): User => {
    const w = `users[${i}]`;
    if (!isRecord(u)) throw new IdentitiesError(`${w} must be an object`);
    const name = str(u.name, `${w}.name`, /^[A-Za-z0-9._@-]{1,64}$/);
    if (names.has(`u:${name.toLowerCase()}`)) throw new IdentitiesError(`${w}: user ${name} defined twice`);
    names.add(`u:${name.toLowerCase()}`);
    return {
      name,
      accessKeys: checkKeys(accessKeys(u.accessKeys, `${w}.accessKeys`), w),
      policies: resolve(u.policies, `${w}.policies`),
    };
  });
  const roles = list(doc.roles, 'roles').map((r, i): Role => {
    const w = `roles[${i}]`;
    if (!isRecord(r)) throw new IdentitiesError(`${w} must be an object`);
    const name = str(r.name, `${w}.name`, /^[A-Za-z0-9.-]{1,64}$/);
    if (names.has(`r:${name.toLowerCase()}`)) throw new IdentitiesError(`${w}: role ${name} defined twice`);
    names.add(`r:${name.toLowerCase()}`);
    const max = r.maxSessionDuration ?? 3600;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 3600 || max > 43200) {
      throw new IdentitiesError(`${w}.maxSessionDuration must be an integer from 3600 to 43200`);
    }
    const trust = r.trustPolicy ?? defaultTrustPolicy(accountId);
    return {
      name,
      roleId: roleIdFor(accountId, name),
      arn: `acs:ram::${accountId}:role/${name.toLowerCase()}`,
      maxSessionDuration: max,
      trust: parseTrust(trust, `${w}.trustPolicy`),
      policies: resolve(r.policies, `${w}.policies`),
    };
  });
  return { accountId, rootAccessKeys, users, roles };
}

export function loadIdentities(path: string): Identities {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new IdentitiesError(`cannot read identities file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new IdentitiesError(`identities file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseIdentities(doc);
  } catch (e) {
    if (e instanceof IdentitiesError) throw new IdentitiesError(`${path}: ${e.message}`);
    throw e;
  }
}

export const DEFAULT_ACCOUNT_ID = '1234567890123456';

/** Any RAM identity of the account, and Function Compute (for execution roles). */
export function defaultTrustPolicy(accountId: string): object {
  return {
    Version: '1',
    Statement: [
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${accountId}:root`] } },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } },
    ],
  };
}

/**
 * Used when no identities file is given. Local-only keys, printed in the docs on purpose: they mean nothing
 * outside Tablestore Local.
 */
export const DEFAULT_IDENTITIES_DOCUMENT = {
  accountId: DEFAULT_ACCOUNT_ID,
  users: [
    {
      name: 'admin',
      accessKeys: [{ id: 'LTAI5tLocalAdmin000000001', secret: 'local-admin-secret' }],
      policies: ['AliyunOTSFullAccess', 'AliyunSTSAssumeRoleAccess'],
    },
    {
      name: 'developer',
      accessKeys: [{ id: 'LTAI5tLocalDeveloper00001', secret: 'local-developer-secret' }],
      policies: ['AliyunSTSAssumeRoleAccess'],
    },
  ],
  roles: [
    { name: 'tablestore-reader', maxSessionDuration: 43200, policies: ['AliyunOTSReadOnlyAccess'] },
    {
      name: 'tablestore-writer',
      maxSessionDuration: 43200,
      policies: ['AliyunOTSReadOnlyAccess', 'AliyunOTSWriteOnlyAccess'],
    },
    { name: 'tablestore-admin', maxSessionDuration: 43200, policies: ['AliyunOTSFullAccess'] },
  ],
} as const;

export function defaultIdentities(): Identities {
  return parseIdentities(DEFAULT_IDENTITIES_DOCUMENT);
}
