/**
 * The family table against Keras's own shapes (keras/src/layers/rnn/{simple_rnn,lstm,gru,
 * conv_lstm}.py `build()`), and the layers' shape inference read from it.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  Bidirectional,
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  FAMILIES,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  SEQUENCE_KERNEL_NAMES,
  SimpleRNN,
  familyOfClass,
  familyOfKernel,
  outputShape,
  stateShapes,
  weightShapes,
  type RecurrentFamily,
} from '../src/index.js';

describe('family table', () => {
  it('gives Keras weight shapes for each family', () => {
    // Keras: kernel (input_dim, G·units), recurrent_kernel (units, G·units), bias (G·units,),
    // GRU reset_after=True bias (2, 3·units).
    const shapes = (f: RecurrentFamily, resetAfter?: boolean) =>
      weightShapes(f, { inputDim: 5, units: 3, resetAfter }).map((w) => w.shape);
    expect(shapes(FAMILIES.SimpleRNN)).toEqual([[5, 3], [3, 3], [3]]);
    expect(shapes(FAMILIES.LSTM)).toEqual([[5, 12], [3, 12], [12]]);
    expect(shapes(FAMILIES.GRU, true)).toEqual([
      [5, 9],
      [3, 9],
      [2, 9],
    ]);
    expect(shapes(FAMILIES.GRU, false)).toEqual([[5, 9], [3, 9], [9]]);
    expect(shapes(FAMILIES.LSTM, true)).toEqual([[5, 12], [3, 12], [12]]);
    expect(weightShapes(FAMILIES.LSTM, { inputDim: null, units: 2, useBias: false })).toEqual([
      { name: 'kernel', shape: [null, 8] },
      { name: 'recurrent_kernel', shape: [2, 8] },
    ]);
  });

  it('gives Keras ConvLSTM shapes from the ConvLSTM rows', () => {
    // Keras ConvLSTM2D(filters=4, kernel_size=(3, 3)) on 2 channels: kernel (3, 3, 2, 16),
    // recurrent_kernel (3, 3, 4, 16), bias (16,); states h and c (batch, rows, cols, 4).
    const convLstm2d = FAMILIES.ConvLSTM2D;
    expect(convLstm2d.spatialRank).toBe(2);
    expect(convLstm2d.sizeKey).toBe('filters');
    expect(
      weightShapes(convLstm2d, { inputDim: 2, units: 4, kernelSize: [3, 3] }).map((w) => w.shape),
    ).toEqual([[3, 3, 2, 16], [3, 3, 4, 16], [16]]);
    expect(stateShapes(convLstm2d, 7, 4, [10, 12])).toEqual([
      [7, 10, 12, 4],
      [7, 10, 12, 4],
    ]);
    expect(outputShape(7, 5, 4, true, [10, 12])).toEqual([7, 5, 10, 12, 4]);
    expect(outputShape(7, 5, 4, false, [10, 12])).toEqual([7, 10, 12, 4]);
    const ranks = [FAMILIES.ConvLSTM1D, FAMILIES.ConvLSTM2D, FAMILIES.ConvLSTM3D].map(
      (f) => f.spatialRank,
    );
    expect(ranks).toEqual([1, 2, 3]);
  });

  it('rows that share a kernel agree on what the kernel decides', () => {
    const rows: RecurrentFamily[] = Object.values(FAMILIES);
    for (const row of rows) {
      const first = familyOfKernel(row.kernelName)!;
      expect([row.gates, row.states, row.bias, row.attrs]).toEqual([
        first.gates,
        first.states,
        first.bias,
        first.attrs,
      ]);
    }
    expect(SEQUENCE_KERNEL_NAMES).toEqual([
      'RnnkitSimpleRNNSequence',
      'RnnkitLSTMSequence',
      'RnnkitGRUSequence',
      'RnnkitConvLSTMSequence',
    ]);
    expect(familyOfClass('ConvLSTM3D')).toBe(FAMILIES.ConvLSTM3D);
  });

  it('finds families by kernel and by Keras class', () => {
    expect(familyOfKernel('RnnkitGRUSequence')).toBe(FAMILIES.GRU);
    expect(familyOfClass('LSTMCell')).toBe(FAMILIES.LSTM);
    expect(familyOfClass('SimpleRNN')).toBe(FAMILIES.SimpleRNN);
    expect(familyOfClass('Dense')).toBeUndefined();
  });
});

describe('layer shape inference', () => {
  it('matches the weights a built layer holds', () => {
    const layers = [
      new LSTM({ units: 3 }),
      new GRU({ units: 2, resetAfter: false }),
      new GRU({ units: 2 }),
      new SimpleRNN({ units: 4, useBias: false }),
      new RNN({ cell: [new LSTMCell({ units: 3 }), new GRUCell({ units: 2 })] }),
    ];
    for (const layer of layers) {
      const specs = layer.weightSpecs([null, null, 5]);
      layer.build(5);
      const weights = layer.getWeights();
      expect(specs.map((s) => s.shape)).toEqual(weights.map((w) => w.shape));
      weights.forEach((w) => w.dispose());
      layer.dispose();
    }
  });

  it('gives Keras output shapes with return_sequences and return_state', () => {
    const lstm = new LSTM({ units: 3, returnSequences: true, returnState: true });
    expect(lstm.outputShapes([2, 7, 5])).toEqual([
      [2, 7, 3],
      [2, 3],
      [2, 3],
    ]);
    const gru = new GRU({ units: 4 });
    expect(gru.outputShapes([null, null, 5])).toEqual([[null, 4]]);
    const stacked = new RNN({
      cell: [new LSTMCell({ units: 3 }), new GRUCell({ units: 2 })],
      returnState: true,
    });
    expect(stacked.outputShapes([1, 6, 5])).toEqual([
      [1, 2],
      [1, 3],
      [1, 3],
      [1, 2],
    ]);
    const bi = new Bidirectional(new LSTM({ units: 3, returnSequences: true, returnState: true }));
    expect(bi.outputShapes([2, 7, 5])).toEqual([
      [2, 7, 6],
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
    ]);
    expect(bi.weightSpecs([2, 7, 5]).map((w) => w.name)).toEqual([
      'forward_kernel',
      'forward_recurrent_kernel',
      'forward_bias',
      'backward_kernel',
      'backward_recurrent_kernel',
      'backward_bias',
    ]);
    const sum = new Bidirectional(new GRU({ units: 3 }), { mergeMode: 'sum' });
    expect(sum.outputShapes([2, 7, 5])).toEqual([[2, 3]]);
    for (const l of [lstm, gru, stacked, bi, sum]) l.dispose();
  });

  it('infers ConvLSTM weight and output shapes as the layers build and return them', () => {
    const cases = [
      { layer: new ConvLSTM1D({ filters: 2, kernelSize: 3, returnState: true }), x: [2, 4, 7, 5] },
      {
        layer: new ConvLSTM2D({ filters: 3, kernelSize: [2, 3], strides: 2, padding: 'same' }),
        x: [1, 2, 5, 6, 4],
      },
      {
        layer: new ConvLSTM2D({
          filters: 2,
          kernelSize: 2,
          dataFormat: 'channels_first',
          returnSequences: true,
          returnState: true,
        }),
        x: [1, 3, 4, 5, 6],
      },
      { layer: new ConvLSTM3D({ filters: 2, kernelSize: [1, 2, 2] }), x: [1, 2, 3, 4, 4, 1] },
    ];
    for (const { layer, x } of cases) {
      const specs = layer.weightSpecs([null, null, ...x.slice(2)]);
      const input = tf.zeros(x);
      const out = layer.apply(input);
      const outputs = Array.isArray(out) ? out : [out];
      expect(layer.outputShapes(x)).toEqual(outputs.map((o) => o.shape));
      const weights = layer.getWeights();
      expect(specs.map((s) => s.shape)).toEqual(weights.map((w) => w.shape));
      tf.dispose([input, ...outputs, ...weights]);
      layer.dispose();
    }
    const bi = new Bidirectional(new ConvLSTM2D({ filters: 3, kernelSize: 2, padding: 'same' }));
    expect(bi.outputShapes([null, 4, 6, 6, 2])).toEqual([[null, 6, 6, 6]]);
    bi.dispose();
    expect(() =>
      new ConvLSTM2D({ filters: 2, kernelSize: 3, name: 'c' }).outputShapes([1, 2, 2, 5, 1]),
    ).toThrow(
      "c input: expected spatial sizes that fit the kernel (3, 3) (dilation_rate (1, 1), padding 'valid'), got spatial shape (2, 5)",
    );
  });
});
