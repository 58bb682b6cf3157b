/** Shared plumbing for runners that execute on a tfjs backend (rnnkit and tfjs-layers). */
import * as tf from '@tensorflow/tfjs-core';
import { gateCount, hasRecurrentBias, isConv } from '../data.js';
import { meanMs } from '../stats.js';
import { useBackend, type DispatchCounter, type TfBackendName } from '../tfjs_env.js';
import { frameOf, inputShape } from '../workloads.js';
import type { OutsideKernel } from './kernel_timer.js';
import type { PreparedRun, WorkloadData } from './types.js';

/** Keras weight tensors for every direction, flattened in `get_weights()` order. */
export function weightTensors(data: WorkloadData): tf.Tensor[] {
  const { cell, input, units } = data.workload;
  const gu = gateCount(cell) * units;
  // ConvLSTM2D kernels are `[k, k, D, 4·U]` and `[k, k, U, 4·U]`.
  const k = isConv(cell) ? frameOf(data.workload).kernel : 0;
  const taps = isConv(cell) ? [k, k] : [];
  return data.weights.flatMap((w) => [
    tf.tensor(w.kernel, [...taps, input, gu]),
    tf.tensor(w.recurrentKernel, [...taps, units, gu]),
    hasRecurrentBias(cell) ? tf.tensor2d(w.bias, [2, gu]) : tf.tensor1d(w.bias),
  ]);
}

/** Options for {@link tfjsPrepared}. */
export interface TfjsRunParts {
  backend: TfBackendName;
  /**
   * The timed call: the model call `x [B, T, D]` to `[B, dirs·U]` (ConvLSTM2D: `[B, T, H, W, C]`
   * to `[B, H, W, U]`), or for a training workload the step's flattened gradients.
   */
  apply(x: tf.Tensor): tf.Tensor;
  /**
   * What `output()` returns, when not `apply`'s result: a runner that times the forward pass of
   * a training workload still returns the step's gradients, so that they are compared too.
   */
  checked?(x: tf.Tensor): tf.Tensor;
  /**
   * Called (and awaited) outside the timed window before each burst of forwards and before an
   * output is read, to put process-wide settings (e.g. wasm threads) the way this runner needs.
   */
  activate?(): Promise<void>;
  /** Called outside the timed window around each forward; `afterForward` gets its ms. */
  beforeForward?(): void;
  afterForward?(ms: number): void;
  kernelPath?(): string | undefined;
  outsideKernel?(): OutsideKernel | null;
  dispatches?: DispatchCounter;
  /** Frees the model (its weights included). */
  disposeModel(): void;
}

/**
 * Wraps a tfjs model call as a {@link PreparedRun}. A forward is `apply` plus `await data()`
 * (the read-back is what makes GPU timings honest); the output tensor is then disposed, so any
 * growth of the live-tensor count is the model's own leak.
 */
export async function tfjsPrepared(data: WorkloadData, parts: TfjsRunParts): Promise<PreparedRun> {
  await useBackend(parts.backend);
  const x = tf.tensor(data.x, inputShape(data.workload));
  let leaked = 0;
  let forwards = 0;
  const run = async (checked = false): Promise<{ ms: number; y: Float32Array }> => {
    await useBackend(parts.backend);
    parts.beforeForward?.();
    const live = tf.memory().numTensors;
    const t0 = performance.now();
    const out = checked && parts.checked ? parts.checked(x) : parts.apply(x);
    const y = (await out.data()) as Float32Array;
    const ms = performance.now() - t0;
    out.dispose();
    // From the second forward on: the first may keep per-shape state for the next ones (an
    // rnnkit layer's zero initial states), which is not a leak.
    if (forwards++ > 0) leaked += tf.memory().numTensors - live;
    parts.afterForward?.(ms);
    return { ms, y };
  };
  return {
    forward: async (count) => {
      await parts.activate?.();
      return meanMs(count, async () => (await run()).ms);
    },
    output: async () => {
      await parts.activate?.();
      return (await run(true)).y;
    },
    liveTensors: () => tf.memory().numTensors,
    leakedTensors: () => leaked,
    dispatches: parts.dispatches ? () => parts.dispatches!.read() : undefined,
    kernelPath: parts.kernelPath,
    outsideKernel: parts.outsideKernel,
    dispose: async () => {
      await useBackend(parts.backend);
      parts.disposeModel();
      x.dispose();
    },
  };
}
