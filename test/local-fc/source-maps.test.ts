/**
 * Function logs show TypeScript locations: a function bundled like ours (minified, linked source map) logs a
 * stack trace, and with NODE_OPTIONS=--enable-source-maps (as s.yaml sets it) the runner's instance reads the
 * map before the bundle loads, so the frame points at index.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { startFcRunner, type FcRunner } from '../../local/fc/index';

const dir = mkdtempSync(join(tmpdir(), 'fc-source-maps-'));
const runners: FcRunner[] = [];
afterAll(async () => {
  for (const r of runners) await r.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function project(nodeOptions: string | undefined): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/ts-source/index.ts', import.meta.url))],
    outfile: join(dir, 'code', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'silent',
  });
  const env = nodeOptions === undefined ? '' : `\n      environmentVariables:\n        NODE_OPTIONS: '${nodeOptions}'`;
  const file = join(dir, `s-${nodeOptions === undefined ? 'plain' : 'maps'}.yaml`);
  writeFileSync(
    file,
    `edition: 3.0.0\nname: maps\naccess: default\nresources:\n  fn:\n    component: fc3\n    props:\n      region: cn-hangzhou\n      functionName: ts-fn\n      runtime: nodejs20\n      code: ./code\n      handler: index.handler\n      memorySize: 128\n      timeout: 10${env}\n`,
  );
  return file;
}

async function logsOf(nodeOptions: string | undefined): Promise<string> {
  const runner = await startFcRunner({
    sYamlPath: await project(nodeOptions),
    port: 0,
    timers: false,
    logger: { info() {}, warn() {}, error() {} },
    functionLogs: false,
  });
  runners.push(runner);
  const outcome = await runner.invoke('ts-fn', '{}');
  expect(outcome.ok).toBe(true);
  return outcome.logs.join('\n');
}

describe('stack traces in function logs', () => {
  it('point at the TypeScript source when NODE_OPTIONS enables source maps', async () => {
    const logs = await logsOf('--enable-source-maps');
    expect(logs).toMatch(/index\.ts:\d+:\d+/);
  });

  it('point at the bundle without it (the control)', async () => {
    const logs = await logsOf(undefined);
    expect(logs).not.toMatch(/index\.ts:\d+/);
    expect(logs).toMatch(/index\.js:\d+:\d+/);
  });
});
