/// <reference lib="dom" />
/**
 * The line chart of a series' points: uPlot (canvas, made for large time series; its line paths reduce
 * each pixel column to its extremes, so 100,000+ points draw quickly). One line per numeric field; the time
 * axis in the viewer's zone with UTC in the hover legend; drag to zoom, double-click to reset, legend entries
 * toggle lines. The element's data-* attributes report what is drawn (points, visible x range) for tests.
 */
import uPlot from 'uplot';
import { localText, utcText } from './time';

const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#dc2626', '#ca8a04', '#db2777'];

export interface ChartInput {
  /** Seconds since the epoch (uPlot's time unit). */
  readonly xs: Float64Array;
  readonly fields: ReadonlyArray<{ readonly name: string; readonly values: ReadonlyArray<number | null> }>;
  /** The requested window in seconds: the x axis spans it even where there is no data. */
  readonly window: readonly [number, number];
  /** A zoomed sub-window in seconds to start with. */
  readonly zoom?: readonly [number, number];
  /** Called after each zoom, with undefined when back at the whole window. */
  onZoom(range: readonly [number, number] | undefined): void;
}

export interface Chart {
  destroy(): void;
}

export function drawChart(el: HTMLElement, input: ChartInput): Chart {
  const [w0, w1] = input.window;
  const report = (u: uPlot): void => {
    const { min, max } = u.scales.x;
    if (min === undefined || max === undefined) return;
    el.dataset.xMin = String(Math.round(min * 1000));
    el.dataset.xMax = String(Math.round(max * 1000));
    let visible = 0;
    for (const x of input.xs) if (x >= min && x <= max) visible++;
    el.dataset.visiblePoints = String(visible);
  };
  const opts: uPlot.Options = {
    width: Math.max(320, el.clientWidth),
    height: 360,
    scales: { x: { time: true } },
    series: [
      {
        label: 'Time',
        value: (_u, v) => (v === null ? '—' : `${localText(v * 1000)}  (UTC ${utcText(v * 1000).slice(11)})`),
      },
      ...input.fields.map((f, i) => ({
        label: f.name,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : String(v)),
      })),
    ],
    axes: [
      { stroke: '#475569', grid: { stroke: '#eef2f7', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } },
      { stroke: '#475569', grid: { stroke: '#eef2f7', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 }, size: 56 },
    ],
    cursor: {
      drag: { x: true, y: false, setScale: true },
    },
    legend: { live: true },
    hooks: {
      ready: [
        (u) => {
          report(u);
          // After the first draw has committed its scales, or the zoom would be replaced by the window.
          const zoom = input.zoom;
          if (zoom) setTimeout(() => u.setScale('x', { min: zoom[0], max: zoom[1] }), 0);
        },
      ],
      setScale: [
        (u, key) => {
          if (key !== 'x') return;
          report(u);
          const { min, max } = u.scales.x;
          if (min === undefined || max === undefined) return;
          const whole = Math.abs(min - w0) < 0.001 && Math.abs(max - w1) < 0.001;
          input.onZoom(whole ? undefined : [min, max]);
        },
      ],
    },
  };
  // Unzoomed (first draw, double-click) the x axis spans the requested window, not just the data in it: uPlot
  // ranges x over the data, so the window's ends are added as x values without any y value.
  const before = input.xs.length === 0 || input.xs[0] > w0 ? 1 : 0;
  const after = input.xs.length === 0 || input.xs[input.xs.length - 1] < w1 ? 1 : 0;
  const xs = new Float64Array(input.xs.length + before + after);
  xs.set(input.xs, before);
  if (before) xs[0] = w0;
  if (after) xs[xs.length - 1] = w1;
  const pad = (values: ReadonlyArray<number | null>): (number | null)[] => [
    ...(before ? [null] : []),
    ...values,
    ...(after ? [null] : []),
  ];
  const data: uPlot.AlignedData = [xs, ...input.fields.map((f) => pad(f.values))];
  el.dataset.points = String(input.xs.length);
  el.dataset.lines = String(input.fields.length);
  const plot = new uPlot(opts, data, el);
  const resize = new ResizeObserver(() => {
    const width = Math.max(320, el.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: 360 });
  });
  resize.observe(el);
  return {
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
