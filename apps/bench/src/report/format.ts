/** Number and cell formatting shared by the console table and the Markdown doc. */
import type { BenchResult, RowResult, WorkloadResult } from '../bench.js';

/** Milliseconds with about three significant digits. */
export function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** GFLOP/s. */
export function fmtGflops(g: number | null): string {
  if (g === null) return '–';
  return g < 10 ? g.toFixed(2) : g.toFixed(1);
}

/**
 * Outputs further apart than this are flagged: float32 runs of the same layer agree to about
 * 1e-6 on these shapes, so a larger gap means a different computation, not rounding.
 */
export const DIFF_WARN = 1e-4;

/** A max-abs-diff value, flagged with `(!)` past {@link DIFF_WARN}. */
export function fmtDiff(d: number | null, isReference: boolean): string {
  if (isReference) return 'ref';
  if (d === null) return '–';
  if (Number.isNaN(d)) return 'NaN (!)';
  const text = d === 0 ? '0' : d.toExponential(1);
  return d > DIFF_WARN ? `${text} (!)` : text;
}

/**
 * `peer ms ÷ rnnkit ms` per rnnkit backend, e.g. `cpu 1.63× · wasm 0.71×`; for an rnnkit
 * training step, its time over the forward pass's (`cpu-forward 3.4×`).
 */
export function fmtRatios(row: RowResult): string {
  if (row.family === 'rnnkit' && Object.keys(row.timeRatioToRnnkit).length === 0) return '';
  const parts = Object.entries(row.timeRatioToRnnkit).map(
    ([id, r]) =>
      `${id.replace(/^rnnkit-/, '')} ${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`,
  );
  return parts.length ? parts.join(' · ') : '–';
}

/** `before→after` live tensors. */
export function fmtTensors(row: RowResult): string {
  if (row.tensorsBefore === null || row.tensorsAfter === null) return 'n/a';
  const leak = row.tensorsAfter - row.tensorsBefore;
  return `${row.tensorsBefore}→${row.tensorsAfter}${leak > 0 ? ' LEAK' : ''}`;
}

/** The note column: skip/error reason or rnnkit kernel path. */
export function fmtNote(row: RowResult): string {
  if (row.status === 'skipped') return `skipped: ${row.reason ?? ''}`;
  if (row.status === 'error') return `error: ${row.reason ?? ''}`;
  const notes: string[] = [];
  if (row.kernelPath) notes.push(`kernel: ${row.kernelPath}`);
  const outside = row.outsideKernel;
  if (outside != null) {
    notes.push(`outside kernel ${outside.us.toFixed(0)} µs (${(100 * outside.share).toFixed(1)}%)`);
  }
  return notes.join('; ');
}

/** Column headers, in order. */
export const HEADERS = [
  'runner',
  'median ms',
  'min–max ms',
  'forwards/sample',
  'GFLOP/s',
  'peer ÷ rnnkit time',
  'max |Δ|',
  'GPU dispatches',
  'tensors',
  'note',
];

/** One row's cells, in {@link HEADERS} order. */
export function cells(row: RowResult, result: WorkloadResult): string[] {
  const ok = row.medianMs !== null;
  return [
    row.runner,
    fmtMs(row.medianMs),
    ok ? `${fmtMs(row.minMs)}–${fmtMs(row.maxMs)}` : '–',
    ok ? String(row.burst ?? 1) : '–',
    fmtGflops(row.gflops),
    ok ? fmtRatios(row) : '',
    ok ? fmtDiff(row.maxAbsDiff, row.runner === result.reference) : '',
    row.dispatchesPerForward === null ? 'n/a' : String(row.dispatchesPerForward),
    ok ? fmtTensors(row) : '',
    fmtNote(row),
  ];
}

/** How a run sampled: its reps, warm-up and sample length. */
export type SamplingOptions = Pick<BenchResult['options'], 'reps' | 'warmup' | 'sampleMs'>;

function fmtSampling({ reps, warmup, sampleMs }: SamplingOptions): string {
  return sampleMs
    ? `${reps} samples of ≥ ${sampleMs} ms of back-to-back forwards after ${warmup} warm-up`
    : `${reps} timed runs after ${warmup} warm-up`;
}

/** The line above each table. */
export function caption(result: WorkloadResult, options: SamplingOptions): string {
  const ref = result.reference ? `max |Δ| against ${result.reference}` : 'no output to compare';
  return `${result.workload.id}: ${result.description} (${result.gflop.toPrecision(3)} GFLOP/forward; ${fmtSampling(options)}; ${ref})`;
}

/**
 * A streaming workload's per-step ratios, one line each: this runner's step ÷ one step inside the
 * whole-sequence call of its baseline workload. Empty for other workloads.
 */
export function stepRatioLines(result: WorkloadResult, code: (s: string) => string): string[] {
  const rows = result.rows.filter((r) => r.stepRatio != null);
  if (rows.length === 0) return [];
  return [
    'One step here ÷ one step inside the whole-sequence call (its time ÷ T):',
    '',
    ...rows.map(
      (r) => `- ${code(r.runner)}: ${r.stepRatio!.ratio.toFixed(2)}× ${code(r.stepRatio!.against)}`,
    ),
  ];
}
