/**
 * Bundles each function into dist/<function>/index.js: one CommonJS file per function (FC's default module
 * format), node20, minified, with a source map beside it. Everything a function calls is inlined, so the
 * folder s.yaml uploads needs no node_modules; the official `tablestore` SDK is not (our clients replace
 * it; `sdk()` of lib/tablestore/clients.ts imports it from node_modules only when called).
 *
 * Request validators are compiled here, once: lib/api/validators.ts is replaced in every bundle by ajv
 * standalone code for each schema of lib/api/validator-schemas.ts, so no Ajv runs at cold start.
 *
 *   npm run build                 # all functions
 *   npm run build -- http-api     # only the named ones
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
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

/** A bundle: its entry module and where its folder goes under dist/. Add entries here (web pages, …). */
export interface EntryPoint {
  readonly name: string;
  readonly entry: string;
}

export function entryPoints(names: readonly string[] = functionNames()): EntryPoint[] {
  return names.map((name) => ({ name, entry: join(root, 'functions', name, 'index.ts') }));
}

/**
 * Which validators a function's bundle carries: the HTTP function never sees a timer event; the audit runs
 * its saved queries through the routes its payload schema allows (lib/api/saved-queries.ts: rows, points,
 * latest).
 */
const VALIDATORS_OF: Readonly<Record<string, (id: string) => boolean>> = {
  'http-api': (id) => id.startsWith('route:'),
  'table-audit': (id) =>
    id === 'auditEvent' || /^route:GET \/(tables\/\{table\}\/rows|timeseries\/\{table\}\/(points|latest))$/.test(id),
};

/** Annotation keywords (for OpenAPI readers) that validation ignores: left out of the generated code. */
const ANNOTATIONS = new Set(['description', 'title', 'examples']);
function withoutAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAnnotations);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !ANNOTATIONS.has(k))
      .map(([k, v]) => [k, withoutAnnotations(v)]),
  );
}

/** ajv standalone code of the validators `wanted` selects, as the ES module that replaces lib/api/validators.ts. */
export async function standaloneValidators(wanted: (id: string) => boolean = () => true): Promise<string> {
  const [{ default: Ajv2020 }, { default: standaloneCode }, { validatorSchemas }, { VALIDATOR_OPTIONS }] =
    await Promise.all([
      import('ajv/dist/2020.js'),
      import('ajv/dist/standalone/index.js'),
      import('../lib/api/validator-schemas'),
      import('../lib/api/validators'),
    ]);
  // The same options as the validators compiled at run time in tests and `tsx` runs.
  const ajv = new Ajv2020({ ...VALIDATOR_OPTIONS, inlineRefs: false, code: { source: true, esm: true } });
  const exportsById: Record<string, string> = {};
  const ids = Object.entries(validatorSchemas())
    .filter(([id]) => wanted(id))
    .map(([id, schema]): [string, Record<string, unknown>] => [
      id,
      withoutAnnotations(schema) as Record<string, unknown>,
    ]);
  // Parts several request schemas repeat (the `params` of every `/tables/{table}/…` route, `next`, `columns`,
  // …) are compiled once and referenced (with `inlineRefs: false`); routes with the same request schema share
  // one validate function. Parts with a `default` stay inline (defaults are applied by the parent).
  const counts = new Map<string, number>();
  const candidates = (schema: Record<string, unknown>): string[] => {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const out: string[] = [];
    for (const part of Object.values(props)) {
      out.push(JSON.stringify(part));
      for (const sub of Object.values((part.properties ?? {}) as Record<string, unknown>)) out.push(JSON.stringify(sub));
    }
    return out.filter((k) => !k.includes('"default"') && k.length > 40);
  };
  for (const [, schema] of ids) for (const k of new Set(candidates(schema))) counts.set(k, (counts.get(k) ?? 0) + 1);
  const shared = new Map<string, string>();
  const ref = (sub: unknown): unknown => {
    const key = JSON.stringify(sub);
    if ((counts.get(key) ?? 0) < 2) return undefined;
    let id = shared.get(key);
    if (id === undefined) {
      id = `tsfc:shared${shared.size}`;
      shared.set(key, id);
      ajv.addSchema({ $id: id, ...(sub as object) });
    }
    return { $ref: id };
  };
  const share = (schema: Record<string, unknown>): Record<string, unknown> => {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    const out: Record<string, unknown> = {};
    for (const [name, part] of Object.entries(props)) {
      const whole = ref(part);
      if (whole !== undefined || !part.properties) {
        out[name] = whole ?? part;
        continue;
      }
      const subs: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(part.properties as Record<string, unknown>)) subs[k] = ref(sub) ?? sub;
      out[name] = { ...part, properties: subs };
    }
    return { ...schema, properties: out };
  };
  const slotOf = new Map<string, number>();
  const table = ids
    .map(([id, schema]) => {
      const key = JSON.stringify(schema);
      let slot = slotOf.get(key);
      if (slot === undefined) {
        slot = slotOf.size;
        slotOf.set(key, slot);
        ajv.addSchema(share(schema), id);
        exportsById[`v${slot}`] = id;
      }
      return `${JSON.stringify(id)}: v${slot}`;
    })
    .join(',\n  ');
  // Error objects keep instancePath, keyword, params and message (all lib/api/error-mapping.ts reads); the
  // schemaPath of each is dropped from the generated code, a few KiB of string literals per bundle.
  const code = standaloneCode(ajv, exportsById).replace(/schemaPath:"(?:[^"\\]|\\.)*",/g, '');
  return `${code}
const compiled = {
  ${table}
};
export function eventValidator(id) {
  const v = compiled[id];
  if (!v) throw new Error('no precompiled validator ' + id + ' (list it in lib/api/validator-schemas.ts)');
  return v;
}
`;
}

/**
 * Modules a function imports with `import('./x')` on first use, emitted as their own file beside index.js
 * instead of being inlined: the search routes' work (encoders, DSL, result JSON) loads with the first search
 * request and costs the other requests' cold start nothing. Each part is a complete CommonJS bundle of its
 * own (it shares no module instances with index.js, so it hands back plain data and errors told apart by
 * name; lib/api/routes/search-service.ts).
 */
export const LAZY_PARTS: Readonly<Record<string, string>> = {
  [join(root, 'lib', 'api', 'routes', 'search-service.ts')]: 'search.js',
};

function lazyParts(used: Set<string>): Plugin {
  return {
    name: 'lazy-parts',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = resolve(args.resolveDir, args.path.endsWith('.ts') ? args.path : `${args.path}.ts`);
        const file = LAZY_PARTS[target];
        if (file === undefined) return undefined;
        used.add(target);
        return { path: `./${file}`, external: true };
      });
    },
  };
}

function precompiledValidators(code: string): Plugin {
  const target = join(root, 'lib', 'api', 'validators.ts');
  return {
    name: 'precompiled-validators',
    setup(b) {
      b.onLoad({ filter: /[\\/]lib[\\/]api[\\/]validators\.ts$/ }, (args) =>
        resolve(args.path) === target ? { contents: code, loader: 'js', resolveDir: root } : undefined,
      );
    },
  };
}

export async function buildFunctions(
  names: readonly string[] = functionNames(),
  outRoot = join(root, 'dist'),
): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const { name, entry } of entryPoints(names)) {
    const validators = await standaloneValidators(VALIDATORS_OF[name]);
    const outdir = join(outRoot, name);
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    const outfile = join(outdir, 'index.js');
    const lazy = new Set<string>();
    const common = {
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
      // Loaded on demand by TablestoreClients.sdk(), never bundled.
      external: ['tablestore'],
      // Strict mode for the whole file (the directive must come first), and stack traces in FC logs that
      // point at our TypeScript sources.
      banner: { js: '"use strict";process.setSourceMapsEnabled&&process.setSourceMapsEnabled(true);' },
    } satisfies BuildOptions;
    const result = await build({
      ...common,
      entryPoints: [entry],
      outfile,
      plugins: [precompiledValidators(validators), unusedPinoParts(), lazyParts(lazy)],
    });
    for (const part of lazy)
      await build({
        ...common,
        entryPoints: [part],
        outfile: join(outdir, LAZY_PARTS[part]),
        plugins: [precompiledValidators(validators), unusedPinoParts()],
      });
    // The repository is "type": "module"; this marker keeps the bundle CommonJS when run from the checkout
    // (s local, the local FC runner) exactly as on FC, where the folder is uploaded alone.
    writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`);
    // The HTTP function also serves the browser explorer: its page and assets sit beside the bundle, read only
    // when a page is asked for (lib/explorer/serve.ts).
    if (name === 'http-api') await buildExplorerAssets(join(outdir, 'explorer'));
    // Outside the uploaded folder: what each bundle is made of (`npm run bench` prints the largest parts).
    mkdirSync(join(outRoot, '.meta'), { recursive: true });
    writeFileSync(join(outRoot, '.meta', `${name}.json`), JSON.stringify(result.metafile));
    const bytes = outputBytes(result.metafile, outfile);
    built.push({ name, outfile, bytes });
  }
  return built;
}

/**
 * pino's worker-thread transports (thread-stream) and its asynchronous file writer (sonic-boom) are never
 * used by the functions, which log to stdout synchronously (lib/fc/stdout.ts); pino still requires both at
 * load, so they are replaced by stubs that throw if ever called. Keeps each bundle within 250 KiB.
 */
function unusedPinoParts(): Plugin {
  return {
    name: 'unused-pino-parts',
    setup(b) {
      b.onResolve({ filter: /^(thread-stream|sonic-boom)$/ }, (args) => ({
        path: args.path,
        namespace: 'unused-pino-part',
      }));
      b.onLoad({ filter: /.*/, namespace: 'unused-pino-part' }, (args) => ({
        contents: `module.exports = function unused() { throw new Error(${JSON.stringify(`${args.path} is not bundled: the functions log to stdout synchronously`)}); };`,
        loader: 'js',
      }));
    },
  };
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
