/// <reference lib="dom" />
/**
 * The explorer's entry: the page shell (header with the wide / time series tabs, a sidebar listing the tables)
 * and the client-side router. Every view is a function of the URL (`/ui/...`), so links can be shared and
 * reloaded. Everything is fetched from the JSON API of the same origin; nothing else is contacted.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { getJson } from './api';
import { fill, h } from './dom';
import { navigate, onNavigate, uiUrl } from './nav';
import { renderSearch } from './search';
import { renderSql } from './sql';
import { disposeChart, renderPoints, renderTsTable } from './timeseries';
import type { Health, TsTable } from './types';
import { card, errorBox, link, loading } from './ui';
import { renderWideTable } from './wide';

type Tab = 'tables' | 'timeseries' | 'sql';

const app = document.getElementById('app')!;
const tabs = {
  tables: link('/ui/tables', 'Wide tables', 'tab'),
  timeseries: link('/ui/timeseries', 'Time series', 'tab'),
  sql: link('/ui/sql', 'SQL', 'tab'),
};
const instance = h('span', { class: 'instance', id: 'instance' });
const sidebar = h('aside', { class: 'sidebar', id: 'sidebar' });
const main = h('main', { class: 'content', id: 'content' });
fill(
  app,
  h(
    'header',
    { class: 'topbar' },
    link('/ui/tables', [h('span', { class: 'logo' }), 'Tablestore Explorer'], 'brand'),
    h('nav', { class: 'tabs' }, tabs.tables, tabs.timeseries, tabs.sql),
    h('span', { class: 'spacer' }),
    instance,
    h('a', { href: '/openapi.json', class: 'toplink', target: '_blank', rel: 'noopener' }, 'OpenAPI'),
  ),
  h('div', { class: 'layout' }, sidebar, main),
);

getJson<Health>('/healthz').then(
  (health) => fill(instance, health.instance ? `${health.instance}${health.region ? ` · ${health.region}` : ''}` : ''),
  () => fill(instance, ''),
);

const tableLists = new Map<Tab, Promise<string[]>>();
function tableNames(tab: Tab): Promise<string[]> {
  if (tab === 'sql') return tableNames('tables');
  let p = tableLists.get(tab);
  if (!p) {
    p =
      tab === 'tables'
        ? getJson<{ tables: string[] }>('/tables').then((r) => r.tables)
        : getJson<{ tables: TsTable[] }>('/timeseries').then((r) => r.tables.map((t) => t.table));
    // A failed list is asked again on the next navigation.
    p.catch(() => tableLists.delete(tab));
    tableLists.set(tab, p);
  }
  return p;
}

let sidebarTab: Tab | undefined;
async function renderSidebar(tab: Tab, active: string | undefined): Promise<void> {
  const mark = (): void =>
    sidebar
      .querySelectorAll<HTMLAnchorElement>('a.table-link')
      .forEach((a) => a.classList.toggle('active', a.dataset.table === active));
  if (sidebarTab === tab && sidebar.querySelector('ul')) return mark();
  sidebarTab = tab;
  const title = tab === 'timeseries' ? 'Time series tables' : 'Wide tables';
  // On the SQL tab a table's link starts a query on it.
  const href = (n: string): string =>
    tab === 'sql' ? uiUrl(['sql'], [['query', `SELECT * FROM ${n} LIMIT 100`]]) : uiUrl([tab, n]);
  fill(sidebar, h('h2', { class: 'side-title' }, title), loading());
  try {
    const names = await tableNames(tab);
    if (sidebarTab !== tab) return;
    fill(
      sidebar,
      h('h2', { class: 'side-title' }, title, h('span', { class: 'count' }, String(names.length))),
      names.length === 0
        ? h('p', { class: 'muted' }, 'No tables.')
        : h(
            'ul',
            { class: 'table-list', id: 'table-list' },
            names.map((n) => h('li', null, h('a', { href: href(n), class: 'table-link', 'data-table': n }, n))),
          ),
    );
    mark();
  } catch (e) {
    if (sidebarTab === tab) fill(sidebar, h('h2', { class: 'side-title' }, 'Tables'), errorBox(e));
    sidebarTab = undefined;
  }
}

function overview(tab: Tab): void {
  fill(
    main,
    h('div', { class: 'page-head' }, h('h1', null, tab === 'tables' ? 'Wide tables' : 'Time series tables')),
    card(
      null,
      h(
        'p',
        null,
        tab === 'tables'
          ? 'Pick a table on the left to see its schema, look up a row by its primary key or browse a range page by page.'
          : 'Pick a table on the left to find series by measurement, data source, tags and update time, and chart their points.',
      ),
      h('p', { class: 'muted' }, 'Every view is a link: copy the address to share or reload it.'),
    ),
  );
}

let inflight: AbortController | undefined;

function render(): void {
  inflight?.abort();
  const controller = new AbortController();
  inflight = controller;
  disposeChart();
  const path = location.pathname.replace(/\/+$/, '');
  if (path === '' || path === '/ui') return navigate(`/ui/tables${location.search}`, true);
  const parts = path
    .split('/')
    .slice(2)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const q = new URLSearchParams(location.search);
  const tab: Tab | undefined =
    parts[0] === 'tables' || parts[0] === 'timeseries' || parts[0] === 'sql' ? parts[0] : undefined;
  for (const [name, a] of Object.entries(tabs)) a.classList.toggle('active', name === tab);
  const table = parts[1];
  document.title =
    tab === 'sql' ? 'SQL · Tablestore Explorer' : table ? `${table} · Tablestore Explorer` : 'Tablestore Explorer';
  if (tab) void renderSidebar(tab, table);

  let work: Promise<void>;
  if (tab === 'sql' && parts.length === 1) work = renderSql(main, q, controller.signal);
  else if (tab === 'tables' && parts.length === 1) work = Promise.resolve(overview('tables'));
  else if (
    tab === 'tables' &&
    parts.length <= 3 &&
    (parts[2] === undefined || parts[2] === 'row' || parts[2] === 'rows')
  )
    work = renderWideTable(main, table, parts[2] ?? '', q, controller.signal);
  else if (tab === 'tables' && parts.length === 3 && parts[2] === 'search')
    work = renderSearch(main, table, q, controller.signal);
  else if (tab === 'timeseries' && parts.length === 1) work = Promise.resolve(overview('timeseries'));
  else if (tab === 'timeseries' && parts.length === 2) work = renderTsTable(main, table, q, controller.signal);
  else if (tab === 'timeseries' && parts.length === 3 && parts[2] === 'points')
    work = renderPoints(main, table, q, controller.signal);
  else {
    work = Promise.resolve(
      fill(
        main,
        card(
          'Not found',
          h('p', null, 'The explorer has no page at this address. '),
          link('/ui/tables', 'Go to the tables'),
        ),
      ),
    );
  }
  work.catch((e: unknown) => {
    // Keep the page's heading (the table asked for) above what the API said.
    if (!controller.signal.aborted) fill(main, main.querySelector('.page-head'), errorBox(e));
  });
}

onNavigate(render);
render();
