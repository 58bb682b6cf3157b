/**
 * Backward LSTM for the cpu backend (`RnnkitLSTMSequenceGrad`, Keras gate order `i, f, c, o`):
 * recomputes the forward pass once, keeping every step's gate pre-activations and activations,
 * `c` before and after and `act(c)`, then backpropagates through time with one
 * `[B, 4U]·[4U, U]` product per step; the weight and input gradients are hoisted out of the loop
 * as GEMMs over all steps.
 *
 * The cell's steps are `./shared/lstm_cell.ts`'s; between steps, `dh_{t−1} = rm ⊙ (dz·Uᵀ)`.
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
  columnSums,
  inputGradient,
  packTransposedBlock,
  readGradInputs,
  recurrentBackProduct,
  runBackwardLoop,
  weightGradients,
} from './shared/backward.js';
import { PANEL } from './shared/gemm.js';
import {
  activationAttr,
  readSequenceInputs,
  sequenceAttrs,
  type SequenceProblem,
} from './shared/inputs.js';
import {
  lstmBackwardStep,
  lstmDefaultStep,
  lstmKeepingStep,
  type LSTMKept,
} from './shared/lstm_cell.js';
import { recycle, recycledArray, recycledZeros } from './shared/recycled.js';
import { recordedOutputs, saveForward, takeForward } from './shared/saved.js';
import { projectInputs, runTimeLoop } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

const KERNEL = LSTMSequence;
/** G of the LSTM, from the family table. */
const GATES = gateCount(FAMILIES.LSTM);

/**
 * Every step's activations (row `b·T + t`), as the backward pass needs them: the gates `[B·T, 4U]`
 * and the cell values `[B·T, U]` of `./shared/lstm_cell.ts`, and `h_{t−1}` as it entered the
 * recurrent product `[B·T, U]`.
 */
interface LSTMActivations extends LSTMKept {
  hIn: Float32Array;
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
  const kept: LSTMActivations = { hIn, pre, gates, cPrev, cNext, actC };
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
      if (kerasDefaults) lstmDefaultStep(z, b * ld, gates, g0, c, s, cPrev, actC, r0, h, u);
      else lstmKeepingStep(act, recAct, z, b * ld, kept, g0, c, s, r0, h, u);
    }
  });

  return { output, kept };
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

  const kept =
    takeForward<LSTMActivations>(KERNEL, inputs, attrs) ??
    forwardKeeping(cpu, inputs, a, recAct, p).kept;
  const { hIn, pre, gates, cPrev, cNext, actC } = kept;

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
      const r = b * steps + t;
      lstmBackwardStep(act, recAct, kept, r * gu, r * u, dh, dc, b * u, dz, dAct, u);
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
