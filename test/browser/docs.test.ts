/**
 * docs/explorer.md stays true: its jwt trigger (cookie and header token lookup) passes our strict fc3 props
 * schema when it replaces the http-api trigger of s.yaml, and the numbers it quotes match the build.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../local/fc/stack';
import { resolveValue } from '../../local/fc/yaml-vars';
import { buildExplorerAssets } from '../../lib/explorer/build-assets';
import { MAX_POINTS } from '../../lib/explorer/page/timeseries';
import { fc3PropsSchema } from '../functions/fc3-props-schema';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'explorer.md'), 'utf8');
/** The prose with line breaks folded, so a quoted phrase may wrap. */
const prose = doc.replace(/\s+/g, ' ');

function httpApiProps(): Record<string, unknown> {
  const raw = parse(readFileSync(join(REPO_ROOT, 's.yaml'), 'utf8')) as {
    vars: unknown;
    resources: Record<string, { props: unknown }>;
  };
  const scope = {
    baseDir: REPO_ROOT,
    env: {},
    config: { AccountID: '1234567890123456' },
    vars: undefined as unknown,
    resources: raw.resources,
  };
  scope.vars = resolveValue(raw.vars, scope, 'vars');
  const props = raw.resources['http-api'].props;
  return resolveValue(props, { ...scope, thisProps: props }, 'props') as Record<string, unknown>;
}

describe('docs/explorer.md', () => {
  it('shows a jwt trigger that the fc3 schema accepts', () => {
    const block = /```yaml\n([^]*?)```/.exec(doc)![1];
    const triggers = parse(block.replace('<base64url modulus of your RSA public key>', 'xyz')) as Array<
      Record<string, any>
    >;
    expect(
      triggers[0].triggerConfig.authConfig.tokenLookup.map((t: { readPosition: string }) => t.readPosition),
    ).toEqual(['cookie', 'header']);
    const validate = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(
      fc3PropsSchema,
    );
    const props = { ...httpApiProps(), triggers };
    expect(validate(props), JSON.stringify(validate.errors)).toBe(true);
  });

  it('quotes the point cap and the first-visit size of the build', async () => {
    expect(prose).toContain(`up to ${MAX_POINTS.toLocaleString('en-US')} points`);
    const dir = mkdtempSync(join(tmpdir(), 'tsfc-docs-'));
    try {
      const built = await buildExplorerAssets(dir);
      const quoted = Number(/about (\d+) KiB with brotli/.exec(prose)![1]);
      // "about": within 15 % of what the build produces now.
      expect(Math.abs(built.brotliBytes / 1024 - quoted) / quoted).toBeLessThan(0.15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
