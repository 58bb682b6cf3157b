import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  fromKerasConfig,
  getDispatchStats,
  resetDispatchStats,
  RnnkitError,
} from '../src/index.js';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

function seeded(shape: number[], seed: number, scale = 0.5): tf.Tensor {
  return tf.randomUniform(shape, -scale, scale, 'float32', seed);
}

describe('ConvLSTM layers', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it.each([
    ['same', [1, 1]],
    ['valid', [1, 1]],
    ['valid', [2, 1]],
    ['same', [2, 2]],
  ] as const)(
    'ConvLSTM2D (padding %s, strides %j) matches tfjs-layers ConvLSTM2D',
    (padding, strides) => {
      const args = { filters: 3, kernelSize: [3, 2], padding, strides: [...strides] };
      const ours = new ConvLSTM2D({ ...args, returnSequences: true });
      const oracle = tfl.layers.convLstm2d({
        ...args,
        returnSequences: true,
        recurrentActivation: 'sigmoid',
        // tfjs-layers' orthogonal initializer fails on 4-d kernels; the weights are set below.
        recurrentInitializer: 'glorotUniform',
      }) as tfl.layers.Layer;
      const x = seeded([2, 4, 6, 5, 2], 1, 1);
      oracle.apply(tfl.input({ batchShape: x.shape }));
      const weights = [seeded([3, 2, 2, 12], 2), seeded([3, 2, 3, 12], 3), seeded([12], 4)];
      oracle.setWeights(weights);
      ours.setWeights(weights);
      const want = oracle.apply(x) as tf.Tensor;
      const got = ours.apply(x);
      expect(got.shape).toEqual(want.shape);
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
    },
  );

  it('weights have Keras shapes and order, and unit_forget_bias puts ones in the f slice', () => {
    const layer = new ConvLSTM3D({ filters: 2, kernelSize: [1, 2, 3], biasInitializer: 'zeros' });
    layer.build([null, 2, 4, 4, 4, 5]);
    const [kernel, recurrent, bias] = layer.getWeights();
    expect(kernel.shape).toEqual([1, 2, 3, 5, 8]);
    expect(recurrent.shape).toEqual([1, 2, 3, 2, 8]);
    expect(Array.from(bias.dataSync())).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    expect(layer.countParams()).toBe(6 * 5 * 8 + 6 * 2 * 8 + 8);
    const noBias = new ConvLSTM1D({ filters: 2, kernelSize: 3, useBias: false });
    noBias.build(4);
    expect(noBias.getWeights().map((w) => w.shape)).toEqual([
      [3, 4, 8],
      [3, 2, 8],
    ]);
    tf.dispose([kernel, recurrent, bias]);
    layer.dispose();
    noBias.dispose();
  });

  it('getConfig round-trips through fromKerasConfig with Keras 3 keys', () => {
    const layer = new ConvLSTM2D({
      filters: 4,
      kernelSize: 3,
      strides: [2, 1],
      padding: 'SAME',
      activation: 'relu',
      returnSequences: true,
      returnState: true,
      goBackwards: true,
      dropout: 0.1,
      name: 'clstm',
    });
    const config = layer.getConfig();
    expect(config).toMatchObject({
      name: 'clstm',
      filters: 4,
      kernel_size: [3, 3],
      strides: [2, 1],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'relu',
      recurrent_activation: 'sigmoid',
      unit_forget_bias: true,
      return_sequences: true,
      return_state: true,
      go_backwards: true,
      dropout: 0.1,
    });
    const again = fromKerasConfig({ class_name: 'ConvLSTM2D', config });
    expect(again).toBeInstanceOf(ConvLSTM2D);
    expect((again as ConvLSTM2D).getConfig()).toEqual(config);
  });

  it('a Keras 2 config defaults recurrent_activation to the Keras 2 hard_sigmoid', () => {
    const k2 = fromKerasConfig(
      { class_name: 'ConvLSTM1D', config: { filters: 2, kernel_size: [2] } },
      { kerasVersion: '2.15.0' },
    ) as ConvLSTM1D;
    expect(k2.cell.recurrentActivation).toBe('hard_sigmoid_keras2');
    const k3 = fromKerasConfig({
      class_name: 'ConvLSTM1D',
      config: { filters: 2, kernel_size: 2 },
    });
    expect((k3 as ConvLSTM1D).cell.recurrentActivation).toBe('sigmoid');
  });

  it('returns [output, h, c] with returnState, typed by the flags', () => {
    const layer = new ConvLSTM1D({ filters: 3, kernelSize: 2, returnState: true });
    const x = seeded([2, 5, 7, 4], 7);
    const [output, h, c] = layer.apply(x);
    expect(output.shape).toEqual([2, 6, 3]);
    expect(h.shape).toEqual([2, 6, 3]);
    expect(c.shape).toEqual([2, 6, 3]);
    expect(maxDiff(output, h)).toBe(0);
    tf.dispose([x, output, h, c]);
    layer.dispose();
  });

  it('runs through the ConvLSTMSequence kernel, one call per direction, without leaks', () => {
    const layer = new ConvLSTM2D({ filters: 2, kernelSize: 2, padding: 'same' });
    const x = seeded([1, 3, 4, 4, 2], 8);
    layer.build(x.shape);
    const before = tf.memory().numTensors;
    resetDispatchStats();
    layer.apply(x).dispose();
    expect(getDispatchStats()).toEqual({ RnnkitConvLSTMSequence: { fused: 0, reference: 1 } });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    layer.dispose();
  });

  it('channels_first equals channels_last on transposed inputs', () => {
    const last = new ConvLSTM2D({
      filters: 2,
      kernelSize: 3,
      returnSequences: true,
      returnState: true,
    });
    const first = new ConvLSTM2D({
      filters: 2,
      kernelSize: 3,
      returnSequences: true,
      returnState: true,
      dataFormat: 'channels_first',
    });
    const x = seeded([2, 3, 5, 6, 3], 9, 1);
    last.build(x.shape);
    const weights = last.getWeights();
    first.setWeights(weights);
    const [o1, h1] = last.apply(x);
    const [o2, h2] = first.apply(tf.transpose(x, [0, 1, 4, 2, 3]));
    expect(o2.shape).toEqual([2, 3, 2, 3, 4]);
    expect(maxDiff(tf.transpose(o1, [0, 1, 4, 2, 3]), o2)).toBeLessThan(1e-6);
    expect(maxDiff(tf.transpose(h1, [0, 3, 1, 2]), h2)).toBeLessThan(1e-6);
  });

  it('stateful layers carry [h, c] between calls and resetStates zeroes them', () => {
    const layer = new ConvLSTM1D({ filters: 2, kernelSize: 3, padding: 'same', stateful: true });
    const whole = new ConvLSTM1D({ filters: 2, kernelSize: 3, padding: 'same' });
    const x = seeded([2, 6, 5, 3], 10, 1);
    layer.build(x.shape);
    whole.setWeights(layer.getWeights());
    layer.apply(tf.slice(x, [0, 0], [2, 3])).dispose();
    const second = layer.apply(tf.slice(x, [0, 3], [2, 3]));
    expect(maxDiff(second, whole.apply(x))).toBeLessThan(1e-6);
    expect(layer.getStates()?.map((s) => s.shape)).toEqual([
      [2, 5, 2],
      [2, 5, 2],
    ]);
    layer.resetStates();
    expect(
      maxDiff(layer.apply(tf.slice(x, [0, 3], [2, 3])), whole.apply(tf.slice(x, [0, 3], [2, 3]))),
    ).toBeLessThan(1e-6);
    expect(() => new ConvLSTM1D({ filters: 1, kernelSize: 1 }).resetStates()).toThrow(
      /resetStates needs stateful: true/,
    );
  });

  it('a stateful ConvLSTM names the batch it holds states for, and takes another after a reset', () => {
    const layer = new ConvLSTM1D({ filters: 2, kernelSize: 3, padding: 'same', stateful: true });
    layer.apply(seeded([2, 3, 5, 3], 4, 1)).dispose();
    expect(() => layer.apply(seeded([1, 3, 5, 3], 4, 2))).toThrow(
      /holds states for a batch of 2 \(from its first call\); got an input with a batch of 1\. Call resetStates\(\)/,
    );
    layer.resetStates();
    const y = layer.apply(seeded([1, 3, 5, 3], 4, 2));
    expect(y.shape).toEqual([1, 5, 2]);
    y.dispose();
    const declared = new ConvLSTM1D({
      filters: 2,
      kernelSize: 3,
      stateful: true,
      batchInputShape: [2, null, 5, 3],
    });
    expect(() => declared.apply(seeded([1, 3, 5, 3], 4, 3))).toThrow(
      /holds states for a batch of 2 \(its batch_input_shape\); got an input with a batch of 1/,
    );
  });

  it('Bidirectional(ConvLSTM2D) concatenates channels and aligns the backward sequence', () => {
    const inner = new ConvLSTM2D({
      filters: 2,
      kernelSize: 2,
      padding: 'same',
      returnSequences: true,
    });
    const bi = new Bidirectional(inner);
    const x = seeded([1, 4, 3, 3, 2], 11, 1);
    bi.build(x.shape);
    const out = bi.apply(x);
    expect(out.shape).toEqual([1, 4, 3, 3, 4]);
    // The backward half equals a go_backwards layer's sequence flipped to input time.
    const back = new ConvLSTM2D({
      filters: 2,
      kernelSize: 2,
      padding: 'same',
      returnSequences: true,
      goBackwards: true,
    });
    back.setWeights(bi.backwardLayer.getWeights());
    const expected = tf.reverse(back.apply(x), 1);
    expect(maxDiff(tf.slice(out, [0, 0, 0, 0, 2], [-1, -1, -1, -1, 2]), expected)).toBeLessThan(
      1e-6,
    );
    expect(bi.getConfig()).toMatchObject({ layer: { class_name: 'ConvLSTM2D' } });
  });

  it('dropout applies only in training and is reproducible from the seed', () => {
    const make = () =>
      new ConvLSTM1D({ filters: 2, kernelSize: 2, dropout: 0.5, recurrentDropout: 0.5, seed: 3 });
    const a = make();
    const b = make();
    const x = seeded([2, 4, 5, 3], 12, 1);
    a.build(x.shape);
    b.setWeights(a.getWeights());
    const inference = a.apply(x);
    expect(maxDiff(a.apply(x, { training: false }), inference)).toBe(0);
    const trainA = a.apply(x, { training: true });
    const trainB = b.apply(x, { training: true });
    expect(maxDiff(trainA, inference)).toBeGreaterThan(1e-3);
    expect(maxDiff(trainA, trainB)).toBe(0);
  });

  it('errors name the layer, the argument, what was expected and what was given', () => {
    const layer = new ConvLSTM2D({ filters: 2, kernelSize: 3, name: 'radar' });
    expect(() => layer.apply(tf.zeros([1, 2, 4, 4]))).toThrow(
      'radar input: expected a rank-5 tensor [batch, time, rows, cols, channels], got shape (1, 2, 4, 4)',
    );
    expect(() => layer.apply(tf.zeros([1, 2, 2, 5, 3]))).toThrow(
      "radar input: expected spatial sizes that fit the kernel (3, 3) (dilation_rate (1, 1), padding 'valid'), got spatial shape (2, 5)",
    );
    layer.apply(tf.zeros([1, 2, 4, 4, 3])).dispose();
    expect(() => layer.apply(tf.zeros([1, 2, 4, 4, 2]))).toThrow(
      'radar input: expected 3 channels (the layer was built for them), got 2',
    );
    expect(() =>
      layer.apply(tf.zeros([1, 2, 4, 4, 3]), {
        initialState: [tf.zeros([1, 4, 4, 2]), tf.zeros([1, 2, 2, 2])],
      }),
    ).toThrow('radar initial_state[0]: expected shape (1, 2, 2, 2), got shape (1, 4, 4, 2)');
    expect(() =>
      layer.apply(tf.zeros([1, 2, 4, 4, 3]), { initialState: [tf.zeros([1, 2, 2, 2])] }),
    ).toThrow('radar initial_state: expected 2 state tensors (h, c) of shape (1, 2, 2, 2), got 1');
    expect(() =>
      layer.setWeights([tf.zeros([3, 3, 3, 8]), tf.zeros([3, 3, 2, 8]), tf.zeros([4])]),
    ).toThrow("weight 'bias': expected shape (8,), got shape (4,)");
    expect(() => new ConvLSTM2D({ filters: 2, kernelSize: [3] })).toThrow(
      'kernel_size: expected an integer or a list of 2 integers, got [3]',
    );
    expect(() => new ConvLSTM2D({ filters: 2, kernelSize: 3, padding: 'causal' })).toThrow(
      RnnkitError,
    );
    expect(
      () => new ConvLSTM2D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }),
    ).toThrow(/strides 1 or dilation_rate 1/);
    expect(() =>
      fromKerasConfig({ class_name: 'ConvLSTM2D', config: { filters: 2, kernel_size: 3, foo: 1 } }),
    ).toThrow("ConvLSTM2D config: unsupported option 'foo' (value 1)");
  });
});
