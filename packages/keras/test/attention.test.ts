/**
 * Attention, AdditiveAttention and MultiHeadAttention in small models (Keras 3 and tf.keras 2
 * configs), against fixtures/attention/attention_cases.json: outputs of a float64 numpy
 * implementation of the Keras equations (fixtures/attention/make_attention_fixtures.py). Then the
 * errors for configs and inputs the layers cannot take.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import { loadKerasModel } from '../src/index.js';
import { FIXTURES, flat, shapeOf, workspaceBackends } from './helpers.js';
import { startBackend } from './availability.js';
import { kt } from './synthetic.js';

const TOLERANCE = 1e-4;

interface AttentionCase {
  name: string;
  description: string;
  keras_version: string;
  model_config: unknown;
  inputs: Record<string, unknown>;
  weights: { name: string; shape: number[]; values: number[] }[];
  outputs: Record<string, unknown>;
}

const cases = (
  JSON.parse(readFileSync(join(FIXTURES, 'attention', 'attention_cases.json'), 'utf8')) as {
    cases: AttentionCase[];
  }
).cases;

/** A tfjs model.json and its one shard holding `weights` in order. */
function container(
  modelConfig: unknown,
  kerasVersion: string,
  weights: { name: string; shape: number[]; values: number[] }[],
): [Uint8Array, { weightShards: Record<string, Uint8Array> }] {
  const data = Float32Array.from(weights.flatMap((w) => w.values));
  const json = {
    format: 'layers-model',
    modelTopology: {
      keras_version: kerasVersion,
      backend: 'tensorflow',
      model_config: modelConfig,
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  return [
    new TextEncoder().encode(JSON.stringify(json)),
    { weightShards: { 'w.bin': new Uint8Array(data.buffer) } },
  ];
}

describe('attention fixtures', () => {
  it('cover every attention class, masks, causal masks, scales, concat scores and heads', () => {
    const text = JSON.stringify(cases.map((c) => c.model_config));
    for (const needle of [
      '"Attention"',
      '"AdditiveAttention"',
      '"MultiHeadAttention"',
      '"Masking"',
      '"use_causal_mask":true',
      '"causal":true',
      '"score_mode":"concat"',
      '"return_attention_scores":true',
    ])
      expect(text).toContain(needle);
    expect(cases.length).toBe(14);
  });
});

for (const backend of workspaceBackends()) {
  describe(`attention layers on ${backend.name}`, () => {
    const started = startBackend(backend);

    for (const c of cases) {
      it(`${c.name}: ${c.description}`, async (ctx) => {
        started.skipIfDown(ctx);
        const [bytes, options] = container(c.model_config, c.keras_version, c.weights);
        const model = await loadKerasModel(bytes, options);
        const inputs = Object.fromEntries(
          Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(flat(v), shapeOf(v))]),
        );
        const names = Object.keys(c.outputs);
        const got = model.predict(inputs, { outputs: names });
        for (const name of names) {
          const want = c.outputs[name];
          expect(got[name].shape, name).toEqual(shapeOf(want));
          const err = maxRelError(await got[name].data(), flat(want));
          expect(err, `${c.name} ${name}`).toBeLessThanOrEqual(TOLERANCE);
        }
        // Output shapes known before running match the ones computed.
        const info = model.layers.find((l) => l.name === 'att')!;
        names.forEach((name, i) =>
          expect(info.outputShapes[i]).toEqual([null, ...shapeOf(c.outputs[name]).slice(1)]),
        );
        tf.dispose([...Object.values(inputs), ...Object.values(got)]);
        model.dispose();
      });
    }
  });
}

/** A Keras 3 model: inputs of the given shapes (batch omitted) into one layer. */
function oneLayerModel(
  className: string,
  config: Record<string, unknown>,
  shapes: number[][],
  kwargs: Record<string, unknown> = {},
  args?: unknown[],
): unknown {
  const names = shapes.map((_, i) => `in${i}`);
  return {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        ...shapes.map((s, i) => ({
          class_name: 'InputLayer',
          config: { name: names[i], batch_shape: [null, ...s] },
          name: names[i],
          inbound_nodes: [],
        })),
        {
          class_name: className,
          config: { name: 'att', ...config },
          name: 'att',
          inbound_nodes: [{ args: args ?? [names.map((n) => kt(n))], kwargs }],
        },
      ],
      input_layers: names.map((n) => [n, 0, 0]),
      output_layers: [['att', 0, 0]],
    },
  };
}

async function load(
  model: unknown,
  weights: { name: string; shape: number[] }[] = [],
  version = '3.10.0',
) {
  const full = weights.map((w) => ({
    ...w,
    values: new Array<number>(w.shape.reduce((a, b) => a * b, 1)).fill(0.5),
  }));
  const [bytes, options] = container(model, version, full);
  return loadKerasModel(bytes, options);
}

describe('attention errors', () => {
  beforeAll(() => workspaceBackends()[0].init());

  it('names mismatched query and key features', async () => {
    await expect(
      load(
        oneLayerModel('Attention', {}, [
          [3, 4],
          [5, 3],
        ]),
      ),
    ).rejects.toThrow(
      "layer 'att' (Attention): query features 4 must equal key features 3 (query (None, 3, 4), key (None, 5, 3))",
    );
  });

  it('names value and key of different lengths', async () => {
    await expect(
      load(
        oneLayerModel('AdditiveAttention', { use_scale: false }, [
          [3, 4],
          [5, 4],
          [6, 4],
        ]),
      ),
    ).rejects.toThrow(
      "layer 'att' (AdditiveAttention): value and key must have the same number of steps, got value (None, 5, 4) and key (None, 6, 4)",
    );
  });

  it('needs two or three inputs of rank 3', async () => {
    await expect(load(oneLayerModel('Attention', {}, [[3, 4]]))).rejects.toThrow(
      "layer 'att' (Attention): expected inputs [query, value] or [query, value, key], got 1 input(s)",
    );
    await expect(load(oneLayerModel('Attention', {}, [[4], [4]]))).rejects.toThrow(
      "layer 'att' (Attention): expected query of shape (batch, steps, features), got (None, 4)",
    );
  });

  it('refuses an unknown score_mode and checks weight shapes', async () => {
    await expect(
      load(
        oneLayerModel('Attention', { score_mode: 'general' }, [
          [3, 4],
          [5, 4],
        ]),
      ),
    ).rejects.toThrow(
      `layer 'att' (Attention): option 'score_mode' must be "dot" or "concat", got "general"`,
    );
    await expect(
      load(
        oneLayerModel('AdditiveAttention', {}, [
          [3, 4],
          [5, 4],
        ]),
        [{ name: 'att/scale', shape: [3] }],
      ),
    ).rejects.toThrow(
      "layer 'att' (AdditiveAttention): weight 'att/scale' has shape (3,); expected scale of shape (4,)",
    );
  });

  it('checks batch sizes when run', async () => {
    const model = await load(
      oneLayerModel('Attention', {}, [
        [3, 4],
        [5, 4],
      ]),
    );
    expect(() => model.predict([tf.zeros([2, 3, 4]), tf.zeros([1, 5, 4])])).toThrow(
      "layer 'att' (Attention): inputs must have the same batch size, got (2, 3, 4), (1, 5, 4)",
    );
  });

  it('refuses MultiHeadAttention options it cannot honour', async () => {
    const base = { num_heads: 2, key_dim: 2 };
    await expect(
      load(
        oneLayerModel('MultiHeadAttention', { ...base, use_gate: true }, [[3, 4]], {}, [
          kt('in0'),
          kt('in0'),
        ]),
      ),
    ).rejects.toThrow(
      "layer 'att' (MultiHeadAttention): option 'use_gate' = true is not supported (gated attention)",
    );
    await expect(
      load(
        oneLayerModel('MultiHeadAttention', { ...base, attention_axes: [2] }, [[3, 5, 4]], {}, [
          kt('in0'),
          kt('in0'),
        ]),
      ),
    ).rejects.toThrow(
      "layer 'att' (MultiHeadAttention): option 'attention_axes' = [2] is not supported for inputs of rank 4 (supported: attention over all axes between batch and features, [1,2])",
    );
    await expect(
      load(
        oneLayerModel('MultiHeadAttention', { num_heads: 0, key_dim: 2 }, [[3, 4]], {}, [
          kt('in0'),
          kt('in0'),
        ]),
      ),
    ).rejects.toThrow(
      "layer 'att' (MultiHeadAttention): option 'num_heads' must be a positive integer up to 4096, got 0",
    );
  });

  it('names MultiHeadAttention value and key of different lengths, and a missing value', async () => {
    await expect(
      load(
        oneLayerModel(
          'MultiHeadAttention',
          { num_heads: 1, key_dim: 2 },
          [
            [3, 4],
            [5, 4],
            [6, 4],
          ],
          {},
          [kt('in0'), kt('in1'), kt('in2')],
        ),
      ),
    ).rejects.toThrow(
      "layer 'att' (MultiHeadAttention): all dimensions of value and key except the last must be equal, got value (None, 5, 4) and key (None, 6, 4)",
    );
    await expect(
      load(
        oneLayerModel('MultiHeadAttention', { num_heads: 1, key_dim: 2 }, [[3, 4]], {}, [
          kt('in0'),
        ]),
      ),
    ).rejects.toThrow("model config: layer 'att' call 0 must pass a query and a value tensor");
  });

  it('refuses call arguments a layer does not take', async () => {
    await expect(
      load(oneLayerModel('Dense', { units: 2 }, [[4]], { use_causal_mask: true }, [kt('in0')]), [
        { name: 'att/kernel', shape: [4, 2] },
        { name: 'att/bias', shape: [2] },
      ]),
    ).rejects.toThrow(
      "model config: layer 'att' (Dense) call 0 passes argument 'use_causal_mask' = true, which is not supported",
    );
    await expect(
      load(
        oneLayerModel(
          'Attention',
          {},
          [
            [3, 4],
            [5, 4],
          ],
          { use_causal_mask: 'yes' },
        ),
      ),
    ).rejects.toThrow(
      `model config: layer 'att' call 0 passes argument 'use_causal_mask' = "yes"; expected a boolean`,
    );
  });

  it('refuses masks for tf.keras MultiHeadAttention before 2.10, which had no mask support', async () => {
    const model = {
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'InputLayer',
            config: { name: 'x', batch_input_shape: [null, 3, 4] },
            name: 'x',
            inbound_nodes: [],
          },
          {
            class_name: 'Masking',
            config: { name: 'mask', mask_value: 0 },
            name: 'mask',
            inbound_nodes: [[['x', 0, 0, {}]]],
          },
          {
            class_name: 'MultiHeadAttention',
            config: { name: 'att', num_heads: 1, key_dim: 2 },
            name: 'att',
            inbound_nodes: [[['mask', 0, 0, { value: ['mask', 0, 0] }]]],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['att', 0, 0]],
      },
    };
    const weights = [
      { name: 'att/query/kernel', shape: [4, 1, 2] },
      { name: 'att/query/bias', shape: [1, 2] },
      { name: 'att/key/kernel', shape: [4, 1, 2] },
      { name: 'att/key/bias', shape: [1, 2] },
      { name: 'att/value/kernel', shape: [4, 1, 2] },
      { name: 'att/value/bias', shape: [1, 2] },
      { name: 'att/attention_output/kernel', shape: [1, 2, 4] },
      { name: 'att/attention_output/bias', shape: [4] },
    ];
    const m = await load(model, weights, '2.9.0');
    expect(() => m.predict(tf.ones([1, 3, 4]))).toThrow(
      "layer 'att' (MultiHeadAttention): does not support masking, but its input carries a mask (Keras 2 refuses this too)",
    );
    const newer = await load(model, weights, '2.10.0');
    expect((newer.predict(tf.ones([1, 3, 4])) as tf.Tensor).shape).toEqual([1, 3, 4]);
  });
});
