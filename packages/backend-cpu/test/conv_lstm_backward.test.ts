/**
 * The ConvLSTM backward kernel called directly (no tape, so it recomputes the forward pass) over
 * every geometry of 1, 2 and 3 spatial axes (strides, dilation, both paddings, uneven kernels),
 * the flags, masks, a recurrent dropout mask and other activations, which the layer-level gradient
 * cases do not all reach. Expected values: float64 central differences of `naiveConvLSTM`
 * (@rnnkit/conformance/naive, the Keras equations with the convolutions from their definition)
 * for the loss `Σ sum(returnedᵢ ⊙ cotangentᵢ)`. Also: a taped forward leaves its activations for
 * the backward call, and malformed output gradients are rejected.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';
import {
  ConvLSTM2D,
  ConvLSTMSequence,
  sequenceGradKernelName,
  type KernelActivation,
} from '@rnnkit/core';
import {
  CONV_LSTM_GEOMETRIES,
  convLSTMKernelCall,
  type ConvLSTMCallSpec,
  type ConvLSTMKernelCall,
} from '@rnnkit/conformance';
import { naiveConvLSTM, type NaiveConvLSTMProblem } from '@rnnkit/conformance/naive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_PRODUCT_WORK,
  init,
  savedActivationCount,
  setMinProductWork,
  setThreads,
} from '../src/index.js';
import { activeProductPool } from '../src/engine/active.js';

const GRAD = sequenceGradKernelName(ConvLSTMSequence);
const STEP = 1e-5;
const ATOL = 1e-5;
const RTOL = 1e-4;
const PARAMS = ['x', 'kernel', 'recurrentKernel', 'bias', 'initialH', 'initialC'] as const;

beforeAll(init);

function returned(p: NaiveConvLSTMProblem): Float64Array[] {
  const out = naiveConvLSTM(p);
  return [out.output, out.h, out.c];
}

/** Seeded float32 cotangents for `[output, h, c]`. */
function cotangents(p: NaiveConvLSTMProblem): Float64Array[] {
  let s = 7;
  const next = () => Math.fround(((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
  return returned(p).map((o) => Float64Array.from(o, next));
}

function loss(p: NaiveConvLSTMProblem, dys: Float64Array[]): number {
  let sum = 0;
  returned(p).forEach((o, i) => o.forEach((v, k) => (sum += v * dys[i][k])));
  return sum;
}

/** Central differences of {@link loss} w.r.t. every differentiable input, in float64. */
function expectedGradients(p: NaiveConvLSTMProblem, dys: Float64Array[]): Float64Array[] {
  return PARAMS.map((name) => {
    const base = Float64Array.from(p[name] as ArrayLike<number>);
    const values = Float64Array.from(base);
    const g = new Float64Array(base.length);
    const at = { ...p, [name]: values };
    for (let i = 0; i < base.length; i++) {
      values[i] = base[i] + STEP;
      const plus = loss(at, dys);
      values[i] = base[i] - STEP;
      g[i] = (plus - loss(at, dys)) / (2 * STEP);
      values[i] = base[i];
    }
    return g;
  });
}

/**
 * Runs the backward kernel on `call` with the cotangents `dys`; returns the gradients and
 * disposes the call's inputs.
 */
function runBackward(call: ConvLSTMKernelCall, dys: Float64Array[]): Float32Array[] {
  const { inputs, attrs, problem } = call;
  const state = inputs.initialH.shape;
  const outShape = attrs.returnSequences
    ? [problem.batch, problem.steps, ...state.slice(1)]
    : state;
  const grads = {
    dOutput: tf.tensor(Float32Array.from(dys[0]), outShape),
    dH: tf.tensor(Float32Array.from(dys[1]), state),
    dC: tf.tensor(Float32Array.from(dys[2]), state),
  };
  const named = { ...inputs, ...grads } as unknown as tf.NamedTensorMap;
  const out = tf
    .engine()
    .runKernel(GRAD, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, ...Object.values(inputs), ...Object.values(grads)] as tf.Tensor[]);
  return values;
}

/** Largest `|got − want| / (atol + rtol·|want|)` against central differences. */
function worstFraction(spec: ConvLSTMCallSpec, seed: number): number {
  const call = convLSTMKernelCall(spec, seed);
  const dys = cotangents(call.problem);
  const want = expectedGradients(call.problem, dys);
  const got = runBackward(call, dys);
  expect(got).toHaveLength(PARAMS.length);
  let worst = 0;
  want.forEach((w, k) => {
    expect(got[k].length).toBe(w.length);
    w.forEach(
      (v, i) => (worst = Math.max(worst, Math.abs(got[k][i] - v) / (ATOL + RTOL * Math.abs(v)))),
    );
  });
  return worst;
}

describe('ConvLSTM backward kernel on cpu, recomputing the forward pass', () => {
  CONV_LSTM_GEOMETRIES.forEach((geometry, i) => {
    const label = `${geometry.padding} kernel [${geometry.kernelSize.join(', ')}], strides [${geometry.strides.join(', ')}], dilation [${geometry.dilationRate.join(', ')}]`;
    it(`${label}: masks, flags and a recurrent mask`, { timeout: 30_000 }, () => {
      const spec: ConvLSTMCallSpec = {
        ...geometry,
        batch: 2,
        steps: 3,
        channels: 1,
        filters: 2,
        mask: i % 2 === 0,
        recurrentMask: i % 3 !== 2,
        goBackwards: i % 4 >= 2,
        returnSequences: i % 3 !== 1,
        alignToInput: i % 4 === 3,
        zeroOutputForMask: i % 5 < 2,
      };
      expect(worstFraction(spec, 300 + i)).toBeLessThanOrEqual(1);
    });
  });

  const pairs: [KernelActivation, KernelActivation][] = [
    ['softsign', 'hard_sigmoid_keras2'],
    ['relu', 'sigmoid'],
  ];
  for (const [activation, recurrentActivation] of pairs) {
    it(`other activations (${activation}, ${recurrentActivation})`, { timeout: 30_000 }, () => {
      const spec: ConvLSTMCallSpec = {
        ...CONV_LSTM_GEOMETRIES[4],
        batch: 2,
        steps: 3,
        channels: 2,
        filters: 3,
        activation,
        recurrentActivation,
        mask: true,
        recurrentMask: true,
        returnSequences: true,
      };
      expect(worstFraction(spec, 401)).toBeLessThanOrEqual(1);
    });
  }
});

describe('ConvLSTM backward kernel: taped activations and errors', () => {
  it('takes the activations a taped forward pass left', () => {
    const layer = new ConvLSTM2D({ filters: 2, kernelSize: 3, padding: 'same' });
    const x = tf.randomUniform([1, 3, 5, 5, 2], -1, 1, 'float32', 3);
    layer.apply(x);
    const before = tf.memory().numTensors;
    const grads = tf.grads((input: tf.Tensor) => {
      const y = layer.apply(input) as tf.Tensor;
      expect(savedActivationCount()).toBe(1);
      return tf.sum(y);
    })([x]);
    expect(savedActivationCount()).toBe(0);
    expect(grads[0].shape).toEqual(x.shape);
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    layer.dispose();
  });

  it('names the output gradient, what was expected and what was given', () => {
    const spec: ConvLSTMCallSpec = {
      ...CONV_LSTM_GEOMETRIES[3],
      batch: 2,
      steps: 3,
      channels: 2,
      filters: 3,
      returnSequences: true,
    };
    const { inputs, attrs } = convLSTMKernelCall(spec, 5);
    const state = [2, 5, 6, 3];
    const run = (grads: Record<string, tf.Tensor>) => () =>
      tf
        .engine()
        .runKernel(
          GRAD,
          { ...inputs, ...grads } as unknown as tf.NamedTensorMap,
          attrs as unknown as tf.NamedAttrMap,
        );
    const good = {
      dOutput: tf.zeros([2, 3, ...state.slice(1)]),
      dH: tf.zeros(state),
      dC: tf.zeros(state),
    };
    const last = tf.zeros(state);
    const small = tf.zeros([2, 5, 5, 3]);
    const ints = tf.zeros(state, 'int32');
    expect(run({ ...good, dOutput: last })).toThrow(
      `${GRAD}: dOutput: expected shape [2, 3, 5, 6, 3], got shape [2, 5, 6, 3]`,
    );
    expect(run({ ...good, dH: small })).toThrow(
      `${GRAD}: dH: expected shape [2, 5, 6, 3], got shape [2, 5, 5, 3]`,
    );
    expect(run({ ...good, dC: ints })).toThrow(`${GRAD}: dC: expected dtype float32, got int32`);
    const { dC: _dropped, ...withoutC } = good;
    expect(run(withoutC)).toThrow(`${GRAD}: dC: expected a tensor of shape [2, 5, 6, 3], got none`);
    expect(run({ ...good, initialH: small })).toThrow(
      'RnnkitConvLSTMSequence: initialH: expected shape [2, 5, 6, 3], got shape [2, 5, 5, 3]',
    );
    tf.dispose([
      ...Object.values(inputs),
      ...Object.values(good),
      last,
      small,
      ints,
    ] as tf.Tensor[]);
  });
});

describe('ConvLSTM backward kernel on two threads', () => {
  afterAll(async () => {
    setMinProductWork(DEFAULT_MIN_PRODUCT_WORK);
    await setThreads(1);
  });
  it('gives the one-thread gradients to the bit, with the workers taking every block', async () => {
    const spec: ConvLSTMCallSpec = {
      ...CONV_LSTM_GEOMETRIES[9],
      batch: 2,
      steps: 3,
      channels: 3,
      filters: 5,
      mask: true,
      recurrentMask: true,
      returnSequences: true,
    };
    const first = convLSTMKernelCall(spec, 9);
    const dys = cotangents(first.problem);
    await setThreads(1);
    const one = runBackward(first, dys);
    await setThreads(2);
    setMinProductWork(0);
    const pool = activeProductPool()!;
    const blocks = pool.workerBlocks;
    pool.leaveBlocksToWorkers(true);
    try {
      const two = runBackward(convLSTMKernelCall(spec, 9), dys);
      two.forEach((g, i) => expect(Array.from(g), `gradient ${i}`).toEqual(Array.from(one[i])));
    } finally {
      pool.leaveBlocksToWorkers(false);
    }
    expect(pool.workerBlocks).toBeGreaterThan(blocks);
  });
});
