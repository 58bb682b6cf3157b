/**
 * The reference convolution's own gradients against tfjs's convolution gradients (the oracle:
 * conv1d / conv2d / conv3d taped on the cpu backend, which supports them for dilation rate 1).
 * Dilation rates above 1, which tfjs's gradients reject, are covered by the ConvLSTM gradient
 * conformance cases (float64 central differences).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/training/index.js';
import { convNdGradients } from '../src/kernels/reference/conv_nd_grad.js';
import { convNd } from '../src/kernels/reference/conv_lstm.js';

interface Geometry {
  spatial: number[];
  kernel: number[];
  strides: number[];
  padding: 'valid' | 'same';
}

const GEOMETRIES: Geometry[] = [
  { spatial: [7], kernel: [3], strides: [1], padding: 'same' },
  { spatial: [9], kernel: [4], strides: [2], padding: 'same' },
  { spatial: [8], kernel: [3], strides: [3], padding: 'valid' },
  { spatial: [5, 5], kernel: [3, 3], strides: [1, 1], padding: 'same' },
  { spatial: [6, 7], kernel: [2, 4], strides: [2, 3], padding: 'same' },
  { spatial: [7, 6], kernel: [3, 2], strides: [2, 1], padding: 'valid' },
  { spatial: [4, 5, 3], kernel: [3, 2, 3], strides: [1, 1, 1], padding: 'same' },
  { spatial: [5, 4, 6], kernel: [2, 3, 2], strides: [2, 1, 3], padding: 'valid' },
];

/** tfjs's convolution, whose gradient tfjs's tape provides. */
function tfConv(x: tf.Tensor, w: tf.Tensor, g: Geometry): tf.Tensor {
  if (x.rank === 3) return tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, g.strides[0], g.padding);
  if (x.rank === 4)
    return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, g.strides as [number, number], g.padding);
  return tf.conv3d(
    x as tf.Tensor5D,
    w as tf.Tensor5D,
    g.strides as [number, number, number],
    g.padding,
  );
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('reference convolution gradients', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it.each(GEOMETRIES)('match tfjs conv gradients: %j', (g) => {
    const x = tf.randomUniform([2, ...g.spatial, 3], -1, 1, 'float32', 11);
    const w = tf.randomUniform([...g.kernel, 3, 4], -0.5, 0.5, 'float32', 12);
    const y = tfConv(x, w, g);
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 13);
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tfConv(a, b, g), dy)) as tf.Scalar;
    const [dxWant, dwWant] = tf.grads(loss)([x, w]);
    const ones = g.spatial.map(() => 1);
    const [dx, dw] = convNdGradients(x, w, dy, g.strides, g.padding, ones);
    expect(dx.shape).toEqual(x.shape);
    expect(dw.shape).toEqual(w.shape);
    expect(maxDiff(dx, dxWant)).toBeLessThan(1e-5);
    expect(maxDiff(dw, dwWant)).toBeLessThan(1e-5);
    // convNd's tape runs these gradients.
    const ours = tf.grads(
      (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(convNd(a, b, g.strides, g.padding, ones), dy)) as tf.Scalar,
    )([x, w]);
    expect(maxDiff(ours[0], dxWant)).toBeLessThan(1e-5);
    expect(maxDiff(ours[1], dwWant)).toBeLessThan(1e-5);
    tf.dispose([x, w, y, dy, dxWant, dwWant, dx, dw, ...ours]);
  });
});
