/**
 * Build step of the explorer (run by scripts/build.ts for the http-api function; never bundled into a function):
 * esbuild bundles lib/explorer/page/ (uPlot and our TypeScript, plus their CSS) for the browser with
 * content-hashed names, fills the HTML template with them, and stores each file with its brotli and gzip forms and
 * a manifest. The function serves these bytes as they are, so it neither compresses nor hashes at run time.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { MANIFEST_FILE, type AssetEntry, type ExplorerManifest } from './manifest';
import { UI_PREFIX } from './paths';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface BuiltAssets {
  readonly dir: string;
  /** Uncompressed and brotli bytes of everything a first visit downloads. */
  readonly bytes: number;
  readonly brotliBytes: number;
}

const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64url').slice(0, 16);

function store(dir: string, file: string, bytes: Uint8Array, immutable: boolean): AssetEntry & { br: number } {
  writeFileSync(join(dir, file), bytes);
  const br = brotliCompressSync(bytes, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(join(dir, `${file}.br`), br);
  writeFileSync(join(dir, `${file}.gz`), gzipSync(bytes, { level: 9 }));
  return {
    file,
    type: TYPES[extname(file)] ?? 'application/octet-stream',
    hash: hashOf(bytes),
    immutable,
    br: br.length,
  };
}

/** Builds the explorer into `dir` (replacing what was there). */
export async function buildExplorerAssets(dir: string): Promise<BuiltAssets> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: { explorer: join(PAGE_DIR, 'main.ts') },
    outdir: dir,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    entryNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const assets: Record<string, AssetEntry> = {};
  let bytes = 0;
  let brotliBytes = 0;
  const add = (file: string, content: Uint8Array): void => {
    const { br, ...entry } = store(dir, file, content, true);
    assets[`${UI_PREFIX}/assets/${file}`] = entry;
    bytes += content.length;
    brotliBytes += br;
  };
  for (const out of result.outputFiles) add(basename(out.path), out.contents);
  const icon = readFileSync(join(PAGE_DIR, 'icon.svg'));
  const iconName = `icon-${hashOf(icon).slice(0, 8)}.svg`;
  add(iconName, icon);

  const names = Object.keys(assets);
  const pick = (ext: string): string => {
    const found = names.find((n) => n.endsWith(ext) && !n.endsWith('.svg'));
    if (!found) throw new Error(`explorer build produced no ${ext} file`);
    return found;
  };
  const html = readFileSync(join(PAGE_DIR, 'index.html'), 'utf8')
    .replaceAll('%SCRIPT%', pick('.js'))
    .replaceAll('%STYLE%', pick('.css'))
    .replaceAll('%ICON%', `${UI_PREFIX}/assets/${iconName}`);
  const { br, ...page } = store(dir, 'index.html', Buffer.from(html), false);
  bytes += html.length;
  brotliBytes += br;
  const manifest: ExplorerManifest = { version: 1, page, assets };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, bytes, brotliBytes };
}
