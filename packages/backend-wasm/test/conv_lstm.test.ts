/**
 * The fused ConvLSTM kernel against the float64 ConvLSTM equations of
 * `@rnnkit/conformance/naive` (checked there against the numpy cases) over every geometry and
 * flag, per module variant and memory mode; the layers dispatching to it; tfjs-layers' ConvLSTM2D
 * where its semantics equal Keras's; errors; flat tensors and heap over many forwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  ConvLSTMSequence,
  getDispatchStats,
  mulberry32,
  resetDispatchStats,
  type KernelActivation,
} from '@rnnkit/core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  runConvLSTMKernel,
  seededTensor,
  type ConvLSTMCallSpec,
} from '@rnnkit/conformance';
import { maxRelError, naiveConvLSTM } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getKernelCalls,
  getWasmMemoryStats,
  init,
  releaseWasmMemory,
  resetKernelCalls,
} from '../src/index.js';
import { getWinogradCalls } from '../src/kernels/shared/module_args.js';
import { conv3x3, FRAMES_5X5 } from './conv_lstm_helpers.js';
import { CONFIGS, expectClose, expectFlatOver, useConfig, useMemoryMode } from './helpers.js';

beforeAll(async () => {
  await init();
});

/** Runs the kernel on `p` and checks `[output, h, c]` against the float64 equations. */
function check(p: ConvLSTMCallSpec, seed: number, label: string): void {
  const { problem, inputs, attrs } = convLSTMKernelCall(p, seed);
  const want = naiveConvLSTM(problem);
  const got = runConvLSTMKernel(inputs, attrs);
  const state = [p.batch, ...want.outSpatial, p.filters];
  const shapes = [p.returnSequences ? [p.batch, p.steps, ...want.outSpatial, p.filters] : state];
  expect(got.map((t) => t.shape)).toEqual([...shapes, state, state]);
  [want.output, want.h, want.c].forEach((w, i) =>
    expectClose(got[i].dataSync(), w, `${label} output ${i}`),
  );
  tf.dispose([...got, ...Object.values(inputs)]);
}

describe.each(CONFIGS)(
  'fused ConvLSTM ($variant, $mode) vs float64 ConvLSTM equations',
  (config) => {
    useConfig(config);
    const { variant, mode } = config;

    it('1, 2 and 3 spatial axes, strides, dilation, both paddings, every flag', () => {
      const rand = mulberry32(11);
      const pick = (n: number): number => 1 + Math.floor(rand() * n);
      let seed = 100;
      resetKernelCalls();
      for (const geometry of CONV_LSTM_GEOMETRIES) {
        for (let bits = 0; bits < 16; bits++) {
          const mask = (bits & 3) !== 0;
          check(
            {
              ...geometry,
              // A mask needs a second row, which it masks throughout.
              batch: mask ? 1 + pick(2) : pick(3),
              steps: pick(4),
              channels: pick(5),
              filters: pick(6),
              goBackwards: (bits & 1) !== 0,
              returnSequences: (bits & 2) !== 0,
              alignToInput: (bits & 4) !== 0,
              zeroOutputForMask: (bits & 8) !== 0,
              mask,
              recurrentMask: (bits & 12) === 4,
            },
            seed,
            `${JSON.stringify(geometry)} bits ${bits} seed ${seed}`,
          );
          seed++;
        }
      }
      expect(getKernelCalls()[ConvLSTMSequence]).toBe(CONV_LSTM_GEOMETRIES.length * 16);
      expect(getWasmMemoryStats().variant).toBe(variant);
      expect(getWasmMemoryStats().mode).toBe(mode);
    });

    it.each<[KernelActivation, KernelActivation]>([
      ['tanh', 'hard_sigmoid_keras2'],
      ['tanh', 'hard_sigmoid'],
      ['relu', 'sigmoid'],
      ['elu', 'tanh'],
      ['linear', 'sigmoid'],
      ['gelu', 'softsign'],
    ])('activation %s, recurrent activation %s', (activation, recurrentActivation) => {
      check(
        {
          ...FRAMES_5X5,
          activation,
          recurrentActivation,
          mask: true,
          returnSequences: true,
        },
        7,
        `${activation}/${recurrentActivation}`,
      );
    });

    it("runs a 3×3 recurrent kernel of ≥ 8 filters as Winograd's F(2×2, 3×3), on odd and tiny images", () => {
      // Odd widths and heights leave half tiles at the right and bottom edges; 1×1 and 1×2 are a
      // lone tile; 9 filters leave padding lanes in the states and columns. The input
      // convolution's padding changes the state image's size (the recurrent one is `same`).
      const images: [[number, number], 'same' | 'valid'][] = [
        [[5, 7], 'same'],
        [[7, 5], 'valid'],
        [[1, 1], 'same'],
        [[1, 2], 'same'],
        [[3, 3], 'valid'],
        [[9, 12], 'same'],
      ];
      resetKernelCalls();
      let calls = 0;
      images.forEach(([spatial, padding], i) => {
        for (const filters of [8, 9]) {
          check(
            {
              ...conv3x3(spatial, padding),
              batch: 2,
              steps: 3,
              channels: 2 + (i % 2),
              filters,
              mask: i % 2 === 0,
              recurrentMask: i % 3 === 1,
              goBackwards: i % 2 === 1,
              returnSequences: i % 3 !== 2,
              zeroOutputForMask: i % 4 === 0,
            },
            40 + i,
            `${spatial.join('×')} ${padding}, ${filters} filters`,
          );
          calls++;
          expect(getWinogradCalls(), `${spatial.join('×')} ${filters} filters`).toBe(calls);
        }
      });
      // A 3-D call over frames one deep is a 2-D convolution.
      check(
        {
          ...FRAMES_5X5,
          spatial: [1, 5, 7],
          kernelSize: [1, 3, 3],
          strides: [1, 1, 1],
          dilationRate: [1, 1, 1],
          filters: 8,
          mask: true,
        },
        50,
        '1×5×7, 1×3×3 kernel',
      );
      expect(getWinogradCalls()).toBe(++calls);
      // Fewer filters, other kernels and 1-D or deep images keep the patch GEMM.
      const direct: ConvLSTMCallSpec[] = [
        { ...conv3x3([5, 7], 'same'), batch: 1, steps: 2, channels: 2, filters: 7 },
        { ...FRAMES_5X5, kernelSize: [2, 3], filters: 8 },
        {
          ...FRAMES_5X5,
          spatial: [6],
          kernelSize: [3],
          strides: [1],
          dilationRate: [1],
          filters: 8,
        },
        {
          ...FRAMES_5X5,
          spatial: [2, 4, 5],
          kernelSize: [1, 3, 3],
          strides: [1, 1, 1],
          dilationRate: [1, 1, 1],
          filters: 8,
        },
      ];
      direct.forEach((p, i) => check(p, 60 + i, `patch GEMM case ${i}`));
      expect(getWinogradCalls()).toBe(calls);
    });

    it('the bench shape (32×32×8, 16 filters, 3×3) with a batch of 2: several patch blocks', () => {
      check(
        {
          ...conv3x3([32, 32], 'same'),
          batch: 2,
          steps: 3,
          channels: 8,
          filters: 16,
          returnSequences: true,
        },
        3,
        'bench shape',
      );
    });
  },
);

describe('ConvLSTM layers on wasm', () => {
  it('run the fused kernel for ConvLSTM1D, ConvLSTM2D and ConvLSTM3D', () => {
    const cases = [
      { layer: new ConvLSTM1D({ filters: 2, kernelSize: 3 }), shape: [2, 3, 6, 2] },
      { layer: new ConvLSTM2D({ filters: 2, kernelSize: 3 }), shape: [2, 3, 5, 5, 2] },
      { layer: new ConvLSTM3D({ filters: 2, kernelSize: 2 }), shape: [2, 3, 3, 4, 3, 2] },
    ];
    for (const { layer, shape } of cases) {
      const x = seededTensor(shape, 4);
      resetDispatchStats();
      resetKernelCalls();
      tf.dispose(layer.apply(x));
      expect(getDispatchStats()[ConvLSTMSequence]).toEqual({ fused: 1, reference: 0 });
      expect(getKernelCalls()[ConvLSTMSequence]).toBe(1);
      layer.dispose();
      x.dispose();
    }
  });

  it('match tfjs-layers ConvLSTM2D (Keras semantics set explicitly) on strides, padding and dilation', () => {
    const configs = [
      { padding: 'same', strides: 1, dilationRate: 1, returnSequences: true },
      { padding: 'same', strides: 2, dilationRate: 1, returnSequences: false },
      { padding: 'valid', strides: 1, dilationRate: 2, returnSequences: true },
    ] as const;
    configs.forEach((config, k) => {
      const x = seededTensor([2, 4, 7, 6, 3], 20 + k);
      const theirs = tfl.layers.convLstm2d({
        filters: 4,
        kernelSize: 3,
        ...config,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        useBias: true,
        unitForgetBias: true,
        dataFormat: 'channelsLast',
        kernelInitializer: 'glorotUniform',
        recurrentInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
      });
      const want = theirs.apply(x) as tf.Tensor;
      const ours = new ConvLSTM2D({
        filters: 4,
        kernelSize: 3,
        padding: config.padding,
        strides: config.strides,
        dilationRate: config.dilationRate,
        returnSequences: config.returnSequences,
      });
      ours.build(x.shape);
      const weights = theirs.getWeights().map((w) => w.clone());
      ours.setWeights(weights);
      resetDispatchStats();
      const got = ours.apply(x) as tf.Tensor;
      expect(getDispatchStats()[ConvLSTMSequence]).toEqual({ fused: 1, reference: 0 });
      expect(got.shape).toEqual(want.shape);
      expect(maxRelError(got.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, want, got, ...weights]);
      theirs.dispose();
      ours.dispose();
    });
  });
});

describe('ConvLSTM kernel errors', () => {
  const base: ConvLSTMCallSpec = {
    ...conv3x3([5, 5], 'valid'),
    batch: 2,
    steps: 3,
    channels: 2,
    filters: 3,
  };

  function expectError(
    change: (call: ReturnType<typeof convLSTMKernelCall>) => void,
    message: string,
  ): void {
    const call = convLSTMKernelCall(base, 1);
    const owned = Object.values(call.inputs);
    change(call);
    expect(() => runConvLSTMKernel(call.inputs, call.attrs)).toThrow(message);
    tf.dispose([...owned, ...Object.values(call.inputs)]);
  }

  it('names the argument, what was expected and what was given', () => {
    expectError(
      (c) => (c.inputs.initialH = tf.zeros([2, 5, 5, 3])),
      'RnnkitConvLSTMSequence: initialH: expected shape [2, 3, 3, 3], got shape [2, 5, 5, 3]',
    );
    expectError(
      (c) => (c.inputs.kernel = tf.zeros([3, 3, 4, 12])),
      'RnnkitConvLSTMSequence: kernel: expected shape [3, 3, 2, 12], got shape [3, 3, 4, 12]',
    );
    expectError(
      (c) => (c.inputs.x = tf.zeros([2, 3, 2, 5, 2])),
      'RnnkitConvLSTMSequence: x: expected spatial sizes that fit the kernel [3, 3] with valid padding',
    );
    expectError(
      (c) => (c.attrs.strides = [1]),
      'RnnkitConvLSTMSequence: strides: expected 2 positive integers, got [1]',
    );
    expectError(
      (c) => (c.attrs.padding = 'causal' as 'valid'),
      `RnnkitConvLSTMSequence: padding: expected 'valid' or 'same', got "causal"`,
    );
    expectError((c) => {
      c.attrs.dilationRate = [2, 2];
      c.attrs.strides = [2, 1];
    }, 'RnnkitConvLSTMSequence: strides: expected all 1 when dilationRate is not');
    expectError(
      (c) => (c.inputs.mask = tf.ones([2, 4], 'bool')),
      'RnnkitConvLSTMSequence: mask: expected shape [2, 3], got shape [2, 4]',
    );
    expectError(
      (c) => delete c.inputs.initialC,
      'RnnkitConvLSTMSequence: initialC: expected a tensor of shape [2, 3, 3, 3], got none',
    );
  });
});

describe('ConvLSTM NaN', () => {
  it('a NaN in the input reaches the outputs of its batch item only, as in Keras', () => {
    const p: ConvLSTMCallSpec = {
      ...conv3x3([4, 4], 'same'),
      batch: 2,
      steps: 2,
      channels: 2,
      filters: 4,
    };
    const { inputs, attrs } = convLSTMKernelCall(p, 13);
    const x = inputs.x.dataSync().slice();
    x.fill(NaN, 0, x.length / 2); // batch item 0
    inputs.x.dispose();
    inputs.x = tf.tensor(x, inputs.x.shape);
    const out = runConvLSTMKernel(inputs, attrs);
    for (const t of out) {
      const v = t.dataSync();
      const half = v.length / 2;
      expect(v.subarray(0, half).every(Number.isNaN)).toBe(true);
      expect(v.subarray(half).every(Number.isFinite)).toBe(true);
    }
    tf.dispose([...out, ...Object.values(inputs)]);
  });
});

describe('ConvLSTM scratch', () => {
  it('does not grow with the sequence length (no gate rows held for every step)', () => {
    releaseWasmMemory();
    const scratchAfter = (steps: number): number => {
      const { inputs, attrs } = convLSTMKernelCall(
        {
          ...conv3x3([16, 16], 'same'),
          batch: 1,
          steps,
          channels: 4,
          filters: 8,
        },
        9,
      );
      tf.dispose([...runConvLSTMKernel(inputs, attrs), ...Object.values(inputs)]);
      return getWasmMemoryStats().scratchBytes;
    };
    const short = scratchAfter(2);
    // 60 steps of gate rows would be 60·256·32 floats, about 2 MB.
    expect(scratchAfter(60)).toBe(short);
    expect(short).toBeLessThan(1 << 18);
  });
});

describe.each(['shared', 'copy'] as const)('ConvLSTM memory (%s mode)', (mode) => {
  useMemoryMode(mode);

  it('tensors and heap use stay flat over 500 forwards (mask, recurrent mask, sequences)', () => {
    const { inputs, attrs } = convLSTMKernelCall(
      {
        ...conv3x3([9, 9], 'same'),
        batch: 2,
        steps: 4,
        channels: 3,
        filters: 5,
        mask: true,
        recurrentMask: true,
        returnSequences: true,
      },
      5,
    );
    const forward = (): void => tf.dispose(runConvLSTMKernel(inputs, attrs));
    forward();
    const after = expectFlatOver(500, forward);
    expect(after.packedWeights).toBe(2);
    expect(after.mode).toBe(mode);
    tf.dispose(Object.values(inputs));
  });
});
