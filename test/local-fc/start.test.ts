/**
 * `npm start` as a user runs it: a real child process on free ports. Its banner's URL and curl commands work,
 * it prints the credentials in use, and SIGINT stops everything cleanly (exit code 0, ports released).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../local/fc/stack';

function waitFor(get: () => string, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      const m = pattern.exec(get());
      if (m) return resolve(m);
      if (Date.now() - started > ms)
        return reject(new Error(`timed out waiting for ${pattern}; output:\n${get().slice(-2000)}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

describe('npm start', () => {
  it('serves the printed curl commands and stops cleanly on SIGINT', async () => {
    const env = { ...process.env };
    delete env.PORT;
    const child = spawn('npm', ['start', '-s', '--', '--port', '0', '--tablestore-port', '0', '--quiet'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so the SIGINT below reaches npm, tsx and node alike, as Ctrl-C in a terminal does.
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    // 'close' fires once every process holding the pipes (npm, tsx, node) has exited.
    const exited = new Promise<string>((r) => child.on('close', (code, signal) => r(`${code ?? signal}`)));
    try {
      await waitFor(() => out, /\(ready in [\d.]+ s\)/, 90_000);
      expect(out).toMatch(
        /RAM user admin\s+AccessKeyId LTAI5tLocalAdmin000000001\s+AccessKeySecret local-admin-secret/,
      );
      expect(out).toMatch(/role tablestore-fc-reader: STS STS\.\S+/);
      expect(out).toContain('temperature/sensor-2 went silent 2 days ago');
      const url = /HTTP\s+tablestore-fc-http-api\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1];
      const curls = [...out.matchAll(/^\s+curl -s '([^']+)'$/gm)].map((m) => m[1]);
      expect(curls.length).toBeGreaterThanOrEqual(5);
      for (const u of curls) {
        expect(u.startsWith(url)).toBe(true);
        const res = await fetch(u);
        expect(res.status, u).toBe(200);
        await res.arrayBuffer();
      }
      process.kill(-child.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
      // npm itself reports the SIGINT as its own exit signal; the server process stopped cleanly.
      expect(['0', 'SIGINT', '130']).toContain(code);
      expect(out).toMatch(/SIGINT: stopping the runner, Tablestore Local and the STS \.\.\.[^]*\d stopped\./);
      expect(out).not.toContain('forced exit');
      await expect(fetch(`${url}/tables`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }, 120_000);
});

describe('npm start user mistakes', () => {
  function start(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }
  const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

  it('prints one line, no stack trace, for a locked data directory and an unknown option', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { LevelKvStore } = await import('../../local/tablestore/persistence/level');
    const dir = await mkdtemp(join(tmpdir(), 'start-locked-'));
    const holder = await LevelKvStore.open(dir);
    try {
      const locked = await start([
        '--data-dir',
        dir,
        '--port',
        '0',
        '--tablestore-port',
        '0',
        '--no-timers',
        '--quiet',
      ]);
      expect(locked.code).toBe(1);
      expect(lines(locked.stderr), locked.stderr).toHaveLength(1);
      expect(locked.stderr).toMatch(
        /^npm start: Cannot open data directory .* \(is another Tablestore Local using it\?\)/,
      );
      const unknown = await start(['--no-such-option']);
      expect(unknown.code).toBe(2);
      expect(lines(unknown.stderr)).toHaveLength(1);
      expect(unknown.stderr).toMatch(/^npm start: .*--no-such-option/);
    } finally {
      await holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
