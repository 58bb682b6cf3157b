/**
 * Fuzzing: at least 500 deterministic mutations of each format (byte flips, truncations, edited
 * JSON), and hostile configs of the convolution, pooling, reshaping, normalization and wrapper
 * layers, must either load and run, or fail with a KerasModelError that has a message, each
 * within 5 s, with the process's resident memory staying under {@link RSS_CEILING_MIB}. The HDF5
 * reader runs in a worker with a time limit, so a hang would show as a timeout error rather than
 * a stuck test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KerasModelError, loadKerasModel, type LoadOptions } from '../src/index.js';
import { FIXTURES, SHARED_MODELS, flat, workspaceBackends } from './helpers.js';
import { layer, sequential, synthetic } from './synthetic.js';
import {
  flipBytes,
  mutateJson,
  rng,
  rootAttribute,
  truncate,
  unzip,
  withRootAttribute,
  zip,
} from './mutate.js';

/** Generous for a shared 2-core machine; a real hang would last until the HDF5 time limit. */
const PER_VARIANT_MS = 5_000;
const OPTIONS: LoadOptions = { hdf5TimeoutMs: 4_000 };
const VARIANTS_PER_FORMAT = 500;
const CONV_VARIANTS = 525;
/**
 * Resident memory of the test process, sampled after every variant. Measured peak: 453 MiB for
 * this file on Node 20 (vitest's worker with tfjs and the HDF5 module loaded starts near
 * 110 MiB); a variant that allocated what its sizes claim (2^31-element kernels, 1e12 units)
 * would pass 1 GiB at once.
 */
const RSS_CEILING_MIB = 1024;
let peakRssMib = 0;
/** The message of the latest rejection. */
let lastMessage = '';
const sampleRss = (): void => {
  peakRssMib = Math.max(peakRssMib, process.memoryUsage().rss / 2 ** 20);
};

interface Outcome {
  loaded: number;
  rejected: number;
  slowest: number;
  messages: Set<string>;
}

function newOutcome(): Outcome {
  return { loaded: 0, rejected: 0, slowest: 0, messages: new Set() };
}

async function attempt(
  outcome: Outcome,
  load: () => ReturnType<typeof loadKerasModel>,
  input: () => tf.Tensor,
  what: string,
): Promise<void> {
  const t0 = performance.now();
  try {
    const model = await load();
    try {
      const x = input();
      const y = model.predict(x);
      tf.dispose([x, ...(Array.isArray(y) ? y : [y])]);
    } finally {
      model.dispose();
    }
    outcome.loaded++;
  } catch (e) {
    if (!(e instanceof KerasModelError) || e.message.length === 0) {
      throw new Error(
        `${what}: expected a KerasModelError with a message, got ${String((e as Error)?.stack ?? e)}`,
      );
    }
    outcome.rejected++;
    lastMessage = e.message;
    outcome.messages.add(e.message.replace(/\d+/g, 'N').slice(0, 80));
  }
  const ms = performance.now() - t0;
  outcome.slowest = Math.max(outcome.slowest, ms);
  if (ms > PER_VARIANT_MS) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  sampleRss();
  if (peakRssMib > RSS_CEILING_MIB)
    throw new Error(`${what}: resident memory ${peakRssMib.toFixed(0)} MiB > ${RSS_CEILING_MIB}`);
}

function report(name: string, o: Outcome, variants: number): void {
  if (process.env.FUZZ_MESSAGES) console.log([...o.messages].join('\n'));
  console.log(
    `fuzz ${name}: ${variants} variants, ${o.loaded} loaded, ${o.rejected} rejected with ${o.messages.size} distinct messages, slowest ${o.slowest.toFixed(0)} ms`,
  );
}

beforeAll(() => workspaceBackends()[0].init());
afterAll(() => {
  console.log(
    `fuzz: peak resident memory ${peakRssMib.toFixed(0)} MiB (ceiling ${RSS_CEILING_MIB})`,
  );
});

describe('fuzzing mutated model files', () => {
  it('legacy .h5: 525 variants', async () => {
    const dir = join(SHARED_MODELS, 'keras380_simplernn_relu_h5');
    const original = new Uint8Array(readFileSync(join(dir, 'simple_rnn_model.h5')));
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      input: number[][][];
    };
    const input = () => tf.tensor(flat(expected.input[0]), [1, 3, 1]);
    const config = JSON.parse(await rootAttribute(original, 'model_config')) as unknown;
    const rand = rng(1);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < 175; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 32)));
    for (let i = 0; i < 100; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 4), 0, 4096));
    for (let i = 0; i < 100; i++)
      variants.push(truncate(original, Math.floor(rand() * original.length)));
    for (let i = 0; i < 150; i++) {
      variants.push(
        await withRootAttribute(original, 'model_config', JSON.stringify(mutateJson(config, rand))),
      );
    }
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      await attempt(outcome, () => loadKerasModel(v, OPTIONS), input, `h5 variant ${i}`);
    }
    report('h5', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(VARIANTS_PER_FORMAT);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('.keras: 525 variants (stored and deflated archives)', async () => {
    const original = new Uint8Array(
      readFileSync(join(SHARED_MODELS, 'keras3150_stacked_gru_dotkeras', 'gru_model.keras')),
    );
    const entries = unzip(original);
    const deflated = zip(entries, 6);
    const config = JSON.parse(new TextDecoder().decode(entries['config.json'])) as unknown;
    // A short sequence keeps each prediction cheap; the saved time length is 480.
    const input = () => tf.fill([1, 480, 3], 0.5);
    const rand = rng(2);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < 125; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 32)));
    for (let i = 0; i < 50; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 3), original.length - 400));
    for (let i = 0; i < 50; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 3), 0, 120));
    for (let i = 0; i < 75; i++)
      variants.push(truncate(original, Math.floor(rand() * original.length)));
    for (let i = 0; i < 75; i++)
      variants.push(flipBytes(deflated, rand, 1 + Math.floor(rand() * 8)));
    for (let i = 0; i < 25; i++)
      variants.push(truncate(deflated, Math.floor(rand() * deflated.length)));
    for (let i = 0; i < 125; i++) {
      const edited = new TextEncoder().encode(JSON.stringify(mutateJson(config, rand)));
      variants.push(zip({ ...entries, 'config.json': edited }, i % 2 === 0 ? 0 : 6));
    }
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      await attempt(outcome, () => loadKerasModel(v, OPTIONS), input, `.keras variant ${i}`);
    }
    report('.keras', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(VARIANTS_PER_FORMAT);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('tfjs model.json + shard: 525 variants', async () => {
    const dir = join(FIXTURES, 'tfjs_masked');
    const jsonBytes = new Uint8Array(readFileSync(join(dir, 'model.json')));
    const shard = new Uint8Array(readFileSync(join(dir, 'group1-shard1of1.bin')));
    const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as unknown;
    const input = () => tf.tensor2d([[3, 7, 0, 5, 0, 0]], undefined, 'int32');
    const rand = rng(3);
    const variants: { json: Uint8Array; shard: Uint8Array }[] = [];
    for (let i = 0; i < 300; i++) {
      variants.push({
        json: new TextEncoder().encode(JSON.stringify(mutateJson(json, rand))),
        shard,
      });
    }
    for (let i = 0; i < 75; i++)
      variants.push({
        json: jsonBytes,
        shard: flipBytes(shard, rand, 1 + Math.floor(rand() * 16)),
      });
    for (let i = 0; i < 50; i++)
      variants.push({ json: jsonBytes, shard: truncate(shard, Math.floor(rand() * shard.length)) });
    for (let i = 0; i < 50; i++)
      variants.push({ json: flipBytes(jsonBytes, rand, 1 + Math.floor(rand() * 8)), shard });
    for (let i = 0; i < 50; i++)
      variants.push({ json: truncate(jsonBytes, Math.floor(rand() * jsonBytes.length)), shard });
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      const options = { ...OPTIONS, weightShards: { 'group1-shard1of1.bin': v.shard } };
      await attempt(outcome, () => loadKerasModel(v.json, options), input, `tfjs variant ${i}`);
    }
    report('tfjs', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(VARIANTS_PER_FORMAT);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('convolution, pooling, padding, reshaping and CuDNN configs: 525 variants', async () => {
    // Sizes in the mutations include 0, -1, 1.5, 1e12 and 2^31: kernels larger than the input,
    // zero or negative pool sizes and Reshape targets that do not fit must all be clean errors.
    const model = sequential('convs', [
      layer('InputLayer', { name: 'in', batch_input_shape: [null, 12, 4] }),
      layer('Conv1D', {
        name: 'c1',
        filters: 4,
        kernel_size: [3],
        padding: 'causal',
        dilation_rate: [2],
      }),
      layer('ZeroPadding1D', { name: 'zp', padding: [1, 1] }),
      layer('MaxPooling1D', { name: 'mp', pool_size: [2], padding: 'same' }),
      layer('SeparableConv1D', { name: 'sc', filters: 4, kernel_size: [3], padding: 'same' }),
      layer('UpSampling1D', { name: 'up', size: 2 }),
      layer('Cropping1D', { name: 'cr', cropping: [1, 1] }),
      layer('Reshape', { name: 'rs', target_shape: [3, -1] }),
      layer('Permute', { name: 'pm', dims: [2, 1] }),
      layer('Reshape', { name: 'rs2', target_shape: [16, 3, 1] }),
      layer('TimeDistributed', {
        name: 'td',
        layer: layer('Conv1D', { name: 'tc', filters: 2, kernel_size: [2] }),
      }),
      layer('Reshape', { name: 'rs3', target_shape: [16, 4] }),
      layer('AveragePooling1D', { name: 'ap', pool_size: [2], padding: 'same' }),
      layer('CuDNNLSTM', { name: 'cl', units: 3, return_sequences: true }),
      layer('GlobalMaxPooling1D', { name: 'gp' }),
    ]);
    const s = synthetic(
      model,
      [
        { name: 'c1/kernel', shape: [3, 4, 4] },
        { name: 'c1/bias', shape: [4] },
        { name: 'sc/depthwise_kernel', shape: [3, 4, 1] },
        { name: 'sc/pointwise_kernel', shape: [1, 4, 4] },
        { name: 'sc/bias', shape: [4] },
        { name: 'td/kernel', shape: [2, 1, 2] },
        { name: 'td/bias', shape: [2] },
        { name: 'cl/kernel', shape: [4, 12] },
        { name: 'cl/recurrent_kernel', shape: [3, 12] },
        { name: 'cl/bias', shape: [24] },
      ],
      '2.2.4',
    );
    const json = JSON.parse(new TextDecoder().decode(s.json)) as unknown;
    const input = () => tf.fill([1, 12, 4], 0.5);
    const outcome = newOutcome();
    // The unmutated model loads and runs.
    await attempt(outcome, () => loadKerasModel(s.json, s.options), input, 'conv original');
    expect(outcome.loaded).toBe(1);
    const rand = rng(4);
    for (let i = 0; i < CONV_VARIANTS; i++) {
      const variant = new TextEncoder().encode(JSON.stringify(mutateJson(json, rand)));
      await attempt(
        outcome,
        () => loadKerasModel(variant, { ...OPTIONS, ...s.options }),
        input,
        `conv variant ${i}`,
      );
    }
    report('conv', outcome, CONV_VARIANTS);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);
});

describe('hostile configs of the convolution, pooling, reshaping, normalization and wrapper layers', () => {
  const B = 2 ** 31;
  type Weights = { name: string; shape: number[] }[];
  /** A Sequential model: an input of `shape` (without the batch), then `layers`. */
  const model = (shape: number[], layers: unknown[], weights: Weights = []) => {
    const input = layer('InputLayer', { name: 'in', batch_input_shape: [null, ...shape] });
    const s = synthetic(sequential('m', [input, ...layers]), weights, '2.2.4');
    return { json: s.json, options: s.options, shape };
  };
  /** The same with `"__RAW__"` in the config replaced by JSON text too deep to stringify. */
  const withRaw = (m: ReturnType<typeof model>, raw: string) => ({
    ...m,
    json: new TextEncoder().encode(new TextDecoder().decode(m.json).replace('"__RAW__"', raw)),
  });
  const conv1d = (config: object) =>
    model(
      [12, 4],
      [layer('Conv1D', { name: 'c', filters: 4, kernel_size: [3], ...config })],
      [
        { name: 'c/kernel', shape: [3, 4, 4] },
        { name: 'c/bias', shape: [4] },
      ],
    );
  const conv2d = (config: object) =>
    model(
      [6, 6, 2],
      [layer('Conv2D', { name: 'c', filters: 2, kernel_size: [3, 3], ...config })],
      [
        { name: 'c/kernel', shape: [3, 3, 2, 2] },
        { name: 'c/bias', shape: [2] },
      ],
    );
  const pool = (className: string, config: object) =>
    model(className.endsWith('2D') ? [6, 6, 2] : [12, 4], [
      layer(className, { name: 'p', ...config }),
    ]);
  const reshape = (target: unknown) =>
    model([12, 4], [layer('Reshape', { name: 'r', target_shape: target })]);
  const batchNorm = (sizes: number[][]) =>
    model(
      [12, 4],
      [layer('BatchNormalization', { name: 'bn' })],
      ['gamma', 'beta', 'moving_mean', 'moving_variance']
        .map((w, i) => ({ name: `bn/${w}`, shape: sizes[i] }))
        .filter((w) => w.shape != null),
    );
  const dense = layer('Dense', { name: 'd', units: 2 });
  const td = (inner: unknown) => layer('TimeDistributed', { name: 'td', layer: inner });
  const tdWeights = [
    { name: 'td/kernel', shape: [4, 2] },
    { name: 'td/bias', shape: [2] },
  ];
  const nestedTd = (depth: number) => {
    let inner: unknown = dense;
    for (let i = 0; i < depth; i++) inner = td(inner);
    return model([12, 4], [inner], tdWeights);
  };
  const deepTdText = (depth: number) =>
    '{"class_name":"TimeDistributed","config":{"name":"td","layer":'.repeat(depth) +
    JSON.stringify(dense) +
    '}}'.repeat(depth);
  const outOfRange = (option: string, n: number) =>
    new RegExp(`option '${option}' must be an integer or a list of ${n} integers from 1 to`);

  const cases: [string, () => ReturnType<typeof model>, RegExp][] = [
    // Convolutions: sizes of 2^31, zero and negative.
    ['Conv1D kernel_size 2^31', () => conv1d({ kernel_size: [B] }), outOfRange('kernel_size', 1)],
    [
      'Conv1D kernel_size 2^31, padding same',
      () => conv1d({ kernel_size: [B], padding: 'same' }),
      outOfRange('kernel_size', 1),
    ],
    [
      'Conv1D kernel_size 2^31, padding causal',
      () => conv1d({ kernel_size: [B], padding: 'causal' }),
      outOfRange('kernel_size', 1),
    ],
    ['Conv1D kernel_size 0', () => conv1d({ kernel_size: [0] }), outOfRange('kernel_size', 1)],
    ['Conv1D filters 2^31', () => conv1d({ filters: B }), /option 'filters' must be a positive/],
    [
      'Conv1D dilation_rate 2^31, causal',
      () => conv1d({ dilation_rate: [B], padding: 'causal' }),
      outOfRange('dilation_rate', 1),
    ],
    ['Conv1D strides 0', () => conv1d({ strides: [0] }), outOfRange('strides', 1)],
    ['Conv1D strides -1', () => conv1d({ strides: [-1] }), outOfRange('strides', 1)],
    ['Conv1D groups 0', () => conv1d({ groups: 0 }), /option 'groups' must be a positive/],
    [
      'Conv1D groups 3 of 4 filters',
      () => conv1d({ groups: 3 }),
      /option 'groups' = 3 must divide/,
    ],
    [
      'Conv2D kernel_size (2^31, 2^31), padding same',
      () => conv2d({ kernel_size: [B, B], padding: 'same' }),
      outOfRange('kernel_size', 2),
    ],
    [
      'Conv2D kernel_size of one size',
      () => conv2d({ kernel_size: [3] }),
      outOfRange('kernel_size', 2),
    ],
    // Pooling: zero, negative and 2^31 sizes and strides.
    ...['MaxPooling1D', 'AveragePooling1D'].flatMap(
      (c): [string, () => ReturnType<typeof model>, RegExp][] => [
        [`${c} pool_size 0`, () => pool(c, { pool_size: [0] }), outOfRange('pool_size', 1)],
        [`${c} pool_size -1`, () => pool(c, { pool_size: [-1] }), outOfRange('pool_size', 1)],
        [
          `${c} pool_size 2^31, padding same`,
          () => pool(c, { pool_size: [B], padding: 'same' }),
          outOfRange('pool_size', 1),
        ],
        [`${c} pool_size 1.5`, () => pool(c, { pool_size: [1.5] }), outOfRange('pool_size', 1)],
        [
          `${c} strides 0`,
          () => pool(c, { pool_size: [2], strides: [0] }),
          outOfRange('strides', 1),
        ],
        [
          `${c} strides -2`,
          () => pool(c, { pool_size: [2], strides: [-2] }),
          outOfRange('strides', 1),
        ],
      ],
    ),
    ...['MaxPooling2D', 'AveragePooling2D'].flatMap(
      (c): [string, () => ReturnType<typeof model>, RegExp][] => [
        [`${c} pool_size (0, 2)`, () => pool(c, { pool_size: [0, 2] }), outOfRange('pool_size', 2)],
        [
          `${c} pool_size (-1, -1), padding same`,
          () => pool(c, { pool_size: [-1, -1], padding: 'same' }),
          outOfRange('pool_size', 2),
        ],
        [
          `${c} pool_size (2^31, 2^31), padding same`,
          () => pool(c, { pool_size: [B, B], padding: 'same' }),
          outOfRange('pool_size', 2),
        ],
      ],
    ),
    // Padding, cropping, repetition: sizes that would blow up or go negative.
    [
      'UpSampling1D size 2^31',
      () => model([12, 4], [layer('UpSampling1D', { name: 'u', size: B })]),
      outOfRange('size', 1),
    ],
    [
      'ZeroPadding1D padding (2^31, 0)',
      () => model([12, 4], [layer('ZeroPadding1D', { name: 'z', padding: [B, 0] })]),
      /option 'padding' must be an integer or a pair \(before, after\) of integers from 0 to/,
    ],
    [
      'ZeroPadding1D padding (-3, 0)',
      () => model([12, 4], [layer('ZeroPadding1D', { name: 'z', padding: [-3, 0] })]),
      /option 'padding' must be an integer or a pair/,
    ],
    [
      'Cropping1D cropping (10, 10) of 12 steps',
      () => model([12, 4], [layer('Cropping1D', { name: 'z', cropping: [10, 10] })]),
      /option 'cropping' removes 20 of 12 elements on axis 1/,
    ],
    [
      'RepeatVector n 2^31',
      () => model([4], [layer('RepeatVector', { name: 'r', n: B })]),
      /option 'n' must be a positive integer up to/,
    ],
    // Reshape targets that do not fit.
    ...(
      [
        [[7], /option 'target_shape' = \(7,\) does not fit the input: expected 48 elements/],
        [[5, -1], /option 'target_shape' = \(5, -1\) does not fit the input/],
        [[], /option 'target_shape' = \(\) does not fit the input/],
        [[-1, -1], /option 'target_shape' may hold -1 only once/],
        [[0, -1], /option 'target_shape' must be a list of up to 16 positive sizes/],
        [[-2, 24], /option 'target_shape' must be a list of up to 16 positive sizes/],
        [[B, -1], /option 'target_shape' must be a list of up to 16 positive sizes/],
        [[B, B], /option 'target_shape' must be a list of up to 16 positive sizes/],
        [[1.5, 32], /option 'target_shape' must be a list of up to 16 positive sizes/],
        [[[48]], /option 'target_shape' must be a list of up to 16 positive sizes/],
        ['x', /option 'target_shape' must be a list of up to 16 positive sizes/],
        [new Array<number>(17).fill(1), /option 'target_shape' must be a list of up to 16/],
      ] as [unknown, RegExp][]
    ).map(([t, pattern]): [string, () => ReturnType<typeof model>, RegExp] => [
      `Reshape target_shape ${JSON.stringify(t)} of a (12, 4) input`,
      () => reshape(t),
      pattern,
    ]),
    // Moving statistics and other normalization weights of the wrong length.
    [
      'BatchNormalization moving_mean of length 3 for 4 channels',
      () => batchNorm([[4], [4], [3], [4]]),
      /weight 'bn\/moving_mean' has shape \(3,\); expected moving_mean of shape \(4,\)/,
    ],
    [
      'BatchNormalization moving_variance of length 5',
      () => batchNorm([[4], [4], [4], [5]]),
      /weight 'bn\/moving_variance' has shape \(5,\); expected moving_variance of shape \(4,\)/,
    ],
    [
      'BatchNormalization moving_mean of shape (4, 1)',
      () => batchNorm([[4], [4], [4, 1], [4]]),
      /weight 'bn\/moving_mean' has shape \(4, 1\)/,
    ],
    [
      'BatchNormalization moving_mean of length 0',
      () => batchNorm([[4], [4], [0], [4]]),
      /weight 'bn\/moving_mean' has shape \(0,\)/,
    ],
    [
      'BatchNormalization without moving_variance',
      () => batchNorm([[4], [4], [4]]),
      /expected 4 weight\(s\) .* the file has 3/,
    ],
    // TimeDistributed around itself.
    [
      'TimeDistributed(TimeDistributed(Dense)) on a rank-3 input',
      () => nestedTd(2),
      /layer 'td' \(TimeDistributed\): expected an input of rank >= 3, got shape \(None, 4\)/,
    ],
    [
      'TimeDistributed nested 17 deep',
      () => nestedTd(17),
      /layer 'td' \(TimeDistributed\): option 'layer' nests TimeDistributed more than 16 levels/,
    ],
    [
      'TimeDistributed nested 200 000 deep',
      () => withRaw(model([12, 4], ['__RAW__'], tdWeights), deepTdText(200_000)),
      /model\.json nests arrays and objects more than 100 levels deep/,
    ],
    [
      'TimeDistributed around an InputLayer',
      () => model([12, 4], [td(layer('InputLayer', { name: 'x', batch_input_shape: [null, 4] }))]),
      /option 'layer' wraps class InputLayer, which cannot be applied per timestep/,
    ],
    [
      'TimeDistributed around null',
      () => model([12, 4], [td(null)]),
      /option 'layer' must be a layer config, got null/,
    ],
    // Nesting beyond any Keras file, anywhere in a config.
    [
      'an array nested 100 000 deep as a kernel_size',
      () => withRaw(conv1d({ kernel_size: '__RAW__' }), '['.repeat(1e5) + ']'.repeat(1e5)),
      /model\.json nests arrays and objects more than 100 levels deep/,
    ],
    [
      'an object nested 100 000 deep as a layer config',
      () =>
        withRaw(
          model([12, 4], [{ class_name: 'Dense', config: '__RAW__' }]),
          '{"a":'.repeat(1e5) + '1' + '}'.repeat(1e5),
        ),
      /model\.json nests arrays and objects more than 100 levels deep/,
    ],
  ];

  it(`${cases.length} configs, each a KerasModelError naming the layer and the option`, async () => {
    const outcome = newOutcome();
    const lines: string[] = [];
    for (const [what, build, pattern] of cases) {
      const m = build();
      const before = outcome.rejected;
      await attempt(
        outcome,
        () => loadKerasModel(m.json, { ...OPTIONS, ...m.options }),
        () => tf.fill([1, ...m.shape], 0.5),
        what,
      );
      expect(outcome.rejected, `${what}: expected a rejection`).toBe(before + 1);
      lines.push(`${what} → ${lastMessage}`);
      expect(lastMessage, what).toMatch(pattern);
      if (!/nests arrays and objects/.test(pattern.source))
        expect(lastMessage, what).toMatch(/^layer '\w+' \(\w+\): /);
    }
    if (process.env.FUZZ_MESSAGES) console.log(lines.join('\n'));
    report('hostile configs', outcome, cases.length);
  }, 60_000);
});
