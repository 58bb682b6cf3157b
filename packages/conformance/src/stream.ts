/**
 * The stream suite: for every recurrent family, streaming T steps through `layer.stream()`
 * gives the outputs and final states of one whole-sequence `apply` over the same steps on the
 * same backend (with masks, `zeroOutputForMask` and initial states), and a long stream leaks no
 * tensors. A backend that registers step kernels states it with `expectFused`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTM2D,
  dispatchPath,
  getDispatchStats,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  SimpleRNN,
  type RecurrentLayer,
} from '@rnnkit/core';
import { seededTensor } from './data.js';
import type { TestApi } from './suite.js';

/** Options of {@link defineStreamSuite}. */
export interface StreamSuiteOptions {
  backend: string;
  init?: () => Promise<void>;
  /** Dense families (SimpleRNN, LSTM, GRU and stacks of them) must stream on step kernels. */
  expectFused?: boolean;
  /** Per-test timeout in ms. */
  timeout?: number;
}

interface StreamCase {
  name: string;
  make: () => RecurrentLayer;
  batch: number;
  steps: number;
  /** One row's input shape. */
  input: number[];
  masked: boolean;
  dense: boolean;
}

const common = { returnSequences: true, returnState: true } as const;

const CASES: StreamCase[] = [
  {
    name: 'SimpleRNN',
    make: () => new SimpleRNN({ units: 5, ...common }),
    batch: 3,
    steps: 7,
    input: [4],
    masked: true,
    dense: true,
  },
  {
    name: 'LSTM',
    make: () => new LSTM({ units: 6, ...common }),
    batch: 3,
    steps: 7,
    input: [4],
    masked: true,
    dense: true,
  },
  {
    name: 'LSTM zeroOutputForMask, hard_sigmoid and relu',
    make: () =>
      new LSTM({
        units: 5,
        recurrentActivation: 'hard_sigmoid',
        activation: 'relu',
        zeroOutputForMask: true,
        ...common,
      }),
    batch: 2,
    steps: 6,
    input: [3],
    masked: true,
    dense: true,
  },
  {
    name: 'GRU resetAfter',
    make: () => new GRU({ units: 6, ...common }),
    batch: 3,
    steps: 7,
    input: [4],
    masked: true,
    dense: true,
  },
  {
    name: 'GRU resetAfter false',
    make: () => new GRU({ units: 5, resetAfter: false, ...common }),
    batch: 2,
    steps: 7,
    input: [4],
    masked: true,
    dense: true,
  },
  {
    name: 'RNN stacked LSTM and GRU cells',
    make: () =>
      new RNN({ cell: [new LSTMCell({ units: 4 }), new GRUCell({ units: 3 })], ...common }),
    batch: 2,
    steps: 6,
    input: [5],
    masked: true,
    dense: true,
  },
  {
    name: 'LSTM 128 units, batch 1',
    make: () => new LSTM({ units: 128, ...common }),
    batch: 1,
    steps: 20,
    input: [32],
    masked: false,
    dense: true,
  },
  {
    name: 'ConvLSTM2D',
    make: () => new ConvLSTM2D({ filters: 3, kernelSize: 3, padding: 'same', ...common }),
    batch: 2,
    steps: 4,
    input: [5, 4, 2],
    masked: true,
    dense: false,
  },
];

/** Sets seeded weights of modest size on `layer` for rows of shape `input`. */
function seedWeights(layer: RecurrentLayer, input: number[], seed: number): void {
  const specs = layer.weightSpecs([null, null, ...input]);
  const weights = specs.map((s, i) => seededTensor(s.shape as number[], seed + i, 0.5));
  layer.setWeights(weights);
  weights.forEach((w) => w.dispose());
}

/** The rows of step `t` of `x` `[B, T, ...]` as a `[B, ...]` tensor. */
function stepOf(x: tf.Tensor, t: number): tf.Tensor {
  return tf.tidy(() => tf.squeeze(tf.slice(x, [0, t], [-1, 1]), [1]));
}

function closeTo(name: string, got: Float32Array, want: Float32Array): void {
  if (got.length !== want.length)
    throw new Error(`${name}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`${name}[${i}]: got ${got[i]}, want ${want[i]} (whole-sequence call)`);
    }
  }
}

/** Registers the stream tests on `options.backend`. */
export function defineStreamSuite(api: TestApi, options: StreamSuiteOptions): void {
  api.describe(`streams on ${options.backend}`, () => {
    api.beforeAll(async () => {
      if (options.init != null) await options.init();
      if (tf.getBackend() !== options.backend) await tf.setBackend(options.backend);
    }, 120_000);
    CASES.forEach((c, k) => {
      api.it(
        `${c.name}: streaming equals the whole-sequence call`,
        () => {
          const layer = c.make();
          seedWeights(layer, c.input, 100 * k + 1);
          const x = seededTensor([c.batch, c.steps, ...c.input], 100 * k + 50);
          // Row b skips steps where (b + t) % 3 === 1; the first row also skips its first step.
          const maskValues = Array.from({ length: c.batch * c.steps }, (_, i) => {
            const b = Math.floor(i / c.steps);
            const t = i % c.steps;
            return !((b + t) % 3 === 1 || (b === 0 && t === 0));
          });
          const mask = c.masked ? tf.tensor2d(maskValues, [c.batch, c.steps], 'bool') : undefined;
          const stream = layer.stream({ batch: c.batch, inputShape: c.input });
          const initial = stream.stateShapes.map((s, i) => seededTensor([...s], 100 * k + 70 + i));
          const [sequence, ...finalStates] = layer.apply(x, {
            mask,
            initialState: initial,
          }) as tf.Tensor[];
          if (options.expectFused === true && c.dense && stream.path !== 'fused') {
            throw new Error(`${c.name}: expected the fused step path, got ${stream.path}`);
          }
          stream.reset(initial);
          let last: Float32Array[] = [];
          for (let t = 0; t < c.steps; t++) {
            const xt = stepOf(x, t);
            const values = xt.dataSync() as Float32Array;
            const rows = maskValues.filter((_, i) => i % c.steps === t);
            // Alternate the two input forms: a Float32Array, then the tensor itself.
            const input = t % 2 === 0 ? values.slice() : xt;
            last = stream.step(input, c.masked ? { mask: rows } : {});
            const want = stepOf(sequence, t);
            closeTo(`${c.name} step ${t} output`, last[0], want.dataSync() as Float32Array);
            want.dispose();
            xt.dispose();
          }
          finalStates.forEach((s, i) =>
            closeTo(`${c.name} final state ${i}`, last[i + 1], s.dataSync() as Float32Array),
          );
          stream.dispose();
          tf.dispose([x, sequence, ...finalStates, ...initial]);
          mask?.dispose();
          layer.dispose();
        },
        options.timeout,
      );
    });

    for (const family of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
      api.it(
        `stateful ${family} fed one step per apply equals the whole-sequence call`,
        () => {
          const [batch, steps, features, units] = [2, 6, 3, 5];
          const make = (stateful: boolean) => {
            const args = {
              units,
              returnState: true,
              stateful,
              ...(stateful ? { batchInputShape: [batch, 1, features] } : {}),
            };
            return family === 'LSTM'
              ? new LSTM(args)
              : family === 'GRU'
                ? new GRU(args)
                : new SimpleRNN(args);
          };
          const whole = make(false);
          const stepped = make(true);
          seedWeights(whole, [features], 11);
          seedWeights(stepped, [features], 11);
          const x = seededTensor([batch, steps, features], 12);
          const [want, ...wantStates] = whole.apply(x) as tf.Tensor[];
          const stats = getDispatchStats();
          let last: tf.Tensor[] = [];
          for (let t = 0; t < steps; t++) {
            const xt = tf.slice(x, [0, t], [-1, 1]);
            tf.dispose(last);
            last = stepped.apply(xt) as tf.Tensor[];
            xt.dispose();
          }
          const path = dispatchPath(stats, getDispatchStats());
          if (options.expectFused === true && path !== 'fused') {
            throw new Error(`stateful ${family}: expected fused steps, got ${path}`);
          }
          closeTo(
            `stateful ${family} output`,
            last[0].dataSync() as Float32Array,
            want.dataSync() as Float32Array,
          );
          const held = stepped.getStates()!;
          wantStates.forEach((s, i) => {
            closeTo(
              `stateful ${family} state ${i}`,
              last[i + 1].dataSync() as Float32Array,
              s.dataSync() as Float32Array,
            );
            closeTo(
              `stateful ${family} getStates()[${i}]`,
              held[i].dataSync() as Float32Array,
              s.dataSync() as Float32Array,
            );
          });
          // A reset keeps the declared batch: the next step starts again from zeros.
          stepped.resetStates();
          const x0 = tf.slice(x, [0, 0], [-1, 1]);
          const [again, ...againStates] = stepped.apply(x0) as tf.Tensor[];
          const [first] = whole.apply(x0) as tf.Tensor[];
          closeTo(
            `stateful ${family} after resetStates()`,
            again.dataSync() as Float32Array,
            first.dataSync() as Float32Array,
          );
          tf.dispose([x0, again, ...againStates, first]);
          stepped.resetStates(wantStates);
          // A two-step call continues from the states the one-step calls left.
          const more = seededTensor([batch, 2, features], 13);
          const [next] = stepped.apply(more) as tf.Tensor[];
          const [wantNext] = whole.apply(more, { initialState: wantStates }) as tf.Tensor[];
          closeTo(
            `stateful ${family} after steps`,
            next.dataSync() as Float32Array,
            wantNext.dataSync() as Float32Array,
          );
          tf.dispose([x, want, ...wantStates, ...last, ...held, more, next, wantNext]);
          whole.dispose();
          stepped.dispose();
        },
        options.timeout,
      );
    }

    api.it(
      'a stateful goBackwards layer fed one step per apply still runs',
      () => {
        const layer = new LSTM({
          units: 3,
          stateful: true,
          goBackwards: true,
          batchInputShape: [1, 1, 2],
        });
        const plain = new LSTM({ units: 3 });
        seedWeights(layer, [2], 21);
        seedWeights(plain, [2], 21);
        const x = seededTensor([1, 1, 2], 22);
        const y = layer.apply(x) as tf.Tensor;
        const want = plain.apply(x) as tf.Tensor;
        closeTo(
          'stateful goBackwards step',
          y.dataSync() as Float32Array,
          want.dataSync() as Float32Array,
        );
        tf.dispose([x, y, want]);
        layer.dispose();
        plain.dispose();
      },
      options.timeout,
    );

    api.it(
      'a long stream keeps the tensor count flat',
      () => {
        const layer = new LSTM({ units: 16, returnState: true });
        seedWeights(layer, [8], 7);
        const stream = layer.stream({ batch: 2 });
        const x = new Float32Array(16).fill(0.25);
        stream.step(x);
        const before = tf.memory().numTensors;
        for (let i = 0; i < 500; i++) stream.step(x, { mask: [true, i % 2 === 0] });
        const after = tf.memory().numTensors;
        stream.dispose();
        layer.dispose();
        if (after !== before)
          throw new Error(`tensors: ${before} before, ${after} after 500 steps`);
      },
      options.timeout,
    );
  });
}
