/** Reference GRU sequence kernel (Keras gate order z, r, h; both reset modes). */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from '../../activations/index.js';
import type { GRUSequenceAttrs, SequenceKernelInputs } from '../contract.js';
import { projectInputs, recurrentInput, runSequence } from './sequence.js';

/** Runs a GRU over the whole sequence; returns `[output, h]`. */
export function gruSequenceReference(
  inputs: SequenceKernelInputs,
  attrs: GRUSequenceAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, initialH, recurrentMask } = inputs;
    const units = attrs.units;
    const act = (t: tf.Tensor) => applyActivation(attrs.activation, t);
    const gate = (t: tf.Tensor) => applyActivation(attrs.recurrentActivation, t);
    const u = recurrentKernel as tf.Tensor2D;
    if (attrs.resetAfter) {
      const [inputBias, recurrentBias] = tf.unstack(bias, 0);
      const projected = projectInputs(x, kernel, inputBias);
      return runSequence(inputs, attrs, projected, [initialH as tf.Tensor2D], (xp, [h]) => {
        const hIn = recurrentInput(h, recurrentMask);
        const inner = tf.add(tf.matMul(hIn, u), recurrentBias);
        const [xz, xr, xh] = tf.split(xp, 3, 1);
        const [rz, rr, rh] = tf.split(inner, 3, 1);
        const z = gate(tf.add(xz, rz));
        const r = gate(tf.add(xr, rr));
        const candidate = act(tf.add(xh, tf.mul(r, rh)));
        return [tf.add(tf.mul(z, hIn), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D];
      });
    }
    const projected = projectInputs(x, kernel, bias);
    const uZR = tf.slice(u, [0, 0], [units, 2 * units]);
    const uH = tf.slice(u, [0, 2 * units], [units, units]);
    return runSequence(inputs, attrs, projected, [initialH as tf.Tensor2D], (xp, [h]) => {
      const hIn = recurrentInput(h, recurrentMask);
      const [xz, xr, xh] = tf.split(xp, 3, 1);
      const [rz, rr] = tf.split(tf.matMul(hIn, uZR), 2, 1);
      const z = gate(tf.add(xz, rz));
      const r = gate(tf.add(xr, rr));
      const candidate = act(tf.add(xh, tf.matMul(tf.mul(r, hIn), uH)));
      return [tf.add(tf.mul(z, hIn), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D];
    });
  });
}
