/** What every runner provides to the measurement loop. */
import type { Workload } from '../workloads.js';
import type { KerasRnnWeights } from '../data.js';
import type { OutsideKernel } from './kernel_timer.js';

/** Runner families, for grouping and ratios. */
export type RunnerFamily = 'rnnkit' | 'tfjs-layers' | 'onnxruntime-web' | 'onnxruntime-node';

/** Inputs shared by all runners for one workload. */
export interface WorkloadData {
  workload: Workload;
  /** `[B, T, D]` (ConvLSTM2D `[B, T, H, W, C]`), batch-major as Keras takes it. */
  x: Float32Array;
  /** Keras weights per direction (forward, then backward). */
  weights: KerasRnnWeights[];
}

/** A runner ready to time one workload. */
export interface PreparedRun {
  /**
   * `count` forward passes back to back, each including the read-back of its output; resolves
   * to the mean elapsed ms per forward.
   */
  forward(count: number): Promise<number>;
  /** The output of one forward pass as `[B, dirs·U]` (ConvLSTM2D `[B, H, W, U]`). */
  output(): Promise<Float32Array>;
  /** Live tfjs tensors (engine-wide) now; undefined outside tfjs. */
  liveTensors?(): number;
  /** Net change of the live-tensor count summed over this runner's forwards (its leak). */
  leakedTensors?(): number;
  /** GPU compute dispatches so far (monotonic), where countable. */
  dispatches?(): number;
  /** Which rnnkit kernel path ran during the last forward (`fused` / `reference`), where known. */
  kernelPath?(): string | undefined;
  /** Per forward, the time spent outside rnnkit's sequence kernels (cpu and wasm). */
  outsideKernel?(): OutsideKernel | null;
  dispose(): Promise<void>;
}

/** Why a runner does not take part in a workload. */
export interface Skip {
  skip: string;
}

/** One side of the comparison. */
export interface Runner {
  /** e.g. `rnnkit-cpu`, `tfjs-layers-wasm`, `ort-web-2t`. */
  id: string;
  family: RunnerFamily;
  /** tfjs backend it runs on, or the onnxruntime flavour. */
  backend: string;
  /** Set when the runner cannot run at all (package missing, init failed). */
  unavailable?: string;
  prepare(data: WorkloadData): Promise<PreparedRun | Skip>;
  /** Frees process-wide resources (worker threads). */
  close?(): Promise<void>;
}

/** Type guard for {@link Skip}. */
export function isSkip(p: PreparedRun | Skip): p is Skip {
  return (p as Skip).skip !== undefined;
}
