/**
 * Fused whole-sequence GRU for the cpu backend (Keras gate order `z, r, h`), both reset modes.
 *
 * `resetAfter`: per step, `h·U_z` and `h·U_r` accumulate onto the projected input (whose bias
 * already holds both biases of those gates) and `h·U_h` onto `b_rec,h`, which the reset gate then
 * scales. Otherwise the reset gate applies to `h` first, so the candidate's product
 * `(r ⊙ h)·U_h` is a second GEMM after the gates.
 *
 * With a recurrent mask, the masked `h` both enters the products and is the `h` the update gate
 * keeps, as in Keras 3.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { FAMILIES, gateCount, GRUSequence, type KernelActivation } from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import { PANEL } from './shared/gemm.js';
import { activationAttr, readSequenceInputs, sequenceAttrs } from './shared/inputs.js';
import { recordingGradients } from './shared/saved.js';
import { gruSequenceRecording } from './GRUSequenceGrad.js';
import {
  projectInputs,
  recurrentInput,
  runTimeLoop,
  type CellContext,
  type CellStep,
} from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

/** G of the GRU, from the family table. */
const GATES = gateCount(FAMILIES.GRU);

/** Runs the GRU; returns `[output, h]`. */
export const gruSequence: KernelFunc = (args) => {
  if (recordingGradients()) return gruSequenceRecording(args);
  const { inputs, backend, attrs } = args;
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(GRUSequence, attrs);
  const recurrentActivation = activationAttr(GRUSequence, attrs, 'recurrentActivation');
  const resetAfter = a.resetAfter;
  const act = a.activation;
  const u = a.units;
  const gu = GATES * u;
  const p = readSequenceInputs(GRUSequence, inputs, cpu, a);
  const { batch, steps, h, bias } = p;

  const projectionBias = gruProjectionBias(bias, u, resetAfter);
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, GRU_SEGMENTS(u));
  const xw = projectInputs(p, kernel, padColumns(projectionBias, 0, kernel, GRU_SEGMENTS(u)));
  const step = gruCellStep(
    {
      batch,
      steps,
      units: u,
      recurrent,
      xw,
      h,
      c: null,
      recurrentMask: p.recurrentMask,
      activation: act,
      recurrentActivation,
    },
    resetAfter ? bias.subarray(gu + 2 * u, 2 * gu) : null,
  );
  const output = runTimeLoop(p, a, step);

  const outShape = a.returnSequences ? [batch, steps, u] : [batch, u];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo([batch, u], 'float32', h),
  ];
  return result;
};

/** Gates z, r in one column segment, the candidate in another: its product may run apart. */
export function GRU_SEGMENTS(u: number): number[] {
  return [2 * u, u];
}

/**
 * The bias folded into the input projection: with `resetAfter`, the input bias of all gates plus
 * the recurrent bias of z and r (b_rec,h stays inside r ⊙ (…)); else the bias itself.
 */
export function gruProjectionBias(
  bias: Float32Array,
  u: number,
  resetAfter: boolean,
): Float32Array {
  if (!resetAfter) return bias;
  const gu = GATES * u;
  const out = bias.slice(0, gu);
  for (let j = 0; j < 2 * u; j++) out[j] += bias[gu + j];
  return out;
}

/**
 * The GRU cell step over projected inputs (see `CellContext`), updating `h` in place;
 * `recurrentCandidateBias` is b_rec,h with `resetAfter`, else null. Shared by the sequence and
 * step kernels.
 */
export function gruCellStep(s: CellContext, recurrentCandidateBias: Float32Array | null): CellStep {
  const { batch, steps, units: u, recurrent, xw, h } = s;
  const act = s.activation;
  const recurrentActivation = s.recurrentActivation as KernelActivation;
  const resetAfter = recurrentCandidateBias != null;
  const ld = PANEL * recurrent.panels; // the padded row length of xw and z
  const zrPanels = recurrent.segmentPanel[1];
  const hPanels = recurrent.panels - zrPanels;
  const hCol = PANEL * zrPanels; // first column of the candidate in xw and z
  // b_rec,h in the candidate's padded columns (resetAfter only).
  const candidateBias = new Float32Array(PANEL * hPanels);
  if (recurrentCandidateBias != null) candidateBias.set(recurrentCandidateBias);
  const z = new Float32Array(batch * ld);
  const hScratch = s.recurrentMask == null ? null : new Float32Array(batch * u);
  // r ⊙ h, the input of the candidate's product when the reset gate applies first.
  const resetH = new Float32Array(resetAfter ? 0 : batch * u);
  const xwRowStride = steps * ld;
  const maskedInput = { h, recurrentMask: s.recurrentMask };

  return (t, active) => {
    const hIn = recurrentInput(maskedInput, hScratch);
    packLeft(recurrent, hIn, 0, u, batch, null);
    // z and r pre-activations: x·W + b + h·U.
    multiply(batch, recurrent, 0, zrPanels, xw, t * ld, xwRowStride, z, 0, ld);
    if (resetAfter) {
      // h·U_h + b_rec,h into the candidate columns.
      multiply(batch, recurrent, zrPanels, hPanels, candidateBias, 0, 0, z, hCol, ld);
    }
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zz = b * ld;
      const zr = zz + u;
      const zh = zz + hCol;
      const s = b * u;
      activateInPlace(recurrentActivation, z, zz, 2 * u);
      if (resetAfter) {
        const xh = (b * steps + t) * ld + hCol;
        for (let j = 0; j < u; j++) z[zh + j] = xw[xh + j] + z[zr + j] * z[zh + j];
      } else {
        for (let j = 0; j < u; j++) resetH[s + j] = z[zr + j] * hIn[s + j];
      }
    }
    if (!resetAfter) {
      // x·W_h + b_h + (r ⊙ h)·U_h; rows not taken hold stale values that are never read.
      packLeft(recurrent, resetH, 0, u, batch, null);
      const xh = t * ld + hCol;
      multiply(batch, recurrent, zrPanels, hPanels, xw, xh, xwRowStride, z, hCol, ld);
    }
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zz = b * ld;
      const zh = zz + hCol;
      const s = b * u;
      activateInPlace(act, z, zh, u);
      for (let j = 0; j < u; j++) {
        const g = z[zz + j];
        h[s + j] = g * hIn[s + j] + (1 - g) * z[zh + j];
      }
    }
  };
}

/** The cpu registration of {@link GRUSequence}. */
export const gruSequenceConfig: KernelConfig = {
  kernelName: GRUSequence,
  backendName: 'cpu',
  kernelFunc: gruSequence,
};
