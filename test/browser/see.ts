/**
 * Retrying assertions on page elements for vitest (playwright-core has no `expect`): each polls the element
 * until the condition holds or the timeout passes, then fails with vitest's usual diff.
 */
import { expect } from 'vitest';
import type { Locator } from 'playwright-core';

export function see(locator: Locator, timeout = 30_000) {
  const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout, interval: 100 });
  return {
    hasText: (text: string | RegExp) =>
      typeof text === 'string'
        ? poll(() => locator.textContent()).toBe(text)
        : poll(async () => (await locator.textContent()) ?? '').toMatch(text),
    containsText: (text: string) => poll(async () => (await locator.textContent()) ?? '').toContain(text),
    hasCount: (n: number) => poll(() => locator.count()).toBe(n),
    hasAttribute: (name: string, value: string) => poll(() => locator.getAttribute(name)).toBe(value),
    hasValue: (value: string) => poll(() => locator.inputValue()).toBe(value),
    hasClass: (re: RegExp) => poll(async () => (await locator.getAttribute('class')) ?? '').toMatch(re),
  };
}
