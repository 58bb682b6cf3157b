/**
 * Custom layers: a user class and a Lambda fail with errors that say how to register an
 * implementation; registered implementations (by class name, per load, by layer name) load and
 * run. The README example runs on the real model intent_bilstm_custom_attention_k310 and must
 * match its expected.json (float64 numpy of the Keras equations) within 1e-4·max(1, |y|) on every
 * backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import {
  KerasModelError,
  loadKerasModel,
  registerKerasLayer,
  type CustomLayerFactory,
} from '../src/index.js';
import { flat, REPO_ROOT, workspaceBackends } from './helpers.js';
import { describeIfPresent, startBackend } from './availability.js';
import { readmeExample } from './readme_example.js';
import { kt } from './synthetic.js';

const TOLERANCE = 1e-4;
const WILD = join(REPO_ROOT, '..', 'shared', 'wild-models');
const INTENT = join(WILD, 'intent_bilstm_custom_attention_k310');
const GRU_LAMBDA = join(WILD, 'gru_lambda_attention_k391');
const describeWithWild = describeIfPresent(
  existsSync(join(INTENT, 'expected.json')),
  `the wild models in ${WILD}`,
);

interface Expected {
  input: unknown;
  input_shape: number[];
  outputs: Record<string, unknown>;
}
const expectedOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;

/** The AttentionLayer of intent_bilstm_custom_attention_k310, per its SOURCE.md. */
const attentionLayer: CustomLayerFactory = () => ({
  weights: ([x]) => [
    { name: 'W', shape: [x[2], 1] },
    { name: 'b', shape: [x[1], 1] },
  ],
  outputShape: ([x]) => [x[0], x[2]],
  call: ([x], [W, b]) => {
    const e = tf.tanh(tf.add(tf.sum(tf.mul(x, tf.reshape(W, [1, 1, -1])), -1, true), b));
    const a = tf.transpose(tf.softmax(tf.transpose(e, [0, 2, 1])), [0, 2, 1]);
    return tf.sum(tf.mul(x, a), 1);
  },
});

beforeAll(() => workspaceBackends()[0].init());

describeWithWild('a user class (intent_bilstm_custom_attention_k310)', () => {
  const file = join(INTENT, 'bilstm_model.keras');

  it('fails without an implementation, naming the layer, the class and the registration', async () => {
    const error = await loadKerasModel(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasModelError);
    const message = (error as Error).message;
    expect(message).toContain(
      'layer "attention_layer_3" has class "AttentionLayer", which is not supported',
    );
    expect(message).toContain(
      'register an implementation: registerKerasLayer("AttentionLayer", factory) or loadKerasModel(source, { customLayers: { "AttentionLayer": factory } })',
    );
  });

  it('loads with customLayers for one load, matching expected.json', async () => {
    const e = expectedOf(INTENT);
    const model = await loadKerasModel(file, { customLayers: { AttentionLayer: attentionLayer } });
    const info = model.layers.find((l) => l.name === 'attention_layer_3')!;
    expect(info.outputShapes).toEqual([[null, 256]]);
    expect(info.params).toBe(256 + 40);
    const y = model.predict(tf.tensor(flat(e.input), e.input_shape, 'int32')) as tf.Tensor;
    expect(maxRelError(await y.data(), flat(e.outputs.dense_3))).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
    // The option applied to that load only.
    await expect(loadKerasModel(file)).rejects.toThrow(/has class "AttentionLayer"/);
  });

  it('checks the declared weights against the file', async () => {
    const wrong: CustomLayerFactory = (layer) => ({
      ...attentionLayer(layer),
      weights: ([x]) => [{ name: 'W', shape: [x[2], 1] }],
    });
    await expect(loadKerasModel(file, { customLayers: { AttentionLayer: wrong } })).rejects.toThrow(
      "layer 'attention_layer_3' (AttentionLayer): expected 1 weight(s) (W (256, 1)), the file has 2",
    );
  });
});

describe('the README example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const source = readFileSync(new URL('./readme_example.ts', import.meta.url), 'utf8');
    const body = source
      .split('// README start\n')[1]
      .split('  // README end')[0]
      .split('\n')
      .map((l) => l.replace(/^ {2}/, ''))
      .join('\n')
      .trimEnd();
    const block =
      "import * as tf from '@tensorflow/tfjs-core';\n" +
      "import { loadKerasModel, registerKerasLayer } from '@rnnkit/keras';\n\n" +
      body;
    expect(readme).toContain('```ts\n' + block + '\n```');
  });
});

for (const backend of workspaceBackends()) {
  describeWithWild(`the README example on ${backend.name}`, () => {
    const started = startBackend(backend);
    afterAll(() => workspaceBackends()[0].init());

    it('matches intent_bilstm_custom_attention_k310/expected.json', async (ctx) => {
      started.skipIfDown(ctx);
      const e = expectedOf(INTENT);
      const { model, probabilities } = await readmeExample(
        join(INTENT, 'bilstm_model.keras'),
        e.input as number[][],
      );
      expect(probabilities.shape).toEqual([2, 12]);
      const err = maxRelError(await probabilities.data(), flat(e.outputs.dense_3));
      console.log(`${backend.name} intent_bilstm_custom_attention_k310 max error ${err}`);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
      probabilities.dispose();
      model.dispose();
    }, 60_000);
  });
}

/** Keras 3 model: input (steps, features) → one layer → Dense(2) (weights all 0.25). */
function throughLayer(className: string, config: Record<string, unknown>, steps = 4) {
  const model = {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        {
          class_name: 'InputLayer',
          config: { name: 'x', batch_shape: [null, steps, 3] },
          name: 'x',
          inbound_nodes: [],
        },
        {
          class_name: className,
          config: { name: 'custom', ...config },
          name: 'custom',
          inbound_nodes: [{ args: [kt('x')], kwargs: {} }],
        },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['custom', 0, 0]],
    },
  };
  const json = {
    format: 'layers-model',
    modelTopology: { keras_version: '3.9.1', model_config: model },
    weightsManifest: [],
  };
  return [new TextEncoder().encode(JSON.stringify(json)), { weightShards: {} }] as const;
}

const lastStep: CustomLayerFactory = () => ({
  outputShape: ([x]) => [x[0], 1, x[2]],
  call: ([x]) => tf.slice(x, [0, x.shape[1]! - 1, 0], [-1, 1, -1]),
});

describe('Lambda layers', () => {
  const lambda = {
    function: { class_name: '__lambda__', config: { code: '4wEAAAAA', defaults: null } },
    arguments: {},
  };

  it('fail naming the layer and the replacement by layer name', async () => {
    const [bytes, options] = throughLayer('Lambda', lambda);
    await expect(loadKerasModel(bytes, options)).rejects.toThrow(
      `layer 'custom' (Lambda) holds Python code, which cannot run outside Python; give its replacement by layer name: loadKerasModel(source, { layerReplacements: { "custom": (layer) => ({ outputShape, call }) } })`,
    );
  });

  it('run the replacement given by layer name', async () => {
    const [bytes, options] = throughLayer('Lambda', lambda);
    let seen: unknown;
    const model = await loadKerasModel(bytes, {
      ...options,
      layerReplacements: {
        custom: (layer) => {
          seen = layer;
          return lastStep(layer);
        },
      },
    });
    expect(seen).toEqual({
      name: 'custom',
      className: 'Lambda',
      config: { name: 'custom', ...lambda },
      kerasVersion: '3.9.1',
    });
    const x = [...Array(2 * 4 * 3).keys()].map((i) => i / 8);
    const y = model.predict(tf.tensor3d(x, [2, 4, 3])) as tf.Tensor;
    expect(y.shape).toEqual([2, 1, 3]);
    // The last step of each sequence: elements 9..11 and 21..23.
    expect(Array.from(await y.data())).toEqual([...x.slice(9, 12), ...x.slice(21, 24)]);
  });

  it('refuse a replacement for a layer the model does not have', async () => {
    const [bytes, options] = throughLayer('Lambda', lambda);
    await expect(
      loadKerasModel(bytes, { ...options, layerReplacements: { lambda_1: lastStep } }),
    ).rejects.toThrow(
      "options.layerReplacements: the model has no layer named 'lambda_1' (layers: x, custom)",
    );
  });
});

// Needs Reshape and Keras 3's `mask: [null, null]` call argument read as no mask.
describeWithWild('a Lambda in a real model (gru_lambda_attention_k391)', () => {
  const file = join(GRU_LAMBDA, 'attention_model.h5');

  it('fails naming the Lambda layer and how to replace it', async () => {
    await expect(loadKerasModel(file)).rejects.toThrow(
      /layer 'lambda' \(Lambda\) holds Python code.*layerReplacements: \{ "lambda"/,
    );
  });

  it('matches expected.json with the replacement', async () => {
    const e = expectedOf(GRU_LAMBDA);
    const model = await loadKerasModel(file, { layerReplacements: { lambda: lastStep } });
    const y = model.predict(tf.tensor(flat(e.input), e.input_shape)) as tf.Tensor;
    expect(maxRelError(await y.data(), flat(e.outputs.dense))).toBeLessThanOrEqual(TOLERANCE);
    model.dispose();
  });
});

describe('registered implementations', () => {
  it('apply to every later load by class name, until removed', async () => {
    const [bytes, options] = throughLayer('LastStep', {});
    const remove = registerKerasLayer('LastStep', lastStep);
    const model = await loadKerasModel(bytes, options);
    expect(model.layers[1].outputShapes).toEqual([[null, 1, 3]]);
    remove();
    await expect(loadKerasModel(bytes, options)).rejects.toThrow(/has class "LastStep"/);
  });

  it('give way to customLayers, and replacements by name to both', async () => {
    const [bytes, options] = throughLayer('LastStep', {});
    const remove = registerKerasLayer('LastStep', () => {
      throw new Error('not this one');
    });
    try {
      const model = await loadKerasModel(bytes, {
        ...options,
        customLayers: { LastStep: lastStep },
      });
      expect(model.layers[1].outputShapes).toEqual([[null, 1, 3]]);
      const replaced = await loadKerasModel(bytes, {
        ...options,
        customLayers: { LastStep: lastStep },
        layerReplacements: { custom: () => ({ outputShape: ([x]) => x, call: ([x]) => x }) },
      });
      expect(replaced.layers[1].outputShapes).toEqual([[null, 4, 3]]);
      await expect(loadKerasModel(bytes, options)).rejects.toThrow(
        "layer 'custom' (LastStep): the registered implementation's factory failed: not this one",
      );
    } finally {
      remove();
    }
  });

  it('must return what they declare', async () => {
    const [bytes, options] = throughLayer('LastStep', {});
    const lying: CustomLayerFactory = () => ({
      outputShape: ([x]) => [x[0], 2, x[2]],
      call: ([x]) => x,
    });
    const model = await loadKerasModel(bytes, { ...options, customLayers: { LastStep: lying } });
    expect(() => model.predict(tf.zeros([1, 4, 3]))).toThrow(
      "layer 'custom' (LastStep): call returned output 0 of shape (1, 4, 3); outputShape declares (1, 2, 3)",
    );
    const throwing: CustomLayerFactory = () => ({
      outputShape: ([x]) => x,
      call: () => {
        throw new Error('boom');
      },
    });
    const m2 = await loadKerasModel(bytes, { ...options, customLayers: { LastStep: throwing } });
    expect(() => m2.predict(tf.zeros([1, 4, 3]))).toThrow(
      "layer 'custom' (LastStep): the registered implementation's call failed: boom",
    );
  });

  it('refuse malformed registrations', async () => {
    const [bytes, options] = throughLayer('LastStep', {});
    expect(() => registerKerasLayer('LastStep', {} as unknown as CustomLayerFactory)).toThrow(
      "registerKerasLayer('LastStep'): expected a function that returns the layer's implementation, got {}",
    );
    await expect(
      loadKerasModel(bytes, {
        ...options,
        customLayers: { LastStep: (() => ({ call: () => null })) as unknown as CustomLayerFactory },
      }),
    ).rejects.toThrow(
      "layer 'custom' (LastStep): the registered implementation must be an object with outputShape and call methods",
    );
    await expect(
      loadKerasModel(bytes, {
        ...options,
        customLayers: {
          LastStep: (() => ({
            outputShape: () => [null, 'x'],
            call: ([x]: tf.Tensor[]) => x,
          })) as unknown as CustomLayerFactory,
        },
      }),
    ).rejects.toThrow(
      'layer \'custom\' (LastStep): outputShape must return a shape (a list of sizes or null) or a list of shapes, got [null,"x"]',
    );
  });

  it('pass masks through computeMask, and drop or refuse them without it as Keras does', async () => {
    const config = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 3, 2] } },
          { class_name: 'Masking', config: { name: 'mask', mask_value: 0 } },
          { class_name: 'Twice', config: { name: 'twice' } },
          { class_name: 'LSTM', config: { name: 'lstm', units: 1, return_sequences: true } },
        ],
      },
    };
    const weights = [
      { name: 'lstm/kernel', shape: [2, 4] },
      { name: 'lstm/recurrent_kernel', shape: [1, 4] },
      { name: 'lstm/bias', shape: [4] },
    ];
    const load = (version: string, factory: CustomLayerFactory) => {
      const json = {
        format: 'layers-model',
        modelTopology: { keras_version: version, model_config: config },
        weightsManifest: [
          { paths: ['w.bin'], weights: weights.map((w) => ({ ...w, dtype: 'float32' })) },
        ],
      };
      return loadKerasModel(new TextEncoder().encode(JSON.stringify(json)), {
        weightShards: { 'w.bin': new Uint8Array(new Float32Array(16).fill(0.5).buffer) },
        customLayers: { Twice: factory },
      });
    };
    const twice: CustomLayerFactory = () => ({
      outputShape: ([x]) => x,
      call: ([x]) => tf.mul(x, 2),
    });
    const masking: CustomLayerFactory = (layer) => ({
      ...twice(layer),
      computeMask: (_inputs, [mask]) => mask,
    });
    const x = tf.tensor3d([
      [
        [1, 1],
        [0, 0],
        [1, 1],
      ],
    ]);
    // With the mask passed on, the LSTM repeats step 0's output at the masked step 1.
    const kept = (await load('3.9.1', masking)).predict(x) as tf.Tensor;
    const [a, b] = Array.from(await kept.data());
    expect(b).toBe(a);
    // Keras 3 drops the mask of a layer without compute_mask: step 1 is computed.
    const dropped = (await load('3.9.1', twice)).predict(x) as tf.Tensor;
    const d = Array.from(await dropped.data());
    expect(d[1]).not.toBe(d[0]);
    // Keras 2 refuses it.
    const keras2 = await load('2.4.0', twice);
    expect(() => keras2.predict(x)).toThrow(
      "layer 'twice' (Twice): does not support masking, but its input carries a mask (Keras 2 refuses this too)",
    );
  });
});
