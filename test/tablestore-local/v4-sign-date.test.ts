/**
 * V4 signing keys are derived per day: Tablestore Local accepts a V4 request only when x-ots-signdate is the
 * UTC day of x-ots-date, so an old (or future) day's signing key cannot sign today's requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../../lib/tablestore/protocol/errors';
import { deriveV4SigningKey, signRequestHeaders, signV4, v4SignDate } from '../../lib/tablestore/protocol/sign';
import { startLocal, type LocalTablestoreHandle } from '../helpers/tablestore-local';

let local: LocalTablestoreHandle;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.stop();
});

/** ListTable signed with V4, re-signed with the key of `signDate` when given (date stays now). */
async function listTables(date: Date, signDate?: string) {
  const body = new Uint8Array(0);
  const headers = signRequestHeaders({
    apiName: 'ListTable',
    body,
    instance: local.instance,
    accessKeyId: local.accessKeyId,
    accessKeySecret: local.accessKeySecret,
    signatureVersion: 'v4',
    region: local.region,
    date,
  });
  if (signDate !== undefined) {
    headers['x-ots-signdate'] = signDate;
    delete headers['x-ots-signaturev4'];
    headers['x-ots-signaturev4'] = signV4(
      deriveV4SigningKey(local.accessKeySecret, signDate, local.region),
      'ListTable',
      headers,
    );
  }
  const res = await fetch(`${local.endpoint}/ListTable`, { method: 'POST', headers, body });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('V4 sign date', () => {
  it('accepts the UTC day of x-ots-date', async () => {
    const now = new Date();
    expect((await listTables(now, v4SignDate(now))).status).toBe(200);
  });

  it('refuses a signing key of another day with 403 OTSAuthFailed, however validly it signs', async () => {
    const now = new Date();
    const yesterday = v4SignDate(new Date(now.getTime() - 86_400_000));
    const tomorrow = v4SignDate(new Date(now.getTime() + 86_400_000));
    for (const day of ['20200101', yesterday, tomorrow, `${v4SignDate(now)}0`]) {
      const res = await listTables(now, day);
      expect(res.status, day).toBe(403);
      expect(decodeErrorBody(res.body)?.code).toBe('OTSAuthFailed');
    }
  });
});
