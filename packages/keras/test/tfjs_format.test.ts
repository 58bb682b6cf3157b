/**
 * tfjs layers format, with fixtures written by tfjs-layers itself (test/fixtures/
 * make_tfjs_fixtures.mjs). Expected values come from the float64 Keras equations in
 * ./reference.ts; tfjs-layers' own predictions are a second, independent check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKerasModel } from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { FIXTURES, flat, values, workspaceBackends } from './helpers.js';
import { dense, gruResetBefore, lstm, mat, simpleRnn } from './reference.js';

interface ManifestWeight {
  name: string;
  shape: number[];
}

/** Reads the fixture's weights straight from its manifest and shard, by name. */
function readWeights(dir: string): Record<string, { shape: number[]; data: Float32Array }> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[]; weights: ManifestWeight[] }[];
  };
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const group of json.weightsManifest) {
    const buf = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out[w.name] = { shape: w.shape, data: all.slice(at, at + n) };
      at += n;
    }
  }
  return out;
}

function m(w: { shape: number[]; data: Float32Array }) {
  return mat(w.data, w.shape[0], w.shape[1]);
}

function predictions(dir: string): { input: number[][] | number[][][]; outputs: unknown[] } {
  return JSON.parse(readFileSync(join(dir, 'tfjs_predictions.json'), 'utf8'));
}

const TOLERANCE = 1e-4;
const cpu = workspaceBackends()[0];

describe('tfjs layers format', () => {
  beforeAll(() => cpu.init());

  it('loads a Sequential LSTM → Dense and matches the float64 Keras equations', async () => {
    const dir = join(FIXTURES, 'tfjs_lstm');
    const model = await loadKerasModel(join(dir, 'model.json'));
    expect(model.format).toBe('tfjs');
    expect(model.kerasVersion).toBe('tfjs-layers 4.22.0');
    const w = readWeights(dir);
    const { input, outputs } = predictions(dir);
    const xs = input as number[][][];
    const want = xs.flatMap((sample) => {
      const h = lstm(
        sample,
        m(w['lstm/kernel']),
        m(w['lstm/recurrent_kernel']),
        Array.from(w['lstm/bias'].data),
        4,
      ).output as number[];
      return dense(h, m(w['dense/kernel']), Array.from(w['dense/bias'].data), Math.tanh);
    });
    const y = model.predict(tf.tensor3d(xs)) as tf.Tensor;
    expect(y.shape).toEqual([2, 2]);
    const err = maxRelError(values(y), want);
    console.log(`tfjs_lstm max error vs float64: ${err}`);
    expect(err).toBeLessThanOrEqual(TOLERANCE);
    // tfjs-layers' own output (same equations once recurrentActivation is sigmoid).
    expect(maxRelError(values(y), flat(outputs[0]))).toBeLessThanOrEqual(TOLERANCE);
    y.dispose();
    model.dispose();
  });

  it('runs a masked Functional graph: Embedding(mask_zero) → GRU + SimpleRNN → Concatenate → TimeDistributed', async () => {
    const dir = join(FIXTURES, 'tfjs_masked');
    const model = await loadKerasModel(join(dir, 'model.json'));
    const w = readWeights(dir);
    const { input, outputs } = predictions(dir);
    const ids = input as number[][];
    const emb = m(w['emb/embeddings']);
    const want = ids.flatMap((row) => {
      const xs = row.map((id) => emb[id]);
      const mask = row.map((id) => id !== 0);
      const g = gruResetBefore(
        xs,
        m(w['gru/kernel']),
        m(w['gru/recurrent_kernel']),
        Array.from(w['gru/bias'].data),
        3,
        { returnSequences: true, mask },
      ).output as number[][];
      const r = simpleRnn(
        xs,
        m(w['rnn/kernel']),
        m(w['rnn/recurrent_kernel']),
        Array.from(w['rnn/bias'].data),
        2,
        { returnSequences: true, mask },
      ).output as number[][];
      return g.flatMap((gt, t) =>
        dense([...gt, ...r[t]], m(w['td/kernel']), Array.from(w['td/bias'].data)),
      );
    });
    const got = model.predict(tf.tensor2d(ids, undefined, 'int32'), {
      outputs: ['td', 'emb', 'cat'],
    });
    expect(got.td.shape).toEqual([2, 6, 2]);
    expect(got.emb.shape).toEqual([2, 6, 4]);
    expect(got.cat.shape).toEqual([2, 6, 5]);
    const err = maxRelError(values(got.td), want);
    console.log(`tfjs_masked max error vs float64: ${err}`);
    expect(err).toBeLessThanOrEqual(TOLERANCE);
    expect(maxRelError(values(got.td), flat(outputs[0]))).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose(Object.values(got));
    model.dispose();
  });

  it('loads model.json from bytes with its shards given in options', async () => {
    const dir = join(FIXTURES, 'tfjs_lstm');
    const bytes = readFileSync(join(dir, 'model.json'));
    await expect(loadKerasModel(bytes)).rejects.toThrow(/weightShards/);
    const model = await loadKerasModel(bytes, {
      weightShards: { 'group1-shard1of1.bin': readFileSync(join(dir, 'group1-shard1of1.bin')) },
    });
    expect(model.countParams()).toBe(4 * (3 * 4 + 4 * 4 + 4) + (4 * 2 + 2));
    model.dispose();
  });
});
