/// <reference lib="dom" />
/**
 * Time series tables: details, the series list filtered by measurement, source, tags and update time (stale
 * series marked), and one series' points over a time range as a chart and a table, with earlier/later pages.
 */
import { getJson, type Query } from './api';
import { drawChart, type Chart } from './chart';
import { fill, fmtInt, h } from './dom';
import { navigate, recordState, uiUrl } from './nav';
import {
  ago,
  durationText,
  fromLocalInput,
  isoUtc,
  localText,
  parseTime,
  toLocalInput,
  utcText,
  zoneText,
} from './time';
import type { Point, PointsPage, SeriesKey, SeriesPage, TsTable } from './types';
import { card, errorBox, kv, link, loading, tags } from './ui';
import { chartNumber, isNumeric, renderValue } from './values';

/** The points view loads at most this many points (pages of 5,000 followed one after another). */
export const MAX_POINTS = 200_000;
const PAGE = 5000;
const TABLE_PAGE = 100;
const MINUTE = 60_000;
const PRESETS: ReadonlyArray<readonly [string, number]> = [
  ['1 h', 3600_000],
  ['6 h', 6 * 3600_000],
  ['24 h', 24 * 3600_000],
  ['7 d', 7 * 86400_000],
  ['30 d', 30 * 86400_000],
];

/** Bucket functions the points API takes in `agg` ('' = raw points). */
const AGGREGATES = ['', 'avg', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;
const DEFAULT_INTERVAL = '1h';

/** `interval`/`agg` from the URL, kept only as a pair (the API wants both or neither). */
function bucketPairs(q: URLSearchParams): Array<[string, string]> {
  const agg = q.get('agg') ?? '';
  if (!agg) return [];
  return [
    ['interval', q.get('interval') || DEFAULT_INTERVAL],
    ['agg', agg],
  ];
}

const apiPath = (table: string, sub = ''): string => `/timeseries/${encodeURIComponent(table)}${sub}`;

/** Tags from the URL (`tag=k=v`, repeatable) or typed text (`k=v, k2=v2`). */
function tagPairs(q: URLSearchParams): Array<[string, string]> {
  return q
    .getAll('tag')
    .flatMap((t) => splitTags(t))
    .map((t) => ['tag', t] as [string, string]);
}

function splitTags(text: string): string[] {
  // A comma starts a new pair only when a `name=` follows, so values may contain commas.
  return text
    .split(/,\s*(?=[^=,\s]+=)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function seriesQuery(key: SeriesKey): Array<[string, string]> {
  const out: Array<[string, string]> = [['measurement', key.measurement]];
  if (key.source) out.push(['source', key.source]);
  for (const [k, v] of Object.entries(key.tags).sort(([a], [b]) => (a < b ? -1 : 1))) out.push(['tag', `${k}=${v}`]);
  return out;
}

function details(info: TsTable): HTMLElement {
  const ttl = (s: number | undefined): string =>
    s === undefined ? '—' : s < 0 ? 'never expires (-1)' : `${fmtInt(s)} s`;
  return card(
    'Details',
    h(
      'div',
      { class: 'details' },
      kv([
        ['Data time to live', ttl(info.timeToLive)],
        ['Meta time to live', ttl(info.metaTimeToLive)],
        ['Status', info.status ?? '—'],
      ]),
      kv([
        ['Attributes updatable', String(info.allowUpdateAttributes ?? '—')],
        ['Time series keys', info.timeseriesKeys?.join(', ') || 'measurement, source, tags (default)'],
        ['Field primary keys', info.fieldPrimaryKeys?.join(', ') || 'none'],
      ]),
    ),
  );
}

function seriesForm(table: string, q: URLSearchParams): HTMLElement {
  const updated = parseTime(q.get('updatedAfter'));
  const form = h(
    'form',
    { class: 'form', id: 'series-form' },
    h(
      'div',
      { class: 'row-fields' },
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Measurement'),
        h('input', {
          type: 'text',
          name: 'measurement',
          value: q.get('measurement') ?? '',
          placeholder: 'any',
          autocomplete: 'off',
        }),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Data source'),
        h('input', {
          type: 'text',
          name: 'source',
          value: q.get('source') ?? '',
          placeholder: 'any',
          autocomplete: 'off',
        }),
      ),
      h(
        'label',
        { class: 'field grow' },
        h('span', { class: 'field-label' }, 'Tags'),
        h('input', {
          type: 'text',
          name: 'tags',
          value: q.getAll('tag').join(', '),
          placeholder: 'env=prod, region=cn-hangzhou',
          autocomplete: 'off',
        }),
      ),
    ),
    h(
      'div',
      { class: 'row-fields' },
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, `Updated after (${zoneText()})`),
        h('input', {
          type: 'datetime-local',
          name: 'updatedAfter',
          value: updated === undefined ? '' : toLocalInput(updated),
        }),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Stale after (minutes)'),
        h('input', { type: 'number', name: 'stale', min: 1, value: q.get('stale') ?? '60' }),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Limit'),
        h('input', { type: 'number', name: 'limit', min: 1, max: 1000, value: q.get('limit') ?? '100' }),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Find series')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const query: Array<[string, string]> = [];
    for (const k of ['measurement', 'source']) {
      const v = String(data.get(k) ?? '').trim();
      if (v) query.push([k, v]);
    }
    for (const t of splitTags(String(data.get('tags') ?? ''))) query.push(['tag', t]);
    const after = fromLocalInput(String(data.get('updatedAfter') ?? ''));
    if (after !== undefined) query.push(['updatedAfter', isoUtc(after)]);
    query.push(['limit', String(data.get('limit') || '100')], ['stale', String(data.get('stale') || '60')]);
    navigate(uiUrl(['timeseries', table], query));
  });
  return card('Find series', form);
}

function seriesList(table: string, q: URLSearchParams, page: SeriesPage): HTMLElement {
  const staleMinutes = Math.max(1, Number(q.get('stale') ?? '60') || 60);
  const staleBefore = Date.now() - staleMinutes * MINUTE;
  const pageNo = Math.max(1, Number(q.get('page') ?? '1') || 1);
  const base = [...q.entries()].filter(([k]) => k !== 'next' && k !== 'page');
  const staleCount = page.series.filter((s) => s.updateTime !== undefined && s.updateTime / 1000 < staleBefore).length;
  return card(
    'Series',
    h(
      'div',
      { class: 'pager' },
      h(
        'span',
        { class: 'pager-info', id: 'series-info' },
        `${fmtInt(page.series.length)} series`,
        staleCount > 0 ? h('span', { class: 'badge stale' }, `${staleCount} stale`) : null,
        h('span', { class: 'muted' }, ` · stale = no update for ${durationText(staleMinutes * MINUTE)}`),
      ),
      pageNo > 1 ? link(uiUrl(['timeseries', table], base), '« First page', 'button') : null,
      page.next
        ? link(
            uiUrl(['timeseries', table], [...base, ['next', page.next], ['page', String(pageNo + 1)]]),
            'Next page →',
            'button primary',
          )
        : null,
    ),
    page.series.length === 0
      ? h('p', { class: 'muted empty' }, 'No series match.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid', id: 'series-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['', 'Measurement', 'Source', 'Tags', 'Attributes', `Last update (${zoneText()})`, ''].map((t) =>
                  h('th', null, t),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              page.series.map((s) => {
                const updated = s.updateTime === undefined ? undefined : s.updateTime / 1000;
                const stale = updated !== undefined && updated < staleBefore;
                // Chart the day up to the series' last update, so a silent series still shows its data.
                const end = updated === undefined ? undefined : Math.ceil(updated / MINUTE) * MINUTE + MINUTE;
                const range: Array<[string, string]> =
                  end === undefined
                    ? []
                    : [
                        ['start', isoUtc(end - 86400_000)],
                        ['end', isoUtc(end)],
                      ];
                return h(
                  'tr',
                  { class: stale ? 'is-stale' : undefined, 'data-series': `${s.measurement}/${s.source}` },
                  h(
                    'td',
                    null,
                    h('span', { class: stale ? 'dot dot-stale' : 'dot dot-live', title: stale ? 'stale' : 'updating' }),
                  ),
                  h('td', null, h('code', null, s.measurement)),
                  h('td', null, s.source ? h('code', null, s.source) : h('span', { class: 'muted' }, '(none)')),
                  h('td', null, tags(s.tags)),
                  h(
                    'td',
                    null,
                    Object.keys(s.attributes).length === 0 ? h('span', { class: 'muted' }, '—') : tags(s.attributes),
                  ),
                  h(
                    'td',
                    { title: updated === undefined ? '' : utcText(updated) },
                    updated === undefined
                      ? '—'
                      : [
                          localText(updated),
                          ' ',
                          h('span', { class: 'muted' }, `(${ago(updated)})`),
                          stale ? h('span', { class: 'badge stale' }, 'stale') : null,
                        ],
                  ),
                  h(
                    'td',
                    null,
                    link(
                      uiUrl(['timeseries', table, 'points'], [...seriesQuery(s), ...range]),
                      'Chart →',
                      'button small chart-link',
                    ),
                  ),
                );
              }),
            ),
          ),
        ),
  );
}

export async function renderTsTable(
  main: HTMLElement,
  table: string,
  q: URLSearchParams,
  signal: AbortSignal,
): Promise<void> {
  fill(
    main,
    h('div', { class: 'page-head' }, h('h1', null, table), h('span', { class: 'kind' }, 'time series table')),
    loading(),
  );
  const info = await getJson<TsTable>(apiPath(table), [], signal);
  const out = h('div', { class: 'result', id: 'result' }, loading('Finding series…'));
  fill(
    main,
    h('div', { class: 'page-head' }, h('h1', null, info.table), h('span', { class: 'kind' }, 'time series table')),
    details(info),
    seriesForm(table, q),
    out,
  );
  const query: Array<[string, string]> = [];
  for (const k of ['measurement', 'source']) if (q.get(k)) query.push([k, q.get(k)!]);
  query.push(...tagPairs(q));
  for (const k of ['updatedAfter', 'limit', 'next']) if (q.get(k)) query.push([k, q.get(k)!]);
  try {
    fill(out, seriesList(table, q, await getJson<SeriesPage>(apiPath(table, '/series'), query, signal)));
  } catch (e) {
    if (!signal.aborted) fill(out, errorBox(e));
  }
}

// ---- points ------------------------------------------------------------------------------------------------

async function fetchPoints(
  table: string,
  query: Query,
  signal: AbortSignal,
  progress: (n: number) => void,
): Promise<{ points: Point[]; truncated: boolean }> {
  const points: Point[] = [];
  let next: string | null = null;
  do {
    const page: PointsPage = await getJson<PointsPage>(
      apiPath(table, '/points'),
      [...query, ['limit', String(PAGE)], ...(next ? [['next', next] as const] : [])],
      signal,
    );
    for (const p of page.points) points.push(p);
    next = page.next;
    progress(points.length);
  } while (next && points.length < MAX_POINTS);
  return { points, truncated: next !== null };
}

function pointsTable(
  points: readonly Point[],
  fieldNames: readonly string[],
  view: readonly [number, number],
  pageNo: number,
  onPage: (p: number) => void,
): HTMLElement {
  const inView = points.filter((p) => p.time / 1e6 >= view[0] && p.time / 1e6 <= view[1]);
  const pages = Math.max(1, Math.ceil(inView.length / TABLE_PAGE));
  const p = Math.min(Math.max(1, pageNo), pages);
  const slice = inView.slice((p - 1) * TABLE_PAGE, p * TABLE_PAGE);
  const btn = (label: string, target: number, enabled: boolean): HTMLButtonElement =>
    h('button', { type: 'button', class: 'small', disabled: !enabled, onclick: () => onPage(target) }, label);
  return h(
    'div',
    null,
    h(
      'div',
      { class: 'pager' },
      h(
        'span',
        { class: 'pager-info', id: 'points-info' },
        `${fmtInt(inView.length)} points in view · rows ${inView.length === 0 ? 0 : fmtInt((p - 1) * TABLE_PAGE + 1)}–${fmtInt((p - 1) * TABLE_PAGE + slice.length)}`,
      ),
      btn('« First', 1, p > 1),
      btn('‹ Prev', p - 1, p > 1),
      h('span', { class: 'muted' }, `${p} / ${pages}`),
      btn('Next ›', p + 1, p < pages),
      btn('Last »', pages, p < pages),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid', id: 'points-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, `Time (${zoneText()})`),
            h('th', null, 'UTC'),
            h('th', { class: 'num' }, 'µs'),
            fieldNames.map((f) => h('th', null, f)),
          ),
        ),
        h(
          'tbody',
          null,
          slice.map((pt) =>
            h(
              'tr',
              null,
              h('td', null, localText(pt.time / 1000)),
              h('td', { class: 'muted' }, utcText(pt.time / 1000)),
              h('td', { class: 'num muted' }, String(pt.time)),
              fieldNames.map((f) => h('td', null, renderValue(pt.fields[f]))),
            ),
          ),
        ),
      ),
    ),
  );
}

let chart: Chart | undefined;

/** Called before each render so the previous chart's observers and canvas go away. */
export function disposeChart(): void {
  chart?.destroy();
  chart = undefined;
}

export async function renderPoints(
  main: HTMLElement,
  table: string,
  q: URLSearchParams,
  signal: AbortSignal,
): Promise<void> {
  const measurement = q.get('measurement') ?? '';
  const source = q.get('source') ?? '';
  const tagList = tagPairs(q);
  let startMs = parseTime(q.get('start'));
  let endMs = parseTime(q.get('end'));
  if (startMs === undefined || endMs === undefined) {
    // No range in the URL: the last day up to now (or up to the given end); written back so it can be shared.
    endMs ??= Math.ceil(Date.now() / MINUTE) * MINUTE;
    startMs ??= endMs - 86400_000;
    q.set('start', isoUtc(startMs));
    q.set('end', isoUtc(endMs));
    recordState(`${location.pathname}?${q.toString()}`);
  }
  const width = endMs - startMs;
  const key: Array<[string, string]> = [
    ['measurement', measurement],
    ...(source ? [['source', source] as [string, string]] : []),
    ...tagList,
  ];
  const buckets = bucketPairs(q);
  const here = (start: number, end: number, bucketQuery: ReadonlyArray<[string, string]> = buckets): string =>
    uiUrl(
      ['timeseries', table, 'points'],
      [
        ...key,
        ...(q.get('fields') ? [['fields', q.get('fields')!] as [string, string]] : []),
        ['start', isoUtc(start)],
        ['end', isoUtc(end)],
        ...bucketQuery,
      ],
    );

  const startInput = h('input', {
    type: 'datetime-local',
    name: 'start',
    value: toLocalInput(startMs),
    required: true,
  });
  const endInput = h('input', { type: 'datetime-local', name: 'end', value: toLocalInput(endMs), required: true });
  const aggSelect = h(
    'select',
    { name: 'agg', id: 'agg' },
    AGGREGATES.map((a) => h('option', { value: a, selected: (q.get('agg') ?? '') === a }, a || 'none')),
  );
  const intervalInput = h('input', {
    type: 'text',
    name: 'interval',
    id: 'interval',
    class: 'short',
    value: q.get('interval') ?? DEFAULT_INTERVAL,
    placeholder: '1m, 5m, 1h',
    pattern: '[0-9]+(ms|s|m|h|d)',
    title: 'Bucket width: a whole number and ms, s, m, h or d',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const rangeForm = h(
    'form',
    { class: 'range-bar', id: 'time-range' },
    h(
      'div',
      { class: 'presets' },
      PRESETS.map(([label, ms]) =>
        link(here(endMs - ms, endMs), label, `button small preset${ms === width ? ' active' : ''}`),
      ),
    ),
    h('label', { class: 'field inline-field' }, h('span', { class: 'field-label' }, 'From'), startInput),
    h('label', { class: 'field inline-field' }, h('span', { class: 'field-label' }, 'To'), endInput),
    h('label', { class: 'field inline-field' }, h('span', { class: 'field-label' }, 'Aggregate'), aggSelect),
    h('label', { class: 'field inline-field' }, h('span', { class: 'field-label' }, 'Interval'), intervalInput),
    h('button', { type: 'submit', class: 'small' }, 'Apply'),
    h('span', { class: 'spacer' }),
    h('a', { href: here(startMs - width, startMs), class: 'button small', id: 'earlier' }, '← Earlier'),
    h('a', { href: here(endMs, endMs + width), class: 'button small', id: 'later' }, 'Later →'),
    link(
      here(Math.ceil(Date.now() / MINUTE) * MINUTE - width, Math.ceil(Date.now() / MINUTE) * MINUTE),
      'Now',
      'button small',
    ),
  );
  rangeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = fromLocalInput(startInput.value);
    const en = fromLocalInput(endInput.value);
    const agg = aggSelect.value;
    const bucketQuery: Array<[string, string]> = agg
      ? [
          ['interval', intervalInput.value.trim() || DEFAULT_INTERVAL],
          ['agg', agg],
        ]
      : [];
    if (s !== undefined && en !== undefined && s < en) navigate(here(s, en, bucketQuery));
  });

  const status = h('div', { class: 'status-line', id: 'points-status' }, loading('Loading points…'));
  const chartEl = h('div', { class: 'chart', id: 'chart' });
  const tableOut = h('div', { id: 'points-out' });
  fill(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, measurement, source ? h('span', { class: 'muted' }, ` / ${source}`) : null),
      h('span', { class: 'kind' }, link(uiUrl(['timeseries', table], [['measurement', measurement]]), table)),
      tags(Object.fromEntries(tagList.map(([, t]) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]))),
    ),
    card(
      null,
      rangeForm,
      status,
      chartEl,
      h(
        'p',
        { class: 'hint' },
        `Axis in your zone (${zoneText()}); hover shows UTC. Drag to zoom, double-click to reset, click a legend entry to hide its line.`,
      ),
    ),
    card('Points', tableOut),
  );

  const query: Array<[string, string]> = [...key, ['start', isoUtc(startMs)], ['end', isoUtc(endMs)]];
  if (q.get('fields')) query.push(['fields', q.get('fields')!]);
  query.push(...buckets);
  const aggregated = buckets.length > 0;
  const unit = aggregated ? 'bucket' : 'point';
  const t0 = performance.now();
  let loaded;
  try {
    loaded = await fetchPoints(table, query, signal, (n) => fill(status, loading(`Loading ${unit}s… ${fmtInt(n)}`)));
  } catch (e) {
    if (!signal.aborted) {
      fill(status, errorBox(e));
      fill(tableOut, h('p', { class: 'muted' }, 'No points loaded.'));
    }
    return;
  }
  if (signal.aborted) return;
  const { points, truncated } = loaded;
  const fieldNames = [...new Set(points.flatMap((p) => Object.keys(p.fields)))].sort();
  const numeric = fieldNames.filter((f) => points.some((p) => isNumeric(p.fields[f])));
  const xs = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) xs[i] = points[i].time / 1e6;
  const fields = numeric.map((name) => ({ name, values: points.map((p) => chartNumber(p.fields[name])) }));
  const loadMs = performance.now() - t0;
  // Buckets are aligned to the epoch, so the first one may start before the requested start: widen the window.
  const windowStart = points.length > 0 ? Math.min(startMs / 1000, xs[0]) : startMs / 1000;
  const shown = [windowStart, endMs / 1000] as const;

  const zoomParam = q
    .get('zoom')
    ?.split('/')
    .map((s) => parseTime(s));
  const zoom =
    zoomParam && zoomParam.length === 2 && zoomParam[0] !== undefined && zoomParam[1] !== undefined
      ? ([zoomParam[0] / 1000, zoomParam[1] / 1000] as const)
      : undefined;
  let view: readonly [number, number] = zoom ?? shown;
  let tablePage = 1;
  const renderTable = (): void =>
    fill(
      tableOut,
      pointsTable(points, fieldNames, view, tablePage, (p) => ((tablePage = p), renderTable())),
    );

  fill(
    status,
    h(
      'span',
      { id: 'points-count', 'data-count': String(points.length) },
      `${fmtInt(points.length)} ${unit}s`,
      aggregated ? ` (${buckets[1][1]} per ${buckets[0][1]})` : '',
    ),
    h(
      'span',
      { class: 'muted' },
      ` · ${localText(startMs, false)} → ${localText(endMs, false)} (${durationText(width)}) · ${numeric.length} numeric field${numeric.length === 1 ? '' : 's'} · loaded in ${(loadMs / 1000).toFixed(2)} s`,
    ),
    truncated
      ? h('span', { class: 'badge stale' }, `first ${fmtInt(MAX_POINTS)} points only — narrow the range`)
      : null,
  );
  disposeChart();
  if (points.length === 0)
    fill(chartEl, h('p', { class: 'muted empty' }, 'No points in this range. Try ← Earlier, or a longer range.'));
  else if (numeric.length === 0)
    fill(chartEl, h('p', { class: 'muted empty' }, 'No numeric fields to chart; see the table below.'));
  else {
    let zoomTimer: ReturnType<typeof setTimeout> | undefined;
    chart = drawChart(chartEl, {
      xs,
      fields,
      window: shown,
      ...(zoom ? { zoom } : {}),
      onZoom: (range) => {
        view = range ?? shown;
        const next = new URLSearchParams(location.search);
        if (range) next.set('zoom', `${isoUtc(Math.round(range[0] * 1000))}/${isoUtc(Math.round(range[1] * 1000))}`);
        else next.delete('zoom');
        recordState(`${location.pathname}?${next.toString()}`);
        clearTimeout(zoomTimer);
        zoomTimer = setTimeout(() => ((tablePage = 1), renderTable()), 60);
      },
    });
  }
  renderTable();
}
