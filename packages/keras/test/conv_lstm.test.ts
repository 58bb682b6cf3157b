/**
 * ConvLSTM layers through the loader: the real ocean forecaster (ConvLSTM2D → BatchNormalization
 * → Dropout → Flatten → Dense, a legacy .h5), loaded with the built-in layers only, against its
 * expected.json on every backend; and ConvLSTM1D/2D/3D from tfjs model.json and Keras 3 .keras
 * files against tfjs-layers' ConvLSTM2D.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import { loadKerasModel, type KerasModel } from '../src/index.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { flat, WILD_MODELS, workspaceBackends } from './helpers.js';
import { rng } from './mutate.js';
import { kerasArchive, layer, sequential, synthetic } from './synthetic.js';

const OCEAN = join(WILD_MODELS, 'convlstm2d_bn_ocean_k370');
const TOLERANCE = 1e-4;

interface Expected {
  input: unknown;
  input_shape: number[];
  outputs: Record<string, unknown>;
}

describe.skipIf(!existsSync(join(OCEAN, 'expected.json')))('ConvLSTM2D in a real model', () => {
  const e = existsSync(join(OCEAN, 'expected.json'))
    ? (JSON.parse(readFileSync(join(OCEAN, 'expected.json'), 'utf8')) as Expected)
    : null;

  for (const backend of workspaceBackends()) {
    describe(`convlstm2d_bn_ocean_k370 on ${backend.name}`, () => {
      let model: KerasModel | null = null;
      let ready = false;
      beforeAll(async () => {
        try {
          await backend.init();
          ready = true;
        } catch (error) {
          if (backend.name === 'cpu') throw error;
          console.warn(`skipping ${backend.name}: init failed (${String(error)})`);
        }
        if (ready) {
          model = await loadKerasModel(join(OCEAN, 'convlstm_model.h5'));
        }
      }, 120_000);
      afterAll(() => model?.dispose());

      it('reads the ConvLSTM2D shapes and weights from the file', ({ skip }) => {
        if (!ready) skip();
        const info = model!.layers.find((l) => l.name === 'conv_lstm2d_4')!;
        expect(info.className).toBe('ConvLSTM2D');
        expect(info.outputShapes).toEqual([[null, 1, 1, 32]]);
        // kernel (1, 1, 5, 128) + recurrent_kernel (1, 1, 32, 128) + bias (128,)
        expect(info.params).toBe(5 * 128 + 32 * 128 + 128);
      });

      it('matches expected.json', async ({ skip }) => {
        if (!ready) skip();
        const x = tf.tensor(flat(e!.input), e!.input_shape, 'float32');
        const y = model!.predict(x) as tf.Tensor;
        const error = maxRelError(await y.data(), flat(e!.outputs.dense_9));
        expect(error).toBeLessThanOrEqual(TOLERANCE);
        tf.dispose([x, y]);
      });
    });
  }
});

describe('ConvLSTM layers from model.json', () => {
  beforeAll(() => workspaceBackends()[0].init());

  it('ConvLSTM2D matches tfjs-layers ConvLSTM2D with the same weights', async () => {
    const s = synthetic(
      sequential('radar', [
        layer('InputLayer', { name: 'in', batch_shape: [null, 3, 5, 4, 2] }),
        layer('ConvLSTM2D', {
          name: 'clstm',
          filters: 3,
          kernel_size: [3, 2],
          strides: [2, 1],
          padding: 'same',
          recurrent_activation: 'sigmoid',
          return_sequences: true,
        }),
      ]),
      [
        { name: 'clstm/kernel', shape: [3, 2, 2, 12] },
        { name: 'clstm/recurrent_kernel', shape: [3, 2, 3, 12] },
        { name: 'clstm/bias', shape: [12] },
      ],
      '2.15.0',
      5,
      0.5,
    );
    const model = await loadKerasModel(s.json, s.options);
    expect(model.layers.find((l) => l.name === 'clstm')?.outputShapes).toEqual([
      [null, 3, 3, 4, 3],
    ]);
    const oracle = tfl.layers.convLstm2d({
      filters: 3,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      recurrentActivation: 'sigmoid',
      returnSequences: true,
      // tfjs-layers' orthogonal initializer fails on 4-d kernels; the weights are set below.
      recurrentInitializer: 'glorotUniform',
    }) as tfl.layers.Layer;
    oracle.apply(tfl.input({ batchShape: [2, 3, 5, 4, 2] }));
    const w = s.weights;
    oracle.setWeights([
      tf.tensor(w['clstm/kernel'], [3, 2, 2, 12]),
      tf.tensor(w['clstm/recurrent_kernel'], [3, 2, 3, 12]),
      tf.tensor(w['clstm/bias'], [12]),
    ]);
    const x = tf.randomUniform([2, 3, 5, 4, 2], -1, 1, 'float32', 3);
    const want = oracle.apply(x) as tf.Tensor;
    const got = model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual(want.shape);
    expect(maxRelError(await got.data(), Array.from(await want.data()))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('a stateful ConvLSTM2D keeps its saved batch and carries its states across predicts', async () => {
    const s = synthetic(
      sequential('radar_stream', [
        layer('InputLayer', { name: 'in', batch_shape: [2, 3, 5, 4, 2] }),
        layer('ConvLSTM2D', {
          name: 'clstm',
          filters: 3,
          kernel_size: [3, 2],
          padding: 'same',
          recurrent_activation: 'sigmoid',
          stateful: true,
        }),
      ]),
      [
        { name: 'clstm/kernel', shape: [3, 2, 2, 12] },
        { name: 'clstm/recurrent_kernel', shape: [3, 2, 3, 12] },
        { name: 'clstm/bias', shape: [12] },
      ],
      '2.15.0',
      7,
      0.5,
    );
    const model = await loadKerasModel(s.json, s.options);
    // Two calls of 3 frames continue one sequence: the oracle reads the 6 frames at once.
    const oracle = tfl.layers.convLstm2d({
      filters: 3,
      kernelSize: [3, 2],
      padding: 'same',
      recurrentActivation: 'sigmoid',
      recurrentInitializer: 'glorotUniform',
    }) as tfl.layers.Layer;
    oracle.apply(tfl.input({ batchShape: [2, 6, 5, 4, 2] }));
    const w = s.weights;
    oracle.setWeights([
      tf.tensor(w['clstm/kernel'], [3, 2, 2, 12]),
      tf.tensor(w['clstm/recurrent_kernel'], [3, 2, 3, 12]),
      tf.tensor(w['clstm/bias'], [12]),
    ]);
    const x = tf.randomUniform([2, 6, 5, 4, 2], -1, 1, 'float32', 9);
    const want = oracle.apply(x) as tf.Tensor;
    tf.dispose(model.predict(tf.slice(x, [0, 0], [2, 3])) as tf.Tensor);
    const got = model.predict(tf.slice(x, [0, 3], [2, 3])) as tf.Tensor;
    expect(maxRelError(await got.data(), Array.from(await want.data()))).toBeLessThan(1e-5);
    expect(() => model.predict(tf.slice(x, [0, 0], [1, 3]))).toThrow(
      /clstm: this stateful layer holds states for a batch of 2 \(its batch_input_shape\); got an input with a batch of 1/,
    );
    model.dispose();
  });

  it('ConvLSTM1D, ConvLSTM3D and Bidirectional(ConvLSTM2D) infer shapes and weight specs', async () => {
    const s = synthetic(
      {
        class_name: 'Functional',
        config: {
          name: 'f',
          layers: [
            {
              class_name: 'InputLayer',
              name: 'a',
              config: { name: 'a', batch_shape: [null, 4, 7, 2] },
            },
            {
              class_name: 'InputLayer',
              name: 'b',
              config: { name: 'b', batch_shape: [null, 2, 3, 6, 6, 1] },
            },
            {
              class_name: 'InputLayer',
              name: 'c',
              config: { name: 'c', batch_shape: [null, 2, 4, 4, 2] },
            },
            {
              class_name: 'ConvLSTM1D',
              name: 'one',
              config: { name: 'one', filters: 2, kernel_size: [3], return_state: true },
              inbound_nodes: [[['a', 0, 0, {}]]],
            },
            {
              class_name: 'ConvLSTM3D',
              name: 'three',
              config: { name: 'three', filters: 2, kernel_size: [2, 3, 3], strides: [1, 2, 2] },
              inbound_nodes: [[['b', 0, 0, {}]]],
            },
            {
              class_name: 'Bidirectional',
              name: 'bi',
              config: {
                name: 'bi',
                merge_mode: 'concat',
                layer: {
                  class_name: 'ConvLSTM2D',
                  config: {
                    name: 'inner',
                    filters: 3,
                    kernel_size: [2, 2],
                    padding: 'same',
                    return_sequences: true,
                  },
                },
              },
              inbound_nodes: [[['c', 0, 0, {}]]],
            },
          ],
          input_layers: [
            ['a', 0, 0],
            ['b', 0, 0],
            ['c', 0, 0],
          ],
          output_layers: [
            ['one', 0, 0],
            ['one', 0, 1],
            ['three', 0, 0],
            ['bi', 0, 0],
          ],
        },
      },
      [
        { name: 'one/kernel', shape: [3, 2, 8] },
        { name: 'one/recurrent_kernel', shape: [3, 2, 8] },
        { name: 'one/bias', shape: [8] },
        { name: 'three/kernel', shape: [2, 3, 3, 1, 8] },
        { name: 'three/recurrent_kernel', shape: [2, 3, 3, 2, 8] },
        { name: 'three/bias', shape: [8] },
        { name: 'bi/forward_inner/kernel', shape: [2, 2, 2, 12] },
        { name: 'bi/forward_inner/recurrent_kernel', shape: [2, 2, 3, 12] },
        { name: 'bi/forward_inner/bias', shape: [12] },
        { name: 'bi/backward_inner/kernel', shape: [2, 2, 2, 12] },
        { name: 'bi/backward_inner/recurrent_kernel', shape: [2, 2, 3, 12] },
        { name: 'bi/backward_inner/bias', shape: [12] },
      ],
      '2.15.0',
    );
    const model = await loadKerasModel(s.json, s.options);
    const shapes = Object.fromEntries(model.layers.map((l) => [l.name, l.outputShapes]));
    expect(shapes.one).toEqual([
      [null, 5, 2],
      [null, 5, 2],
      [null, 5, 2],
    ]);
    expect(shapes.three).toEqual([[null, 2, 2, 2, 2]]);
    expect(shapes.bi).toEqual([[null, 2, 4, 4, 6]]);
    const outs = model.predict([
      tf.ones([1, 4, 7, 2]),
      tf.ones([1, 2, 3, 6, 6, 1]),
      tf.ones([1, 2, 4, 4, 2]),
    ]) as tf.Tensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [1, 5, 2],
      [1, 5, 2],
      [1, 2, 2, 2, 2],
      [1, 2, 4, 4, 6],
    ]);
    model.dispose();
  });
});

describe('ConvLSTM layers from a Keras 3 .keras archive', () => {
  beforeAll(() => workspaceBackends()[0].init());

  /** A Keras 3 layer entry. */
  const k3 = (className: string, config: Record<string, unknown>) => ({
    module: 'keras.layers',
    class_name: className,
    config,
    registered_name: null,
  });
  const values = (n: number, seed: number) => {
    const rand = rng(seed);
    return Float32Array.from({ length: n }, () => Math.round((rand() * 2 - 1) * 512) / 1024);
  };
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

  // Each rank against tfjs-layers' ConvLSTM2D with the same numbers: ConvLSTM1D on [T, L, C] is
  // ConvLSTM2D on [T, L, 1, C] with a [k, 1] kernel, and ConvLSTM3D on [T, 1, H, W, C] with a
  // [1, kh, kw] kernel is ConvLSTM2D on [T, H, W, C].
  const cases = [
    {
      className: 'ConvLSTM1D',
      kernelSize: [3],
      oracleKernel: [3, 1],
      input: [2, 4, 7, 2],
      oracleInput: [2, 4, 7, 1, 2],
      padding: 'valid',
    },
    {
      className: 'ConvLSTM2D',
      kernelSize: [2, 3],
      oracleKernel: [2, 3],
      input: [2, 3, 5, 4, 2],
      oracleInput: [2, 3, 5, 4, 2],
      padding: 'same',
    },
    {
      className: 'ConvLSTM3D',
      kernelSize: [1, 3, 2],
      oracleKernel: [3, 2],
      input: [2, 3, 1, 5, 4, 2],
      oracleInput: [2, 3, 5, 4, 2],
      padding: 'same',
    },
  ];
  for (const c of cases) {
    it(`${c.className} matches tfjs-layers ConvLSTM2D on the same numbers`, async () => {
      const filters = 3;
      const channels = c.input[c.input.length - 1];
      const shapes = [
        [...c.kernelSize, channels, 4 * filters],
        [...c.kernelSize, filters, 4 * filters],
        [4 * filters],
      ];
      const vars = shapes.map((shape, i) => ({ shape, values: values(size(shape), 11 + i) }));
      const archive = await kerasArchive(
        {
          module: 'keras',
          class_name: 'Sequential',
          config: {
            name: 'frames',
            layers: [
              k3('InputLayer', { name: 'in', batch_shape: [null, ...c.input.slice(1)] }),
              k3(c.className, {
                name: 'recurrent',
                filters,
                kernel_size: c.kernelSize,
                padding: c.padding,
                data_format: 'channels_last',
                return_sequences: true,
                activation: 'tanh',
                recurrent_activation: 'sigmoid',
              }),
            ],
          },
        },
        { [`layers/${c.className.toLowerCase().replace('convlstm', 'conv_lstm')}/cell`]: vars },
      );
      const model = await loadKerasModel(archive, { name: `${c.className}.keras` });
      const oracle = tfl.layers.convLstm2d({
        filters,
        kernelSize: c.oracleKernel,
        padding: c.padding as 'valid' | 'same',
        recurrentActivation: 'sigmoid',
        returnSequences: true,
        recurrentInitializer: 'glorotUniform',
      }) as tfl.layers.Layer;
      oracle.apply(tfl.input({ batchShape: c.oracleInput }));
      oracle.setWeights([
        tf.tensor(vars[0].values, [...c.oracleKernel, channels, 4 * filters]),
        tf.tensor(vars[1].values, [...c.oracleKernel, filters, 4 * filters]),
        tf.tensor(vars[2].values, [4 * filters]),
      ]);
      const x = tf.randomUniform(c.input, -1, 1, 'float32', 9);
      const want = oracle.apply(tf.reshape(x, c.oracleInput)) as tf.Tensor;
      const got = model.predict(x) as tf.Tensor;
      expect(got.size).toBe(want.size);
      expect(got.shape[got.shape.length - 1]).toBe(filters);
      expect(maxRelError(await got.data(), Array.from(await want.data()))).toBeLessThan(1e-5);
      tf.dispose([x, want, got]);
      model.dispose();
    });
  }
});
