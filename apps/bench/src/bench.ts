/**
 * The measurement loop: every selected runner on every selected workload, in one process, with
 * warm-up first and the runner order alternating from rep to rep so that drift (thermal, other
 * load) spreads over all runners instead of favouring whichever runs first.
 */
import { mulberry32 } from '@rnnkit/core';
import { isConv, kerasWeights, uniform } from './data.js';
import { firstLine } from './reasons.js';
import { ortNodeRunner } from './runners/ort_node.js';
import { ortWebRunner } from './runners/ort_web.js';
import { rnnkitRunner } from './runners/rnnkit.js';
import type { OutsideKernel } from './runners/kernel_timer.js';
import { tfjsLayersRunner } from './runners/tfjs_layers.js';
import {
  isSkip,
  type PreparedRun,
  type Runner,
  type RunnerFamily,
  type WorkloadData,
} from './runners/types.js';
import { maxAbsDiff, median } from './stats.js';
import { setupEnv, TF_BACKENDS, type TfBackendName } from './tfjs_env.js';
import {
  describe,
  directions,
  flops,
  frameOf,
  FULL_WORKLOADS,
  inputShape,
  QUICK_WORKLOADS,
  type Workload,
} from './workloads.js';

/** How the reason for skipping the webgpu runners on a CPU-emulated adapter starts. */
export const SOFTWARE_GPU = 'software WebGPU adapter';

/** How to run the bench. */
export interface BenchOptions {
  /** Reduced set: small workloads, few reps. */
  quick: boolean;
  /** Timed forwards per runner per workload. */
  reps: number;
  /** Untimed forwards before timing. */
  warmup: number;
  /**
   * Target length of one timed sample in ms: a sample is the mean of as many back-to-back
   * forwards as fill it (at least one), so fast workloads are timed in a steady state (warm
   * caches and JIT) rather than as single forwards between other runners' work. 0: one forward
   * per sample.
   */
  sampleMs: number;
  /** Keeps a (workload, runner) pair when it matches `<workload>/<runner>`. */
  filter?: RegExp;
  /** Run the webgpu runners even on a software adapter (SwiftShader), whose timings are CPU timings. */
  softwareGpu?: boolean;
  /** Replaces the workload set (tests use a tiny one). */
  workloads?: readonly Workload[];
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
  /** Called as each workload finishes, to print its table early. */
  onWorkload?: (result: WorkloadResult) => void;
  /**
   * Runs, untimed, before every timed sample, to bring the process back to a quiet state (the
   * command idles a few ms: `settleProcess` in engine.ts); by default nothing.
   */
  settle?: () => Promise<void>;
}

/** Defaults: 9 samples of ≥ 25 ms for the full set; 3 single-forward samples for `--quick`. */
export function defaultOptions(quick: boolean): BenchOptions {
  return quick
    ? { quick, reps: 3, warmup: 1, sampleMs: 0 }
    : { quick, reps: 9, warmup: 3, sampleMs: 25 };
}

/** Most forwards one sample may average over. */
const MAX_BURST = 500;

/** Forwards per sample for a runner whose forward takes `forwardMs`. */
export function burstSize(forwardMs: number, sampleMs: number): number {
  if (sampleMs <= 0 || !(forwardMs > 0)) return 1;
  return Math.max(1, Math.min(MAX_BURST, Math.ceil(sampleMs / forwardMs)));
}

/** One runner on one workload. */
export interface RowResult {
  runner: string;
  family: RunnerFamily;
  backend: string;
  status: 'ok' | 'skipped' | 'error';
  /** Why skipped or what failed. */
  reason?: string;
  /** Per sample: the mean ms of one forward over {@link RowResult.burst} back-to-back forwards. */
  samplesMs: number[];
  /** Forwards averaged per sample (absent in runs saved before sampling by bursts: 1). */
  burst?: number;
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  gflops: number | null;
  /** Per rnnkit runner id: this runner's median ms ÷ that rnnkit runner's (> 1: rnnkit is faster). */
  timeRatioToRnnkit: Record<string, number>;
  /** Largest |output − reference output|; null for the reference itself or without output. */
  maxAbsDiff: number | null;
  /** GPU compute dispatches in one forward (webgpu only). */
  dispatchesPerForward: number | null;
  /** Live tfjs tensors before the first forward, and that plus the net change over all forwards. */
  tensorsBefore: number | null;
  tensorsAfter: number | null;
  /** rnnkit only: whether the backend's fused kernel ran, or core's reference kernel. */
  kernelPath?: string;
  /** rnnkit on cpu and wasm: per forward, the time outside the sequence kernels. */
  outsideKernel?: OutsideKernel;
  /**
   * Streaming workloads: this runner's median ÷ the median of the plain rnnkit runner of the same
   * backend (rnnkit-wasm for onnxruntime-web) on the whole-sequence baseline workload, i.e. one
   * step here ÷ one step inside a whole-sequence call; with the runner compared against.
   */
  stepRatio?: { against: string; ratio: number };
}

/** All runners on one workload. */
export interface WorkloadResult {
  workload: Workload;
  description: string;
  gflop: number;
  /** The runner whose output the diffs are taken against (an rnnkit runner where one ran). */
  reference: string | null;
  rows: RowResult[];
}

/** Runner availability, as set up. */
export interface RunnerInfo {
  id: string;
  family: RunnerFamily;
  backend: string;
  unavailable?: string;
}

/** The whole run. */
export interface BenchResult {
  schema: 1;
  date: string;
  options: {
    quick: boolean;
    reps: number;
    warmup: number;
    /** Absent in runs saved before sampling by bursts (one forward per sample). */
    sampleMs?: number;
    filter: string | null;
  };
  runners: RunnerInfo[];
  /** Where the webgpu dispatch counts come from, when counted. */
  dispatchCountSource: string | null;
  /** The WebGPU adapter, when the webgpu backend came up. */
  gpuAdapter: string | null;
  workloads: WorkloadResult[];
}

function hashSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Deterministic input and weights for a workload (same for every runner and every run). */
export function workloadData(w: Workload): WorkloadData {
  const rand = mulberry32(hashSeed(w.id));
  const x = uniform(
    inputShape(w).reduce((a, b) => a * b, 1),
    1,
    rand,
  );
  const taps = isConv(w.cell) ? frameOf(w).kernel ** 2 : 1;
  const weights = Array.from({ length: directions(w) }, () =>
    kerasWeights(w.cell, w.input, w.units, rand, taps),
  );
  return { workload: w, x, weights };
}

function emptyRow(r: Runner, status: RowResult['status'], reason?: string): RowResult {
  return {
    runner: r.id,
    family: r.family,
    backend: r.backend,
    status,
    reason,
    samplesMs: [],
    medianMs: null,
    minMs: null,
    maxMs: null,
    gflops: null,
    timeRatioToRnnkit: {},
    maxAbsDiff: null,
    dispatchesPerForward: null,
    tensorsBefore: null,
    tensorsAfter: null,
  };
}

const errText = (err: unknown): string =>
  firstLine(err instanceof Error ? err.message : String(err));

interface Live {
  runner: Runner;
  run: PreparedRun;
  row: RowResult;
  output?: Float32Array;
  /** Whether each timed sample follows an untimed one (see {@link REWARM_MAX_MS}). */
  rewarm?: boolean;
}

/**
 * Samples up to this long (a burst of short forwards, or one forward) follow an untimed burst
 * of the same runner, so that they time the runner's own steady state: otherwise a short sample
 * absorbs the garbage collection that the runner before it left pending (rnnkit-cpu's
 * gru-before-w1 read 2.2 ms after tfjs-layers' 1.4 s forwards, against 1.6 ms alone). Longer
 * samples dwarf that.
 */
const REWARM_MAX_MS = 100;

async function measureWorkload(
  w: Workload,
  runners: Runner[],
  opts: BenchOptions,
): Promise<WorkloadResult> {
  const log = opts.log ?? (() => {});
  const data = workloadData(w);
  const rows: RowResult[] = [];
  const live: Live[] = [];
  for (const runner of runners) {
    if (runner.unavailable) {
      rows.push(emptyRow(runner, 'skipped', runner.unavailable));
      continue;
    }
    try {
      const prepared = await runner.prepare(data);
      if (isSkip(prepared)) rows.push(emptyRow(runner, 'skipped', prepared.skip));
      else {
        const row = emptyRow(runner, 'ok');
        rows.push(row);
        live.push({ runner, run: prepared, row });
      }
    } catch (err) {
      rows.push(emptyRow(runner, 'error', `prepare: ${errText(err)}`));
    }
  }

  const fail = (l: Live, stage: string, err: unknown): void => {
    l.row.status = 'error';
    l.row.reason = `${stage}: ${errText(err)}`;
  };
  for (const l of live) {
    log(`  ${w.id}: warm-up ${l.runner.id}`);
    try {
      l.row.tensorsBefore = l.run.liveTensors?.() ?? null;
      l.output = await l.run.output();
      for (let i = 1; i < opts.warmup; i++) await l.run.forward(1);
      const d0 = l.run.dispatches?.() ?? 0;
      const probeMs = await l.run.forward(1);
      if (l.run.dispatches) l.row.dispatchesPerForward = l.run.dispatches() - d0;
      l.row.burst = burstSize(probeMs, opts.sampleMs);
      l.rewarm = opts.sampleMs > 0 && probeMs * l.row.burst <= REWARM_MAX_MS;
      // One untimed burst brings the runner to the steady state its samples measure.
      if (l.row.burst > 1) await l.run.forward(l.row.burst);
      l.row.kernelPath = l.run.kernelPath?.();
    } catch (err) {
      fail(l, 'warm-up', err);
    }
  }

  let active = live.filter((l) => l.row.status === 'ok');
  for (let rep = 0; rep < opts.reps; rep++) {
    const order = rep % 2 === 0 ? active : [...active].reverse();
    for (const l of order) {
      try {
        await opts.settle?.();
        if (l.rewarm) await l.run.forward(l.row.burst ?? 1);
        l.row.samplesMs.push(await l.run.forward(l.row.burst ?? 1));
      } catch (err) {
        fail(l, `rep ${rep}`, err);
      }
    }
    active = active.filter((l) => l.row.status === 'ok');
    log(`  ${w.id}: rep ${rep + 1}/${opts.reps}`);
  }

  for (const l of live) {
    const outside = l.run.outsideKernel?.();
    if (outside != null) l.row.outsideKernel = outside;
    if (l.row.tensorsBefore !== null)
      l.row.tensorsAfter = l.row.tensorsBefore + (l.run.leakedTensors?.() ?? 0);
    try {
      await l.run.dispose();
    } catch (err) {
      if (l.row.status === 'ok') fail(l, 'dispose', err);
    }
  }

  const ok = live.filter((l) => l.row.status === 'ok' && l.output);
  const ref =
    TF_BACKENDS.map((b) => ok.find((l) => l.runner.id === `rnnkit-${b}`)).find(
      (l) => l !== undefined,
    ) ?? ok[0];
  for (const l of ok) {
    if (!ref || l === ref) continue;
    try {
      l.row.maxAbsDiff = maxAbsDiff(l.output!, ref.output!);
    } catch (err) {
      fail(l, `output differs in size from ${ref.runner.id}'s`, err);
    }
  }
  const gflop = flops(w) / 1e9;
  for (const row of rows) {
    if (row.status !== 'ok' || row.samplesMs.length === 0) continue;
    row.medianMs = median(row.samplesMs);
    row.minMs = Math.min(...row.samplesMs);
    row.maxMs = Math.max(...row.samplesMs);
    row.gflops = gflop / (row.medianMs / 1e3);
  }
  const rnnkitRows = rows.filter((r) => r.family === 'rnnkit' && r.medianMs !== null);
  if (w.train) {
    // A training step's time over the forward pass's, on the same backend.
    for (const row of rnnkitRows) {
      if (row.runner !== `rnnkit-${row.backend}`) continue;
      const fwd = rnnkitRows.find((r) => r.runner === `rnnkit-${row.backend}-forward`);
      if (fwd != null) row.timeRatioToRnnkit[fwd.runner] = row.medianMs! / fwd.medianMs!;
    }
  }
  for (const row of rows) {
    if (row.family === 'rnnkit' || row.medianMs === null) continue;
    for (const rk of rnnkitRows) {
      // tfjs-layers is compared on its own backend; onnxruntime against every rnnkit backend.
      if (row.family === 'tfjs-layers' && rk.backend !== row.backend) continue;
      row.timeRatioToRnnkit[rk.runner] = row.medianMs / rk.medianMs!;
    }
  }
  return { workload: w, description: describe(w), gflop, reference: ref?.runner.id ?? null, rows };
}

/** The plain rnnkit runner of a row's backend: what its per-step time is divided by. */
function sequenceRunnerFor(row: RowResult): string | null {
  if (row.family === 'onnxruntime-web') return 'rnnkit-wasm';
  if (row.family === 'onnxruntime-node') return null;
  return `rnnkit-${row.backend}`;
}

/** Sets {@link RowResult.stepRatio} on a streaming workload's rows from its baseline's. */
function setStepRatios(result: WorkloadResult, earlier: readonly WorkloadResult[]): void {
  const baselineId = result.workload.stepping?.baseline;
  const baseline = earlier.find((r) => r.workload.id === baselineId);
  if (baseline == null) return;
  for (const row of result.rows) {
    const against = sequenceRunnerFor(row);
    const base = baseline.rows.find((r) => r.runner === against)?.medianMs ?? null;
    if (row.medianMs === null || base === null || against === null) continue;
    row.stepRatio = {
      against: `${against} on ${baseline.workload.id}`,
      ratio: row.medianMs / base,
    };
  }
}

/** Builds every runner (rnnkit and tfjs-layers per backend, then the onnxruntime peers). */
async function buildRunners(
  opts: BenchOptions,
): Promise<{ runners: Runner[]; dispatchCountSource: string | null; gpuAdapter: string | null }> {
  const workloads = opts.workloads ?? (opts.quick ? QUICK_WORKLOADS : FULL_WORKLOADS);
  const selects = (runnerId: string): boolean =>
    !opts.filter || workloads.some((w) => opts.filter!.test(`${w.id}/${runnerId}`));
  const wanted = (b: TfBackendName): boolean =>
    selects(`rnnkit-${b}`) ||
    selects(`tfjs-layers-${b}`) ||
    selects(`rnnkit-${b}-stateful`) ||
    selects(`rnnkit-${b}-forward`) ||
    ((b === 'wasm' || b === 'cpu') && selects(`rnnkit-${b}-2t`));
  const env = await setupEnv(wanted);
  const runners: Runner[] = [];
  for (const b of TF_BACKENDS) {
    runners.push(await rnnkitRunner(env, b));
    // The cpu and wasm packages have threads: a 2-thread runner sits beside the 1-thread one.
    if (b === 'wasm' || b === 'cpu') runners.push(await rnnkitRunner(env, b, 2));
    runners.push(await rnnkitRunner(env, b, 1, 'stateful'));
    // The forward pass alone of the training workloads, for the training step's ratio to it.
    runners.push(await rnnkitRunner(env, b, 1, 'forward'));
    runners.push(tfjsLayersRunner(env, b));
  }
  const gpu = env.backends.webgpu;
  if (gpu.softwareAdapter && !opts.softwareGpu) {
    for (const r of runners) {
      if (r.backend === 'webgpu' && !r.unavailable) {
        r.unavailable = `${SOFTWARE_GPU} (${gpu.adapter}): not GPU timings (--software-gpu runs it)`;
      }
    }
  }
  runners.push(ortWebRunner(1), ortWebRunner(2), await ortNodeRunner());
  return {
    runners,
    dispatchCountSource: gpu.dispatches?.source ?? null,
    gpuAdapter: gpu.adapter ?? null,
  };
}

/** Runs the bench and returns everything it measured. */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const workloads = opts.workloads ?? (opts.quick ? QUICK_WORKLOADS : FULL_WORKLOADS);
  const { runners, dispatchCountSource, gpuAdapter } = await buildRunners(opts);
  const results: WorkloadResult[] = [];
  try {
    for (const w of workloads) {
      const selected = runners.filter((r) => !opts.filter || opts.filter.test(`${w.id}/${r.id}`));
      if (selected.length === 0) continue;
      opts.log?.(`${w.id}: ${selected.length} runner(s)`);
      const result = await measureWorkload(w, selected, opts);
      if (w.stepping != null) setStepRatios(result, results);
      results.push(result);
      opts.onWorkload?.(result);
    }
  } finally {
    for (const r of runners) await r.close?.();
  }
  return {
    schema: 1,
    date: new Date().toISOString(),
    options: {
      quick: opts.quick,
      reps: opts.reps,
      warmup: opts.warmup,
      sampleMs: opts.sampleMs,
      filter: opts.filter ? opts.filter.source.replace(/\\\//g, '/') : null,
    },
    runners: runners.map(({ id, family, backend, unavailable }) => ({
      id,
      family,
      backend,
      unavailable,
    })),
    dispatchCountSource,
    gpuAdapter,
    workloads: results,
  };
}
