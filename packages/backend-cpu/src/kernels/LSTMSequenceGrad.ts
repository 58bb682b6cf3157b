/**
 * Backward LSTM for the cpu backend (`RnnkitLSTMSequenceGrad`, Keras gate order `i, f, c, o`):
 * recomputes the forward pass once, keeping every step's gate pre-activations and activations,
 * `c` before and after and `act(c)`, then backpropagates through time with one
 * `[B, 4U]·[4U, U]` product per step; the weight and input gradients are hoisted out of the loop
 * as GEMMs over all steps.
 *
 *   dc_t = dc + dh ⊙ o ⊙ act'(c_t);  d_o = dh ⊙ act(c_t);  d_i = dc_t ⊙ g;  d_f = dc_t ⊙ c_{t−1};
 *   d_g = dc_t ⊙ i;  dc_{t−1} = dc_t ⊙ f;  dh_{t−1} = rm ⊙ (dz·Uᵀ)
 */
import type {
  KernelConfig,
  KernelFunc,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  FAMILIES,
  gateCount,
  LSTMSequence,
  sequenceGradKernelName,
  type CheckedSequenceAttrs,
  type KernelActivation,
} from '@rnnkit/core';
import {
  activateInPlace,
  clampTanhInput,
  tanhDenominator,
  tanhNumerator,
} from './shared/activations.js';
import {
  columnSums,
  inputGradient,
  packTransposedBlock,
  readGradInputs,
  recurrentBackProduct,
  runBackwardLoop,
  weightGradients,
} from './shared/backward.js';
import { scaleByDerivative } from './shared/derivatives.js';
import { PANEL } from './shared/gemm.js';
import {
  activationAttr,
  readSequenceInputs,
  sequenceAttrs,
  type SequenceProblem,
} from './shared/inputs.js';
import { recycle, recycledArray, recycledZeros } from './shared/recycled.js';
import { recordedOutputs, saveForward, takeForward } from './shared/saved.js';
import { projectInputs, runTimeLoop } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

const KERNEL = LSTMSequence;
/** G of the LSTM, from the family table. */
const GATES = gateCount(FAMILIES.LSTM);

/** Every step's activations (row `b·T + t`), as the backward pass needs them. */
interface LSTMActivations {
  /** `h_{t−1}` as it entered the recurrent product `[B·T, U]`. */
  hIn: Float32Array;
  /** Gate pre-activations and activations `[B·T, 4U]`. */
  pre: Float32Array;
  gates: Float32Array;
  /** `c` before the step, and `act(c)` after it, `[B·T, U]`. */
  cPrev: Float32Array;
  actC: Float32Array;
  /**
   * `c` after the step, which the derivative of an activation other than tanh reads; with tanh,
   * whose derivative comes from `actC`, the same array as `actC`.
   */
  cNext: Float32Array;
}

/**
 * The forward pass keeping every step's activations: updates `p.h`, `p.c` to the final states
 * and returns the output values with the activations.
 */
function forwardKeeping(
  cpu: MathBackendCPU,
  inputs: NamedTensorInfoMap,
  a: CheckedSequenceAttrs,
  recAct: KernelActivation,
  p: SequenceProblem,
): { output: Float32Array; kept: LSTMActivations } {
  const act = a.activation;
  const u = a.units;
  const gu = GATES * u;
  const { batch, steps, h } = p;
  const c = p.c as Float32Array;
  const rm = p.recurrentMask;
  const rows = batch * steps;
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, [gu]);
  const ld = PANEL * recurrent.panels;
  const xw = projectInputs(p, kernel, padColumns(p.bias, 0, kernel, [gu]));
  const z = new Float32Array(batch * ld);
  // Rows of steps a mask skips stay zero in hIn: the hoisted product over all rows reads them.
  const hIn = recycledZeros(rows * u);
  const gates = recycledArray(rows * gu);
  // tanh and sigmoid take their derivatives from their outputs: no pre-activations to keep,
  // and act'(c) comes from act(c).
  const kerasDefaults = act === 'tanh' && recAct === 'sigmoid';
  const pre = kerasDefaults ? gates : recycledArray(rows * gu);
  const cPrev = recycledArray(rows * u);
  const actC = recycledArray(rows * u);
  const cNext = kerasDefaults ? actC : recycledArray(rows * u);
  const output = runTimeLoop(p, a, (t, active) => {
    packLeft(recurrent, h, 0, u, batch, rm);
    multiply(batch, recurrent, 0, recurrent.panels, xw, t * ld, steps * ld, z, 0, ld);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const r = b * steps + t;
      const g0 = r * gu;
      const r0 = r * u;
      for (let j = 0; j < u; j++) hIn[r0 + j] = rm == null ? h[s + j] : h[s + j] * rm[s + j];
      if (kerasDefaults) {
        lstmDefaultStep(z, b * ld, gates, g0, c, s, cPrev, actC, r0, h, u);
        continue;
      }
      pre.set(z.subarray(b * ld, b * ld + gu), g0);
      gates.set(z.subarray(b * ld, b * ld + gu), g0);
      activateInPlace(recAct, gates, g0, 2 * u);
      activateInPlace(act, gates, g0 + 2 * u, u);
      activateInPlace(recAct, gates, g0 + 3 * u, u);
      cPrev.set(c.subarray(s, s + u), r0);
      for (let j = 0; j < u; j++) {
        c[s + j] = gates[g0 + u + j] * c[s + j] + gates[g0 + j] * gates[g0 + 2 * u + j];
      }
      cNext.set(c.subarray(s, s + u), r0);
      actC.set(c.subarray(s, s + u), r0);
      activateInPlace(act, actC, r0, u);
      for (let j = 0; j < u; j++) h[s + j] = gates[g0 + 3 * u + j] * actC[r0 + j];
    }
  });

  return { output, kept: { hIn, pre, gates, cPrev, cNext, actC } };
}

/**
 * One row's step for the Keras default activations (tanh, sigmoid) in one pass over the units:
 * the gates from `z [zb ..]` into `gates [g0 ..]`, `c` updated in place with its old value and
 * `act(c)` kept, `h` written.
 *
 * Each activation is the rational `p/q` of `tanhOfSquared` (σ(x) = (q + p) / 2q at x/2); the
 * four gates share one division: with `r = 1 / (q_i·q_f·q_g·q_o)`, `1/q_i = r·q_f·q_g·q_o` and
 * so on. The denominators lie in [4.8e-3, 1] on the clamped inputs, so their product neither
 * underflows nor loses accuracy.
 */
function lstmDefaultStep(
  z: Float32Array,
  zb: number,
  gates: Float32Array,
  g0: number,
  c: Float32Array,
  s: number,
  cPrev: Float32Array,
  actC: Float32Array,
  r0: number,
  h: Float32Array,
  u: number,
): void {
  for (let j = 0; j < u; j++) {
    const xi = clampTanhInput(0.5 * z[zb + j]);
    const xf = clampTanhInput(0.5 * z[zb + u + j]);
    const xg = clampTanhInput(z[zb + 2 * u + j]);
    const xo = clampTanhInput(0.5 * z[zb + 3 * u + j]);
    const xi2 = xi * xi;
    const xf2 = xf * xf;
    const xg2 = xg * xg;
    const xo2 = xo * xo;
    const qi = tanhDenominator(xi2);
    const qf = tanhDenominator(xf2);
    const qg = tanhDenominator(xg2);
    const qo = tanhDenominator(xo2);
    const qif = qi * qf;
    const qgo = qg * qo;
    const r = 1 / (qif * qgo);
    const rif = r * qgo; // 1 / (q_i·q_f)
    const rgo = r * qif; // 1 / (q_g·q_o)
    const i = 0.5 * (qi + tanhNumerator(xi, xi2)) * (rif * qf);
    const f = 0.5 * (qf + tanhNumerator(xf, xf2)) * (rif * qi);
    const g = tanhNumerator(xg, xg2) * (rgo * qo);
    const o = 0.5 * (qo + tanhNumerator(xo, xo2)) * (rgo * qg);
    gates[g0 + j] = i;
    gates[g0 + u + j] = f;
    gates[g0 + 2 * u + j] = g;
    gates[g0 + 3 * u + j] = o;
    const cp = c[s + j];
    cPrev[r0 + j] = cp;
    // c is a float32 state, and act(c) as kept: h uses the rounded values the backward reads.
    const cn = Math.fround(Math.fround(f) * cp + Math.fround(i) * Math.fround(g));
    c[s + j] = cn;
    const xc = clampTanhInput(cn);
    const xc2 = xc * xc;
    const a = Math.fround(tanhNumerator(xc, xc2) / tanhDenominator(xc2));
    actC[r0 + j] = a;
    h[s + j] = Math.fround(o) * a;
  }
}

/**
 * The LSTM forward kernel while a gradient tape records: the outputs of `lstmSequence`, with
 * the activations left for the backward kernel (`./shared/saved.ts`).
 */
export const lstmSequenceRecording: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const recAct = activationAttr(KERNEL, attrs, 'recurrentActivation');
  const p = readSequenceInputs(KERNEL, inputs, cpu, a);
  const { output, kept } = forwardKeeping(cpu, inputs, a, recAct, p);
  saveForward(cpu, KERNEL, inputs, attrs, kept);
  return recordedOutputs(cpu, p, a.units, a.returnSequences, output);
};

/** Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]`. */
export const lstmSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const recAct = activationAttr(KERNEL, attrs, 'recurrentActivation');
  const act = a.activation;
  const u = a.units;
  const gu = GATES * u;
  const { p, dOutput, dh, dc: dcIn } = readGradInputs(KERNEL, inputs, cpu, a);
  const dc = dcIn as Float32Array;
  const { batch, steps } = p;
  const rm = p.recurrentMask;
  const rows = batch * steps;

  const { hIn, pre, gates, cPrev, cNext, actC } =
    takeForward<LSTMActivations>(KERNEL, inputs, attrs) ??
    forwardKeeping(cpu, inputs, a, recAct, p).kept;

  // Rows of steps a mask skips stay zero: the hoisted products read every row.
  const dz = recycledZeros(rows * gu);
  const ut = packTransposedBlock(p.recurrentKernel, u, gu, 0, gu);
  const ldt = PANEL * ut.panels;
  const back = new Float32Array(batch * ldt);
  const zeros = new Float32Array(ldt);
  const dAct = new Float32Array(u); // dh ⊙ o, then times act'(c_t)
  runBackwardLoop(p, a, dOutput, dh, (t, active) => {
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const r = b * steps + t;
      const g0 = r * gu;
      const r0 = r * u;
      const i0 = g0;
      const f0 = g0 + u;
      const c0 = g0 + 2 * u;
      const o0 = g0 + 3 * u;
      for (let j = 0; j < u; j++) {
        dz[o0 + j] = dh[s + j] * actC[r0 + j];
        dAct[j] = dh[s + j] * gates[o0 + j];
      }
      scaleByDerivative(act, cNext, actC, r0, dAct, 0, u);
      for (let j = 0; j < u; j++) {
        const dct = dc[s + j] + dAct[j];
        dz[i0 + j] = dct * gates[c0 + j];
        dz[f0 + j] = dct * cPrev[r0 + j];
        dz[c0 + j] = dct * gates[i0 + j];
        dc[s + j] = dct * gates[f0 + j];
      }
      scaleByDerivative(recAct, pre, gates, i0, dz, i0, 2 * u);
      scaleByDerivative(act, pre, gates, c0, dz, c0, u);
      scaleByDerivative(recAct, pre, gates, o0, dz, o0, u);
    }
    recurrentBackProduct(ut, dz, 0, gu, p, t, zeros, back);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const k = b * ldt;
      for (let j = 0; j < u; j++) dh[s + j] = rm == null ? back[k + j] : back[k + j] * rm[s + j];
    }
  });

  const dx = inputGradient(p, dz, gu);
  const { dKernel, dRecurrent } = weightGradients(p, hIn, dz, gu);
  const dBias = columnSums(dz, rows, gu, 0, gu);
  recycle(hIn, pre, gates, cPrev, cNext, actC, dz);
  const result: TensorInfo[] = [
    cpu.makeTensorInfo([batch, steps, p.inputDim], 'float32', dx),
    cpu.makeTensorInfo([p.inputDim, gu], 'float32', dKernel),
    cpu.makeTensorInfo([u, gu], 'float32', dRecurrent),
    cpu.makeTensorInfo([gu], 'float32', dBias),
    cpu.makeTensorInfo([batch, u], 'float32', dh),
    cpu.makeTensorInfo([batch, u], 'float32', dc),
  ];
  return result;
};

/** The cpu registration of the LSTM backward kernel. */
export const lstmSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(KERNEL),
  backendName: 'cpu',
  kernelFunc: lstmSequenceGrad,
};
