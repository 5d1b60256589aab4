/**
 * Raw Tablestore calls over HTTP with our own signer, for what the Node SDK cannot do (V4 signatures,
 * malformed requests, header-level checks) and for checking response headers and signatures.
 */
import { signRequestHeaders, type SignRequestOptions } from '../../lib/tablestore/protocol/sign';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface RawCallOptions extends Partial<Omit<SignRequestOptions, 'apiName' | 'body'>> {
  readonly method?: string;
  /** Header overrides applied after signing (undefined value = remove the header). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Path to request instead of `/<apiName>`. */
  readonly path?: string;
}

export async function rawCall(
  target: { endpoint: string; instance: string; region: string; accessKeyId: string; accessKeySecret: string },
  apiName: string,
  body: Uint8Array,
  options: RawCallOptions = {},
): Promise<RawResponse> {
  const signed = signRequestHeaders({
    apiName,
    body,
    instance: options.instance ?? target.instance,
    accessKeyId: options.accessKeyId ?? target.accessKeyId,
    accessKeySecret: options.accessKeySecret ?? target.accessKeySecret,
    securityToken: options.securityToken,
    signatureVersion: options.signatureVersion,
    region: options.region ?? target.region,
    date: options.date,
    extraHeaders: options.extraHeaders,
  });
  const headers: Record<string, string> = { ...signed };
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  const method = options.method ?? 'POST';
  const res = await fetch(`${target.endpoint}${options.path ?? `/${apiName}`}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.from(body) }),
  });
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    out[key] = value;
  });
  return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
}
