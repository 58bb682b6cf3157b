/** Reference SimpleRNN sequence kernel. */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from '../../activations/index.js';
import type { SequenceKernelInputs, SimpleRNNSequenceAttrs } from '../contract.js';
import { projectInputs, recurrentInput, runSequence } from './sequence.js';

/** Runs a SimpleRNN over the whole sequence; returns `[output, h]`. */
export function simpleRNNSequenceReference(
  inputs: SequenceKernelInputs,
  attrs: SimpleRNNSequenceAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, initialH, recurrentMask } = inputs;
    const projected = projectInputs(x, kernel, bias);
    return runSequence(inputs, attrs, projected, [initialH as tf.Tensor2D], (xp, [h]) => {
      const z = tf.add(
        xp,
        tf.matMul(recurrentInput(h, recurrentMask), recurrentKernel as tf.Tensor2D),
      );
      return [applyActivation(attrs.activation, z) as tf.Tensor2D];
    });
  });
}
