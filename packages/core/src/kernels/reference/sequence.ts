/**
 * What the reference kernels share: the input projection hoisted over all steps, then one cell
 * step per timestep in core's time loop. Built from tfjs-core ops, so it runs on every backend
 * and is differentiable.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SequenceKernelAttrs, SequenceKernelInputs } from '../contract.js';
import { timeLoop } from '../time_loop.js';

/** One cell step: the projected input `xp` `[B, G·U]` and the states in, new states out. */
export type ReferenceStep = (xp: tf.Tensor2D, states: tf.Tensor2D[]) => tf.Tensor2D[];

/** `x·kernel + bias` for every step at once, `[B, T, D]` → `[B, T, G·U]`. */
export function projectInputs(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const flat = tf.matMul(tf.reshape(x, [b * t, d]), kernel as tf.Tensor2D);
  return tf.reshape(tf.add(flat, bias), [b, t, kernel.shape[1] as number]);
}

/**
 * Runs `step` over time through core's one time loop (`../time_loop.ts`). The first state is the
 * output `h`. Returns `[output, ...states]` with `output` `[B, T, U]` when `returnSequences`,
 * else the last processed step's output.
 */
export function runSequence(
  inputs: SequenceKernelInputs,
  attrs: SequenceKernelAttrs,
  projected: tf.Tensor3D,
  initialStates: tf.Tensor2D[],
  step: ReferenceStep,
): tf.Tensor[] {
  return timeLoop(
    {
      inputs: projected,
      initialStates,
      outputShape: initialStates[0].shape,
      mask: inputs.mask,
      goBackwards: attrs.goBackwards,
      returnSequences: attrs.returnSequences,
      alignToInput: attrs.alignToInput,
      zeroOutputForMask: attrs.zeroOutputForMask,
    },
    (xp, states) => {
      const next = step(xp as tf.Tensor2D, states as tf.Tensor2D[]);
      return [next[0], ...next];
    },
  );
}

/** `h` as it enters the recurrent product: scaled by the recurrent dropout mask when given. */
export function recurrentInput(h: tf.Tensor2D, recurrentMask: tf.Tensor | undefined): tf.Tensor2D {
  return recurrentMask == null ? h : (tf.mul(h, recurrentMask) as tf.Tensor2D);
}
