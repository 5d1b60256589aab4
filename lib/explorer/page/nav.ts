/// <reference lib="dom" />
/** Client-side navigation: the URL is the whole state, so every view can be shared or reloaded. */

let renderer: (() => void) | undefined;

export function onNavigate(render: () => void): void {
  renderer = render;
  window.addEventListener('popstate', render);
  // Same-origin links under /ui/ change the view without reloading the page.
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/ui/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else if (url !== location.pathname + location.search) history.pushState(null, '', url);
  renderer?.();
}

/** Changes the URL without re-rendering (the view already shows that state, e.g. after a chart zoom). */
export function recordState(url: string): void {
  history.replaceState(null, '', url);
}

/** `/ui/<parts...>?<query>` with each part encoded. */
export function uiUrl(parts: readonly string[], query?: ReadonlyArray<readonly [string, string]>): string {
  const qs = query && query.length > 0 ? `?${new URLSearchParams(query as [string, string][]).toString()}` : '';
  return `/ui/${parts.map(encodeURIComponent).join('/')}${qs}`;
}
