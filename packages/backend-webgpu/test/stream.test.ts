/**
 * Streams on webgpu in Node: the backend reads tensors back only asynchronously here, and a
 * stream step returns its outputs at once, so a step fails saying so, and leaves the stream as it
 * was. (Stateful layers called one step at a time keep running through the fused kernels.)
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { LSTM } from '@rnnkit/core';
import { init } from '../src/node.js';
import { describeGpu } from './gpu.js';

describeGpu('streams on webgpu', () => {
  beforeAll(async () => {
    await init();
  });

  it('a step names the backend when it cannot read back synchronously', () => {
    const layer = new LSTM({ units: 4, name: 'gpu_lstm' });
    layer.build(3);
    const stream = layer.stream({ batch: 1 });
    expect(stream.path).toBe('reference');
    const before = stream.getState();
    let message = '';
    try {
      stream.step(new Float32Array([0.1, 0.2, 0.3]));
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    // tfjs-backend-webgpu reads back synchronously through an OffscreenCanvas, which Node lacks.
    if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
      expect(message).toMatch(
        /^gpu_lstm stream: expected a backend that reads tensors back synchronously \(cpu, wasm\), got 'webgpu', which failed: /,
      );
      expect(stream.getState()).toEqual(before);
    } else expect(message).toBe('');
    expect(tf.getBackend()).toBe('webgpu');
    stream.dispose();
    layer.dispose();
  });
});
