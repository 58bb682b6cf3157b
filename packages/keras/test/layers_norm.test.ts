/**
 * Normalization, activation and merge layers: outputs against the float64 numpy reference in
 * fixtures/norm (generate.py → norm_layers.json), output shapes, the mask each passes on, and the
 * errors Keras gives for bad configs and inputs that do not fit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { KerasModelError, loadKerasModel } from '../src/index.js';
import { Softmax } from '../src/layers/activation_layers.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { FIXTURES, values, workspaceBackends } from './helpers.js';
import { mutateJson, rng } from './mutate.js';
import { kt, layer, sequential } from './synthetic.js';

const TOL = 1e-4;

interface Values {
  shape: number[];
  values: number[];
}

interface Case {
  id: string;
  keras_version: string;
  model: unknown;
  weights: (Values & { name: string })[];
  inputs: Values[];
  output: Values;
}

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'norm', 'norm_layers.json'), 'utf8')) as {
  cases: Case[];
  masked_softmax: {
    id: string;
    keras_version: string;
    input: Values;
    mask: Values;
    output: Values;
  }[];
};

/** A tfjs model.json + shard holding `modelConfig` and the given weights. */
function container(
  modelConfig: unknown,
  version: string,
  weights: (Values & { name: string })[] = [],
): { json: Uint8Array; options: { weightShards: Record<string, Uint8Array> } } {
  const all = Float32Array.from(weights.flatMap((w) => w.values));
  const json = {
    format: 'layers-model',
    modelTopology: { keras_version: version, backend: 'tensorflow', model_config: modelConfig },
    weightsManifest:
      weights.length === 0
        ? []
        : [
            {
              paths: ['w.bin'],
              weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
            },
          ],
  };
  return {
    json: new TextEncoder().encode(JSON.stringify(json)),
    options: { weightShards: { 'w.bin': new Uint8Array(all.buffer) } },
  };
}

/**
 * A Keras 3 functional model: inputs of the given shapes (batch excluded; one shape for a single
 * input) into one layer.
 */
function oneLayer(
  className: string,
  config: Record<string, unknown>,
  given: (number | null)[] | (number | null)[][],
): unknown {
  const shapes = (Array.isArray(given[0]) ? given : [given]) as (number | null)[][];
  const names = shapes.map((_, i) => `in${i}`);
  return {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        ...names.map((n, i) => ({
          class_name: 'InputLayer',
          name: n,
          config: { name: n, batch_shape: [null, ...shapes[i]] },
          inbound_nodes: [],
        })),
        {
          class_name: className,
          name: 'layer',
          config: { name: 'layer', ...config },
          inbound_nodes: [
            { args: names.length > 1 ? [names.map((n) => kt(n))] : [kt(names[0])], kwargs: {} },
          ],
        },
      ],
      input_layers: names.map((n) => [n, 0, 0]),
      output_layers: [['layer', 0, 0]],
    },
  };
}

/** The message a model fails with, at load or at its first prediction. */
async function failure(
  model: unknown,
  version: string,
  weights: (Values & { name: string })[] = [],
  input?: () => tf.Tensor[],
): Promise<string> {
  const c = container(model, version, weights);
  try {
    const m = await loadKerasModel(c.json, c.options);
    try {
      const xs =
        input?.() ??
        m.inputShapes.map((s) =>
          tf.ones(
            s.map((d) => d ?? 2),
            'float32',
          ),
        );
      tf.dispose(m.predict(xs.length === 1 ? xs[0] : xs));
      tf.dispose(xs);
    } finally {
      m.dispose();
    }
  } catch (e) {
    expect(e).toBeInstanceOf(KerasModelError);
    return (e as Error).message;
  }
  throw new Error('expected the model to fail');
}

const vec = (name: string, n: number, v = 1): Values & { name: string } => ({
  name,
  shape: [n],
  values: new Array<number>(n).fill(v),
});
const bnWeights = (n: number) =>
  ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => vec(`layer/${w}`, n));

beforeAll(() => workspaceBackends()[0].init());

describe('layers against the float64 numpy reference', () => {
  for (const c of fixture.cases) {
    it(`${c.id} (Keras ${c.keras_version})`, async () => {
      const s = container(c.model, c.keras_version, c.weights);
      const model = await loadKerasModel(s.json, s.options);
      expect(model.outputShapes[0]).toEqual([null, ...c.output.shape.slice(1)]);
      const xs = c.inputs.map((x) => tf.tensor(x.values, x.shape, 'float32'));
      const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
      expect(y.shape).toEqual(c.output.shape);
      const err = maxRelError(values(y), c.output.values);
      expect(err).toBeLessThanOrEqual(TOL);
      expect(model.countParams()).toBe(c.weights.reduce((n, w) => n + w.values.length, 0));
      tf.dispose([y, ...xs]);
      model.dispose();
    });
  }

  for (const c of fixture.masked_softmax) {
    it(`Softmax applies a mask as Keras ${c.keras_version} does`, () => {
      const keras2 = c.keras_version.startsWith('2.');
      const softmax = new Softmax(
        { class_name: 'Softmax', config: { name: 'sm', axis: -1 } },
        { kerasVersion: c.keras_version, keras2 },
      );
      const x = tf.tensor(c.input.values, c.input.shape, 'float32');
      const mask = tf.cast(tf.tensor(c.mask.values, c.mask.shape), 'bool');
      const out = softmax.call({ inputs: [x], masks: [mask], initialState: null });
      expect(maxRelError(values(out.outputs[0]), c.output.values)).toBeLessThanOrEqual(TOL);
      expect(out.masks[0]).toBe(mask);
      tf.dispose([x, mask, out.outputs[0]]);
    });
  }
});

describe('masks', () => {
  it('normalization and activation layers pass the mask on to the next layer', async () => {
    // Masking → BatchNormalization → ReLU → LayerNormalization → LSTM(return_sequences): a
    // masked step repeats the previous output, which it only does if the mask arrived.
    const n = 3;
    const model = sequential('masked', [
      layer('InputLayer', { name: 'in', batch_shape: [null, 4, n] }),
      layer('Masking', { name: 'mask', mask_value: 0 }),
      layer('BatchNormalization', { name: 'bn' }),
      layer('ReLU', { name: 'relu', negative_slope: 0.1 }),
      layer('LayerNormalization', { name: 'ln' }),
      layer('PReLU', { name: 'prelu', shared_axes: [1] }),
      layer('LSTM', { name: 'lstm', units: 2, return_sequences: true }),
    ]);
    const weights = [
      ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => vec(`bn/${w}`, n, 0.5)),
      vec('ln/gamma', n, 1.5),
      vec('ln/beta', n, 0.25),
      { name: 'prelu/alpha', shape: [1, n], values: [0.1, 0.2, 0.3] },
      {
        name: 'lstm/kernel',
        shape: [n, 8],
        values: Array.from({ length: 24 }, (_, i) => (i % 7) / 10 - 0.3),
      },
      {
        name: 'lstm/recurrent_kernel',
        shape: [2, 8],
        values: Array.from({ length: 16 }, (_, i) => (i % 5) / 10 - 0.2),
      },
      vec('lstm/bias', 8, 0.1),
    ];
    const s = container(model, '3.13.2', weights);
    const m = await loadKerasModel(s.json, s.options);
    const x = tf.tensor([
      [
        [1, 2, 3],
        [0, 0, 0],
        [-1, 0.5, 2],
        [0, 0, 0],
      ],
    ]);
    const y = values(m.predict(x) as tf.Tensor);
    expect(y.slice(2, 4)).toEqual(y.slice(0, 2));
    expect(y.slice(6, 8)).toEqual(y.slice(4, 6));
    expect(y.slice(4, 6)).not.toEqual(y.slice(0, 2));
    m.dispose();
  });

  it('Softmax refuses a sequence mask it cannot line up with its input', async () => {
    const model = sequential('m', [
      layer('InputLayer', { name: 'in', batch_shape: [null, 4, 3] }),
      layer('Masking', { name: 'mask' }),
      layer('Softmax', { name: 'sm' }),
    ]);
    expect(await failure(model, '3.13.2')).toMatch(
      /layer 'sm' \(Softmax\): the input mask of shape \(2, 4\) does not match the input of shape \(2, 4, 3\)/,
    );
  });
});

describe('training-only layers are the identity at inference', () => {
  const cases: [string, Record<string, unknown>, number[]][] = [
    ['Dropout', { rate: 0.5 }, [4, 3]],
    ['SpatialDropout1D', { rate: 0.5, seed: 1 }, [4, 3]],
    ['SpatialDropout2D', { rate: 0.5, data_format: 'channels_last' }, [4, 3, 2]],
    ['SpatialDropout3D', { rate: 0.5, data_format: 'channels_first' }, [4, 3, 2, 2]],
    ['GaussianNoise', { stddev: 0.3, seed: null }, [4, 3]],
    ['GaussianDropout', { rate: 0.3 }, [4, 3]],
    ['AlphaDropout', { rate: 0.3, noise_shape: null }, [4, 3]],
    ['ActivityRegularization', { l1: 0.01, l2: 0 }, [4, 3]],
  ];
  for (const [className, config, shape] of cases) {
    it(className, async () => {
      const s = container(oneLayer(className, config, [shape]), '3.13.2');
      const model = await loadKerasModel(s.json, s.options);
      expect(model.outputShapes).toEqual([[null, ...shape]]);
      const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 3);
      const y = model.predict(x) as tf.Tensor;
      expect(values(y)).toEqual(values(x));
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it('refuses a rate outside [0, 1] and a spatial dropout of the wrong rank', async () => {
    expect(await failure(oneLayer('Dropout', { rate: 1.5 }, [3]), '3.13.2')).toMatch(
      /layer 'layer' \(Dropout\): option 'rate' must be between 0 and 1, got 1.5/,
    );
    expect(await failure(oneLayer('SpatialDropout2D', { rate: 0.1 }, [4, 3]), '3.13.2')).toMatch(
      /layer 'layer' \(SpatialDropout2D\): expected an input of rank 4, got shape \(None, 4, 3\)/,
    );
  });
});

describe('output shapes', () => {
  const shapes: [string, Record<string, unknown>, number[][], (number | null)[]][] = [
    [
      'Dot',
      { axes: -1 },
      [
        [5, 3],
        [7, 3],
      ],
      [null, 5, 7],
    ],
    [
      'Dot',
      { axes: [1, 2] },
      [
        [5, 3],
        [2, 5],
      ],
      [null, 3, 2],
    ],
    ['Dot', { axes: 1 }, [[4], [4]], [null, 1]],
    [
      'Add',
      {},
      [
        [1, 4],
        [3, 1],
      ],
      [null, 3, 4],
    ],
    ['Multiply', {}, [[2, 3, 4], [4]], [null, 2, 3, 4]],
    [
      'Maximum',
      {},
      [
        [3, 4],
        [1, 4],
        [3, 1],
      ],
      [null, 3, 4],
    ],
    [
      'Concatenate',
      { axis: 1 },
      [
        [2, 4],
        [3, 4],
      ],
      [null, 5, 4],
    ],
    ['Softmax', { axis: [1, 2] }, [[2, 4]], [null, 2, 4]],
    ['UnitNormalization', { axis: 0 }, [[2, 4]], [null, 2, 4]],
  ];
  for (const [className, config, inputs, out] of shapes) {
    it(`${className} ${JSON.stringify(config)} on ${JSON.stringify(inputs)}`, async () => {
      const s = container(oneLayer(className, config, inputs), '3.13.2');
      const model = await loadKerasModel(s.json, s.options);
      expect(model.outputShapes).toEqual([out]);
      model.dispose();
    });
  }
});

describe('errors name the layer, the option, what was expected and what was given', () => {
  const k3 = '3.13.2';
  const k2 = '2.13.1';
  const cases: [string, () => Promise<string>, RegExp][] = [
    [
      'BatchNormalization: a list axis in a Keras 3 file',
      () => failure(oneLayer('BatchNormalization', { axis: [1, 2] }, [4, 3]), k3),
      /\(BatchNormalization\): option 'axis' must be an integer, got \[1,2\]/,
    ],
    [
      'BatchNormalization: axis out of range',
      () => failure(oneLayer('BatchNormalization', { axis: 3 }, [4, 3]), k3),
      /option 'axis' = 3 is out of range for an input of rank 3 .*expected axes in \[-3, 2\]/,
    ],
    [
      'BatchNormalization: the batch axis',
      () => failure(oneLayer('BatchNormalization', { axis: [0] }, [4, 3]), k2),
      /option 'axis' = 0 includes the batch axis/,
    ],
    [
      'BatchNormalization: moving statistics of the wrong length',
      () =>
        failure(oneLayer('BatchNormalization', {}, [4, 3]), k3, [
          ...bnWeights(3).slice(0, 3),
          vec('layer/moving_variance', 4),
        ]),
      /layer 'layer' \(BatchNormalization\): weight 'layer\/moving_variance' has shape \(4,\); expected moving_variance of shape \(3,\)/,
    ],
    [
      'BatchNormalization: missing moving statistics',
      () => failure(oneLayer('BatchNormalization', {}, [4, 3]), k3, bnWeights(3).slice(0, 2)),
      /expected 4 weight\(s\) \(gamma \(3,\), beta \(3,\), moving_mean \(3,\), moving_variance \(3,\)\), the file has 2/,
    ],
    [
      'BatchNormalization: fused on a rank-3 input',
      () =>
        failure(
          oneLayer('BatchNormalization', { axis: -1, fused: true }, [4, 3]),
          k2,
          bnWeights(3),
        ),
      /option 'fused' = true supports only inputs of rank 4 or 5, got shape \(None, 4, 3\)/,
    ],
    [
      'BatchNormalization: fused with renorm',
      () => failure(oneLayer('BatchNormalization', { fused: true, renorm: true }, [3]), k2),
      /option 'fused' = true cannot be combined with renorm = true/,
    ],
    [
      'BatchNormalization: virtual_batch_size 0',
      () => failure(oneLayer('BatchNormalization', { virtual_batch_size: 0 }, [3]), k2),
      /option 'virtual_batch_size' must be a positive integer .*got 0/,
    ],
    [
      'BatchNormalization: bad renorm_clipping keys',
      () =>
        failure(
          oneLayer('BatchNormalization', { renorm: true, renorm_clipping: { rmax: 1, x: 2 } }, [3]),
          k3,
        ),
      /option 'renorm_clipping' has invalid keys \["x"\]/,
    ],
    [
      'BatchNormalization: fused in a Keras 3 file',
      () => failure(oneLayer('BatchNormalization', { fused: false }, [3]), k3),
      /option 'fused' = false is not supported/,
    ],
    [
      'LayerNormalization: duplicate axes',
      () => failure(oneLayer('LayerNormalization', { axis: [2, -1] }, [4, 3]), k3),
      /\(LayerNormalization\): option 'axis' = \[2,-1\] repeats an axis/,
    ],
    [
      'LayerNormalization: rms_scaling in a Keras 2 file',
      () => failure(oneLayer('LayerNormalization', { rms_scaling: true }, [3]), k2),
      /option 'rms_scaling' = true is not supported/,
    ],
    [
      'LayerNormalization: an unknown size on a normalized axis',
      () => failure(oneLayer('LayerNormalization', { axis: 1 }, [null, 3]), k3),
      /the input size on axis 1 is unknown \(input shape \(None, None, 3\)\)/,
    ],
    [
      'ReLU: negative max_value',
      () => failure(oneLayer('ReLU', { max_value: -1 }, [3]), k3),
      /\(ReLU\): option 'max_value' must be null or a number >= 0, got -1/,
    ],
    [
      'ReLU: null negative_slope',
      () => failure(oneLayer('ReLU', { negative_slope: null }, [3]), k3),
      /option 'negative_slope' must be a number >= 0, got null/,
    ],
    [
      'ReLU: negative threshold',
      () => failure(oneLayer('ReLU', { threshold: -0.5 }, [3]), k2),
      /option 'threshold' must be >= 0, got -0.5/,
    ],
    [
      'LeakyReLU: negative slope in Keras 3',
      () => failure(oneLayer('LeakyReLU', { negative_slope: -0.1 }, [3]), k3),
      /\(LeakyReLU\): option 'negative_slope' must be >= 0, got -0.1/,
    ],
    [
      'LeakyReLU: negative_slope in a Keras 2 file',
      () => failure(oneLayer('LeakyReLU', { negative_slope: 0.1 }, [3]), k2),
      /option 'negative_slope' = 0.1 is not supported/,
    ],
    [
      'ELU: null alpha',
      () => failure(oneLayer('ELU', { alpha: null }, [3]), k2),
      /\(ELU\): option 'alpha' must be a number, got null/,
    ],
    [
      'PReLU: shared axis out of range',
      () => failure(oneLayer('PReLU', { shared_axes: [4] }, [4, 3]), k3),
      /\(PReLU\): option 'shared_axes' = \[4\] has axis 4, out of range for an input of shape \(None, 4, 3\)/,
    ],
    [
      'PReLU: alpha of the wrong shape',
      () =>
        failure(oneLayer('PReLU', { shared_axes: [1] }, [4, 3]), k3, [
          { name: 'layer/alpha', shape: [4, 3], values: new Array<number>(12).fill(0.1) },
        ]),
      /weight 'layer\/alpha' has shape \(4, 3\); expected alpha of shape \(1, 3\)/,
    ],
    [
      'Dot: three axes',
      () => failure(oneLayer('Dot', { axes: [1, 2, 3] }, [[3], [3]]), k3),
      /\(Dot\): option 'axes' must be an integer or a list of two integers, got \[1,2,3\]/,
    ],
    [
      'Dot: sizes that differ on the contracted axes',
      () =>
        failure(
          oneLayer('Dot', { axes: -1 }, [
            [4, 3],
            [4, 5],
          ]),
          k3,
        ),
      /incompatible input shapes: size 3 on axis 2 of \(None, 4, 3\) != size 5 on axis 2 of \(None, 4, 5\)/,
    ],
    [
      'Dot: the batch axis',
      () => failure(oneLayer('Dot', { axes: 0 }, [[3], [3]]), k3),
      /option 'axes' = 0 contracts the batch axis/,
    ],
    [
      'Dot: three inputs',
      () => failure(oneLayer('Dot', { axes: 1 }, [[3], [3], [3]]), k3),
      /\(Dot\): expected 2 inputs, got 3/,
    ],
    [
      'Add: shapes that do not broadcast',
      () =>
        failure(
          oneLayer('Add', {}, [
            [3, 4],
            [2, 4],
          ]),
          k3,
        ),
      /\(Add\): inputs have incompatible shapes \(None, 3, 4\), \(None, 2, 4\); Keras merges only equal sizes or sizes of 1/,
    ],
    [
      'Multiply: a lower-rank input that does not line up',
      () => failure(oneLayer('Multiply', {}, [[3, 4], [3]]), k2),
      /\(Multiply\): inputs have incompatible shapes \(None, 3, 4\), \(None, 3\)/,
    ],
    [
      'Subtract: three inputs',
      () => failure(oneLayer('Subtract', {}, [[3], [3], [3]]), k3),
      /\(Subtract\): expected exactly 2 inputs, got 3/,
    ],
    [
      'Add: inputs of different batch sizes',
      () =>
        failure(oneLayer('Add', {}, [[3], [3]]), k3, [], () => [tf.ones([2, 3]), tf.ones([1, 3])]),
      /\(Add\): cannot merge tensors with different batch sizes, got \(2, 3\), \(1, 3\)/,
    ],
    [
      'Concatenate: sizes that differ off the axis',
      () =>
        failure(
          oneLayer('Concatenate', { axis: -1 }, [
            [3, 4],
            [2, 4],
          ]),
          k3,
        ),
      /\(Concatenate\): inputs \(None, 3, 4\), \(None, 2, 4\) cannot be concatenated on axis -1/,
    ],
    [
      'Softmax: axis out of range',
      () => failure(oneLayer('Softmax', { axis: 2 }, [3]), k3),
      /\(Softmax\): option 'axis' = 2 is out of range for an input of rank 2/,
    ],
  ];
  for (const [what, run, pattern] of cases) {
    it(what, async () => {
      expect(await run()).toMatch(pattern);
    });
  }
});

describe('fuzzed configs of these layers', () => {
  it('every mutation loads and runs or fails with a KerasModelError', async () => {
    // in0 (4, 3) → BatchNormalization → LayerNormalization → PReLU → Softmax(axis 1) ─┐
    // in1 (4, 3) ─────────────────────────────────────────────────────────────────────┴→ Dot → Add
    const node = (name: string, className: string, config: object, inputs: string[]) => ({
      class_name: className,
      name,
      config: { name, ...config },
      inbound_nodes: [
        { args: inputs.length > 1 ? [inputs.map((i) => kt(i))] : [kt(inputs[0])], kwargs: {} },
      ],
    });
    const model = {
      class_name: 'Functional',
      config: {
        name: 'fuzz',
        layers: [
          ...['in0', 'in1'].map((n) => ({
            class_name: 'InputLayer',
            name: n,
            config: { name: n, batch_shape: [null, 4, 3] },
            inbound_nodes: [],
          })),
          node('bn', 'BatchNormalization', { axis: -1, epsilon: 0.001 }, ['in0']),
          node('ln', 'LayerNormalization', { axis: [1, 2] }, ['bn']),
          node('prelu', 'PReLU', { shared_axes: [1] }, ['ln']),
          node('sm', 'Softmax', { axis: 1 }, ['prelu']),
          node('dot', 'Dot', { axes: [1, 1], normalize: true }, ['sm', 'in1']),
          node('leaky', 'LeakyReLU', { negative_slope: 0.2 }, ['dot']),
          node('add', 'Add', {}, ['leaky', 'dot']),
        ],
        input_layers: [
          ['in0', 0, 0],
          ['in1', 0, 0],
        ],
        output_layers: [['add', 0, 0]],
      },
    };
    const weights = [
      ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => vec(`bn/${w}`, 3, 0.5)),
      { name: 'ln/gamma', shape: [4, 3], values: new Array<number>(12).fill(1.25) },
      { name: 'ln/beta', shape: [4, 3], values: new Array<number>(12).fill(0.5) },
      { name: 'prelu/alpha', shape: [1, 3], values: [0.1, 0.2, 0.3] },
    ];
    const rand = rng(11);
    const variants: { model: unknown; weights: typeof weights }[] = [{ model, weights }];
    // Moving statistics of the wrong length, and weights dropped.
    for (const n of [1, 2, 4, 12]) {
      variants.push({ model, weights: [...weights.slice(0, 3), vec('bn/moving_variance', n)] });
    }
    variants.push({ model, weights: weights.slice(1) });
    for (let i = 0; i < 150; i++) variants.push({ model: mutateJson(model, rand), weights });
    let loaded = 0;
    let rejected = 0;
    for (const v of variants) {
      const s = container(v.model, '3.13.2', v.weights);
      try {
        const m = await loadKerasModel(s.json, s.options);
        try {
          const xs = [tf.ones([2, 4, 3]), tf.fill([2, 4, 3], 0.5)];
          tf.dispose(m.predict(xs));
          tf.dispose(xs);
        } finally {
          m.dispose();
        }
        loaded++;
      } catch (e) {
        if (!(e instanceof KerasModelError) || e.message.length === 0)
          throw new Error(`expected a KerasModelError, got ${String((e as Error)?.stack ?? e)}`);
        rejected++;
      }
    }
    expect(loaded).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
