/**
 * Request authentication (docs/protocol.md §1, §2): required headers, x-ots-date format and skew, instance name,
 * identity lookup (incl. x-ots-ststoken), body MD5, and the V2 or V4 signature. V2 is verified over every
 * received x-ots-* header, then over the Go SDK's fixed list as a fallback (docs/protocol.md §2.3).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  GO_SIGNED_HEADERS,
  contentMd5,
  deriveV4SigningKey,
  signV2,
  signV4,
} from '../../../lib/tablestore/protocol/sign';
import { TablestoreError } from '../../../lib/tablestore/protocol/errors';
import { errors } from '../errors';
import type { IdentityStore } from './identity';

export interface AuthenticateInput {
  readonly apiName: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
  /** The inflated body when the request was sent deflate-compressed (MD5 may cover either form). */
  readonly inflatedBody?: Uint8Array | undefined;
}

export interface AuthenticateOptions {
  readonly instance: string;
  readonly region: string;
  readonly identities: IdentityStore;
  readonly clockSkewMs: number;
  readonly now: Date;
  /** false = accept any signature (still requires the headers); for debugging odd clients. */
  readonly verifySignatures: boolean;
}

export interface Authenticated {
  readonly accessKeyId: string;
  /** Key for the response `authorization` signature: the secret (V2) or the V4 signing key text. */
  readonly responseKey: string;
  readonly identity: Extract<ReturnType<IdentityStore['lookup']>, { ok: true }>;
  readonly signatureVersion: 'v2' | 'v4';
}

/** What signs a response: the caller's AccessKeyId and the secret (V2) or V4 signing key text. */
export type ReplySigner = Pick<Authenticated, 'accessKeyId' | 'responseKey'>;

/** A request refused after identification whose error reply is still signed (see `authenticate`). */
export class SignedRefusal extends TablestoreError {
  constructor(
    options: ConstructorParameters<typeof TablestoreError>[0],
    readonly signer: ReplySigner,
  ) {
    super(options);
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function required(headers: IncomingHttpHeaders, name: string): string {
  const v = header(headers, name);
  if (v === undefined || v === '') throw errors.missingHeader(name);
  return v;
}

/** Parses only `YYYY-MM-DDTHH:MM:SS` (the first 19 characters) as UTC; the rest is ignored (Go quirk). */
export function parseOtsDate(value: string): Date | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const date = new Date(ms);
  // Reject impossible dates such as month 13 that Date.UTC would roll over.
  if (Number.isNaN(ms) || date.getUTCMonth() !== +mo - 1 || date.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59)
    return undefined;
  return date;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate(input: AuthenticateInput, options: AuthenticateOptions): Authenticated {
  const { headers } = input;
  const dateValue = required(headers, 'x-ots-date');
  required(headers, 'x-ots-apiversion');
  const accessKeyId = required(headers, 'x-ots-accesskeyid');
  const instance = required(headers, 'x-ots-instancename');
  const md5 = required(headers, 'x-ots-contentmd5');
  const v4 = header(headers, 'x-ots-signaturev4');
  const v2 = v4 === undefined ? required(headers, 'x-ots-signature') : undefined;
  const signDate = v4 !== undefined ? required(headers, 'x-ots-signdate') : undefined;
  const signRegion = v4 !== undefined ? required(headers, 'x-ots-signregion') : undefined;

  const date = parseOtsDate(dateValue);
  if (!date) throw errors.invalidDate(dateValue);
  if (Math.abs(date.getTime() - options.now.getTime()) > options.clockSkewMs) throw errors.clockSkew(dateValue);

  if (instance !== options.instance) throw errors.instanceNotFound();

  const identity = options.identities.lookup(accessKeyId, header(headers, 'x-ots-ststoken'), options.now);
  const signature: SignatureInput = { apiName: input.apiName, headers, v2, v4, signDate, signRegion, date };
  if (!identity.ok) {
    const refused = { code: identity.code, message: identity.message, httpStatus: identity.httpStatus };
    if (identity.replySecret === undefined) throw new TablestoreError(refused);
    // The caller signed with a secret we know (a refused token the local STS issued), so the error reply can be
    // signed: the Python SDK crashes on a 403 other than OTSAuthFailed without `authorization` (docs/protocol.md §3.3).
    // Only once the request's signature proves the caller holds that secret; otherwise it is a mismatch.
    const responseKey = verifySignature(signature, identity.replySecret, options);
    throw new SignedRefusal(refused, { accessKeyId, responseKey });
  }

  const md5Ok =
    same(md5, contentMd5(input.body)) ||
    (input.inflatedBody !== undefined && same(md5, contentMd5(input.inflatedBody)));
  if (!md5Ok) throw errors.md5Mismatch();

  const responseKey = verifySignature(signature, identity.secret, options);
  return { accessKeyId, responseKey, identity, signatureVersion: v4 !== undefined ? 'v4' : 'v2' };
}

interface SignatureInput {
  readonly apiName: string;
  readonly headers: IncomingHttpHeaders;
  readonly v2: string | undefined;
  readonly v4: string | undefined;
  readonly signDate: string | undefined;
  readonly signRegion: string | undefined;
  /** The parsed x-ots-date. */
  readonly date: Date;
}

/** `yyyyMMdd` of the UTC day of `date`: the only sign date a V4 request made at that time can carry. */
const utcDay = (date: Date): string => date.toISOString().slice(0, 10).replaceAll('-', '');

/** Checks the V4 or V2 request signature made with `secret`; returns the key that signs the response. */
function verifySignature(sig: SignatureInput, secret: string, options: AuthenticateOptions): string {
  const { apiName, headers } = sig;
  if (sig.v4 !== undefined) {
    const key = deriveV4SigningKey(secret, sig.signDate!, sig.signRegion!);
    if (options.verifySignatures) {
      // The V4 key is derived per day; a key derived for another day (e.g. a leaked one from years ago) must
      // not sign today's request, so the sign date has to be the UTC day of x-ots-date.
      if (sig.signDate !== utcDay(sig.date))
        throw errors.authFailed(`x-ots-signdate ${sig.signDate!.slice(0, 8)} is not the UTC day of x-ots-date.`);
      const ok =
        sig.signRegion === options.region &&
        (same(sig.v4, signV4(key, apiName, headers)) || same(sig.v4, signV4(key, apiName, headers, GO_SIGNED_HEADERS)));
      if (!ok) throw errors.signatureMismatch();
    }
    return key;
  }
  if (options.verifySignatures) {
    const ok =
      same(sig.v2!, signV2(secret, apiName, headers)) ||
      same(sig.v2!, signV2(secret, apiName, headers, GO_SIGNED_HEADERS));
    if (!ok) throw errors.signatureMismatch();
  }
  return secret;
}
