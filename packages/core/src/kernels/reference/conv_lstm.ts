/**
 * Reference ConvLSTM sequence kernel (1, 2 or 3 spatial dimensions, channels last): the input
 * convolution of all steps in one conv call over `[B·T, ...S, C]`, then one recurrent
 * convolution and the gates per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from '../../activations/index.js';
import type { ConvLSTMSequenceAttrs, SequenceKernelInputs } from '../contract.js';
import { recurrentInput, runSequence } from './sequence.js';

/** An N-d convolution, channels last, TensorFlow padding. */
export function convNd(
  x: tf.Tensor,
  filter: tf.Tensor,
  strides: readonly number[],
  padding: 'valid' | 'same',
  dilations: readonly number[],
): tf.Tensor {
  switch (x.rank) {
    case 3:
      return tf.conv1d(
        x as tf.Tensor3D,
        filter as tf.Tensor3D,
        strides[0],
        padding,
        'NWC',
        dilations[0],
      );
    case 4:
      return tf.conv2d(
        x as tf.Tensor4D,
        filter as tf.Tensor4D,
        strides as [number, number],
        padding,
        'NHWC',
        dilations as [number, number],
      );
    case 5:
      return tf.conv3d(
        x as tf.Tensor5D,
        filter as tf.Tensor5D,
        strides as [number, number, number],
        padding,
        'NDHWC',
        dilations as [number, number, number],
      );
    default:
      throw new Error(`ConvLSTMSequence: expected 1 to 3 spatial dimensions, got ${x.rank - 2}`);
  }
}

/**
 * Runs a ConvLSTM over the whole sequence; returns `[output, h, c]`. Between the convolutions the
 * spatial axes are flattened into one, so elementwise ops stay at rank ≤ 4 (tfjs's WebGPU backend
 * has no binary op or `where` beyond that).
 */
export function convLSTMSequenceReference(
  inputs: SequenceKernelInputs,
  attrs: ConvLSTMSequenceAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, initialH, initialC, recurrentMask } = inputs;
    if (initialC == null) throw new Error('ConvLSTMSequence: initialC is required');
    const [b, t, ...rest] = x.shape;
    const conv = convNd(
      tf.reshape(x, [b * t, ...rest]),
      kernel,
      attrs.strides,
      attrs.padding,
      attrs.dilationRate,
    );
    const spatial = conv.shape.slice(1, -1);
    const positions = spatial.reduce((n, d) => n * d, 1);
    const filters = attrs.units;
    const ones = spatial.map(() => 1);
    const flat = (s: tf.Tensor) => tf.reshape(s, [b, positions, filters]) as unknown as tf.Tensor2D;
    const projected = tf.add(tf.reshape(conv, [b, t, positions, 4 * filters]), bias);
    const act = (z: tf.Tensor) => applyActivation(attrs.activation, z);
    const gate = (z: tf.Tensor) => applyActivation(attrs.recurrentActivation, z);
    const flatMask = recurrentMask == null ? undefined : flat(recurrentMask);
    const [output, h, c] = runSequence(
      { ...inputs, recurrentMask: flatMask },
      attrs,
      projected as unknown as tf.Tensor3D,
      [flat(initialH), flat(initialC)],
      (xp, [hPrev, cPrev]) => {
        const hIn = tf.reshape(recurrentInput(hPrev, flatMask), [b, ...spatial, filters]);
        const recurrent = convNd(hIn, recurrentKernel, ones, 'same', ones);
        const z = tf.add(xp, tf.reshape(recurrent, [b, positions, 4 * filters]));
        const [zi, zf, zc, zo] = tf.split(z, 4, 2);
        const cNext = tf.add(tf.mul(gate(zf), cPrev), tf.mul(gate(zi), act(zc))) as tf.Tensor2D;
        const hNext = tf.mul(gate(zo), act(cNext)) as tf.Tensor2D;
        return [hNext, cNext];
      },
    );
    const state = [b, ...spatial, filters];
    return [
      tf.reshape(output, attrs.returnSequences ? [b, t, ...spatial, filters] : state),
      tf.reshape(h, state),
      tf.reshape(c, state),
    ];
  });
}
