import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import fc from 'fast-check';
import { startLocalSts, type LocalSts } from '../../local/sts/server';

let sts: LocalSts;
beforeAll(async () => {
  sts = await startLocalSts();
});
afterAll(async () => {
  await sts.stop();
});

function send(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${sts.endpoint}${path}`, { method: 'POST', ca: sts.caCert, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local STS on malformed input', () => {
  it('answers every malformed request with a 4xx STS error, never a 500 or a crash', async () => {
    const key = fc.constantFrom(
      'Action',
      'Version',
      'Signature',
      'AccessKeyId',
      'Timestamp',
      'SignatureNonce',
      'RoleArn',
      'Policy',
      'x',
      '%zz',
      '',
    );
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('AssumeRole', '2015-04-01', '%', '%E0%A4%A', 'HMAC-SHA1', '1.0', 'LTAI5tLocalDeveloper00001'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, value), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(
          '',
          'ACS3-HMAC-SHA256 Credential=LTAI5tLocalDeveloper00001,SignedHeaders=host,Signature=00',
          'ACS3-HMAC-SHA256 junk',
          'Bearer x',
        ),
        fc.constantFrom('/', '/%zz', '/?Format=XML', '/a/b'),
        async (pairs, body, authorization, path) => {
          const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const res = await send(`${path}${path.includes('?') ? '&' : '?'}${query}`, Buffer.from(body), {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authorization ? { authorization } : {}),
          });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.text).toMatch(/"Code"|<Code>/);
        },
      ),
      { numRuns: 60 },
    );
    expect(sts.stats.issued).toBe(0);
  });
});
