/**
 * Shared plumbing for the streaming workloads: the input cut into per-step rows, and a forward
 * that feeds the timesteps one call at a time (states carried between calls), reading each
 * step's output before the next, as a stream consumer would.
 */
import * as tf from '@tensorflow/tfjs-core';
import { meanMs } from '../stats.js';
import type { PreparedRun, WorkloadData } from './types.js';

/** `x [B, T, D]` (batch-major) as T arrays of `[B, D]`. */
export function stepRows(data: WorkloadData): Float32Array[] {
  const { batch, time, input } = data.workload;
  return Array.from({ length: time }, (_, t) => {
    const row = new Float32Array(batch * input);
    for (let b = 0; b < batch; b++) {
      row.set(data.x.subarray((b * time + t) * input, (b * time + t + 1) * input), b * input);
    }
    return row;
  });
}

/** What a stepped runner provides. */
export interface SteppedParts {
  /** Starts a new sequence (zero states), outside the timed window. */
  reset(): void | Promise<void>;
  /** Runs step `t` and resolves once its output `[B, U]` is readable on the CPU. */
  step(t: number): Float32Array | Promise<Float32Array>;
  /** Called before a burst of forwards (e.g. to select the tfjs backend). */
  activate?(): Promise<void>;
  kernelPath?(): string | undefined;
  dispose(): void | Promise<void>;
}

/**
 * A {@link PreparedRun} whose forward is T calls of `step`; its output is the last step's. Tensor
 * counts are tracked as for the whole-sequence runners.
 */
export function steppedPrepared(data: WorkloadData, parts: SteppedParts): PreparedRun {
  const steps = data.workload.time;
  let leaked = 0;
  const run = async (): Promise<{ ms: number; y: Float32Array }> => {
    await parts.reset();
    const live = tf.memory().numTensors;
    const t0 = performance.now();
    let y: Float32Array<ArrayBufferLike> = new Float32Array(0);
    for (let t = 0; t < steps; t++) y = await parts.step(t);
    const ms = performance.now() - t0;
    leaked += tf.memory().numTensors - live;
    return { ms, y: y.slice() };
  };
  return {
    forward: async (count) => {
      await parts.activate?.();
      return meanMs(count, async () => (await run()).ms);
    },
    output: async () => {
      await parts.activate?.();
      return (await run()).y;
    },
    liveTensors: () => tf.memory().numTensors,
    leakedTensors: () => leaked,
    kernelPath: parts.kernelPath,
    dispose: async () => {
      await parts.dispose();
    },
  };
}
