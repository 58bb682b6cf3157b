// The ConvLSTM convolution geometry backends share, against TensorFlow's padding rule and against
// tfjs-core's own convolutions: a one-hot kernel per tap over an input holding its position
// numbers reads back, for every output position and tap, the input position the tap reads.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  checkConvLSTMCall,
  convGeometry,
  convLSTMGeometry,
  convSourceTable,
  type KernelTensorLike,
} from '../src/index.js';

interface Case {
  inSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padding: 'valid' | 'same';
}

const cases: Case[] = [
  { inSize: [7], kernel: [3], strides: [2], dilations: [1], padding: 'same' },
  { inSize: [6], kernel: [4], strides: [1], dilations: [2], padding: 'valid' },
  { inSize: [5, 6], kernel: [3, 4], strides: [2, 3], dilations: [1, 1], padding: 'same' },
  { inSize: [7, 5], kernel: [3, 2], strides: [1, 1], dilations: [2, 3], padding: 'same' },
  { inSize: [6, 7], kernel: [2, 3], strides: [2, 1], dilations: [1, 1], padding: 'valid' },
  {
    inSize: [4, 5, 3],
    kernel: [2, 3, 2],
    strides: [2, 2, 1],
    dilations: [1, 1, 1],
    padding: 'same',
  },
  {
    inSize: [3, 4, 5],
    kernel: [3, 1, 2],
    strides: [1, 1, 1],
    dilations: [1, 1, 1],
    padding: 'valid',
  },
];

/** `source` read back through tfjs-core's convolution of the same geometry. */
function tfjsSource(c: Case): { outSize: number[]; source: number[] } {
  const rank = c.inSize.length;
  const inPositions = c.inSize.reduce((n, d) => n * d, 1);
  const taps = c.kernel.reduce((n, d) => n * d, 1);
  const numbers = Array.from({ length: inPositions }, (_, i) => i + 1);
  const oneHot = new Float32Array(taps * taps);
  for (let k = 0; k < taps; k++) oneHot[k * taps + k] = 1;
  const x = tf.tensor(numbers, [1, ...c.inSize, 1]);
  const w = tf.tensor(oneHot, [...c.kernel, 1, taps]);
  const y =
    rank === 1
      ? tf.conv1d(
          x as tf.Tensor3D,
          w as tf.Tensor3D,
          c.strides[0],
          c.padding,
          'NWC',
          c.dilations[0],
        )
      : rank === 2
        ? tf.conv2d(
            x as tf.Tensor4D,
            w as tf.Tensor4D,
            c.strides as [number, number],
            c.padding,
            'NHWC',
            c.dilations as [number, number],
          )
        : tf.conv3d(
            x as tf.Tensor5D,
            w as tf.Tensor5D,
            c.strides as [number, number, number],
            c.padding,
            'NDHWC',
            c.dilations as [number, number, number],
          );
  const outSize = y.shape.slice(1, 1 + rank);
  const source = Array.from(y.dataSync(), (v) => v - 1);
  tf.dispose([x, w, y]);
  return { outSize, source };
}

describe('convGeometry', () => {
  it('pads 1 and 2 spatial axes to three with leading axes of size 1', () => {
    const g = convGeometry([7], [3], [2], [1], 'same');
    expect(g).toEqual({
      inSize: [1, 1, 7],
      outSize: [1, 1, 4],
      kernel: [1, 1, 3],
      strides: [1, 1, 2],
      dilations: [1, 1, 1],
      padBefore: [0, 0, 1],
    });
    expect(convGeometry([5, 6], [3, 3], [1, 1], [1, 1], 'valid').outSize).toEqual([1, 3, 4]);
  });

  it("puts the smaller half of 'same' padding before, as TensorFlow", () => {
    // Totals (out − 1)·stride + dilated span − in: 2 → 1 before; 3 → 1; 4 → 2; 1 → 0.
    expect(convGeometry([5], [3], [2], [1], 'same').padBefore[2]).toBe(1);
    expect(convGeometry([6], [4], [1], [1], 'same').padBefore[2]).toBe(1);
    expect(convGeometry([7], [3], [1], [2], 'same').padBefore[2]).toBe(2);
    expect(convGeometry([6], [3], [2], [1], 'same').padBefore[2]).toBe(0);
    expect(convGeometry([6], [3], [2], [1], 'valid').padBefore).toEqual([0, 0, 0]);
  });
});

describe('convSourceTable', () => {
  it.each(cases)('reads what tfjs-core convolves: %o', (c) => {
    const g = convGeometry(c.inSize, c.kernel, c.strides, c.dilations, c.padding);
    const table = convSourceTable(g);
    const expected = tfjsSource(c);
    expect(g.outSize.slice(3 - c.inSize.length)).toEqual(expected.outSize);
    expect(table.positions).toBe(expected.outSize.reduce((n, d) => n * d, 1));
    expect(table.taps).toBe(c.kernel.reduce((n, d) => n * d, 1));
    expect(Array.from(table.source)).toEqual(expected.source);
  });
});

describe('convLSTMGeometry', () => {
  it('derives the input convolution from the call and a same, stride-1 recurrent one', () => {
    const t = (shape: number[]): KernelTensorLike => ({ shape, dtype: 'float32' });
    const call = checkConvLSTMCall(
      {
        x: t([2, 3, 7, 6, 4]),
        kernel: t([3, 2, 4, 20]),
        recurrentKernel: t([3, 2, 5, 20]),
        bias: t([20]),
        initialH: t([2, 4, 2, 5]),
        initialC: t([2, 4, 2, 5]),
      },
      {
        units: 5,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        strides: [2, 3],
        padding: 'same',
        dilationRate: [1, 1],
      },
    );
    const { input, recurrent } = convLSTMGeometry(call);
    expect(input).toEqual(convGeometry([7, 6], [3, 2], [2, 3], [1, 1], 'same'));
    expect(input.outSize).toEqual([1, ...call.outSpatial]);
    expect(recurrent).toEqual({
      inSize: [1, 4, 2],
      outSize: [1, 4, 2],
      kernel: [1, 3, 2],
      strides: [1, 1, 1],
      dilations: [1, 1, 1],
      padBefore: [0, 1, 0],
    });
  });
});
