/**
 * The fused backward kernels (`<kernel>Grad`) beyond the gradient conformance cases
 * (`gradients.test.ts`): they run fused, and tensors and heap stay flat over many calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@rnnkit/core/training';
import {
  GRU,
  GRUSequence,
  LSTM,
  LSTMSequence,
  SimpleRNN,
  SimpleRNNSequence,
  sequenceGradKernelName,
  type SequenceKernelName,
} from '@rnnkit/core';
import { seededTensor } from '@rnnkit/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getKernelCalls,
  getWasmMemoryStats,
  init,
  kernelConfigs,
  resetKernelCalls,
} from '../src/index.js';

beforeAll(async () => {
  await init();
});

const registered = new Set(kernelConfigs.map((k) => k.kernelName));

const layers: { kernel: SequenceKernelName; label: string; make: () => SimpleRNN | LSTM | GRU }[] =
  [
    {
      kernel: SimpleRNNSequence,
      label: 'returnSequences',
      make: () => new SimpleRNN({ units: 6, returnSequences: true }),
    },
    { kernel: LSTMSequence, label: 'last output', make: () => new LSTM({ units: 5 }) },
    {
      kernel: GRUSequence,
      label: 'resetAfter, goBackwards',
      make: () => new GRU({ units: 7, returnSequences: true, goBackwards: true }),
    },
    {
      kernel: GRUSequence,
      label: 'reset before',
      make: () => new GRU({ units: 5, resetAfter: false }),
    },
  ];

describe('fused backward kernels', () => {
  for (const { kernel, label, make } of layers) {
    const gradName = sequenceGradKernelName(kernel);
    it.runIf(registered.has(gradName))(
      `${gradName} (${label}): runs fused; tensors and heap stay flat over 300 backward calls`,
      () => {
        const x = seededTensor([3, 6, 4], 11);
        const mask = tf.tensor2d(
          Array.from({ length: 18 }, (_, i) => i % 5 !== 2),
          [3, 6],
          'bool',
        );
        const layer = make();
        layer.apply(x);
        const weights = layer.getWeights();
        const backward = (): void => {
          const grads = tf.grads((...w: tf.Tensor[]) => {
            layer.setWeights(w);
            return tf.sum(layer.apply(x, { mask }) as tf.Tensor) as tf.Scalar;
          })(weights);
          tf.dispose(grads);
        };
        backward();
        resetKernelCalls();
        const tensors = tf.memory().numTensors;
        const before = getWasmMemoryStats();
        for (let i = 0; i < 300; i++) backward();
        const after = getWasmMemoryStats();
        expect(getKernelCalls()[gradName]).toBe(300);
        expect(tf.memory().numTensors).toBe(tensors);
        expect(after.liveBytes).toBe(before.liveBytes);
        expect(after.liveBlocks).toBe(before.liveBlocks);
        expect(after.memoryBytes).toBe(before.memoryBytes);
        tf.dispose([x, mask, ...weights]);
        layer.dispose();
      },
    );
  }
});
