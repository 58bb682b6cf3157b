/**
 * Fused whole-sequence LSTM for the cpu backend (Keras gate order `i, f, c, o`).
 *
 * The input projection runs once over all `B·T` rows; each step then computes
 * `x_t·W + b + h·U` as one small GEMM straight from the projected rows, and applies the gate
 * activations and the state update in place. Both weight matrices are packed once per tensor
 * (`shared/weights.ts`); the gate columns keep their order, padded at the end to whole panels.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { FAMILIES, gateCount, LSTMSequence, type KernelActivation } from '@rnnkit/core';
import {
  activateInPlace,
  clampTanhInput,
  TANH_CLAMP_SQUARED,
  tanhDenominator,
  tanhNumerator,
} from './shared/activations.js';
import { PANEL } from './shared/gemm.js';
import { activationAttr, readSequenceInputs, sequenceAttrs } from './shared/inputs.js';
import { recordingGradients } from './shared/saved.js';
import { lstmSequenceRecording } from './LSTMSequenceGrad.js';
import { projectInputs, runTimeLoop, type CellContext, type CellStep } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

/** G of the LSTM, from the family table. */
const GATES = gateCount(FAMILIES.LSTM);

/** Runs the LSTM; returns `[output, h, c]`. */
export const lstmSequence: KernelFunc = (args) => {
  if (recordingGradients()) return lstmSequenceRecording(args);
  const { inputs, backend, attrs } = args;
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(LSTMSequence, attrs);
  const recurrentActivation = activationAttr(LSTMSequence, attrs, 'recurrentActivation');
  const act = a.activation;
  const u = a.units;
  const gu = GATES * u;
  const p = readSequenceInputs(LSTMSequence, inputs, cpu, a);
  const { batch, steps, h } = p;
  const c = p.c as Float32Array;
  const segments = [gu];
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, segments);
  const xw = projectInputs(p, kernel, padColumns(p.bias, 0, kernel, segments));
  const step = lstmCellStep({
    batch,
    steps,
    units: u,
    recurrent,
    xw,
    h,
    c,
    recurrentMask: p.recurrentMask,
    activation: act,
    recurrentActivation,
  });
  const output = runTimeLoop(p, a, step);

  const outShape = a.returnSequences ? [batch, steps, u] : [batch, u];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo([batch, u], 'float32', h),
    cpu.makeTensorInfo([batch, u], 'float32', c),
  ];
  return result;
};

/**
 * The LSTM cell step over the projected inputs `xw` (`[B·T, ld]` in the padded column layout of
 * `recurrent`, bias included), updating `h` and `c` in place: shared by the sequence kernel and
 * the step kernel (which projects one step into an `xw` of T = 1).
 */
export function lstmCellStep(s: CellContext): CellStep {
  const { batch, steps, units: u, recurrent, xw, h, c, recurrentMask } = s;
  const act = s.activation;
  const recurrentActivation = s.recurrentActivation as KernelActivation;
  const ld = PANEL * recurrent.panels; // the padded row length of xw and z
  const z = new Float32Array(batch * ld);
  const xwRowStride = steps * ld;
  const kerasDefaults = act === 'tanh' && recurrentActivation === 'sigmoid';
  const cNext = new Float32Array(kerasDefaults ? u : 0);
  const cc = c as Float32Array;
  return (t, active) => {
    packLeft(recurrent, h, 0, u, batch, recurrentMask);
    multiply(batch, recurrent, 0, recurrent.panels, xw, t * ld, xwRowStride, z, 0, ld);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zi = b * ld;
      const zf = zi + u;
      const zc = zf + u;
      const zo = zc + u;
      const s = b * u;
      if (kerasDefaults) {
        if (lstmDefaultGatesInRange(z, zi, cc, cNext, h, s, u)) cc.set(cNext, s);
        else lstmDefaultGates(z, zi, cc, h, s, u);
        continue;
      }
      activateInPlace(recurrentActivation, z, zi, 2 * u);
      activateInPlace(act, z, zc, u);
      activateInPlace(recurrentActivation, z, zo, u);
      for (let j = 0; j < u; j++) {
        const cNext = z[zf + j] * cc[s + j] + z[zi + j] * z[zc + j];
        cc[s + j] = cNext;
        z[zc + j] = cNext; // the candidate slot now holds c, to be activated below
      }
      activateInPlace(act, z, zc, u);
      for (let j = 0; j < u; j++) h[s + j] = z[zo + j] * z[zc + j];
    }
  };
}

/**
 * The state update for the Keras default activations (tanh, sigmoid) in one pass over the
 * units: gate values stay in registers instead of round-tripping through `z`.
 *
 * Each activation is the rational `p/q` of `tanhOfSquared` (σ(x) = ½ + ½·tanh(x/2) =
 * `(q + p) / 2q` at x/2), and the divisions are combined: with `nᵢ = qᵢ + pᵢ`,
 *
 *   c' = σ_f·c + σ_i·tanh(z_c) = (n_f·c·q_i·q_g + n_i·p_g·q_f) / (2·q_f·q_i·q_g)
 *   h  = σ_o·tanh(c')          = n_o·p(c') / (2·q_o·q(c'))
 *
 * two divisions per unit instead of five (a unit's gates take about a fifth less time). The
 * denominators are at least 4.8e-3 each, so their products neither underflow nor lose accuracy.
 */
function lstmDefaultGates(
  z: Float32Array,
  zi: number,
  c: Float32Array,
  h: Float32Array,
  s: number,
  u: number,
): void {
  const zf = zi + u;
  const zc = zf + u;
  const zo = zc + u;
  for (let j = 0; j < u; j++) {
    // The operations of lstmDefaultGatesInRange, on inputs clamped to ±TANH_CLAMP.
    const xi = clampTanhInput(0.5 * z[zi + j]);
    const xf = clampTanhInput(0.5 * z[zf + j]);
    const xg = clampTanhInput(z[zc + j]);
    const xo = clampTanhInput(0.5 * z[zo + j]);
    // c is a float32 state: the h of this step uses the rounded value the next step reads.
    const cj = lstmNextC(xi, xi * xi, xf, xf * xf, xg, xg * xg, c[s + j]);
    c[s + j] = cj;
    const cc = clampTanhInput(cj);
    h[s + j] = lstmOutput(xo, xo * xo, cc, cc * cc);
  }
}

/**
 * A unit's new `c` from the inputs of its `i`, `f` and candidate activations (the sigmoid gates'
 * already halved) and their squares: `σ_f·c + σ_i·tanh(z_c)` as one fraction, rounded to float32.
 */
function lstmNextC(
  xi: number,
  xi2: number,
  xf: number,
  xf2: number,
  xg: number,
  xg2: number,
  cPrev: number,
): number {
  const qi = tanhDenominator(xi2);
  const qf = tanhDenominator(xf2);
  const qg = tanhDenominator(xg2);
  const ni = qi + tanhNumerator(xi, xi2);
  const nf = qf + tanhNumerator(xf, xf2);
  const pg = tanhNumerator(xg, xg2);
  const qig = qi * qg;
  return Math.fround((nf * cPrev * qig + ni * pg * qf) / (2 * qf * qig));
}

/** A unit's `h = σ_o·tanh(c)` as one fraction, from the halved `o` input and `c`, with squares. */
function lstmOutput(xo: number, xo2: number, c: number, c2: number): number {
  const qo = tanhDenominator(xo2);
  return ((qo + tanhNumerator(xo, xo2)) * tanhNumerator(c, c2)) / (2 * qo * tanhDenominator(c2));
}

/**
 * {@link lstmDefaultGates} without the activations' clamps, for the common step whose inputs
 * all lie where the clamps do nothing: writes the new `c` to `cNext [0, u)` and `h`, and returns
 * whether every input was in range. Only then do the results equal `lstmDefaultGates`' (to the
 * bit), and the caller commits `cNext`; otherwise it reruns the step with the clamps, from the
 * untouched `c`. The range test tracks the largest squared input, off the latency chain.
 */
function lstmDefaultGatesInRange(
  z: Float32Array,
  zi: number,
  c: Float32Array,
  cNext: Float32Array,
  h: Float32Array,
  s: number,
  u: number,
): boolean {
  const zf = zi + u;
  const zc = zf + u;
  const zo = zc + u;
  let largest = 0;
  for (let j = 0; j < u; j++) {
    const xi = 0.5 * z[zi + j];
    const xf = 0.5 * z[zf + j];
    const xg = z[zc + j];
    const xo = 0.5 * z[zo + j];
    const xi2 = xi * xi;
    const xf2 = xf * xf;
    const xg2 = xg * xg;
    const xo2 = xo * xo;
    largest = xi2 > largest ? xi2 : largest;
    largest = xf2 > largest ? xf2 : largest;
    largest = xg2 > largest ? xg2 : largest;
    largest = xo2 > largest ? xo2 : largest;
    const cj = lstmNextC(xi, xi2, xf, xf2, xg, xg2, c[s + j]);
    const cj2 = cj * cj;
    largest = cj2 > largest ? cj2 : largest;
    cNext[j] = cj;
    h[s + j] = lstmOutput(xo, xo2, cj, cj2);
  }
  // A NaN input fails every comparison and so never raises `largest`: both paths give NaN.
  return largest <= TANH_CLAMP_SQUARED;
}

/** The cpu registration of {@link LSTMSequence}. */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LSTMSequence,
  backendName: 'cpu',
  kernelFunc: lstmSequence,
};
