import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  SimpleRNN,
  type Cell,
} from '../src/index.js';

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-6) =>
  expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(tol);

describe('layers', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('gradients through apply match central finite differences', () => {
    const layer = new GRU({
      units: 3,
      returnSequences: true,
      kernelInitializer: { class_name: 'GlorotUniform', config: { seed: 1 } },
    });
    const x = tf.randomUniform([2, 4, 3], -1, 1, 'float32', 5);
    const loss = (input: tf.Tensor) => tf.sum(tf.square(layer.apply(input) as tf.Tensor));
    const [grad] = tf.grads((input: tf.Tensor) => loss(input))([x]);
    const g = grad.dataSync();
    const values = x.dataSync().slice();
    const eps = 1e-2;
    for (const i of [0, 5, 11, 17, 23]) {
      const plus = values.slice();
      plus[i] += eps;
      const minus = values.slice();
      minus[i] -= eps;
      const fd =
        (loss(tf.tensor(plus, x.shape)).dataSync()[0] -
          loss(tf.tensor(minus, x.shape)).dataSync()[0]) /
        (2 * eps);
      expect(Math.abs(fd - g[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
  });

  it('a cell stepped one timestep at a time equals the layer over the sequence', () => {
    const layer = new LSTM({ units: 4, returnSequences: true, returnState: true });
    const x = tf.randomUniform([2, 5, 3], -1, 1, 'float32', 2);
    const [seq, h, c] = layer.apply(x);
    let states = [tf.zeros([2, 4]), tf.zeros([2, 4])] as tf.Tensor2D[];
    const steps: tf.Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      const [out, ...next] = layer.cell.call(
        tf.squeeze(tf.slice(x, [0, t, 0], [2, 1, 3]), [1]) as tf.Tensor2D,
        states,
      );
      steps.push(out);
      states = next;
    }
    close(tf.stack(steps, 1), seq);
    close(states[0], h);
    close(states[1], c);
  });

  it('RNN over a custom cell (per-step path) equals the built-in layer, masks and go_backwards included', () => {
    const inner = new GRUCell({ units: 3 });
    inner.build(2);
    // A cell that is not a KernelCell, so RNN takes its step loop.
    const custom: Cell = {
      className: 'MyCell',
      stateSize: [3],
      outputSize: 3,
      build: () => undefined,
      call: (input, states, options) => inner.call(input, states, options),
      getWeights: () => [],
      setWeights: () => undefined,
      getConfig: () => ({}),
      dispose: () => undefined,
    };
    const builtin = new GRU({ units: 3, returnSequences: true, goBackwards: true });
    builtin.setWeights(inner.getWeights());
    const rnn = new RNN({ cell: custom, returnSequences: true, goBackwards: true });
    const x = tf.randomUniform([2, 4, 2], -1, 1, 'float32', 3);
    const mask = tf.tensor2d(
      [
        [1, 1, 0, 1],
        [0, 1, 1, 0],
      ],
      [2, 4],
      'bool',
    );
    close(rnn.apply(x, { mask }), builtin.apply(x, { mask }));
  });

  it('training dropout changes outputs deterministically by seed; inference ignores it', () => {
    const make = () => {
      const l = new LSTM({
        units: 4,
        dropout: 0.5,
        recurrentDropout: 0.5,
        seed: 11,
        kernelInitializer: { class_name: 'GlorotUniform', config: { seed: 1 } },
        recurrentInitializer: { class_name: 'Orthogonal', config: { seed: 2 } },
      });
      l.build(3);
      return l;
    };
    const x = tf.randomUniform([2, 6, 3], -1, 1, 'float32', 4);
    const a = make();
    const b = make();
    const inference = a.apply(x);
    const trainA = a.apply(x, { training: true });
    const trainB = b.apply(x, { training: true });
    close(trainA, trainB, 1e-7);
    expect(tf.max(tf.abs(tf.sub(trainA, inference))).dataSync()[0]).toBeGreaterThan(1e-3);
    close(a.apply(x), inference, 1e-7);
  });

  it('stateful layers carry states across calls and reset them', () => {
    const l = new SimpleRNN({ units: 2, stateful: true, returnState: true });
    const x = tf.randomUniform([1, 3, 2], -1, 1, 'float32', 6);
    const [, h1] = l.apply(x);
    const [, h2] = l.apply(x);
    expect(Array.from(h1.dataSync())).not.toEqual(Array.from(h2.dataSync()));
    l.resetStates();
    const [, h3] = l.apply(x);
    close(h3, h1, 1e-7);
    l.resetStates([h1]);
    const [, h4] = l.apply(x);
    close(h4, h2, 1e-7);
  });

  it('getConfig round-trips through fromKerasConfig for every layer type', async () => {
    const { fromKerasConfig } = await import('../src/index.js');
    const layers = [
      new LSTM({ units: 2, returnSequences: true, goBackwards: true, activation: 'relu' }),
      new GRU({ units: 2, resetAfter: false, recurrentActivation: 'hard_sigmoid' }),
      new SimpleRNN({ units: 2, stateful: true, useBias: false }),
      new RNN({ cell: [new LSTMCell({ units: 2 }), new GRUCell({ units: 3 })], returnState: true }),
      new Bidirectional(new LSTM({ units: 2, returnSequences: true }), { mergeMode: null }),
    ];
    for (const l of layers) {
      const config = l.getConfig();
      expect(fromKerasConfig({ class_name: l.className, config }).getConfig()).toEqual(config);
    }
  });

  it('tensor count stays flat over repeated forwards of every layer type', () => {
    const x = tf.randomUniform([2, 5, 3], -1, 1);
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 0, 0],
        [1, 0, 1, 1, 1],
      ],
      [2, 5],
      'bool',
    );
    const layers = [
      new LSTM({ units: 3, returnState: true }),
      new GRU({ units: 3, returnSequences: true }),
      new SimpleRNN({ units: 3, stateful: true }),
      new RNN({
        cell: [new LSTMCell({ units: 2 }), new GRUCell({ units: 3 })],
        returnState: true,
        goBackwards: true,
      }),
      new Bidirectional(new GRU({ units: 3, returnSequences: true, returnState: true }), {
        mergeMode: 'ave',
      }),
    ];
    const run = () =>
      layers.forEach((l) => tf.dispose(l.apply(x, { mask }) as tf.Tensor | tf.Tensor[]));
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('hard_sigmoid follows the Keras version that wrote the config', async () => {
    const { fromKerasConfig } = await import('../src/index.js');
    const config = {
      units: 1,
      activation: 'hard_sigmoid',
      use_bias: false,
      kernel_initializer: 'ones',
      recurrent_initializer: 'zeros',
    };
    const x = tf.tensor3d([[[2]]]);
    const k3 = fromKerasConfig({ class_name: 'SimpleRNN', config }).apply(x) as tf.Tensor;
    const k2 = fromKerasConfig(
      { class_name: 'SimpleRNN', config },
      { kerasVersion: '2.4.0' },
    ).apply(x) as tf.Tensor;
    expect(k3.dataSync()[0]).toBeCloseTo(2 / 6 + 0.5, 6);
    expect(k2.dataSync()[0]).toBeCloseTo(0.2 * 2 + 0.5, 6);
  });
});
