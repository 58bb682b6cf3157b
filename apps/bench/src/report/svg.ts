/**
 * A grouped bar chart of GFLOP/s (log scale), one group per workload and one bar per runner,
 * written as plain SVG from the bench's JSON.
 */
import type { BenchResult } from '../bench.js';

const PALETTE: Record<string, string> = {
  'rnnkit-cpu': '#1f5fa8',
  'rnnkit-cpu-2t': '#2f77c0',
  'rnnkit-wasm': '#3f8fd8',
  'rnnkit-wasm-2t': '#5fa8e8',
  'rnnkit-webgpu': '#8cc4f2',
  'tfjs-layers-cpu': '#c2571a',
  'tfjs-layers-wasm': '#e8893f',
  'tfjs-layers-webgpu': '#f5bd8a',
  'ort-web-1t': '#2e8540',
  'ort-web-2t': '#6cbf6c',
  'ort-node-1t': '#555555',
};
const FALLBACK = ['#7b52ab', '#b07fd6', '#a0a0a0'];

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders the chart; runners with no timing anywhere are left out. */
export function renderChart(result: BenchResult): string {
  const runnerIds = result.runners
    .map((r) => r.id)
    .filter((id) =>
      result.workloads.some((w) => w.rows.some((r) => r.runner === id && r.gflops !== null)),
    );
  const values = result.workloads
    .flatMap((w) => w.rows.map((r) => r.gflops ?? NaN))
    .filter((v) => v > 0);
  const color = (id: string, i: number): string => PALETTE[id] ?? FALLBACK[i % FALLBACK.length];

  const barW = 14;
  const groupGap = 28;
  const left = 64;
  const legendW = 170;
  const plotH = 260;
  const groupW = Math.max(1, runnerIds.length) * barW;
  const width = Math.max(left + result.workloads.length * (groupW + groupGap) + 20, 620);
  const legendCols = Math.max(1, Math.floor((width - left) / legendW));
  const top = 40 + 18 * Math.ceil(runnerIds.length / legendCols);
  const height = top + plotH + 56;

  const lo = values.length ? Math.floor(Math.log10(Math.min(...values))) : -1;
  const hi = values.length ? Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values)))) : 1;
  const y = (v: number): number => top + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">GFLOP/s per runner (log scale; higher is faster)</text>`,
  );
  runnerIds.forEach((id, i) => {
    const lx = left + (i % legendCols) * legendW;
    const ly = 34 + 18 * Math.floor(i / legendCols);
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color(id, i)}"/>`,
      `<text x="${lx + 14}" y="${ly}">${esc(id)}</text>`,
    );
  });
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${width - 10}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v >= 1 ? v.toFixed(0) : v}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">GFLOP/s</text>`,
  );
  result.workloads.forEach((w, g) => {
    const gx = left + 10 + g * (groupW + groupGap);
    runnerIds.forEach((id, i) => {
      const row = w.rows.find((r) => r.runner === id);
      const x = gx + i * barW;
      if (!row || row.gflops === null || !(row.gflops > 0)) return;
      const yy = y(row.gflops);
      out.push(
        `<rect x="${x}" y="${yy.toFixed(1)}" width="${barW - 2}" height="${(top + plotH - yy).toFixed(1)}" fill="${color(id, i)}">` +
          `<title>${esc(`${w.workload.id} ${id}: ${row.gflops.toFixed(2)} GFLOP/s, median ${row.medianMs!.toFixed(2)} ms`)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${gx + groupW / 2}" y="${top + plotH + 16}" text-anchor="middle">${esc(w.workload.id)}</text>`,
      `<text x="${gx + groupW / 2}" y="${top + plotH + 30}" text-anchor="middle" fill="#666" font-size="9">${w.workload.batch}·${w.workload.time}·${w.workload.input}·${w.workload.units}</text>`,
    );
  });
  out.push(
    `<text x="${left}" y="${height - 8}" fill="#666" font-size="9">workload (batch·time·input·units); missing bars: runner skipped or n/a, see the tables</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
