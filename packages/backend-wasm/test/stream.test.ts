/** Streams on the wasm backend: every family equals its whole-sequence call, on step kernels. */
import { defineStreamSuite } from '@rnnkit/conformance';
import * as tf from '@tensorflow/tfjs-core';
import { GRU } from '@rnnkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { getWasmMemoryStats, init } from '../src/index.js';

defineStreamSuite({ describe, it, beforeAll }, { backend: 'wasm', init, expectFused: true });

describe('a wasm stream over 100,000 steps', () => {
  it('keeps tensors and the module memory flat, and gives its memory back on dispose', async () => {
    await init();
    const layer = new GRU({ units: 32, returnState: true });
    layer.build(8);
    const before = getWasmMemoryStats().liveBytes;
    const stream = layer.stream({ batch: 1 });
    expect(stream.path).toBe('fused');
    const x = new Float32Array(8).fill(0.5);
    stream.step(x);
    const tensors = tf.memory().numTensors;
    const bytes = getWasmMemoryStats().liveBytes;
    const heap = tf.memory().numBytes;
    for (let i = 0; i < 100_000; i++) stream.step(x, i % 7 === 0 ? { mask: false } : {});
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(heap);
    expect(getWasmMemoryStats().liveBytes).toBe(bytes);
    expect(Number.isFinite(stream.step(x)[1][0])).toBe(true);
    stream.dispose();
    expect(getWasmMemoryStats().liveBytes).toBe(before);
    layer.dispose();
  });
});

describe('a stateful wasm layer over 10,000 one-step calls', () => {
  it('keeps tensors and the module memory flat', async () => {
    await init();
    const layer = new GRU({ units: 32, stateful: true, batchInputShape: [1, 1, 8] });
    layer.build(8);
    const x = tf.fill([1, 1, 8], 0.5);
    const step = () => {
      const y = layer.apply(x) as tf.Tensor;
      y.dataSync();
      y.dispose();
    };
    step();
    const { numTensors, numBytes } = tf.memory();
    const bytes = getWasmMemoryStats().liveBytes;
    for (let i = 0; i < 10_000; i++) step();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(tf.memory().numBytes).toBe(numBytes);
    expect(getWasmMemoryStats().liveBytes).toBe(bytes);
    x.dispose();
    layer.dispose();
  });
});
