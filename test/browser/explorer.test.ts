/**
 * The explorer in a real browser: headless Chromium against `npm start`'s stack (Tablestore Local + local STS +
 * demo data + the FC runner serving the built http-api function) on 127.0.0.1. Every value the page shows is
 * checked against what the JSON API answers for the same query, the page runs under its own strict CSP, and
 * no console error may appear besides the 404s the error steps ask for.
 *
 *   EXPLORER_SCREENSHOT=1 npx vitest run test/browser/explorer.test.ts   # also refreshes docs/explorer.png
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../local/fc/stack';
import { CHROMIUM_PATH, chromiumMissing, launchChromium, mustRun, skipBrowserTests, type Browser } from './chromium';
import { see } from './see';

const TZ = 'Asia/Shanghai';
const SCREENSHOT = join(REPO_ROOT, 'docs', 'explorer.png');
const LOSSLESS_PK = { customer_id: 'zz-lossless', order_id: '9007199254740993' };

type Json = any;

let stack: LocalStack;
let browser: Browser;
let page: Page;
let base: string;
const consoleErrors: Array<{ text: string; url: string }> = [];
/** API URLs the error steps are expected to get 4xx from (Chromium logs each as a console error). */
const expectedFailures: string[] = [];

async function api(path: string, query: Array<[string, string]> = []): Promise<{ status: number; body: Json }> {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`);
  return { status: res.status, body: await res.json() };
}

/** The exact text the page must show for a lossless JSON value. */
function shown(v: Json): string {
  if (v !== null && typeof v === 'object') return String(Object.values(v)[0]);
  return String(v);
}

async function putLosslessRow(): Promise<void> {
  const TableStore = createRequire(import.meta.url)('tablestore');
  const client = new TableStore.Client({
    accessKeyId: stack.admin.accessKeyId,
    secretAccessKey: stack.admin.accessKeySecret,
    endpoint: stack.tablestore.endpoint,
    instancename: stack.tablestore.instance,
    maxRetries: 0,
  });
  await new Promise((resolve, reject) =>
    client.putRow(
      {
        tableName: 'orders',
        condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
        primaryKey: [
          { customer_id: LOSSLESS_PK.customer_id },
          { order_id: TableStore.Long.fromString(LOSSLESS_PK.order_id) },
        ],
        attributeColumns: [
          { big: TableStore.Long.fromString('-9223372036854775808') },
          { blob: Buffer.from('deadbeef00ff', 'hex') },
          { ratio: 0.1 },
        ],
      },
      (err: unknown, data: unknown) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(data),
    ),
  );
}

async function apiPost(path: string, body: Json): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Header and cell texts of a grid (a binary cell counts as its base64 text). */
async function gridShown(selector: string): Promise<{ head: string[]; rows: string[][] }> {
  return page.$eval(selector, (table) => ({
    head: Array.from(table.querySelectorAll('thead th')).map((th) => th.firstChild?.textContent ?? ''),
    rows: Array.from(table.querySelectorAll('tbody tr')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map(
        (td) => (td.querySelector('.v-bin-text') ?? td.querySelector('.v') ?? td).textContent ?? '',
      ),
    ),
  }));
}

/** What a rows grid shows for API rows: #, the key columns, then every column any row has (sorted). */
function rowsExpected(rows: Json[], keyNames: string[], first = 1): { head: string[]; rows: string[][] } {
  const cols = [...new Set(rows.flatMap((r: Json) => Object.keys(r.columns)))].sort();
  return {
    head: ['#', ...keyNames, ...cols],
    rows: rows.map((r: Json, i: number) => [
      String(first + i),
      ...keyNames.map((k) => shown(r.primaryKey[k])),
      ...cols.map((c) => (Object.hasOwn(r.columns, c) ? shown(r.columns[c]) : '')),
    ]),
  };
}

async function rowsShown(): Promise<string[][]> {
  return page.$$eval('#rows-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td.pk')).map((td) => td.textContent ?? '')),
  );
}

async function waitForUrl(pattern: RegExp): Promise<URL> {
  await page.waitForURL(pattern);
  return new URL(page.url());
}

const skip = skipBrowserTests();

if (chromiumMissing && mustRun) {
  it('finds Chromium (CI never skips the browser tests)', () => {
    throw new Error(`CI=true but no Chromium at ${CHROMIUM_PATH}; .ci/run installs the Debian package "chromium"`);
  });
}

describe.skipIf(skip || chromiumMissing)('explorer in headless Chromium', () => {
  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      tablestorePort: 0,
      feederIntervalMs: 0,
      timers: false,
      functionLogs: false,
    });
    base = stack.runner.url;
    await putLosslessRow();
    // A loaded machine can make the first (cold) invocations exceed the function's timeout; the page is tested
    // once the function answers, as it would after any cold start.
    for (let i = 0; i < 60; i++) {
      const ok = await Promise.all(
        ['/healthz', '/'].map((p) =>
          fetch(`${base}${p}`).then(
            (r) => r.status === 200,
            () => false,
          ),
        ),
      );
      if (ok.every(Boolean)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchChromium({ timezoneId: TZ });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push({ text: m.text(), url: m.location().url });
    });
    page.on('pageerror', (e) => consoleErrors.push({ text: `pageerror: ${e.message}`, url: '' }));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens / and lists the tables', async () => {
    await page.goto(`${base}/`);
    await waitForUrl(/\/ui\/tables$/);
    const tables = (await api('/tables')).body.tables;
    await expect.poll(() => page.locator('#table-list a').allTextContents()).toEqual(tables);
    await expect
      .poll(() => page.locator('#instance').textContent())
      .toBe(`${stack.tablestore.instance} · ${stack.tablestore.region}`);
  });

  it('opens orders and shows its primary key', async () => {
    await page.locator('#table-list a', { hasText: 'orders' }).click();
    await waitForUrl(/\/ui\/tables\/orders$/);
    const described = (await api('/tables/orders')).body;
    for (const col of described.primaryKey) {
      await see(page.locator('.pk-list li', { hasText: col.name }).first()).containsText(col.type);
    }
    await see(page.locator('#lookup-form input')).hasCount(described.primaryKey.length);
  });

  it('looks up a row with the typed form, values exact', async () => {
    await page.fill('#lookup-form input[name="pk.customer_id"]', 'c0001');
    await page.fill('#lookup-form input[name="pk.order_id"]', '100000');
    await page.click('#lookup-form button[type=submit]');
    await waitForUrl(/\/ui\/tables\/orders\/row\?pk=/);
    await page.waitForSelector('#row-table');
    const row = (await api('/tables/orders/row', [['pk', JSON.stringify({ customer_id: 'c0001', order_id: 100000 })]]))
      .body.row;
    const expected = [...Object.entries(row.primaryKey), ...Object.entries(row.columns)].map(([k, v]) => [k, shown(v)]);
    const got = await page.$$eval('#row-table tbody tr', (trs) =>
      trs.map((tr) => [
        tr.querySelector('th')!.firstChild!.textContent,
        (tr.querySelector('td .v-bin-text') ?? tr.querySelector('td .v'))!.textContent,
      ]),
    );
    expect(got).toEqual(expected);
  });

  it('shows int64 beyond 2^53 exactly and binary as base64 or hex', async () => {
    await page.fill('#lookup-form input[name="pk.customer_id"]', LOSSLESS_PK.customer_id);
    await page.fill('#lookup-form input[name="pk.order_id"]', LOSSLESS_PK.order_id);
    await page.click('#lookup-form button[type=submit]');
    await page.waitForSelector('#row-table >> text=zz-lossless');
    const text = await page.locator('#row-table').textContent();
    expect(text).toContain('9007199254740993'); // a JS number would print ...992
    expect(text).toContain('-9223372036854775808');
    const bin = page.locator('#row-table .v-bin');
    await see(bin.locator('.v-bin-text')).hasText(Buffer.from('deadbeef00ff', 'hex').toString('base64'));
    await bin.locator('button').click();
    await see(bin.locator('.v-bin-text')).hasText('deadbeef00ff');
  });

  it('browses a range and follows next twice, the same rows as the API', async () => {
    await page.fill('#range-form input[name="start.customer_id"]', 'c0001');
    await page.fill('#range-form input[name="end.customer_id"]', 'c0004');
    await page.fill('#range-form input[name="limit"]', '15');
    await page.click('#range-form button[type=submit]');
    await waitForUrl(/\/ui\/tables\/orders\/rows\?/);
    const query: Array<[string, string]> = [
      ['start', '{"customer_id":"c0001"}'],
      ['end', '{"customer_id":"c0004"}'],
      ['limit', '15'],
    ];
    let next: string | null = null;
    for (let pageNo = 1; pageNo <= 3; pageNo++) {
      await see(page.locator('#page-info')).hasText(`Page ${pageNo} · 15 rows`);
      const fromApi: Json = (await api('/tables/orders/rows', next ? [...query, ['next', next]] : query)).body;
      expect(await rowsShown()).toEqual(
        fromApi.rows.map((r: Json) => [shown(r.primaryKey.customer_id), shown(r.primaryKey.order_id)]),
      );
      next = fromApi.next;
      expect(next).toBeTruthy();
      if (pageNo < 3) {
        await page.click('a.next-page');
        const url = await waitForUrl(new RegExp(`page=${pageNo + 1}`));
        expect(url.searchParams.get('next')).toBe(next);
      }
    }
    // INF_MIN as a whole bound, backward: the last rows of the table first.
    await page.selectOption('#range-form select[name="start.customer_id.kind"]', 'INF_MAX');
    await page.selectOption('#range-form select[name="end.customer_id.kind"]', 'INF_MIN');
    await page.selectOption('#range-form select[name="direction"]', 'backward');
    await page.fill('#range-form input[name="limit"]', '3');
    await page.click('#range-form button[type=submit]');
    await see(page.locator('#page-info')).hasText('Page 1 · 3 rows');
    const last = (
      await api('/tables/orders/rows', [
        ['direction', 'backward'],
        ['limit', '3'],
      ])
    ).body.rows;
    expect(await rowsShown()).toEqual(
      last.map((r: Json) => [shown(r.primaryKey.customer_id), shown(r.primaryKey.order_id)]),
    );
    expect(await rowsShown()).toContainEqual([LOSSLESS_PK.customer_id, LOSSLESS_PK.order_id]);
  });

  it('browses a filtered range: only matching rows, the same as the API; a bad filter is a 400 shown', async () => {
    const filter = '{"column":"paid","op":"=","value":false}';
    await page.goto(`${base}/ui/tables/orders`);
    await page.fill('#range-form input[name="start.customer_id"]', 'c0001');
    await page.fill('#range-form input[name="end.customer_id"]', 'c0006');
    await page.fill('#range-form input[name="limit"]', '40');
    await page.fill('#range-form input[name="filter"]', filter);
    await page.click('#range-form button[type=submit]');
    const url = await waitForUrl(/\/ui\/tables\/orders\/rows\?.*filter=/);
    expect(url.searchParams.get('filter')).toBe(filter);
    const fromApi: Json = (
      await api('/tables/orders/rows', [
        ['start', '{"customer_id":"c0001"}'],
        ['end', '{"customer_id":"c0006"}'],
        ['limit', '40'],
        ['filter', filter],
      ])
    ).body;
    expect(fromApi.rows.length).toBeGreaterThan(0);
    for (const r of fromApi.rows) expect(r.columns.paid).toBe(false);
    await see(page.locator('#page-info')).hasText(
      `Page 1 · ${fromApi.rows.length} row${fromApi.rows.length === 1 ? '' : 's'}`,
    );
    expect(await rowsShown()).toEqual(
      fromApi.rows.map((r: Json) => [shown(r.primaryKey.customer_id), shown(r.primaryKey.order_id)]),
    );
    // Every row the page shows has paid = false in its own cell.
    const paidShown = await page.$$eval('#rows-table', (tables) => {
      const table = tables[0];
      const col = Array.from(table.querySelectorAll('thead th')).findIndex((th) => th.textContent === 'paid');
      return Array.from(table.querySelectorAll('tbody tr')).map((tr) => tr.children[col]?.textContent ?? '');
    });
    expect(paidShown).toEqual(fromApi.rows.map(() => 'false'));
    // The filter stays in the form after the navigation.
    await see(page.locator('#range-form input[name="filter"]')).hasValue(filter);

    // A filter the grammar rejects: the API's 400 in the usual error display.
    const bad = '{"column":"paid","op":"~","value":false}';
    const badAnswer = await api('/tables/orders/rows', [['filter', bad]]);
    expect(badAnswer.status).toBe(400);
    expectedFailures.push(`${base}/tables/orders/rows`);
    await page.fill('#range-form input[name="filter"]', bad);
    await page.fill('#range-form input[name="start.customer_id"]', '');
    await page.fill('#range-form input[name="end.customer_id"]', '');
    await page.click('#range-form button[type=submit]');
    const alert = page.locator('#result .alert');
    await see(alert).hasAttribute('data-code', badAnswer.body.error.code);
    await see(alert.locator('.alert-status')).hasText('HTTP 400');
    await see(alert.locator('.alert-message')).hasText(badAnswer.body.error.message);
  });

  it('opens metrics, marks the stale series, and filters series', async () => {
    await page.click('nav.tabs a:has-text("Time series")');
    await page.locator('#table-list a', { hasText: 'metrics' }).click();
    await waitForUrl(/\/ui\/timeseries\/metrics$/);
    await page.waitForSelector('#series-table');
    const all = (await api('/timeseries/metrics/series')).body.series;
    await see(page.locator('#series-table tbody tr')).hasCount(all.length);
    const stale = await page
      .locator('#series-table tr.is-stale')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-series')));
    const staleBefore = (Date.now() - 60 * 60_000) * 1000;
    expect(stale).toEqual(
      all.filter((s: Json) => s.updateTime < staleBefore).map((s: Json) => `${s.measurement}/${s.source}`),
    );
    expect(stale).toEqual(['temperature/sensor-2']);

    await page.fill('#series-form input[name="measurement"]', 'cpu');
    await page.fill('#series-form input[name="tags"]', 'env=prod');
    await page.click('#series-form button[type=submit]');
    const url = await waitForUrl(/measurement=cpu/);
    expect(url.searchParams.getAll('tag')).toEqual(['env=prod']);
    const filtered = (
      await api('/timeseries/metrics/series', [
        ['measurement', 'cpu'],
        ['tag', 'env=prod'],
      ])
    ).body.series;
    expect(filtered.map((s: Json) => `${s.measurement}/${s.source}`)).toEqual(['cpu/host-a']);
    await see(page.locator('#series-table tbody tr')).hasCount(1);
    await see(page.locator('#series-table tbody tr')).hasAttribute('data-series', 'cpu/host-a');
  });

  it('charts a week of cpu/host-a: every point drawn, the axis spans the range', async () => {
    await page.click('#series-table a.chart-link');
    await waitForUrl(/\/points\?/);
    await page.click('a.preset:has-text("7 d")');
    const url = await waitForUrl(/\/points\?/);
    await page.waitForSelector('#chart[data-points]', { timeout: 60_000 });
    const start = url.searchParams.get('start')!;
    const end = url.searchParams.get('end')!;
    expect(Date.parse(end) - Date.parse(start)).toBe(7 * 86400_000);

    // The same range through the API, page by page.
    const key: Array<[string, string]> = [
      ['measurement', 'cpu'],
      ['source', 'host-a'],
      ['tag', 'env=prod'],
      ['tag', 'region=cn-hangzhou'],
    ];
    const points: Json[] = [];
    let next: string | null = null;
    do {
      const q: Array<[string, string]> = [...key, ['start', start], ['end', end], ['limit', '5000']];
      const body: Json = (await api('/timeseries/metrics/points', next ? [...q, ['next', next]] : q)).body;
      points.push(...body.points);
      next = body.next;
    } while (next);
    expect(points.length).toBeGreaterThan(10_000); // a week at minute resolution
    const chart = page.locator('#chart');
    await see(chart).hasAttribute('data-points', String(points.length));
    await see(chart).hasAttribute('data-lines', '2'); // usage and cores; throttled is boolean
    await see(chart).hasAttribute('data-x-min', String(Date.parse(start)));
    await see(chart).hasAttribute('data-x-max', String(Date.parse(end)));
    await see(page.locator('#chart canvas')).hasCount(1);
    await see(page.locator('#chart .u-legend .u-series')).hasCount(3);

    // Table: the first point in the viewer's zone (Asia/Shanghai, UTC+8) and in UTC.
    const first = points[0];
    const local = new Date(first.time / 1000 + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const cells = page.locator('#points-table tbody tr').first().locator('td');
    await see(cells.nth(0)).hasText(local);
    await see(cells.nth(1)).hasText(`${new Date(first.time / 1000).toISOString().slice(0, 19).replace('T', ' ')}Z`);
    await see(cells.nth(2)).hasText(String(first.time));
    await see(page.locator('#points-table thead')).containsText('UTC+08:00');

    if (process.env.EXPLORER_SCREENSHOT === '1' || !existsSync(SCREENSHOT)) {
      await page.mouse.move(0, 0);
      const box = (await page.locator('#chart .u-over').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.4);
      await page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1360, height: 900 } });
    }
  });

  it('zooms by selection into the URL, toggles a line, pans to earlier data', async () => {
    const chart = page.locator('#chart');
    const box = (await page.locator('#chart .u-over').boundingBox())!;
    const before = Number(await chart.getAttribute('data-visible-points'));
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const zoomed = await waitForUrl(/zoom=/);
    const [z0, z1] = zoomed.searchParams.get('zoom')!.split('/').map(Date.parse);
    await see(chart).hasAttribute('data-x-min', String(Math.round(z0)));
    const visible = Number(await chart.getAttribute('data-visible-points'));
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(before / 2);
    await see(page.locator('#points-info')).containsText(`${visible.toLocaleString('en-US')} points in view`);
    expect(z1).toBeGreaterThan(z0);

    const usage = page.locator('#chart .u-legend .u-series', { hasText: 'usage' });
    await usage.locator('th').click();
    await see(usage).hasClass(/u-off/);

    const start = zoomed.searchParams.get('start')!;
    const end = zoomed.searchParams.get('end')!;
    await page.locator('#chart .u-over').dblclick();
    await see(chart).hasAttribute('data-x-min', String(Date.parse(start)));
    await expect.poll(() => new URL(page.url()).searchParams.has('zoom')).toBe(false);

    await page.click('#earlier');
    const earlier = await waitForUrl(
      new RegExp(`end=${encodeURIComponent(start).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect(Date.parse(earlier.searchParams.get('start')!)).toBe(
      Date.parse(start) - (Date.parse(end) - Date.parse(start)),
    );
    await see(chart).hasAttribute('data-x-max', String(Date.parse(start)));
  });

  it('charts hourly averages of a week of cpu/host-a: one drawn point per API bucket', async () => {
    const updated =
      (
        await api('/timeseries/metrics/series', [
          ['measurement', 'cpu'],
          ['source', 'host-a'],
        ])
      ).body.series[0].updateTime / 1000;
    const end = new Date(Math.ceil(updated / 60_000) * 60_000 + 60_000).toISOString();
    const start = new Date(Date.parse(end) - 7 * 86400_000).toISOString();
    await page.goto(
      `${base}/ui/timeseries/metrics/points?measurement=cpu&source=host-a&tag=env%3Dprod&tag=region%3Dcn-hangzhou&start=${start}&end=${end}`,
    );
    await page.waitForSelector('#chart[data-points]', { timeout: 60_000 });
    await page.selectOption('#agg', 'avg');
    await page.fill('#interval', '1h');
    await page.click('#time-range button[type=submit]');
    const url = await waitForUrl(/agg=avg/);
    expect(url.searchParams.get('interval')).toBe('1h');
    expect(Date.parse(url.searchParams.get('start')!)).toBe(Date.parse(start));

    const key: Array<[string, string]> = [
      ['measurement', 'cpu'],
      ['source', 'host-a'],
      ['tag', 'env=prod'],
      ['tag', 'region=cn-hangzhou'],
      ['start', url.searchParams.get('start')!],
      ['end', url.searchParams.get('end')!],
      ['interval', '1h'],
      ['agg', 'avg'],
    ];
    const buckets: Json[] = [];
    let next: string | null = null;
    do {
      const q: Array<[string, string]> = [...key, ['limit', '5000']];
      const body: Json = (await api('/timeseries/metrics/points', next ? [...q, ['next', next]] : q)).body;
      buckets.push(...body.points);
      next = body.next;
    } while (next);
    expect(buckets.length).toBeGreaterThan(24); // more than a day of hours
    expect(buckets.length).toBeLessThanOrEqual(7 * 24 + 1);
    const chart = page.locator('#chart');
    await see(chart).hasAttribute('data-points', String(buckets.length));
    await see(chart).hasAttribute('data-lines', '2'); // usage and cores averaged; throttled is boolean
    await see(page.locator('#points-count')).hasAttribute('data-count', String(buckets.length));
    await see(page.locator('#points-info')).containsText(`${buckets.length.toLocaleString('en-US')} points in view`);
    const first = page.locator('#points-table tbody tr').first().locator('td');
    await see(first.nth(2)).hasText(String(buckets[0].time));
    // The aggregate stays in the form and in the preset links.
    await see(page.locator('#agg')).hasValue('avg');
    await see(page.locator('#interval')).hasValue('1h');
    expect(await page.locator('a.preset').first().getAttribute('href')).toContain('agg=avg');
  });

  it('follows deep links: a range page and a zoomed chart', async () => {
    await page.goto(`${base}/ui/tables/orders/rows?start=${encodeURIComponent('{"customer_id":"c0002"}')}&limit=4`);
    await see(page.locator('#page-info')).hasText('Page 1 · 4 rows');
    const rows = (
      await api('/tables/orders/rows', [
        ['start', '{"customer_id":"c0002"}'],
        ['limit', '4'],
      ])
    ).body.rows;
    expect(await rowsShown()).toEqual(
      rows.map((r: Json) => [shown(r.primaryKey.customer_id), shown(r.primaryKey.order_id)]),
    );
    await see(page.locator('#range-form input[name="start.customer_id"]')).hasValue('c0002');

    const updated =
      (
        await api('/timeseries/metrics/series', [
          ['measurement', 'cpu'],
          ['source', 'host-a'],
        ])
      ).body.series[0].updateTime / 1000;
    const end = Math.floor(updated / 60_000) * 60_000;
    const s = new Date(end - 6 * 3600_000).toISOString();
    const e = new Date(end).toISOString();
    const z0 = new Date(end - 4 * 3600_000).toISOString();
    const z1 = new Date(end - 2 * 3600_000).toISOString();
    await page.goto(
      `${base}/ui/timeseries/metrics/points?measurement=cpu&source=host-a&tag=env%3Dprod&tag=region%3Dcn-hangzhou&start=${s}&end=${e}&zoom=${z0}/${z1}`,
    );
    const chart = page.locator('#chart');
    await see(chart).hasAttribute('data-x-min', String(Date.parse(z0)));
    await see(chart).hasAttribute('data-x-max', String(Date.parse(z1)));
  });

  it('runs SQL from the editor with Ctrl+Enter: the same typed, exact rows as POST /sql, in the URL', async () => {
    await page.goto(`${base}/ui/tables/orders`);
    await page.click('nav.tabs a:has-text("SQL")');
    await waitForUrl(/\/ui\/sql$/);
    const query = `SELECT customer_id, order_id, status, amount FROM orders WHERE customer_id = 'zz-lossless' OR customer_id = 'c0001' ORDER BY order_id DESC LIMIT 5`;
    await page.fill('#sql-query', query);
    await page.press('#sql-query', 'Control+Enter');
    const url = await waitForUrl(/\/ui\/sql\?query=/);
    expect(url.searchParams.get('query')).toBe(query);
    const answer = await apiPost('/sql', { query });
    expect(answer.status).toBe(200);
    await see(page.locator('#sql-info')).hasAttribute('data-rows', String(answer.body.rows.length));
    await see(page.locator('#sql-info')).hasAttribute('data-truncated', 'false');
    const grid = await gridShown('#sql-table');
    expect(grid.head).toEqual(answer.body.columns.map((c: Json) => c.name));
    expect(grid.rows).toEqual(
      answer.body.rows.map((r: Json) =>
        answer.body.columns.map((c: Json) => (r[c.name] === null ? '—' : shown(r[c.name]))),
      ),
    );
    // int64 beyond 2^53 exact: the API sends it tagged, the page shows every digit.
    expect(answer.body.rows[0].order_id).toEqual({ $int64: LOSSLESS_PK.order_id });
    expect(grid.rows[0]).toContain(LOSSLESS_PK.order_id);
    await see(page.locator('#sql-table thead th[data-column="order_id"] .type')).hasText('LONG');

    // A deep link with a row limit: the answer is cut and says so.
    await page.goto(`${base}/ui/sql?query=${encodeURIComponent('SELECT customer_id FROM orders')}&limit=3`);
    const cut = await apiPost('/sql', { query: 'SELECT customer_id FROM orders', limit: 3 });
    expect(cut.body.truncated).toBe(true);
    await see(page.locator('#sql-info')).hasAttribute('data-truncated', 'true');
    await see(page.locator('#sql-truncated')).hasCount(1);
    await see(page.locator('#sql-table tbody tr')).hasCount(3);
    await see(page.locator('#sql-query')).hasValue('SELECT customer_id FROM orders');
  });

  it('shows a refused SQL statement as the API words it (gate and Tablestore)', async () => {
    for (const query of ['DELETE FROM orders', 'SELECT nope FROM orders']) {
      const answer = await apiPost('/sql', { query });
      expect(answer.status).toBe(400);
      expectedFailures.push(`${base}/sql`);
      await page.fill('#sql-query', query);
      await page.click('#sql-form button[type=submit]');
      const alert = page.locator('#result .alert');
      await see(alert).hasAttribute('data-code', answer.body.error.code);
      await see(alert.locator('.alert-status')).hasText('HTTP 400');
      await see(alert.locator('.alert-message')).hasText(answer.body.error.message);
    }
  });

  it('searches with the q syntax: the API rows page by page', async () => {
    await page.goto(`${base}/ui/tables/orders`);
    await page.click('#subnav a:has-text("Search")');
    await waitForUrl(/\/ui\/tables\/orders\/search$/);
    const indexes = (await api('/tables/orders/search-indexes')).body.indexes.map((i: Json) => i.index);
    expect(indexes).toEqual(['orders_search']);
    await see(page.locator('#search-index option')).hasCount(1);
    const q = 'status:paid amount>=500 -note:*';
    await page.fill('#search-q', q);
    await page.fill('#search-q-form input[name="limit"]', '7');
    await page.click('#search-q-form button[type=submit]');
    const url = await waitForUrl(/\/search\?.*q=/);
    expect(url.searchParams.get('q')).toBe(q);
    const query: Array<[string, string]> = [
      ['index', 'orders_search'],
      ['total', 'true'],
      ['q', q],
      ['limit', '7'],
    ];
    let next: string | null = null;
    for (let pageNo = 1; pageNo <= 2; pageNo++) {
      const answer: Json = (await api('/tables/orders/search', next ? [...query, ['next', next]] : query)).body;
      expect(answer.rows).toHaveLength(7);
      for (const r of answer.rows) expect(r.columns.status).toBe('paid');
      await see(page.locator('#page-info')).hasText(`Page ${pageNo} · 7 rows`);
      expect(await gridShown('#search-table')).toEqual(
        rowsExpected(answer.rows, ['customer_id', 'order_id'], (pageNo - 1) * 7 + 1),
      );
      expect(answer.totalCount).toBeGreaterThan(7);
      await see(page.locator('#page-extra')).hasAttribute('data-total', String(answer.totalCount));
      next = answer.next;
      expect(next).toBeTruthy();
      if (pageNo === 1) {
        await page.click('a.next-page');
        const paged = await waitForUrl(/page=2/);
        expect(paged.searchParams.get('next')).toBe(next);
      }
    }
  });

  it('searches with the JSON DSL: rows, total, aggregations and group-bys as the API answers, then the next page', async () => {
    const dsl = {
      query: { range: { field: 'amount', gte: 900 } },
      sort: [{ field: 'amount', order: 'desc' }],
      columns: ['amount', 'sku', 'checksum'],
      limit: 6,
      trackTotalCount: true,
      aggregations: { total: { sum: { field: 'amount' } }, orders: { count: { field: 'amount' } } },
      groupBys: { by_sku: { field: { field: 'sku', size: 3, aggregations: { top: { max: { field: 'amount' } } } } } },
    };
    await page.fill('#search-dsl', JSON.stringify(dsl, null, 2));
    await page.press('#search-dsl', 'Control+Enter');
    const url = await waitForUrl(/\/search\?.*dsl=/);
    expect(JSON.parse(url.searchParams.get('dsl')!)).toEqual(dsl);
    const answer = (await apiPost('/tables/orders/search', { index: 'orders_search', ...dsl })).body;
    expect(answer.totalCount).toBeGreaterThan(6);
    await see(page.locator('#page-extra')).hasAttribute('data-total', String(answer.totalCount));
    expect(await gridShown('#search-table')).toEqual(rowsExpected(answer.rows, ['customer_id', 'order_id']));
    expect(await gridShown('#search-aggs')).toEqual({
      head: ['name', 'value'],
      rows: Object.values(answer.aggregations).map((a: Json) => [shown(a.value)]),
    });
    const items = answer.groupBys.by_sku.items;
    expect(items).toHaveLength(3);
    expect(await gridShown('.search-group[data-group="by_sku"]')).toEqual({
      head: ['key', 'rowCount', 'top'],
      rows: items.map((i: Json) => [shown(i.key), shown(i.rowCount), shown(i.aggregations.top.value)]),
    });

    await page.click('a.next-page');
    await waitForUrl(/page=2/);
    const second = (await apiPost('/tables/orders/search', { index: 'orders_search', ...dsl, next: answer.next })).body;
    await see(page.locator('#page-info')).hasText(`Page 2 · ${second.rows.length} rows`);
    expect(await gridShown('#search-table')).toEqual(rowsExpected(second.rows, ['customer_id', 'order_id'], 7));
    const amounts = [...answer.rows, ...second.rows].map((r: Json) => r.columns.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));

    // A query the DSL does not know: the API's 400, pointing at the part.
    const bad = { query: { nearly: { field: 'sku' } } };
    const refused = await apiPost('/tables/orders/search', { index: 'orders_search', ...bad });
    expect(refused.status).toBe(400);
    expectedFailures.push(`${base}/tables/orders/search`);
    await page.fill('#search-dsl', JSON.stringify(bad));
    await page.click('#search-dsl-form button[type=submit]');
    const alert = page.locator('#result .alert');
    await see(alert).hasAttribute('data-code', refused.body.error.code);
    await see(alert.locator('.alert-message')).hasText(refused.body.error.message);
  });

  it('browses a secondary index: its key in the form, rows and join-back as the API answers', async () => {
    await page.goto(`${base}/ui/tables/orders`);
    const indexes = (await api('/tables/orders/indexes')).body.indexes;
    expect(indexes.map((i: Json) => i.name)).toEqual(['orders_by_status']);
    await see(page.locator('.index-item[data-index="orders_by_status"]')).hasCount(1);
    await page.selectOption('#range-index', 'orders_by_status');
    await waitForUrl(/\/ui\/tables\/orders\?index=orders_by_status$/);
    // The bounds follow the index's key: status, then the base key.
    await see(page.locator('#range-form fieldset.bound').first().locator('.field-label')).hasCount(
      indexes[0].primaryKey.length,
    );
    await page.fill('#range-form input[name="start.status"]', 'paid');
    await page.fill('#range-form input[name="end.status"]', 'shipped');
    await page.fill('#range-form input[name="limit"]', '6');
    await page.fill('#range-form input[name="columns"]', 'amount,sku');
    await page.click('#range-form button[type=submit]');
    const url = await waitForUrl(/\/ui\/tables\/orders\/rows\?index=orders_by_status/);
    expect(url.searchParams.get('start')).toBe('{"status":"paid"}');
    const query: Array<[string, string]> = [
      ['start', '{"status":"paid"}'],
      ['end', '{"status":"shipped"}'],
      ['limit', '6'],
      ['columns', 'amount,sku'],
    ];
    const keyNames = indexes[0].primaryKey.map((c: Json) => c.name);
    let next: string | null = null;
    for (let pageNo = 1; pageNo <= 2; pageNo++) {
      const answer: Json = (
        await api('/tables/orders/indexes/orders_by_status/rows', next ? [...query, ['next', next]] : query)
      ).body;
      expect(answer.rows).toHaveLength(6);
      expect(answer.joined).toEqual({ columns: ['sku'], baseReads: 6, missing: 0 });
      await see(page.locator('#page-info')).hasText(`Page ${pageNo} · 6 rows`);
      expect(await gridShown('#rows-table')).toEqual(rowsExpected(answer.rows, keyNames, (pageNo - 1) * 6 + 1));
      const info = page.locator('#join-info');
      await see(info).hasAttribute('data-columns', 'sku');
      await see(info).hasAttribute('data-base-reads', '6');
      await see(info).hasAttribute('data-missing', '0');
      next = answer.next;
      if (pageNo === 1) {
        await page.click('a.next-page');
        await waitForUrl(/page=2/);
      }
    }
    // The # link opens the base row.
    await page.locator('#rows-table a.row-link').first().click();
    await waitForUrl(/\/ui\/tables\/orders\/row\?pk=/);
    await page.waitForSelector('#row-table');
    await see(page.locator('#row-table')).containsText('paid');
  });

  it('shows API errors with code, message and request id', async () => {
    expectedFailures.push(`${base}/tables/nope`);
    await page.goto(`${base}/ui/tables/nope`);
    const alert = page.locator('.alert');
    await see(alert).hasAttribute('data-code', 'TableNotFound');
    await see(alert.locator('.alert-message')).hasText("Table 'nope' does not exist.");
    await see(alert.locator('.alert-status')).hasText('HTTP 404');
    await see(alert.locator('.alert-request-id')).hasText(/^1-[0-9a-f]+-[0-9a-f]+$/);

    await page.goto(`${base}/ui/tables/orders`);
    await page.fill('#lookup-form input[name="pk.customer_id"]', 'c0001');
    await page.fill('#lookup-form input[name="pk.order_id"]', '1');
    expectedFailures.push(`${base}/tables/orders/row`);
    await page.click('#lookup-form button[type=submit]');
    await see(page.locator('#result .alert')).hasAttribute('data-code', 'RowNotFound');
  });

  it('logged no console errors (CSP violations included) besides the asked-for 404s and 400s', () => {
    const unexpected = consoleErrors.filter(
      (e) =>
        !(
          /Failed to load resource: the server responded with a status of 40[04]/.test(e.text) &&
          expectedFailures.some((u) => e.url.startsWith(u))
        ),
    );
    expect(unexpected).toEqual([]);
    expect(consoleErrors.length).toBeGreaterThanOrEqual(expectedFailures.length);
  });
});
