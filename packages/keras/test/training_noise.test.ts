/**
 * Dropout and noise layers in training mode (as `fitModel` calls them), against Keras's
 * definitions: inverted dropout keeps each value with probability 1 - rate and scales it by
 * 1 / (1 - rate), the spatial dropouts drop whole channels, GaussianNoise adds N(0, stddev);
 * at inference all are the identity, and AlphaDropout refuses training by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InferenceIdentity } from '../src/layers/dropout.js';
import type { LayerContext } from '../src/layers/types.js';

const ctx: LayerContext = { kerasVersion: '3.8.0', keras2: false };

function layer(className: string, config: Record<string, unknown>): InferenceIdentity {
  return new InferenceIdentity({ class_name: className, config: { name: 'n', ...config } }, ctx);
}

function run(l: InferenceIdentity, x: tf.Tensor, training: boolean): Float32Array {
  const [y] = l.call({ inputs: [x], masks: [null], initialState: null, training }).outputs;
  return y.dataSync() as Float32Array;
}

describe('training-mode noise layers', () => {
  const x = tf.ones([40, 10, 25]);

  it('Dropout keeps about 1 - rate of the values, scaled by 1 / (1 - rate)', () => {
    const y = run(layer('Dropout', { rate: 0.25, seed: 3 }), x, true);
    const kept = y.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(Math.abs(kept.length / y.length - 0.75)).toBeLessThan(0.02);
    expect(run(layer('Dropout', { rate: 0.25 }), x, false).every((v) => v === 1)).toBe(true);
  });

  it('SpatialDropout1D drops whole channels (the same for every step)', () => {
    const y = tf.tensor(
      run(layer('SpatialDropout1D', { rate: 0.5, seed: 4 }), x, true),
      [40, 10, 25],
    );
    const perChannel = tf.max(y, 1).dataSync();
    const minPerChannel = tf.min(y, 1).dataSync();
    perChannel.forEach((v, i) => expect(minPerChannel[i]).toBe(v));
    const dropped = Array.from(perChannel).filter((v) => v === 0).length / perChannel.length;
    expect(Math.abs(dropped - 0.5)).toBeLessThan(0.06);
  });

  it('GaussianNoise adds noise of the given standard deviation', () => {
    const y = run(layer('GaussianNoise', { stddev: 0.3, seed: 5 }), x, true);
    const noise = y.map((v) => v - 1);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const sd = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.3)).toBeLessThan(0.01);
  });

  it('AlphaDropout refuses training, naming the layer', () => {
    expect(() => run(layer('AlphaDropout', { rate: 0.1 }), x, true)).toThrow(
      /^layer 'n' \(AlphaDropout\): cannot be trained by fit: its training-time behaviour \(alpha dropout\) is not supported/,
    );
  });
});
