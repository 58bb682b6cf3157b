/**
 * Backward GRU for the cpu backend (`RnnkitGRUSequenceGrad`, Keras gate order `z, r, h`), both
 * reset modes: recomputes the forward pass once, keeping every step's gate pre-activations and
 * activations, the recurrent input `h_in` and the reset product, then backpropagates through
 * time; the weight and input gradients are hoisted out of the loop as GEMMs over all steps.
 *
 * With `h = z ⊙ h_in + (1 − z) ⊙ ĥ` and `ĥ = act(ẑ)`:
 *   dz = dh ⊙ (h_in − ĥ) ⊙ σ'(z);  dẑ = dh ⊙ (1 − z) ⊙ act'(ẑ);  dh_in ∋ dh ⊙ z.
 * `resetAfter` (`ẑ = x·W_h + b_h + r ⊙ (h_in·U_h + b_rec,h)`): dr = dẑ ⊙ (h_in·U_h + b_rec,h),
 * and the recurrent product sees `r ⊙ dẑ` where the input projection sees `dẑ`: one
 * `[B, 3U]·[3U, U]` product per step. Otherwise (`ẑ = x·W_h + b_h + (r ⊙ h_in)·U_h`):
 * d(r ⊙ h_in) = dẑ·U_hᵀ first, then dr = d(r ⊙ h_in) ⊙ h_in, then `[dz, dr]·U_zrᵀ`.
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
  GRUSequence,
  sequenceGradKernelName,
  type CheckedSequenceAttrs,
  type KernelActivation,
} from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import {
  columns,
  columnSums,
  inputGradient,
  packTransposedBlock,
  readGradInputs,
  recurrentBackProduct,
  runBackwardLoop,
  transposedProduct,
} from './shared/backward.js';
import { derivativeFromOutput as fromOutput, scaleByDerivative } from './shared/derivatives.js';
import { PANEL } from './shared/gemm.js';
import { recycle, recycledArray, recycledZeros } from './shared/recycled.js';
import {
  activationAttr,
  readSequenceInputs,
  sequenceAttrs,
  type SequenceProblem,
} from './shared/inputs.js';
import { recordedOutputs, saveForward, takeForward } from './shared/saved.js';
import { projectInputs, recurrentInput, runTimeLoop } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

const KERNEL = GRUSequence;
/** G of the GRU, from the family table. */
const GATES = gateCount(FAMILIES.GRU);

/** Every step's activations (row `b·T + t`), as the backward pass needs them. */
interface GRUActivations {
  /** `h_{t−1}` as it entered the products (and the update gate's blend) `[B·T, U]`. */
  hInAll: Float32Array;
  /** Pre-activations and activations of `z, r, ĥ`, `[B·T, 3U]`. */
  pre: Float32Array;
  gates: Float32Array;
  /** `h_in·U_h + b_rec,h` with `resetAfter`, else `r ⊙ h_in`, `[B·T, U]`. */
  reset: Float32Array;
}

/**
 * The forward pass keeping every step's activations: updates `p.h` to the final state and
 * returns the output values with the activations.
 */
function forwardKeeping(
  cpu: MathBackendCPU,
  inputs: NamedTensorInfoMap,
  a: CheckedSequenceAttrs,
  p: SequenceProblem,
): { output: Float32Array; kept: GRUActivations } {
  const act = a.activation;
  const resetAfter = a.resetAfter;
  const recAct = a.recurrentActivation as KernelActivation;
  const u = a.units;
  const gu = GATES * u;
  const { batch, steps, h, bias } = p;
  const rm = p.recurrentMask;
  const rows = batch * steps;
  let projectionBias = bias;
  if (resetAfter) {
    projectionBias = bias.slice(0, gu);
    for (let j = 0; j < 2 * u; j++) projectionBias[j] += bias[gu + j];
  }
  const segments = [2 * u, u];
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, segments);
  const ld = PANEL * recurrent.panels;
  const zrPanels = recurrent.segmentPanel[1];
  const hPanels = recurrent.panels - zrPanels;
  const hCol = PANEL * zrPanels;
  const xw = projectInputs(p, kernel, padColumns(projectionBias, 0, kernel, segments));
  const candidateBias = new Float32Array(PANEL * hPanels);
  if (resetAfter) candidateBias.set(bias.subarray(gu + 2 * u, 2 * gu));
  const z = new Float32Array(batch * ld);
  const hScratch = rm == null ? null : new Float32Array(batch * u);
  // Rows of steps a mask skips stay zero in hInAll and reset: products over all rows read them.
  const hInAll = recycledZeros(rows * u);
  const gates = recycledArray(rows * gu);
  // tanh and sigmoid take their derivatives from their outputs: no pre-activations to keep
  // (written to `gates`, then activated there).
  const pre = fromOutput(act) && fromOutput(recAct) ? gates : recycledArray(rows * gu);
  const reset = recycledZeros(rows * u);
  const xwRowStride = steps * ld;
  const output = runTimeLoop(p, a, (t, active) => {
    const hIn = recurrentInput(p, hScratch);
    packLeft(recurrent, hIn, 0, u, batch, null);
    multiply(batch, recurrent, 0, zrPanels, xw, t * ld, xwRowStride, z, 0, ld);
    if (resetAfter) multiply(batch, recurrent, zrPanels, hPanels, candidateBias, 0, 0, z, hCol, ld);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const r = b * steps + t;
      const g0 = r * gu;
      const r0 = r * u;
      hInAll.set(hIn.subarray(s, s + u), r0);
      pre.set(z.subarray(b * ld, b * ld + 2 * u), g0);
      gates.set(z.subarray(b * ld, b * ld + 2 * u), g0);
      activateInPlace(recAct, gates, g0, 2 * u);
      if (resetAfter) {
        const xh = (b * steps + t) * ld + hCol;
        const zh = b * ld + hCol;
        for (let j = 0; j < u; j++) {
          reset[r0 + j] = z[zh + j];
          pre[g0 + 2 * u + j] = xw[xh + j] + gates[g0 + u + j] * z[zh + j];
        }
      } else {
        for (let j = 0; j < u; j++) reset[r0 + j] = gates[g0 + u + j] * hIn[s + j];
      }
    }
    if (!resetAfter) {
      // Rows not taken at t hold zeros in `reset`, and their results are not read.
      packLeft(recurrent, reset, t * u, steps * u, batch, null);
      const xh = t * ld + hCol;
      multiply(batch, recurrent, zrPanels, hPanels, xw, xh, xwRowStride, z, hCol, ld);
    }
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const g0 = (b * steps + t) * gu;
      if (!resetAfter) pre.set(z.subarray(b * ld + hCol, b * ld + hCol + u), g0 + 2 * u);
      gates.set(pre.subarray(g0 + 2 * u, g0 + gu), g0 + 2 * u);
      activateInPlace(act, gates, g0 + 2 * u, u);
      for (let j = 0; j < u; j++) {
        const g = gates[g0 + j];
        h[s + j] = g * hIn[s + j] + (1 - g) * gates[g0 + 2 * u + j];
      }
    }
  });
  return { output, kept: { hInAll, pre, gates, reset } };
}

/**
 * The GRU forward kernel while a gradient tape records: the outputs of the forward kernel,
 * with the activations left for the backward kernel (`./shared/saved.ts`).
 */
export const gruSequenceRecording: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const p = readSequenceInputs(KERNEL, inputs, cpu, a);
  const { output, kept } = forwardKeeping(cpu, inputs, a, p);
  saveForward(cpu, KERNEL, inputs, attrs, kept);
  return recordedOutputs(cpu, p, a.units, a.returnSequences, output);
};

/** Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH]`. */
export const gruSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const recAct = activationAttr(KERNEL, attrs, 'recurrentActivation');
  const act = a.activation;
  const resetAfter = a.resetAfter;
  const u = a.units;
  const gu = GATES * u;
  const { p, dOutput, dh } = readGradInputs(KERNEL, inputs, cpu, a);
  const { batch, steps } = p;
  const rm = p.recurrentMask;
  const rows = batch * steps;
  const { hInAll, pre, gates, reset } =
    takeForward<GRUActivations>(KERNEL, inputs, attrs) ?? forwardKeeping(cpu, inputs, a, p).kept;

  // Gate gradients as the input projection sees them, and (resetAfter) as the recurrent
  // product sees them: the candidate's column scaled by r.
  // Rows of steps a mask skips stay zero: the hoisted products read every row.
  const dz = recycledZeros(rows * gu);
  const dRec = resetAfter ? recycledZeros(rows * gu) : dz;
  // Uᵀ whole (resetAfter), or its z, r block and its candidate block.
  const ut = packTransposedBlock(
    p.recurrentKernel,
    u,
    gu,
    resetAfter ? 0 : 2 * u,
    resetAfter ? gu : u,
  );
  const utZR = resetAfter ? ut : packTransposedBlock(p.recurrentKernel, u, gu, 0, 2 * u);
  const ldt = PANEL * Math.ceil(u / PANEL);
  const back = new Float32Array(batch * ldt);
  const dReset = new Float32Array(batch * ldt);
  const zeros = new Float32Array(ldt);
  const local = new Float32Array(batch * u); // dh_in beyond the products: dh ⊙ z (+ r ⊙ d(r ⊙ h_in))
  runBackwardLoop(p, a, dOutput, dh, (t, active) => {
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const r = b * steps + t;
      const g0 = r * gu;
      const r0 = r * u;
      const c0 = g0 + 2 * u;
      for (let j = 0; j < u; j++) {
        const d = dh[s + j];
        const g = gates[g0 + j];
        dz[g0 + j] = d * (hInAll[r0 + j] - gates[c0 + j]);
        dz[c0 + j] = d * (1 - g);
        local[s + j] = d * g;
      }
      scaleByDerivative(act, pre, gates, c0, dz, c0, u);
      if (resetAfter) {
        for (let j = 0; j < u; j++) {
          dz[g0 + u + j] = dz[c0 + j] * reset[r0 + j];
          dRec[c0 + j] = dz[c0 + j] * gates[g0 + u + j];
        }
        scaleByDerivative(recAct, pre, gates, g0, dz, g0, 2 * u);
        dRec.set(dz.subarray(g0, g0 + 2 * u), g0);
      }
    }
    if (!resetAfter) {
      recurrentBackProduct(ut, dz, 2 * u, gu, p, t, zeros, dReset);
      for (let b = 0; b < batch; b++) {
        if (active[b] === 0) continue;
        const s = b * u;
        const g0 = (b * steps + t) * gu;
        const r0 = (b * steps + t) * u;
        for (let j = 0; j < u; j++) {
          const d = dReset[b * ldt + j];
          dz[g0 + u + j] = d * hInAll[r0 + j];
          local[s + j] += d * gates[g0 + u + j];
        }
        scaleByDerivative(recAct, pre, gates, g0, dz, g0, 2 * u);
      }
    }
    if (resetAfter) recurrentBackProduct(ut, dRec, 0, gu, p, t, zeros, back);
    else recurrentBackProduct(utZR, dz, 0, gu, p, t, zeros, back);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const k = b * ldt;
      for (let j = 0; j < u; j++) {
        const d = back[k + j] + local[s + j];
        dh[s + j] = rm == null ? d : d * rm[s + j];
      }
    }
  });

  const dx = inputGradient(p, dz, gu);
  const hIn = { values: hInAll, cols: u };
  // The input and recurrent kernels' gradients have different right operands here.
  const [dKernel] = transposedProduct([{ values: p.x, cols: p.inputDim }], rows, dz, gu);
  let dRecurrent: Float32Array;
  let dBias: Float32Array;
  if (resetAfter) {
    [dRecurrent] = transposedProduct([hIn], rows, dRec, gu);
    dBias = new Float32Array(2 * gu);
    dBias.set(columnSums(dz, rows, gu, 0, gu), 0);
    dBias.set(columnSums(dRec, rows, gu, 0, gu), gu);
  } else {
    // z, r columns from h_in, the candidate's from r ⊙ h_in.
    const [zr] = transposedProduct([hIn], rows, columns(dz, rows, gu, 0, 2 * u), 2 * u);
    const [hh] = transposedProduct(
      [{ values: reset, cols: u }],
      rows,
      columns(dz, rows, gu, 2 * u, u),
      u,
    );
    dRecurrent = new Float32Array(u * gu);
    for (let k = 0; k < u; k++) {
      dRecurrent.set(zr.subarray(k * 2 * u, (k + 1) * 2 * u), k * gu);
      dRecurrent.set(hh.subarray(k * u, (k + 1) * u), k * gu + 2 * u);
    }
    dBias = columnSums(dz, rows, gu, 0, gu);
  }
  recycle(hInAll, pre, gates, reset, dz, dRec);
  const result: TensorInfo[] = [
    cpu.makeTensorInfo([batch, steps, p.inputDim], 'float32', dx),
    cpu.makeTensorInfo([p.inputDim, gu], 'float32', dKernel),
    cpu.makeTensorInfo([u, gu], 'float32', dRecurrent),
    cpu.makeTensorInfo(resetAfter ? [2, gu] : [gu], 'float32', dBias),
    cpu.makeTensorInfo([batch, u], 'float32', dh),
  ];
  return result;
};

/** The cpu registration of the GRU backward kernel. */
export const gruSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(KERNEL),
  backendName: 'cpu',
  kernelFunc: gruSequenceGrad,
};
