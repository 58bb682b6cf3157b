/**
 * The backward kernels (`<kernel>Grad`) called directly, over every family and flag, masks, a
 * recurrent dropout mask and initial states, which the layer-level gradient cases do not all
 * reach, and with more units than a workgroup has invocations. Expected values: float64 central
 * differences of the Keras equations (@rnnkit/conformance/naive) for the loss
 * `Σ sum(returnedᵢ ⊙ cotangentᵢ)`. Also the dispatches one backward call records.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sequenceGradKernelName, type SequenceKernelName } from '@rnnkit/core';
import { naiveSequence, type NaiveProblem } from '@rnnkit/conformance/naive';
import { beforeAll, expect, it } from 'vitest';
import { getDispatchCount, init, resetDispatchCount } from '../src/node.js';
import {
  KERNEL_NAME,
  caseAttrs,
  caseInputs,
  describeGpu,
  makeCase,
  rng,
  type CaseSpec,
  type NaiveCase,
} from './gpu.js';

const STEP = 1e-5;
const ATOL = 1e-5;
const RTOL = 1e-4;

type Param = 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'initialH' | 'initialC';
const PARAMS: Param[] = ['x', 'kernel', 'recurrentKernel', 'bias', 'initialH', 'initialC'];

const VARIANTS: { family: CaseSpec['family']; resetAfter?: boolean; label: string }[] = [
  { family: 'simple', label: 'SimpleRNN' },
  { family: 'lstm', label: 'LSTM' },
  { family: 'gru', resetAfter: true, label: 'GRU resetAfter' },
  { family: 'gru', resetAfter: false, label: 'GRU resetBefore' },
];

/** The case as the flat float64 problem of the Keras equations. */
function problemOf(cs: NaiveCase): NaiveProblem {
  const batch = cs.x.length;
  return {
    ...cs,
    batch,
    steps: cs.x[0].length,
    inputDim: cs.kernel.length,
    x: cs.x.flat(2),
    kernel: cs.kernel.flat(),
    recurrentKernel: cs.recurrentKernel.flat(),
    bias: cs.bias.flat(),
    initialH: cs.initialH.flat(),
    initialC: cs.initialC?.flat(),
    mask: cs.mask?.flat(),
    recurrentMask: cs.recurrentMask?.flat(),
  } as NaiveProblem;
}

function returned(p: NaiveProblem): ArrayLike<number>[] {
  const out = naiveSequence(p);
  return [out.output, out.h, ...(out.c ? [out.c] : [])];
}

function loss(p: NaiveProblem, dys: Float32Array[]): number {
  let sum = 0;
  returned(p).forEach((o, i) => {
    for (let k = 0; k < o.length; k++) sum += o[k] * dys[i][k];
  });
  return sum;
}

/**
 * Central differences of {@link loss} w.r.t. `param`, in float64, at the `entries` listed (every
 * entry by default; the others are left NaN).
 */
function expectedGradient(
  p: NaiveProblem,
  dys: Float32Array[],
  param: Param,
  entries?: number[],
): Float64Array {
  const base = Float64Array.from(p[param] as ArrayLike<number>);
  const g = new Float64Array(base.length).fill(NaN);
  for (const i of entries ?? base.keys()) {
    const values = Float64Array.from(base);
    values[i] = base[i] + STEP;
    const plus = loss({ ...p, [param]: values }, dys);
    values[i] = base[i] - STEP;
    g[i] = (plus - loss({ ...p, [param]: values }, dys)) / (2 * STEP);
  }
  return g;
}

/** Seeded float32 cotangents for `[output, h(, c)]`. */
function cotangents(p: NaiveProblem, seed: number): Float32Array[] {
  const r = rng(seed);
  return returned(p).map((o) => Float32Array.from({ length: o.length }, () => r()));
}

/** The backward kernel's results for the case and cotangents, by parameter. */
async function runBackward(
  cs: NaiveCase,
  dys: Float32Array[],
): Promise<Partial<Record<Param, Float32Array>>> {
  const inputs = caseInputs(cs);
  const B = cs.x.length;
  const T = B > 0 ? cs.x[0].length : 0;
  const U = cs.units;
  const grads: Record<string, tf.Tensor> = {
    dOutput: tf.tensor(dys[0], cs.returnSequences ? [B, T, U] : [B, U]),
    dH: tf.tensor(dys[1], [B, U]),
  };
  if (cs.family === 'lstm') grads.dC = tf.tensor(dys[2], [B, U]);
  const name = sequenceGradKernelName(KERNEL_NAME[cs.family] as SequenceKernelName);
  const outs = tf
    .engine()
    .runKernel(
      name,
      { ...inputs, ...grads } as tf.NamedTensorMap,
      caseAttrs(cs) as tf.NamedAttrMap,
    ) as tf.Tensor[];
  const values = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
  tf.dispose([...outs, ...Object.values(inputs), ...Object.values(grads)]);
  const byParam: Partial<Record<Param, Float32Array>> = {};
  values.forEach((v, i) => (byParam[PARAMS[i]] = v));
  return byParam;
}

/**
 * Largest `|got − want| / (ATOL + RTOL·|want|)` over the listed parameters (≤ 1 passes), at the
 * entries `entriesOf` names (all by default).
 */
async function worstFraction(
  cs: NaiveCase,
  params: Param[],
  seed: number,
  entriesOf: (param: Param) => number[] | undefined = () => undefined,
): Promise<number> {
  const p = problemOf(cs);
  const dys = cotangents(p, seed);
  const got = await runBackward(cs, dys);
  let worst = 0;
  for (const param of params) {
    const want = expectedGradient(p, dys, param, entriesOf(param));
    const values = got[param] as Float32Array;
    expect(values.length, param).toBe(want.length);
    want.forEach((w, i) => {
      if (Number.isNaN(w)) return;
      const fraction = Math.abs(values[i] - w) / (ATOL + RTOL * Math.abs(w));
      if (!(fraction <= worst)) worst = fraction;
    });
  }
  return worst;
}

function paramsOf(cs: NaiveCase): Param[] {
  return cs.family === 'lstm' ? PARAMS : PARAMS.slice(0, 5);
}

describeGpu('fused webgpu backward kernels vs float64 central differences', () => {
  beforeAll(async () => {
    await init();
  });

  for (const v of VARIANTS) {
    it(`${v.label}: every flag, masks, recurrent mask, initial states`, async () => {
      let seed = 1;
      for (const goBackwards of [false, true]) {
        for (const returnSequences of [false, true]) {
          for (const zeroOutputForMask of [false, true]) {
            for (const alignToInput of goBackwards && returnSequences ? [false, true] : [false]) {
              const flags = { goBackwards, returnSequences, zeroOutputForMask, alignToInput };
              const cs = makeCase({
                ...v,
                ...flags,
                batch: 3,
                steps: 4,
                inputDim: 2,
                units: 5,
                mask: 'random',
                recurrentMask: seed % 2 === 1,
                initialStates: true,
                seed,
              });
              const fraction = await worstFraction(cs, paramsOf(cs), seed++);
              expect(fraction, `${v.label} ${JSON.stringify(flags)}`).toBeLessThanOrEqual(1);
            }
          }
        }
      }
    });
  }

  it('another activation pair (softsign, hard_sigmoid_keras2), no mask', async () => {
    for (const v of VARIANTS) {
      const cs = makeCase({
        ...v,
        batch: 2,
        steps: 5,
        inputDim: 3,
        units: 4,
        activation: 'softsign',
        recurrentActivation: 'hard_sigmoid_keras2',
        seed: 99,
      });
      expect(await worstFraction(cs, paramsOf(cs), 99), v.label).toBeLessThanOrEqual(1);
    }
  });

  it('257 units: invocations of a 256-wide workgroup own two units', async () => {
    // Central differences of 257-unit layers are slow: x whole, and initial state entries owned
    // by the first, a middle and the last invocation (unit 256 is invocation 0's second).
    const units = [0, 1, 128, 255, 256];
    const entries = [...units, ...units.map((k) => 257 + k)];
    for (const v of VARIANTS) {
      const cs = makeCase({
        ...v,
        batch: 2,
        steps: 2,
        inputDim: 2,
        units: 257,
        mask: (b, t) => b === 1 || t === 1,
        initialStates: true,
        seed: 7,
      });
      const params: Param[] = [
        'x',
        'initialH',
        ...(v.family === 'lstm' ? ['initialC' as const] : []),
      ];
      const fraction = await worstFraction(cs, params, 7, (param) =>
        param === 'x' ? undefined : entries,
      );
      expect(fraction, v.label).toBeLessThanOrEqual(1);
    }
  });

  it('0 steps pass the state gradients through; 0 rows give empty and zero gradients', async () => {
    for (const v of VARIANTS) {
      for (const [batch, steps] of [
        [2, 0],
        [0, 0],
      ]) {
        const cs = makeCase({ ...v, batch: Math.max(batch, 1), steps, inputDim: 3, units: 4 });
        cs.x = cs.x.slice(0, batch);
        cs.initialH = cs.initialH.slice(0, batch);
        cs.initialC = cs.initialC?.slice(0, batch);
        const states = v.family === 'lstm' ? 2 : 1;
        const r = rng(3);
        const dStates = Array.from({ length: states }, () =>
          Float32Array.from({ length: batch * 4 }, () => r()),
        );
        const dOutput = new Float32Array(batch * steps * 4).fill(1);
        const got = await runBackward(cs, [dOutput, ...dStates]);
        const G = v.family === 'lstm' ? 4 : v.family === 'gru' ? 3 : 1;
        const biasSize = v.family === 'gru' && v.resetAfter ? 2 * G * 4 : G * 4;
        expect(got.x, v.label).toEqual(new Float32Array(batch * steps * 3));
        expect(got.kernel, v.label).toEqual(new Float32Array(3 * G * 4));
        expect(got.recurrentKernel, v.label).toEqual(new Float32Array(4 * G * 4));
        expect(got.bias, v.label).toEqual(new Float32Array(biasSize));
        expect(got.initialH, v.label).toEqual(dStates[0]);
        if (states > 1) expect(got.initialC, v.label).toEqual(dStates[1]);
      }
    }
  });

  it('one backward call records 2·T + 5 dispatches (2·T + 9 for GRU resetBefore)', async () => {
    // Per family, beyond the 2·T steps: the projection, the bias sums and the hoisted products.
    const hoisted = { SimpleRNN: 5, LSTM: 5, 'GRU resetAfter': 5, 'GRU resetBefore': 9 };
    for (const v of VARIANTS) {
      const counts: number[] = [];
      for (const steps of [3, 6]) {
        const cs = makeCase({ ...v, batch: 2, steps, inputDim: 3, units: 4, mask: 'random' });
        const p = problemOf(cs);
        const dys = cotangents(p, 1);
        resetDispatchCount();
        await runBackward(cs, dys);
        counts.push(getDispatchCount());
      }
      const expected = [3, 6].map((T) => 2 * T + hoisted[v.label as keyof typeof hoisted]);
      expect(counts, v.label).toEqual(expected);
    }
  });
});
