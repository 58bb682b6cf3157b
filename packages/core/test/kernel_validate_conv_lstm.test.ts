// The ConvLSTM call check backends share: sizes derived from a valid call, and errors that name
// the kernel, the argument, what was expected and what was given.
import { describe, expect, it } from 'vitest';
import { checkConvLSTMCall, RnnkitError, type KernelTensorLike } from '../src/index.js';

const t = (shape: number[], dtype = 'float32'): KernelTensorLike => ({ shape, dtype });
// B = 2, T = 3, 7×6 frames of C = 4 channels, F = 5 filters, a 3×2 kernel.
const inputs = (out: number[]): Record<string, KernelTensorLike | undefined> => ({
  x: t([2, 3, 7, 6, 4]),
  kernel: t([3, 2, 4, 20]),
  recurrentKernel: t([3, 2, 5, 20]),
  bias: t([20]),
  initialH: t([2, ...out, 5]),
  initialC: t([2, ...out, 5]),
});
const attrs = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  units: 5,
  activation: 'tanh',
  recurrentActivation: 'hard_sigmoid_keras2',
  strides: [1, 1],
  padding: 'valid',
  dilationRate: [1, 1],
  ...extra,
});

describe('checkConvLSTMCall', () => {
  it('derives the sizes: valid, same with strides, valid with dilation', () => {
    const valid = checkConvLSTMCall(inputs([5, 5]), attrs());
    expect(valid).toMatchObject({
      batch: 2,
      steps: 3,
      spatial: [7, 6],
      channels: 4,
      filters: 5,
      kernelSize: [3, 2],
      outSpatial: [5, 5],
      mask: null,
      recurrentMask: null,
    });
    expect(valid.attrs).toMatchObject({ goBackwards: false, returnSequences: false });
    // same: ceil(size / stride).
    const same = checkConvLSTMCall(inputs([4, 2]), attrs({ padding: 'same', strides: [2, 3] }));
    expect(same.outSpatial).toEqual([4, 2]);
    // valid with dilation 2: the kernel spans 5 × 3.
    const dilated = checkConvLSTMCall(inputs([3, 4]), attrs({ dilationRate: [2, 2] }));
    expect(dilated.outSpatial).toEqual([3, 4]);
  });

  it('names the argument, what was expected and what was given', () => {
    const expectError = (
      inp: Record<string, KernelTensorLike | undefined>,
      at: Record<string, unknown>,
      message: string,
    ): void => {
      expect(() => checkConvLSTMCall(inp, at)).toThrow(RnnkitError);
      expect(() => checkConvLSTMCall(inp, at)).toThrow(message);
    };
    expectError(
      { ...inputs([5, 5]), x: t([2, 3, 4]) },
      attrs(),
      'RnnkitConvLSTMSequence: x: expected a tensor of shape [batch, time, ...spatial (1 to 3 axes), channels], got shape [2, 3, 4]',
    );
    expectError(
      inputs([5, 5]),
      attrs({ units: 0 }),
      'RnnkitConvLSTMSequence: units: expected a positive integer, got 0',
    );
    expectError(
      inputs([5, 5]),
      attrs({ strides: [2, 1], dilationRate: [1, 2] }),
      'RnnkitConvLSTMSequence: strides: expected all 1 when dilationRate is not, got strides [2, 1] with dilationRate [1, 2]',
    );
    expectError(
      { ...inputs([5, 5]), recurrentKernel: t([3, 2, 4, 20]) },
      attrs(),
      'RnnkitConvLSTMSequence: recurrentKernel: expected shape [3, 2, 5, 20], got shape [3, 2, 4, 20]',
    );
    expectError(
      { ...inputs([5, 5]), mask: t([2, 3], 'string') },
      attrs(),
      'RnnkitConvLSTMSequence: mask: expected dtype bool or int32 or float32, got string',
    );
    expectError(
      inputs([5, 5]),
      attrs({ recurrentActivation: 'hard_tanh' }),
      'RnnkitConvLSTMSequence: recurrentActivation: expected one of linear, tanh',
    );
  });
});
