import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { getKernelCalls, getWasmMemoryStats, init, resetKernelCalls } from '../src/index.js';
import { NAIVE_ACTIVATIONS } from '@rnnkit/conformance/naive';
import {
  CONFIGS,
  expectClose,
  expectFlatMemory,
  useConfig,
  useMemoryMode,
  kernelAttrs,
  kernelInputs,
  makeProblem,
  runKernel,
  type ProblemOptions,
  naiveOutputs,
} from './helpers.js';

beforeAll(async () => {
  await init();
});

const FAMILIES: { name: string; options: Pick<ProblemOptions, 'family' | 'resetAfter'> }[] = [
  { name: 'SimpleRNN', options: { family: 'simple' } },
  { name: 'LSTM', options: { family: 'lstm' } },
  { name: 'GRU resetAfter', options: { family: 'gru', resetAfter: true } },
  { name: 'GRU resetBefore', options: { family: 'gru', resetAfter: false } },
];

function check(o: ProblemOptions, label: string, atol = 1e-5, rtol = 1e-5): void {
  const p = makeProblem(o);
  const expected = naiveOutputs(p);
  const actual = runKernel(p);
  expect(actual.length, `${label}: outputs`).toBe(expected.length);
  actual.forEach((a, i) => expectClose(a, expected[i], `${label} output ${i}`, atol, rtol));
}

describe.each(CONFIGS)(
  'fused wasm kernels ($variant, $mode) vs float64 Keras equations',
  (config) => {
    useConfig(config);
    const { variant, mode } = config;

    it('runs the requested module variant and memory mode', () => {
      runKernel(makeProblem({ family: 'simple', batch: 1, steps: 1, inputDim: 1, units: 1 }));
      expect(getWasmMemoryStats().variant).toBe(variant);
      expect(getWasmMemoryStats().mode).toBe(mode);
    });

    for (const { name, options } of FAMILIES) {
      it(`${name}: every flag combination`, () => {
        let n = 0;
        for (const goBackwards of [false, true])
          for (const alignToInput of [false, true])
            for (const returnSequences of [false, true])
              for (const zeroOutputForMask of [false, true])
                for (const mask of ['none', 'random'] as const)
                  for (const recurrentMask of [false, true])
                    for (const initialStates of [false, true]) {
                      const o: ProblemOptions = {
                        ...options,
                        batch: 3,
                        steps: 5,
                        inputDim: 4,
                        units: 6,
                        goBackwards,
                        alignToInput,
                        returnSequences,
                        zeroOutputForMask,
                        mask,
                        recurrentMask,
                        initialStates,
                        seed: 100 + n++,
                      };
                      check(o, `${name} ${JSON.stringify(o)}`);
                    }
        expect(n).toBe(128);
      });

      it(`${name}: shapes that exercise padding and every micro-kernel`, () => {
        for (const [batch, steps, inputDim, units] of [
          [1, 7, 3, 20], // one row: two-panel and one-panel matrix–vector paths
          [1, 4, 16, 128],
          [5, 6, 33, 37], // odd batch, units not a multiple of 4
          [2, 3, 1, 1],
          [4, 1, 8, 12],
        ]) {
          check(
            {
              ...options,
              batch,
              steps,
              inputDim,
              units,
              returnSequences: true,
              mask: 'random',
              weightScale: 0.3,
            },
            `${name} ${batch}x${steps}x${inputDim}x${units}`,
          );
        }
      });
    }

    const names = Object.keys(NAIVE_ACTIVATIONS);
    it('every activation, as activation and as recurrent activation', () => {
      names.forEach((activation, i) => {
        const recurrentActivation = names[(i + 5) % names.length];
        for (const { name, options } of FAMILIES) {
          check(
            {
              ...options,
              batch: 2,
              steps: 4,
              inputDim: 3,
              units: 5,
              activation,
              recurrentActivation,
              returnSequences: true,
              initialStates: true,
              weightScale: 0.4,
              seed: 7 + i,
            },
            `${name} activation=${activation} recurrentActivation=${recurrentActivation}`,
          );
        }
      });
    });

    it('activations far into their tails', () => {
      // A linear SimpleRNN with zero weights passes x·W + b straight through: drive the activation
      // with large inputs by scaling the bias.
      for (const activation of names) {
        const p = makeProblem({
          family: 'simple',
          batch: 1,
          steps: 1,
          inputDim: 1,
          units: 24,
          activation,
        });
        p.recurrentKernel.fill(0);
        p.kernel.fill(0);
        for (let u = 0; u < 24; u++) p.bias[u] = Math.fround(-92 + 8 * u); // −92 … 92
        const expected = naiveOutputs(p);
        const actual = runKernel(p);
        for (let u = 0; u < 24; u++) {
          const e = expected[0][u];
          const a = actual[0][u];
          if (!Number.isFinite(e)) {
            expect(a, `${activation}(${p.bias[u]})`).toBe(e);
          } else if (Math.abs(e) > 3.4e38) {
            expect(Math.abs(a) > 3e38 || !Number.isFinite(a), `${activation}(${p.bias[u]})`).toBe(
              true,
            );
          } else {
            expectClose([a], [e], `${activation}(${p.bias[u]})`);
          }
        }
      }
    });

    it('accepts int32 and float32 masks as well as bool', () => {
      const p = makeProblem({
        family: 'lstm',
        batch: 3,
        steps: 5,
        inputDim: 2,
        units: 5,
        mask: 'random',
        returnSequences: true,
      });
      const expected = naiveOutputs(p);
      for (const dtype of ['int32', 'float32'] as const) {
        const out = tf.tidy(() => {
          const inputs = kernelInputs(p);
          inputs.mask = tf.tensor2d(
            p.mask!.map((m) => (m ? 1 : 0)),
            [3, 5],
            dtype,
          );
          const result = tf
            .engine()
            .runKernel('RnnkitLSTMSequence', inputs, kernelAttrs(p)) as tf.Tensor[];
          return result.map((t) => t.dataSync() as Float32Array);
        });
        out.forEach((a, i) => expectClose(a, expected[i], `${dtype} mask output ${i}`));
      }
    });

    it('a NaN or Inf at a masked step does not leak', () => {
      for (const { name, options } of FAMILIES) {
        const p = makeProblem({
          ...options,
          batch: 3,
          steps: 6,
          inputDim: 4,
          units: 5,
          mask: 'random',
          returnSequences: true,
        });
        const T = p.steps;
        const D = p.inputDim;
        for (let b = 0; b < p.batch; b++) {
          for (let t = 0; t < T; t++) {
            if (!p.mask![b * T + t])
              for (let d = 0; d < D; d++) p.x[(b * T + t) * D + d] = d % 2 ? NaN : Infinity;
          }
        }
        const expected = naiveOutputs(p);
        const actual = runKernel(p);
        actual.forEach((a, i) => {
          expect(a.every(Number.isFinite), `${name} output ${i} finite`).toBe(true);
          expectClose(a, expected[i], `${name} output ${i}`);
        });
      }
    });

    it('counts fused calls per kernel', () => {
      resetKernelCalls();
      runKernel(makeProblem({ family: 'lstm', batch: 1, steps: 2, inputDim: 2, units: 3 }));
      runKernel(
        makeProblem({ family: 'gru', resetAfter: true, batch: 1, steps: 2, inputDim: 2, units: 3 }),
      );
      expect(getKernelCalls()).toEqual({ RnnkitLSTMSequence: 1, RnnkitGRUSequence: 1 });
    });
  },
);

describe('packed-weight cache', () => {
  it('repacks when the weight tensor is disposed and its memory reused', () => {
    const base = {
      family: 'lstm' as const,
      batch: 2,
      steps: 4,
      inputDim: 3,
      units: 5,
      returnSequences: true,
    };
    for (let seed = 1; seed <= 3; seed++) {
      // Each problem has fresh weights of the same sizes; runKernel disposes them afterwards, so
      // the next tensors usually land at the same heap offsets.
      check({ ...base, seed }, `seed ${seed}`);
    }
  });

  it('repacks after Variable.assign', () => {
    const p1 = makeProblem({
      family: 'gru',
      resetAfter: true,
      batch: 2,
      steps: 3,
      inputDim: 3,
      units: 4,
      seed: 5,
    });
    const p2 = makeProblem({
      family: 'gru',
      resetAfter: true,
      batch: 2,
      steps: 3,
      inputDim: 3,
      units: 4,
      seed: 6,
    });
    const first = tf.tensor2d(Float32Array.from(p1.recurrentKernel), [4, 12]);
    const v = tf.variable(first);
    first.dispose();
    const run = (): Float32Array => {
      return tf.tidy(() => {
        const inputs: Record<string, tf.Tensor> = {
          x: tf.tensor3d(Float32Array.from(p1.x), [2, 3, 3]),
          kernel: tf.tensor2d(Float32Array.from(p1.kernel), [3, 12]),
          recurrentKernel: v,
          bias: tf.tensor2d(Float32Array.from(p1.bias), [2, 12]),
          initialH: tf.zeros([2, 4]),
        };
        const attrs = {
          units: 4,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          resetAfter: true,
          goBackwards: false,
          returnSequences: false,
          alignToInput: false,
          zeroOutputForMask: false,
        };
        const out = tf.engine().runKernel('RnnkitGRUSequence', inputs, attrs) as tf.Tensor[];
        return out[1].dataSync() as Float32Array;
      });
    };
    expectClose(run(), naiveOutputs(p1)[1], 'before assign');
    const second = tf.tensor2d(Float32Array.from(p2.recurrentKernel), [4, 12]);
    v.assign(second);
    second.dispose();
    const mixed = { ...p1, recurrentKernel: p2.recurrentKernel };
    expectClose(run(), naiveOutputs(mixed)[1], 'after assign');
    v.dispose();
  });
});

describe.each(['shared', 'copy'] as const)('memory (%s mode)', (mode) => {
  useMemoryMode(mode);

  it('tensors and heap use stay flat over 1,000 forwards', () => {
    const p = makeProblem({
      family: 'lstm',
      batch: 4,
      steps: 8,
      inputDim: 8,
      units: 16,
      mask: 'random',
    });
    const after = expectFlatMemory(p, 1000);
    // The kernel, the recurrent kernel and the bias, each packed once.
    expect(after.packedWeights).toBe(3);
    expect(after.mode).toBe(mode);
  });
});
