/**
 * Docs are executable: every fenced code block in README.md and docs/*.md is checked.
 *  - ts/typescript blocks are type-checked with the project's compiler options (js blocks compiled as JavaScript), as if saved at the repository
 *    root (`./lib/...`) or in a function folder (`../../lib/...`): relative imports are resolved from the root.
 *  - bash/sh/console blocks: each command is parsed by `bash -n`; `npm run <script>` must name a script of
 *    package.json; every repository path a command names (events/…, policies/…, docs/…, *.json, *.yaml) must exist.
 *  - json blocks must parse (a `…` or `...` elision marks an excerpt and is allowed).
 * A block preceded by the line `<!-- docs-check: illustrative -->` is skipped: use it sparingly, for fragments
 * that cannot stand alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, '.docs-check');
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const file of FILES) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const open = /^```(\w*)\s*$/.exec(lines[i]);
      if (!open) continue;
      const start = i;
      let end = i + 1;
      while (end < lines.length && !/^```\s*$/.test(lines[end])) end += 1;
      const illustrative = start > 0 && /<!--\s*docs-check:\s*illustrative\s*-->/.test(lines[start - 1]);
      if (!illustrative)
        out.push({ file, line: start + 1, lang: open[1].toLowerCase(), text: lines.slice(start + 1, end).join('\n') });
      i = end;
    }
  }
  return out;
}

const all = blocks();
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('docs code blocks', () => {
  it('type-checks every TypeScript and JavaScript block', () => {
    const code = all.filter((b) => ['ts', 'typescript', 'js', 'mjs'].includes(b.lang));
    expect(code.length).toBeGreaterThan(0);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const names = new Map<string, Block>();
    code.forEach((b, n) => {
      // Relative imports are written from the root (./lib) or from functions/<fn>/ (../../lib).
      const text = b.text.replace(/from '(?:\.\/|\.\.\/\.\.\/)([^']+)'/g, (_m, p: string) => `from '${join(ROOT, p)}'`);
      // JavaScript blocks are compiled as JavaScript (syntax and imports), not held to TypeScript's types.
      const name = join(
        OUT,
        `${b.file.replace(/[/.]/g, '_')}_${b.line}_${n}.${b.lang === 'js' || b.lang === 'mjs' ? 'mjs' : 'ts'}`,
      );
      writeFileSync(name, `${text}\nexport {};\n`);
      names.set(name, b);
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    )!;
    // The project's own ambient declarations (e.g. for the untyped `tablestore` package) are part of the check.
    const ambient = config.fileNames.filter((f) => f.endsWith('.d.ts'));
    const program = ts.createProgram([...names.keys(), ...ambient], {
      ...config.options,
      noUnusedLocals: false,
      allowJs: true,
      checkJs: false,
    });
    const problems: string[] = [];
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const block = d.file ? names.get(resolve(d.file.fileName)) : undefined;
      if (!block || !d.file) continue;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      problems.push(
        `${block.file}:${block.line + 1 + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    }
    expect(problems).toEqual([]);
  }, 240_000);

  it('checks every shell block: syntax, npm scripts, and the repository files it names', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const problems: string[] = [];
    for (const b of all.filter((x) => ['bash', 'sh', 'shell', 'console'].includes(x.lang))) {
      const commands =
        b.lang === 'console'
          ? b.text
              .split('\n')
              .filter((l) => l.startsWith('$ '))
              .map((l) => l.slice(2))
          : b.text.split('\n').filter((l) => !/^\s*#/.test(l));
      const script = commands.join('\n');
      try {
        execFileSync('bash', ['-n'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
      } catch (e) {
        problems.push(`${b.file}:${b.line}: bash -n: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
      }
      for (const m of script.matchAll(/npm run (?:-s )?([\w:.-]+)/g))
        if (!scripts.includes(m[1])) problems.push(`${b.file}:${b.line}: no npm script '${m[1]}'`);
      for (const m of script.matchAll(
        /(?<![\w/.$<{-])((?:events|policies|docs|examples|local|test)\/[\w./-]+\.\w+|[\w-]+\.(?:json|ya?ml))(?![\w<>])/g,
      )) {
        const path = m[1];
        if (/^(package|tsconfig)\.json$/.test(path) && existsSync(join(ROOT, path))) continue;
        if (!existsSync(join(ROOT, path)))
          problems.push(`${b.file}:${b.line}: names '${path}', which does not exist in the repository`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('parses every JSON block (elisions allowed)', () => {
    const problems: string[] = [];
    for (const b of all.filter((x) => x.lang === 'json')) {
      if (/…|\.\.\./.test(b.text)) continue;
      try {
        JSON.parse(b.text);
      } catch (e) {
        problems.push(`${b.file}:${b.line}: ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
