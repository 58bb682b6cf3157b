/**
 * The reference backward kernel, for every family: the gradients of the reference forward
 * kernel (core's time loop, tfjs-core ops, the Keras equations) taken by tfjs's tape, so the
 * backward pass is exactly the derivative of the executable definition. It recomputes the
 * forward pass instead of reading saved activations.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  differentiableInputs,
  type SequenceKernelAttrsMap,
  type SequenceKernelInputs,
  type SequenceKernelName,
} from '../contract.js';
import { referenceKernels } from './index.js';

/**
 * Gradients w.r.t. {@link differentiableInputs} of `name` for the output gradients `dys`
 * (`[dOutput, ...dStates]`).
 */
export function sequenceBackwardReference<N extends SequenceKernelName>(
  name: N,
  inputs: SequenceKernelInputs,
  dys: tf.Tensor[],
  attrs: SequenceKernelAttrsMap[N],
): tf.Tensor[] {
  const keys = differentiableInputs(name);
  const xs = keys.map((k) => inputs[k] as tf.Tensor);
  const loss = (...values: tf.Tensor[]): tf.Scalar => {
    const replaced: SequenceKernelInputs = { ...inputs };
    keys.forEach((k, i) => (replaced[k] = values[i]));
    const outputs = referenceKernels[name](replaced, attrs as never);
    return tf.addN(outputs.map((o, i) => tf.sum(tf.mul(o, dys[i])))) as tf.Scalar;
  };
  // Called from a gradient function, while tfjs walks the outer tape: tfjs's engine keeps one
  // active tape, which an inner gradient call replaces and clears, so it is put back after.
  const state = tf.engine().state;
  const outerTape = state.activeTape;
  try {
    return tf.tidy(() => tf.grads(loss)(xs));
  } finally {
    state.activeTape = outerTape;
  }
}
