/**
 * Everything `npm start` runs, in one process: the FC runner serving s.yaml's functions and the local STS on
 * the main thread, Tablestore Local on a thread of its own (its identities a replica of the STS's LocalIam,
 * kept current change by change, so the RAM users, roles, policies and issued tokens are the same for both),
 * and the demo data. Also used by `npm run invoke` (local mode) and the end-to-end tests.
 *
 * Identities: C's built-in local users (admin, developer) plus, for every role s.yaml names, a role that
 * trusts Function Compute and carries every policy in policies/ (with ${Region}, ${AccountId} and ${Instance}
 * filled in) — what you would set up in RAM before `s deploy`. The admin user may also call InvokeFunction.
 * Function credentials are issued the way FC gets them: the service fc.aliyuncs.com assumes the role.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CredentialProvider, Credentials } from '../../lib/credentials/types';
import { startTablestoreThread, type TablestoreThread } from '../tablestore/thread';
import { startLocalSts, type LocalSts } from '../sts/server';
import { LocalIam } from '../sts/iam';
import { DEFAULT_ACCOUNT_ID, DEFAULT_IDENTITIES_DOCUMENT, parseIdentities } from '../sts/identities';
import { loadProject, type ProjectSpec } from './config';
import { startFcRunner, type FcRunner, type RunnerLogger } from './runner';
import {
  seedDemoData,
  startFeeder,
  timeseriesClient,
  TIMESERIES_TABLE,
  type Feeder,
  type SeedResult,
  type SeedTarget,
} from '../seed/index';

export const REPO_ROOT = resolvePath(fileURLToPath(new URL('../..', import.meta.url)));
export const ADMIN_KEY = DEFAULT_IDENTITIES_DOCUMENT.users[0].accessKeys[0];
export const DEFAULT_INSTANCE = 'tsfc-demo';
const FC_SERVICE = 'fc.aliyuncs.com';
const TWO_DAYS_MS = 2 * 24 * 3600_000;

export interface LocalStackOptions {
  readonly root?: string | undefined;
  /** Default `<root>/s.yaml`. */
  readonly sYamlPath?: string | undefined;
  /** Keep Tablestore data in LevelDB here; default in memory. */
  readonly dataDir?: string | undefined;
  readonly host?: string | undefined;
  /** FC runner port (default env PORT or 9000; 0 = free). */
  readonly port?: number | undefined;
  /** Tablestore Local port (default 8800; 0 = free). */
  readonly tablestorePort?: number | undefined;
  /** Local STS port (default 0 = free). */
  readonly stsPort?: number | undefined;
  /** Default env TABLESTORE_INSTANCE or tsfc-demo. */
  readonly instance?: string | undefined;
  /** How often function role credentials are re-issued. Default 30 s. */
  readonly credentialsRefreshMs?: number | undefined;
  /** A replaced token is revoked this long after its successor was issued (like an expiry); default 2 × refresh. */
  readonly revokeAfterMs?: number | undefined;
  /** Seed demo data when the instance is empty (default true). */
  readonly seed?: boolean | undefined;
  readonly wideRows?: number | undefined;
  /** Append a fresh point to the live demo series this often (default 60 s; 0 = off). */
  readonly feederIntervalMs?: number | undefined;
  /** Build the functions when dist/ is missing or older than the sources (default 'if-needed'). */
  readonly build?: 'if-needed' | 'always' | 'never' | undefined;
  readonly timers?: boolean | undefined;
  readonly timerOverrides?: Readonly<Record<string, string>> | undefined;
  readonly logger?: RunnerLogger | undefined;
  readonly functionLogs?: boolean | undefined;
}

export interface LocalStack {
  readonly runner: FcRunner;
  readonly project: ProjectSpec;
  readonly tablestore: { readonly endpoint: string; readonly instance: string; readonly region: string };
  readonly sts: { readonly endpoint: string; readonly caCertPath: string };
  readonly iam: LocalIam;
  readonly admin: { readonly accessKeyId: string; readonly accessKeySecret: string };
  readonly seed?: SeedResult;
  /** Access key ids of function credentials issued so far, per function. */
  readonly issued: ReadonlyMap<string, readonly string[]>;
  stop(): Promise<void>;
}

const quietLogger: RunnerLogger = { info: () => {}, warn: () => {}, error: () => {} };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const root = options.root ?? REPO_ROOT;
  const log = options.logger ?? quietLogger;
  const sYamlPath = options.sYamlPath ?? join(root, 's.yaml');
  const instance = options.instance ?? process.env.TABLESTORE_INSTANCE ?? DEFAULT_INSTANCE;
  const accountId = DEFAULT_ACCOUNT_ID;

  // Resolve s.yaml once to learn region and roles (endpoint filled in below, once Tablestore Local listens).
  const probeEnv = { ...process.env, TABLESTORE_INSTANCE: instance, TABLESTORE_ENDPOINT: 'http://127.0.0.1:1' };
  const probe = loadProject(sYamlPath, { env: probeEnv, config: { AccountID: accountId }, accountId });
  const region = probe.functions[0]?.region ?? 'cn-hangzhou';

  if (options.build !== 'never') await ensureBuilt(root, probe, options.build === 'always', log);

  const iam = new LocalIam(parseIdentities(identitiesDocument(root, probe, { accountId, region, instance })));
  const stopList: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const s of stopList.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const sts: LocalSts = await startLocalSts({ host: options.host, port: options.stsPort ?? 0, iam });
    stopList.push(() => sts.stop());
    const ots: TablestoreThread = await startTablestoreThread({
      ...(options.host === undefined ? {} : { host: options.host }),
      port: options.tablestorePort ?? 8800,
      instance,
      region,
      iam,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      onError: (e) => log.error(`[tablestore] Tablestore Local stopped: ${e.message}`),
    });
    stopList.push(() => ots.stop());
    const admin = { accessKeyId: ADMIN_KEY.id, accessKeySecret: ADMIN_KEY.secret };
    const target: SeedTarget = { endpoint: ots.endpoint, instance, region, ...admin };

    let seed: SeedResult | undefined;
    if (options.seed !== false) {
      // The stale series is written through a second endpoint over the same storage whose clock runs two days
      // behind, so the server records its meta update time as two days old, as if it had really gone silent.
      let past: { endpoint: string; stop(): Promise<void> } | undefined;
      const pastTarget = async (): Promise<SeedTarget> => {
        past = await ots.startLaggingEndpoint(TWO_DAYS_MS);
        return { ...target, endpoint: past.endpoint };
      };
      try {
        seed = await seedDemoData(target, {
          wideRows: options.wideRows,
          staleTarget: pastTarget,
          indexes: true,
          log: (l) => log.info(l),
        });
      } finally {
        await past?.stop();
      }
    }
    let feeder: Feeder | undefined;
    const feedDemo =
      options.seed !== false &&
      (options.feederIntervalMs ?? 60_000) > 0 &&
      (await hasTimeseriesTable(target, TIMESERIES_TABLE));
    if (feedDemo) {
      feeder = startFeeder(target, options.feederIntervalMs ?? 60_000, (l) => log.warn(l));
      stopList.push(async () => feeder?.stop());
    }

    const issued = new Map<string, string[]>();
    const refreshMs = options.credentialsRefreshMs ?? 30_000;
    const revokeAfterMs = options.revokeAfterMs ?? 2 * refreshMs;
    const revokeTimers = new Set<NodeJS.Timeout>();
    stopList.push(async () => revokeTimers.forEach((t) => clearTimeout(t)));
    const runner = await startFcRunner({
      project: loadProject(sYamlPath, {
        env: { ...process.env, TABLESTORE_INSTANCE: instance, TABLESTORE_ENDPOINT: ots.endpoint },
        config: { AccountID: accountId },
        accountId,
      }),
      host: options.host,
      port: options.port,
      accountId,
      identities: iam,
      credentials: (fn) => {
        const roleName = fn.role?.split(':role/')[1];
        if (!roleName) return undefined;
        const provider: CredentialProvider = async (): Promise<Credentials> => {
          const r = iam.issueForService(roleName, FC_SERVICE, {
            durationSeconds: 900,
            sessionName: fn.functionName.slice(0, 64),
          });
          const list = issued.get(fn.functionName) ?? [];
          const previous = list.at(-1);
          list.push(r.Credentials.AccessKeyId);
          issued.set(fn.functionName, list);
          if (previous) {
            // Old keys stop working a while after rotation: a function that kept them would now fail.
            const t = setTimeout(() => {
              revokeTimers.delete(t);
              iam.revoke(previous);
            }, revokeAfterMs);
            t.unref();
            revokeTimers.add(t);
          }
          return {
            accessKeyId: r.Credentials.AccessKeyId,
            accessKeySecret: r.Credentials.AccessKeySecret,
            securityToken: r.Credentials.SecurityToken,
            expiration: new Date(r.Credentials.Expiration),
            source: 'local-fc',
          };
        };
        return provider;
      },
      credentialsRefreshMs: refreshMs,
      timers: options.timers,
      timerOverrides: options.timerOverrides,
      logger: log,
      functionLogs: options.functionLogs,
    });
    stopList.push(() => runner.stop());
    return {
      runner,
      project: runner.project,
      tablestore: { endpoint: ots.endpoint, instance, region },
      sts: { endpoint: sts.endpoint, caCertPath: sts.caCertPath },
      iam,
      admin,
      ...(seed === undefined ? {} : { seed }),
      issued,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** C's local users and roles, plus the project's execution roles carrying policies/*.json. */
export function identitiesDocument(
  root: string,
  project: ProjectSpec,
  v: { accountId: string; region: string; instance: string },
): object {
  const base = JSON.parse(JSON.stringify(DEFAULT_IDENTITIES_DOCUMENT)) as {
    accountId: string;
    users: { name: string; policies: unknown[] }[];
    roles: { name: string; maxSessionDuration?: number; policies: unknown[] }[];
  };
  base.accountId = v.accountId;
  const policiesDir = join(root, 'policies');
  const policies = existsSync(policiesDir)
    ? readdirSync(policiesDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map(
          (f) =>
            JSON.parse(
              readFileSync(join(policiesDir, f), 'utf8')
                .replaceAll('${Region}', v.region)
                .replaceAll('${AccountId}', v.accountId)
                .replaceAll('${Instance}', v.instance.toLowerCase()),
            ) as unknown,
        )
    : [];
  const roleNames = new Set(project.functions.map((f) => f.role?.split(':role/')[1]).filter((r): r is string => !!r));
  for (const name of roleNames) {
    base.roles = base.roles.filter((r) => r.name.toLowerCase() !== name);
    base.roles.push({ name, maxSessionDuration: 3600, policies });
  }
  const admin = base.users.find((u) => u.name === 'admin');
  admin?.policies.push({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: ['fc:InvokeFunction'], Resource: [`acs:fc:*:${v.accountId}:functions/*`] }],
  });
  return base;
}

/** Builds when a function's bundle is missing or older than any source it is built from. */
export async function ensureBuilt(
  root: string,
  project: ProjectSpec,
  force: boolean,
  log: RunnerLogger,
): Promise<void> {
  const bundles = project.functions.map((f) => join(f.codeDir, `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.js`));
  const isStale = (): boolean => {
    const sourcesNewest = Math.max(newestMtime(join(root, 'functions')), newestMtime(join(root, 'lib')));
    return bundles.some((b) => !existsSync(b) || statSync(b).mtimeMs < sourcesNewest);
  };
  if (!force && !isStale()) return;
  const buildScript = join(root, 'scripts', 'build.ts');
  if (!existsSync(buildScript)) throw new Error(`cannot build the functions: ${buildScript} is missing`);
  // Several processes may start at once (npm start, npm run invoke, parallel test files): one builds, the
  // others wait for it and then find the bundles fresh.
  const release = await buildLock(join(root, 'dist', '.build.lock'));
  try {
    if (!force && !isStale()) return;
    log.info('[build] building the functions (scripts/build.ts) ...');
    const started = performance.now();
    const mod = (await import(buildScript)) as { buildFunctions?: () => Promise<{ name: string; bytes: number }[]> };
    if (typeof mod.buildFunctions !== 'function') throw new Error('scripts/build.ts does not export buildFunctions()');
    const built = await mod.buildFunctions();
    log.info(
      `[build] ${built.map((b) => `${b.name} (${Math.round(b.bytes / 1024)} KiB)`).join(', ')} in ${(performance.now() - started).toFixed(0)} ms`,
    );
  } finally {
    release();
  }
}

async function buildLock(file: string): Promise<() => void> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left behind by a killed build is taken over after a minute.
      try {
        if (Date.now() - statSync(file).mtimeMs > 60_000) rmSync(file, { force: true });
      } catch {
        /* released meanwhile */
      }
      if (Date.now() > deadline)
        throw new Error(`waited 2 minutes for another build to finish (${file})`, { cause: e });
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.js') || entry.name.endsWith('.json'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

async function hasTimeseriesTable(target: SeedTarget, name: string): Promise<boolean> {
  const tables = await timeseriesClient(target).listTimeseriesTables();
  return tables.some((t) => t.tableName === name);
}
