/// <reference lib="dom" />
/**
 * Pieces the wide-table views share: the API path of a table, the page head with its Browse / Search links, the
 * rows grid (key columns first, a link to each row's lookup) and the pager that follows `next` tokens.
 */
import { fmtInt, h } from './dom';
import { uiUrl } from './nav';
import type { Lossless, Row } from './types';
import { link } from './ui';
import { renderValue } from './values';

export const apiPath = (table: string, sub = ''): string => `/tables/${encodeURIComponent(table)}${sub}`;

export function tableHead(table: string, active: 'rows' | 'search'): HTMLElement[] {
  return [
    h('div', { class: 'page-head' }, h('h1', null, table), h('span', { class: 'kind' }, 'wide table')),
    h(
      'nav',
      { class: 'subnav', id: 'subnav' },
      link(uiUrl(['tables', table]), 'Browse', active === 'rows' ? 'active' : undefined),
      link(uiUrl(['tables', table, 'search']), 'Search', active === 'search' ? 'active' : undefined),
    ),
  ];
}

/**
 * Rows as a grid: `keyNames` first (the table's or an index's key), then every column any row has. The `#` cell
 * links to the base row, keyed by `baseKeyNames`.
 */
export function rowsTable(
  table: string,
  keyNames: readonly string[],
  baseKeyNames: readonly string[],
  rows: readonly Row[],
  firstIndex: number,
  id = 'rows-table',
): HTMLElement {
  const colNames = [...new Set(rows.flatMap((r) => Object.keys(r.columns)))].sort();
  const cell = (r: Row, n: string): Lossless | undefined => r.primaryKey[n] ?? r.columns[n];
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
          h('th', { class: 'num' }, '#'),
          keyNames.map((n) => h('th', { class: 'pk' }, n)),
          colNames.map((n) => h('th', null, n)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r, i) => {
          const pk: Record<string, Lossless> = {};
          for (const n of baseKeyNames) pk[n] = cell(r, n) ?? null;
          return h(
            'tr',
            null,
            h(
              'td',
              { class: 'num muted' },
              link(uiUrl(['tables', table, 'row'], [['pk', JSON.stringify(pk)]]), String(firstIndex + i), 'row-link'),
            ),
            keyNames.map((n) => h('td', { class: 'pk' }, renderValue(r.primaryKey[n]))),
            colNames.map((n) =>
              h(
                'td',
                null,
                Object.hasOwn(r.columns, n) ? renderValue(r.columns[n]) : h('span', { class: 'v v-none' }, ''),
              ),
            ),
          );
        }),
      ),
    ),
  );
}

/** "Page n · k rows", a link back to the first page, and the next page's link (or "end"). */
export function pager(
  pageNo: number,
  count: number,
  firstUrl: string,
  nextUrl: string | undefined,
  extra: string | null = null,
): HTMLElement {
  return h(
    'div',
    { class: 'pager' },
    h(
      'span',
      { class: 'pager-info', id: 'page-info' },
      `Page ${pageNo} · ${fmtInt(count)} row${count === 1 ? '' : 's'}`,
    ),
    extra === null ? null : h('span', { class: 'pager-info', id: 'page-extra' }, extra),
    pageNo > 1 ? link(firstUrl, '« First page', 'button') : null,
    nextUrl
      ? link(nextUrl, 'Next page →', 'button primary next-page')
      : h('span', { class: 'muted end-of-range' }, 'end of range'),
  );
}
