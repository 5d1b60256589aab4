/**
 * Bundles each function into dist/<function>/index.js: one CommonJS file per function (FC's default module
 * format), node20, minified, with a source map beside it. Everything, the official tablestore SDK included,
 * is inlined, so the folder s.yaml uploads needs no node_modules.
 *
 *   npm run build                 # all functions
 *   npm run build -- http-api     # only the named ones
 */
import { build, type Metafile } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExplorerAssets } from '../lib/explorer/build-assets';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuiltFunction {
  readonly name: string;
  readonly outfile: string;
  readonly bytes: number;
}

export function functionNames(): string[] {
  const dir = join(root, 'functions');
  return readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isDirectory())
    .filter((n) => {
      try {
        return statSync(join(dir, n, 'index.ts')).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export async function buildFunctions(names: readonly string[] = functionNames(), outRoot = join(root, 'dist')): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const name of names) {
    const outdir = join(outRoot, name);
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    const outfile = join(outdir, 'index.js');
    const result = await build({
      entryPoints: [join(root, 'functions', name, 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'external',
      metafile: true,
      logLevel: 'warning',
      // Stack traces in FC logs point at our TypeScript sources.
      banner: { js: 'process.setSourceMapsEnabled&&process.setSourceMapsEnabled(true);' },
    });
    // The repository is "type": "module"; this marker keeps the bundle CommonJS when run from the checkout
    // (s local, the local FC runner) exactly as on FC, where the folder is uploaded alone.
    writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`);
    // The HTTP function also serves the browser explorer: its page and assets sit beside the bundle, read only
    // when a page is asked for (lib/explorer/serve.ts).
    if (name === 'http-api') await buildExplorerAssets(join(outdir, 'explorer'));
    const bytes = outputBytes(result.metafile, outfile);
    built.push({ name, outfile, bytes });
  }
  return built;
}

function outputBytes(meta: Metafile, outfile: string): number {
  const key = Object.keys(meta.outputs).find((k) => resolve(root, k) === outfile || resolve(k) === outfile);
  return key === undefined ? statSync(outfile).size : meta.outputs[key].bytes;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const known = functionNames();
  const unknown = requested.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown function(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
    process.exit(2);
  }
  buildFunctions(requested.length > 0 ? requested : known).then(
    (built) => {
      for (const b of built) console.log(`built ${relative(root, b.outfile)} (${(b.bytes / 1024).toFixed(1)} KiB)`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
