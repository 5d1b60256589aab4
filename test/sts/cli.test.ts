import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runAssumeRole } from '../../local/sts/assume-role';
import { startIdentitiesFromCli } from '../../local/sts/cli-options';
import { startLocalSts, type LocalSts } from '../../local/sts/server';
import { DEFAULT_IDENTITIES_DOCUMENT, parseIdentities } from '../../local/sts/identities';
import { fromStatic } from '../../lib/credentials';

const dev = DEFAULT_IDENTITIES_DOCUMENT.users[1].accessKeys[0];
const readerArn = `acs:ram::${DEFAULT_IDENTITIES_DOCUMENT.accountId}:role/tablestore-reader`;
const dir = mkdtempSync(join(tmpdir(), 'assume-role-cli-'));

let sts: LocalSts;
beforeAll(async () => {
  sts = await startLocalSts();
});
afterAll(async () => {
  await sts.stop();
});

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await runAssumeRole(
    args,
    { out: (t) => (out += t), err: (t) => (err += t) },
    {
      source: fromStatic({ accessKeyId: dev.id, accessKeySecret: dev.secret }),
    },
  );
  return { code, out, err };
}

const exported = (out: string, name: string) => {
  const m = new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(out);
  return m?.[1];
};

describe('npm run assume-role', () => {
  it('prints the AccessKeyId and expiration, with secrets masked', async () => {
    const r = await run([
      '--role-arn',
      readerArn,
      '--sts-endpoint',
      sts.stsEndpoint,
      '--ca-cert',
      sts.caCertPath,
      '--duration',
      '1800',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^AccessKeyId: +STS\.\S+$/m);
    expect(r.out).toMatch(/^Expiration: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 1[78]\d\d s\)$/m);
    expect(r.out).toMatch(/^AccessKeySecret: .*masked/m);
    const tokenLine = /^SecurityToken: +(.*)$/m.exec(r.out)![1];
    expect(tokenLine).toMatch(/masked/);
    expect(tokenLine.length).toBeLessThan(60);
  });

  it('prints usable export lines with --export --show-secrets, honouring --policy', async () => {
    const policyFile = join(dir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:GetRow', Resource: '*' }] }),
    );
    const r = await run([
      '--role-arn',
      readerArn,
      '--sts-endpoint',
      sts.stsEndpoint,
      '--ca-cert',
      sts.caCertPath,
      '--policy',
      policyFile,
      '--export',
      '--show-secrets',
    ]);
    expect(r.code).toBe(0);
    const id = exported(r.out, 'ALIBABA_CLOUD_ACCESS_KEY_ID')!;
    const secret = exported(r.out, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET')!;
    const token = exported(r.out, 'ALIBABA_CLOUD_SECURITY_TOKEN')!;
    expect(exported(r.out, 'TABLESTORE_SESSION_TOKEN')).toBe(token);
    const lookup = sts.iam.lookup(id, token, new Date());
    expect(lookup.ok && lookup.secret).toBe(secret);
    const request = (action: string) => ({
      action,
      resources: [`acs:ots:cn-hangzhou:${DEFAULT_IDENTITIES_DOCUMENT.accountId}:instance/local/table/t`],
      region: 'cn-hangzhou',
      instance: 'local',
      sourceIp: '127.0.0.1',
      secureTransport: false,
      now: new Date(),
    });
    expect(lookup.ok && lookup.authorize(request('ots:GetRow')).allowed).toBe(true);
    // The session policy narrows the read-only role further: GetRange is refused.
    expect(lookup.ok && lookup.authorize(request('ots:GetRange')).allowed).toBe(false);
  });

  it('masks export lines unless asked, and says so', async () => {
    const r = await run([
      '--role-arn',
      readerArn,
      '--sts-endpoint',
      sts.stsEndpoint,
      '--ca-cert',
      sts.caCertPath,
      '--export',
    ]);
    expect(exported(r.out, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET')).toMatch(/masked/);
    expect(r.err).toMatch(/--show-secrets/);
  });

  it('fails clearly on bad input and on STS refusals', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--role-arn', readerArn, '--duration', '60'])).code).toBe(2);
    expect((await run(['--role-arn', readerArn, '--policy', join(dir, 'missing.json')])).code).toBe(2);
    const refused = await run([
      '--role-arn',
      readerArn.replace('tablestore-reader', 'ghost'),
      '--sts-endpoint',
      sts.stsEndpoint,
      '--ca-cert',
      sts.caCertPath,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/EntityNotExist\.Role/);
  });

  it('runs as a real process with the caller’s keys from the environment', async () => {
    const { stdout } = await promisify(execFile)(
      join(process.cwd(), 'node_modules/.bin/tsx'),
      [
        'local/sts/assume-role-cli.ts',
        '--role-arn',
        readerArn,
        '--sts-endpoint',
        sts.stsEndpoint,
        '--ca-cert',
        sts.caCertPath,
      ],
      {
        env: { ...process.env, ALIBABA_CLOUD_ACCESS_KEY_ID: dev.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: dev.secret },
        timeout: 30_000,
      },
    );
    expect(stdout).toMatch(/^AccessKeyId: +STS\./m);
    expect(stdout).not.toContain(dev.secret);
  });
});

describe('local STS CLI flags', () => {
  it('start nothing without --identities/--sts-port', async () => {
    expect(await startIdentitiesFromCli({})).toBeUndefined();
  });

  it('load an identities file, keep the host’s access keys as root keys, and start the STS', async () => {
    const file = join(dir, 'identities.json');
    writeFileSync(
      file,
      JSON.stringify({
        accountId: '42424242',
        users: [
          {
            name: 'u',
            accessKeys: [{ id: 'UKEY0001', secret: 'user-secret-xyz' }],
            policies: ['AliyunSTSAssumeRoleAccess'],
          },
        ],
        roles: [{ name: 'ro', policies: ['AliyunOTSReadOnlyAccess'] }],
      }),
    );
    const started = await startIdentitiesFromCli(
      { identities: file, 'sts-port': '0', 'sts-cert-dir': join(dir, 'cert') },
      { rootAccessKeys: [{ id: 'local-access-key-id', secret: 'local-access-key-secret' }] },
    );
    try {
      expect(started!.lines.join('\n')).toMatch(
        /Local STS \(AssumeRole\) listening on https:\/\/127\.0\.0\.1:\d+; trust its CA: .*cert\.pem/,
      );
      expect(started!.lines.join('\n')).toContain('acs:ram::42424242:role/ro');
      expect(started!.lines.join('\n')).not.toContain('user-secret-xyz');
      expect(started!.identities.lookup('local-access-key-id', undefined, new Date())).toMatchObject({
        ok: true,
        accountId: '42424242',
      });
      expect(started!.identities.lookup('UKEY0001', undefined, new Date()).ok).toBe(true);
    } finally {
      await started!.stop();
    }
  });

  it('accept the example identities file shipped with the repo', async () => {
    const started = await startIdentitiesFromCli({
      identities: 'local/sts/identities.example.json',
      'sts-port': '0',
      'sts-cert-dir': join(dir, 'cert2'),
    });
    try {
      expect(started!.lines.join('\n')).toContain('acs:ram::1234567890123456:role/orders-reader');
      expect(started!.identities.lookup('ALICEKEY0001', undefined, new Date()).ok).toBe(true);
    } finally {
      await started!.stop();
    }
  });

  it('reject a broken identities file with the path and the problem', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ users: [{ name: 'u', policies: ['NoSuchPolicy'] }] }));
    await expect(startIdentitiesFromCli({ identities: file, 'sts-port': '0' })).rejects.toThrow(
      /bad\.json: users\[0\]\.policies\[0\]: unknown policy "NoSuchPolicy"/,
    );
    await expect(startIdentitiesFromCli({ 'sts-port': 'x' })).rejects.toThrow(/Invalid --sts-port/);
    expect(() => parseIdentities({ roles: [{ name: 'r', maxSessionDuration: 99 }] })).toThrow(/maxSessionDuration/);
  });
});
