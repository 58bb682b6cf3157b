/**
 * The time loop shared by the reference kernels: input projection hoisted over all steps, then
 * one cell step per timestep with Keras masking. Built from tfjs-core ops, so it runs on every
 * backend and is differentiable.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SequenceKernelAttrs, SequenceKernelInputs } from '../contract.js';

/** One cell step: the projected input `xp` `[B, G·U]` and the states in, new states out. */
export type ReferenceStep = (xp: tf.Tensor2D, states: tf.Tensor2D[]) => tf.Tensor2D[];

/** `x·kernel + bias` for every step at once, `[B, T, D]` → `[B, T, G·U]`. */
export function projectInputs(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const flat = tf.matMul(tf.reshape(x, [b * t, d]), kernel as tf.Tensor2D);
  return tf.reshape(tf.add(flat, bias), [b, t, kernel.shape[1] as number]);
}

/**
 * Runs `step` over time. The first state is the output `h`. Returns `[output, ...states]` with
 * `output` `[B, T, U]` when `returnSequences`, else the last processed step's output.
 */
export function runSequence(
  inputs: SequenceKernelInputs,
  attrs: SequenceKernelAttrs,
  projected: tf.Tensor3D,
  initialStates: tf.Tensor2D[],
  step: ReferenceStep,
): tf.Tensor[] {
  return tf.tidy(() => {
    const [, steps] = projected.shape;
    const xs = tf.unstack(projected, 1) as tf.Tensor2D[];
    // Each step's mask as [B, 1, …, 1], to broadcast over states of any rank (ConvLSTM's too).
    const ones = new Array<number>(initialStates[0].rank - 1).fill(1);
    const masks =
      inputs.mask == null
        ? null
        : tf.unstack(inputs.mask, 1).map((m) => tf.reshape(m, [m.shape[0], ...ones]));
    let states = initialStates;
    let previousOutput: tf.Tensor2D = tf.zerosLike(initialStates[0]);
    const zeros = previousOutput;
    const outputs: tf.Tensor2D[] = [];
    for (let s = 0; s < steps; s++) {
      const t = attrs.goBackwards ? steps - 1 - s : s;
      const next = step(xs[t], states);
      let output = next[0];
      if (masks != null) {
        // Select, never multiply: a NaN at a masked step must not leak.
        const keep = tf.broadcastTo(masks[t], output.shape);
        states = next.map((n, i) => tf.where(keep, n, states[i]) as tf.Tensor2D);
        output = tf.where(keep, output, attrs.zeroOutputForMask ? zeros : previousOutput);
      } else {
        states = next;
      }
      previousOutput = output;
      outputs.push(output);
    }
    if (attrs.goBackwards && attrs.alignToInput) outputs.reverse();
    // A distinct tensor even when it holds the same values as h, so each can be disposed alone.
    const output = attrs.returnSequences ? tf.stack(outputs, 1) : tf.clone(previousOutput);
    return [output, ...states];
  });
}

/** `h` as it enters the recurrent product: scaled by the recurrent dropout mask when given. */
export function recurrentInput(h: tf.Tensor2D, recurrentMask: tf.Tensor | undefined): tf.Tensor2D {
  return recurrentMask == null ? h : (tf.mul(h, recurrentMask) as tf.Tensor2D);
}
