/// <reference lib="dom" />
/**
 * Wide tables: details, a row lookup form typed by the primary-key schema, and range browsing (prefix and
 * INF_MIN/INF_MAX bounds, direction, columns, limit) that follows the API's `next` tokens page by page.
 */
import { getJson } from './api';
import { fill, fmtInt, h } from './dom';
import { navigate as go, uiUrl } from './nav';
import { apiPath, pager, rowsTable, tableHead } from './rows';
import type { IndexInfo, IndexRowsPage, Lossless, PkType, Row, SearchIndexes, WideTable } from './types';
import { card, errorBox, kv, loading } from './ui';
import { renderValue, valueText } from './values';

type PkCol = WideTable['primaryKey'][number];
type Bound = 'start' | 'end';

/** The table's secondary and search indexes; a list the API cannot give is shown as unknown, not as an error. */
interface Indexes {
  readonly secondary: readonly IndexInfo[] | undefined;
  readonly search: readonly string[] | undefined;
}

/** Parses a JSON object from the URL; anything else counts as absent (the API would reject it anyway). */
function parseObject(raw: string | null): Record<string, Lossless> {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Lossless>) : {};
  } catch {
    return {};
  }
}

function inputFor(col: PkCol, name: string, value: string, required: boolean): HTMLInputElement {
  const typed: Record<PkType, Record<string, string>> = {
    STRING: { placeholder: 'text' },
    INTEGER: {
      inputmode: 'numeric',
      pattern: '-?[0-9]+',
      placeholder: 'integer (exact, any size)',
      title: 'A decimal integer; int64 values are sent exactly',
    },
    BINARY: { placeholder: 'base64', pattern: '[A-Za-z0-9+/]*={0,2}', title: 'Base64 bytes' },
  };
  return h('input', {
    type: 'text',
    name,
    value,
    required,
    autocomplete: 'off',
    spellcheck: 'false',
    'data-type': col.type,
    ...typed[col.type],
  });
}

/** A key value as the API takes it: INTEGER as a decimal string (exact), BINARY as base64, STRING verbatim. */
function keyValue(col: PkCol, text: string, bound: boolean): Lossless {
  if (bound && col.type === 'STRING' && (text === 'INF_MIN' || text === 'INF_MAX')) return { $string: text };
  return text;
}

function indexList(names: readonly HTMLElement[] | undefined): HTMLElement {
  if (names === undefined) return h('span', { class: 'muted' }, 'unknown');
  if (names.length === 0) return h('span', { class: 'muted' }, 'none');
  return h(
    'ul',
    { class: 'pk-list' },
    names.map((n) => h('li', null, n)),
  );
}

function details(info: WideTable, indexes: Indexes): HTMLElement {
  const opts = info.options;
  const ttl =
    typeof opts.timeToLive === 'number'
      ? opts.timeToLive < 0
        ? 'never expires (-1)'
        : `${fmtInt(opts.timeToLive)} s`
      : '—';
  return card(
    'Details',
    h(
      'div',
      { class: 'details' },
      kv([
        [
          'Primary key',
          h(
            'ol',
            { class: 'pk-list' },
            info.primaryKey.map((c) =>
              h(
                'li',
                null,
                h('code', null, c.name),
                ' ',
                h('span', { class: 'type' }, c.type),
                c.autoIncrement ? h('span', { class: 'badge' }, 'auto-increment') : null,
              ),
            ),
          ),
        ],
        [
          'Defined columns',
          info.definedColumns.length === 0
            ? h('span', { class: 'muted' }, 'none')
            : h(
                'ul',
                { class: 'pk-list' },
                info.definedColumns.map((c) =>
                  h('li', null, h('code', null, c.name), ' ', h('span', { class: 'type' }, c.type)),
                ),
              ),
        ],
        [
          'Secondary indexes',
          indexList(
            indexes.secondary?.map((i) =>
              h(
                'span',
                { class: 'index-item', 'data-index': i.name },
                h('code', null, i.name),
                ' on ',
                i.indexColumns.join(', '),
                ' ',
                h('span', { class: 'type' }, `${i.type} · ${i.updateMode}`),
              ),
            ),
          ),
        ],
        [
          'Search indexes',
          indexList(
            indexes.search?.map((name) =>
              h('a', { href: uiUrl(['tables', info.table, 'search'], [['index', name]]) }, h('code', null, name)),
            ),
          ),
        ],
      ]),
      kv([
        ['Time to live', ttl],
        ['Max versions', String(opts.maxVersions ?? '—')],
        [
          'Version deviation',
          typeof opts.deviationCellVersionInSec === 'number' ? `${fmtInt(opts.deviationCellVersionInSec)} s` : '—',
        ],
        ['Allow update', String(opts.allowUpdate ?? '—')],
        [
          'Reserved throughput',
          info.reservedThroughput
            ? `read ${info.reservedThroughput.read} · write ${info.reservedThroughput.write} CU`
            : '—',
        ],
      ]),
    ),
  );
}

function lookupForm(info: WideTable, q: URLSearchParams): HTMLElement {
  const pk = parseObject(q.get('pk'));
  const form = h(
    'form',
    { class: 'form', id: 'lookup-form' },
    info.primaryKey.map((col) =>
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, col.name, h('span', { class: 'type' }, col.type)),
        inputFor(col, `pk.${col.name}`, valueText(pk[col.name]), true),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Look up')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const key: Record<string, Lossless> = {};
    for (const col of info.primaryKey) key[col.name] = keyValue(col, String(data.get(`pk.${col.name}`) ?? ''), false);
    go(uiUrl(['tables', info.table, 'row'], [['pk', JSON.stringify(key)]]));
  });
  return card(
    'Look up a row',
    h('p', { class: 'hint' }, 'Every primary-key column, typed as the table defines it.'),
    form,
  );
}

function boundFields(key: readonly PkCol[], which: Bound, given: Record<string, Lossless>): HTMLElement {
  return h(
    'fieldset',
    { class: 'bound' },
    h('legend', null, which === 'start' ? 'Start (inclusive)' : 'End (exclusive)'),
    key.map((col) => {
      const v = given[col.name];
      const kind = v === 'INF_MIN' || v === 'INF_MAX' ? v : 'value';
      const select = h(
        'select',
        { name: `${which}.${col.name}.kind`, 'aria-label': `${which} ${col.name} kind` },
        ['value', 'INF_MIN', 'INF_MAX'].map((k) =>
          h('option', { value: k, selected: k === kind }, k === 'value' ? 'value' : k),
        ),
      );
      const input = inputFor(col, `${which}.${col.name}`, kind === 'value' ? valueText(v) : '', false);
      input.placeholder = col.type === 'INTEGER' ? 'integer' : col.type === 'BINARY' ? 'base64' : 'text';
      return h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, col.name, h('span', { class: 'type' }, col.type)),
        h('span', { class: 'inline' }, select, input),
      );
    }),
  );
}

/** Reads one bound: columns in key order until an empty value (a prefix) or an INF marker (the rest repeat it). */
function readBound(key: readonly PkCol[], which: Bound, data: FormData): Record<string, Lossless> | undefined {
  const out: Record<string, Lossless> = {};
  for (const col of key) {
    const kind = String(data.get(`${which}.${col.name}.kind`) ?? 'value');
    if (kind === 'INF_MIN' || kind === 'INF_MAX') {
      out[col.name] = kind;
      break;
    }
    const text = String(data.get(`${which}.${col.name}`) ?? '');
    if (text === '') break;
    out[col.name] = keyValue(col, text, true);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The selected secondary index (`index` in the URL), if the table has it. */
function selectedIndex(indexes: Indexes, q: URLSearchParams): IndexInfo | undefined {
  const name = q.get('index');
  return name ? indexes.secondary?.find((i) => i.name === name) : undefined;
}

function rangeForm(info: WideTable, indexes: Indexes, q: URLSearchParams): HTMLElement {
  const index = selectedIndex(indexes, q);
  const key = index?.primaryKey ?? info.primaryKey;
  // Another index has another key: the form starts over with its columns.
  const picker = h(
    'select',
    { name: 'index', id: 'range-index', 'aria-label': 'Read from' },
    h('option', { value: '' }, `${info.table} (base table)`),
    (indexes.secondary ?? []).map((i) =>
      h(
        'option',
        { value: i.name, selected: i.name === index?.name },
        `${i.name} (index on ${i.indexColumns.join(', ')})`,
      ),
    ),
  );
  picker.addEventListener('change', () =>
    go(uiUrl(['tables', info.table], picker.value ? [['index', picker.value]] : [])),
  );
  const form = h(
    'form',
    { class: 'form', id: 'range-form' },
    indexes.secondary && indexes.secondary.length > 0
      ? h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Read from'), picker)
      : null,
    index
      ? h(
          'p',
          { class: 'hint', id: 'index-hint' },
          `Rows in the order of ${index.name}'s key. It carries ${
            index.definedColumns.length > 0
              ? index.definedColumns.map((c) => c.name).join(', ')
              : 'no attribute columns'
          }; other columns named under Columns are read back from ${info.table}.`,
        )
      : null,
    h(
      'div',
      { class: 'bounds' },
      boundFields(key, 'start', parseObject(q.get('start'))),
      boundFields(key, 'end', parseObject(q.get('end'))),
    ),
    h(
      'div',
      { class: 'row-fields' },
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Direction'),
        h(
          'select',
          { name: 'direction' },
          ['forward', 'backward'].map((d) =>
            h('option', { value: d, selected: (q.get('direction') ?? 'forward') === d }, d),
          ),
        ),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Limit'),
        h('input', { type: 'number', name: 'limit', min: 1, max: 5000, value: q.get('limit') ?? '20' }),
      ),
      h(
        'label',
        { class: 'field grow' },
        h('span', { class: 'field-label' }, 'Columns'),
        h('input', {
          type: 'text',
          name: 'columns',
          value: q.get('columns') ?? '',
          placeholder: 'all (or a,b,c)',
          autocomplete: 'off',
        }),
      ),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'field-label' }, 'Filter (JSON)'),
      h('input', {
        type: 'text',
        name: 'filter',
        value: q.get('filter') ?? '',
        placeholder: '{"column":"status","op":"=","value":"unpaid"} — optional, see docs/functions.md',
        autocomplete: 'off',
        spellcheck: 'false',
      }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Browse')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const query: Array<[string, string]> = index ? [['index', index.name]] : [];
    for (const which of ['start', 'end'] as const) {
      const b = readBound(key, which, data);
      if (b) query.push([which, JSON.stringify(b)]);
    }
    const direction = String(data.get('direction'));
    if (direction !== 'forward') query.push(['direction', direction]);
    query.push(['limit', String(data.get('limit') || '20')]);
    const columns = String(data.get('columns') ?? '').trim();
    if (columns) query.push(['columns', columns]);
    // Sent as typed: the API checks the grammar and answers a bad filter with a 400 naming where it is wrong.
    const filter = String(data.get('filter') ?? '').trim();
    if (filter) query.push(['filter', filter]);
    go(uiUrl(['tables', info.table, 'rows'], query));
  });
  return card(
    'Browse a range',
    h(
      'p',
      { class: 'hint' },
      'Fill the first columns for a prefix (later columns empty), or pick INF_MIN / INF_MAX. Empty bounds cover the whole table. A filter keeps only the rows that match it; a page may then hold fewer rows (or none) while the range goes on.',
    ),
    form,
  );
}

async function rowResult(info: WideTable, q: URLSearchParams, out: HTMLElement, signal: AbortSignal): Promise<void> {
  const pk = q.get('pk') ?? '{}';
  const res = await getJson<{ row: Row }>(apiPath(info.table, '/row'), [['pk', pk]], signal);
  const row = res.row;
  fill(
    out,
    card(
      'Row',
      h(
        'table',
        { class: 'grid kv-grid', id: 'row-table' },
        h('thead', null, h('tr', null, h('th', null, 'column'), h('th', null, 'value'))),
        h(
          'tbody',
          null,
          Object.entries(row.primaryKey).map(([k, v]) =>
            h(
              'tr',
              null,
              h('th', { class: 'pk' }, k, h('span', { class: 'badge' }, 'PK')),
              h('td', null, renderValue(v)),
            ),
          ),
          Object.entries(row.columns).map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, renderValue(v)))),
        ),
      ),
    ),
  );
}

async function rangeResult(
  info: WideTable,
  indexes: Indexes,
  q: URLSearchParams,
  out: HTMLElement,
  signal: AbortSignal,
): Promise<void> {
  const index = selectedIndex(indexes, q);
  const query: Array<[string, string]> = [];
  for (const k of ['start', 'end', 'direction', 'limit', 'columns', 'filter', 'next']) {
    const v = q.get(k);
    if (v !== null && v !== '') query.push([k, v]);
  }
  const page = await getJson<IndexRowsPage>(
    index ? apiPath(info.table, `/indexes/${encodeURIComponent(index.name)}/rows`) : apiPath(info.table, '/rows'),
    query,
    signal,
  );
  const pageNo = Math.max(1, Number(q.get('page') ?? '1') || 1);
  const limit = Number(q.get('limit') ?? '100') || 100;
  const base: Array<[string, string]> = [
    ...(index ? [['index', index.name] as [string, string]] : []),
    ...query.filter(([k]) => k !== 'next'),
  ];
  const nextUrl = page.next
    ? uiUrl(['tables', info.table, 'rows'], [...base, ['next', page.next], ['page', String(pageNo + 1)]])
    : undefined;
  const joined = page.joined;
  fill(
    out,
    card(
      index ? `Rows of ${index.name}` : 'Rows',
      pager(pageNo, page.rows.length, uiUrl(['tables', info.table, 'rows'], base), nextUrl),
      joined
        ? h(
            'p',
            {
              class: 'hint join-info',
              id: 'join-info',
              'data-columns': joined.columns.join(','),
              'data-base-reads': joined.baseReads,
              'data-missing': joined.missing,
            },
            `Joined from ${info.table}: ${joined.columns.join(', ')} — ${fmtInt(joined.baseReads)} base row${
              joined.baseReads === 1 ? '' : 's'
            } read with BatchGetRow${joined.missing > 0 ? `, ${fmtInt(joined.missing)} not found (the index is catching up)` : ''}.`,
          )
        : null,
      page.rows.length === 0
        ? h('p', { class: 'muted empty' }, 'No rows in this range.')
        : rowsTable(
            info.table,
            (index?.primaryKey ?? info.primaryKey).map((c) => c.name),
            info.primaryKey.map((c) => c.name),
            page.rows,
            (pageNo - 1) * limit + 1,
          ),
    ),
  );
}

/** Lists the API may not offer (an older deployment): unknown rather than a failed page. */
async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    // A newer view aborted this one: stop here rather than draw over it.
    if ((e as Error).name === 'AbortError') throw e;
    return undefined;
  }
}

export async function renderWideTable(
  main: HTMLElement,
  table: string,
  sub: string,
  q: URLSearchParams,
  signal: AbortSignal,
): Promise<void> {
  fill(main, ...tableHead(table, 'rows'), loading());
  const [info, secondary, search] = await Promise.all([
    getJson<WideTable>(apiPath(table), [], signal),
    optional(getJson<{ indexes: IndexInfo[] }>(apiPath(table, '/indexes'), [], signal)),
    optional(getJson<SearchIndexes>(apiPath(table, '/search-indexes'), [], signal)),
  ]);
  if (signal.aborted) return;
  const indexes: Indexes = { secondary: secondary?.indexes, search: search?.indexes.map((i) => i.index) };
  const out = h('div', { class: 'result', id: 'result' });
  fill(
    main,
    ...tableHead(info.table, 'rows'),
    details(info, indexes),
    h('div', { class: 'two-col' }, lookupForm(info, q), rangeForm(info, indexes, q)),
    out,
  );
  if (sub !== 'row' && sub !== 'rows') return;
  fill(out, loading(sub === 'row' ? 'Looking up the row…' : 'Reading the range…'));
  try {
    await (sub === 'row' ? rowResult(info, q, out, signal) : rangeResult(info, indexes, q, out, signal));
  } catch (e) {
    if (signal.aborted) return;
    fill(out, errorBox(e));
  }
  out.scrollIntoView({ block: 'nearest' });
}
