/**
 * How the http-api function serves the explorer, without a browser: the brotli / gzip / identity form chosen
 * by Accept-Encoding, ETags per form and 304s, a strict CSP with no inline script or style in the page, every
 * deep link answered with the page, immutable hashed assets, clear 404/405s; and, through the real bundle in
 * a fresh Node process, that JSON requests never read the explorer's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildExplorerAssets } from '../../lib/explorer/build-assets';
import type { ExplorerManifest } from '../../lib/explorer/manifest';
import { chooseEncoding, createExplorer, matchesIfNoneMatch, type Explorer } from '../../lib/explorer/serve';
import { ApiError } from '../../lib/fc/errors';
import type { FcHttpResponse, HttpRequest } from '../../lib/fc/types';
import { buildFunctions } from '../../scripts/build';

let dir: string;
let explorer: Explorer;
let manifest: ExplorerManifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsfc-explorer-'));
  await buildExplorerAssets(join(dir, 'explorer'));
  explorer = createExplorer(join(dir, 'explorer'));
  manifest = JSON.parse(readFileSync(join(dir, 'explorer', 'manifest.json'), 'utf8')) as ExplorerManifest;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request(path: string, headers: Record<string, string> = {}, method = 'GET'): HttpRequest {
  return { method, path, headers, query: {}, body: Buffer.alloc(0), requestId: 'req-1' };
}

function decoded(res: FcHttpResponse): Buffer {
  const raw = Buffer.from(res.body, res.isBase64Encoded ? 'base64' : 'utf8');
  const enc = res.headers?.['content-encoding'];
  return enc === 'br' ? brotliDecompressSync(raw) : enc === 'gzip' ? gunzipSync(raw) : raw;
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('Accept-Encoding and If-None-Match', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.1', 'br'],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['identity', undefined],
    ['gzip;q=0, br;q=0', undefined],
    ['', undefined],
    ['GZIP', 'gzip'],
  ])('%j -> %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });

  it('matches ETags weakly, in lists and *', () => {
    expect(matchesIfNoneMatch('"a-br"', '"a-br"')).toBe(true);
    expect(matchesIfNoneMatch('W/"a-br"', '"a-br"')).toBe(true);
    expect(matchesIfNoneMatch('"x", "a-br"', '"a-br"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"a-br"')).toBe(true);
    expect(matchesIfNoneMatch('"a"', '"a-br"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"a"')).toBe(false);
  });
});

describe('the page', () => {
  const html = (): string => readFileSync(join(dir, 'explorer', 'index.html'), 'utf8');

  it('is the same bytes in each encoding, with its own ETag per encoding', () => {
    const etags = new Set<string>();
    for (const [accept, encoding] of [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['', undefined],
    ] as const) {
      const res = explorer.serve(request('/', accept ? { 'accept-encoding': accept } : {}));
      expect(res.statusCode).toBe(200);
      expect(res.headers?.['content-encoding']).toBe(encoding);
      expect(res.headers?.vary).toBe('accept-encoding');
      expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(decoded(res).toString('utf8')).toBe(html());
      etags.add(res.headers!.etag);
    }
    expect(etags.size).toBe(3);
  });

  it('answers 304 to its ETag, 200 to another', () => {
    const first = explorer.serve(request('/', { 'accept-encoding': 'gzip' }));
    const again = explorer.serve(request('/', { 'accept-encoding': 'gzip', 'if-none-match': first.headers!.etag }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers?.etag).toBe(first.headers!.etag);
    // The gzip ETag does not validate the brotli form.
    expect(
      explorer.serve(request('/', { 'accept-encoding': 'br', 'if-none-match': first.headers!.etag })).statusCode,
    ).toBe(200);
  });

  it('allows only its own origin and holds no inline script, style or handler', () => {
    const res = explorer.serve(request('/'));
    const csp = res.headers!['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe|\*|https?:|data:/);
    expect(res.headers!['cache-control']).toBe('no-cache');
    const page = html();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/\sstyle=|\son[a-z]+=|<style/i);
    for (const ref of page.matchAll(/(?:src|href)="([^"]+)"/g)) expect(Object.keys(manifest.assets)).toContain(ref[1]);
  });

  it('answers every deep link with the page', () => {
    const etag = explorer.serve(request('/')).headers!.etag;
    for (const path of [
      '/ui',
      '/ui/tables',
      '/ui/tables/orders/rows',
      '/ui/timeseries/metrics/points',
      '/ui/anything/else',
    ]) {
      const res = explorer.serve(request(path));
      expect(res.statusCode, path).toBe(200);
      expect(res.headers!.etag, path).toBe(etag);
    }
  });

  it('rejects other methods with 405 and Allow: GET', () => {
    const e = thrown(() => explorer.serve(request('/', {}, 'POST')));
    expect([e.status, e.code, e.headers.allow]).toEqual([405, 'MethodNotAllowed', 'GET']);
  });
});

describe('assets', () => {
  it('serves each hashed file, cached for a year', () => {
    const names = Object.keys(manifest.assets);
    expect(names.some((n) => n.endsWith('.js'))).toBe(true);
    expect(names.some((n) => n.endsWith('.css'))).toBe(true);
    for (const [path, entry] of Object.entries(manifest.assets)) {
      const res = explorer.serve(request(path, { 'accept-encoding': 'br, gzip' }));
      expect(res.statusCode).toBe(200);
      expect(res.headers!['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers!['content-type']).toBe(entry.type);
      expect(decoded(res).equals(readFileSync(join(dir, 'explorer', entry.file)))).toBe(true);
    }
  });

  it('404s an unknown file and an unbuilt explorer', () => {
    expect(thrown(() => explorer.serve(request('/ui/assets/nope.js'))).status).toBe(404);
    expect(thrown(() => explorer.serve(request('/ui/assets/manifest.json'))).status).toBe(404);
    const missing = createExplorer(join(dir, 'does-not-exist'));
    const e = thrown(() => missing.serve(request('/')));
    expect([e.status, e.code]).toEqual([404, 'ExplorerNotBuilt']);
  });

  it('keeps the first visit small (brotli)', () => {
    let total = 0;
    for (const entry of [manifest.page, ...Object.values(manifest.assets)])
      total += readFileSync(join(dir, 'explorer', `${entry.file}.br`)).length;
    expect(total).toBeLessThan(60 * 1024);
  });
});

describe('the built http-api bundle', () => {
  it('reads no explorer file on JSON requests, and serves the page on /', async () => {
    const out = join(dir, 'dist');
    await buildFunctions(['http-api'], out);
    const script = `
      const fs = require('fs');
      const seen = [];
      const assets = ${JSON.stringify(join(out, 'http-api', 'explorer'))};
      for (const name of ['readFileSync', 'openSync', 'readFile', 'createReadStream', 'existsSync', 'statSync']) {
        const original = fs[name];
        fs[name] = function (p, ...rest) { if (String(p).startsWith(assets)) seen.push(name + ' ' + require('path').basename(String(p))); return original.call(this, p, ...rest); };
      }
      const { handler } = require(${JSON.stringify(join(out, 'http-api', 'index.js'))});
      const context = { requestId: 'r', credentials: {}, function: { name: 'f', handler: 'index.handler', memory: 512, timeout: 10 }, region: 'cn-hangzhou', accountId: '1' };
      const event = (path) => Buffer.from(JSON.stringify({ version: 'v1', rawPath: path, headers: { 'Accept-Encoding': 'gzip' }, queryParameters: {}, requestContext: { requestId: 'e', http: { method: 'GET', path } } }));
      (async () => {
        const json = [];
        for (const path of ['/healthz', '/openapi.json', '/tables/x/y/z']) json.push((await handler(event(path), context)).statusCode);
        const beforePage = seen.length;
        const page = await handler(event('/'), context);
        console.log(JSON.stringify({ json, beforePage, page: page.statusCode, encoding: page.headers['content-encoding'], seen }));
      })();
    `;
    const result = JSON.parse(
      execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, TABLESTORE_INSTANCE: 'demo', FC_REGION: 'cn-hangzhou', LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .pop()!,
    ) as { json: number[]; beforePage: number; page: number; encoding: string; seen: string[] };
    expect(result.json).toEqual([200, 200, 404]);
    expect(result.beforePage).toBe(0);
    expect(result.page).toBe(200);
    expect(result.encoding).toBe('gzip');
    expect(result.seen).toContain('readFileSync manifest.json');
    expect(result.seen).toContain('readFileSync index.html.gz');
  }, 120_000);
});
