/** Small SVG charts: a line chart over time steps and a grouped bar chart. */
import { s } from './dom.js';

/** One line of a {@link lineChart}. */
export interface LineSeries {
  label: string;
  values: readonly number[];
  color: string;
  dashed?: boolean;
  /** Group key: series sharing it get one legend entry. */
  legend?: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  /** X tick labels, one per value. */
  xTicks: readonly string[];
  series: readonly LineSeries[];
  width?: number;
  height?: number;
}

function niceRange(lo: number, hi: number): [number, number] {
  if (!(hi > lo)) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** A line chart of several series over the same x ticks. */
export function lineChart(o: LineChartOptions): SVGSVGElement {
  const width = o.width ?? 520;
  const height = o.height ?? 260;
  const m = { left: 52, right: 16, top: 30, bottom: 58 };
  const all = o.series.flatMap((v) => v.values);
  const [lo, hi] = niceRange(Math.min(...all), Math.max(...all));
  const n = o.xTicks.length;
  const x = (i: number): number =>
    m.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - m.left - m.right));
  const y = (v: number): number => m.top + ((hi - v) / (hi - lo)) * (height - m.top - m.bottom);
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'chart line-chart',
    role: 'img',
    'aria-label': o.title,
  });
  svg.append(s('text', { x: m.left, y: 18, class: 'chart-title' }, o.title));
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    svg.append(
      s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: m.left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, v.toFixed(2)),
    );
  }
  o.xTicks.forEach((label, i) => {
    svg.append(
      s(
        'text',
        { x: x(i), y: height - m.bottom + 16, class: 'tick', 'text-anchor': 'middle' },
        label,
      ),
    );
  });
  svg.append(
    s(
      'text',
      {
        x: (m.left + width - m.right) / 2,
        y: height - m.bottom + 32,
        class: 'axis-label',
        'text-anchor': 'middle',
      },
      o.xLabel,
    ),
  );
  for (const series of o.series) {
    const points = series.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(
      s(
        'polyline',
        {
          points,
          fill: 'none',
          stroke: series.color,
          'stroke-width': 2,
          'stroke-dasharray': series.dashed ? '6 4' : undefined,
          class: 'series',
          'data-series': series.label,
        },
        s('title', {}, series.label),
      ),
    );
    series.values.forEach((v, i) => {
      svg.append(s('circle', { cx: x(i), cy: y(v), r: 3, fill: series.color }));
    });
  }
  const legends = new Map<string, LineSeries>();
  for (const series of o.series) {
    const key = series.legend ?? series.label;
    if (!legends.has(key)) legends.set(key, series);
  }
  let lx = m.left;
  for (const [label, series] of legends) {
    const ly = height - 12;
    svg.append(
      s('line', {
        x1: lx,
        x2: lx + 22,
        y1: ly - 4,
        y2: ly - 4,
        stroke: series.color,
        'stroke-width': 2,
        'stroke-dasharray': series.dashed ? '6 4' : undefined,
      }),
      s('text', { x: lx + 28, y: ly, class: 'legend' }, label),
    );
    lx += 40 + label.length * 6.4;
  }
  return svg;
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  title: string;
  /** One group of bars per category (e.g. workload × backend). */
  categories: readonly string[];
  /** Bar names within a group, with colors. */
  bars: readonly { name: string; color: string }[];
  /** `values[category][bar]`; null leaves a gap. */
  values: readonly (readonly (number | null)[])[];
  /** Formats a value for the label above its bar. */
  format: (v: number) => string;
  /** Log scale (for values spanning orders of magnitude). */
  log?: boolean;
  width?: number;
  height?: number;
}

/** A grouped vertical bar chart with value labels. */
export function barChart(o: BarChartOptions): SVGSVGElement {
  const width = o.width ?? 720;
  const height = o.height ?? 300;
  const m = { left: 56, right: 16, top: 34, bottom: 70 };
  const positive = o.values.flat().filter((v): v is number => v != null && v > 0);
  const max = positive.length ? Math.max(...positive) : 1;
  const min = positive.length ? Math.min(...positive) : 1;
  const plotH = height - m.top - m.bottom;
  const logLo = Math.floor(Math.log10(min));
  const logHi = Math.ceil(Math.log10(max * 1.0001));
  const span = Math.max(1, logHi - logLo);
  const frac = (v: number): number => (o.log ? (Math.log10(v) - logLo) / span : v / (max * 1.1));
  const y = (v: number): number => m.top + plotH * (1 - Math.max(0, Math.min(1, frac(v))));
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'chart bar-chart',
    role: 'img',
    'aria-label': o.title,
  });
  svg.append(s('text', { x: m.left, y: 18, class: 'chart-title' }, o.title));
  const ticks: number[] = o.log
    ? Array.from({ length: span + 1 }, (_, k) => 10 ** (logLo + k))
    : Array.from({ length: 5 }, (_, k) => (max * 1.1 * k) / 4);
  for (const t of ticks) {
    svg.append(
      s('line', { x1: m.left, x2: width - m.right, y1: y(t), y2: y(t), class: 'grid' }),
      s(
        'text',
        { x: m.left - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' },
        t >= 1 || t === 0 ? String(Number(t.toPrecision(2))) : t.toExponential(0),
      ),
    );
  }
  const groupW = (width - m.left - m.right) / Math.max(1, o.categories.length);
  const barW = Math.min(34, (groupW * 0.8) / Math.max(1, o.bars.length));
  o.categories.forEach((category, ci) => {
    const gx = m.left + ci * groupW + (groupW - barW * o.bars.length) / 2;
    o.bars.forEach((bar, bi) => {
      const v = o.values[ci]?.[bi];
      if (v == null || !(v > 0)) return;
      const top = y(v);
      svg.append(
        s(
          'rect',
          {
            x: gx + bi * barW,
            y: top,
            width: barW - 2,
            height: Math.max(1, m.top + plotH - top),
            fill: bar.color,
            class: 'bar',
            'data-category': category,
            'data-bar': bar.name,
          },
          s('title', {}, `${category} · ${bar.name}: ${o.format(v)}`),
        ),
        s(
          'text',
          {
            x: gx + bi * barW + (barW - 2) / 2,
            y: top - 3,
            class: 'bar-value',
            'text-anchor': 'middle',
          },
          o.format(v),
        ),
      );
    });
    const lines = category.split('\n');
    lines.forEach((line, li) => {
      svg.append(
        s(
          'text',
          {
            x: m.left + ci * groupW + groupW / 2,
            y: m.top + plotH + 16 + li * 13,
            class: 'tick',
            'text-anchor': 'middle',
          },
          line,
        ),
      );
    });
  });
  let lx = m.left;
  for (const bar of o.bars) {
    svg.append(
      s('rect', { x: lx, y: height - 20, width: 12, height: 12, fill: bar.color }),
      s('text', { x: lx + 17, y: height - 10, class: 'legend' }, bar.name),
    );
    lx += 30 + bar.name.length * 7;
  }
  return svg;
}
