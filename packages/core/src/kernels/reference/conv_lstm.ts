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

/** Runs a ConvLSTM over the whole sequence; returns `[output, h, c]`. */
export function convLSTMSequenceReference(
  inputs: SequenceKernelInputs,
  attrs: ConvLSTMSequenceAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const { x, kernel, recurrentKernel, bias, initialH, initialC, recurrentMask } = inputs;
    if (initialC == null) throw new Error('ConvLSTMSequence: initialC is required');
    const [b, t, ...rest] = x.shape;
    const projected = tf.add(
      convNd(
        tf.reshape(x, [b * t, ...rest]),
        kernel,
        attrs.strides,
        attrs.padding,
        attrs.dilationRate,
      ),
      bias,
    );
    const stepShape = projected.shape.slice(1);
    const ones = stepShape.slice(0, -1).map(() => 1);
    const act = (z: tf.Tensor) => applyActivation(attrs.activation, z);
    const gate = (z: tf.Tensor) => applyActivation(attrs.recurrentActivation, z);
    const last = stepShape.length;
    return runSequence(
      inputs,
      attrs,
      tf.reshape(projected, [b, t, ...stepShape]) as unknown as tf.Tensor3D,
      [initialH as tf.Tensor2D, initialC as tf.Tensor2D],
      (xp, [h, c]) => {
        const hIn = recurrentInput(h, recurrentMask);
        const z = tf.add(xp, convNd(hIn, recurrentKernel, ones, 'same', ones));
        const [zi, zf, zc, zo] = tf.split(z, 4, last);
        const cNext = tf.add(tf.mul(gate(zf), c), tf.mul(gate(zi), act(zc))) as tf.Tensor2D;
        const hNext = tf.mul(gate(zo), act(cNext)) as tf.Tensor2D;
        return [hNext, cNext];
      },
    );
  });
}
