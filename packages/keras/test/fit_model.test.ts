/**
 * `fitModel` from `@rnnkit/keras/training` against tfjs-layers' `model.fit`, an independent
 * implementation of the same Keras layers and SGD update: the same architecture with the same
 * weights, saved by tfjs-layers and loaded here, trains to the same weights (shuffle off). Frozen
 * layers stay bit-identical; bad input is refused before any weight changes.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKerasModel, registerKerasLayer, saveTfjs, type KerasModel } from '../src/index.js';
import { fitModel } from '../src/training/index.js';
import { flat, WILD_MODELS, workspaceBackends } from './helpers.js';
import { startBackend } from './availability.js';

/** Deterministic weights in [-scale, scale), multiples of 1/1024 (exact in float32). */
function setWeights(model: tfl.LayersModel, seed: number, scale = 0.5): void {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w, i) =>
        // BatchNormalization's moving variance must stay positive.
        layer.getClassName() === 'BatchNormalization' && i === 3
          ? tf.tensor(
              Array.from({ length: w.size }, () => 0.5 + next()),
              w.shape,
            )
          : tf.tensor(
              Array.from(
                { length: w.size },
                () => Math.round((next() * 2 - 1) * scale * 1024) / 1024,
              ),
              w.shape,
            ),
      ),
    );
  }
}

/** Saves `model` with tfjs-layers' own writer and loads the bytes with rnnkit's loader. */
async function loadFromTfjs(model: tfl.LayersModel): Promise<KerasModel> {
  let json = new Uint8Array();
  let shard = new Uint8Array();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      shard = new Uint8Array(artifacts.weightData as ArrayBuffer);
      json = new TextEncoder().encode(
        JSON.stringify({
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['w.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return loadKerasModel(json, { weightShards: { 'w.bin': shard } });
}

const init = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

function embeddingLstmDense(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, inputShape: [6] }),
      tfl.layers.lstm({ units: 5, ...init }),
      tfl.layers.dense({ units: 3, activation: 'tanh' }),
    ],
  });
}

function convGruDense(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv1d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [7, 2] }),
      // tfjs-layers' GRU is the reset-before one (it saves reset_after: false).
      tfl.layers.gru({ units: 5, returnSequences: true, ...init }),
      tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

function denseBatchNorm(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 4, inputShape: [3] }),
      tfl.layers.batchNormalization({ momentum: 0.9 }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

/** With the LSTM's regularizers (`lstmPenalties`) or without, for the oracle. */
function regularized(withLstmPenalties: boolean): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.embedding({
        inputDim: 10,
        outputDim: 4,
        inputLength: 6,
        inputShape: [6],
        embeddingsRegularizer: tfl.regularizers.l1({ l1: 0.01 }),
      }),
      tfl.layers.lstm({
        units: 5,
        ...init,
        ...(withLstmPenalties
          ? {
              kernelRegularizer: tfl.regularizers.l2({ l2: 0.02 }),
              recurrentRegularizer: tfl.regularizers.l1l2({ l1: 0.01, l2: 0.03 }),
              biasRegularizer: tfl.regularizers.l2({ l2: 0.05 }),
            }
          : {}),
      }),
      tfl.layers.dense({ units: 3, kernelRegularizer: tfl.regularizers.l2({ l2: 0.1 }) }),
    ],
  });
}

const ids = () =>
  tf.tensor2d(
    Array.from({ length: 8 * 6 }, (_, i) => (i * 7 + 3) % 10),
    [8, 6],
    'int32',
  );

interface Case {
  name: string;
  /** Layers whose gradients need kernels some backends lack (see hasGradientsFor). */
  needs: string[];
  /**
   * Also run on webgpu: Dawn's software Vulkan (SwiftShader) takes over a minute for each of the
   * others; they agree there too when run.
   */
  webgpu: boolean;
  build: () => tfl.LayersModel;
  x: () => tf.Tensor;
  outputs: number;
}

function denseLstmStack(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.timeDistributed({
        layer: tfl.layers.dense({ units: 3, activation: 'relu' }),
        inputShape: [5, 2],
      }),
      tfl.layers.lstm({ units: 4, returnSequences: true, ...init }),
      tfl.layers.gru({ units: 3, ...init }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

/**
 * tfjs's wasm backend has no kernels for the gradients of a gather (`UnsortedSegmentSum`) and of
 * a convolution's filter (`Conv2DBackpropFilter`), so neither rnnkit nor tfjs-layers can train
 * an Embedding or a convolution there; fitModel refuses it by name (tested below).
 */
function hasGradientsFor(backend: string, needs: string[]): boolean {
  return !(backend === 'wasm' && needs.length > 0);
}

const cases: Case[] = [
  {
    name: 'Embedding → LSTM → Dense',
    needs: ['Embedding'],
    webgpu: true,
    build: embeddingLstmDense,
    x: ids,
    outputs: 3,
  },
  {
    name: 'Conv1D → GRU (reset_after false) → TimeDistributed(Dense) → Flatten → Dense',
    needs: ['Conv1D'],
    webgpu: false,
    build: convGruDense,
    x: () => tf.randomUniform([8, 7, 2], -1, 1, 'float32', 5),
    outputs: 2,
  },
  {
    name: 'TimeDistributed(Dense) → LSTM → GRU (reset_after false) → Dense',
    needs: [],
    webgpu: false,
    build: denseLstmStack,
    x: () => tf.randomUniform([8, 5, 2], -1, 1, 'float32', 7),
    outputs: 2,
  },
  {
    name: 'Dense → BatchNormalization (batch statistics, moving statistics) → Dense',
    needs: [],
    webgpu: true,
    build: denseBatchNorm,
    x: () => tf.randomUniform([8, 3], -1, 1, 'float32', 6),
    outputs: 2,
  },
];

/** The oracle's weights layer by layer (tfjs-layers' model.getWeights lists frozen ones last). */
function layerWeights(model: tfl.LayersModel): tf.Tensor[] {
  return model.layers.flatMap((l) => l.getWeights());
}

/** The largest absolute difference; asynchronous reads, as GPU backends need. */
async function maxDiff(a: tf.Tensor[], b: tf.Tensor[]): Promise<number> {
  expect(a.map((t) => t.shape)).toEqual(b.map((t) => t.shape));
  let worst = 0;
  for (const [i, t] of a.entries()) {
    const [v, u] = await Promise.all([t.data(), b[i].data()]);
    v.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - u[k]))));
  }
  return worst;
}

describe('fitModel', () => {
  const flight = join(WILD_MODELS, 'tfjs_bilstm_bn_flight_k3132');
  it.skipIf(!existsSync(flight))(
    'trains a published model (Bidirectional LSTM, BatchNormalization, L2 regularizers)',
    async () => {
      const expected = JSON.parse(readFileSync(join(flight, 'expected.json'), 'utf8')) as {
        input: unknown;
        input_shape: number[];
      };
      const model = await loadKerasModel(join(flight, 'model.json'));
      const x = tf.tensor(flat(expected.input), expected.input_shape);
      const out = model.predict(x) as tf.Tensor;
      const y = tf.add(out, 0.1);
      const history = await fitModel(model, x, y, { epochs: 30, batchSize: 2, learningRate: 0.01 });
      history.loss.forEach((l) => expect(Number.isFinite(l)).toBe(true));
      // Each epoch's training loss carries the noise of its three Dropout layers, so the loss is
      // compared over five epochs at the start and at the end of training.
      const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      expect(mean(history.loss.slice(-5))).toBeLessThan(mean(history.loss.slice(0, 5)));
      tf.dispose([x, out, y]);
      model.dispose();
    },
  );

  it('leaves frozen layers bit-identical (config trainable false and setTrainable)', async () => {
    const oracle = embeddingLstmDense();
    oracle.layers[0].trainable = false; // saved as trainable: false in the config
    setWeights(oracle, 12);
    const model = await loadFromTfjs(oracle);
    const layers = model.layers.filter((l) => l.className !== 'InputLayer');
    const [embedding, lstm, dense] = layers.map((l) => l.name);
    expect(layers[0].trainable).toBe(false);
    model.setTrainable(dense, false);
    expect(model.layers.find((l) => l.name === dense)?.trainable).toBe(false);
    const before = [embedding, lstm, dense].map((n) => model.getLayerWeights(n));
    const x = ids();
    const y = tf.randomUniform([8, 3], -0.5, 0.5, 'float32', 9);
    await fitModel(model, x, y, { epochs: 2, batchSize: 4, learningRate: 0.05 });
    const after = [embedding, lstm, dense].map((n) => model.getLayerWeights(n));
    expect(await maxDiff(after[0], before[0])).toBe(0);
    expect(await maxDiff(after[2], before[2])).toBe(0);
    expect(await maxDiff(after[1], before[1])).toBeGreaterThan(1e-3);
    tf.dispose([x, y, ...before.flat(), ...after.flat()]);
    model.dispose();
    oracle.dispose();
  });

  it('runs a frozen BatchNormalization in inference mode, moving statistics unchanged', async () => {
    const oracle = denseBatchNorm();
    setWeights(oracle, 13);
    const model = await loadFromTfjs(oracle);
    const bn = model.layers.find((l) => l.className === 'BatchNormalization')?.name as string;
    model.setTrainable(bn, false);
    // Keras (since 2.1) runs a frozen BatchNormalization in inference mode, an affine map, and
    // tfjs-layers does not; the oracle replaces it by the frozen Dense of that map.
    const [gamma, beta, mean, variance] = oracle.layers[1]
      .getWeights()
      .map((w) => w.arraySync() as number[]);
    const scale = gamma.map((g, i) => g / Math.sqrt(variance[i] + 1e-3));
    const affine = tfl.layers.dense({ units: 4, trainable: false });
    const twin = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 4, inputShape: [3] }),
        affine,
        tfl.layers.dense({ units: 2 }),
      ],
    });
    twin.layers[0].setWeights(oracle.layers[0].getWeights());
    affine.setWeights([
      tf.tensor2d(scale.map((s, i) => scale.map((_, j) => (i === j ? s : 0)))),
      tf.tensor1d(beta.map((b, i) => b - mean[i] * scale[i])),
    ]);
    twin.layers[2].setWeights(oracle.layers[2].getWeights());
    const x = tf.randomUniform([8, 3], -1, 1, 'float32', 6);
    const y = tf.randomUniform([8, 2], -0.5, 0.5, 'float32', 9);
    const before = model.getLayerWeights(bn);
    await fitModel(model, x, y, {
      optimizer: 'sgd',
      learningRate: 0.2,
      batchSize: 4,
      shuffle: false,
    });
    twin.compile({ optimizer: tf.train.sgd(0.2), loss: 'meanSquaredError' });
    await twin.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    const after = model.getLayerWeights(bn);
    expect(await maxDiff(after, before)).toBe(0);
    const names = model.layers.filter((l) => l.className === 'Dense').map((l) => l.name);
    const ours = names.flatMap((n) => model.getLayerWeights(n));
    const theirs = [twin.layers[0], twin.layers[2]].flatMap((l) => l.getWeights());
    expect(await maxDiff(ours, theirs)).toBeLessThan(1e-5);
    expect(
      await maxDiff(
        ours,
        [oracle.layers[0], oracle.layers[2]].flatMap((l) => l.getWeights()),
      ),
    ).toBeGreaterThan(1e-3);
    tf.dispose([x, y, ...before, ...after, ...ours]);
    model.dispose();
    oracle.dispose();
    twin.dispose();
  });
});

describe('saveTfjs after fitModel', () => {
  it('writes the trained weights so that rnnkit and tfjs-layers load the trained model', async () => {
    const oracle = convGruDense();
    setWeights(oracle, 15);
    const model = await loadFromTfjs(oracle);
    const x = tf.randomUniform([8, 7, 2], -1, 1, 'float32', 5);
    const y = tf.randomUniform([8, 2], -0.5, 0.5, 'float32', 9);
    await fitModel(model, x, y, { epochs: 2, batchSize: 4, learningRate: 0.01 });
    const trained = model.predict(x) as tf.Tensor;
    const { modelJson, weightData, shardPath } = await saveTfjs(model);

    const json = new TextEncoder().encode(JSON.stringify(modelJson));
    const reloaded = await loadKerasModel(json, { weightShards: { [shardPath]: weightData } });
    const again = reloaded.predict(x) as tf.Tensor;
    expect(Array.from(await again.data())).toEqual(Array.from(await trained.data()));

    const layers = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology as unknown as tf.io.ModelJSON['modelTopology'],
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weightData.slice().buffer,
      }),
    );
    const theirs = layers.predict(x) as tf.Tensor;
    expect(await maxDiff([theirs], [trained])).toBeLessThan(1e-5);
    expect(await maxDiff([theirs], [oracle.predict(x) as tf.Tensor])).toBeGreaterThan(1e-4);
    tf.dispose([x, y, trained, again, theirs]);
    [model, reloaded].forEach((m) => m.dispose());
    [oracle, layers].forEach((m) => m.dispose());
  });
});

describe('fitModel refuses, weights unchanged', () => {
  async function refused(
    model: KerasModel,
    x: tf.Tensor,
    y: tf.Tensor,
    options: Parameters<typeof fitModel>[3],
    message: RegExp,
  ) {
    const before = model.getWeights();
    await expect(fitModel(model, x, y, options)).rejects.toThrow(message);
    const after = model.getWeights();
    expect(await maxDiff(after, before)).toBe(0);
    tf.dispose([...before, ...after]);
  }

  it('rejects bad arguments, naming them', async () => {
    const oracle = embeddingLstmDense();
    setWeights(oracle, 14);
    const model = await loadFromTfjs(oracle);
    const x = ids();
    const y = tf.zeros([8, 3]);
    await refused(
      model,
      x,
      tf.zeros([8, 4]),
      {},
      /^fit: y: expected shape \(8, 3\) \(the model's output\), got shape \(8, 4\)$/,
    );
    await refused(
      model,
      x,
      tf.zeros([7, 3]),
      {},
      /^fit: y: expected 8 samples \(x's first dimension\), got shape \(7, 3\)$/,
    );
    await refused(
      model,
      tf.zeros([8, 5]),
      y,
      {},
      /^fit: x '\w+': expected shape \(None, 6\), got \(8, 5\)$/,
    );
    await refused(
      model,
      x,
      y,
      { learningRate: -1 },
      /^fit: learningRate: expected a positive number, got -1$/,
    );
    await refused(
      model,
      x,
      y,
      { verbose: 3 as 1 },
      /^fit: verbose: expected one of 0, 1, 2, got 3$/,
    );
    tf.dispose([x, y]);
    model.dispose();
    oracle.dispose();
  });

  it('refuses a trainable layer with a constraint, naming layer and option', async () => {
    const oracle = tfl.sequential({
      layers: [
        tfl.layers.dense({
          units: 2,
          inputShape: [3],
          kernelConstraint: tfl.constraints.maxNorm({ maxValue: 1 }),
        }),
      ],
    });
    const model = await loadFromTfjs(oracle);
    const x = tf.ones([4, 3]);
    const y = tf.zeros([4, 2]);
    await refused(
      model,
      x,
      y,
      {},
      /^fit: layer '\w+' \(Dense\): option 'kernel_constraint' is set; constraints are not supported in training \(expected null, or the layer frozen\)$/,
    );
    tf.dispose([x, y]);
    model.dispose();
    oracle.dispose();
  });

  it('refuses a registered custom layer that cannot be differentiated, naming the layer', async () => {
    // A layer that reads its input back to JavaScript: no gradient reaches the Dense before it.
    registerKerasLayer('HostScale', () => ({
      outputShape: ([s]) => s,
      call: ([x]) =>
        tf.tensor(
          Array.from(x.dataSync(), (v) => 2 * v),
          x.shape,
        ),
    }));
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'host',
        layers: [
          { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } },
          { class_name: 'HostScale', config: { name: 'scale' } },
        ],
      },
    };
    const json = new TextEncoder().encode(
      JSON.stringify({
        format: 'layers-model',
        modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: config },
        weightsManifest: [
          {
            paths: ['w.bin'],
            weights: [
              { name: 'd/kernel', shape: [3, 2], dtype: 'float32' },
              { name: 'd/bias', shape: [2], dtype: 'float32' },
            ],
          },
        ],
      }),
    );
    const shard = new Uint8Array(new Float32Array([0.5, -0.25, 0.125, 1, -1, 0.75, 0, 0.5]).buffer);
    const model = await loadKerasModel(json, { weightShards: { 'w.bin': shard } });
    const x = tf.ones([4, 3]);
    const y = tf.zeros([4, 2]);
    await refused(
      model,
      x,
      y,
      {},
      /^layer 'scale' \(HostScale\): cannot be trained by fit: the registered implementation's call cannot be differentiated \(.*\); expected tfjs-core operations/,
    );
    // Frozen, with nothing trainable before it, it needs no gradient.
    model.setTrainable('d', false);
    await expect(fitModel(model, x, y, {})).resolves.toBeDefined();
    tf.dispose([x, y]);
    model.dispose();
  });
});

// Last: each block leaves its backend active.
for (const backend of workspaceBackends()) {
  describe(`fitModel on ${backend.name} against tfjs-layers fit on ${backend.name}`, () => {
    const started = startBackend(backend);
    // Cases a backend cannot train, or that are too slow on a software WebGPU adapter, are not
    // made for it (the wasm refusal has its own test below).
    const trainable = cases.filter(
      (c) => hasGradientsFor(backend.name, c.needs) && (backend.name !== 'webgpu' || c.webgpu),
    );
    for (const c of trainable) {
      it(`two SGD epochs of ${c.name} give the weights tfjs-layers fit gives`, async (ctx) => {
        started.skipIfDown(ctx);
        const oracle = c.build();
        setWeights(oracle, 11);
        const model = await loadFromTfjs(oracle);
        const x = c.x();
        const y = tf.randomUniform([8, c.outputs], -0.5, 0.5, 'float32', 9);
        const start = model.getWeights();
        expect(await maxDiff(start, layerWeights(oracle))).toBe(0);

        const history = await fitModel(model, x, y, {
          optimizer: 'sgd',
          learningRate: 0.2,
          batchSize: 3,
          epochs: 2,
          shuffle: false,
        });
        oracle.compile({ optimizer: tf.train.sgd(0.2), loss: 'meanSquaredError' });
        const theirs = await oracle.fit(x, y, {
          batchSize: 3,
          epochs: 2,
          shuffle: false,
          verbose: 0,
        });

        const ours = model.getWeights();
        // Every trainable weight moved, and all land where tfjs-layers' do.
        expect(await maxDiff(ours, start)).toBeGreaterThan(1e-3);
        expect(await maxDiff(ours, layerWeights(oracle))).toBeLessThan(1e-5);
        history.loss.forEach((l, i) =>
          expect(Math.abs(l - (theirs.history.loss[i] as number))).toBeLessThan(1e-5),
        );
        // The trained model predicts what the trained oracle predicts (inference mode).
        const mine = model.predict(x) as tf.Tensor;
        expect(await maxDiff([mine], [oracle.predict(x) as tf.Tensor])).toBeLessThan(1e-5);
        tf.dispose([x, y, mine, ...start, ...ours]);
        model.dispose();
        oracle.dispose();
      }, 120_000);
    }

    if (backend.name === 'wasm') {
      it('refuses an Embedding where the backend has no gradient kernel for it, weights unchanged', async (ctx) => {
        started.skipIfDown(ctx);
        const oracle = embeddingLstmDense();
        setWeights(oracle, 17);
        const model = await loadFromTfjs(oracle);
        const x = ids();
        const y = tf.zeros([8, 3]);
        const before = model.getWeights();
        await expect(fitModel(model, x, y)).rejects.toThrow(
          /^fit: model '\w+' cannot be trained on backend 'wasm': .*'UnsortedSegmentSum' not registered/,
        );
        const after = model.getWeights();
        expect(await maxDiff(after, before)).toBe(0);
        tf.dispose([x, y, ...before, ...after]);
        model.dispose();
        oracle.dispose();
      });
    }

    // The regularized model starts with an Embedding.
    if (hasGradientsFor(backend.name, ['Embedding']))
      it('adds L1, L2 and L1L2 weight regularizers to the loss, as Keras does', async (ctx) => {
        started.skipIfDown(ctx);
        // tfjs-layers adds Embedding's and Dense's regularizers but not those of a recurrent cell,
        // so its twin has none on the LSTM; one full-batch SGD step there moves each LSTM weight w0
        // by a further -lr·(l1·sign(w0) + 2·l2·w0) here, and the loss grows by the LSTM's penalty.
        const oracle = regularized(true);
        setWeights(oracle, 16);
        const twin = regularized(false);
        twin.setWeights(oracle.getWeights());
        const model = await loadFromTfjs(oracle);
        const x = ids();
        const y = tf.randomUniform([8, 3], -0.5, 0.5, 'float32', 9);
        const lr = 0.2;
        const history = await fitModel(model, x, y, {
          optimizer: 'sgd',
          learningRate: lr,
          batchSize: 8,
          shuffle: false,
        });
        twin.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
        const theirs = await twin.fit(x, y, {
          batchSize: 8,
          epochs: 1,
          shuffle: false,
          verbose: 0,
        });
        const [kernel0, recurrent0, bias0] = oracle.layers[1].getWeights();
        const penalties: [tf.Tensor, number, number][] = [
          [kernel0, 0, 0.02],
          [recurrent0, 0.01, 0.03],
          [bias0, 0, 0.05],
        ];
        const expected = tf.tidy(() => [
          // tfjs-layers returns its variables themselves: copies are disposed below.
          ...twin.layers[0].getWeights().map((w) => w.clone()),
          ...twin.layers[1].getWeights().map((w, i) => {
            const [w0, l1, l2] = penalties[i];
            return tf.sub(w, tf.mul(lr, tf.add(tf.mul(l1, tf.sign(w0)), tf.mul(2 * l2, w0))));
          }),
          ...twin.layers[2].getWeights().map((w) => w.clone()),
        ]);
        const ours = model.getWeights();
        expect(await maxDiff(ours, expected)).toBeLessThan(1e-5);
        let lstmPenalty = 0;
        for (const [w0, l1, l2] of penalties) {
          const [abs, squares] = await Promise.all([
            tf.sum(tf.abs(w0)).data(),
            tf.sum(tf.square(w0)).data(),
          ]);
          lstmPenalty += l1 * abs[0] + l2 * squares[0];
        }
        expect(lstmPenalty).toBeGreaterThan(0.01);
        expect(
          Math.abs(history.loss[0] - ((theirs.history.loss[0] as number) + lstmPenalty)),
        ).toBeLessThan(1e-5);
        tf.dispose([x, y, ...expected, ...ours]);
        model.dispose();
        oracle.dispose();
        twin.dispose();
      }, 120_000);
  });
}
