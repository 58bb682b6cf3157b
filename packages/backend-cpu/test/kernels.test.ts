/**
 * The fused kernels against a plain float64 implementation of the Keras equations
 * (@rnnkit/conformance/naive), on random sizes and every combination of the sequence flags.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_ACTIVATIONS, mulberry32 } from '@rnnkit/core';
import { maxRelError, naiveSequence } from '@rnnkit/conformance/naive';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import {
  FLAGS,
  flagCombos,
  makeProblem,
  MASKS,
  runKernel,
  VARIANTS,
  type Problem,
  type ProblemOptions,
} from './helpers.js';

/** Absolute error, relative above magnitude 1 (unbounded activations grow over time). */
const TOL = 1e-5;

beforeAll(async () => {
  await init();
});

function check(p: Problem): void {
  const want = naiveSequence(p);
  const got = runKernel(p);
  const { batch: B, steps: T, units: U } = p;
  expect(got.shapes[0]).toEqual(p.returnSequences ? [B, T, U] : [B, U]);
  expect(got.shapes[1]).toEqual([B, U]);
  expect(maxRelError(got.values[0], want.output)).toBeLessThan(TOL);
  expect(maxRelError(got.values[1], want.h)).toBeLessThan(TOL);
  if (p.family === 'lstm') {
    expect(got.shapes[2]).toEqual([B, U]);
    expect(maxRelError(got.values[2], want.c!)).toBeLessThan(TOL);
  } else {
    expect(got.values).toHaveLength(2);
  }
}

describe.each(VARIANTS)(
  '$family (resetAfter: $resetAfter) against the float64 Keras equations',
  (v) => {
    it('matches on every flag, mask and recurrent-mask combination at random sizes', () => {
      const rand = mulberry32(17);
      const pick = (n: number) => 1 + Math.floor(rand() * n);
      let seed = 100;
      for (const flags of flagCombos(FLAGS)) {
        for (const mask of MASKS) {
          for (const recurrentMask of [false, true]) {
            // Batches of 1..9 exercise both the 4-row blocks and the single-row tail of the GEMM.
            const o: ProblemOptions = {
              ...v,
              ...flags,
              mask,
              recurrentMask,
              batch: pick(9),
              steps: pick(6),
              inputDim: pick(7),
              units: pick(11),
            };
            check(makeProblem(o, seed++));
          }
        }
      }
    });

    it('matches at sizes that fill the register blocks (batch 8, units 16, 20 steps)', () => {
      for (const goBackwards of [false, true]) {
        const o: ProblemOptions = {
          ...v,
          batch: 8,
          steps: 20,
          inputDim: 12,
          units: 16,
          goBackwards,
          returnSequences: true,
          mask: 'random',
        };
        check(makeProblem(o, goBackwards ? 2 : 1));
      }
    });

    it('keeps a NaN at a masked step from leaking into outputs or states', () => {
      for (const zeroOutputForMask of [false, true]) {
        const o: ProblemOptions = {
          ...v,
          batch: 5,
          steps: 6,
          inputDim: 3,
          units: 4,
          returnSequences: true,
          zeroOutputForMask,
          mask: 'random',
          nanAtMasked: true,
        };
        const p = makeProblem(o, 7);
        expect(p.x.some(Number.isNaN)).toBe(true);
        const got = runKernel(p);
        for (const values of got.values) expect(values.every(Number.isFinite)).toBe(true);
        check(p);
      }
    });

    it.each([...KERNEL_ACTIVATIONS])('supports activation %s', (activation) => {
      // Small weights: with unbounded activations (exponential) large ones make the recurrence
      // explode to ~1e12 within 4 steps, where float32 itself cannot stay within 1e-5.
      const o: ProblemOptions = {
        ...v,
        batch: 3,
        steps: 4,
        inputDim: 3,
        units: 5,
        activation,
        weightScale: 0.5,
      };
      check(makeProblem(o, 31));
      if (v.family !== 'simple') {
        check(makeProblem({ ...o, activation: 'tanh', recurrentActivation: activation }, 32));
      }
    });
  },
);

describe('input checks', () => {
  it('names the argument, the expected and the given shape', () => {
    const p = makeProblem({ family: 'lstm', batch: 2, steps: 3, inputDim: 4, units: 5 }, 1);
    const bad = { ...p, kernel: new Float32Array(4 * 19) };
    const run = () => {
      const x = tf.zeros([2, 3, 4]);
      const inputs = {
        x,
        kernel: tf.tensor2d(bad.kernel, [4, 19]),
        recurrentKernel: tf.zeros([5, 20]),
        bias: tf.zeros([20]),
        initialH: tf.zeros([2, 5]),
        initialC: tf.zeros([2, 5]),
      };
      try {
        tf.engine().runKernel('RnnkitLSTMSequence', inputs, {
          units: 5,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          goBackwards: false,
          returnSequences: false,
          alignToInput: false,
          zeroOutputForMask: false,
        });
      } finally {
        tf.dispose(Object.values(inputs));
      }
    };
    expect(run).toThrow('RnnkitLSTMSequence: kernel: expected shape [4, 20], got shape [4, 19]');
  });

  it('rejects a GRU call without resetAfter', () => {
    const p = makeProblem({ family: 'gru', batch: 1, steps: 2, inputDim: 2, units: 2 }, 2);
    expect(() =>
      runKernel({ ...p, family: 'gru', resetAfter: undefined as unknown as boolean }),
    ).toThrow('RnnkitGRUSequence: resetAfter: expected a boolean, got undefined');
  });
});

describe('LSTM gates out of the activations’ fast range', () => {
  it('matches when gate inputs and the cell state leave the range where clamps do nothing', () => {
    // Larger weights saturate the gates (inputs beyond ±9), and a constant input lets
    // saturated cells grow their state past 9, so steps take the clamped rerun (the other
    // tests cover steps in range). Much larger weights make the problem too ill-conditioned
    // for float32 to stay within 1e-5 of float64.
    const p = makeProblem(
      { family: 'lstm', batch: 2, steps: 40, inputDim: 3, units: 8, weightScale: 4 },
      5,
    );
    p.x.fill(1);
    const want = naiveSequence(p);
    expect(Math.max(...want.c!.map(Math.abs))).toBeGreaterThan(9);
    check(p);
    check({ ...p, returnSequences: true, goBackwards: true });
  });
});
