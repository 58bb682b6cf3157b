/**
 * Forms Keras 3 (and tf.keras 2) write that a loader must read: `keras.ops` calls saved as graph
 * nodes, explicit `mask=` tensors, `[null, null]` masks, and weight groups named with
 * backslashes. Expected values come from the float64 Keras equations in ./reference.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { KerasModelError, loadKerasModel } from '../src/index.js';
import { nestBackslashNames, type H5Group } from '../src/hdf5/tree.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { values, workspaceBackends } from './helpers.js';
import { lstm, mat, simpleRnn } from './reference.js';
import { kt, synthetic } from './synthetic.js';

const TOL = 1e-4;

beforeAll(() => workspaceBackends()[0].init());

/** A Keras 3 functional layer entry. */
function node(
  className: string,
  config: Record<string, unknown>,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
  module = 'keras.layers',
): unknown {
  return {
    module,
    class_name: className,
    config,
    name: config.name,
    inbound_nodes: args.length === 0 ? [] : [{ args, kwargs }],
  };
}

/** A Keras 3 operation node (`keras.ops` call). */
function op(
  className: string,
  name: string,
  args: unknown[],
  config: Record<string, unknown> = {},
): unknown {
  return node(className, { name, ...config }, args, {}, 'keras.src.ops.numpy');
}

const slice = (start: number | null, stop: number | null, step: number | null = null) => ({
  class_name: '__slice__',
  config: { start, stop, step },
});

function functional(layers: unknown[], inputs: string[], outputs: string[]): unknown {
  return {
    class_name: 'Functional',
    config: {
      name: 'model',
      layers,
      input_layers: inputs.map((n) => [n, 0, 0]),
      output_layers: outputs.map((n) => [n, 0, 0]),
    },
  };
}

describe('keras.ops nodes and an explicit mask (Embedding mask in a Keras 3 functional model)', () => {
  // Keras 3 saves `LSTM(...)(emb, mask=ops.not_equal(ids, 0))` with a NotEqual node; the slice
  // `seq[:, -1, :]` and `ops.mean(seq, axis=1)` are GetItem and Mean nodes.
  const layers = [
    node('InputLayer', { name: 'ids', batch_shape: [null, 5], dtype: 'int32' }, []),
    node('Embedding', { name: 'emb', input_dim: 6, output_dim: 2 }, [kt('ids')]),
    op('NotEqual', 'not_equal', [kt('ids'), 0]),
    node('LSTM', { name: 'lstm', units: 3, return_sequences: true }, [kt('emb')], {
      mask: kt('not_equal'),
      training: false,
    }),
    op('GetItem', 'get_item', [kt('lstm'), [slice(null, null), -1, slice(null, null)]]),
    op('Mean', 'mean', [kt('lstm')], { axis: 1, keepdims: false }),
    op('GetItem', 'every_other', [
      kt('lstm'),
      [{ class_name: '__ellipsis__', config: {} }, slice(0, null, 2)],
    ]),
  ];
  const s = synthetic(
    functional(layers, ['ids'], ['get_item', 'mean', 'every_other']),
    [
      { name: 'emb/embeddings', shape: [6, 2] },
      { name: 'lstm/kernel', shape: [2, 12] },
      { name: 'lstm/recurrent_kernel', shape: [3, 12] },
      { name: 'lstm/bias', shape: [12] },
    ],
    '3.9.1',
  );
  const ids = [
    [3, 0, 5, 1, 0],
    [0, 0, 2, 4, 4],
  ];

  it('masks the LSTM with the NotEqual output and runs the slices and the mean', async () => {
    const model = await loadKerasModel(s.json, s.options);
    const w = s.weights;
    const emb = mat(w['emb/embeddings'], 6, 2);
    const seqs = ids.map(
      (row) =>
        lstm(
          row.map((i) => emb[i]),
          mat(w['lstm/kernel'], 2, 12),
          mat(w['lstm/recurrent_kernel'], 3, 12),
          [...w['lstm/bias']],
          3,
          { returnSequences: true, mask: row.map((i) => i !== 0) },
        ).output as number[][],
    );
    const got = model.predict(tf.tensor2d(ids, [2, 5], 'int32'), {
      outputs: ['lstm', 'get_item', 'mean', 'every_other'],
    });
    expect(got.get_item.shape).toEqual([2, 3]);
    expect(got.every_other.shape).toEqual([2, 5, 2]);
    expect(maxRelError(values(got.lstm), seqs.flat(2))).toBeLessThanOrEqual(TOL);
    expect(maxRelError(values(got.get_item), seqs.map((q) => q[4]).flat())).toBeLessThanOrEqual(
      TOL,
    );
    const mean = seqs.map((q) => [0, 1, 2].map((u) => q.reduce((a, h) => a + h[u], 0) / 5));
    expect(maxRelError(values(got.mean), mean.flat())).toBeLessThanOrEqual(TOL);
    const everyOther = seqs.map((q) => q.map((h) => [h[0], h[2]]));
    expect(maxRelError(values(got.every_other), everyOther.flat(2))).toBeLessThanOrEqual(TOL);
    // The model's shapes follow the operations.
    const info = new Map(model.layers.map((l) => [l.name, l.outputShapes[0]]));
    expect(info.get('not_equal')).toEqual([null, 5]);
    expect(info.get('get_item')).toEqual([null, 3]);
    expect(info.get('mean')).toEqual([null, 3]);
    tf.dispose(Object.values(got));
    model.dispose();
  });

  it('refuses a mask that does not cover the input, and an unknown operation', async () => {
    const badMask = layers.map((l) =>
      (l as { name: string }).name === 'not_equal'
        ? op('GetItem', 'not_equal', [kt('ids'), [slice(null, null), 0]])
        : l,
    );
    const bad = synthetic(
      functional(badMask, ['ids'], ['get_item']),
      [
        { name: 'emb/embeddings', shape: [6, 2] },
        { name: 'lstm/kernel', shape: [2, 12] },
        { name: 'lstm/recurrent_kernel', shape: [3, 12] },
        { name: 'lstm/bias', shape: [12] },
      ],
      '3.9.1',
    );
    await expect(loadKerasModel(bad.json, bad.options)).rejects.toThrow(
      /layer 'lstm' call 0 gets mask \(None,\) for input \(None, 5, 2\); expected \(batch, time\)/,
    );
    const unknown = synthetic(
      functional(
        [
          node('InputLayer', { name: 'x', batch_shape: [null, 4] }, []),
          op('Einsum', 'einsum', [kt('x')], { subscripts: 'ij->ji' }),
        ],
        ['x'],
        ['einsum'],
      ),
      [],
      '3.9.1',
    );
    const err = await loadKerasModel(unknown.json, unknown.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KerasModelError);
    expect(String(err)).toMatch(
      /operation 'einsum' \(Einsum\).*is not supported \(supported: .*GetItem/,
    );
  });

  it('refuses an index out of range with the operation named', async () => {
    const s2 = synthetic(
      functional(
        [
          node('InputLayer', { name: 'x', batch_shape: [null, 4, 2] }, []),
          op('GetItem', 'pick', [kt('x'), [slice(null, null), 4]]),
        ],
        ['x'],
        ['pick'],
      ),
      [],
      '3.9.1',
    );
    await expect(loadKerasModel(s2.json, s2.options)).rejects.toThrow(
      /operation 'pick' \(GetItem\): index 4 is out of range for an axis of size 4/,
    );
  });
});

describe('mask arguments', () => {
  const weights = [
    { name: 'lstm/kernel', shape: [2, 12] },
    { name: 'lstm/recurrent_kernel', shape: [3, 12] },
    { name: 'lstm/bias', shape: [12] },
  ];
  const xs = [
    [
      [0.5, -1],
      [0.25, 0.75],
      [1, 0],
    ],
  ];

  it('reads Keras 3 `mask: [null, null]` (a call without masks) as no mask', async () => {
    const s = synthetic(
      functional(
        [
          node('InputLayer', { name: 'a', batch_shape: [null, 3, 2] }, []),
          node('InputLayer', { name: 'b', batch_shape: [null, 3, 2] }, []),
          node('Concatenate', { name: 'cat', axis: -1 }, [[kt('a'), kt('b')]], {
            mask: [null, null],
          }),
        ],
        ['a', 'b'],
        ['cat'],
      ),
      [],
      '3.9.1',
    );
    const model = await loadKerasModel(s.json, s.options);
    const y = model.predict([tf.tensor3d(xs), tf.tensor3d(xs)]) as tf.Tensor;
    expect(values(y)).toEqual(xs[0].flatMap((step) => [...step, ...step]));
    tf.dispose(y);
    model.dispose();
  });

  it('honours a tf.keras 2 mask keyword argument written as a [layer, node, tensor] history', async () => {
    // `LSTM(3)(x, mask=m)` where m is a second model input, as tf.keras 2 writes it.
    const s = synthetic(
      {
        class_name: 'Functional',
        config: {
          name: 'm',
          layers: [
            {
              class_name: 'InputLayer',
              name: 'x',
              config: { name: 'x', batch_input_shape: [null, 3, 2] },
              inbound_nodes: [],
            },
            {
              class_name: 'InputLayer',
              name: 'm',
              config: { name: 'm', batch_input_shape: [null, 3], dtype: 'bool' },
              inbound_nodes: [],
            },
            {
              class_name: 'LSTM',
              name: 'lstm',
              config: { name: 'lstm', units: 3 },
              inbound_nodes: [[['x', 0, 0, { mask: ['m', 0, 0] }]]],
            },
          ],
          input_layers: [
            ['x', 0, 0],
            ['m', 0, 0],
          ],
          output_layers: [['lstm', 0, 0]],
        },
      },
      weights,
      '2.9.0',
    );
    const model = await loadKerasModel(s.json, s.options);
    const w = s.weights;
    const mask = [true, false, true];
    const want = lstm(
      xs[0],
      mat(w['lstm/kernel'], 2, 12),
      mat(w['lstm/recurrent_kernel'], 3, 12),
      [...w['lstm/bias']],
      3,
      { mask },
    ).output as number[];
    const y = model.predict([tf.tensor3d(xs), tf.tensor2d([mask], [1, 3], 'bool')]) as tf.Tensor;
    expect(maxRelError(values(y), want)).toBeLessThanOrEqual(TOL);
    // Unmasked, the answer differs: the mask really was applied.
    const all = lstm(
      xs[0],
      mat(w['lstm/kernel'], 2, 12),
      mat(w['lstm/recurrent_kernel'], 3, 12),
      [...w['lstm/bias']],
      3,
    ).output as number[];
    expect(maxRelError(all, want)).toBeGreaterThan(1e-3);
    tf.dispose(y);
    model.dispose();
  });

  it('refuses a mask list that does not match the inputs', async () => {
    const s = synthetic(
      functional(
        [
          node('InputLayer', { name: 'a', batch_shape: [null, 3, 2] }, []),
          node('InputLayer', { name: 'm', batch_shape: [null, 3], dtype: 'bool' }, []),
          node('LSTM', { name: 'lstm', units: 3 }, [kt('a')], { mask: [kt('m'), kt('m')] }),
        ],
        ['a', 'm'],
        ['lstm'],
      ),
      weights,
      '3.9.1',
    );
    await expect(loadKerasModel(s.json, s.options)).rejects.toThrow(
      /layer 'lstm' call 0 passes 2 mask\(s\) for 1 input\(s\); expected one per input/,
    );
  });
});

describe('weight groups named with backslashes (.keras saved on Windows)', () => {
  it('nests `layers\\lstm\\cell` under layers/lstm/cell, merging groups that appear twice', () => {
    const data = { kind: 'dataset' as const, attrs: {}, shape: [1], dtype: 'float32' };
    const root: H5Group = {
      kind: 'group',
      attrs: {},
      children: [
        [
          'layers\\lstm\\cell',
          {
            kind: 'group',
            attrs: {},
            children: [
              [
                'vars',
                {
                  kind: 'group',
                  attrs: { name: 'cell' },
                  children: [['0', { ...data, data: null, problem: null }]],
                },
              ],
            ],
          },
        ],
        [
          'layers\\lstm',
          {
            kind: 'group',
            attrs: { a: 1 },
            children: [['vars', { kind: 'group', attrs: {}, children: [] }]],
          },
        ],
        ['optimizer', { kind: 'group', attrs: {}, children: [] }],
      ],
    };
    const nested = nestBackslashNames(root);
    expect(nested.children.map(([k]) => k)).toEqual(['layers', 'optimizer']);
    const layers = nested.children[0][1] as H5Group;
    expect(layers.children.map(([k]) => k)).toEqual(['lstm']);
    const lstmGroup = layers.children[0][1] as H5Group;
    expect(lstmGroup.attrs).toEqual({ a: 1 });
    expect(lstmGroup.children.map(([k]) => k)).toEqual(['cell', 'vars']);
  });
});

describe('Concatenate masks follow the writing Keras', () => {
  // Two Embedding(mask_zero) branches concatenated on the features, then a SimpleRNN:
  // tf.keras 2 keeps a step when both masks keep it (`all`), Keras 3 when either does (`any`).
  const model = (version: string) =>
    synthetic(
      functional(
        [
          node('InputLayer', { name: 'a', batch_shape: [null, 4], dtype: 'int32' }, []),
          node('InputLayer', { name: 'b', batch_shape: [null, 4], dtype: 'int32' }, []),
          node('Embedding', { name: 'ea', input_dim: 5, output_dim: 2, mask_zero: true }, [
            kt('a'),
          ]),
          node('Embedding', { name: 'eb', input_dim: 5, output_dim: 2, mask_zero: true }, [
            kt('b'),
          ]),
          node('Concatenate', { name: 'cat', axis: -1 }, [[kt('ea'), kt('eb')]]),
          node('SimpleRNN', { name: 'rnn', units: 2 }, [kt('cat')]),
        ],
        ['a', 'b'],
        ['rnn'],
      ),
      [
        { name: 'ea/embeddings', shape: [5, 2] },
        { name: 'eb/embeddings', shape: [5, 2] },
        { name: 'rnn/kernel', shape: [4, 2] },
        { name: 'rnn/recurrent_kernel', shape: [2, 2] },
        { name: 'rnn/bias', shape: [2] },
      ],
      version,
    );
  const a = [1, 0, 2, 0];
  const b = [3, 4, 0, 0];

  for (const [version, combine] of [
    ['2.9.0', (x: boolean, y: boolean) => x && y],
    ['3.9.1', (x: boolean, y: boolean) => x || y],
  ] as const) {
    it(`Keras ${version}`, async () => {
      const s = model(version);
      const loaded = await loadKerasModel(s.json, s.options);
      const w = s.weights;
      const ea = mat(w['ea/embeddings'], 5, 2);
      const eb = mat(w['eb/embeddings'], 5, 2);
      const steps = a.map((id, t) => [...ea[id], ...eb[b[t]]]);
      const want = simpleRnn(
        steps,
        mat(w['rnn/kernel'], 4, 2),
        mat(w['rnn/recurrent_kernel'], 2, 2),
        [...w['rnn/bias']],
        2,
        { mask: a.map((id, t) => combine(id !== 0, b[t] !== 0)) },
      ).output as number[];
      const y = loaded.predict([
        tf.tensor2d([a], [1, 4], 'int32'),
        tf.tensor2d([b], [1, 4], 'int32'),
      ]) as tf.Tensor;
      expect(maxRelError(values(y), want)).toBeLessThanOrEqual(TOL);
      tf.dispose(y);
      loaded.dispose();
    });
  }
});
