/// <reference lib="dom" />
/**
 * The SQL view: one read-only statement (POST /sql, docs/functions.md "SQL") typed into an editor, its rows in a
 * grid of exact values. The statement and the row limit live in the URL, so a query is a link.
 */
import { postJson } from './api';
import { fill, fmtInt, h } from './dom';
import { navigate as go, uiUrl } from './nav';
import type { SqlAnswer } from './types';
import { card, editor, errorBox, loading, valueGrid } from './ui';

const EXAMPLE = 'SELECT * FROM orders LIMIT 20';

function form(query: string, limit: string): HTMLFormElement {
  const area = editor({ name: 'query', id: 'sql-query', rows: 6, class: 'code', 'aria-label': 'SQL statement' }, query);
  const f = h(
    'form',
    { class: 'form', id: 'sql-form' },
    area,
    h(
      'div',
      { class: 'actions' },
      h(
        'label',
        { class: 'inline-field' },
        'Rows at most ',
        h('input', { type: 'number', name: 'limit', class: 'short', min: 1, max: 10000, value: limit }),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Run'),
      h('span', { class: 'muted' }, 'Ctrl+Enter (⌘+Enter) runs'),
    ),
  );
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(f);
    const q = String(data.get('query') ?? '').trim();
    const l = String(data.get('limit') ?? '').trim();
    go(uiUrl(['sql'], [['query', q], ...(l && l !== '1000' ? [['limit', l] as const] : [])]));
  });
  return f;
}

export async function renderSql(main: HTMLElement, q: URLSearchParams, signal: AbortSignal): Promise<void> {
  const query = q.get('query') ?? '';
  const limit = q.get('limit') ?? '1000';
  const out = h('div', { class: 'result', id: 'result' });
  fill(
    main,
    h('div', { class: 'page-head' }, h('h1', null, 'SQL'), h('span', { class: 'kind' }, 'read-only')),
    card(
      null,
      h(
        'p',
        { class: 'hint' },
        'One statement: SELECT, SHOW TABLES, SHOW INDEX FROM t or DESCRIBE t. Values are exact: int64 beyond 2^53 keeps every digit, binary shows as base64.',
      ),
      form(query || EXAMPLE, limit),
    ),
    out,
  );
  if (!query) return;
  fill(out, loading('Running the statement…'));
  try {
    const body: { query: string; limit?: number } = { query };
    if (q.has('limit')) body.limit = Number(limit);
    const res = await postJson<SqlAnswer>('/sql', body, signal);
    const n = res.rows.length;
    fill(
      out,
      card(
        'Result',
        h(
          'div',
          { class: 'pager' },
          h(
            'span',
            { class: 'pager-info', id: 'sql-info', 'data-rows': n, 'data-truncated': String(res.truncated) },
            `${res.statement} · ${fmtInt(n)} row${n === 1 ? '' : 's'}`,
          ),
          res.truncated
            ? h(
                'span',
                { class: 'badge stale', id: 'sql-truncated' },
                'truncated: more rows exist; narrow the statement or raise the limit',
              )
            : null,
        ),
        n === 0 ? h('p', { class: 'muted empty' }, 'No rows.') : valueGrid('sql-table', res.columns, res.rows),
      ),
    );
  } catch (e) {
    if (signal.aborted) return;
    fill(out, errorBox(e));
  }
}
