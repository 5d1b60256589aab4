/// <reference lib="dom" />
/**
 * The search view of a wide table: pick one of its search indexes, then either type the short `q` syntax
 * (GET /tables/{t}/search) or the full JSON query DSL with sorts, aggregations and group-bys (POST
 * /tables/{t}/search). Rows come page by page through the API's `next`; totals, aggregations and group-by
 * buckets are shown as small tables. The index, the query and the page are all in the URL.
 */
import { getJson, postJson } from './api';
import { fill, fmtInt, h } from './dom';
import { navigate as go, uiUrl } from './nav';
import { apiPath, pager, rowsTable, tableHead } from './rows';
import type {
  AggregationValue,
  GroupByItem,
  Lossless,
  SearchAnswer,
  SearchField,
  SearchIndexes,
  WideTable,
} from './types';
import { card, editor, errorBox, loading } from './ui';
import { renderValue } from './values';

type Mode = 'q' | 'dsl';

const EXAMPLE_DSL = `{
  "query": { "matchAll": {} },
  "columns": "all",
  "limit": 10,
  "trackTotalCount": true
}`;

function fieldChips(fields: readonly SearchField[]): HTMLElement {
  const flat = (fs: readonly SearchField[], prefix: string): SearchField[] =>
    fs.flatMap((f) => [{ name: prefix + f.name, type: f.type }, ...flat(f.fields ?? [], `${prefix}${f.name}.`)]);
  return h(
    'span',
    { class: 'chips', id: 'search-fields' },
    flat(fields, '').map((f) => h('span', { class: 'chip' }, h('span', { class: 'chip-k' }, f.name), ' ', f.type)),
  );
}

function forms(table: string, indexes: SearchIndexes['indexes'], index: string, q: URLSearchParams): HTMLElement {
  const picker = h(
    'select',
    { name: 'index', id: 'search-index', 'aria-label': 'Search index' },
    indexes.map((i) => h('option', { value: i.index, selected: i.index === index }, i.index)),
  );
  picker.addEventListener('change', () => go(uiUrl(['tables', table, 'search'], [['index', picker.value]])));
  const fields = indexes.find((i) => i.index === index)?.fields ?? [];

  const qForm = h(
    'form',
    { class: 'form', id: 'search-q-form' },
    h(
      'div',
      { class: 'row-fields' },
      h(
        'label',
        { class: 'field grow' },
        h('span', { class: 'field-label' }, 'Query'),
        h('input', {
          type: 'search',
          name: 'q',
          id: 'search-q',
          value: q.get('q') ?? '',
          placeholder: 'status:paid amount>=100 -note:* sku:key*   (empty: every row)',
          autocomplete: 'off',
          spellcheck: 'false',
        }),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Limit'),
        h('input', { type: 'number', name: 'limit', min: 1, max: 100, value: q.get('limit') ?? '10' }),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')),
  );
  qForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(qForm);
    const query: Array<[string, string]> = [
      ['index', picker.value],
      ['q', String(data.get('q') ?? '')],
    ];
    const limit = String(data.get('limit') ?? '').trim();
    if (limit && limit !== '10') query.push(['limit', limit]);
    go(uiUrl(['tables', table, 'search'], query));
  });

  const dslForm = h(
    'form',
    { class: 'form', id: 'search-dsl-form' },
    editor(
      { name: 'dsl', id: 'search-dsl', rows: 8, 'aria-label': 'Search request (JSON)' },
      q.get('dsl') ?? EXAMPLE_DSL,
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Run'),
      h('span', { class: 'muted' }, 'Ctrl+Enter (⌘+Enter) runs'),
    ),
  );
  dslForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const dsl = String(new FormData(dslForm).get('dsl') ?? '').trim();
    go(
      uiUrl(
        ['tables', table, 'search'],
        [
          ['index', picker.value],
          ['dsl', dsl],
        ],
      ),
    );
  });

  return h(
    'div',
    null,
    card(
      'Search index',
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Index'), picker),
      h('p', { class: 'hint' }, 'Fields: ', fieldChips(fields)),
    ),
    h(
      'div',
      { class: 'two-col' },
      card(
        'Quick search',
        h(
          'p',
          { class: 'hint' },
          'Terms that must all hold: field:value, field:* (exists), field:pre* (wildcard), field>=v (also > < <=), field~text (match); a leading - negates.',
        ),
        qForm,
      ),
      card(
        'Query DSL',
        h(
          'p',
          { class: 'hint' },
          'The full request as JSON: query, sort, columns, limit, trackTotalCount, aggregations, groupBys.',
        ),
        dslForm,
      ),
    ),
  );
}

function aggText(a: AggregationValue): HTMLElement {
  if (a.percentiles)
    return h(
      'span',
      null,
      a.percentiles.map((p, i) => [i > 0 ? ' · ' : '', `p${p.percentile} `, renderValue(p.value)]),
    );
  if (a.rows) return h('span', { class: 'muted' }, `${fmtInt(a.rows.length)} rows`);
  return renderValue(a.value);
}

function aggregationsTable(aggs: Readonly<Record<string, AggregationValue>>): HTMLElement {
  return h(
    'div',
    null,
    h('h3', null, 'Aggregations'),
    h(
      'table',
      { class: 'grid', id: 'search-aggs' },
      h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'value'))),
      h(
        'tbody',
        null,
        Object.entries(aggs).map(([name, a]) =>
          h('tr', { 'data-name': name }, h('th', null, name), h('td', null, aggText(a))),
        ),
      ),
    ),
  );
}

function groupByTable(name: string, items: readonly GroupByItem[]): HTMLElement {
  const scalar = (k: string): boolean => k !== 'aggregations' && k !== 'groupBys';
  const keys = [...new Set(items.flatMap((i) => Object.keys(i).filter(scalar)))];
  const aggNames = [...new Set(items.flatMap((i) => Object.keys(i.aggregations ?? {})))];
  const nested = items.some((i) => i.groupBys && Object.keys(i.groupBys).length > 0);
  return h(
    'div',
    null,
    h('h3', null, `Group by ${name}`),
    h(
      'table',
      { class: 'grid search-group', 'data-group': name },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          keys.map((k) => h('th', null, k)),
          aggNames.map((k) => h('th', null, k)),
          nested ? h('th', null, 'group-bys') : null,
        ),
      ),
      h(
        'tbody',
        null,
        items.map((i) =>
          h(
            'tr',
            null,
            keys.map((k) => h('td', null, renderValue(i[k] as Lossless | undefined))),
            aggNames.map((k) => h('td', null, i.aggregations?.[k] ? aggText(i.aggregations[k]) : '')),
            nested ? h('td', null, h('code', null, JSON.stringify(i.groupBys ?? {}))) : null,
          ),
        ),
      ),
    ),
  );
}

async function runSearch(
  info: WideTable,
  index: string,
  mode: Mode,
  q: URLSearchParams,
  out: HTMLElement,
  signal: AbortSignal,
): Promise<void> {
  const next = q.get('next') ?? undefined;
  let res: SearchAnswer;
  let limit: number;
  if (mode === 'dsl') {
    let body: unknown;
    try {
      body = JSON.parse(q.get('dsl') ?? '');
    } catch (e) {
      throw new Error(`The query DSL is not JSON: ${(e as Error).message}`, { cause: e });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Error('The query DSL must be a JSON object, e.g. {"query": {"matchAll": {}}}.');
    const request = body as Record<string, unknown>;
    limit = typeof request.limit === 'number' ? request.limit : 10;
    res = await postJson<SearchAnswer>(
      apiPath(info.table, '/search'),
      { ...request, index, ...(next === undefined ? {} : { next }) },
      signal,
    );
  } else {
    limit = Number(q.get('limit') ?? '10') || 10;
    // total=true: the page shows how many rows match, as it does for DSL searches.
    const query: Array<[string, string]> = [
      ['index', index],
      ['total', 'true'],
    ];
    for (const k of ['q', 'limit', 'next']) {
      const v = q.get(k);
      if (v !== null && v !== '') query.push([k, v]);
    }
    res = await getJson<SearchAnswer>(apiPath(info.table, '/search'), query, signal);
  }
  const pageNo = Math.max(1, Number(q.get('page') ?? '1') || 1);
  const base = [...q.entries()].filter(([k]) => k !== 'next' && k !== 'page');
  const nextUrl = res.next
    ? uiUrl(['tables', info.table, 'search'], [...base, ['next', res.next], ['page', String(pageNo + 1)]])
    : undefined;
  const total = res.totalCount;
  const keyNames = info.primaryKey.map((c) => c.name);
  const aggs = res.aggregations && Object.keys(res.aggregations).length > 0 ? res.aggregations : undefined;
  const groups = res.groupBys ? Object.entries(res.groupBys) : [];
  const summary =
    aggs || groups.length > 0
      ? h(
          'div',
          { class: 'agg-tables' },
          aggs ? aggregationsTable(aggs) : null,
          groups.map(([name, g]) => groupByTable(name, g.items)),
        )
      : null;
  const pagerEl = pager(
    pageNo,
    res.rows.length,
    uiUrl(['tables', info.table, 'search'], base),
    nextUrl,
    total === undefined ? null : `${fmtInt(total)} match${total === 1 ? '' : 'es'} in all`,
  );
  if (total !== undefined) pagerEl.querySelector('#page-extra')?.setAttribute('data-total', String(total));
  fill(
    out,
    card(
      'Results',
      pagerEl,
      res.rows.length === 0
        ? h('p', { class: 'muted empty' }, 'No rows on this page.')
        : rowsTable(info.table, keyNames, keyNames, res.rows, (pageNo - 1) * limit + 1, 'search-table'),
      summary,
    ),
  );
}

export async function renderSearch(
  main: HTMLElement,
  table: string,
  q: URLSearchParams,
  signal: AbortSignal,
): Promise<void> {
  fill(main, ...tableHead(table, 'search'), loading());
  const [info, list] = await Promise.all([
    getJson<WideTable>(apiPath(table), [], signal),
    getJson<SearchIndexes>(apiPath(table, '/search-indexes'), [], signal),
  ]);
  if (signal.aborted) return;
  if (list.indexes.length === 0) {
    fill(
      main,
      ...tableHead(info.table, 'search'),
      card(null, h('p', { class: 'muted', id: 'no-search-index' }, `${info.table} has no search index.`)),
    );
    return;
  }
  const asked = q.get('index');
  const index = list.indexes.some((i) => i.index === asked) ? asked! : list.indexes[0].index;
  const mode: Mode | undefined = q.has('dsl') ? 'dsl' : q.has('q') ? 'q' : undefined;
  const out = h('div', { class: 'result', id: 'result' });
  fill(main, ...tableHead(info.table, 'search'), forms(info.table, list.indexes, index, q), out);
  if (mode === undefined) return;
  fill(out, loading('Searching…'));
  try {
    await runSearch(info, index, mode, q, out, signal);
  } catch (e) {
    if (signal.aborted) return;
    fill(out, errorBox(e));
  }
}
