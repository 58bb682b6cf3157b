/**
 * The kernels behind @rnnkit/core's layers: the fused path runs (dispatch counts), layer
 * outputs agree with tfjs-layers where its semantics equal Keras, and repeated forwards
 * leak no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  Bidirectional,
  getDispatchStats,
  GRU,
  GRUSequence,
  LSTM,
  LSTMSequence,
  resetDispatchStats,
  SimpleRNN,
  SimpleRNNSequence,
} from '@rnnkit/core';
import { defineRegistrationSuite, seededTensor } from '@rnnkit/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendName, init, kernelConfigs } from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';

beforeAll(async () => {
  await init();
});

defineRegistrationSuite(
  { describe, it, beforeAll },
  { backend: 'cpu', pkg: { backendName, kernelConfigs, init } },
);

describe('dispatch', () => {
  it('runs the fused kernel for LSTM, GRU, SimpleRNN and both halves of Bidirectional', () => {
    const x = seededTensor([2, 5, 3], 1);
    resetDispatchStats();
    const layers = [
      new LSTM({ units: 4, returnSequences: true }),
      new GRU({ units: 4 }),
      new SimpleRNN({ units: 4 }),
    ];
    for (const layer of layers) tf.dispose(layer.apply(x));
    const bi = new Bidirectional(new LSTM({ units: 4, returnSequences: true }));
    tf.dispose(bi.apply(x));
    const stats = getDispatchStats();
    expect(stats[LSTMSequence]).toEqual({ fused: 3, reference: 0 });
    expect(stats[GRUSequence]).toEqual({ fused: 1, reference: 0 });
    expect(stats[SimpleRNNSequence]).toEqual({ fused: 1, reference: 0 });
    for (const layer of layers) layer.dispose();
    bi.dispose();
    x.dispose();
  });
});

describe('agreement with tfjs-layers', () => {
  // tfjs-layers matches Keras for these settings once its non-Keras defaults are overridden.
  // Its orthogonal initializer needs tfjs-core's chained ops, so a plain one is used instead;
  // its weights are copied into ours either way.
  const init = { recurrentInitializer: 'glorotUniform', biasInitializer: 'randomUniform' } as const;
  it('LSTM, GRU (resetAfter false) and SimpleRNN outputs and states, returnSequences and goBackwards', () => {
    const B = 3;
    const T = 7;
    const D = 5;
    const U = 6;
    const x = seededTensor([B, T, D], 2);
    for (const goBackwards of [false, true]) {
      const cases: [
        string,
        () => tfl.layers.Layer,
        () => {
          apply: (x: tf.Tensor) => unknown;
          setWeights: (w: tf.Tensor[]) => void;
          build: (s: number) => void;
          dispose: () => void;
        },
      ][] = [
        [
          'lstm',
          () =>
            tfl.layers.lstm({
              ...init,
              units: U,
              returnSequences: true,
              returnState: true,
              goBackwards,
              recurrentActivation: 'sigmoid',
            }),
          () => new LSTM({ units: U, returnSequences: true, returnState: true, goBackwards }),
        ],
        [
          'gru',
          () =>
            tfl.layers.gru({
              ...init,
              units: U,
              returnSequences: true,
              returnState: true,
              goBackwards,
              recurrentActivation: 'sigmoid',
              // tfjs-layers implements only the resetAfter: false form.
            }),
          () =>
            new GRU({
              units: U,
              returnSequences: true,
              returnState: true,
              goBackwards,
              resetAfter: false,
            }),
        ],
        [
          'simple',
          () =>
            tfl.layers.simpleRNN({
              ...init,
              units: U,
              returnSequences: true,
              returnState: true,
              goBackwards,
            }),
          () => new SimpleRNN({ units: U, returnSequences: true, returnState: true, goBackwards }),
        ],
      ];
      for (const [, makeTfl, makeOurs] of cases) {
        const theirs = makeTfl();
        const want = theirs.apply(x) as tf.Tensor[];
        const weights = theirs.getWeights();
        const ours = makeOurs();
        ours.build(D);
        ours.setWeights(weights);
        resetDispatchStats();
        const got = ours.apply(x) as tf.Tensor[];
        const stats = Object.values(getDispatchStats());
        expect(stats.reduce((n, s) => n + s.fused, 0)).toBe(1);
        expect(got).toHaveLength(want.length);
        got.forEach((g, i) => {
          expect(g.shape).toEqual(want[i].shape);
          expect(maxRelError(g.dataSync(), want[i].dataSync())).toBeLessThan(1e-5);
        });
        tf.dispose([...want, ...got]);
        theirs.dispose();
        ours.dispose();
      }
    }
    x.dispose();
  });
});

describe('memory', () => {
  it('leaks no tensors over 1,000 forwards of a small layer', () => {
    const x = seededTensor([2, 6, 3], 3);
    const mask = tf.tensor2d([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0], [2, 6], 'bool');
    const lstm = new LSTM({ units: 5, returnSequences: true, returnState: true });
    const gru = new GRU({ units: 5, returnState: true });
    const run = () => {
      tf.dispose(lstm.apply(x, { mask }));
      tf.dispose(gru.apply(x));
    };
    run(); // builds the weights
    const before = tf.memory();
    for (let i = 0; i < 1000; i++) run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
    lstm.dispose();
    gru.dispose();
    tf.dispose([x, mask]);
  });
});
