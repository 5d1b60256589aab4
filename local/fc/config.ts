/**
 * Reads an s.yaml (Serverless Devs v3, component fc3) into the function specs the runner serves. Only fc3
 * resources are taken; props are resolved with the magic variables in yaml-vars.ts, then checked as strictly
 * as the runner needs (fc3 itself barely validates, see docs/protocol.md §12.5).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveValue, SYamlError, type ResolveScope } from './yaml-vars';

export { SYamlError };

export interface HttpTriggerSpec {
  readonly type: 'http';
  readonly name: string;
  readonly authType: 'anonymous' | 'function' | 'jwt';
  /** Upper-case methods the trigger accepts. */
  readonly methods: readonly string[];
  readonly qualifier: string;
}

export interface TimerTriggerSpec {
  readonly type: 'timer';
  readonly name: string;
  /** As written in s.yaml: six-field cron, optional `CRON_TZ=<zone> ` prefix, or `@every <duration>`. */
  readonly cronExpression: string;
  readonly enable: boolean;
  /** Delivered verbatim as the event's `payload` string. */
  readonly payload?: string;
  readonly qualifier: string;
}

export type TriggerSpec = HttpTriggerSpec | TimerTriggerSpec;

export interface FunctionSpec {
  /** The key under `resources:` in s.yaml. */
  readonly resourceName: string;
  readonly functionName: string;
  readonly region: string;
  readonly runtime: string;
  /** Absolute path of the code directory. */
  readonly codeDir: string;
  /** `file.export`, relative to codeDir. */
  readonly handler: string;
  readonly memorySize: number;
  /**
   * s.yaml `instanceConcurrency` (default 1). FC 3.0 honours values above 1 only in custom runtimes; the runner
   * runs built-in runtimes, whose instances serve one invocation at a time (docs/protocol-fc.md §7).
   */
  readonly instanceConcurrency: number;
  /** Seconds. */
  readonly timeout: number;
  /** Full role ARN (bare names completed and lower-cased like fc3 does); undefined when no role. */
  readonly role?: string;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly initializer?: { readonly handler: string; readonly timeout: number };
  readonly triggers: readonly TriggerSpec[];
  /** Triggers of types the runner does not emulate (oss, log, ...), as "name (type)". */
  readonly skippedTriggers: readonly string[];
}

export interface LoadOptions {
  /** Environment for `${env()}`; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `${config('AccountID')}` etc. */
  readonly config?: Readonly<Record<string, string>> | undefined;
  /** Account id used to complete bare role names; defaults to config.AccountID. */
  readonly accountId?: string | undefined;
}

export interface ProjectSpec {
  readonly file: string;
  readonly name: string;
  readonly functions: readonly FunctionSpec[];
}

const FC3 = /^fc3(@.*)?$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);

export function loadProject(file: string, options: LoadOptions = {}): ProjectSpec {
  const abs = resolvePath(file);
  if (!existsSync(abs)) throw new SYamlError(`${abs} does not exist`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(abs, 'utf8'));
  } catch (e) {
    throw new SYamlError(`${abs}: not valid YAML: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new SYamlError(`${abs}: expected a mapping at the top level`);
  const baseDir = dirname(abs);
  const config = { ...(options.config ?? {}) };
  const base: Omit<ResolveScope, 'vars'> = {
    baseDir,
    env: options.env ?? process.env,
    config,
    resources: doc.resources,
  };
  const vars = resolveValue(doc.vars ?? {}, { ...base, vars: doc.vars ?? {} }, 'vars');
  const resources = doc.resources;
  if (!isObject(resources)) throw new SYamlError(`${abs}: no "resources" mapping`);
  const accountId = options.accountId ?? config.AccountID;
  const functions: FunctionSpec[] = [];
  for (const [resourceName, resource] of Object.entries(resources)) {
    if (!isObject(resource) || typeof resource.component !== 'string' || !FC3.test(resource.component)) continue;
    const where = `resources.${resourceName}.props`;
    const props = resolveValue(resource.props, { ...base, vars, thisProps: resource.props }, where);
    functions.push(toFunctionSpec(resourceName, props, where, baseDir, accountId));
  }
  const names = new Set<string>();
  for (const f of functions) {
    if (names.has(f.functionName)) throw new SYamlError(`${abs}: functionName "${f.functionName}" is used twice`);
    names.add(f.functionName);
  }
  return { file: abs, name: typeof doc.name === 'string' ? doc.name : 'project', functions };
}

function toFunctionSpec(
  resourceName: string,
  props: unknown,
  where: string,
  baseDir: string,
  accountId: string | undefined,
): FunctionSpec {
  if (!isObject(props)) throw new SYamlError(`${where}: expected a mapping`);
  const str = (key: string, required = true): string | undefined => {
    const v = props[key];
    if (v === undefined || v === null) {
      if (required) throw new SYamlError(`${where}.${key} is required`);
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') throw new SYamlError(`${where}.${key} must be a string`);
    return String(v);
  };
  const num = (key: string, dflt: number, min: number, max: number): number => {
    const v = props[key];
    if (v === undefined || v === null) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new SYamlError(`${where}.${key} must be a number in ${min}..${max}`);
    return n;
  };
  const integer = (key: string, min: number, max: number): number => {
    const n = num(key, min, min, max);
    if (!Number.isInteger(n)) throw new SYamlError(`${where}.${key} must be an integer in ${min}..${max}`);
    return n;
  };
  const functionName = str('functionName')!;
  const handler = str('handler')!;
  if (!/^[^.]+(\.[^.]+)+$/.test(handler))
    throw new SYamlError(`${where}.handler must look like file.export (got "${handler}")`);
  const code = props.code;
  const codePath =
    typeof code === 'string' ? code : isObject(code) && typeof code.src === 'string' ? code.src : undefined;
  if (!codePath) throw new SYamlError(`${where}.code must be a directory`);
  if (codePath.endsWith('.zip'))
    throw new SYamlError(`${where}.code: zip files are not supported locally; point code at the build directory`);
  const memorySize = num('memorySize', 512, 128, 32768);
  if (memorySize % 64 !== 0) throw new SYamlError(`${where}.memorySize must be a multiple of 64`);
  const env = props.environmentVariables ?? {};
  if (!isObject(env)) throw new SYamlError(`${where}.environmentVariables must be a mapping`);
  const environmentVariables: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) throw new SYamlError(`${where}.environmentVariables: invalid name "${k}"`);
    if (k.startsWith('FC_')) throw new SYamlError(`${where}.environmentVariables: the FC_ prefix is reserved ("${k}")`);
    environmentVariables[k] = v === null || v === undefined ? '' : String(v);
  }
  let initializer: FunctionSpec['initializer'];
  const lifecycle = props.instanceLifecycleConfig;
  if (isObject(lifecycle) && isObject(lifecycle.initializer) && typeof lifecycle.initializer.handler === 'string') {
    initializer = { handler: lifecycle.initializer.handler, timeout: Number(lifecycle.initializer.timeout ?? 3) };
  }
  const triggers: TriggerSpec[] = [];
  const skippedTriggers: string[] = [];
  if (Array.isArray(props.triggers)) {
    props.triggers.forEach((t, i) => {
      const spec = toTrigger(t, `${where}.triggers[${i}]`);
      if (spec) triggers.push(spec);
      else
        skippedTriggers.push(
          `${String((t as Record<string, unknown>).triggerName)} (${String((t as Record<string, unknown>).triggerType)})`,
        );
    });
  }
  const role = completeRole(str('role', false), accountId, where);
  return {
    resourceName,
    functionName,
    region: str('region')!,
    runtime: str('runtime')!,
    codeDir: resolvePath(baseDir, codePath),
    handler,
    memorySize,
    instanceConcurrency: integer('instanceConcurrency', 1, 200),
    timeout: num('timeout', 3, 1, 86400),
    ...(role === undefined ? {} : { role }),
    environmentVariables,
    ...(initializer === undefined ? {} : { initializer }),
    triggers,
    skippedTriggers,
  };
}

/** fc3 completes a bare role name to an ARN and lower-cases it (src/base.ts). */
function completeRole(role: string | undefined, accountId: string | undefined, where: string): string | undefined {
  if (!role || role === 'auto')
    return role === 'auto' ? completeRole('aliyunfcdefaultrole', accountId, where) : undefined;
  if (role.startsWith('acs:ram::')) return role.toLowerCase();
  if (!accountId)
    throw new SYamlError(`${where}.role "${role}" is a bare name; an account id is needed to complete it`);
  return `acs:ram::${accountId}:role/${role}`.toLowerCase();
}

function toTrigger(t: unknown, where: string): TriggerSpec | undefined {
  if (!isObject(t)) throw new SYamlError(`${where}: expected a mapping`);
  const name = String(t.triggerName ?? '');
  if (!name) throw new SYamlError(`${where}.triggerName is required`);
  const cfg = t.triggerConfig;
  if (!isObject(cfg)) throw new SYamlError(`${where}.triggerConfig is required`);
  const qualifier = typeof t.qualifier === 'string' ? t.qualifier : 'LATEST';
  if (t.triggerType === 'http') {
    const authType = cfg.authType;
    if (authType !== 'anonymous' && authType !== 'function' && authType !== 'jwt') {
      throw new SYamlError(`${where}.triggerConfig.authType must be anonymous, function or jwt`);
    }
    if (!Array.isArray(cfg.methods) || cfg.methods.length === 0)
      throw new SYamlError(`${where}.triggerConfig.methods must list HTTP methods`);
    const methods = cfg.methods.map((m) => String(m).toUpperCase());
    for (const m of methods)
      if (!METHODS.has(m)) throw new SYamlError(`${where}.triggerConfig.methods: unknown method ${m}`);
    return { type: 'http', name, authType, methods, qualifier };
  }
  if (t.triggerType === 'timer') {
    if (typeof cfg.cronExpression !== 'string')
      throw new SYamlError(`${where}.triggerConfig.cronExpression is required`);
    if (typeof cfg.enable !== 'boolean') throw new SYamlError(`${where}.triggerConfig.enable (boolean) is required`);
    const payload =
      cfg.payload === undefined || cfg.payload === null
        ? undefined
        : typeof cfg.payload === 'string'
          ? cfg.payload
          : JSON.stringify(cfg.payload);
    return {
      type: 'timer',
      name,
      cronExpression: cfg.cronExpression,
      enable: cfg.enable,
      ...(payload === undefined ? {} : { payload }),
      qualifier,
    };
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
