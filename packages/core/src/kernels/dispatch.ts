/**
 * The dispatcher: a sequence kernel runs through tfjs-core's kernel registry when the active
 * backend has it registered, otherwise the reference kernel runs. While a gradient is being
 * recorded the fused kernel runs too, on the tape, and its gradient (`./gradients.ts`) runs the
 * backward kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  SequenceKernelAttrsMap,
  SequenceKernelInputs,
  SequenceKernelName,
} from './contract.js';
import { registerSequenceGradients, tapedInputNames } from './gradients.js';
import { referenceKernels } from './reference/index.js';
import { countDispatch as count, type DispatchStats } from './stats.js';

export { getDispatchStats, resetDispatchStats, type DispatchStats } from './stats.js';

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
  if (!hasFusedKernel(name)) {
    count(name, 'reference');
    return referenceKernels[name](inputs, attrs as never);
  }
  count(name, 'fused');
  const recordingGradients = tf.engine().state.gradientDepth > 0;
  if (recordingGradients) return runTaped(name, inputs, attrs);
  const out = tf.engine().runKernel(name, namedInputs(inputs), attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out as tf.Tensor];
}

function namedInputs(inputs: SequenceKernelInputs): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  for (const key in inputs) {
    const value = inputs[key as keyof SequenceKernelInputs];
    if (value != null) named[key] = value;
  }
  return named;
}

/**
 * The fused kernel on a tape. tfjs saves a kernel's inputs by name for its gradient, so every
 * input is passed: a missing mask as all true, a missing recurrent mask as ones (the same
 * results as none).
 */
function runTaped<N extends SequenceKernelName>(
  name: N,
  inputs: SequenceKernelInputs,
  attrs: SequenceKernelAttrsMap[N],
): tf.Tensor[] {
  registerSequenceGradients();
  const [batch, steps] = inputs.x.shape;
  const filled: tf.Tensor[] = [];
  const fill = (make: () => tf.Tensor) => {
    const t = make();
    filled.push(t);
    return t;
  };
  const complete: SequenceKernelInputs = {
    ...inputs,
    mask: inputs.mask ?? fill(() => tf.ones([batch, steps], 'bool')),
    recurrentMask: inputs.recurrentMask ?? fill(() => tf.onesLike(inputs.initialH)),
  };
  const named: tf.NamedTensorMap = {};
  for (const key of tapedInputNames(name)) named[key] = complete[key] as tf.Tensor;
  try {
    const out = tf.engine().runKernel(name, named, attrs as unknown as tf.NamedAttrMap);
    return Array.isArray(out) ? out : [out as tf.Tensor];
  } finally {
    // The tape keeps its own references to the inputs it saved.
    filled.forEach((t) => t.dispose());
  }
}
