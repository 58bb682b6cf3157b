// Bad input raises an error naming the argument, what was expected and what was given.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bidirectional, fromKerasConfig, GRU, LSTM, RnnkitError, SimpleRNN } from '../src/index.js';

describe('bad input', () => {
  beforeAll(() => tf.setBackend('cpu'));
  const x = () => tf.zeros([2, 4, 5]);

  it('wrong input rank', () => {
    expect(() => new LSTM({ units: 3 }).apply(tf.zeros([2, 5]))).toThrow(
      /input: expected a rank-3 tensor \[batch, time, features\], got shape \(2, 5\)/,
    );
  });
  it('wrong feature size after build', () => {
    const l = new LSTM({ units: 3 });
    l.apply(x());
    expect(() => l.apply(tf.zeros([2, 4, 6]))).toThrow(/expected 5 features .*got 6/);
  });
  it('wrong state count and shape', () => {
    const l = new LSTM({ units: 3 });
    expect(() => l.apply(x(), { initialState: [tf.zeros([2, 3])] })).toThrow(
      /initial_state: expected 2 state tensor\(s\) of shapes \(2, 3\), \(2, 3\), got 1/,
    );
    expect(() => l.apply(x(), { initialState: [tf.zeros([2, 3]), tf.zeros([2, 4])] })).toThrow(
      /initial_state\[1\]: expected shape \(2, 3\), got shape \(2, 4\)/,
    );
    expect(() =>
      new Bidirectional(new GRU({ units: 3 })).apply(x(), { initialState: [tf.zeros([2, 3])] }),
    ).toThrow(/initial_state: expected 2 tensors/);
  });
  it('mask of the wrong shape or dtype', () => {
    const l = new GRU({ units: 3 });
    expect(() => l.apply(x(), { mask: tf.ones([2, 3], 'bool') })).toThrow(
      /mask: expected shape \(2, 4\), got shape \(2, 3\)/,
    );
    expect(() => l.apply(x(), { mask: tf.ones([2, 4]) })).toThrow(
      /mask dtype: expected bool, got "float32"/,
    );
  });
  it('units ≤ 0 and non-integers', () => {
    expect(() => new SimpleRNN({ units: 0 })).toThrow(/units: expected a positive integer, got 0/);
    expect(() => new LSTM({ units: 2.5 })).toThrow(/units: expected a positive integer, got 2.5/);
  });
  it('unknown activation or initializer', () => {
    expect(() => new LSTM({ units: 2, activation: 'tanhh' })).toThrow(
      /activation: expected one of .*tanh.*, got "tanhh"/,
    );
    expect(() => new LSTM({ units: 2, recurrentActivation: 'nope' })).toThrow(
      /recurrent_activation: expected one of/,
    );
    expect(() => new LSTM({ units: 2, kernelInitializer: 'glorot_unifrom' })).toThrow(
      /kernel_initializer: expected an initializer .*got "glorot_unifrom"/,
    );
  });
  it('weights of the wrong shape name the weight and both shapes', () => {
    const l = new LSTM({ units: 3 });
    l.build(5);
    expect(() => l.setWeights([tf.zeros([5, 12]), tf.zeros([3, 12]), tf.zeros([11])])).toThrow(
      /weight 'bias': expected shape \(12,\), got shape \(11,\)/,
    );
    expect(() => l.setWeights([tf.zeros([5, 12]), tf.zeros([3, 12])])).toThrow(
      /weights: expected 3 tensors/,
    );
    const g = new GRU({ units: 2, resetAfter: true });
    g.build(4);
    expect(() => g.setWeights([tf.zeros([4, 6]), tf.zeros([2, 6]), tf.zeros([6])])).toThrow(
      /weight 'bias': expected shape \(2, 6\), got shape \(6,\)/,
    );
  });
  it('unknown config options and classes', () => {
    expect(() => fromKerasConfig({ class_name: 'LSTM', config: { units: 2, foo: 1 } })).toThrow(
      /LSTM config: unsupported option 'foo'/,
    );
    expect(() => fromKerasConfig({ class_name: 'ConvGRU2D', config: {} })).toThrow(
      /class_name: expected one of .*got "ConvGRU2D"/,
    );
    expect(() => fromKerasConfig({ class_name: 'ConvLSTM2D', config: {} })).toThrow(
      'filters: expected a positive integer, got undefined',
    );
    expect(() =>
      fromKerasConfig({ class_name: 'LSTM', config: { units: 2, time_major: true } }),
    ).toThrow(/time_major/);
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { mergeMode: 'max' as never })).toThrow(
      /merge_mode: expected one of concat, sum, mul, ave, null, got "max"/,
    );
  });
  it('errors are RnnkitError', () => {
    expect(() => new GRU({ units: -1 })).toThrow(RnnkitError);
  });

  it('sizes no tensor can hold are refused before anything is allocated', () => {
    expect(() => new LSTM({ units: 1e9 }).apply(x())).toThrow(
      /units: 1000000000 implies a recurrent_kernel of shape \(1000000000, 4000000000\), 4\.00e\+18 values; a tensor holds at most 2147483647/,
    );
    expect(() => new GRU({ units: 40_000 }).build(5)).toThrow(
      /units: 40000 implies a recurrent_kernel of shape \(40000, 120000\)/,
    );
    expect(() => new SimpleRNN({ units: 4 }).build(1e9)).toThrow(
      /input feature size: 1000000000 implies a kernel of shape \(1000000000, 4\)/,
    );
  });

  it('a stateful layer names the batch it holds states for and the way out', () => {
    const l = new SimpleRNN({ units: 2, stateful: true });
    tf.dispose(l.apply(tf.zeros([3, 4, 5])));
    expect(() => l.apply(tf.zeros([2, 4, 5]))).toThrow(
      /holds states for a batch of 3 \(from its first call\); got an input with a batch of 2\. Call resetStates\(\) to start over with another batch size, or use a new layer/,
    );
    // After a reset the layer takes a new batch size, as the message says.
    l.resetStates();
    const y = l.apply(tf.zeros([2, 4, 5])) as tf.Tensor;
    expect(y.shape).toEqual([2, 2]);
    tf.dispose(y);
  });

  it('a stateful layer declared with a batch size refuses another from its first call', () => {
    const l = new LSTM({ units: 2, stateful: true, batchInputShape: [3, 4, 5] });
    expect(() => l.apply(tf.zeros([2, 4, 5]))).toThrow(
      /holds states for a batch of 3 \(its batch_input_shape\); got an input with a batch of 2\. Call it with batches of 3, or make a new layer for batches of 2/,
    );
    l.resetStates();
    expect(() => l.apply(tf.zeros([2, 4, 5]))).toThrow(/batch of 3 \(its batch_input_shape\)/);
    const y = l.apply(tf.zeros([3, 4, 5])) as tf.Tensor;
    expect(y.shape).toEqual([3, 2]);
    expect(() => l.resetStates([tf.zeros([2, 2]), tf.zeros([2, 2])])).toThrow(
      /resetStates values: expected a batch of 3 \(the layer's batch_input_shape\), got 2/,
    );
    tf.dispose(y);
  });
});
