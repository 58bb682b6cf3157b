/**
 * Reference ConvLSTM sequence kernel (1, 2 or 3 spatial dimensions, channels last): the input
 * convolution of all steps in one conv call over `[B·T, ...S, C]`, then, in core's time loop, one
 * recurrent convolution and the LSTM gates per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvLSTMSequenceAttrs, SequenceKernelInputs } from '../contract.js';
import { timeLoop } from '../time_loop.js';
import { lstmGates } from './lstm.js';
import { convNdGradients } from './conv_nd_grad.js';

/**
 * An N-d convolution, channels last, TensorFlow padding. Its gradient is {@link convNdGradients}
 * (every backend, every dilation), not tfjs's convolution gradients.
 */
export function convNd(
  x: tf.Tensor,
  filter: tf.Tensor,
  strides: readonly number[],
  padding: 'valid' | 'same',
  dilations: readonly number[],
): tf.Tensor {
  const differentiable = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, kernel, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([input, kernel]);
    return {
      value: tfConv(input, kernel, strides, padding, dilations),
      gradFunc: (dy: tf.Tensor, [savedInput, savedKernel]: tf.Tensor[]) =>
        convNdGradients(savedInput, savedKernel, dy, strides, padding, dilations),
    };
  });
  return differentiable(x, filter);
}

/** tfjs's convolution of the input's rank. */
function tfConv(
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
    const flat = (s: tf.Tensor) => tf.reshape(s, [b, positions, filters]);
    const flatMask = recurrentMask == null ? undefined : flat(recurrentMask);
    const [output, h, c] = timeLoop(
      {
        inputs: tf.add(tf.reshape(conv, [b, t, positions, 4 * filters]), bias),
        initialStates: [flat(initialH), flat(initialC)],
        outputShape: [b, positions, filters],
        mask: inputs.mask,
        goBackwards: attrs.goBackwards,
        returnSequences: attrs.returnSequences,
        alignToInput: attrs.alignToInput,
        zeroOutputForMask: attrs.zeroOutputForMask,
      },
      (xp, [hPrev, cPrev]) => {
        const hIn = flatMask == null ? hPrev : tf.mul(hPrev, flatMask);
        const recurrent = convNd(
          tf.reshape(hIn, [b, ...spatial, filters]),
          recurrentKernel,
          ones,
          'same',
          ones,
        );
        const z = tf.add(xp, tf.reshape(recurrent, [b, positions, 4 * filters]));
        const [hNext, cNext] = lstmGates(z, cPrev, attrs);
        return [hNext, hNext, cNext];
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
