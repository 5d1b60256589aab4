import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateSync } from 'node:zlib';
import { connect } from 'node:net';
import {
  TableStore,
  sdkClient,
  sdkError,
  startLocal,
  TEST_ACCESS_KEY,
  type LocalTablestoreHandle,
} from '../helpers/tablestore-local';
import { rawCall, type RawResponse } from '../helpers/ots-raw';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import {
  contentMd5,
  deriveV4SigningKey,
  GO_SIGNED_HEADERS,
  responseAuthorization,
  signV2,
  v4SignDate,
} from '../../lib/tablestore/protocol/sign';
import { decodeMessage, encodeMessage } from '../../lib/tablestore/protocol/proto/wide';
import { encodePrimaryKey } from '../../lib/tablestore/protocol/plainbuffer';
import type { AuthzRequest, IdentityStore } from '../../local/tablestore/auth/identity';
import { LocalIam } from '../../local/sts/iam';
import { parseIdentities } from '../../local/sts/identities';

let local: LocalTablestoreHandle;
const logs: string[] = [];
const capture = (obj: object, msg?: string) => logs.push(JSON.stringify({ ...obj, msg }));

const errorOf = (res: RawResponse) => ({ status: res.status, ...decodeErrorBody(res.body) });
const listBody = new Uint8Array(0);

function expectSignedResponse(
  res: RawResponse,
  apiName: string,
  key: string,
  accessKeyId: string = TEST_ACCESS_KEY.id,
) {
  expect(res.headers['x-ots-requestid']).toMatch(/\S+/);
  expect(res.headers['x-ots-date']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(res.headers['x-ots-contenttype']).toBeTruthy();
  expect(res.headers['x-ots-contentmd5']).toBe(contentMd5(res.body));
  expect(res.headers['x-ots-signature']).toBeUndefined();
  const otsHeaders = Object.fromEntries(Object.entries(res.headers).filter(([k]) => k.startsWith('x-ots-')));
  expect(res.headers.authorization).toBe(responseAuthorization(accessKeyId, key, apiName, otsHeaders));
}

beforeAll(async () => {
  local = await startLocal({ logger: { debug: capture, info: capture, warn: capture, error: capture } });
  await sdkClient(local).createTable({
    tableMeta: { tableName: 'wire', primaryKey: [{ name: 'pk', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
});
afterAll(async () => {
  await local.stop();
  expect(logs.join('\n')).not.toContain(TEST_ACCESS_KEY.secret);
});

describe('signatures', () => {
  it('accepts V2 and signs every response (docs/protocol.md §3)', async () => {
    const res = await rawCall(local, 'ListTable', listBody);
    expect(res.status).toBe(200);
    expect(decodeMessage('ListTableResponse', res.body).table_names).toEqual(['wire']);
    expectSignedResponse(res, 'ListTable', TEST_ACCESS_KEY.secret);
  });

  it('accepts V4 and signs the response with the V4 signing key', async () => {
    const res = await rawCall(local, 'ListTable', listBody, { signatureVersion: 'v4' });
    expect(res.status).toBe(200);
    const key = deriveV4SigningKey(TEST_ACCESS_KEY.secret, v4SignDate(new Date()), local.region);
    expectSignedResponse(res, 'ListTable', key);
  });

  it('rejects wrong V2 and V4 signatures, unknown keys and instances', async () => {
    const wrong = { accessKeySecret: 'not-the-secret' };
    const v2 = await rawCall(local, 'ListTable', listBody, wrong);
    expect(errorOf(v2)).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'Signature mismatch.' });
    expect(v2.headers.authorization).toBeUndefined();
    const v4 = await rawCall(local, 'ListTable', listBody, { ...wrong, signatureVersion: 'v4' });
    expect(errorOf(v4)).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'Signature mismatch.' });
    const otherRegion = await rawCall(local, 'ListTable', listBody, { signatureVersion: 'v4', region: 'cn-beijing' });
    expect(errorOf(otherRegion).code).toBe('OTSAuthFailed');
    const unknownKey = await rawCall(local, 'ListTable', listBody, { accessKeyId: 'nobody' });
    expect(errorOf(unknownKey)).toEqual({
      status: 403,
      code: 'OTSAuthFailed',
      message: 'The AccessKeyID does not exist.',
    });
    const instance = await rawCall(local, 'ListTable', listBody, { instance: 'elsewhere' });
    expect(errorOf(instance)).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'The instance is not found.' });
    const sdk = await sdkError(sdkClient(local, { accessKeySecret: 'wrong' }).listTable({}));
    expect(sdk).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'Signature mismatch.' });
  });

  it('falls back to the Go SDK header list', async () => {
    const date = new Date().toISOString();
    const headers: Record<string, string> = {
      'x-ots-date': date,
      'x-ots-apiversion': '2015-12-31',
      'x-ots-accesskeyid': TEST_ACCESS_KEY.id,
      'x-ots-instancename': local.instance,
      'x-ots-contentmd5': contentMd5(listBody),
    };
    const signature = signV2(TEST_ACCESS_KEY.secret, 'ListTable', headers, GO_SIGNED_HEADERS);
    const res = await rawCall(local, 'ListTable', listBody, {
      date: new Date(date),
      headers: { 'x-ots-signature': signature, 'x-ots-unlisted-extra': 'not signed by Go' },
    });
    expect(res.status).toBe(200);
  });
});

describe('request validation on the wire', () => {
  it('checks headers, date, skew and MD5', async () => {
    const missing = await rawCall(local, 'ListTable', listBody, { headers: { 'x-ots-accesskeyid': undefined } });
    expect(errorOf(missing)).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Missing header: x-ots-accesskeyid.',
    });
    const noSig = await rawCall(local, 'ListTable', listBody, { headers: { 'x-ots-signature': undefined } });
    expect(errorOf(noSig)).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Missing header: x-ots-signature.',
    });
    const badDate = await rawCall(local, 'ListTable', listBody, { headers: { 'x-ots-date': 'yesterday' } });
    expect(errorOf(badDate)).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Invalid date format: yesterday.',
    });
    const old = new Date(Date.now() - 20 * 60_000);
    const skew = await rawCall(local, 'ListTable', listBody, { date: old });
    expect(errorOf(skew)).toEqual({
      status: 403,
      code: 'OTSAuthFailed',
      message: `Mismatch between system time and x-ots-date: ${old.toISOString()}.`,
    });
    // Go sends a garbled fraction; only the first 19 characters count.
    const goDate = `${new Date().toISOString().slice(0, 19)}.91310Z`;
    const goHeaders: Record<string, string> = {
      'x-ots-date': goDate,
      'x-ots-apiversion': '2015-12-31',
      'x-ots-accesskeyid': TEST_ACCESS_KEY.id,
      'x-ots-instancename': local.instance,
      'x-ots-contentmd5': contentMd5(listBody),
    };
    const goRes = await rawCall(local, 'ListTable', listBody, {
      headers: { ...goHeaders, 'x-ots-signature': signV2(TEST_ACCESS_KEY.secret, 'ListTable', goHeaders) },
    });
    expect(goRes.status).toBe(200);
    const md5 = await rawCall(local, 'ListTable', listBody, {
      headers: { 'x-ots-contentmd5': contentMd5(Buffer.from('other')) },
    });
    expect(errorOf(md5)).toEqual({
      status: 403,
      code: 'OTSAuthFailed',
      message: 'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.',
    });
  });

  it('rejects other methods, unknown APIs and oversized bodies', async () => {
    const get = await rawCall(local, 'ListTable', listBody, { method: 'GET' });
    expect(errorOf(get)).toEqual({
      status: 405,
      code: 'OTSMethodNotAllowed',
      message: 'Only POST method for requests is supported.',
    });
    const unknown = await rawCall(local, 'DropEverything', listBody);
    expect(errorOf(unknown)).toEqual({
      status: 400,
      code: 'OTSParameterInvalid',
      message: 'Unsupported operation: DropEverything.',
    });
    const large = await rawCall(local, 'PutRow', new Uint8Array(5 * 1024 * 1024 + 1));
    expect(errorOf(large)).toEqual({
      status: 413,
      code: 'OTSRequestBodyTooLarge',
      message: 'The size of POST data is too large.',
    });
    // Routing uses the last path segment (Python/Go put the endpoint path in front).
    const prefixed = await rawCall(local, 'ListTable', listBody, { path: '/some/prefix/ListTable' });
    expect(prefixed.status).toBe(200);
  });

  it('accepts deflate-compressed request bodies (Java opt-in)', async () => {
    const raw = encodeMessage('DescribeTableRequest', { table_name: 'wire' });
    const compressed = deflateSync(raw);
    const res = await rawCall(local, 'DescribeTable', compressed, {
      extraHeaders: { 'x-ots-request-compress-type': 'deflate', 'x-ots-request-compress-size': String(raw.length) },
    });
    expect(res.status).toBe(200);
    const bad = await rawCall(local, 'DescribeTable', Buffer.from('not deflate'), {
      extraHeaders: { 'x-ots-request-compress-type': 'deflate' },
    });
    expect(errorOf(bad)).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
  });

  it('answers malformed protobuf and PlainBuffer with 400 and keeps serving', async () => {
    const garbage = await rawCall(local, 'GetRow', Buffer.from([0x0a, 0xff, 0xff, 0x01]));
    expect(errorOf(garbage)).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expectSignedResponse(garbage, 'GetRow', TEST_ACCESS_KEY.secret);
    const pk = Buffer.from(encodePrimaryKey([{ name: 'pk', value: 'a' }]));
    pk[pk.length - 1] ^= 0xff;
    const body = encodeMessage('GetRowRequest', { table_name: 'wire', primary_key: pk, max_versions: 1 });
    const crc = await rawCall(local, 'GetRow', body);
    expect(errorOf(crc)).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });
    expect(decodeErrorBody(crc.body)?.message).toMatch(/checksum/);
    const noVersions = await rawCall(
      local,
      'GetRow',
      encodeMessage('GetRowRequest', {
        table_name: 'wire',
        primary_key: encodePrimaryKey([{ name: 'pk', value: 'a' }]),
      }),
    );
    expect(errorOf(noVersions)).toMatchObject({ status: 400, code: 'OTSParameterInvalid' });

    const apis = [
      'CreateTable',
      'GetRow',
      'PutRow',
      'UpdateRow',
      'DeleteRow',
      'GetRange',
      'BatchGetRow',
      'BatchWriteRow',
      'DescribeTable',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...apis), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (api, bytes) => {
        const res = await rawCall(local, api, bytes);
        expect([200, 400, 403, 404]).toContain(res.status);
        if (res.status !== 200) expect(decodeErrorBody(res.body)?.code).toMatch(/^OTS/);
      }),
      { numRuns: 150 },
    );
    // Garbage at the HTTP level: the connection gets a 400 and the server keeps serving.
    const reply = await new Promise<string>((resolve, reject) => {
      const url = new URL(local.endpoint);
      const socket = connect(Number(url.port), url.hostname, () => socket.write('\x00\x01NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (b) => (data += b.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await rawCall(local, 'ListTable', listBody)).status).toBe(200);
    expect(logs.join('\n')).not.toMatch(/internal error/);
  });
});

describe('identities: STS tokens and RAM authorization', () => {
  it('passes x-ots-ststoken to the IdentityStore and authorizes every table of a request', async () => {
    const seen: { token?: string | undefined; requests: AuthzRequest[] } = { requests: [] };
    const identities: IdentityStore = {
      lookup(accessKeyId, securityToken) {
        seen.token = securityToken;
        if (accessKeyId !== 'STS.key')
          return { ok: false, code: 'OTSAuthFailed', message: 'The AccessKeyID does not exist.', httpStatus: 403 };
        if (securityToken !== 'good-token')
          return {
            ok: false,
            code: 'OTSNoPermissionAccess',
            message: 'The security token has expired.',
            httpStatus: 403,
          };
        return {
          ok: true,
          secret: 'sts-secret',
          accountId: '42',
          principal: 'assumed-role/reader',
          authorize: (req) => {
            seen.requests.push(req);
            return req.resources.some((r) => r.endsWith('/table/hidden'))
              ? { allowed: false, reason: 'explicit deny' }
              : { allowed: true };
          },
        };
      },
    };
    const sts = await startLocal({ identities });
    try {
      const target = { ...sts, accessKeyId: 'STS.key', accessKeySecret: 'sts-secret' };
      const client = sdkClient(target, { stsToken: 'good-token' });
      await client.createTable({
        tableMeta: { tableName: 'open', primaryKey: [{ name: 'pk', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      });
      expect(seen.token).toBe('good-token');
      expect(seen.requests.at(-1)).toMatchObject({
        action: 'ots:CreateTable',
        resources: ['acs:ots:cn-hangzhou:42:instance/local/table/open'],
        region: 'cn-hangzhou',
        instance: 'local',
      });
      await client.listTable({});
      expect(seen.requests.at(-1)).toMatchObject({
        action: 'ots:ListTable',
        resources: ['acs:ots:cn-hangzhou:42:instance/local/table/*'],
      });

      const expired = await sdkError(sdkClient(target, { stsToken: 'old-token' }).listTable({}));
      expect(expired).toEqual({
        status: 403,
        code: 'OTSNoPermissionAccess',
        message: 'The security token has expired.',
      });

      const denied = await rawCall(
        target,
        'BatchGetRow',
        encodeMessage('BatchGetRowRequest', {
          tables: ['open', 'hidden'].map((t) => ({
            table_name: t,
            primary_key: [encodePrimaryKey([{ name: 'pk', value: 'a' }])],
            max_versions: 1,
          })),
        }),
        { securityToken: 'good-token' },
      );
      expect(errorOf(denied)).toEqual({
        status: 403,
        code: 'OTSNoPermissionAccess',
        message: 'You have no permission to access the requested resource, please contact the resource owner',
      });
      // Non-AuthFailed 403s are signed (the Python SDK needs it).
      expectSignedResponse(denied, 'BatchGetRow', 'sts-secret', 'STS.key');
      expect(seen.requests.slice(-2).map((r) => [r.action, r.resources[0].split('/').at(-1)])).toEqual([
        ['ots:BatchGetRow', 'open'],
        ['ots:BatchGetRow', 'hidden'],
      ]);
    } finally {
      await sts.stop();
    }
  });
});

describe('refused STS tokens get signed error replies (docs/protocol.md §3.3)', () => {
  const ACCOUNT = '1234567890123456';
  const iam = new LocalIam(
    parseIdentities({
      accountId: ACCOUNT,
      rootAccessKeys: [],
      policies: { reader: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'ots:*', Resource: '*' }] } },
      users: [],
      roles: [
        {
          name: 'reader',
          maxSessionDuration: 3600,
          policies: ['reader'],
          trustPolicy: {
            Version: '1',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
          },
        },
      ],
    }),
  );
  let sts: LocalTablestoreHandle;
  beforeAll(async () => {
    sts = await startLocal({ identities: iam });
  });
  afterAll(async () => {
    await sts.stop();
  });

  const issue = (now?: Date) =>
    iam.issueForService('reader', 'fc.aliyuncs.com', { durationSeconds: 900, ...(now ? { now } : {}) }).Credentials;
  const call = (c: ReturnType<typeof issue>, options: Parameters<typeof rawCall>[3] = {}) =>
    rawCall({ ...sts, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret }, 'ListTable', listBody, {
      securityToken: c.SecurityToken,
      ...options,
    });

  it("signs the 403 for an expired, a revoked and a replaced token with the caller's secret (V2 and V4)", async () => {
    const live = issue();
    const ok = await call(live);
    expect(ok.status).toBe(200);
    expectSignedResponse(ok, 'ListTable', live.AccessKeySecret, live.AccessKeyId);

    const expired = issue(new Date(Date.now() - 2 * 3600_000));
    const revoked = issue();
    iam.revoke(revoked.AccessKeyId);
    const replaced = { ...issue(), SecurityToken: live.SecurityToken };
    const cases = [
      [expired, 'The security token has expired.'],
      [revoked, 'The security token is invalid, revoked or was replaced.'],
      [replaced, 'The security token is invalid, revoked or was replaced.'],
    ] as const;
    for (const [c, message] of cases) {
      const v2 = await call(c);
      expect(errorOf(v2)).toEqual({ status: 403, code: 'OTSNoPermissionAccess', message });
      expectSignedResponse(v2, 'ListTable', c.AccessKeySecret, c.AccessKeyId);
      const v4 = await call(c, { signatureVersion: 'v4' });
      expect(errorOf(v4)).toEqual({ status: 403, code: 'OTSNoPermissionAccess', message });
      expectSignedResponse(
        v4,
        'ListTable',
        deriveV4SigningKey(c.AccessKeySecret, v4SignDate(new Date()), sts.region),
        c.AccessKeyId,
      );
    }
  });

  it('signs nothing for a caller who cannot prove the secret: wrong signature on a refused token is OTSAuthFailed, unsigned', async () => {
    const revoked = issue();
    iam.revoke(revoked.AccessKeyId);
    for (const signatureVersion of ['v2', 'v4'] as const) {
      const res = await call(revoked, { accessKeySecret: 'guessed', signatureVersion });
      expect(errorOf(res)).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'Signature mismatch.' });
      expect(res.headers.authorization).toBeUndefined();
    }
    // Refusals that stay OTSAuthFailed (here: no token at all) stay unsigned.
    const missing = await call(revoked, { securityToken: undefined });
    expect(errorOf(missing)).toEqual({ status: 403, code: 'OTSAuthFailed', message: 'The security token is missing.' });
    expect(missing.headers.authorization).toBeUndefined();
  });
});

describe('official SDK unchanged', () => {
  it('reads error details the way the SDK exposes them', async () => {
    const e = await sdkError(sdkClient(local).getRow({ tableName: 'nope', primaryKey: [{ pk: 'a' }], maxVersions: 1 }));
    expect(e).toEqual({ status: 404, code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
    expect(TableStore.INF_MIN).toBeTruthy();
  });
});
