/**
 * A small forward-inference benchmark: rnnkit's LSTM against tfjs-layers' LSTM with the same
 * weights on the same tfjs backend. A forward is `apply` plus the read-back of its output (the
 * read-back makes GPU timings honest).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dispatchPath, getDispatchStats, LSTM, mulberry32 } from '@rnnkit/core';

/** One benchmark shape: batch·time·input·units. */
export interface Workload {
  id: string;
  batch: number;
  time: number;
  input: number;
  units: number;
}

/** The two shapes the page runs. */
export const WORKLOADS: readonly Workload[] = [
  { id: '1·100·32·128', batch: 1, time: 100, input: 32, units: 128 },
  { id: '8·50·64·128', batch: 8, time: 50, input: 64, units: 128 },
];

/** Who computes the forward. */
export type Runner = 'rnnkit' | 'tfjs-layers';

/** Gate matmul FLOPs of one LSTM forward: 2·T·B·4·U·(D+U). */
export function lstmFlops(w: Workload): number {
  return 2 * w.time * w.batch * 4 * w.units * (w.input + w.units);
}

/** One measured (backend, workload, runner). */
export interface BenchResult {
  backend: string;
  workload: Workload;
  runner: Runner;
  medianMs: number;
  gflops: number;
  /** rnnkit only: which kernels ran. */
  kernelPath?: string;
  /** rnnkit only: largest |rnnkit − tfjs-layers| over the output. */
  maxAbsDiff?: number;
}

/** Deterministic uniform values in [-scale, scale) (mulberry32), so reruns compare. */
function uniform(n: number, scale: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (2 * rand() - 1) * scale);
}

interface WorkloadData {
  x: Float32Array;
  kernel: Float32Array;
  recurrent: Float32Array;
  bias: Float32Array;
}

function workloadData(w: Workload): WorkloadData {
  const g = 4 * w.units;
  return {
    x: uniform(w.batch * w.time * w.input, 1, 1),
    kernel: uniform(w.input * g, 0.1, 2),
    recurrent: uniform(w.units * g, 0.1, 3),
    bias: uniform(g, 0.1, 4),
  };
}

function weightTensors(w: Workload, d: WorkloadData): tf.Tensor[] {
  const g = 4 * w.units;
  return [
    tf.tensor2d(d.kernel, [w.input, g]),
    tf.tensor2d(d.recurrent, [w.units, g]),
    tf.tensor1d(d.bias),
  ];
}

interface Model {
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

function rnnkitModel(w: Workload, d: WorkloadData): Model {
  const layer = new LSTM({ units: w.units, returnSequences: false });
  layer.build([null, w.time, w.input]);
  const weights = weightTensors(w, d);
  layer.setWeights(weights);
  tf.dispose(weights);
  return { apply: (x) => layer.apply(x), dispose: () => layer.dispose() };
}

function tfjsLayersModel(w: Workload, d: WorkloadData): Model {
  // tfjs-layers gates default to hardSigmoid; Keras's LSTM uses sigmoid. Zero initializers skip
  // the slow orthogonal init; setWeights overwrites them.
  const layer = tfl.layers.lstm({
    units: w.units,
    returnSequences: false,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    kernelInitializer: 'zeros',
    recurrentInitializer: 'zeros',
    biasInitializer: 'zeros',
  });
  // One concrete call builds it (build() alone leaves tfjs-layers' `built` flag unset).
  tf.tidy(() => {
    layer.apply(tf.zeros([1, w.time, w.input]));
  });
  const weights = weightTensors(w, d);
  layer.setWeights(weights);
  tf.dispose(weights);
  return { apply: (x) => layer.apply(x) as tf.Tensor, dispose: () => layer.dispose() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Yields to the browser so progress text paints between runs. */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function timeModel(
  model: Model,
  x: tf.Tensor,
  warmup: number,
  reps: number,
): Promise<{ ms: number[]; y: Float32Array }> {
  let y: Float32Array = new Float32Array();
  const ms: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    const out = model.apply(x);
    y = (await out.data()) as Float32Array;
    const dt = performance.now() - t0;
    out.dispose();
    if (i >= warmup) ms.push(dt);
    await nextFrame();
  }
  return { ms, y };
}

/**
 * Times both runners on the active tfjs backend for one workload: `warmup` untimed forwards
 * (shader compilation, weight packing), then `reps` timed ones; reports the median.
 */
export async function benchWorkload(
  w: Workload,
  warmup: number,
  reps: number,
): Promise<BenchResult[]> {
  const backend = tf.getBackend();
  const d = workloadData(w);
  const x = tf.tensor3d(d.x, [w.batch, w.time, w.input]);
  const flops = lstmFlops(w);
  try {
    const ours = rnnkitModel(w, d);
    const before = getDispatchStats();
    const a = await timeModel(ours, x, warmup, reps).finally(() => ours.dispose());
    const path = dispatchPath(before, getDispatchStats());
    const theirs = tfjsLayersModel(w, d);
    const b = await timeModel(theirs, x, warmup, reps).finally(() => theirs.dispose());
    let maxAbsDiff = 0;
    for (let i = 0; i < a.y.length; i++) {
      const e = Math.abs(a.y[i] - b.y[i]);
      if (!(e <= maxAbsDiff)) maxAbsDiff = Number.isNaN(e) ? Infinity : e;
    }
    const result = (runner: Runner, ms: number[]): BenchResult => ({
      backend,
      workload: w,
      runner,
      medianMs: median(ms),
      gflops: flops / (median(ms) * 1e6),
    });
    return [
      { ...result('rnnkit', a.ms), kernelPath: path, maxAbsDiff },
      result('tfjs-layers', b.ms),
    ];
  } finally {
    x.dispose();
  }
}
