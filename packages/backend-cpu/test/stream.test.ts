/** Streams on the cpu backend: every family equals its whole-sequence call, on step kernels. */
import { defineStreamSuite } from '@rnnkit/conformance';
import * as tf from '@tensorflow/tfjs-core';
import { LSTM } from '@rnnkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';

defineStreamSuite({ describe, it, beforeAll }, { backend: 'cpu', init, expectFused: true });

describe('a cpu stream over 100,000 steps', () => {
  it('keeps the tensor count and bytes flat', async () => {
    await init();
    const layer = new LSTM({ units: 32, returnState: true });
    layer.build(8);
    const stream = layer.stream({ batch: 1 });
    expect(stream.path).toBe('fused');
    const x = new Float32Array(8).fill(0.5);
    stream.step(x);
    const { numTensors, numBytes } = tf.memory();
    for (let i = 0; i < 100_000; i++) stream.step(x, i % 7 === 0 ? { mask: false } : {});
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(tf.memory().numBytes).toBe(numBytes);
    expect(Number.isFinite(stream.step(x)[2][0])).toBe(true);
    stream.dispose();
    layer.dispose();
  });
});
