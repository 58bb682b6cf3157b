// The kernel contract checks backends share: sizes derived from a valid call, and errors that
// name the kernel, the argument, what was expected and what was given.
import { describe, expect, it } from 'vitest';
import {
  checkSequenceCall,
  GRUSequence,
  LSTMSequence,
  RnnkitError,
  SimpleRNNSequence,
  type KernelTensorLike,
} from '../src/index.js';

const t = (shape: number[], dtype = 'float32'): KernelTensorLike => ({ shape, dtype });
// B = 2, T = 3, D = 4, U = 5.
const lstmInputs = (): Record<string, KernelTensorLike | undefined> => ({
  x: t([2, 3, 4]),
  kernel: t([4, 20]),
  recurrentKernel: t([5, 20]),
  bias: t([20]),
  initialH: t([2, 5]),
  initialC: t([2, 5]),
});
const lstmAttrs = { units: 5, activation: 'tanh', recurrentActivation: 'sigmoid' };

describe('checkSequenceCall', () => {
  it('derives the sizes and fills absent flags with false', () => {
    const { attrs, inputs } = checkSequenceCall(LSTMSequence, lstmInputs(), lstmAttrs);
    expect(inputs).toMatchObject({ batch: 2, steps: 3, inputDim: 4, units: 5, mask: null });
    expect(attrs).toEqual({
      ...lstmAttrs,
      resetAfter: false,
      goBackwards: false,
      returnSequences: false,
      alignToInput: false,
      zeroOutputForMask: false,
    });
  });

  it('takes the GRU bias shape from resetAfter and ignores initialC outside LSTM', () => {
    const inputs = { ...lstmInputs(), kernel: t([4, 15]), recurrentKernel: t([5, 15]) };
    const attrs = { ...lstmAttrs, resetAfter: true };
    expect(() =>
      checkSequenceCall(GRUSequence, { ...inputs, bias: t([2, 15]) }, attrs),
    ).not.toThrow();
    expect(() => checkSequenceCall(GRUSequence, { ...inputs, bias: t([15]) }, attrs)).toThrow(
      'RnnkitGRUSequence: bias: expected shape [2, 15], got shape [15]',
    );
    const simple = { x: t([2, 3, 4]), kernel: t([4, 5]), recurrentKernel: t([5, 5]) };
    const call = checkSequenceCall(
      SimpleRNNSequence,
      { ...simple, bias: t([5]), initialH: t([2, 5]), initialC: t([9]) },
      { units: 5, activation: 'relu' },
    );
    expect(call.inputs.initialC).toBeNull();
    expect(call.attrs.recurrentActivation).toBeNull();
  });

  it.each([
    [
      { kernel: t([4, 19]) },
      {},
      'RnnkitLSTMSequence: kernel: expected shape [4, 20], got shape [4, 19]',
    ],
    [{ initialC: undefined }, {}, 'initialC: expected a tensor of shape [2, 5], got none'],
    [
      { x: t([2, 3]) },
      {},
      'x: expected a tensor of shape [batch, time, features], got shape [2, 3]',
    ],
    [{ x: t([2, 3, 4], 'int32') }, {}, 'x: expected dtype float32, got int32'],
    [
      { mask: t([2, 3], 'string') },
      {},
      'mask: expected dtype bool or int32 or float32, got string',
    ],
    [{ recurrentMask: t([5, 2]) }, {}, 'recurrentMask: expected shape [2, 5], got shape [5, 2]'],
    [{}, { units: 2.5 }, 'units: expected a positive integer, got 2.5'],
    [{}, { goBackwards: 1 }, 'goBackwards: expected a boolean, got 1'],
    [
      {},
      { recurrentActivation: 'hard_tanh' },
      'recurrentActivation: expected one of linear, tanh,',
    ],
  ])('rejects %j %j', (inputs, attrs, message) => {
    const call = () =>
      checkSequenceCall(LSTMSequence, { ...lstmInputs(), ...inputs }, { ...lstmAttrs, ...attrs });
    expect(call).toThrow(RnnkitError);
    expect(call).toThrow(message);
  });

  it('requires resetAfter for GRU', () => {
    const inputs = { ...lstmInputs(), kernel: t([4, 15]), recurrentKernel: t([5, 15]) };
    expect(() => checkSequenceCall(GRUSequence, inputs, lstmAttrs)).toThrow(
      'RnnkitGRUSequence: resetAfter: expected a boolean, got undefined',
    );
  });
});
