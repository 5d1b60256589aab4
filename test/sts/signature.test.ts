import { describe, expect, it } from 'vitest';
import {
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  EMPTY_SHA256,
  parseAcs3Authorization,
  popEncode,
  rpcSignature,
  rpcStringToSign,
} from '../../local/http/signatures';

describe('RPC HMAC-SHA1 signature', () => {
  it('reproduces the documented vector (CreateUser, secret testsecret)', () => {
    const params = {
      AccessKeyId: 'testid',
      Action: 'CreateUser',
      Format: 'JSON',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2',
      SignatureVersion: '1.0',
      Timestamp: '2015-08-18T03:15:45Z',
      UserName: 'test',
      Version: '2015-05-01',
    };
    const sts = rpcStringToSign('GET', params);
    expect(sts).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2%26SignatureVersion%3D1.0%26Timestamp%3D2015-08-18T03%253A15%253A45Z%26UserName%3Dtest%26Version%3D2015-05-01',
    );
    expect(rpcSignature(sts, 'testsecret')).toBe('kRA2cnpJVacIhDMzXnoNZG9tDCI=');
    // Signature itself is never part of what is signed.
    expect(rpcStringToSign('GET', { ...params, Signature: 'x' })).toBe(sts);
  });

  it('percent-encodes the characters encodeURIComponent leaves alone, keeps ~, and never uses +', () => {
    expect(popEncode("a b*c(d)e!f'g~h")).toBe('a%20b%2Ac%28d%29e%21f%27g~h');
    expect(popEncode('ü/')).toBe('%C3%BC%2F');
  });
});

describe('ACS3-HMAC-SHA256 signature', () => {
  it('reproduces the vector of docs/protocol.md §10.3 (AssumeRole, AKIDTEST/secretTEST)', () => {
    const headers = {
      host: 'sts.aliyuncs.com',
      'x-acs-action': 'AssumeRole',
      'x-acs-version': '2015-04-01',
      'x-acs-date': '2024-01-01T00:00:00Z',
      'x-acs-signature-nonce': 'nonce-1',
      'x-acs-content-sha256': EMPTY_SHA256,
      accept: 'application/json',
    };
    const signedHeaders = [
      'host',
      'x-acs-action',
      'x-acs-content-sha256',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-version',
    ];
    const canonical = acs3CanonicalRequest({
      method: 'POST',
      path: '/',
      query: Object.entries({
        RoleSessionName: 'fc-test',
        DurationSeconds: '900',
        RoleArn: 'acs:ram::1234567890:role/r',
      }),
      headers,
      signedHeaders,
      hashedPayload: EMPTY_SHA256,
    });
    const signature = acs3Signature(acs3StringToSign(canonical), 'secretTEST');
    expect(signature).toBe('4ddc2a08547f3bba4e1c422f678f69477a7f1c37784bfd7839bba7abf35c412c');
    expect(acs3Signature(acs3StringToSign(canonical), 'secretTEST&')).not.toBe(signature);
  });

  it('parses the Authorization header and rejects malformed ones', () => {
    const parsed = parseAcs3Authorization(
      `ACS3-HMAC-SHA256 Credential=AKIDTEST,SignedHeaders=host;x-acs-date,Signature=${'AB12'.repeat(16)}`,
    );
    expect(parsed).toEqual({
      accessKeyId: 'AKIDTEST',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'ab12'.repeat(16),
    });
    expect(
      parseAcs3Authorization('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=abc123'),
    ).toBeUndefined();
    expect(parseAcs3Authorization(undefined)).toBeUndefined();
    expect(parseAcs3Authorization('ACS3-HMAC-SHA256 Credential=AK,Signature=x')).toBeUndefined();
    expect(parseAcs3Authorization('OTS ak:sig')).toBeUndefined();
  });
});
