/**
 * Convolution, pooling, padding, reshaping and CuDNN layers:
 * - float64 numpy references (fixtures/make_conv_fixtures.py → conv_reference.json) for what
 *   tfjs-layers cannot check: causal padding, groups, "same" average pooling counting only real
 *   elements, max pooling never picking the padding, the masked GlobalAveragePooling1D, and the
 *   cuDNN equations with their bias layouts; on every backend;
 * - `@tensorflow/tfjs-layers` as the oracle for the rest, with the same weights (1D layers it
 *   lacks are checked against its 2D layer on a height-1 input);
 * - output shapes and Keras's validation errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import { KerasModelError, loadKerasModel } from '../src/index.js';
import { FIXTURES, flat, shapeOf, values, workspaceBackends } from './helpers.js';
import { startBackend } from './availability.js';
import { rng } from './mutate.js';
import { container, layer, sequential } from './synthetic.js';

const TOL = 1e-4;

interface ReferenceCase {
  id: string;
  keras_version: string;
  model: unknown;
  weights: { name: string; shape: number[]; values: number[] }[];
  input: unknown;
  input_dtype: string;
  outputs: Record<string, unknown>;
}

const reference = JSON.parse(readFileSync(join(FIXTURES, 'conv_reference.json'), 'utf8')) as {
  cases: ReferenceCase[];
};

for (const backend of workspaceBackends()) {
  describe(`float64 references on ${backend.name}`, () => {
    const started = startBackend(backend);

    for (const c of reference.cases) {
      it(c.id, async (ctx) => {
        started.skipIfDown(ctx);
        const { json, options } = container(c.model, c.weights, c.keras_version);
        const model = await loadKerasModel(json, options);
        const dtype = c.input_dtype === 'int32' ? 'int32' : 'float32';
        const x = tf.tensor(flat(c.input), shapeOf(c.input), dtype);
        const names = Object.keys(c.outputs);
        const got = model.predict(x, { outputs: names });
        for (const name of names) {
          expect(got[name].shape, name).toEqual(shapeOf(c.outputs[name]));
          expect(maxRelError(await got[name].data(), flat(c.outputs[name])), name).toBeLessThan(
            TOL,
          );
        }
        // Keras counts the whole CuDNN bias: (d + u + 2)·gates·u.
        const params: Record<string, number> = {
          cudnn_lstm: (2 + 3 + 2) * 12,
          cudnn_gru: (2 + 3 + 2) * 9,
        };
        if (params[c.id] != null) expect(model.countParams()).toBe(params[c.id]);
        tf.dispose([x, ...Object.values(got)]);
        model.dispose();
      });
    }
  });
}

/** Loads a one-layer Keras 2 model (plus input) with the weights of a tfjs-layers layer. */
async function loadOne(
  inputShape: number[],
  className: string,
  config: Record<string, unknown>,
  weightNames: string[],
  weights: tf.Tensor[],
  kerasVersion = '2.13.1',
) {
  const cfg = sequential('m', [
    layer('InputLayer', { name: 'in', batch_input_shape: [null, ...inputShape] }),
    layer(className, { name: 'l', ...config }),
  ]);
  const { json, options } = container(
    cfg,
    weights.map((w, i) => ({ name: `l/${weightNames[i]}`, shape: w.shape, values: w.dataSync() })),
    kerasVersion,
  );
  return loadKerasModel(json, options);
}

function randomInput(shape: number[], seed = 3): tf.Tensor {
  const rand = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rand() * 2 - 1),
    shape,
  );
}

/** Builds `oracle` on `inputShape`, loads the same layer here, and compares the outputs. */
async function compare(
  inputShape: number[],
  oracle: tfl.layers.Layer,
  className: string,
  config: Record<string, unknown>,
  weightNames: string[] = [],
): Promise<number> {
  const x = randomInput([2, ...inputShape]);
  const want = oracle.apply(x) as tf.Tensor;
  const model = await loadOne(inputShape, className, config, weightNames, oracle.getWeights());
  const got = model.predict(x) as tf.Tensor;
  expect(got.shape).toEqual(want.shape);
  expect(model.outputShapes[0]).toEqual([null, ...want.shape.slice(1)]);
  const err = maxRelError(values(got), values(want));
  tf.dispose([x, want, got]);
  model.dispose();
  return err;
}

describe('against tfjs-layers', () => {
  beforeAll(() => workspaceBackends()[0].init());
  const bias = { bias_initializer: 'glorot_uniform' };
  const biasInit = { biasInitializer: 'glorotUniform' } as const;

  it('Conv1D: valid, same, strides, dilation, activation', async () => {
    for (const [padding, strides, dilation] of [
      ['valid', 1, 1],
      ['same', 2, 1],
      ['same', 1, 3],
      ['valid', 3, 1],
    ] as const) {
      const oracle = tfl.layers.conv1d({
        filters: 3,
        kernelSize: 3,
        padding,
        strides,
        dilationRate: dilation,
        activation: 'relu',
        ...biasInit,
      });
      const err = await compare(
        [10, 2],
        oracle,
        'Conv1D',
        {
          filters: 3,
          kernel_size: [3],
          padding,
          strides: [strides],
          dilation_rate: [dilation],
          activation: 'relu',
          ...bias,
        },
        ['kernel', 'bias'],
      );
      expect(err, `${padding} ${strides} ${dilation}`).toBeLessThan(TOL);
    }
  });

  it('Conv2D channels_last and channels_first, without bias', async () => {
    const last = tfl.layers.conv2d({
      filters: 4,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      ...biasInit,
    });
    expect(
      await compare(
        [7, 5, 3],
        last,
        'Conv2D',
        { filters: 4, kernel_size: [3, 2], strides: [2, 1], padding: 'same', ...bias },
        ['kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
    const first = tfl.layers.conv2d({
      filters: 2,
      kernelSize: 2,
      dataFormat: 'channelsFirst',
      useBias: false,
    });
    expect(
      await compare(
        [3, 5, 4],
        first,
        'Conv2D',
        { filters: 2, kernel_size: [2, 2], data_format: 'channels_first', use_bias: false },
        ['kernel'],
      ),
    ).toBeLessThan(TOL);
  });

  it('Conv3D', async () => {
    const oracle = tfl.layers.conv3d({
      filters: 2,
      kernelSize: [2, 3, 2],
      padding: 'same',
      ...biasInit,
    });
    expect(
      await compare(
        [4, 5, 3, 2],
        oracle,
        'Conv3D',
        { filters: 2, kernel_size: [2, 3, 2], padding: 'same', ...bias },
        ['kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
  });

  it('SeparableConv2D and DepthwiseConv2D', async () => {
    const sep = tfl.layers.separableConv2d({
      filters: 3,
      kernelSize: 3,
      depthMultiplier: 2,
      padding: 'same',
      ...biasInit,
    });
    expect(
      await compare(
        [6, 5, 2],
        sep,
        'SeparableConv2D',
        { filters: 3, kernel_size: [3, 3], depth_multiplier: 2, padding: 'same', ...bias },
        ['depthwise_kernel', 'pointwise_kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
    const dw = tfl.layers.depthwiseConv2d({
      kernelSize: [2, 3],
      depthMultiplier: 2,
      strides: 2,
      ...biasInit,
    });
    expect(
      await compare(
        [6, 7, 3],
        dw,
        'DepthwiseConv2D',
        { kernel_size: [2, 3], depth_multiplier: 2, strides: [2, 2], ...bias },
        ['depthwise_kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
  });

  it('SeparableConv1D and DepthwiseConv1D equal the 2D layers on a height-1 input', async () => {
    const cases = [
      {
        oracle: tfl.layers.separableConv2d({
          filters: 3,
          kernelSize: [1, 3],
          depthMultiplier: 2,
          ...biasInit,
        }),
        className: 'SeparableConv1D',
        config: { filters: 3, kernel_size: [3], depth_multiplier: 2, ...bias },
      },
      {
        oracle: tfl.layers.depthwiseConv2d({
          kernelSize: [1, 3],
          depthMultiplier: 2,
          padding: 'same',
          ...biasInit,
        }),
        className: 'DepthwiseConv1D',
        config: { kernel_size: [3], depth_multiplier: 2, padding: 'same', ...bias },
      },
    ];
    for (const c of cases) {
      const x = randomInput([2, 8, 2]);
      const want = tf.squeeze(c.oracle.apply(tf.expandDims(x, 1)) as tf.Tensor, [1]);
      // The 1D kernels are the 2D ones without the leading height axis.
      const ws = c.oracle
        .getWeights()
        .map((w, i, all) => (i < all.length - 1 ? tf.squeeze(w, [0]) : w));
      const names =
        c.className === 'SeparableConv1D'
          ? ['depthwise_kernel', 'pointwise_kernel', 'bias']
          : ['depthwise_kernel', 'bias'];
      const model = await loadOne([8, 2], c.className, c.config, names, ws);
      const got = model.predict(x) as tf.Tensor;
      expect(got.shape).toEqual(want.shape);
      expect(maxRelError(values(got), values(want)), c.className).toBeLessThan(TOL);
      model.dispose();
    }
  });

  it('pooling 1D/2D/3D, valid and same', async () => {
    const cases: [number[], tfl.layers.Layer, string, Record<string, unknown>][] = [
      [
        [9, 2],
        tfl.layers.maxPooling1d({ poolSize: 3, strides: 2 }),
        'MaxPooling1D',
        { pool_size: [3], strides: [2] },
      ],
      [
        [9, 2],
        tfl.layers.averagePooling1d({ poolSize: 2 }),
        'AveragePooling1D',
        { pool_size: [2] },
      ],
      [
        [5, 7, 2],
        tfl.layers.maxPooling2d({ poolSize: [2, 3], padding: 'same' }),
        'MaxPooling2D',
        { pool_size: [2, 3], padding: 'same' },
      ],
      [
        [5, 7, 2],
        tfl.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
        'AveragePooling2D',
        { pool_size: [2, 2], strides: [1, 1] },
      ],
      [
        [2, 5, 7],
        tfl.layers.maxPooling2d({ poolSize: 2, dataFormat: 'channelsFirst' }),
        'MaxPooling2D',
        { pool_size: [2, 2], data_format: 'channels_first' },
      ],
      [
        [4, 5, 3, 2],
        tfl.layers.maxPooling3d({ poolSize: 2 }),
        'MaxPooling3D',
        { pool_size: [2, 2, 2] },
      ],
      [
        [4, 5, 3, 2],
        tfl.layers.averagePooling3d({ poolSize: [2, 2, 1], strides: 1 }),
        'AveragePooling3D',
        { pool_size: [2, 2, 1], strides: [1, 1, 1] },
      ],
    ];
    for (const [shape, oracle, className, config] of cases) {
      expect(await compare(shape, oracle, className, config), className).toBeLessThan(TOL);
    }
  });

  it('global pooling, with and without keepdims', async () => {
    const cases: [number[], tfl.layers.Layer, string, Record<string, unknown>][] = [
      [[6, 3], tfl.layers.globalMaxPooling1d({}), 'GlobalMaxPooling1D', {}],
      [[6, 3], tfl.layers.globalAveragePooling1d({}), 'GlobalAveragePooling1D', {}],
      [[4, 5, 3], tfl.layers.globalMaxPooling2d({}), 'GlobalMaxPooling2D', {}],
      [[4, 5, 3], tfl.layers.globalAveragePooling2d({}), 'GlobalAveragePooling2D', {}],
      [
        [3, 4, 5],
        tfl.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }),
        'GlobalAveragePooling2D',
        { data_format: 'channels_first' },
      ],
    ];
    for (const [shape, oracle, className, config] of cases) {
      expect(await compare(shape, oracle, className, config), className).toBeLessThan(TOL);
    }
    const model = await loadOne([4, 5, 3], 'GlobalAveragePooling2D', { keepdims: true }, [], []);
    expect(model.outputShapes[0]).toEqual([null, 1, 1, 3]);
    model.dispose();
  });

  it('UpSampling, ZeroPadding and Cropping in 2D, and in 1D as 2D of height 1', async () => {
    const cases2d: [tfl.layers.Layer, string, Record<string, unknown>][] = [
      [tfl.layers.upSampling2d({ size: [2, 3] }), 'UpSampling2D', { size: [2, 3] }],
      [
        tfl.layers.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
        }),
        'ZeroPadding2D',
        {
          padding: [
            [1, 2],
            [0, 3],
          ],
        },
      ],
      [
        tfl.layers.cropping2D({
          cropping: [
            [1, 0],
            [2, 1],
          ],
        }),
        'Cropping2D',
        {
          cropping: [
            [1, 0],
            [2, 1],
          ],
        },
      ],
    ];
    for (const [oracle, className, config] of cases2d) {
      expect(await compare([4, 5, 2], oracle, className, config), className).toBeLessThan(TOL);
    }
    const cases1d: [tfl.layers.Layer, string, Record<string, unknown>][] = [
      [tfl.layers.upSampling2d({ size: [1, 3] }), 'UpSampling1D', { size: 3 }],
      [
        tfl.layers.zeroPadding2d({
          padding: [
            [0, 0],
            [2, 1],
          ],
        }),
        'ZeroPadding1D',
        { padding: [2, 1] },
      ],
      [
        tfl.layers.cropping2D({
          cropping: [
            [0, 0],
            [1, 2],
          ],
        }),
        'Cropping1D',
        { cropping: [1, 2] },
      ],
    ];
    for (const [oracle, className, config] of cases1d) {
      const x = randomInput([2, 6, 3]);
      const want = tf.squeeze(oracle.apply(tf.expandDims(x, 1)) as tf.Tensor, [1]);
      const model = await loadOne([6, 3], className, config, [], []);
      const got = model.predict(x) as tf.Tensor;
      expect(model.outputShapes[0], className).toEqual([null, ...want.shape.slice(1)]);
      expect(got.shape, className).toEqual(want.shape);
      expect(maxRelError(values(got), values(want)), className).toBeLessThan(TOL);
      model.dispose();
    }
  });

  it('Reshape (with -1) and Permute', async () => {
    expect(
      await compare([4, 6], tfl.layers.reshape({ targetShape: [3, -1, 2] }), 'Reshape', {
        target_shape: [3, -1, 2],
      }),
    ).toBeLessThan(TOL);
    expect(
      await compare([2, 3, 4], tfl.layers.permute({ dims: [3, 1, 2] }), 'Permute', {
        dims: [3, 1, 2],
      }),
    ).toBeLessThan(TOL);
  });

  it('TimeDistributed over Conv2D, MaxPooling2D and LSTM', async () => {
    const conv = tfl.layers.timeDistributed({
      layer: tfl.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh', ...biasInit }),
    });
    expect(
      await compare(
        [3, 5, 4, 2],
        conv,
        'TimeDistributed',
        {
          layer: layer('Conv2D', {
            name: 'c',
            filters: 2,
            kernel_size: [2, 2],
            activation: 'tanh',
          }),
        },
        ['kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
    const pool = tfl.layers.timeDistributed({ layer: tfl.layers.maxPooling2d({ poolSize: 2 }) });
    expect(
      await compare([3, 5, 4, 2], pool, 'TimeDistributed', {
        layer: layer('MaxPooling2D', { name: 'p', pool_size: [2, 2] }),
      }),
    ).toBeLessThan(TOL);
    const lstm = tfl.layers.timeDistributed({
      layer: tfl.layers.lstm({
        units: 3,
        recurrentActivation: 'sigmoid',
        recurrentInitializer: 'glorotUniform',
        biasInitializer: 'glorotUniform',
      }),
    });
    expect(
      await compare(
        [3, 4, 2],
        lstm,
        'TimeDistributed',
        { layer: layer('LSTM', { name: 'r', units: 3, recurrent_activation: 'sigmoid' }) },
        ['kernel', 'recurrent_kernel', 'bias'],
      ),
    ).toBeLessThan(TOL);
  });
});

describe('shapes and validation', () => {
  beforeAll(() => workspaceBackends()[0].init());

  const load = (
    inputShape: (number | null)[],
    layers: unknown[],
    version = '2.13.1',
    weights: { name: string; shape: number[] }[] = [],
  ) => {
    const cfg = sequential('m', [
      layer('InputLayer', { name: 'in', batch_input_shape: [null, ...inputShape] }),
      ...layers,
    ]);
    const filled = weights.map((w) => ({
      ...w,
      values: new Float32Array(w.shape.reduce((a, b) => a * b, 1)).fill(0.25),
    }));
    const { json, options } = container(cfg, filled, version);
    return loadKerasModel(json, options);
  };
  const rejects = async (p: Promise<unknown>, pattern: RegExp) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(KerasModelError);
    expect((e as Error).message).toMatch(pattern);
  };

  it('infers output shapes, unknown lengths included', async () => {
    const model = await load(
      [null, 4],
      [
        layer('ZeroPadding1D', { name: 'zp', padding: [1, 2] }),
        layer('MaxPooling1D', { name: 'mp', pool_size: [2], padding: 'same' }),
        layer('UpSampling1D', { name: 'up', size: 3 }),
        layer('Cropping1D', { name: 'cr', cropping: [1, 1] }),
        layer('Reshape', { name: 'rs', target_shape: [-1, 2, 2] }),
        layer('Permute', { name: 'pm', dims: [1, 3, 2] }),
      ],
    );
    expect(model.layers.map((l) => l.outputShapes[0])).toEqual([
      [null, null, 4],
      [null, null, 4],
      [null, null, 4],
      [null, null, 4],
      [null, null, 4],
      [null, null, 2, 2],
      [null, null, 2, 2],
    ]);
    const x = randomInput([1, 5, 4]);
    // 5 → pad 8 → pool 4 → up 12 → crop 10 steps; reshape gives 10 × 2 × 2.
    expect((model.predict(x) as tf.Tensor).shape).toEqual([1, 10, 2, 2]);
    model.dispose();
    const conv = await load(
      [10, 3],
      [
        layer('Conv1D', {
          name: 'c',
          filters: 4,
          kernel_size: [3],
          strides: [2],
          padding: 'causal',
        }),
      ],
      '2.13.1',
      [
        { name: 'c/kernel', shape: [3, 3, 4] },
        { name: 'c/bias', shape: [4] },
      ],
    );
    expect(conv.outputShapes[0]).toEqual([null, 5, 4]);
    expect(conv.countParams()).toBe(3 * 3 * 4 + 4);
    conv.dispose();
  });

  it('refuses bad padding, kernels larger than the input and shapes that do not fit', async () => {
    await rejects(
      load([8, 2], [layer('Conv1D', { name: 'c', filters: 2, kernel_size: 3, padding: 'full' })]),
      /layer 'c' \(Conv1D\): option 'padding' must be one of "valid", "same", "causal", got "full"/,
    );
    await rejects(
      load(
        [8, 8, 2],
        [layer('Conv2D', { name: 'c', filters: 2, kernel_size: 3, padding: 'causal' })],
      ),
      /layer 'c' \(Conv2D\): option 'padding' must be one of "valid", "same".*got "causal"/,
    );
    await rejects(
      load([4, 2], [layer('Conv1D', { name: 'c', filters: 2, kernel_size: [5] })]),
      /layer 'c' \(Conv1D\): kernel_size 5 is larger than the input size 4.*expected an input of at least 5/,
    );
    await rejects(
      load(
        [4, 2],
        [layer('Conv1D', { name: 'c', filters: 2, kernel_size: [3], dilation_rate: 2 })],
      ),
      /kernel_size 3 \(dilated to 5\) is larger than the input size 4/,
    );
    await rejects(
      load([3, 3, 2], [layer('MaxPooling2D', { name: 'p', pool_size: [4, 4] })]),
      /layer 'p' \(MaxPooling2D\): pool_size 4 is larger than the input size 3/,
    );
    await rejects(
      load([8, 2], [layer('MaxPooling1D', { name: 'p', pool_size: 0 })]),
      /layer 'p' \(MaxPooling1D\): option 'pool_size' must be an integer or a list of 1 integers from 1 to 1000000, got 0/,
    );
    await rejects(
      load([8, 3], [layer('Conv1D', { name: 'c', filters: 4, kernel_size: 3, groups: 2 })]),
      /layer 'c' \(Conv1D\): option 'groups' = 2 must divide the input channels evenly; got 3 channels/,
    );
    await rejects(
      load([8, 4], [layer('Conv1D', { name: 'c', filters: 3, kernel_size: 3, groups: 2 })]),
      /option 'groups' = 2 must divide the number of filters evenly; expected a divisor of filters = 3/,
    );
    await rejects(
      load(
        [8, 4],
        [layer('Conv1D', { name: 'c', filters: 3, kernel_size: 3, strides: 2, dilation_rate: 2 })],
      ),
      /option 'strides' > 1 cannot be combined with dilation_rate > 1/,
    );
    await rejects(
      load([4, 6], [layer('Reshape', { name: 'r', target_shape: [5, -1] })]),
      /layer 'r' \(Reshape\): option 'target_shape' = \(5, -1\) does not fit the input: expected 24 elements per sample/,
    );
    await rejects(
      load([4, 6], [layer('Reshape', { name: 'r', target_shape: [-1, -1] })]),
      /option 'target_shape' may hold -1 only once/,
    );
    await rejects(
      load([4, 6], [layer('Permute', { name: 'p', dims: [1, 3] })]),
      /layer 'p' \(Permute\): option 'dims' must be a permutation of 1..n/,
    );
    await rejects(
      load([4, 6], [layer('Permute', { name: 'p', dims: [2, 1, 3] })]),
      /option 'dims' = \(2, 1, 3\) expects an input of rank 4, got shape \(None, 4, 6\)/,
    );
    await rejects(
      load([4, 6], [layer('Cropping1D', { name: 'c', cropping: [2, 2] })]),
      /layer 'c' \(Cropping1D\): option 'cropping' removes 4 of 4 elements/,
    );
    await rejects(
      load([4, 6], [layer('UpSampling1D', { name: 'u', size: 2, interpolation: 'bilinear' })]),
      /option 'interpolation' = "bilinear" is not supported/,
    );
    await rejects(
      load([4, 6], [layer('CuDNNLSTM', { name: 'l', units: 2, time_major: true })], '2.15.0'),
      /layer 'l' \(CuDNNLSTM\): option 'time_major' = true is not supported/,
    );
  });

  it('a variable length reaches the check at prediction time', async () => {
    const model = await load(
      [null, 2],
      [layer('Conv1D', { name: 'c', filters: 2, kernel_size: 4 })],
      '2.13.1',
      [
        { name: 'c/kernel', shape: [4, 2, 2] },
        { name: 'c/bias', shape: [2] },
      ],
    );
    const conv = model.layers.find((l) => l.name === 'c');
    expect(conv?.outputShapes[0]).toEqual([null, null, 2]);
    expect(() => model.predict(randomInput([1, 3, 2]))).toThrow(
      /layer 'c' \(Conv1D\): kernel_size 4 is larger than the input size 3/,
    );
    model.dispose();
  });

  it('Keras 2 pooling refuses a mask, Keras 3 pooling drops it', async () => {
    const masked = (next: unknown, version: string) => {
      const cfg = sequential('m', [
        layer('InputLayer', { name: 'in', batch_input_shape: [null, 4, 2] }),
        layer('Masking', { name: 'mask', mask_value: 0 }),
        next,
      ]);
      return container(cfg, [], version);
    };
    const x = randomInput([1, 4, 2]);
    const pool = layer('MaxPooling1D', { name: 'p', pool_size: [2] });
    const k2 = masked(pool, '2.13.1');
    const m2 = await loadKerasModel(k2.json, k2.options);
    expect(() => m2.predict(x)).toThrow(/layer 'p' \(MaxPooling1D\): does not support masking/);
    m2.dispose();
    const k3 = masked(pool, '3.5.0');
    const m3 = await loadKerasModel(k3.json, k3.options);
    expect((m3.predict(x) as tf.Tensor).shape).toEqual([1, 2, 2]);
    m3.dispose();
  });
});
