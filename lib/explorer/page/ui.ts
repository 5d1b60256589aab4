/// <reference lib="dom" />
/** Building blocks shared by the views: cards, key/value lists, the API error box, a loading line. */
import { ApiFailure } from './api';
import { h, type Child, type Props } from './dom';
import type { Lossless } from './types';
import { renderValue } from './values';

export function card(title: string | null, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}

export function kv(entries: ReadonlyArray<readonly [string, Child]>): HTMLElement {
  return h(
    'dl',
    { class: 'kv' },
    entries.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

export function link(href: string, text: Child, cls?: string): HTMLAnchorElement {
  return h('a', { href, class: cls }, text);
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner' }), text);
}

/** What the API said, in full: status, code, message and the request id to look up in the function logs. */
export function errorBox(error: unknown): HTMLElement {
  if (error instanceof ApiFailure) {
    return h(
      'div',
      { class: 'alert', role: 'alert', 'data-code': error.code, 'data-status': error.status },
      h(
        'div',
        { class: 'alert-head' },
        h('strong', { class: 'alert-code' }, error.code),
        error.status ? h('span', { class: 'alert-status' }, `HTTP ${error.status}`) : null,
      ),
      h('div', { class: 'alert-message' }, error.message),
      error.requestId
        ? h('div', { class: 'alert-meta' }, 'request id ', h('code', { class: 'alert-request-id' }, error.requestId))
        : null,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'alert', role: 'alert', 'data-code': 'ClientError' },
    h('div', { class: 'alert-head' }, h('strong', null, 'Error')),
    h('div', { class: 'alert-message' }, message),
  );
}

export function tags(map: Readonly<Record<string, string>>): HTMLElement {
  const entries = Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return h('span', { class: 'muted' }, 'no tags');
  return h(
    'span',
    { class: 'chips' },
    entries.map(([k, v]) => h('span', { class: 'chip' }, h('span', { class: 'chip-k' }, k), '=', v)),
  );
}

/** A grid of lossless values: one column per name (its type, when known, under the name), one row per record. */
export function valueGrid(
  id: string,
  columns: ReadonlyArray<{ readonly name: string; readonly type?: string }>,
  rows: ReadonlyArray<Readonly<Record<string, Lossless>>>,
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'grid', id },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) =>
            h('th', { 'data-column': c.name }, c.name, c.type ? h('span', { class: 'type' }, c.type) : null),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            columns.map((c) => h('td', null, renderValue(r[c.name]))),
          ),
        ),
      ),
    ),
  );
}

/** A textarea where Ctrl+Enter (Cmd+Enter on a Mac) submits its form. */
export function editor(props: Props, value: string): HTMLTextAreaElement {
  const area = h('textarea', { spellcheck: 'false', autocomplete: 'off', ...props });
  area.value = value;
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      area.form?.requestSubmit();
    }
  });
  return area;
}
