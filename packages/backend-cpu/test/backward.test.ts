/**
 * The backward kernels called directly (no tape, so no saved forward pass: they recompute it),
 * over every family and flag, masks and a recurrent dropout mask, which the layer-level gradient
 * cases do not reach. Expected values: float64 central differences of `naiveSequence`
 * (@rnnkit/conformance/naive, the Keras equations in plain float64) for the loss
 * `Σ sum(returnedᵢ ⊙ cotangentᵢ)`. Also: the activations a taped forward pass saves are freed
 * by its backward pass, or when its input is disposed.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import { LSTM, sequenceGradKernelName, type SequenceKernelName } from '@rnnkit/core';
import { naiveSequence, type NaiveProblem } from '@rnnkit/conformance/naive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_PRODUCT_WORK,
  init,
  savedActivationCount,
  setMinProductWork,
  setThreads,
} from '../src/index.js';
import { activeProductPool } from '../src/engine/active.js';
import {
  flagCombos,
  FLAGS,
  KERNEL_OF,
  kernelArgs,
  makeProblem,
  VARIANTS,
  type Problem,
} from './helpers.js';

const STEP = 1e-5;
const ATOL = 1e-5;
const RTOL = 1e-4;

type Param = 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'initialH' | 'initialC';

function params(p: Problem): Param[] {
  const names: Param[] = ['x', 'kernel', 'recurrentKernel', 'bias', 'initialH'];
  return p.family === 'lstm' ? [...names, 'initialC'] : names;
}

/** Cotangents for `[output, h(, c)]`, seeded, float32 values. */
function cotangents(p: Problem): Float64Array[] {
  const out = naiveSequence(p as NaiveProblem);
  let s = 7;
  const next = () => Math.fround(((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
  return [out.output, out.h, ...(out.c ? [out.c] : [])].map((o) => Float64Array.from(o, next));
}

function loss(p: Problem, dys: Float64Array[]): number {
  const out = naiveSequence(p as NaiveProblem);
  const returned = [out.output, out.h, ...(out.c ? [out.c] : [])];
  let sum = 0;
  returned.forEach((o, i) => o.forEach((v, k) => (sum += v * dys[i][k])));
  return sum;
}

/** Central differences of {@link loss} w.r.t. every parameter, in float64. */
function expectedGradients(p: Problem, dys: Float64Array[]): Float64Array[] {
  return params(p).map((name) => {
    const base = Float64Array.from(p[name] as Float32Array);
    const g = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const values = Float64Array.from(base);
      values[i] = base[i] + STEP;
      const plus = loss({ ...p, [name]: values }, dys);
      values[i] = base[i] - STEP;
      g[i] = (plus - loss({ ...p, [name]: values }, dys)) / (2 * STEP);
    }
    return g;
  });
}

function runBackward(p: Problem, dys: Float64Array[]): Float32Array[] {
  const { inputs, attrs } = kernelArgs(p);
  const outShape = p.returnSequences ? [p.batch, p.steps, p.units] : [p.batch, p.units];
  const state = [p.batch, p.units];
  const grads: Record<string, tf.Tensor> = {
    dOutput: tf.tensor(Float32Array.from(dys[0]), outShape),
    dH: tf.tensor(Float32Array.from(dys[1]), state),
  };
  if (p.family === 'lstm') grads.dC = tf.tensor(Float32Array.from(dys[2]), state);
  const name = sequenceGradKernelName(KERNEL_OF[p.family] as SequenceKernelName);
  const out = tf.engine().runKernel(name, { ...inputs, ...grads }, attrs) as tf.Tensor[];
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, ...Object.values(inputs), ...Object.values(grads)]);
  return values;
}

function worstFraction(got: Float32Array[], want: Float64Array[]): number {
  let worst = 0;
  want.forEach((w, k) => {
    expect(got[k].length).toBe(w.length);
    w.forEach(
      (v, i) => (worst = Math.max(worst, Math.abs(got[k][i] - v) / (ATOL + RTOL * Math.abs(v)))),
    );
  });
  return worst;
}

describe('backward kernels on cpu, recomputing the forward pass', () => {
  beforeAll(init);
  const combos = flagCombos(FLAGS).filter((f) => f.goBackwards || !f.alignToInput);
  for (const v of VARIANTS) {
    const label = `${v.family}${v.family === 'gru' ? (v.resetAfter ? ' resetAfter' : ' resetBefore') : ''}`;
    it(`${label}: every flag, masks, recurrent mask`, () => {
      let seed = 1;
      for (const flags of combos) {
        for (const mask of ['none', 'random', 'edges'] as const) {
          const p = makeProblem(
            {
              ...v,
              ...flags,
              batch: 3,
              steps: 4,
              inputDim: 2,
              units: 5,
              mask,
              recurrentMask: true,
            },
            seed++,
          );
          const dys = cotangents(p);
          const fraction = worstFraction(runBackward(p, dys), expectedGradients(p, dys));
          expect(fraction, `${label} ${JSON.stringify(flags)} mask ${mask}`).toBeLessThanOrEqual(1);
        }
      }
    });
  }
  it('another activation pair (softsign, hard_sigmoid_keras2)', () => {
    for (const v of VARIANTS) {
      const p = makeProblem(
        {
          ...v,
          batch: 2,
          steps: 5,
          inputDim: 3,
          units: 4,
          mask: 'random',
          activation: 'softsign',
          recurrentActivation: 'hard_sigmoid_keras2',
          returnSequences: true,
        },
        99,
      );
      const dys = cotangents(p);
      expect(worstFraction(runBackward(p, dys), expectedGradients(p, dys))).toBeLessThanOrEqual(1);
    }
  });
});

describe('activations saved by a taped forward pass', () => {
  beforeAll(init);
  it('are taken by the backward pass', () => {
    const layer = new LSTM({ units: 4, returnSequences: true });
    const x = tf.randomUniform([2, 3, 2]);
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
  it('of a forward pass no gradient flows through are freed with its input', () => {
    const layer = new LSTM({ units: 4 });
    const x = tf.randomUniform([2, 3, 2]);
    const w = tf.scalar(2);
    const grads = tf.grads((s: tf.Tensor) => {
      tf.dispose(layer.apply(x) as tf.Tensor); // recorded, but the loss does not depend on it
      return tf.mul(s, s) as tf.Scalar;
    })([w]);
    expect(savedActivationCount()).toBe(1);
    x.dispose();
    expect(savedActivationCount()).toBe(0);
    tf.dispose([...grads, w]);
    layer.dispose();
  });
});

describe('backward kernels on two threads', () => {
  beforeAll(init);
  afterAll(async () => {
    setMinProductWork(DEFAULT_MIN_PRODUCT_WORK);
    await setThreads(1);
  });
  it('give the one-thread gradients to the bit, with the workers taking every block', async () => {
    for (const v of VARIANTS) {
      const p = makeProblem(
        { ...v, batch: 3, steps: 6, inputDim: 7, units: 11, mask: 'random', recurrentMask: true },
        5,
      );
      const dys = cotangents(p);
      await setThreads(1);
      const one = runBackward(p, dys);
      await setThreads(2);
      setMinProductWork(0);
      const pool = activeProductPool()!;
      const blocks = pool.workerBlocks;
      pool.leaveBlocksToWorkers(true);
      try {
        const two = runBackward(p, dys);
        two.forEach((g, i) =>
          expect(Array.from(g), `${v.family} gradient ${i}`).toEqual(Array.from(one[i])),
        );
      } finally {
        pool.leaveBlocksToWorkers(false);
      }
      expect(pool.workerBlocks).toBeGreaterThan(blocks);
    }
  });
});
