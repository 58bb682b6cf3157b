/**
 * Backward SimpleRNN for the cpu backend (`RnnkitSimpleRNNSequenceGrad`): recomputes the forward
 * pass once, keeping every step's pre-activations, activations and recurrent input, then
 * backpropagates through time with one `[B, U]·[U, U]` product per step; the weight and input
 * gradients are hoisted out of the loop as GEMMs over all steps.
 */
import type {
  KernelConfig,
  KernelFunc,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { sequenceGradKernelName, SimpleRNNSequence, type CheckedSequenceAttrs } from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import {
  columnSums,
  inputGradient,
  packTransposedBlock,
  readGradInputs,
  recurrentBackProduct,
  runBackwardLoop,
  weightGradients,
} from './shared/backward.js';
import { derivativeFromOutput, scaleByDerivative } from './shared/derivatives.js';
import { PANEL } from './shared/gemm.js';
import { recycle, recycledArray, recycledZeros } from './shared/recycled.js';
import { readSequenceInputs, sequenceAttrs, type SequenceProblem } from './shared/inputs.js';
import { recordedOutputs, saveForward, takeForward } from './shared/saved.js';
import { projectInputs, runTimeLoop } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

const KERNEL = SimpleRNNSequence;

/** Every step's activations (row `b·T + t`), as the backward pass needs them. */
interface SimpleRNNActivations {
  /** `h_{t−1}` as it entered the recurrent product, `z` and `act(z)`, each `[B·T, U]`. */
  hIn: Float32Array;
  pre: Float32Array;
  out: Float32Array;
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
): { output: Float32Array; kept: SimpleRNNActivations } {
  const act = a.activation;
  const u = a.units;
  const { batch, steps, h } = p;
  const rm = p.recurrentMask;
  const rows = batch * steps;
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, [u]);
  const ld = PANEL * recurrent.panels;
  const xw = projectInputs(p, kernel, padColumns(p.bias, 0, kernel, [u]));
  const z = new Float32Array(batch * ld);
  // Rows of steps a mask skips stay zero in hIn: the hoisted product over all rows reads them.
  const hIn = recycledZeros(rows * u);
  const out = recycledArray(rows * u);
  // tanh and sigmoid take their derivatives from their outputs: no pre-activations to keep.
  const pre = derivativeFromOutput(act) ? out : recycledArray(rows * u);
  const output = runTimeLoop(p, a, (t, active) => {
    packLeft(recurrent, h, 0, u, batch, rm);
    multiply(batch, recurrent, 0, recurrent.panels, xw, t * ld, steps * ld, z, 0, ld);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      const r = (b * steps + t) * u;
      for (let j = 0; j < u; j++) hIn[r + j] = rm == null ? h[s + j] : h[s + j] * rm[s + j];
      pre.set(z.subarray(b * ld, b * ld + u), r);
      out.set(z.subarray(b * ld, b * ld + u), r);
      activateInPlace(act, out, r, u);
      h.set(out.subarray(r, r + u), s);
    }
  });
  return { output, kept: { hIn, pre, out } };
}

/**
 * The SimpleRNN forward kernel while a gradient tape records: the outputs of the forward kernel,
 * with the activations left for the backward kernel (`./shared/saved.ts`).
 */
export const simpleRNNSequenceRecording: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const p = readSequenceInputs(KERNEL, inputs, cpu, a);
  const { output, kept } = forwardKeeping(cpu, inputs, a, p);
  saveForward(cpu, KERNEL, inputs, attrs, kept);
  return recordedOutputs(cpu, p, a.units, a.returnSequences, output);
};

/** Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH]`. */
export const simpleRNNSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(KERNEL, attrs);
  const act = a.activation;
  const u = a.units;
  const { p, dOutput, dh } = readGradInputs(KERNEL, inputs, cpu, a);
  const { batch, steps } = p;
  const rm = p.recurrentMask;
  const rows = batch * steps;
  const { hIn, pre, out } =
    takeForward<SimpleRNNActivations>(KERNEL, inputs, attrs) ??
    forwardKeeping(cpu, inputs, a, p).kept;

  // Backward: dz = dh ⊙ act'(z); dh_prev = rm ⊙ (dz·Uᵀ).
  // Rows of steps a mask skips stay zero: the hoisted products read every row.
  const dz = recycledZeros(rows * u);
  const ut = packTransposedBlock(p.recurrentKernel, u, u, 0, u);
  const ldt = PANEL * ut.panels;
  const back = new Float32Array(batch * ldt);
  const zeros = new Float32Array(ldt);
  runBackwardLoop(p, a, dOutput, dh, (t, active) => {
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const r = (b * steps + t) * u;
      dz.set(dh.subarray(b * u, b * u + u), r);
      scaleByDerivative(act, pre, out, r, dz, r, u);
    }
    recurrentBackProduct(ut, dz, 0, u, p, t, zeros, back);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      for (let j = 0; j < u; j++)
        dh[s + j] = rm == null ? back[b * ldt + j] : back[b * ldt + j] * rm[s + j];
    }
  });

  const dx = inputGradient(p, dz, u);
  const { dKernel, dRecurrent } = weightGradients(p, hIn, dz, u);
  const dBias = columnSums(dz, rows, u, 0, u);
  recycle(hIn, pre, out, dz);
  const result: TensorInfo[] = [
    cpu.makeTensorInfo([batch, steps, p.inputDim], 'float32', dx),
    cpu.makeTensorInfo([p.inputDim, u], 'float32', dKernel),
    cpu.makeTensorInfo([u, u], 'float32', dRecurrent),
    cpu.makeTensorInfo([u], 'float32', dBias),
    cpu.makeTensorInfo([batch, u], 'float32', dh),
  ];
  return result;
};

/** The cpu registration of the SimpleRNN backward kernel. */
export const simpleRNNSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(KERNEL),
  backendName: 'cpu',
  kernelFunc: simpleRNNSequenceGrad,
};
