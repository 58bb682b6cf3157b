/** Reference LSTM sequence kernel (Keras gate order i, f, c, o). */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from '../../activations/index.js';
import type { LSTMSequenceAttrs, SequenceKernelInputs } from '../contract.js';
import { projectInputs, recurrentInput, runSequence } from './sequence.js';

/**
 * The LSTM gates on the pre-activations `z` (gate blocks i, f, c, o along the last axis) and the
 * previous cell state; returns `[h, c]`. ConvLSTM's step ends with the same gates.
 */
export function lstmGates(
  z: tf.Tensor,
  cPrev: tf.Tensor,
  attrs: Pick<LSTMSequenceAttrs, 'activation' | 'recurrentActivation'>,
): [tf.Tensor, tf.Tensor] {
  const act = (t: tf.Tensor) => applyActivation(attrs.activation, t);
  const gate = (t: tf.Tensor) => applyActivation(attrs.recurrentActivation, t);
  const [zi, zf, zc, zo] = tf.split(z, 4, -1);
  const cNext = tf.add(tf.mul(gate(zf), cPrev), tf.mul(gate(zi), act(zc)));
  return [tf.mul(gate(zo), act(cNext)), cNext];
}

/** Runs an LSTM over the whole sequence; returns `[output, h, c]`. */
export function lstmSequenceReference(
  inputs: SequenceKernelInputs,
  attrs: LSTMSequenceAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, initialH, initialC, recurrentMask } = inputs;
    if (initialC == null) throw new Error('LSTMSequence: initialC is required');
    const projected = projectInputs(x, kernel, bias);
    return runSequence(
      inputs,
      attrs,
      projected,
      [initialH as tf.Tensor2D, initialC as tf.Tensor2D],
      (xp, [h, c]) => {
        const z = tf.add(
          xp,
          tf.matMul(recurrentInput(h, recurrentMask), recurrentKernel as tf.Tensor2D),
        );
        return lstmGates(z, c, attrs) as tf.Tensor2D[];
      },
    );
  });
}
