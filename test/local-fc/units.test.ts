/**
 * The runner's small parts on their own: ACS3-HMAC-SHA256 against a known vector, timer schedules, s.yaml
 * magic variables and validation.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration, parseSchedule } from '../../local/fc/timers';
import { loadProject, SYamlError } from '../../local/fc/config';

describe('timer schedules', () => {
  it('accepts six-field cron in UTC, CRON_TZ zones and @every durations', () => {
    expect(parseSchedule('0 */5 * * * *')).toEqual({ kind: 'cron', pattern: '0 */5 * * * *', timezone: 'UTC' });
    expect(parseSchedule('CRON_TZ=Asia/Shanghai 0 0 4 1 * *')).toEqual({
      kind: 'cron',
      pattern: '0 0 4 1 * *',
      timezone: 'Asia/Shanghai',
    });
    expect(parseSchedule('@every 5m')).toEqual({ kind: 'every', intervalMs: 300_000 });
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1500ms')).toBe(1500);
  });

  it('rejects five-field cron, bad zones, bad fields and bad durations', () => {
    expect(() => parseSchedule('*/5 * * * *')).toThrow(/six fields/);
    expect(() => parseSchedule('CRON_TZ=Mars/Olympus 0 0 4 1 * *')).toThrow(/time zone/);
    expect(() => parseSchedule('0 99 * * * *')).toThrow(/invalid cron/);
    expect(() => parseSchedule('@every 5 minutes')).toThrow(/invalid duration/);
    expect(() => parseSchedule('@every 0s')).toThrow(/invalid duration/);
  });
});

describe('s.yaml loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syaml-'));
  const write = (text: string): string => {
    const f = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  const fn = (props: string): string => `edition: 3.0.0
name: t
vars:
  r: cn-shanghai
resources:
  f:
    component: fc3
    props:
      region: \${vars.r}
      functionName: f
      runtime: nodejs20
      code: ./code
      handler: index.handler
${props}`;

  it('explains a missing env variable without default, an unknown config key and unsupported references', () => {
    expect(() =>
      loadProject(write(fn('      environmentVariables: { A: "${env(\'NOPE_NOT_SET\')}" }')), { env: {} }),
    ).toThrow(/NOPE_NOT_SET is not set/);
    expect(() => loadProject(write(fn("      role: acs:ram::${config('AccountID')}:role/x")), { env: {} })).toThrow(
      /config\('AccountID'\)/,
    );
    expect(() =>
      loadProject(write(fn('      environmentVariables: { A: "${resources.f.output.url}" }')), { env: {} }),
    ).toThrow(/deployed resource/);
  });

  it('validates memory, reserved variable names and trigger configs', () => {
    expect(() => loadProject(write(fn('      memorySize: 500')), { env: {} })).toThrow(/multiple of 64/);
    for (const bad of ['0', '201', '1.5'])
      expect(() => loadProject(write(fn(`      instanceConcurrency: ${bad}`)), { env: {} })).toThrow(
        /instanceConcurrency must be/,
      );
    expect(loadProject(write(fn('')), { env: {} }).functions[0].instanceConcurrency).toBe(1);
    expect(() => loadProject(write(fn('      environmentVariables: { FC_X: "1" }')), { env: {} })).toThrow(/reserved/);
    const badAuth = fn(`      triggers:
        - triggerName: h
          triggerType: http
          triggerConfig: { authType: none, methods: [GET] }`);
    expect(() => loadProject(write(badAuth), { env: {} })).toThrow(SYamlError);
    const noEnable = fn(`      triggers:
        - triggerName: t
          triggerType: timer
          triggerConfig: { cronExpression: '0 * * * * *' }`);
    expect(() => loadProject(write(noEnable), { env: {} })).toThrow(/enable/);
  });

  it('resolves env() defaults, embedded references and code paths relative to the file', () => {
    const p = loadProject(
      write(fn("      environmentVariables: { URL: \"https://${env('HOST_X', 'h.example')}/${vars.r}\", N: 3 }")),
      { env: {} },
    );
    expect(p.functions[0].environmentVariables).toEqual({ URL: 'https://h.example/cn-shanghai', N: '3' });
    expect(p.functions[0].codeDir).toBe(join(dir, 'code'));
    expect(p.functions[0].timeout).toBe(3);
  });
});
