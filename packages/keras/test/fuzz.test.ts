/**
 * Fuzzing: at least 200 deterministic mutations of each format (byte flips, truncations, edited
 * JSON) must either load and run, or fail with a KerasModelError that has a message, each within
 * a time bound. The HDF5 reader runs in a worker with a time limit, so a hang would show as a
 * timeout error rather than a stuck test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
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
    outcome.messages.add(e.message.replace(/\d+/g, 'N').slice(0, 80));
  }
  const ms = performance.now() - t0;
  outcome.slowest = Math.max(outcome.slowest, ms);
  if (ms > PER_VARIANT_MS) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
}

function report(name: string, o: Outcome, variants: number): void {
  if (process.env.FUZZ_MESSAGES) console.log([...o.messages].join('\n'));
  console.log(
    `fuzz ${name}: ${variants} variants, ${o.loaded} loaded, ${o.rejected} rejected with ${o.messages.size} distinct messages, slowest ${o.slowest.toFixed(0)} ms`,
  );
}

describe('fuzzing mutated model files', () => {
  beforeAll(() => workspaceBackends()[0].init());

  it('legacy .h5: 210 variants', async () => {
    const dir = join(SHARED_MODELS, 'keras380_simplernn_relu_h5');
    const original = new Uint8Array(readFileSync(join(dir, 'simple_rnn_model.h5')));
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      input: number[][][];
    };
    const input = () => tf.tensor(flat(expected.input[0]), [1, 3, 1]);
    const config = JSON.parse(await rootAttribute(original, 'model_config')) as unknown;
    const rand = rng(1);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < 70; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 32)));
    for (let i = 0; i < 40; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 4), 0, 4096));
    for (let i = 0; i < 40; i++)
      variants.push(truncate(original, Math.floor(rand() * original.length)));
    for (let i = 0; i < 60; i++) {
      variants.push(
        await withRootAttribute(original, 'model_config', JSON.stringify(mutateJson(config, rand))),
      );
    }
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      await attempt(outcome, () => loadKerasModel(v, OPTIONS), input, `h5 variant ${i}`);
    }
    report('h5', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(200);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('.keras: 210 variants (stored and deflated archives)', async () => {
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
    for (let i = 0; i < 50; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 32)));
    for (let i = 0; i < 20; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 3), original.length - 400));
    for (let i = 0; i < 20; i++)
      variants.push(flipBytes(original, rand, 1 + Math.floor(rand() * 3), 0, 120));
    for (let i = 0; i < 30; i++)
      variants.push(truncate(original, Math.floor(rand() * original.length)));
    for (let i = 0; i < 30; i++)
      variants.push(flipBytes(deflated, rand, 1 + Math.floor(rand() * 8)));
    for (let i = 0; i < 10; i++)
      variants.push(truncate(deflated, Math.floor(rand() * deflated.length)));
    for (let i = 0; i < 50; i++) {
      const edited = new TextEncoder().encode(JSON.stringify(mutateJson(config, rand)));
      variants.push(zip({ ...entries, 'config.json': edited }, i % 2 === 0 ? 0 : 6));
    }
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      await attempt(outcome, () => loadKerasModel(v, OPTIONS), input, `.keras variant ${i}`);
    }
    report('.keras', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(200);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('tfjs model.json + shard: 210 variants', async () => {
    const dir = join(FIXTURES, 'tfjs_masked');
    const jsonBytes = new Uint8Array(readFileSync(join(dir, 'model.json')));
    const shard = new Uint8Array(readFileSync(join(dir, 'group1-shard1of1.bin')));
    const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as unknown;
    const input = () => tf.tensor2d([[3, 7, 0, 5, 0, 0]], undefined, 'int32');
    const rand = rng(3);
    const variants: { json: Uint8Array; shard: Uint8Array }[] = [];
    for (let i = 0; i < 120; i++) {
      variants.push({
        json: new TextEncoder().encode(JSON.stringify(mutateJson(json, rand))),
        shard,
      });
    }
    for (let i = 0; i < 30; i++)
      variants.push({
        json: jsonBytes,
        shard: flipBytes(shard, rand, 1 + Math.floor(rand() * 16)),
      });
    for (let i = 0; i < 20; i++)
      variants.push({ json: jsonBytes, shard: truncate(shard, Math.floor(rand() * shard.length)) });
    for (let i = 0; i < 20; i++)
      variants.push({ json: flipBytes(jsonBytes, rand, 1 + Math.floor(rand() * 8)), shard });
    for (let i = 0; i < 20; i++)
      variants.push({ json: truncate(jsonBytes, Math.floor(rand() * jsonBytes.length)), shard });
    const outcome = newOutcome();
    for (const [i, v] of variants.entries()) {
      const options = { ...OPTIONS, weightShards: { 'group1-shard1of1.bin': v.shard } };
      await attempt(outcome, () => loadKerasModel(v.json, options), input, `tfjs variant ${i}`);
    }
    report('tfjs', outcome, variants.length);
    expect(variants.length).toBeGreaterThanOrEqual(200);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);

  it('convolution, pooling, padding, reshaping and CuDNN configs: 210 variants', async () => {
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
    for (let i = 0; i < 210; i++) {
      const variant = new TextEncoder().encode(JSON.stringify(mutateJson(json, rand)));
      await attempt(
        outcome,
        () => loadKerasModel(variant, { ...OPTIONS, ...s.options }),
        input,
        `conv variant ${i}`,
      );
    }
    report('conv', outcome, 210);
    expect(outcome.rejected).toBeGreaterThan(0);
  }, 120_000);
});
