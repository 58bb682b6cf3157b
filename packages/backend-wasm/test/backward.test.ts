/**
 * The fused backward kernels (`<kernel>Grad`) beyond the gradient conformance cases
 * (`gradients.test.ts`): agreement with core's reference backward on what those cases leave
 * out (recurrent masks, numeric masks, units that are no multiple of four), that they run fused,
 * and that tensors and heap stay flat over many calls.
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
  sequenceBackwardReference,
  sequenceGradKernelName,
  type SequenceKernelInputs,
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
import {
  expectClose,
  KERNEL_NAMES,
  kernelAttrs,
  kernelInputs,
  makeProblem,
  type ProblemOptions,
} from './helpers.js';

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

describe("agreement with core's reference backward", () => {
  const shared = { batch: 3, steps: 7, inputDim: 9, units: 13, initialStates: true };
  const wide = { batch: 3, steps: 6, inputDim: 7, initialStates: true };
  const cases: (ProblemOptions & { numericMask?: boolean })[] = [
    { family: 'simple', ...shared, mask: 'random', recurrentMask: true, returnSequences: true },
    {
      family: 'simple',
      ...shared,
      activation: 'relu',
      mask: 'random',
      numericMask: true,
      goBackwards: true,
      zeroOutputForMask: true,
    },
    { family: 'lstm', ...shared, mask: 'random', recurrentMask: true, returnSequences: true },
    {
      family: 'lstm',
      ...shared,
      activation: 'softsign',
      recurrentActivation: 'hard_sigmoid',
      mask: 'random',
      goBackwards: true,
      returnSequences: true,
      alignToInput: true,
      zeroOutputForMask: true,
    },
    {
      family: 'gru',
      ...shared,
      resetAfter: true,
      mask: 'random',
      recurrentMask: true,
      returnSequences: true,
    },
    {
      family: 'gru',
      ...shared,
      resetAfter: false,
      mask: 'random',
      numericMask: true,
      recurrentMask: true,
      goBackwards: true,
    },
    // Wider layers (tanh and sigmoid): gate blocks spanning 16-column GEMM panels, a whole
    // number of them (32 units) or not (20, 24), with and without a mask.
    { family: 'lstm', ...wide, units: 20, returnSequences: true },
    { family: 'lstm', ...wide, units: 32, mask: 'random', returnSequences: true },
    { family: 'gru', ...wide, units: 20, resetAfter: false, returnSequences: true },
    { family: 'gru', ...wide, units: 24, resetAfter: false, mask: 'random' },
    { family: 'gru', ...wide, units: 32, resetAfter: false, goBackwards: true },
    { family: 'gru', ...wide, units: 20, resetAfter: true, returnSequences: true },
  ];
  for (const [i, c] of cases.entries()) {
    const p = makeProblem({ ...c, seed: 40 + i });
    const kernel = KERNEL_NAMES[p.family] as SequenceKernelName;
    const gradName = sequenceGradKernelName(kernel);
    it.runIf(registered.has(gradName))(`${gradName} #${i} (${JSON.stringify(c)})`, () => {
      const inputs = kernelInputs(p);
      // The fused kernel also takes a numeric mask; core's reference reads the bool one.
      const fusedInputs: tf.NamedTensorMap = { ...inputs };
      if (c.numericMask === true && inputs.mask != null) {
        fusedInputs.mask = tf.cast(inputs.mask, 'int32');
      }
      const attrs = kernelAttrs(p);
      const { batch: B, steps: T, units: U } = p;
      const dys = [
        seededTensor(p.returnSequences ? [B, T, U] : [B, U], 70 + i),
        seededTensor([B, U], 80 + i),
        ...(p.family === 'lstm' ? [seededTensor([B, U], 90 + i)] : []),
      ];
      const named: tf.NamedTensorMap = { ...fusedInputs, dOutput: dys[0], dH: dys[1] };
      if (dys.length > 2) named.dC = dys[2];
      resetKernelCalls();
      const fused = tf.engine().runKernel(gradName, named, attrs) as tf.Tensor[];
      expect(getKernelCalls()[gradName]).toBe(1);
      const reference = sequenceBackwardReference(
        kernel,
        inputs as unknown as SequenceKernelInputs,
        dys,
        attrs as never,
      );
      expect(fused.length).toBe(reference.length);
      fused.forEach((g, k) => {
        expect(g.shape).toEqual(reference[k].shape);
        expectClose(g.dataSync(), reference[k].dataSync(), `gradient ${k}`, 1e-4, 1e-4);
      });
      tf.dispose([...Object.values(fusedInputs), inputs.mask, ...dys, ...fused, ...reference]);
    });
  }
});

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

describe('masks that keep everything', () => {
  // A gradient tape passes an all-true mask and an all-ones recurrent mask where the call had
  // none; the kernels then run unmasked. Their results must be those of the masked path.
  const problem = makeProblem({
    family: 'lstm',
    batch: 3,
    steps: 5,
    inputDim: 6,
    units: 20,
    initialStates: true,
    returnSequences: true,
    seed: 7,
  });
  for (const kernel of [LSTMSequence, sequenceGradKernelName(LSTMSequence)]) {
    it.runIf(registered.has(kernel))(`${kernel}: as the masked path, to the last bit`, () => {
      const inputs = kernelInputs(problem);
      const { batch: B, steps: T, units: U } = problem;
      const grad = kernel !== LSTMSequence;
      const dys: tf.NamedTensorMap = grad
        ? {
            dOutput: seededTensor([B, T, U], 3),
            dH: seededTensor([B, U], 4),
            dC: seededTensor([B, U], 5),
          }
        : {};
      const attrs = kernelAttrs(problem);
      const run = (extra: tf.NamedTensorMap) =>
        tf.engine().runKernel(kernel, { ...inputs, ...dys, ...extra }, attrs) as tf.Tensor[];
      const keepAll = tf.ones([B, T], 'bool');
      // A mask that drops one step and a recurrent mask of ones but one unit: the masked path.
      const dropOne = tf.tensor2d(
        Array.from({ length: B * T }, (_, i) => i !== 3),
        [B, T],
        'bool',
      );
      const ones = tf.ones([B, U]);
      const unmasked = run({});
      const filled = run({ mask: keepAll, recurrentMask: ones });
      const masked = run({ mask: dropOne, recurrentMask: ones });
      filled.forEach((t, k) => {
        expect(Array.from(t.dataSync())).toEqual(Array.from(unmasked[k].dataSync()));
      });
      const differs = masked.some((t, k) =>
        t.dataSync().some((v, i) => v !== unmasked[k].dataSync()[i]),
      );
      expect(differs).toBe(true);
      tf.dispose([...Object.values(inputs), ...Object.values(dys), keepAll, dropOne, ones]);
      tf.dispose([...unmasked, ...filled, ...masked]);
    });
  }
});
