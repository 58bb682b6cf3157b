/**
 * Whether a measured run is sound enough to exit 0: every runner that should run on this machine
 * ran without error, and every output agrees with the reference runner's. The smoke run
 * (`pnpm bench --quick`, in the test command) relies on this to catch wrong numbers.
 */
import { SOFTWARE_GPU, type BenchResult, type RowResult } from './bench.js';
import { DIFF_WARN } from './report/format.js';
import { NOT_SELECTED } from './tfjs_env.js';

/** What a machine is expected to run. */
export interface VerdictOptions {
  /**
   * Every backend is installed (CI): a webgpu runner that cannot start is a problem. Otherwise
   * a machine without a WebGPU adapter may skip the webgpu runners.
   */
  allBackends: boolean;
}

/** Skips that do not depend on the machine being complete: cells with no meaning, or not asked for. */
function expectedSkip(row: RowResult, opts: VerdictOptions): boolean {
  const reason = row.reason ?? '';
  if (reason.startsWith('n/a') || reason === NOT_SELECTED) return true;
  // A CPU-emulated adapter's timings are CPU timings: its runners skip unless asked for.
  if (reason.startsWith(SOFTWARE_GPU)) return true;
  return row.backend === 'webgpu' && !opts.allBackends;
}

/**
 * The problems in `result`, one line each (`workload/runner: what`); empty when the run is sound.
 * A problem is a runner that errored, a skip this machine should not need, an output further than
 * {@link DIFF_WARN} (or NaN) from the reference runner's, or a workload where nothing ran.
 */
export function runProblems(result: BenchResult, opts: VerdictOptions): string[] {
  const problems: string[] = [];
  for (const w of result.workloads) {
    const id = w.workload.id;
    if (w.reference === null) problems.push(`${id}: no runner produced an output`);
    for (const row of w.rows) {
      const where = `${id}/${row.runner}`;
      if (row.status === 'error') {
        problems.push(`${where}: failed (${row.reason ?? 'no reason given'})`);
      } else if (row.status === 'skipped') {
        if (!expectedSkip(row, opts)) problems.push(`${where}: skipped (${row.reason ?? ''})`);
      } else if (row.runner !== w.reference) {
        const d = row.maxAbsDiff;
        if (d === null) problems.push(`${where}: output not compared with ${w.reference}`);
        else if (!(d <= DIFF_WARN))
          problems.push(`${where}: max |Δ| ${d} against ${w.reference} exceeds ${DIFF_WARN}`);
      }
    }
  }
  return problems;
}
