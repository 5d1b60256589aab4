import { describe, expect, it } from 'vitest';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';
import { parsePolicy, PolicyGrammarError } from '../../local/sts/policy';
import { wildcardMatch } from '../../local/sts/evaluator';

const ACCOUNT = '5555666677778888';
const table = (t: string, region = 'cn-hangzhou') => `acs:ots:${region}:${ACCOUNT}:instance/inst/table/${t}`;
const tablesOf = (...ts: string[]) => ts.map((t) => table(t));
const ISSUED_AT = new Date('2026-11-23T01:00:00Z');

type Doc = Record<string, unknown>;
const allow = (Action: string | string[], Resource: string | string[], Condition?: Doc): Doc => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const deny = (Action: string | string[], Resource: string | string[], Condition?: Doc): Doc => ({
  Effect: 'Deny',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const policy = (...Statement: Doc[]): Doc => ({ Version: '1', Statement });

interface Case {
  readonly name: string;
  /** Role policies: system names or documents. */
  readonly role: (string | Doc)[];
  /** AssumeRole session policy. */
  readonly session?: Doc;
  readonly api: string;
  readonly resources: string[];
  readonly ip?: string;
  readonly secure?: boolean;
  readonly now?: string;
  readonly allowed: boolean;
}

const cases: Case[] = [
  { name: 'FullAccess reads', role: ['AliyunOTSFullAccess'], api: 'GetRow', resources: tablesOf('t1'), allowed: true },
  {
    name: 'FullAccess deletes tables',
    role: ['AliyunOTSFullAccess'],
    api: 'DeleteTable',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'ReadOnly GetRow',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'ReadOnly GetRange',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'GetRange',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'ReadOnly ListTable',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'ListTable',
    resources: tablesOf('*'),
    allowed: true,
  },
  {
    name: 'ReadOnly DescribeTable',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'DescribeTable',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'ReadOnly BatchGetRow',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'BatchGetRow',
    resources: tablesOf('t1', 't2'),
    allowed: true,
  },
  {
    name: 'ReadOnly GetTimeseriesData',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'GetTimeseriesData',
    resources: tablesOf('ts'),
    allowed: true,
  },
  {
    name: 'ReadOnly QueryTimeseriesMeta',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'QueryTimeseriesMeta',
    resources: tablesOf('ts'),
    allowed: true,
  },
  {
    name: 'ReadOnly refuses PutRow',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'PutRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'ReadOnly refuses BatchWriteRow',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'BatchWriteRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'ReadOnly refuses PutTimeseriesData',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'PutTimeseriesData',
    resources: tablesOf('ts'),
    allowed: false,
  },
  {
    name: 'ReadOnly refuses CreateTable',
    role: ['AliyunOTSReadOnlyAccess'],
    api: 'CreateTable',
    resources: tablesOf('t9'),
    allowed: false,
  },
  {
    name: 'WriteOnly PutRow',
    role: ['AliyunOTSWriteOnlyAccess'],
    api: 'PutRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'WriteOnly UpdateRow',
    role: ['AliyunOTSWriteOnlyAccess'],
    api: 'UpdateRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'WriteOnly refuses GetRow',
    role: ['AliyunOTSWriteOnlyAccess'],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  { name: 'no policy at all', role: [], api: 'GetRow', resources: tablesOf('t1'), allowed: false },
  {
    name: 'STS policy does not grant OTS',
    role: ['AliyunSTSAssumeRoleAccess'],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  // Resource matching and wildcards
  {
    name: 'exact table allowed',
    role: [policy(allow('ots:GetRow', table('t1')))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'other table refused',
    role: [policy(allow('ots:GetRow', table('t1')))],
    api: 'GetRow',
    resources: tablesOf('t2'),
    allowed: false,
  },
  {
    name: 'action prefix wildcard',
    role: [policy(allow('ots:Get*', table('t*')))],
    api: 'GetRange',
    resources: tablesOf('t22'),
    allowed: true,
  },
  {
    name: 'action wildcard does not cover Put',
    role: [policy(allow('ots:Get*', table('*')))],
    api: 'PutRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: '? matches one character',
    role: [policy(allow('ots:GetRow', table('t?')))],
    api: 'GetRow',
    resources: tablesOf('t9'),
    allowed: true,
  },
  {
    name: '? does not match two',
    role: [policy(allow('ots:GetRow', table('t?')))],
    api: 'GetRow',
    resources: tablesOf('t12'),
    allowed: false,
  },
  {
    name: 'instance ARN does not cover its tables',
    role: [policy(allow('ots:*', `acs:ots:*:${ACCOUNT}:instance/inst`))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'instance* covers its tables',
    role: [policy(allow('ots:*', `acs:ots:*:${ACCOUNT}:instance/inst*`))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'wrong region refused',
    role: [policy(allow('ots:*', `acs:ots:cn-shanghai:${ACCOUNT}:instance/inst/table/*`))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'actions match case-insensitively',
    role: [policy(allow('OTS:getrow', '*'))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'NotAction allows the rest',
    role: [policy({ Effect: 'Allow', NotAction: 'ots:Delete*', Resource: '*' })],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'NotAction excludes its actions',
    role: [policy({ Effect: 'Allow', NotAction: 'ots:Delete*', Resource: '*' })],
    api: 'DeleteRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  // Explicit deny
  {
    name: 'explicit deny on one table',
    role: ['AliyunOTSFullAccess', policy(deny('ots:PutRow', table('secret')))],
    api: 'PutRow',
    resources: tablesOf('secret'),
    allowed: false,
  },
  {
    name: 'explicit deny leaves other tables',
    role: ['AliyunOTSFullAccess', policy(deny('ots:PutRow', table('secret')))],
    api: 'PutRow',
    resources: tablesOf('public'),
    allowed: true,
  },
  {
    name: 'deny * beats allow *',
    role: [policy(allow('ots:*', '*'), deny('*', '*'))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  // Session policy: only narrows
  {
    name: 'session policy narrows to GetRow',
    role: ['AliyunOTSFullAccess'],
    session: policy(allow('ots:GetRow', '*')),
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: true,
  },
  {
    name: 'session policy refuses what it omits',
    role: ['AliyunOTSFullAccess'],
    session: policy(allow('ots:GetRow', '*')),
    api: 'PutRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'session policy cannot widen',
    role: ['AliyunOTSReadOnlyAccess'],
    session: policy(allow('ots:*', '*')),
    api: 'PutRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'session policy explicit deny',
    role: ['AliyunOTSFullAccess'],
    session: policy(allow('ots:*', '*'), deny('ots:*', table('secret'))),
    api: 'GetRow',
    resources: tablesOf('secret'),
    allowed: false,
  },
  {
    name: 'session policy narrows tables',
    role: ['AliyunOTSReadOnlyAccess'],
    session: policy(allow('ots:*', table('mine'))),
    api: 'GetRow',
    resources: tablesOf('yours'),
    allowed: false,
  },
  // Conditions
  {
    name: 'SourceIp in CIDR',
    role: [policy(allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '10.1.2.3',
    allowed: true,
  },
  {
    name: 'SourceIp outside CIDR',
    role: [policy(allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '127.0.0.1',
    allowed: false,
  },
  {
    name: 'SourceIp as IPv4-mapped IPv6',
    role: [policy(allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '::ffff:10.0.0.5',
    allowed: true,
  },
  {
    name: 'SourceIp list is OR',
    role: [policy(allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '192.168.3.4',
    allowed: true,
  },
  {
    name: 'deny from outside the office (NotIpAddress) – inside',
    role: ['AliyunOTSFullAccess', policy(deny('ots:*', '*', { NotIpAddress: { 'acs:SourceIp': '127.0.0.0/8' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '127.0.0.1',
    allowed: true,
  },
  {
    name: 'deny from outside the office (NotIpAddress) – outside',
    role: ['AliyunOTSFullAccess', policy(deny('ots:*', '*', { NotIpAddress: { 'acs:SourceIp': '127.0.0.0/8' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '192.168.1.1',
    allowed: false,
  },
  {
    name: 'CurrentTime before the cut-off',
    role: [policy(allow('ots:*', '*', { DateLessThan: { 'acs:CurrentTime': '2030-01-01T00:00:00Z' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    now: '2026-11-23T01:00:00Z',
    allowed: true,
  },
  {
    name: 'CurrentTime after the cut-off',
    role: [policy(allow('ots:*', '*', { DateLessThan: { 'acs:CurrentTime': '2030-01-01T00:00:00Z' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    now: '2031-01-01T00:00:00Z',
    allowed: false,
  },
  {
    name: 'time window is AND of operators (before)',
    role: [
      policy(
        allow('ots:*', '*', {
          DateGreaterThan: { 'acs:CurrentTime': '2026-11-23T09:00:00Z' },
          DateLessThan: { 'acs:CurrentTime': '2026-11-23T18:00:00Z' },
        }),
      ),
    ],
    api: 'GetRow',
    resources: tablesOf('t1'),
    now: '2026-11-23T08:59:59Z',
    allowed: false,
  },
  {
    name: 'time window is AND of operators (inside)',
    role: [
      policy(
        allow('ots:*', '*', {
          DateGreaterThan: { 'acs:CurrentTime': '2026-11-23T09:00:00Z' },
          DateLessThan: { 'acs:CurrentTime': '2026-11-23T18:00:00Z' },
        }),
      ),
    ],
    api: 'GetRow',
    resources: tablesOf('t1'),
    now: '2026-11-23T12:00:00Z',
    allowed: true,
  },
  {
    name: 'SecureTransport required, plain HTTP',
    role: [policy(allow('ots:*', '*', { Bool: { 'acs:SecureTransport': 'true' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    secure: false,
    allowed: false,
  },
  {
    name: 'SecureTransport required, HTTPS',
    role: [policy(allow('ots:*', '*', { Bool: { 'acs:SecureTransport': 'true' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    secure: true,
    allowed: true,
  },
  {
    name: 'every condition key must hold (IP ok, transport not)',
    role: [
      policy(
        allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': '127.0.0.1' }, Bool: { 'acs:SecureTransport': true } }),
      ),
    ],
    api: 'GetRow',
    resources: tablesOf('t1'),
    secure: false,
    allowed: false,
  },
  {
    name: 'absent condition key fails a positive operator',
    role: [policy(allow('ots:*', '*', { StringEquals: { 'acs:MFAPresent': 'true' } }))],
    api: 'GetRow',
    resources: tablesOf('t1'),
    allowed: false,
  },
  {
    name: 'session policy with an IP condition',
    role: ['AliyunOTSFullAccess'],
    session: policy(allow('ots:*', '*', { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } })),
    api: 'GetRow',
    resources: tablesOf('t1'),
    ip: '127.0.0.1',
    allowed: false,
  },
  // Batch APIs: every table must pass
  {
    name: 'batch read, all tables allowed',
    role: [policy(allow('ots:BatchGetRow', [table('a'), table('b')]))],
    api: 'BatchGetRow',
    resources: tablesOf('a', 'b'),
    allowed: true,
  },
  {
    name: 'batch read, one table not allowed',
    role: [policy(allow('ots:BatchGetRow', table('a')))],
    api: 'BatchGetRow',
    resources: tablesOf('a', 'b'),
    allowed: false,
  },
  {
    name: 'batch write, one table explicitly denied',
    role: ['AliyunOTSFullAccess', policy(deny('ots:BatchWriteRow', table('audit')))],
    api: 'BatchWriteRow',
    resources: tablesOf('a', 'b', 'audit'),
    allowed: false,
  },
  {
    name: 'batch write, session policy covers only some',
    role: ['AliyunOTSFullAccess'],
    session: policy(allow('ots:BatchWriteRow', table('a'))),
    api: 'BatchWriteRow',
    resources: tablesOf('a', 'b'),
    allowed: false,
  },
];

function decide(c: Case): { allowed: boolean; reason?: string } {
  const iam = new LocalIam(parseIdentities({ accountId: ACCOUNT, roles: [{ name: 'r', policies: c.role }] }));
  const issued = iam.issueForService('r', 'fc.aliyuncs.com', {
    now: ISSUED_AT,
    ...(c.session ? { policy: JSON.stringify(c.session) } : {}),
  });
  const lookup = iam.lookup(issued.Credentials.AccessKeyId, issued.Credentials.SecurityToken, ISSUED_AT);
  if (!lookup.ok) throw new Error(`lookup failed: ${lookup.code}`);
  expect(lookup.accountId).toBe(ACCOUNT);
  const d = lookup.authorize({
    action: `ots:${c.api}`,
    resources: c.resources,
    region: 'cn-hangzhou',
    instance: 'inst',
    sourceIp: c.ip ?? '127.0.0.1',
    secureTransport: c.secure ?? true,
    now: new Date(c.now ?? ISSUED_AT),
  });
  return d.allowed ? { allowed: true } : { allowed: false, reason: d.reason };
}

describe('RAM policy matrix (role policies ∩ session policy, through the IdentityStore)', () => {
  it('has at least 30 cases, both outcomes well represented', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => c.allowed).length).toBeGreaterThanOrEqual(15);
    expect(cases.filter((c) => !c.allowed).length).toBeGreaterThanOrEqual(15);
  });
  it.each(cases)('$name → allowed=$allowed', (c) => {
    const d = decide(c);
    expect(d.allowed).toBe(c.allowed);
    if (!d.allowed) expect(d.reason).toMatch(/ots:/);
  });
});

describe('IdentityStore lookups', () => {
  const iam = new LocalIam(
    parseIdentities({
      accountId: ACCOUNT,
      rootAccessKeys: [{ id: 'ROOT000001', secret: 'r' }],
      users: [
        {
          name: 'reader',
          accessKeys: [
            { id: 'READER0001', secret: 'rs' },
            { id: 'READER0002', secret: 'old', status: 'Inactive' },
          ],
          policies: ['AliyunOTSReadOnlyAccess'],
        },
      ],
      roles: [{ name: 'r', policies: ['AliyunOTSReadOnlyAccess'] }],
    }),
  );
  const req = (action: string) => ({
    action,
    resources: tablesOf('t'),
    region: 'cn-hangzhou',
    instance: 'inst',
    sourceIp: '127.0.0.1',
    secureTransport: false,
    now: ISSUED_AT,
  });

  it('RAM user long-term keys carry the user policies; root may do anything', () => {
    const user = iam.lookup('READER0001', undefined, ISSUED_AT);
    expect(user.ok && user.secret).toBe('rs');
    expect(user.ok && user.authorize(req('ots:GetRow')).allowed).toBe(true);
    expect(user.ok && user.authorize(req('ots:PutRow')).allowed).toBe(false);
    const root = iam.lookup('ROOT000001', undefined, ISSUED_AT);
    expect(root.ok && root.authorize(req('ots:DeleteTable')).allowed).toBe(true);
  });

  it('rejects unknown and disabled keys, and tokens on long-term keys, with OTSAuthFailed', () => {
    expect(iam.lookup('NOPE', undefined, ISSUED_AT)).toMatchObject({
      ok: false,
      code: 'OTSAuthFailed',
      httpStatus: 403,
    });
    expect(iam.lookup('READER0002', undefined, ISSUED_AT)).toMatchObject({
      ok: false,
      code: 'OTSAuthFailed',
      message: 'The AccessKeyID is disabled.',
    });
    expect(iam.lookup('READER0001', 'some-token', ISSUED_AT)).toMatchObject({ ok: false, code: 'OTSAuthFailed' });
  });

  it('rejects expired, forged, replaced (revoked) and token-less STS keys', () => {
    const c = iam.issueForService('r', 'fc.aliyuncs.com', { durationSeconds: 900, now: ISSUED_AT }).Credentials;
    expect(iam.lookup(c.AccessKeyId, c.SecurityToken, new Date(ISSUED_AT.getTime() + 899_000)).ok).toBe(true);
    expect(iam.lookup(c.AccessKeyId, c.SecurityToken, new Date(ISSUED_AT.getTime() + 900_000))).toMatchObject({
      ok: false,
      code: 'OTSNoPermissionAccess',
      httpStatus: 403,
      message: 'The security token has expired.',
    });
    expect(iam.lookup(c.AccessKeyId, `${c.SecurityToken}x`, ISSUED_AT)).toMatchObject({
      ok: false,
      code: 'OTSNoPermissionAccess',
    });
    expect(iam.lookup(c.AccessKeyId, undefined, ISSUED_AT)).toMatchObject({ ok: false, code: 'OTSAuthFailed' });
    expect(iam.lookup('STS.NTunknown', c.SecurityToken, ISSUED_AT)).toMatchObject({ ok: false, code: 'OTSAuthFailed' });
    iam.revoke(c.AccessKeyId);
    expect(iam.lookup(c.AccessKeyId, c.SecurityToken, ISSUED_AT)).toMatchObject({
      ok: false,
      code: 'OTSNoPermissionAccess',
    });
  });

  it('makes the expired-token code configurable (OTSAuthFailed variant)', () => {
    const strictIam = new LocalIam(iam.identities, { tokenFailure: { code: 'OTSAuthFailed', httpStatus: 403 } });
    const c = strictIam.issueForService('r', 'fc.aliyuncs.com', { durationSeconds: 900, now: ISSUED_AT }).Credentials;
    expect(strictIam.lookup(c.AccessKeyId, c.SecurityToken, new Date(ISSUED_AT.getTime() + 901_000))).toMatchObject({
      ok: false,
      code: 'OTSAuthFailed',
    });
  });

  it('soft enforcement allows but reports the denial', () => {
    const denials: string[] = [];
    const soft = new LocalIam(iam.identities, {
      enforcement: 'soft',
      onDenied: (e) => denials.push(`${e.principal} ${e.action}`),
    });
    const user = soft.lookup('READER0001', undefined, ISSUED_AT);
    expect(user.ok && user.authorize(req('ots:PutRow')).allowed).toBe(true);
    expect(denials).toEqual([`acs:ram::${ACCOUNT}:user/reader ots:PutRow`]);
  });
});

describe('policy grammar', () => {
  it.each([
    ['not JSON', '{'],
    ['wrong version', { Version: '2', Statement: [allow('ots:*', '*')] }],
    ['no statements', { Version: '1', Statement: [] }],
    ['bad effect', { Version: '1', Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }],
    ['no resource', { Version: '1', Statement: [{ Effect: 'Allow', Action: '*' }] }],
    [
      'Action and NotAction',
      { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', NotAction: 'x', Resource: '*' }] },
    ],
    ['unknown operator', { Version: '1', Statement: [allow('*', '*', { StringSorta: { 'acs:SourceIp': 'x' } })] }],
    ['unknown element', { Version: '1', Statement: [{ ...allow('*', '*'), Principal: '*' }] }],
  ])('rejects %s', (_name, doc) => {
    expect(() => parsePolicy(doc)).toThrow(PolicyGrammarError);
  });

  it('wildcards: * crosses separators, ? is one character, the rest is literal', () => {
    expect(wildcardMatch('acs:ots:*:1:instance/*', 'acs:ots:cn-hangzhou:1:instance/i/table/t', false)).toBe(true);
    expect(wildcardMatch('a.c', 'abc', false)).toBe(false);
    expect(wildcardMatch('a?c', 'abc', false)).toBe(true);
    expect(wildcardMatch('a(b)+', 'a(b)+', false)).toBe(true);
  });
});
