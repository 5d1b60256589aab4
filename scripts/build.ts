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
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExplorerAssets } from '../lib/explorer/build-assets';

/** What a function's bundle and its side modules share: minified CommonJS for Node 20, maps beside the code. */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'external',
  logLevel: 'warning',
} as const satisfies BuildOptions;

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
 * latest, sql).
 */
const VALIDATORS_OF: Readonly<Record<string, (id: string) => boolean>> = {
  'http-api': (id) => id.startsWith('route:'),
  'table-audit': (id) =>
    id === 'auditEvent' ||
    id === 'route:POST /sql' ||
    id === 'route:POST /tables/{table}/search' ||
    /^route:GET \/(tables\/\{table\}\/rows|timeseries\/\{table\}\/(points|latest))$/.test(id),
};

/**
 * Modules a function loads on first use, built as CommonJS files beside its index.js instead of into it:
 * code only some requests need stays out of the bundle (its size budget, its cold start). They must be
 * imported with `await import(...)` only, and import nothing of ours that holds state or classes (the side
 * file has its own copy of whatever it imports).
 */
const SIDE_MODULES: Readonly<Record<string, readonly string[]>> = {
  'http-api': ['lib/api/sql-guard.ts', 'lib/api/routes/search-service.ts'],
  'table-audit': ['lib/api/sql-guard.ts', 'lib/api/routes/search-service.ts'],
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

/**
 * Path and query values are always strings (lib/fc/http-event.ts refuses an event whose maps hold anything
 * else), so `type: "string"` on a parameter can never fail; without it ajv emits no type check and no
 * coercion code for that parameter. Only the build drops it (tests compile the schemas as written).
 */
function untypedStrings(part: unknown): unknown {
  const obj = part as { properties?: Record<string, Record<string, unknown>> };
  if (!obj || typeof obj !== 'object' || !obj.properties) return part;
  const properties = Object.fromEntries(
    Object.entries(obj.properties).map(([name, schema]) => {
      if (schema.type !== 'string') return [name, schema];
      const { type: _string, ...rest } = schema;
      return [name, rest];
    }),
  );
  return { ...obj, properties };
}

/**
 * Request schemas share most of their parts (the path parameters of every /tables/{table} route, a query
 * schema used by two routes): each distinct `params`, `query` and `body` schema becomes one named schema that
 * the request schemas reference, and request schemas that end up identical share one validator, so the
 * generated code holds each part once. Validation is the same as with the inline schemas tests compile.
 */
function sharedParts(ids: ReadonlyArray<[string, Record<string, unknown>]>): {
  parts: Array<[string, unknown]>;
  schemas: Array<[string, Record<string, unknown>]>;
  alias: Map<string, string>;
} {
  const partIds = new Map<string, string>();
  const parts: Array<[string, unknown]> = [];
  const byJson = new Map<string, string>();
  const schemas: Array<[string, Record<string, unknown>]> = [];
  const alias = new Map<string, string>();
  for (const [id, schema] of ids) {
    const props = schema.properties as Record<string, unknown> | undefined;
    let out = schema;
    if (props && typeof props === 'object') {
      const refd: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) {
        if (k !== 'params' && k !== 'query' && k !== 'body') {
          refd[k] = v;
          continue;
        }
        const part = k === 'body' ? v : untypedStrings(v);
        const json = JSON.stringify(part);
        let partId = partIds.get(json);
        if (partId === undefined) {
          partId = `part:${partIds.size}`;
          partIds.set(json, partId);
          parts.push([partId, part]);
        }
        refd[k] = { $ref: partId };
      }
      out = { ...schema, properties: refd };
    }
    const json = JSON.stringify(out);
    const same = byJson.get(json);
    if (same !== undefined) alias.set(id, same);
    else {
      byJson.set(json, id);
      schemas.push([id, out]);
    }
  }
  return { parts, schemas, alias };
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
  // strictTypes off: the parameters' `type: "string"` is left out on purpose (untypedStrings).
  // `inlineRefs: false`: the shared parts below stay one function each instead of being copied into every
  // schema that references them.
  const ajv = new Ajv2020({
    ...VALIDATOR_OPTIONS,
    strictTypes: false,
    inlineRefs: false,
    code: { source: true, esm: true },
  });
  const exportsById: Record<string, string> = {};
  const selected = Object.entries(validatorSchemas())
    .filter(([id]) => wanted(id))
    .map(([id, schema]): [string, Record<string, unknown>] => [
      id,
      withoutAnnotations(schema) as Record<string, unknown>,
    ]);
  const { parts, schemas, alias } = sharedParts(selected);
  for (const [partId, part] of parts) ajv.addSchema(part as Record<string, unknown>, partId);
  schemas.forEach(([id, schema], i) => {
    ajv.addSchema(schema, id);
    exportsById[`v${i}`] = id;
  });
  const index = new Map(schemas.map(([id], i) => [id, i]));
  const table = selected
    .map(([id]) => `${JSON.stringify(id)}: v${index.get(alias.get(id) ?? id) as number}`)
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
    const result = await build({
      entryPoints: [entry],
      outfile,
      ...BUNDLE_OPTIONS,
      metafile: true,
      // Packages that ship an ES build besides their CommonJS one (flatbuffers) are bundled from it: ES code
      // is scope-hoisted and tree-shaken, CommonJS is wrapped whole and run at load.
      mainFields: ['module', 'main'],
      plugins: [precompiledValidators(validators), lazyBuiltins(LAZY_BUILTINS), sideModules(SIDE_MODULES[name] ?? [])],
      // Loaded on demand by TablestoreClients.sdk(), never bundled.
      external: ['tablestore'],
      // Strict mode for the whole file (the directive must come first), and stack traces in FC logs that
      // point at our TypeScript sources.
      banner: { js: '"use strict";process.setSourceMapsEnabled&&process.setSourceMapsEnabled(true);' },
    });
    const bytes = outputBytes(result.metafile, outfile);
    for (const side of SIDE_MODULES[name] ?? []) {
      const sideOut = join(outdir, sideFileName(side));
      await build({
        entryPoints: [join(root, side)],
        outfile: sideOut,
        ...BUNDLE_OPTIONS,
        banner: { js: '"use strict";' },
      });
    }
    // The repository is "type": "module"; this marker keeps the bundle CommonJS when run from the checkout
    // (s local, the local FC runner) exactly as on FC, where the folder is uploaded alone.
    writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`);
    // The HTTP function also serves the browser explorer: its page and assets sit beside the bundle, read only
    // when a page is asked for (lib/explorer/serve.ts).
    if (name === 'http-api') await buildExplorerAssets(join(outdir, 'explorer'));
    // Outside the uploaded folder: what each bundle is made of (`npm run bench` prints the largest parts).
    mkdirSync(join(outRoot, '.meta'), { recursive: true });
    writeFileSync(join(outRoot, '.meta', `${name}.json`), JSON.stringify(result.metafile));
    built.push({ name, outfile, bytes });
  }
  return built;
}

const sideFileName = (source: string): string => `${source.split('/').pop()?.replace(/\.ts$/, '') ?? source}.js`;

/**
 * Resolves a dynamic import of a side module to its file beside index.js (kept external); a static import
 * of one fails the build, as it would pull the module back into the bundle.
 */
function sideModules(sources: readonly string[]): Plugin {
  const targets = new Map(sources.map((s) => [join(root, s), sideFileName(s)]));
  return {
    name: 'side-modules',
    setup(b) {
      if (targets.size === 0) return;
      b.onResolve({ filter: /^\.{1,2}\// }, (args) => {
        const abs = resolve(args.resolveDir, args.path);
        const file = targets.get(abs) ?? targets.get(`${abs}.ts`);
        if (file === undefined) return undefined;
        if (args.kind !== 'dynamic-import')
          return {
            errors: [{ text: `${args.path} is a side module (scripts/build.ts): import it with await import()` }],
          };
        return { path: `./${file}`, external: true };
      });
    },
  };
}

/**
 * Node built-ins the bundles load on first use instead of at load, for cold start (README, Benchmarks):
 * https (with tls) only for an https endpoint, on its first call; the streams @middy/core imports only for
 * response streaming, which the functions never use. http and crypto stay eager: the first Tablestore call
 * needs them anyway.
 */
const LAZY_BUILTINS = ['node:https', 'node:stream', 'node:stream/promises', 'node:stream/web'];

/**
 * Each import of a listed built-in gets a stand-in whose properties are getters that require the real
 * module when first read; what code does with the module is unchanged, only when it is loaded.
 */
function lazyBuiltins(modules: readonly string[]): Plugin {
  const nodeRequire = createRequire(import.meta.url);
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const id = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
        if (!modules.includes(id)) return undefined;
        // The stand-in's own require is the real module.
        if (args.namespace === 'lazy-builtin') return { path: id, external: true };
        return { path: id, namespace: 'lazy-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const names = Object.keys(nodeRequire(args.path) as object).filter((k) => k !== 'default');
        const getters = names
          .map((k) => `${JSON.stringify(k)}:{enumerable:true,get:()=>load()[${JSON.stringify(k)}]}`)
          .join(',');
        return {
          contents: `let m;const load=()=>(m??=require(${JSON.stringify(args.path)}));module.exports=Object.defineProperties({},{${getters}});`,
          loader: 'js',
        };
      });
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
