/**
 * The kernels behind @rnnkit/core: registration, agreement with core's reference kernels (built
 * from tfjs-core ops), the fused path actually running under the layers, and no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients make the dispatcher take the reference path, for the layer-level comparison.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import {
  Bidirectional,
  getDispatchStats,
  GRU,
  GRUSequence,
  LSTM,
  LSTMSequence,
  referenceKernels,
  resetDispatchStats,
  SimpleRNN,
  SimpleRNNSequence,
  type SequenceKernelInputs,
} from '@rnnkit/core';
import { defineRegistrationSuite, seededTensor } from '@rnnkit/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backendName,
  getKernelCalls,
  getWasmMemoryStats,
  init,
  kernelConfigs,
  resetKernelCalls,
} from '../src/index.js';
import {
  expectClose,
  KERNEL_NAMES,
  kernelAttrs,
  kernelInputs,
  makeProblem,
  type ProblemOptions,
  naiveOutputs,
} from './helpers.js';

beforeAll(async () => {
  await init();
});

defineRegistrationSuite(
  { describe, it, beforeAll },
  { backend: 'wasm', pkg: { backendName, kernelConfigs, init } },
);

describe('agreement with core referenceKernels', () => {
  const cases: ProblemOptions[] = [
    {
      family: 'lstm',
      batch: 3,
      steps: 6,
      inputDim: 5,
      units: 7,
      mask: 'random',
      returnSequences: true,
    },
    {
      family: 'lstm',
      batch: 2,
      steps: 5,
      inputDim: 4,
      units: 8,
      goBackwards: true,
      alignToInput: true,
      returnSequences: true,
      zeroOutputForMask: true,
      mask: 'random',
      initialStates: true,
    },
    {
      family: 'gru',
      resetAfter: true,
      batch: 3,
      steps: 4,
      inputDim: 3,
      units: 5,
      recurrentMask: true,
      initialStates: true,
    },
    {
      family: 'gru',
      resetAfter: false,
      batch: 2,
      steps: 6,
      inputDim: 4,
      units: 6,
      mask: 'random',
      recurrentMask: true,
      goBackwards: true,
      returnSequences: true,
    },
    {
      family: 'simple',
      batch: 4,
      steps: 5,
      inputDim: 3,
      units: 9,
      activation: 'relu',
      mask: 'random',
    },
  ];
  cases.forEach((o, i) => {
    it(`${o.family}${o.family === 'gru' ? (o.resetAfter ? ' resetAfter' : ' resetBefore') : ''} case ${i}`, () => {
      const p = makeProblem({ ...o, seed: 900 + i });
      tf.tidy(() => {
        const inputs = kernelInputs(p);
        const attrs = kernelAttrs(p);
        const name = KERNEL_NAMES[p.family] as keyof typeof referenceKernels;
        const fused = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[];
        const reference = referenceKernels[name](
          inputs as unknown as SequenceKernelInputs,
          attrs as never,
        );
        expect(fused.length).toBe(reference.length);
        fused.forEach((t, j) => {
          expect(t.shape).toEqual(reference[j].shape);
          expectClose(t.dataSync(), reference[j].dataSync(), `output ${j} vs reference`);
        });
        // And both against the float64 equations.
        naiveOutputs(p).forEach((e, j) =>
          expectClose(fused[j].dataSync(), e, `output ${j} vs float64`),
        );
      });
    });
  });
});

describe('layers dispatch to the fused kernels', () => {
  it('LSTM, GRU (both resetAfter), SimpleRNN and both halves of Bidirectional run fused', () => {
    const x = seededTensor([2, 5, 3], 1);
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      [2, 5],
      'bool',
    );
    const layers = [
      new LSTM({ units: 4, returnSequences: true }),
      new GRU({ units: 4, returnState: true }),
      new GRU({ units: 3, resetAfter: false }),
      new SimpleRNN({ units: 5, goBackwards: true }),
      new Bidirectional(new LSTM({ units: 3, returnSequences: true })),
    ];
    resetDispatchStats();
    resetKernelCalls();
    for (const layer of layers) {
      const out = layer.apply(x, { mask });
      tf.dispose(out as tf.Tensor | tf.Tensor[]);
    }
    const stats = getDispatchStats();
    expect(stats[LSTMSequence]).toEqual({ fused: 3, reference: 0 });
    expect(stats[GRUSequence]).toEqual({ fused: 2, reference: 0 });
    expect(stats[SimpleRNNSequence]).toEqual({ fused: 1, reference: 0 });
    // The fused calls are this package's kernels.
    expect(getKernelCalls()).toEqual({
      [LSTMSequence]: 3,
      [GRUSequence]: 2,
      [SimpleRNNSequence]: 1,
    });
    tf.dispose([x, mask]);
    layers.forEach((l) => l.dispose());
  });

  it('a layer on the wasm backend matches the reference path on the same backend', () => {
    const x = seededTensor([3, 6, 4], 2);
    const lstm = new LSTM({ units: 5, returnSequences: true, returnState: true });
    const fused = lstm.apply(x);
    // Gradients force the reference kernel (fused kernels define none).
    let reference: tf.Tensor[] = [];
    tf.grad((input: tf.Tensor) => {
      reference = (lstm.apply(input) as tf.Tensor[]).map((t) => tf.keep(t));
      return tf.sum(reference[0]);
    })(x).dispose();
    fused.forEach((t, i) => expectClose(t.dataSync(), reference[i].dataSync(), `output ${i}`));
    tf.dispose([x, fused, reference]);
    lstm.dispose();
  });
});

describe('no leaks', () => {
  it("1,000 layer forwards: tensors, this package's heap use and the wasm memory stay flat", () => {
    const x = seededTensor([4, 10, 8], 3);
    const mask = tf.tensor2d(
      Array.from({ length: 40 }, (_, i) => i % 7 !== 3),
      [4, 10],
      'bool',
    );
    const layer = new Bidirectional(new GRU({ units: 12, returnSequences: true }));
    const forward = (): void => tf.dispose(layer.apply(x, { mask }) as tf.Tensor);
    forward();
    const tensors = tf.memory().numTensors;
    const before = getWasmMemoryStats();
    for (let i = 0; i < 1000; i++) forward();
    const after = getWasmMemoryStats();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.memoryBytes).toBe(before.memoryBytes);
    expect(after.packedWeights).toBe(before.packedWeights);
    tf.dispose([x, mask]);
    layer.dispose();
  });
});

describe('errors name the argument, the expectation and what was given', () => {
  const base = (): ReturnType<typeof makeProblem> =>
    makeProblem({ family: 'lstm', batch: 2, steps: 3, inputDim: 4, units: 5 });
  it('wrong kernel shape', () => {
    const p = base();
    tf.tidy(() => {
      const inputs = kernelInputs(p);
      inputs.kernel = tf.zeros([3, 20]);
      expect(() => tf.engine().runKernel(LSTMSequence, inputs, kernelAttrs(p))).toThrow(
        /RnnkitLSTMSequence: kernel: expected shape \[4, 20\], got shape \[3, 20\]/,
      );
    });
  });
  it('unknown activation', () => {
    const p = base();
    tf.tidy(() => {
      const attrs = { ...kernelAttrs(p), recurrentActivation: 'hard_tanh' };
      expect(() => tf.engine().runKernel(LSTMSequence, kernelInputs(p), attrs)).toThrow(
        /recurrentActivation: expected one of .*, got "hard_tanh"/,
      );
    });
  });
  it('missing initialC, and no tensors leak on the error path', () => {
    const p = base();
    tf.tidy(() => {
      const inputs = kernelInputs(p);
      delete inputs.initialC;
      const before = tf.memory().numTensors;
      expect(() => tf.engine().runKernel(LSTMSequence, inputs, kernelAttrs(p))).toThrow(
        /initialC: expected a tensor of shape \[2, 5\], got none/,
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
