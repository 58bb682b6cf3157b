/**
 * A lost device must fail loudly: kernels throw an error that says so, and reads settle instead
 * of hanging. In its own file (its own process): it destroys the device.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { LSTM } from '@rnnkit/core';
import { init } from '../src/node.js';
import { describeGpu } from './gpu.js';

function settlesWithin<T>(p: Promise<T>, ms: number): Promise<'resolved' | 'rejected' | 'hung'> {
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms)),
  ]);
}

describeGpu('a lost WebGPU device', () => {
  beforeAll(async () => {
    await init();
  });

  it('makes the kernels throw a clear error and reads settle', async () => {
    const layer = new LSTM({ units: 4, returnSequences: true });
    const x = tf.randomUniform([2, 3, 5]);
    const ok = layer.apply(x);
    expect((await ok.data()).length).toBe(24);
    const pending = layer.apply(x);

    const { device } = tf.backend() as unknown as { device: GPUDevice };
    device.destroy();
    const info = await device.lost;
    expect(info.reason).toBe('destroyed');

    expect(() => layer.apply(x)).toThrow(
      /RnnkitLSTMSequence: the WebGPU device was lost \(reason: destroyed/,
    );
    const read = pending.data();
    expect(await settlesWithin(read, 10_000)).toBe('rejected');
    await expect(read).rejects.toThrow(/WebGPU device was lost/);

    // The way out the message gives: a new backend, with a new device, works.
    tf.removeBackend('webgpu');
    await init();
    const fresh = new LSTM({ units: 4, returnSequences: true });
    const again = fresh.apply(tf.randomUniform([2, 3, 5]));
    expect((await again.data()).every(Number.isFinite)).toBe(true);
  });
});
