/**
 * The fused ConvLSTM backward kernel (`RnnkitConvLSTMSequenceGrad`) beyond the gradient
 * conformance cases (`gradients.test.ts`): agreement with core's reference backward over every
 * geometry of the forward tests (3 spatial axes included) and every flag, recurrent and numeric
 * masks, other activations, several blocks and chunks of positions, per module variant and memory
 * mode; a taped forward pass, whose activations the backward takes; its errors; and flat
 * tensors and heap over a training run.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTM2D,
  ConvLSTMSequence,
  differentiableInputs,
  getDispatchStats,
  mulberry32,
  resetDispatchStats,
  sequenceBackwardReference,
  sequenceGradKernelName,
  type KernelActivation,
} from '@rnnkit/core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  type ConvLSTMCallSpec,
} from '@rnnkit/conformance';
import { naiveConvLSTM } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getKernelCalls,
  getWasmMemoryStats,
  init,
  resetKernelCalls,
  savedActivationCount,
} from '../src/index.js';
import {
  CONFIGS,
  expectClose,
  expectFlatOver,
  tapedGradientsOverSaved,
  useConfig,
  useMemoryMode,
} from './helpers.js';
import {
  conv3x3,
  convGradCase,
  FRAMES_5X5,
  namedTensors,
  outputGradients,
} from './conv_lstm_helpers.js';
import { takenForwardCount } from '../src/kernels/shared/saved.js';

const GRAD = sequenceGradKernelName(ConvLSTMSequence);

beforeAll(async () => {
  await init();
});

/**
 * Runs the fused backward kernel on `p` (its mask as int32 when `numericMask`) and checks every
 * gradient against core's reference backward.
 */
function check(p: ConvLSTMCallSpec, seed: number, label: string, numericMask = false): void {
  const { inputs, attrs, dys, named } = convGradCase(p, seed, seed + 1000);
  if (numericMask && inputs.mask != null) named.mask = tf.cast(inputs.mask, 'int32');
  const fused = tf
    .engine()
    .runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const reference = sequenceBackwardReference(ConvLSTMSequence, inputs, dys, attrs);
  expect(fused.length).toBe(6);
  fused.forEach((g, k) => {
    expect(g.shape, `${label} gradient ${k}`).toEqual(reference[k].shape);
    expectClose(g.dataSync(), reference[k].dataSync(), `${label} gradient ${k}`, 1e-4, 1e-4);
  });
  tf.dispose([...Object.values(named), ...Object.values(inputs), ...fused, ...reference]);
}

describe.each(CONFIGS)(
  "fused ConvLSTM backward ($variant, $mode) vs core's reference backward",
  (config) => {
    useConfig(config);
    const { variant, mode } = config;

    it('1, 2 and 3 spatial axes, strides, dilation, both paddings, every flag', () => {
      const rand = mulberry32(17);
      const pick = (n: number): number => 1 + Math.floor(rand() * n);
      let seed = 300;
      resetKernelCalls();
      let calls = 0;
      for (const geometry of CONV_LSTM_GEOMETRIES) {
        // Every flag bit set in some call per geometry, masks in half of them.
        for (const bits of [0, 3, 5, 6, 9, 12, 15]) {
          const mask = (bits & 3) !== 0;
          check(
            {
              ...geometry,
              batch: mask ? 1 + pick(2) : pick(2),
              steps: 1 + pick(3),
              channels: pick(5),
              filters: pick(6),
              goBackwards: (bits & 1) !== 0,
              returnSequences: (bits & 2) !== 0,
              alignToInput: (bits & 4) !== 0,
              zeroOutputForMask: (bits & 8) !== 0,
              mask,
              recurrentMask: (bits & 12) !== 0,
            },
            seed,
            `${JSON.stringify(geometry)} bits ${bits} seed ${seed}`,
            bits === 9,
          );
          seed++;
          calls++;
        }
      }
      expect(getKernelCalls()[GRAD]).toBe(calls);
      expect(getWasmMemoryStats().variant).toBe(variant);
      expect(getWasmMemoryStats().mode).toBe(mode);
    });

    it.each<[KernelActivation, KernelActivation]>([
      ['tanh', 'hard_sigmoid'],
      ['relu', 'sigmoid'],
      ['softsign', 'hard_sigmoid_keras2'],
      ['elu', 'tanh'],
    ])('activation %s, recurrent activation %s', (activation, recurrentActivation) => {
      check(
        {
          ...FRAMES_5X5,
          activation,
          recurrentActivation,
          mask: true,
          recurrentMask: true,
          returnSequences: true,
        },
        9,
        `${activation}/${recurrentActivation}`,
      );
    });

    it('several blocks of positions and chunks of rows (12×12, 20 filters, a mask)', () => {
      check(
        {
          ...conv3x3([12, 12], 'same'),
          batch: 3,
          steps: 3,
          channels: 5,
          filters: 20,
          mask: true,
          recurrentMask: true,
          returnSequences: true,
        },
        21,
        '12×12',
      );
    });
  },
);

const TAPED: (ConvLSTMCallSpec & { numericMask?: boolean })[] = [
  {
    ...conv3x3([6, 5], 'same'),
    batch: 2,
    steps: 4,
    channels: 3,
    filters: 5,
    mask: true,
    recurrentMask: true,
    goBackwards: true,
    returnSequences: true,
    alignToInput: true,
  },
  {
    spatial: [5, 4, 6],
    kernelSize: [2, 3, 2],
    strides: [2, 1, 3],
    dilationRate: [1, 1, 1],
    padding: 'valid',
    batch: 2,
    steps: 3,
    channels: 2,
    filters: 4,
  },
  {
    spatial: [9],
    kernelSize: [4],
    strides: [2],
    dilationRate: [1],
    padding: 'same',
    batch: 3,
    steps: 5,
    channels: 3,
    filters: 6,
    mask: true,
    numericMask: true,
    zeroOutputForMask: true,
  },
];

describe.each(CONFIGS)('a taped ConvLSTM forward pass ($variant, $mode)', (config) => {
  // Under a tape the forward kernel keeps every step's activations and the backward kernel takes
  // them instead of recomputing the forward pass: outputs against the float64 equations,
  // gradients against core's reference backward, and to the bit those of the recomputing kernel.
  useConfig(config);
  TAPED.forEach((p, i) => {
    it(`${JSON.stringify(p.spatial)} #${i}`, () => {
      const { problem, inputs, attrs } = convLSTMKernelCall(p, 60 + i);
      const want = naiveConvLSTM(problem);
      const state = [p.batch, ...want.outSpatial, p.filters];
      // tfjs saves every input of a taped call by name: the dispatcher fills in the masks.
      inputs.mask ??= tf.ones([p.batch, p.steps], 'bool');
      inputs.recurrentMask ??= tf.ones(state);
      const named = namedTensors(inputs);
      if (p.numericMask === true) named.mask = tf.cast(inputs.mask, 'int32');
      const dys = outputGradients(p, want.outSpatial, 80 + i);
      const keys = differentiableInputs(ConvLSTMSequence);
      const tapedAttrs = attrs as unknown as tf.NamedAttrMap;
      // prettier-ignore
      const { grads, outputs: taped } = tapedGradientsOverSaved(ConvLSTMSequence, GRAD, named, tapedAttrs, keys, dys);
      [want.output, want.h, want.c].forEach((w, k) => expectClose(taped[k], w, `output ${k}`));

      const reference = sequenceBackwardReference(ConvLSTMSequence, inputs, dys, attrs);
      const recomputed = tf
        .engine()
        .runKernel(
          GRAD,
          { ...named, dOutput: dys[0], dH: dys[1], dC: dys[2] },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
      grads.forEach((g, k) => {
        expectClose(g.dataSync(), reference[k].dataSync(), `gradient ${k}`, 1e-4, 1e-4);
        expect(Array.from(g.dataSync()), `gradient ${k}`).toEqual(
          Array.from(recomputed[k].dataSync()),
        );
      });
      tf.dispose([...Object.values(named), ...Object.values(inputs), ...dys, ...grads]);
      tf.dispose([...reference, ...recomputed]);
    });
  });
});

describe('ConvLSTM backward errors', () => {
  const base: ConvLSTMCallSpec = {
    ...conv3x3([5, 5], 'valid'),
    batch: 2,
    steps: 3,
    channels: 2,
    filters: 3,
  };

  function expectError(change: (named: tf.NamedTensorMap) => void, message: string): void {
    const { attrs, named } = convGradCase(base, 1, 5);
    const owned = Object.values(named);
    change(named);
    expect(() => tf.engine().runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap)).toThrow(
      message,
    );
    tf.dispose([...owned, ...Object.values(named)]);
  }

  it('checks the forward inputs as the forward kernel does', () => {
    expectError(
      (n) => (n.initialH = tf.zeros([2, 5, 5, 3])),
      'RnnkitConvLSTMSequence: initialH: expected shape [2, 3, 3, 3], got shape [2, 5, 5, 3]',
    );
    expectError(
      (n) => (n.mask = tf.ones([2, 4], 'bool')),
      'RnnkitConvLSTMSequence: mask: expected shape [2, 3], got shape [2, 4]',
    );
  });

  it('names the output gradient, what was expected and what was given', () => {
    expectError(
      (n) => (n.dOutput = tf.zeros([2, 3, 3, 3, 3])),
      'RnnkitConvLSTMSequenceGrad: dOutput: expected shape [2, 3, 3, 3], got shape [2, 3, 3, 3, 3]',
    );
    expectError(
      (n) => delete n.dC,
      'RnnkitConvLSTMSequenceGrad: dC: expected a tensor of shape [2, 3, 3, 3], got none',
    );
    expectError(
      (n) => (n.dH = tf.zeros([2, 3, 3, 3], 'int32')),
      'RnnkitConvLSTMSequenceGrad: dH: expected dtype float32, got int32',
    );
  });
});

describe.each(['shared', 'copy'] as const)('ConvLSTM2D training on wasm (%s)', (mode) => {
  useMemoryMode(mode);

  it('runs the fused backward over saved activations; tensors and heap stay flat over 100 steps', () => {
    const layer = new ConvLSTM2D({ filters: 4, kernelSize: 3, padding: 'same' });
    const x = tf.randomUniform([2, 4, 6, 6, 2], -1, 1, 'float32', 3);
    const mask = tf.tensor2d(
      [
        [1, 1, 0, 1],
        [0, 1, 1, 1],
      ],
      [2, 4],
      'bool',
    );
    layer.apply(x);
    const weights = layer.getWeights().map((w) => tf.variable(w));
    const lossOf = (...w: tf.Tensor[]): tf.Scalar => {
      layer.setWeights(w);
      return tf.mean(tf.square(layer.apply(x, { mask }) as tf.Tensor));
    };
    const step = (): number => {
      const { value, grads } = tf.valueAndGrads(lossOf)(weights);
      tf.tidy(() => weights.forEach((w, i) => w.assign(tf.sub(w, tf.mul(0.05, grads[i])))));
      const loss = value.dataSync()[0];
      tf.dispose([value, ...grads]);
      return loss;
    };
    const first = step();
    const takenBefore = takenForwardCount();
    resetKernelCalls();
    resetDispatchStats();
    let last = first;
    expectFlatOver(100, () => (last = step()));
    expect(getKernelCalls()[GRAD]).toBe(100);
    expect(getDispatchStats()[GRAD]).toEqual({ fused: 100, reference: 0 });
    // Every backward call took the activations its taped forward call kept.
    expect(takenForwardCount() - takenBefore).toBe(100);
    expect(savedActivationCount()).toBe(0);
    expect(last).toBeLessThan(first); // the steps did train
    tf.dispose([x, mask, ...weights]);
    layer.dispose();
  });
});

describe('ConvLSTM backward without a tape', () => {
  it('recomputes the forward pass; tensors and heap stay flat over 200 calls', () => {
    const p: ConvLSTMCallSpec = {
      ...conv3x3([6, 6], 'same'),
      batch: 2,
      steps: 3,
      channels: 2,
      filters: 4,
      mask: true,
      recurrentMask: true,
      returnSequences: true,
    };
    const { attrs, named } = convGradCase(p, 5, 7);
    const call = (): void =>
      tf.dispose(tf.engine().runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap));
    call();
    const takenBefore = takenForwardCount();
    resetKernelCalls();
    expectFlatOver(200, call);
    expect(getKernelCalls()[GRAD]).toBe(200);
    expect(takenForwardCount()).toBe(takenBefore);
    tf.dispose(Object.values(named));
  });
});
