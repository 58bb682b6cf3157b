/**
 * The dispatcher: a sequence kernel runs through tfjs-core's kernel registry when the active
 * backend has it registered and no gradient is being recorded (fused kernels define no
 * gradient); otherwise the reference kernel runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  SequenceKernelAttrsMap,
  SequenceKernelInputs,
  SequenceKernelName,
} from './contract.js';
import { referenceKernels } from './reference/index.js';

/** Which path ran, counted per kernel name since the last reset. */
export type DispatchStats = Record<string, { fused: number; reference: number }>;

let stats: DispatchStats = {};

/** Counts of fused and reference runs per kernel since the last {@link resetDispatchStats}. */
export function getDispatchStats(): DispatchStats {
  return structuredClone(stats);
}

/** Clears the counts returned by {@link getDispatchStats}. */
export function resetDispatchStats(): void {
  stats = {};
}

function count(name: string, path: 'fused' | 'reference'): void {
  (stats[name] ??= { fused: 0, reference: 0 })[path]++;
}

/** Counts a run of `name` that did not go through {@link runSequenceKernel} (a step kernel's). */
export function recordRun(name: string, path: 'fused' | 'reference'): void {
  count(name, path);
}

/** Which kernels ran: a backend's fused ones, the reference ones, both, or none. */
export type DispatchPath = 'fused' | 'reference' | 'mixed' | 'none';

function totals(stats: DispatchStats): { fused: number; reference: number } {
  let fused = 0;
  let reference = 0;
  for (const v of Object.values(stats)) {
    fused += v.fused;
    reference += v.reference;
  }
  return { fused, reference };
}

/** The path sequence kernels took between two {@link getDispatchStats} snapshots. */
export function dispatchPath(before: DispatchStats, after: DispatchStats): DispatchPath {
  const a = totals(before);
  const b = totals(after);
  const fused = b.fused - a.fused;
  const reference = b.reference - a.reference;
  if (fused > 0 && reference > 0) return 'mixed';
  return fused > 0 ? 'fused' : reference > 0 ? 'reference' : 'none';
}

/** True when the active backend has a fused kernel registered under `name`. */
export function hasFusedKernel(name: SequenceKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/** Runs the sequence kernel `name`: fused when available, reference otherwise. */
export function runSequenceKernel<N extends SequenceKernelName>(
  name: N,
  inputs: SequenceKernelInputs,
  attrs: SequenceKernelAttrsMap[N],
): tf.Tensor[] {
  const recordingGradients = tf.engine().state.gradientDepth > 0;
  if (!recordingGradients && hasFusedKernel(name)) {
    count(name, 'fused');
    const named: tf.NamedTensorMap = {};
    for (const [key, value] of Object.entries(inputs)) if (value != null) named[key] = value;
    const out = tf.engine().runKernel(name, named, attrs as unknown as tf.NamedAttrMap);
    return Array.isArray(out) ? out : [out as tf.Tensor];
  }
  count(name, 'reference');
  return referenceKernels[name](inputs, attrs as never);
}
