/**
 * The fused ConvLSTM backward kernel (`ConvLSTMSequenceGrad`) called directly on every
 * kernel-level ConvLSTM fixture (ranks 1–3, strides, dilation, both paddings, every flag, mask
 * dtype and activation, recurrent masks, initial states), which reach more than the layer-level
 * gradient cases. Expected values: float64 central differences of the Keras equations
 * (@rnnkit/conformance/naive) for the loss `Σ sum(returnedᵢ ⊙ cotangentᵢ)`, at evenly spread
 * entries of every differentiated input. Also its dispatch count, trivial shapes and errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { naiveConvLSTM, type NaiveConvLSTMProblem } from '@rnnkit/conformance/naive';
import { beforeAll, expect, it } from 'vitest';
import { getDispatchCount, init, resetDispatchCount } from '../src/node.js';
import { describeGpu, rng } from './gpu.js';
import { CONV_CASES, convAttrs, convInputs, type ConvKernelCase } from './conv_cases.js';

const GRAD = sequenceGradKernelName(ConvLSTMSequence);
const STEP = 1e-5;
const ATOL = 1e-5;
const RTOL = 1e-4;
/** Entries checked per differentiated input (evenly spread, first and last included). */
const ENTRIES = 12;

type Param = 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'initialH' | 'initialC';
const PARAMS: Param[] = ['x', 'kernel', 'recurrentKernel', 'bias', 'initialH', 'initialC'];

type Nested = number | Nested[];

function shapeOf(v: Nested): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/** The fixture as the flat float64 problem of the Keras equations. */
function problemOf(cs: ConvKernelCase): NaiveConvLSTMProblem {
  const input = (name: string) => cs.inputs[name] as Nested;
  const rank = cs.spatial.length;
  const optional = (name: string) => (cs.inputs[name] == null ? undefined : flat(input(name)));
  return {
    batch: cs.batch,
    steps: cs.steps,
    spatial: cs.spatial,
    channels: shapeOf(input('x'))[2 + rank],
    filters: cs.filters,
    kernelSize: shapeOf(input('kernel')).slice(0, rank),
    strides: cs.strides,
    dilationRate: cs.dilationRate,
    padding: cs.padding,
    x: flat(input('x')),
    kernel: flat(input('kernel')),
    recurrentKernel: flat(input('recurrentKernel')),
    bias: flat(input('bias')),
    initialH: flat(input('initialH')),
    initialC: flat(input('initialC')),
    mask: cs.mask?.flat(),
    recurrentMask: optional('recurrentMask'),
    activation: cs.activation,
    recurrentActivation: cs.recurrentActivation,
    goBackwards: cs.goBackwards,
    returnSequences: cs.returnSequences,
    alignToInput: cs.alignToInput,
    zeroOutputForMask: cs.zeroOutputForMask,
  };
}

function loss(p: NaiveConvLSTMProblem, dys: Float32Array[]): number {
  const r = naiveConvLSTM(p);
  let sum = 0;
  [r.output, r.h, r.c].forEach((o, i) => {
    for (let k = 0; k < o.length; k++) sum += o[k] * dys[i][k];
  });
  return sum;
}

/** Evenly spread entries of `n` (all when `n ≤ ENTRIES`). */
function spread(n: number): number[] {
  if (n <= ENTRIES) return [...Array(n).keys()];
  return Array.from({ length: ENTRIES }, (_, k) => Math.round((k * (n - 1)) / (ENTRIES - 1)));
}

/** Central difference of {@link loss} w.r.t. entry `i` of `param`, in float64. */
function centralDifference(
  p: NaiveConvLSTMProblem,
  dys: Float32Array[],
  param: Param,
  i: number,
): number {
  const values = Float64Array.from(p[param] as ArrayLike<number>);
  const base = values[i];
  values[i] = base + STEP;
  const plus = loss({ ...p, [param]: values }, dys);
  values[i] = base - STEP;
  return (plus - loss({ ...p, [param]: values }, dys)) / (2 * STEP);
}

/** The forward's outputs' shapes: `[output, h, c]`. */
function returnedShapes(cs: ConvKernelCase, p: NaiveConvLSTMProblem): number[][] {
  const { outSpatial } = naiveConvLSTM(p);
  const state = [cs.batch, ...outSpatial, cs.filters];
  return [
    cs.returnSequences ? [cs.batch, cs.steps, ...outSpatial, cs.filters] : state,
    state,
    state,
  ];
}

/** Runs the backward kernel: `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]`. */
function runGrad(
  cs: ConvKernelCase,
  dys: Float32Array[],
  shapes: number[][],
): { outs: tf.Tensor[]; dispose: () => void } {
  const inputs = convInputs(cs);
  const grads = {
    dOutput: tf.tensor(dys[0], shapes[0]),
    dH: tf.tensor(dys[1], shapes[1]),
    dC: tf.tensor(dys[2], shapes[2]),
  };
  const outs = tf.engine().runKernel(GRAD, { ...inputs, ...grads }, convAttrs(cs)) as tf.Tensor[];
  return {
    outs,
    dispose: () => tf.dispose([...outs, ...Object.values(inputs), ...Object.values(grads)]),
  };
}

describeGpu('fused webgpu ConvLSTM backward kernel', () => {
  beforeAll(async () => {
    await init();
  });

  it('matches float64 central differences on every ConvLSTM kernel fixture', async () => {
    expect(CONV_CASES.length).toBeGreaterThan(20);
    for (const [n, cs] of CONV_CASES.entries()) {
      const p = problemOf(cs);
      const shapes = returnedShapes(cs, p);
      const r = rng(100 + n);
      const dys = shapes.map((s) =>
        Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => r()),
      );
      const { outs, dispose } = runGrad(cs, dys, shapes);
      const got = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
      dispose();
      PARAMS.forEach((param, k) => {
        const size = (p[param] as ArrayLike<number>).length;
        expect(got[k].length, `${cs.name}: ${param}`).toBe(size);
        let worst = 0;
        for (const i of spread(size)) {
          const want = centralDifference(p, dys, param, i);
          worst = Math.max(worst, Math.abs(got[k][i] - want) / (ATOL + RTOL * Math.abs(want)));
        }
        expect(worst, `${cs.name}: ${param}`).toBeLessThanOrEqual(1);
      });
    }
  });

  it('one backward call records 3·T + 5 dispatches', async () => {
    const cs = CONV_CASES[2];
    const p = problemOf(cs);
    const shapes = returnedShapes(cs, p);
    const dys = shapes.map((s) => new Float32Array(s.reduce((a, d) => a * d, 1)).fill(0.5));
    resetDispatchCount();
    const { outs, dispose } = runGrad(cs, dys, shapes);
    // The input convolution, T forward steps, 2·T reverse steps, then dW, dU, dx and db.
    expect(getDispatchCount()).toBe(3 * cs.steps + 5);
    await outs[0].data();
    dispose();
  });

  it('0 steps pass the state gradients through; 0 rows give empty gradients', async () => {
    const cs = CONV_CASES[3]; // 1d, [2, 3, 6, C], 3 filters, same
    const attrs = convAttrs(cs);
    for (const [batch, steps] of [
      [2, 0],
      [0, 0],
      [0, 2],
    ]) {
      const C = shapeOf(cs.inputs.x as Nested)[3];
      const state = [batch, 6, 3];
      const r = rng(7);
      const dH = tf.tensor(
        Float32Array.from({ length: batch * 18 }, () => r()),
        state,
      );
      const dC = tf.tensor(
        Float32Array.from({ length: batch * 18 }, () => r()),
        state,
      );
      const inputs = {
        x: tf.zeros([batch, steps, 6, C]),
        kernel: tf.tensor(cs.inputs.kernel as never),
        recurrentKernel: tf.tensor(cs.inputs.recurrentKernel as never),
        bias: tf.tensor(cs.inputs.bias as never),
        initialH: tf.zeros(state),
        initialC: tf.zeros(state),
        dOutput: tf.zeros(state),
        dH,
        dC,
      };
      const outs = tf.engine().runKernel(GRAD, inputs, attrs) as tf.Tensor[];
      expect(outs.map((o) => o.shape)).toEqual([
        [batch, steps, 6, C],
        inputs.kernel.shape,
        inputs.recurrentKernel.shape,
        [12],
        state,
        state,
      ]);
      for (const o of outs.slice(0, 4)) expect(await o.data()).toEqual(new Float32Array(o.size));
      expect(await outs[4].data()).toEqual(await dH.data());
      expect(await outs[5].data()).toEqual(await dC.data());
      tf.dispose([...outs, ...Object.values(inputs)]);
    }
  });

  it('rejects output gradients of the wrong shape or dtype, naming the argument', () => {
    const cs = CONV_CASES[3];
    const inputs = convInputs(cs);
    const state = [2, 6, 3];
    const good = { dOutput: tf.zeros(state), dH: tf.zeros(state), dC: tf.zeros(state) };
    const run = (grads: Record<string, tf.Tensor>) => () =>
      tf.engine().runKernel(GRAD, { ...inputs, ...good, ...grads }, convAttrs(cs));
    const wrongShape = tf.zeros([2, 3, 6, 3]);
    const wrongDtype = tf.zeros(state, 'int32');
    expect(run({ dOutput: wrongShape })).toThrow(
      `${GRAD}: dOutput: expected shape [2, 6, 3], got shape [2, 3, 6, 3]`,
    );
    expect(run({ dC: wrongDtype })).toThrow(`${GRAD}: dC: expected dtype float32, got int32`);
    const { dH: _dropped, ...withoutDH } = good;
    expect(() => tf.engine().runKernel(GRAD, { ...inputs, ...withoutDH }, convAttrs(cs))).toThrow(
      `${GRAD}: dH: expected a tensor of shape [2, 6, 3], got none`,
    );
    // The forward's inputs are checked as the forward kernel checks them.
    const wrongState = tf.zeros([2, 5, 3]);
    expect(run({ initialC: wrongState })).toThrow(
      `${ConvLSTMSequence}: initialC: expected shape [2, 6, 3], got shape [2, 5, 3]`,
    );
    tf.dispose([
      ...Object.values(inputs),
      ...Object.values(good),
      wrongShape,
      wrongDtype,
      wrongState,
    ]);
  });
});
