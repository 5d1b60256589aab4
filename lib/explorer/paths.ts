/**
 * Which request paths belong to the browser explorer rather than the JSON API. Kept apart from serve.ts so the
 * HTTP app can route without loading the explorer's code (serve.ts is imported only when a page is asked for).
 */

/** Deep links of the explorer live under this prefix; its static files under `${UI_PREFIX}/assets/`. */
export const UI_PREFIX = '/ui';

/** `/` (the explorer's start page), `/ui` and everything under `/ui/`. */
export function isExplorerPath(path: string): boolean {
  return path === '/' || path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`);
}
