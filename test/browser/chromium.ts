/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core (which ships
 * no browser of its own). Without Chromium the tests are skipped locally with one line saying how to install
 * it; under CI=true they fail instead, so CI never silently skips them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM_PATH);
export const mustRun = process.env.CI === 'true';

/** Skip (with one line of advice) only when Chromium is missing and this is not CI. */
export function skipBrowserTests(): boolean {
  if (!chromiumMissing || mustRun) return false;
  console.log(
    `browser tests skipped: no Chromium at ${CHROMIUM_PATH}; install it with "sudo apt-get install -y chromium" (or set CHROMIUM_PATH)`,
  );
  return true;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile (its own --user-data-dir), removed on close. */
export async function launchChromium(
  options: { timezoneId?: string; width?: number; height?: number } = {},
): Promise<Browser> {
  if (chromiumMissing)
    throw new Error(
      `Chromium is required (CI=true) but missing at ${CHROMIUM_PATH}; .ci/run installs the Debian package "chromium"`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'tsfc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: options.width ?? 1360, height: options.height ?? 900 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
