/**
 * s.yaml names no default Tablestore instance: deploying without TABLESTORE_INSTANCE stops in the pre-deploy
 * action before anything is built or created, and a function that still runs without it answers
 * 500 InvalidConfiguration naming the variable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readConfig } from '../../lib/api/config';
import { resolveValue } from '../../local/fc/yaml-vars';

const root = resolve(import.meta.dirname, '../..');
const raw = parse(readFileSync(join(root, 's.yaml'), 'utf8')) as {
  vars: unknown;
  actions: Record<string, Array<{ run: string }>>;
};

function resolvedEnvironment(env: Record<string, string>): Record<string, string> {
  const vars = resolveValue(
    raw.vars,
    { baseDir: root, env, config: { AccountID: '1234567890123456' }, vars: undefined, resources: {} },
    'vars',
  ) as {
    environment: Record<string, string>;
  };
  return vars.environment;
}

/** Runs the pre-deploy actions in order, as `s deploy` does, stopping at the first failure. */
function preDeploy(env: NodeJS.ProcessEnv): { failedAt?: string; stderr: string } {
  for (const action of raw.actions['pre-deploy']) {
    if (action.run.startsWith('npm run build')) return { stderr: '' }; // reached the build: the guard let it through
    try {
      execFileSync('sh', ['-c', action.run], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      return { failedAt: action.run, stderr: String((e as { stderr?: Buffer }).stderr ?? '') };
    }
  }
  return { stderr: '' };
}

describe('TABLESTORE_INSTANCE in s.yaml', () => {
  it('has no default', () => {
    expect(resolvedEnvironment({}).TABLESTORE_INSTANCE).toBe('');
    expect(resolvedEnvironment({ TABLESTORE_INSTANCE: 'prodinst' }).TABLESTORE_INSTANCE).toBe('prodinst');
  });

  it('stops s deploy before the build when unset, and lets it through when set', () => {
    const env = { ...process.env };
    delete env.TABLESTORE_INSTANCE;
    const stopped = preDeploy(env);
    expect(stopped.failedAt).toBeDefined();
    expect(stopped.stderr).toContain('TABLESTORE_INSTANCE is not set');
    expect(preDeploy({ ...env, TABLESTORE_INSTANCE: 'prodinst' }).failedAt).toBeUndefined();
  });

  it('makes a function deployed without it answer 500 InvalidConfiguration naming it', () => {
    const env = { ...resolvedEnvironment({}), FC_REGION: 'cn-hangzhou' };
    expect(() => readConfig(env)).toThrow(
      expect.objectContaining({
        status: 500,
        code: 'InvalidConfiguration',
        message: expect.stringContaining('TABLESTORE_INSTANCE'),
      }),
    );
  });
});
