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
  differentiableInputs,
  referenceKernels,
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
  savedActivationCount,
} from '../src/index.js';
import {
  CONFIGS,
  expectClose,
  expectFlatOver,
  KERNEL_NAMES,
  kernelAttrs,
  kernelInputs,
  makeProblem,
  type ProblemOptions,
  tapedGradientsOverSaved,
  useConfig,
} from './helpers.js';
import { takenForwardCount } from '../src/kernels/shared/saved.js';

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

describe("agreement with core's reference backward", () => {
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

describe.each(CONFIGS)('a taped forward pass ($variant, $mode)', (config) => {
  // Under a tape the forward kernel keeps every step's activations and the backward kernel
  // takes them instead of recomputing the forward pass: outputs and gradients against core's
  // reference, and the gradients to the bit those of the recomputing backward kernel.
  useConfig(config);
  for (const [i, c] of cases.entries()) {
    const p = makeProblem({ ...c, seed: 40 + i });
    const kernel = KERNEL_NAMES[p.family] as SequenceKernelName;
    const gradName = sequenceGradKernelName(kernel);
    it.runIf(registered.has(gradName))(`${kernel} #${i} (${JSON.stringify(c)})`, () => {
      const { batch: B, steps: T, units: U } = p;
      // tfjs saves every input of a taped call by name: the dispatcher fills in the masks.
      const inputs = kernelInputs(p);
      inputs.mask ??= tf.ones([B, T], 'bool');
      inputs.recurrentMask ??= tf.ones([B, U]);
      const fusedInputs: tf.NamedTensorMap = { ...inputs };
      if (c.numericMask === true) fusedInputs.mask = tf.cast(inputs.mask, 'int32');
      const attrs = kernelAttrs(p);
      const dys = [
        seededTensor(p.returnSequences ? [B, T, U] : [B, U], 70 + i),
        seededTensor([B, U], 80 + i),
        ...(p.family === 'lstm' ? [seededTensor([B, U], 90 + i)] : []),
      ];
      const keys = differentiableInputs(kernel);
      // prettier-ignore
      const { grads, outputs: taped } = tapedGradientsOverSaved(kernel, gradName, fusedInputs, attrs, keys, dys);

      const reference = referenceKernels[kernel](
        inputs as unknown as SequenceKernelInputs,
        attrs as never,
      );
      taped.forEach((o, k) => expectClose(o, reference[k].dataSync(), `output ${k}`));
      const referenceGrads = sequenceBackwardReference(
        kernel,
        inputs as unknown as SequenceKernelInputs,
        dys,
        attrs as never,
      );
      const named: tf.NamedTensorMap = { ...fusedInputs, dOutput: dys[0], dH: dys[1] };
      if (dys.length > 2) named.dC = dys[2];
      const recomputed = tf.engine().runKernel(gradName, named, attrs) as tf.Tensor[];
      grads.forEach((g, k) => {
        expectClose(g.dataSync(), referenceGrads[k].dataSync(), `gradient ${k}`, 1e-4, 1e-4);
        expect(Array.from(g.dataSync()), `gradient ${k}`).toEqual(
          Array.from(recomputed[k].dataSync()),
        );
      });
      tf.dispose([...Object.values(fusedInputs), inputs.mask, ...dys, ...grads]);
      tf.dispose([...reference, ...referenceGrads, ...recomputed]);
    });
  }
});

describe('activations saved by a taped forward pass', () => {
  it('are taken by the backward pass', () => {
    const layer = new LSTM({ units: 4, returnSequences: true });
    const x = seededTensor([2, 3, 2], 5);
    layer.apply(x);
    const ws = layer.getWeights();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const grads = tf.grads((...w: tf.Tensor[]) => {
        layer.setWeights(w);
        return tf.mean(tf.square(layer.apply(x) as tf.Tensor));
      })(ws);
      expect(savedActivationCount()).toBe(0);
      tf.dispose(grads);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...ws]);
    layer.dispose();
  });

  it("of a forward pass no gradient flows through are freed with the tape's copies", () => {
    const layer = new LSTM({ units: 4 });
    const x = seededTensor([2, 3, 2], 6);
    const w = tf.scalar(2);
    let during = -1;
    const blocks = getWasmMemoryStats().liveBlocks;
    const grads = tf.grads((s: tf.Tensor) => {
      for (let i = 0; i < 3; i++) tf.dispose(layer.apply(x) as tf.Tensor); // the loss ignores them
      during = savedActivationCount();
      return tf.mul(s, s) as tf.Scalar;
    })([w]);
    expect(during).toBe(3);
    expect(savedActivationCount()).toBe(0);
    expect(getWasmMemoryStats().liveBlocks).toBe(blocks);
    tf.dispose([...grads, w, x]);
    layer.dispose();
  });
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
        const takenBefore = takenForwardCount();
        expectFlatOver(300, backward);
        expect(getKernelCalls()[gradName]).toBe(300);
        expect(takenForwardCount() - takenBefore).toBe(300);
        expect(savedActivationCount()).toBe(0);
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
