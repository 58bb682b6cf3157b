/**
 * Layer semantics on small synthetic models (Keras configs in a tfjs container), checked against
 * the float64 Keras equations in ./reference.ts: mask flow, version-dependent activations,
 * Keras 3 and Keras 2 functional graphs, initial states, batch-size freedom, input checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { KerasModelError, loadKerasModel } from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { values, workspaceBackends } from './helpers.js';
import { dense, lstm, mat, sigmoid, simpleRnn } from './reference.js';
import { kt, layer, sequential, synthetic } from './synthetic.js';

const TOL = 1e-4;
const m = (w: Float32Array, rows: number, cols: number) => mat(w, rows, cols);

beforeAll(() => workspaceBackends()[0].init());

describe('masking', () => {
  // Masking → LSTM(return_sequences) → TimeDistributed(Dense): masked steps keep the state and
  // repeat the previous output; the mask passes through the Dense.
  const model = sequential('masked', [
    layer('InputLayer', { name: 'in', batch_shape: [null, 5, 2] }),
    layer('Masking', { name: 'mask', mask_value: -1 }),
    layer('LSTM', { name: 'lstm', units: 3, return_sequences: true }),
    layer('TimeDistributed', {
      name: 'td',
      layer: layer('Dense', { name: 'd', units: 2, activation: 'sigmoid' }),
    }),
    layer('SimpleRNN', { name: 'top', units: 2 }),
  ]);
  const s = synthetic(
    model,
    [
      { name: 'lstm/kernel', shape: [2, 12] },
      { name: 'lstm/recurrent_kernel', shape: [3, 12] },
      { name: 'lstm/bias', shape: [12] },
      { name: 'td/kernel', shape: [3, 2] },
      { name: 'td/bias', shape: [2] },
      { name: 'top/kernel', shape: [2, 2] },
      { name: 'top/recurrent_kernel', shape: [2, 2] },
      { name: 'top/bias', shape: [2] },
    ],
    '2.4.0',
  );
  const xs = [
    [
      [0.5, -0.25],
      [-1, -1],
      [1, 2],
      [-1, -1],
      [0.25, 0.75],
    ],
    [
      [-1, -1],
      [-1, -1],
      [0.5, 0.5],
      [1, -1],
      [-1, -1],
    ],
  ];

  it('Masking masks all-equal steps; the LSTM skips them and the mask flows on', async () => {
    const model = await loadKerasModel(s.json, s.options);
    const w = s.weights;
    const td: number[] = [];
    const top: number[] = [];
    for (const x of xs) {
      const mask = x.map((step) => !step.every((v) => v === -1));
      const seq = lstm(
        x,
        m(w['lstm/kernel'], 2, 12),
        m(w['lstm/recurrent_kernel'], 3, 12),
        [...w['lstm/bias']],
        3,
        {
          returnSequences: true,
          mask,
        },
      ).output as number[][];
      const steps = seq.map((h) => dense(h, m(w['td/kernel'], 3, 2), [...w['td/bias']], sigmoid));
      td.push(...steps.flat());
      // The mask reaches the top SimpleRNN through the LSTM and TimeDistributed(Dense).
      top.push(
        ...(simpleRnn(
          steps,
          m(w['top/kernel'], 2, 2),
          m(w['top/recurrent_kernel'], 2, 2),
          [...w['top/bias']],
          2,
          { mask },
        ).output as number[]),
      );
    }
    const got = model.predict(tf.tensor3d(xs), { outputs: ['td', 'mask', 'top'] });
    expect(maxRelError(values(got.td), td)).toBeLessThanOrEqual(TOL);
    expect(maxRelError(values(got.top), top)).toBeLessThanOrEqual(TOL);
    // Masked steps of the Masking output are zeros.
    expect(values(got.mask).slice(2, 4)).toEqual([0, 0]);
    tf.dispose(Object.values(got));
    model.dispose();
  });
});

describe('Bidirectional with return_sequences and a mask', () => {
  const cfg = sequential('bi', [
    layer('InputLayer', { name: 'in', batch_shape: [null, 4] }),
    layer('Embedding', { name: 'emb', input_dim: 6, output_dim: 2, mask_zero: true }),
    layer('Bidirectional', {
      name: 'bi',
      merge_mode: 'concat',
      layer: layer('SimpleRNN', { name: 'rnn', units: 2, return_sequences: true }),
    }),
    // Dense on a sequence passes the mask on to the next recurrent layer.
    layer('Dense', { name: 'd', units: 2 }),
    layer('SimpleRNN', { name: 'top', units: 2 }),
  ]);
  const s = synthetic(
    cfg,
    [
      { name: 'emb/embeddings', shape: [6, 2] },
      { name: 'bi/forward_rnn/kernel', shape: [2, 2] },
      { name: 'bi/forward_rnn/recurrent_kernel', shape: [2, 2] },
      { name: 'bi/forward_rnn/bias', shape: [2] },
      { name: 'bi/backward_rnn/kernel', shape: [2, 2] },
      { name: 'bi/backward_rnn/recurrent_kernel', shape: [2, 2] },
      { name: 'bi/backward_rnn/bias', shape: [2] },
      { name: 'd/kernel', shape: [4, 2] },
      { name: 'd/bias', shape: [2] },
      { name: 'top/kernel', shape: [2, 2] },
      { name: 'top/recurrent_kernel', shape: [2, 2] },
      { name: 'top/bias', shape: [2] },
    ],
    '3.3.0',
  );

  it('outputs zeros at masked steps in both halves, the backward half aligned to input time', async () => {
    const model = await loadKerasModel(s.json, s.options);
    const w = s.weights;
    const ids = [
      [2, 0, 5, 1],
      [0, 3, 4, 0],
    ];
    const emb = m(w['emb/embeddings'], 6, 2);
    const top: number[] = [];
    const want = ids.flatMap((row) => {
      const x = row.map((id) => emb[id]);
      const mask = row.map((id) => id !== 0);
      const p = (dir: string): [number[][], number[][], number[]] => [
        m(w[`bi/${dir}_rnn/kernel`], 2, 2),
        m(w[`bi/${dir}_rnn/recurrent_kernel`], 2, 2),
        [...w[`bi/${dir}_rnn/bias`]],
      ];
      const fw = simpleRnn(x, ...p('forward'), 2, {
        returnSequences: true,
        mask,
        zeroOutputForMask: true,
      }).output as number[][];
      const bwRev = simpleRnn(x, ...p('backward'), 2, {
        returnSequences: true,
        mask,
        zeroOutputForMask: true,
        goBackwards: true,
      }).output as number[][];
      const bw = [...bwRev].reverse();
      const merged = fw.map((f, t) => [...f, ...bw[t]]);
      const d = merged.map((v) => dense(v, m(w['d/kernel'], 4, 2), [...w['d/bias']]));
      top.push(
        ...(simpleRnn(
          d,
          m(w['top/kernel'], 2, 2),
          m(w['top/recurrent_kernel'], 2, 2),
          [...w['top/bias']],
          2,
          { mask },
        ).output as number[]),
      );
      return merged.flat();
    });
    const got = model.predict(tf.tensor2d(ids, undefined, 'int32'), { outputs: ['bi', 'top'] });
    expect(got.bi.shape).toEqual([2, 4, 4]);
    expect(maxRelError(values(got.bi), want)).toBeLessThanOrEqual(TOL);
    expect(maxRelError(values(got.top), top)).toBeLessThanOrEqual(TOL);
    tf.dispose(Object.values(got));
    model.dispose();
  });
});

describe('activations follow the Keras version of the file', () => {
  const cfg = sequential('hs', [
    layer('InputLayer', { name: 'in', batch_shape: [null, 2] }),
    layer('Dense', { name: 'd', units: 3, activation: 'hard_sigmoid' }),
  ]);
  const weights = [
    { name: 'd/kernel', shape: [2, 3] },
    { name: 'd/bias', shape: [3] },
  ];
  const x = [[1.5, -2.25]];

  for (const [version, hs] of [
    ['2.4.0', (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5))],
    ['3.1.0', (v: number) => Math.min(1, Math.max(0, v / 6 + 0.5))],
  ] as const) {
    it(`hard_sigmoid in a file from Keras ${version}`, async () => {
      // Small weights keep x·W + b inside (-2.5, 2.5), where the two definitions differ.
      const s = synthetic(cfg, weights, version, 11, 0.5);
      const model = await loadKerasModel(s.json, s.options);
      const want = dense(x[0], m(s.weights['d/kernel'], 2, 3), [...s.weights['d/bias']], hs);
      const y = model.predict(tf.tensor2d(x)) as tf.Tensor;
      expect(maxRelError(values(y), want)).toBeLessThanOrEqual(TOL);
      expect(values(y).every((v) => v > 0 && v < 1)).toBe(true);
      y.dispose();
      model.dispose();
    });
  }

  it('softmax acts on the last axis', async () => {
    const s = synthetic(
      sequential('sm', [
        layer('InputLayer', { name: 'in', batch_shape: [null, 2] }),
        layer('Dense', { name: 'd', units: 3, activation: 'softmax' }),
      ]),
      weights,
      '3.1.0',
    );
    const model = await loadKerasModel(s.json, s.options);
    const z = dense(x[0], m(s.weights['d/kernel'], 2, 3), [...s.weights['d/bias']]);
    const e = z.map(Math.exp);
    const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    const y = model.predict(tf.tensor2d(x)) as tf.Tensor;
    expect(maxRelError(values(y), want)).toBeLessThanOrEqual(TOL);
    y.dispose();
    model.dispose();
  });
});

describe('layers without mask support', () => {
  const cfg = (version: string) =>
    synthetic(
      sequential('fl', [
        layer('InputLayer', { name: 'in', batch_shape: [null, 3] }),
        layer('Embedding', { name: 'emb', input_dim: 5, output_dim: 2, mask_zero: true }),
        layer('Flatten', { name: 'flat' }),
        layer('Dense', { name: 'd', units: 1 }),
      ]),
      [
        { name: 'emb/embeddings', shape: [5, 2] },
        { name: 'd/kernel', shape: [6, 1] },
        { name: 'd/bias', shape: [1] },
      ],
      version,
    );

  it('Keras 2 refuses a mask reaching Flatten, naming the layer', async () => {
    const s = cfg('2.4.0');
    const model = await loadKerasModel(s.json, s.options);
    expect(() => model.predict(tf.tensor2d([[1, 0, 2]], undefined, 'int32'))).toThrow(
      /layer 'flat' \(Flatten\): does not support masking/,
    );
    model.dispose();
  });

  it('Keras 3 drops it', async () => {
    const s = cfg('3.1.0');
    const model = await loadKerasModel(s.json, s.options);
    const emb = m(s.weights['emb/embeddings'], 5, 2);
    const want = dense([...emb[1], ...emb[0], ...emb[2]], m(s.weights['d/kernel'], 6, 1), [
      ...s.weights['d/bias'],
    ]);
    const y = model.predict(tf.tensor2d([[1, 0, 2]], undefined, 'int32')) as tf.Tensor;
    expect(maxRelError(values(y), want)).toBeLessThanOrEqual(TOL);
    y.dispose();
    model.dispose();
  });

  it('an Embedding id outside [0, input_dim) is an error', async () => {
    const s = cfg('3.1.0');
    const model = await loadKerasModel(s.json, s.options);
    expect(() => model.predict(tf.tensor2d([[1, 7, 2]], undefined, 'int32'))).toThrow(
      /layer 'emb' \(Embedding\): input id 7 is outside \[0, 5\)/,
    );
    model.dispose();
  });
});

describe('functional graphs', () => {
  const lstmWeights = [
    { name: 'lstm/kernel', shape: [2, 12] },
    { name: 'lstm/recurrent_kernel', shape: [3, 12] },
    { name: 'lstm/bias', shape: [12] },
  ];

  function check(s: ReturnType<typeof synthetic>, outputs: tf.Tensor[]) {
    const x = [
      [0.5, -1],
      [1, 0.25],
      [-0.5, 0.75],
    ];
    const h0 = [0.1, -0.2, 0.3];
    const c0 = [-0.4, 0.5, 0.25];
    const w = s.weights;
    const r = lstm(
      x,
      m(w['lstm/kernel'], 2, 12),
      m(w['lstm/recurrent_kernel'], 3, 12),
      [...w['lstm/bias']],
      3,
      { initial: [h0, c0] },
    );
    expect(outputs.map((t) => t.shape)).toEqual([
      [1, 3],
      [1, 3],
      [1, 3],
    ]);
    expect(maxRelError(values(outputs[0]), r.output as number[])).toBeLessThanOrEqual(TOL);
    expect(maxRelError(values(outputs[1]), r.states[0])).toBeLessThanOrEqual(TOL);
    expect(maxRelError(values(outputs[2]), r.states[1])).toBeLessThanOrEqual(TOL);
    return { x: [x], h0: [h0], c0: [c0] };
  }

  it('Keras 3 form: keras tensors in args, initial_state in kwargs, several outputs', async () => {
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            config: { name: 'x', batch_shape: [8, 3, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'h0',
            config: { name: 'h0', batch_shape: [null, 3] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'c0',
            config: { name: 'c0', batch_shape: [null, 3] },
            inbound_nodes: [],
          },
          {
            class_name: 'LSTM',
            name: 'lstm',
            config: { name: 'lstm', units: 3, return_state: true },
            inbound_nodes: [
              {
                args: [kt('x')],
                kwargs: { training: false, mask: null, initial_state: [kt('h0'), kt('c0')] },
              },
            ],
          },
        ],
        input_layers: [
          ['x', 0, 0],
          ['h0', 0, 0],
          ['c0', 0, 0],
        ],
        output_layers: [
          ['lstm', 0, 0],
          ['lstm', 0, 1],
          ['lstm', 0, 2],
        ],
      },
    };
    const s = synthetic(cfg, lstmWeights, '3.4.1');
    const model = await loadKerasModel(s.json, s.options);
    expect(model.inputNames).toEqual(['x', 'h0', 'c0']);
    // The saved batch size (8) does not constrain prediction.
    const x = [
      [
        [0.5, -1],
        [1, 0.25],
        [-0.5, 0.75],
      ],
    ];
    const ys = model.predict({ x, h0: [[0.1, -0.2, 0.3]], c0: [[-0.4, 0.5, 0.25]] }) as tf.Tensor[];
    check(s, ys);
    const named = model.predict([x, [[0.1, -0.2, 0.3]], [[-0.4, 0.5, 0.25]]], {
      outputs: ['lstm:1'],
    });
    expect(values(named['lstm:1'])).toEqual(values(ys[1]));
    tf.dispose([...ys, ...Object.values(named)]);
    model.dispose();
  });

  it('Keras 2 form: initial states as extra inbound tensors', async () => {
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'k2',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            config: { name: 'x', batch_input_shape: [null, 3, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'h0',
            config: { name: 'h0', batch_input_shape: [null, 3] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'c0',
            config: { name: 'c0', batch_input_shape: [null, 3] },
            inbound_nodes: [],
          },
          {
            class_name: 'LSTM',
            name: 'lstm',
            config: { name: 'lstm', units: 3, return_state: true, time_major: false },
            inbound_nodes: [
              [
                ['x', 0, 0, {}],
                ['h0', 0, 0, {}],
                ['c0', 0, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [
          ['x', 0, 0],
          ['h0', 0, 0],
          ['c0', 0, 0],
        ],
        output_layers: [
          ['lstm', 0, 0],
          ['lstm', 0, 1],
          ['lstm', 0, 2],
        ],
      },
    };
    const s = synthetic(cfg, lstmWeights, '2.4.0');
    const model = await loadKerasModel(s.json, s.options);
    const ys = model.predict([
      tf.tensor3d([
        [
          [0.5, -1],
          [1, 0.25],
          [-0.5, 0.75],
        ],
      ]),
      tf.tensor2d([[0.1, -0.2, 0.3]]),
      tf.tensor2d([[-0.4, 0.5, 0.25]]),
    ]) as tf.Tensor[];
    check(s, ys);
    tf.dispose(ys);
    model.dispose();
  });

  it('a layer called twice (shared weights, Keras 2 node indices)', async () => {
    const cfg = {
      class_name: 'Model',
      config: {
        name: 'shared',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'a',
            config: { name: 'a', batch_input_shape: [null, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'b',
            config: { name: 'b', batch_input_shape: [null, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'Dense',
            name: 'd',
            config: { name: 'd', units: 2, activation: 'relu' },
            inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]],
          },
          {
            class_name: 'Subtract',
            name: 'diff',
            config: { name: 'diff' },
            inbound_nodes: [
              [
                ['d', 0, 0, {}],
                ['d', 1, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [['diff', 0, 0]],
      },
    };
    const s = synthetic(
      cfg,
      [
        { name: 'd/kernel', shape: [2, 2] },
        { name: 'd/bias', shape: [2] },
      ],
      '2.2.4',
    );
    const model = await loadKerasModel(s.json, s.options);
    const relu = (v: number) => Math.max(0, v);
    const W = m(s.weights['d/kernel'], 2, 2);
    const b = [...s.weights['d/bias']];
    const da = dense([0.5, 1], W, b, relu);
    const db = dense([-1, 0.25], W, b, relu);
    const y = model.predict({ a: [[0.5, 1]], b: [[-1, 0.25]] }) as tf.Tensor;
    expect(maxRelError(values(y), [da[0] - db[0], da[1] - db[1]])).toBeLessThanOrEqual(TOL);
    expect(model.countParams()).toBe(6);
    y.dispose();
    model.dispose();
  });

  it('RepeatVector, Concatenate and Add in a DAG', async () => {
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'dag',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            config: { name: 'x', batch_shape: [null, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'Dense',
            name: 'a',
            config: { name: 'a', units: 2, activation: 'tanh' },
            inbound_nodes: [{ args: [kt('x')], kwargs: {} }],
          },
          {
            class_name: 'Add',
            name: 'sum',
            config: { name: 'sum' },
            inbound_nodes: [{ args: [[kt('x'), kt('a')]], kwargs: {} }],
          },
          {
            class_name: 'Concatenate',
            name: 'cat',
            config: { name: 'cat', axis: -1 },
            inbound_nodes: [{ args: [[kt('sum'), kt('a')]], kwargs: {} }],
          },
          {
            class_name: 'RepeatVector',
            name: 'rep',
            config: { name: 'rep', n: 3 },
            inbound_nodes: [{ args: [kt('cat')], kwargs: {} }],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['rep', 0, 0]],
      },
    };
    const s = synthetic(
      cfg,
      [
        { name: 'a/kernel', shape: [2, 2] },
        { name: 'a/bias', shape: [2] },
      ],
      '3.4.1',
    );
    const model = await loadKerasModel(s.json, s.options);
    const x = [0.25, -0.5];
    const a = dense(x, m(s.weights['a/kernel'], 2, 2), [...s.weights['a/bias']], Math.tanh);
    const row = [x[0] + a[0], x[1] + a[1], ...a];
    const y = model.predict(tf.tensor2d([x])) as tf.Tensor;
    expect(y.shape).toEqual([1, 3, 4]);
    expect(maxRelError(values(y), [...row, ...row, ...row])).toBeLessThanOrEqual(TOL);
    y.dispose();
    model.dispose();
  });
});

describe('stateful recurrent layers', () => {
  it('carry their states across predict calls until resetStates', async () => {
    const s = synthetic(
      sequential('st', [
        layer('InputLayer', { name: 'in', batch_shape: [1, 3, 2] }),
        layer('LSTM', { name: 'lstm', units: 3, stateful: true }),
      ]),
      [
        { name: 'lstm/kernel', shape: [2, 12] },
        { name: 'lstm/recurrent_kernel', shape: [3, 12] },
        { name: 'lstm/bias', shape: [12] },
      ],
      '2.4.0',
    );
    const model = await loadKerasModel(s.json, s.options);
    const w = s.weights;
    const x = [
      [0.5, -1],
      [1, 0.25],
      [-0.5, 0.75],
    ];
    const [W, U, b] = [
      m(w['lstm/kernel'], 2, 12),
      m(w['lstm/recurrent_kernel'], 3, 12),
      [...w['lstm/bias']],
    ];
    const first = lstm(x, W, U, b, 3);
    const second = lstm(x, W, U, b, 3, { initial: first.states });
    const run = () => {
      const y = model.predict(tf.tensor3d([x])) as tf.Tensor;
      const v = values(y);
      y.dispose();
      return v;
    };
    expect(maxRelError(run(), first.output as number[])).toBeLessThanOrEqual(TOL);
    expect(maxRelError(run(), second.output as number[])).toBeLessThanOrEqual(TOL);
    model.resetStates();
    expect(maxRelError(run(), first.output as number[])).toBeLessThanOrEqual(TOL);
    // Its states are for the saved batch of 1: another batch is refused, even after a reset.
    model.resetStates();
    expect(() => model.predict(tf.tensor3d([x, x]))).toThrow(
      /lstm: this stateful layer holds states for a batch of 1 \(its batch_input_shape\); got an input with a batch of 2/,
    );
    model.dispose();
  });
});

describe('predict checks its input', () => {
  const s = synthetic(
    sequential('p', [
      layer('InputLayer', { name: 'in', batch_shape: [3, 4, 2] }),
      layer('SimpleRNN', { name: 'rnn', units: 2 }),
    ]),
    [
      { name: 'rnn/kernel', shape: [2, 2] },
      { name: 'rnn/recurrent_kernel', shape: [2, 2] },
      { name: 'rnn/bias', shape: [2] },
    ],
    '3.1.0',
  );

  it('any batch size; other dimensions must match', async () => {
    const model = await loadKerasModel(s.json, s.options);
    const y = model.predict(tf.zeros([5, 4, 2])) as tf.Tensor;
    expect(y.shape).toEqual([5, 2]);
    y.dispose();
    expect(() => model.predict(tf.zeros([1, 4, 3]))).toThrow(
      /predict input 'in': expected shape \(None, 4, 2\), got \(1, 4, 3\)/,
    );
    expect(() => model.predict(tf.zeros([1, 4, 2]), { outputs: ['nope'] })).toThrow(
      /no layer named 'nope'/,
    );
    expect(() => model.predict({ other: [[[1, 2]]] })).toThrow(/unknown input 'other'/);
    expect(() => model.predict([[[1, 2], [3]]] as unknown as number[][][])).toThrow(
      KerasModelError,
    );
    model.dispose();
  });
});
