/**
 * Serves the explorer's prebuilt files (see build-assets.ts) from the function's code directory. Loaded by the
 * HTTP app only when a page or asset is asked for, and the files are read on first use, so JSON requests never
 * pay for them. Each response is the stored brotli or gzip form the client accepts, with a strong ETag per form
 * (304 on If-None-Match); the page carries a Content-Security-Policy that allows its own origin only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../fc/errors';
import type { FcHttpResponse, HttpRequest } from '../fc/types';
import { ENCODINGS, MANIFEST_FILE, type AssetEntry, type Encoding, type ExplorerManifest } from './manifest';
import { UI_PREFIX } from './paths';

/** Own origin only: no inline script or style, no framing, no plugins, no form posts elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};
const ASSET_HEADERS = { 'cache-control': 'public, max-age=31536000, immutable' };

/**
 * The encoding to send: the first of ours (brotli, then gzip) the client accepts with q > 0, else identity.
 * Accept-Encoding is a list of `coding;q=value`; `*` stands for any coding not named.
 */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (!coding) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(coding.trim(), Number.isFinite(value) ? value : 0);
  }
  for (const { name } of ENCODINGS) {
    const weight = q.get(name) ?? q.get('*') ?? 0;
    if (weight > 0) return name;
  }
  return undefined;
}

/** True when If-None-Match names this ETag (weak comparison, as RFC 9110 asks for If-None-Match) or is `*`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

export interface Explorer {
  serve(request: HttpRequest): FcHttpResponse;
}

/** An explorer over the files in `dir`; the manifest and each file are read once, on first use. */
export function createExplorer(dir: string): Explorer {
  let manifest: ExplorerManifest | undefined;
  const bytes = new Map<string, Buffer>();
  const load = (): ExplorerManifest => {
    if (manifest) return manifest;
    const file = join(dir, MANIFEST_FILE);
    if (!existsSync(file)) {
      throw new ApiError(
        404,
        'ExplorerNotBuilt',
        'The explorer is not part of this deployment; build the functions with npm run build.',
      );
    }
    manifest = JSON.parse(readFileSync(file, 'utf8')) as ExplorerManifest;
    return manifest;
  };
  const read = (name: string): Buffer => {
    let b = bytes.get(name);
    if (!b) {
      b = readFileSync(join(dir, name));
      bytes.set(name, b);
    }
    return b;
  };

  const respond = (request: HttpRequest, entry: AssetEntry, extra: Record<string, string>): FcHttpResponse => {
    const encoding = chooseEncoding(request.headers['accept-encoding']);
    const etag = `"${entry.hash}${encoding ? `-${encoding}` : ''}"`;
    const headers: Record<string, string> = {
      'content-type': entry.type,
      etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      'x-request-id': request.requestId,
      ...extra,
    };
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
      delete headers['content-type'];
      return { statusCode: 304, headers, body: '' };
    }
    const suffix = ENCODINGS.find((e) => e.name === encoding)?.suffix ?? '';
    if (encoding) headers['content-encoding'] = encoding;
    return { statusCode: 200, headers, isBase64Encoded: true, body: read(entry.file + suffix).toString('base64') };
  };

  return {
    serve(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `${request.method} is not allowed on ${request.path.slice(0, 200)}; use GET.`,
          {
            headers: { allow: 'GET' },
          },
        );
      }
      const m = load();
      if (request.path.startsWith(`${UI_PREFIX}/assets/`)) {
        const asset = Object.hasOwn(m.assets, request.path) ? m.assets[request.path] : undefined;
        if (!asset) throw new ApiError(404, 'RouteNotFound', `No explorer file ${request.path.slice(0, 200)}.`);
        return respond(request, asset, ASSET_HEADERS);
      }
      // Every other path under the explorer is a deep link: the page reads its state from the URL.
      return respond(request, m.page, PAGE_HEADERS);
    },
  };
}

/** Where the build puts the files: `explorer/` beside the function's bundle (dist/http-api/explorer). */
function bundledDir(): string {
  return join(typeof __dirname === 'string' ? __dirname : process.cwd(), 'explorer');
}

let shared: Explorer | undefined;

/** Serves from the function's own code directory. */
export function serveExplorer(request: HttpRequest): FcHttpResponse {
  shared ??= createExplorer(bundledDir());
  return shared.serve(request);
}
