/** Plain-text tables for the terminal. */
import type { WorkloadResult } from '../bench.js';
import { caption, cells, HEADERS, stepRatioLines, type SamplingOptions } from './format.js';

/** One workload as an aligned text table. */
export function textTable(result: WorkloadResult, options: SamplingOptions): string {
  const rows = [HEADERS, ...result.rows.map((r) => cells(r, result))];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const numeric = new Set([1, 2, 3, 4]);
  const line = (r: string[]): string =>
    r
      .map((cell, c) =>
        c === r.length - 1
          ? cell
          : numeric.has(c)
            ? cell.padStart(widths[c])
            : cell.padEnd(widths[c]),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const ratios = stepRatioLines(result, (t) => t);
  return [
    caption(result, options),
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    ...(ratios.length > 0 ? ['', ...ratios.filter((l) => l !== '')] : []),
  ].join('\n');
}
