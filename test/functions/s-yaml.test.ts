import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Cron } from 'croner';
import { parse } from 'yaml';
import { resolveValue } from '../../local/fc/yaml-vars';
import { buildFunctions } from '../../scripts/build';
import { CRON_PATTERN, fc3PropsSchema } from './fc3-props-schema';

const root = resolve(__dirname, '../..');
const raw = parse(readFileSync(join(root, 's.yaml'), 'utf8')) as Record<string, any>;

function resolvedProps(env: Record<string, string> = {}): Record<string, Record<string, any>> {
  const scope = {
    baseDir: root,
    env,
    config: { AccountID: '1234567890123456' },
    vars: undefined as unknown,
    resources: raw.resources,
  };
  scope.vars = resolveValue(raw.vars, scope, 'vars');
  const out: Record<string, Record<string, any>> = {};
  for (const [name, res] of Object.entries<any>(raw.resources)) {
    out[name] = resolveValue(res.props, { ...scope, thisProps: res.props }, `resources.${name}.props`) as Record<
      string,
      any
    >;
  }
  return out;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(fc3PropsSchema);

describe('s.yaml', () => {
  it('is a Serverless Devs v3 project whose global actions build before deploy and local runs', () => {
    expect(raw.edition).toBe('3.0.0');
    expect(raw.actions['pre-local']).toEqual([{ run: 'npm run build', path: './' }]);
    expect(raw.actions['pre-deploy'].at(-1)).toEqual({ run: 'npm run build', path: './' });
    for (const res of Object.values<any>(raw.resources)) expect(res.component).toMatch(/^fc3(@[0-9.]+)?$/);
  });

  it('passes our strict fc3 props schema for every resource', () => {
    for (const [name, props] of Object.entries(resolvedProps())) {
      const ok = validate(props);
      expect(ok, `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('has both functions on nodejs20 with code in dist/<fn>, handler index.handler, the role and the environment', () => {
    const props = resolvedProps({ TABLESTORE_INSTANCE: 'prodinst' });
    expect(Object.keys(props).sort()).toEqual(['http-api', 'table-audit']);
    for (const [name, p] of Object.entries(props)) {
      expect(p.runtime).toBe('nodejs20');
      expect(p.code).toBe(`./dist/${name}`);
      expect(p.handler).toBe('index.handler');
      expect(p.role).toBe('acs:ram::1234567890123456:role/tablestore-fc-reader');
      expect(p.environmentVariables.TABLESTORE_INSTANCE).toBe('prodinst');
      expect(p.logConfig).toBeDefined();
      const envBytes = Object.entries<string>(p.environmentVariables).reduce((n, [k, v]) => n + k.length + v.length, 0);
      expect(envBytes).toBeLessThanOrEqual(4096);
    }
  });

  it('protects the HTTP trigger (authType function, never anonymous by default) and runs the audit every 5 minutes', () => {
    const props = resolvedProps();
    const http = props['http-api'].triggers.find((t: any) => t.triggerType === 'http');
    expect(http.triggerConfig.authType).toBe('function');
    expect(http.triggerConfig.methods).toEqual(['GET', 'POST']);
    const timer = props['table-audit'].triggers.find((t: any) => t.triggerType === 'timer');
    expect(timer.triggerConfig.enable).toBe(true);
    // Six-field cron evaluated in UTC: consecutive runs are 5 minutes apart.
    const runs = new Cron(timer.triggerConfig.cronExpression, { paused: true, timezone: 'UTC' }).nextRuns(
      3,
      new Date('2026-11-23T00:00:01Z'),
    );
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-11-23T00:05:00.000Z',
      '2026-11-23T00:10:00.000Z',
      '2026-11-23T00:15:00.000Z',
    ]);
    expect(JSON.parse(timer.triggerConfig.payload)).toMatchObject({ staleAfterMinutes: expect.any(Number) });
  });

  it('rejects what fc3 lets through: bad authType, bad cron, memorySize not a multiple of 64, other runtimes, misspelt props, jwt without authConfig', () => {
    const good = resolvedProps()['http-api'];
    const timerGood = resolvedProps()['table-audit'];
    const mutate = (base: Record<string, any>, f: (p: any) => void) => {
      const p = structuredClone(base);
      f(p);
      return validate(p);
    };
    expect(mutate(good, (p) => (p.triggers[0].triggerConfig.authType = 'none'))).toBe(false);
    expect(mutate(good, (p) => (p.triggers[0].triggerConfig.authType = 'jwt'))).toBe(false);
    expect(mutate(good, (p) => (p.triggers[0].triggerConfig.methods = ['FETCH']))).toBe(false);
    expect(mutate(good, (p) => (p.memorySize = 500))).toBe(false);
    expect(mutate(good, (p) => (p.runtime = 'nodejs22'))).toBe(false);
    expect(mutate(good, (p) => (p.memorySzie = 512))).toBe(false);
    expect(mutate(good, (p) => (p.environmentVariables.FC_SECRET = 'x'))).toBe(false);
    expect(mutate(good, (p) => (p.role = 'my-role'))).toBe(false);
    expect(mutate(timerGood, (p) => (p.triggers[0].triggerConfig.cronExpression = '*/5 * * * *'))).toBe(false);
    expect(mutate(timerGood, (p) => delete p.triggers[0].triggerConfig.enable)).toBe(false);
    // The jwt configuration docs/functions.md shows passes.
    const jwt = {
      authType: 'jwt',
      methods: ['GET'],
      authConfig: {
        jwks: { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: 'my-key-1', e: 'AQAB', n: 'xyz' }] },
        tokenLookup: [{ readPosition: 'header', parameterName: 'Authorization', prefix: 'Bearer ' }],
        claimPassBy: [{ claimName: 'sub', mappingParameterName: 'x-caller', mappingParameterPosition: 'header' }],
        whitelist: ['/healthz'],
      },
    };
    expect(mutate(good, (p) => (p.triggers[0].triggerConfig = jwt))).toBe(true);
    expect(
      mutate(
        good,
        (p) => (p.triggers[0].triggerConfig = { ...jwt, authConfig: { ...jwt.authConfig, blacklist: ['/x'] } }),
      ),
    ).toBe(false);
    expect(new RegExp(CRON_PATTERN).test('CRON_TZ=Asia/Shanghai 0 0 4 1 * *')).toBe(true);
    expect(new RegExp(CRON_PATTERN).test('@every 5m')).toBe(true);
  });

  describe('after the build', () => {
    let out: string;
    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'tsfc-build-'));
      await buildFunctions(undefined, out);
    });
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('has the handler file and export s.yaml names, loadable without node_modules', async () => {
      for (const props of Object.values(resolvedProps())) {
        const dir = join(out, basename(props.code));
        const [file, exportName] = props.handler.split('.');
        const js = join(dir, `${file}.js`);
        expect(existsSync(js), js).toBe(true);
        expect(existsSync(`${js}.map`)).toBe(true);
        // Required from a temp folder outside the repository: nothing can come from node_modules.
        const mod = createRequire(js)(js) as Record<string, unknown>;
        expect(typeof mod[exportName]).toBe('function');
      }
      const http = createRequire(join(out, 'http-api/index.js'))(join(out, 'http-api/index.js')) as {
        handler: (e: Buffer, c: unknown) => Promise<{ statusCode: number; body: string }>;
      };
      const event = readFileSync(join(root, 'events/http-openapi.json'));
      const res = await http.handler(event, {
        requestId: 'r1',
        credentials: {},
        function: { name: 'f', handler: 'index.handler', memory: 512, timeout: 10 },
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body).openapi).toBe('3.1.0');
    });
  });
});
