/**
 * Local STS: AssumeRole over HTTPS (a self-signed certificate made at start), accepting both signatures
 * Alibaba clients send: RPC HMAC-SHA1 (@alicloud/credentials) and ACS3-HMAC-SHA256 (@alicloud/sts20150401).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { LocalIam, StsError, type LocalIamOptions } from './iam';
import { defaultIdentities, loadIdentities, type Identities } from './identities';
import { headerValue as header, readBody } from '../http/helpers';
import {
  parseAcs3Authorization,
  popEncode,
  rpcSignature,
  rpcStringToSign,
  sameText,
  sha256Hex,
  verifyAcs3,
} from '../http/signatures';

export interface LocalStsOptions {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** 0 (default) = a free port. */
  readonly port?: number;
  /** Share one LocalIam with Tablestore Local (pass the same object as its `identities`). */
  readonly iam?: LocalIam;
  /** Used when no `iam` is given: a parsed document or a file path; default: the built-in identities. */
  readonly identities?: Identities | string;
  readonly iamOptions?: LocalIamOptions;
  /** Keep cert.pem/key.pem here (reused across restarts); default: a temp dir removed on stop(). */
  readonly certDir?: string;
  /** Allowed |server time − request Timestamp|, seconds; default 900. */
  readonly clockSkewSeconds?: number;
  /** Per-account AssumeRole limit (requests per second); unlimited by default. Over it: Throttling.User. */
  readonly assumeRoleRatePerSecond?: number;
  readonly now?: () => Date;
  /** One line per request, never with secrets. */
  readonly log?: (line: string) => void;
}

export interface LocalSts {
  /** `https://host:port` */
  readonly endpoint: string;
  /** `host:port`, the form @alicloud/credentials wants as stsEndpoint. */
  readonly stsEndpoint: string;
  /** The self-signed certificate (its own CA): trust this file. */
  readonly caCertPath: string;
  readonly caCert: string;
  readonly iam: LocalIam;
  /** Requests by outcome, and verified signatures by style. */
  readonly stats: { requests: number; issued: number; rejected: number; rpc: number; acs3: number };
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const STS_VERSION = '2015-04-01';

async function certificate(
  certDir: string | undefined,
  host: string,
): Promise<{ cert: string; key: string; dir: string; temporary: boolean }> {
  if (certDir && existsSync(join(certDir, 'cert.pem')) && existsSync(join(certDir, 'key.pem'))) {
    return {
      cert: readFileSync(join(certDir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(certDir, 'key.pem'), 'utf8'),
      dir: certDir,
      temporary: false,
    };
  }
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    altNames.push(/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  }
  const pems = await generate([{ name: 'commonName', value: 'Tablestore Local STS' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  const dir = certDir ?? mkdtempSync(join(tmpdir(), 'local-sts-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  return { cert: pems.cert, key: pems.private, dir, temporary: certDir === undefined };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Objects become nested elements, the way POP services render their JSON bodies as XML. */
function toXml(name: string, value: unknown): string {
  if (value !== null && typeof value === 'object') {
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => toXml(k, v))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Decode `a=b&c=d` where `+` is a space (forms) and bad escapes are a client error. */
function parseParams(text: string, into: Record<string, string>): void {
  if (!text) return;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      into[decodeURIComponent(rawKey.replace(/\+/g, ' '))] = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new StsError(400, 'InvalidParameter', 'The request contains a malformed percent-encoding.');
    }
  }
}

/** Checks every Alibaba client-side timestamp format we see: `…Z` with optional fraction. */
function checkTimestamp(value: string | undefined, now: Date, skewSeconds: number, name: string): void {
  if (!value) throw new StsError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t))
    throw new StsError(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted.`);
  if (Math.abs(t - now.getTime()) > skewSeconds * 1000) {
    throw new StsError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired.`);
  }
}

const CALLER_ERRORS: Record<string, [number, string, string]> = {
  unknown: [404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'],
  disabled: [400, 'InvalidAccessKeyId.Inactive', 'Specified access key is disabled.'],
  'missing-token': [400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.'],
  expired: [400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.'],
  'bad-token': [
    400,
    'InvalidSecurityToken.MismatchWithAccessKey',
    'Specified SecurityToken mismatch with the AccessKey.',
  ],
  'unexpected-token': [
    400,
    'InvalidSecurityToken.MismatchWithAccessKey',
    'Specified SecurityToken mismatch with the AccessKey.',
  ],
};

export async function startLocalSts(options: LocalStsOptions = {}): Promise<LocalSts> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const skew = options.clockSkewSeconds ?? 900;
  const iam =
    options.iam ??
    new LocalIam(
      typeof options.identities === 'string'
        ? loadIdentities(options.identities)
        : (options.identities ?? defaultIdentities()),
      options.iamOptions,
    );
  const log = options.log;
  const { cert, key, dir, temporary } = await certificate(options.certDir, host);
  const stats = { requests: 0, issued: 0, rejected: 0, rpc: 0, acs3: 0 };
  // Nonces seen within the timestamp window; a replay inside it is refused.
  const nonces = new Map<string, number>();
  // Token bucket for the optional per-account rate limit (one account per LocalIam).
  const rate = options.assumeRoleRatePerSecond;
  let tokens = rate ?? 0;
  let refilledAt = 0;
  const throttle = (at: number): void => {
    if (rate === undefined) return;
    tokens = Math.min(rate, tokens + ((at - refilledAt) / 1000) * rate);
    refilledAt = at;
    if (tokens < 1) throw new StsError(400, 'Throttling.User', 'Request was denied due to user flow control.');
    tokens -= 1;
  };

  const rememberNonce = (nonce: string, at: number): void => {
    if (nonces.size > 100_000 || (nonces.size > 1000 && nonces.size % 1000 === 0)) {
      for (const [n, t] of nonces) if (t < at - 2 * skew * 1000) nonces.delete(n);
    }
    if (nonces.has(nonce)) throw new StsError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    nonces.set(nonce, at);
  };

  async function handle(req: IncomingMessage, reply: { xml: boolean }): Promise<{ status: number; body: object }> {
    const t = now();
    const body = await readBody(req, MAX_BODY);
    if (!body) throw new StsError(413, 'InvalidParameter.BodyTooLarge', 'The request body is too large.');
    const url = new URL(req.url ?? '/', 'https://sts.local');
    const query: Record<string, string> = {};
    parseParams(url.search.slice(1), query);
    const form: Record<string, string> = {};
    const contentType = header(req, 'content-type') ?? '';
    if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded'))
      parseParams(body.toString('utf8'), form);
    reply.xml = (form.Format ?? query.Format ?? '').toUpperCase() === 'XML';
    const method = (req.method ?? 'GET').toUpperCase();
    const authorization = header(req, 'authorization');
    const sourceIp = req.socket.remoteAddress ?? '';

    let params: Record<string, string>;
    if (authorization?.startsWith('ACS3-')) {
      const auth = parseAcs3Authorization(authorization);
      if (!auth)
        throw new StsError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
      if (header(req, 'x-acs-action') !== 'AssumeRole') {
        throw new StsError(
          404,
          'InvalidAction.NotFound',
          'Specified api is not found, please check your url and method.',
        );
      }
      if (header(req, 'x-acs-version') !== STS_VERSION)
        throw new StsError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
      checkTimestamp(header(req, 'x-acs-date'), t, skew, 'Date');
      const nonce = header(req, 'x-acs-signature-nonce');
      if (!nonce) throw new StsError(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
      for (const required of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-action', 'x-acs-version']) {
        if (!auth.signedHeaders.includes(required)) {
          throw new StsError(
            400,
            'IncompleteSignature',
            `The request signature does not conform to Aliyun standards: ${required} must be signed.`,
          );
        }
      }
      const payloadHash = sha256Hex(body);
      const declared = header(req, 'x-acs-content-sha256');
      if (declared !== undefined && declared.toLowerCase() !== payloadHash) {
        throw new StsError(
          400,
          'InvalidParameter.ContentSha256',
          'x-acs-content-sha256 does not match the request body.',
        );
      }
      const caller = iam.resolve(auth.accessKeyId, header(req, 'x-acs-security-token'), t);
      if (!caller.ok) throw new StsError(...CALLER_ERRORS[caller.reason]);
      const { ok, stringToSign } = verifyAcs3(
        {
          method,
          path: url.pathname,
          query: Object.entries(query),
          headers: req.headersDistinct,
          signedHeaders: auth.signedHeaders,
          hashedPayload: payloadHash,
        },
        auth,
        caller.secret,
      );
      if (!ok) {
        throw new StsError(
          400,
          'SignatureDoesNotMatch',
          `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
        );
      }
      rememberNonce(nonce, t.getTime());
      throttle(t.getTime());
      stats.acs3 += 1;
      params = { ...query, ...form };
      return {
        status: 200,
        body: iam.assumeRole(caller.principal, params, { sourceIp, secureTransport: true, now: t }),
      };
    }

    params = { ...query, ...form };
    if (!params.Signature) {
      throw new StsError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    }
    if (params.Action !== 'AssumeRole') {
      throw new StsError(
        404,
        'InvalidAction.NotFound',
        'Specified api is not found, please check your url and method.',
      );
    }
    if (params.Version !== STS_VERSION)
      throw new StsError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    if (params.SignatureMethod !== 'HMAC-SHA1') {
      throw new StsError(400, 'InvalidSignatureMethod', 'Specified signature method is not supported (use HMAC-SHA1).');
    }
    if (params.SignatureVersion !== '1.0')
      throw new StsError(400, 'InvalidSignatureVersion', 'Specified signature version is not valid.');
    checkTimestamp(params.Timestamp, t, skew, 'Timestamp');
    if (!params.SignatureNonce)
      throw new StsError(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
    if (!params.AccessKeyId) throw new StsError(400, 'MissingAccessKeyId', 'AccessKeyId is mandatory for this action.');
    const caller = iam.resolve(params.AccessKeyId, params.SecurityToken, t);
    if (!caller.ok) throw new StsError(...CALLER_ERRORS[caller.reason]);
    const stringToSign = rpcStringToSign(method, params);
    if (!sameText(rpcSignature(stringToSign, caller.secret), params.Signature)) {
      // The client compares this text with its own to tell a wrong secret from a bug; the token stays out.
      const shown = params.SecurityToken
        ? stringToSign.split(popEncode(popEncode(params.SecurityToken))).join('***')
        : stringToSign;
      throw new StsError(
        400,
        'SignatureDoesNotMatch',
        `Specified signature is not matched with our calculation. server string to sign is:${shown}`,
      );
    }
    rememberNonce(params.SignatureNonce, t.getTime());
    throttle(t.getTime());
    stats.rpc += 1;
    return {
      status: 200,
      body: iam.assumeRole(caller.principal, params, { sourceIp, secureTransport: true, now: t }),
    };
  }

  function send(res: ServerResponse, status: number, body: object, root: string, xml: boolean): void {
    const text = xml ? `<?xml version="1.0" encoding="UTF-8"?>${toXml(root, body)}` : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': `${xml ? 'text/xml' : 'application/json'};charset=utf-8`,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  const server: Server = createServer({ cert, key }, (req, res) => {
    stats.requests += 1;
    // RPC callers may ask for XML (Format=XML); everything else, and errors before parsing, are JSON.
    const reply = { xml: /[?&]Format=XML(&|$)/i.test(req.url ?? '') };
    handle(req, reply).then(
      ({ status, body }) => {
        stats.issued += 1;
        const c = body as {
          AssumedRoleUser?: { Arn?: string };
          Credentials?: { AccessKeyId?: string; Expiration?: string };
        };
        log?.(
          `sts AssumeRole ok ${c.AssumedRoleUser?.Arn} ${c.Credentials?.AccessKeyId} until ${c.Credentials?.Expiration}`,
        );
        send(res, status, body, 'AssumeRoleResponse', reply.xml);
      },
      (error: unknown) => {
        stats.rejected += 1;
        const requestId = randomUUID().toUpperCase();
        const e =
          error instanceof StsError
            ? error
            : new StsError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
        if (!(error instanceof StsError)) log?.(`sts internal error: ${(error as Error).stack ?? String(error)}`);
        log?.(`sts ${e.httpStatus} ${e.code}`);
        send(
          res,
          e.httpStatus,
          {
            RequestId: requestId,
            HostId: 'sts.local',
            Code: e.code,
            Message: e.message,
            Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}&product=Sts`,
            ...(e.accessDeniedDetail
              ? { AccessDeniedDetail: { ...e.accessDeniedDetail, EncodedDiagnosticMessage: '' } }
              : {}),
          },
          'Error',
          reply.xml,
        );
      },
    );
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const caCertPath = join(dir, 'cert.pem');
  return {
    endpoint: `https://${hostPart}:${port}`,
    stsEndpoint: `${hostPart}:${port}`,
    caCertPath,
    caCert: cert,
    iam,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          if (temporary) rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
