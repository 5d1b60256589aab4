/**
 * Serverless Devs "magic variable" resolution for s.yaml, offline. Supports the forms a project like ours uses:
 * `${vars.a.b}`, `${env('X')}`, `${env('X', 'default')}`, `${env(X)}`, `${config('AccountID')}`,
 * `${path('./dir')}`, `${file('./f')}`, `${json('{"a":1}')}`, `${this.props.x}` and `${resources.<r>.props.x}`.
 * A string that is exactly one `${...}` keeps the referenced value's type (so `environmentVariables:
 * ${vars.env}` yields an object); otherwise each expression is interpolated as text.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

export interface ResolveScope {
  /** Directory of the s.yaml file; `path()` and `file()` are relative to it. */
  readonly baseDir: string;
  /** Environment for `${env(...)}` (usually process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values for `${config('Key')}`, e.g. { AccountID: '1234567890123456' }. */
  readonly config: Readonly<Record<string, string>>;
  readonly vars: unknown;
  /** Raw (unresolved) resources map, for `${resources.x.props.y}`. */
  readonly resources: unknown;
  /** The props of the resource being resolved, for `${this.props.x}`. */
  readonly thisProps?: unknown;
}

export class SYamlError extends Error {
  override readonly name = 'SYamlError';
}

const WHOLE = /^\$\{([^{}]+)\}$/;
const EMBEDDED = /\$\{([^{}]+)\}/g;
const CALL = /^([A-Za-z_][\w]*)\s*\((.*)\)$/s;

/** Resolves every `${...}` inside `value` (recursively through arrays and objects). */
export function resolveValue(value: unknown, scope: ResolveScope, where: string, depth = 0): unknown {
  if (depth > 20) throw new SYamlError(`${where}: variable references nest too deeply (a cycle?)`);
  if (typeof value === 'string') return resolveString(value, scope, where, depth);
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, scope, `${where}[${i}]`, depth));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope, `${where}.${k}`, depth);
    return out;
  }
  return value;
}

function resolveString(text: string, scope: ResolveScope, where: string, depth: number): unknown {
  const whole = WHOLE.exec(text.trim());
  if (whole) return resolveValue(evaluate(whole[1].trim(), scope, where), scope, where, depth + 1);
  if (!text.includes('${')) return text;
  return text.replace(EMBEDDED, (_m, expr: string) => {
    const v = resolveValue(evaluate(expr.trim(), scope, where), scope, where, depth + 1);
    if (v === undefined || v === null) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function evaluate(expr: string, scope: ResolveScope, where: string): unknown {
  const call = CALL.exec(expr);
  if (call) {
    const fn = call[1];
    const args = parseArgs(call[2], where);
    switch (fn) {
      case 'env': {
        if (args.length === 0) throw new SYamlError(`${where}: env() needs a variable name`);
        const v = scope.env[args[0]];
        if (v !== undefined && v !== '') return v;
        if (args.length > 1) return args[1];
        throw new SYamlError(
          `${where}: environment variable ${args[0]} is not set and \${env('${args[0]}')} has no default`,
        );
      }
      case 'config': {
        const v = scope.config[args[0] ?? ''];
        if (v === undefined)
          throw new SYamlError(
            `${where}: \${config('${args[0]}')} is not known locally (set it in the runner's config option)`,
          );
        return v;
      }
      case 'path':
        return resolvePath(scope.baseDir, args[0] ?? '.');
      case 'file':
        return readFileSync(resolvePath(scope.baseDir, args[0] ?? ''), 'utf8');
      case 'json':
        try {
          return JSON.parse(args[0] ?? '');
        } catch (e) {
          throw new SYamlError(`${where}: json() argument is not JSON: ${(e as Error).message}`);
        }
      default:
        throw new SYamlError(`${where}: \${${fn}(...)} is not supported by the local runner`);
    }
  }
  const path = expr.split('.').map((s) => s.trim());
  const [head, ...rest] = path;
  let root: unknown;
  if (head === 'vars') root = scope.vars;
  else if (head === 'this') root = { props: scope.thisProps };
  else if (head === 'resources') {
    if (rest[1] === 'output')
      throw new SYamlError(`${where}: \${${expr}} needs a deployed resource; not available locally`);
    root = scope.resources;
  } else throw new SYamlError(`${where}: unknown reference \${${expr}}`);
  let cur = root;
  for (const key of rest) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as Record<string, unknown>))) {
      throw new SYamlError(`${where}: \${${expr}} does not resolve (no "${key}")`);
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Arguments: comma-separated, each a single/double-quoted string or a bare word. */
function parseArgs(text: string, where: string): string[] {
  const args: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (i >= s.length) break;
    const q = s[i];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, i + 1);
      if (end < 0) throw new SYamlError(`${where}: unterminated string in (${text})`);
      args.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = s.indexOf(',', i);
      if (end < 0) end = s.length;
      args.push(s.slice(i, end).trim());
      i = end;
    }
  }
  return args;
}
