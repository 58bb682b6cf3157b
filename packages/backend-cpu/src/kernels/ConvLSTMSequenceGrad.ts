/**
 * Backward ConvLSTM for the cpu backend (`RnnkitConvLSTMSequenceGrad`, 1 to 3 spatial axes,
 * channels last, Keras gate order `i, f, c, o`). The forward pass, taped or recomputed, keeps
 * every step's gate activations, cell values and `h_{t−1}` as it entered the recurrent
 * convolution; backpropagation through time then runs the LSTM cell's backward step
 * (`./shared/lstm_cell.ts`) at every position, and between steps one product per step:
 *
 *   dh_{t−1} = rm ⊙ convᵀ(dz_t, U)
 *
 * the transpose of the recurrent `same` convolution, itself a convolution of the gate gradients
 * with the kernel flipped on every axis and its channel axes swapped (`transposedSameGeometry`),
 * over the patches of all batch rows at once. Hoisted out of the loop, over all `T·B·positions`
 * rows (ordered `(t, b, position)`; rows of steps a mask skips hold zero gate gradients):
 *
 *   dW = patches(x)ᵀ·dz,  dU = patches(h_in)ᵀ·dz  (one product),  db = Σ dz,
 *   dx = col2im(dz·Wᵀ)  (strides, dilation and padding through the input convolution's table).
 */
import type {
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  ConvLSTMSequence,
  checkConvLSTMGradients,
  convSourceTable,
  sequenceGradKernelName,
} from '@rnnkit/core';
import {
  columnSums,
  matmul,
  runBackwardLoop,
  transpose,
  transposedProduct,
} from './shared/backward.js';
import {
  convLSTMOutputs,
  runConvLSTM,
  startConvLSTM,
  type ConvLSTMRun,
} from './shared/conv_lstm_run.js';
import {
  convProduct,
  patchMatrix,
  scatterPatches,
  transposedSameGeometry,
} from './shared/conv_patches.js';
import { PANEL } from './shared/gemm.js';
import type { MaskValues } from './shared/inputs.js';
import {
  lstmBackwardStep,
  lstmDefaultStep,
  lstmKeepingStep,
  type LSTMKept,
} from './shared/lstm_cell.js';
import { recycle, recycledArray, recycledZeros } from './shared/recycled.js';
import { saveForward, takeForward } from './shared/saved.js';
import { packWeights } from './shared/weights.js';

const KERNEL = ConvLSTMSequence;

/**
 * Every step's activations, rows ordered `(t, b, position)`: the gates `[rows, 4F]` and cell
 * values `[rows, F]` of `./shared/lstm_cell.ts`, and `h_{t−1}` as it entered the recurrent
 * convolution, `[rows, F]` (image `t·B + b` of `positions·F` values; zero where a mask skipped
 * the step).
 */
interface ConvLSTMActivations extends LSTMKept {
  hIn: Float32Array;
}

/** The forward pass keeping every step's activations; returns the run, its output and them. */
function forwardKeeping(
  cpu: MathBackendCPU,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): { run: ConvLSTMRun; output: Float32Array; kept: ConvLSTMActivations } {
  const run = startConvLSTM(cpu, inputs, attrs);
  const { problem, filters: f, positions, stateSize, ld, xw } = run;
  const { activation: act, recurrentActivation: recAct } = run.attrs;
  const { batch, steps, h } = problem;
  const c = problem.c as Float32Array;
  const gates = 4 * f;
  const rows = steps * batch * positions;
  // tanh and sigmoid take their derivatives from their outputs: no pre-activations to keep,
  // and act'(c) comes from act(c).
  const kerasDefaults = act === 'tanh' && recAct === 'sigmoid';
  const gateValues = recycledArray(rows * gates);
  const actC = recycledArray(rows * f);
  const kept: ConvLSTMActivations = {
    hIn: recycledZeros(rows * f),
    gates: gateValues,
    pre: kerasDefaults ? gateValues : recycledArray(rows * gates),
    cPrev: recycledArray(rows * f),
    actC,
    cNext: kerasDefaults ? actC : recycledArray(rows * f),
  };
  const output = runConvLSTM(run, (t, b, zOff, hIn) => {
    const image = t * batch + b;
    const s0 = b * stateSize;
    kept.hIn.set(hIn.subarray(s0, s0 + stateSize), image * stateSize);
    for (let p = 0, r = image * positions; p < positions; p++, r++) {
      const zb = zOff + p * ld;
      const s = s0 + p * f;
      if (kerasDefaults) {
        lstmDefaultStep(xw, zb, gateValues, r * gates, c, s, kept.cPrev, actC, r * f, h, f);
      } else {
        lstmKeepingStep(act, recAct, xw, zb, kept, r * gates, c, s, r * f, h, f);
      }
    }
  });
  return { run, output, kept };
}

/**
 * The ConvLSTM forward kernel while a gradient tape records: the outputs of `convLSTMSequence`,
 * with the activations left for the backward kernel (`./shared/saved.ts`).
 */
export const convLSTMSequenceRecording: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const { run, output, kept } = forwardKeeping(cpu, inputs, attrs);
  saveForward(cpu, KERNEL, inputs, attrs, kept);
  return convLSTMOutputs(cpu, run, output);
};

/**
 * `U [taps, F, 4F]` flipped on every spatial axis (tap `k` ↔ `taps − 1 − k`) with its channel
 * axes swapped: `[taps, 4F, F]`, the kernel of the recurrent convolution's transpose.
 */
function flippedTransposed(u: Float32Array, taps: number, f: number): Float32Array {
  const gates = 4 * f;
  const out = new Float32Array(taps * gates * f);
  for (let k = 0; k < taps; k++) {
    const from = (taps - 1 - k) * f * gates;
    for (let g = 0; g < gates; g++) {
      const o = (k * gates + g) * f;
      for (let j = 0; j < f; j++) out[o + j] = u[from + j * gates + g];
    }
  }
  return out;
}

/** Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]`. */
export const convLSTMSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const call = checkConvLSTMCall<TensorInfo>(inputs, attrs);
  const grads = checkConvLSTMGradients(call, inputs);
  const values = <V>(info: TensorInfo): V => cpu.data.get(info.dataId).values as unknown as V;
  const kept =
    takeForward<ConvLSTMActivations>(KERNEL, inputs, attrs) ??
    forwardKeeping(cpu, inputs, attrs).kept;

  const { attrs: a, batch, steps, spatial, channels, outSpatial } = call;
  const f = call.filters;
  const gates = 4 * f;
  const geometry = convLSTMGeometry(call);
  const inTable = convSourceTable(geometry.input);
  const recTable = convSourceTable(geometry.recurrent);
  const backTable = convSourceTable(transposedSameGeometry(geometry.recurrent));
  const positions = inTable.positions;
  const stateSize = positions * f;
  const stepRows = batch * positions;
  const rows = steps * stepRows;
  const rm = call.recurrentMask == null ? null : values<Float32Array>(call.recurrentMask);

  const dh = values<Float32Array>(grads.dH).slice();
  const dc = values<Float32Array>(grads.dC).slice();
  // Rows of steps a mask skips stay zero: the hoisted products read every row.
  const dz = recycledZeros(rows * gates);
  const recurrentValues = values<Float32Array>(call.recurrentKernel);
  const ut = packWeights(
    flippedTransposed(recurrentValues, recTable.taps, f),
    recTable.taps * gates,
    [f],
  );
  const ldt = PANEL * ut.panels;
  const back = recycledArray(stepRows * ldt);
  const zeros = new Float32Array(ldt);
  const dAct = new Float32Array(f);
  const { activation: act, recurrentActivation: recAct } = a;
  const problem = {
    batch,
    steps,
    units: stateSize, // the loop sees a row's whole state as its units
    mask: call.mask == null ? null : values<MaskValues>(call.mask),
  };
  runBackwardLoop(problem, a, values<Float32Array>(grads.dOutput), dh, (t, active) => {
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      for (let p = 0, r = (t * batch + b) * positions; p < positions; p++, r++) {
        const s = b * stateSize + p * f;
        lstmBackwardStep(act, recAct, kept, r * gates, r * f, dh, dc, s, dz, dAct, f);
      }
    }
    // The recurrent convolution's transpose for every batch row of step t in one product; the
    // rows of a skipped batch row are zeros and discarded.
    const src = t * stepRows * gates;
    convProduct(
      backTable,
      ut,
      gates,
      dz,
      src,
      positions * gates,
      0,
      stepRows,
      zeros,
      0,
      0,
      back,
      0,
      ldt,
    );
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      for (let p = 0; p < positions; p++) {
        const s = b * stateSize + p * f;
        const k = (b * positions + p) * ldt;
        if (rm == null) for (let j = 0; j < f; j++) dh[s + j] = back[k + j];
        else for (let j = 0; j < f; j++) dh[s + j] = back[k + j] * rm[s + j];
      }
    }
  });

  // Image i of the rows (t = ⌊i / B⌋, b = i mod B) is frame b·T + t of x.
  const frameOf = (i: number): number => {
    const t = (i / batch) | 0;
    return (i - t * batch) * steps + t;
  };
  const frameSize = spatial.reduce((n, d) => n * d, channels);
  const kc = inTable.taps * channels;
  const kf = recTable.taps * f;
  const xPatches = recycledArray(rows * kc);
  patchMatrix(
    inTable,
    channels,
    values<Float32Array>(call.x),
    frameSize,
    steps * batch,
    frameOf,
    xPatches,
  );
  const hPatches = recycledArray(rows * kf);
  patchMatrix(recTable, f, kept.hIn, stateSize, steps * batch, (i) => i, hPatches);
  const [dKernel, dRecurrent] = transposedProduct(
    [
      { values: xPatches, cols: kc },
      { values: hPatches, cols: kf },
    ],
    rows,
    dz,
    gates,
  );
  const dBias = columnSums(dz, rows, gates, 0, gates);
  const kernelT = transpose(values<Float32Array>(call.kernel), kc, gates);
  const dPatches = matmul(dz, rows, gates, kernelT, kc);
  const dx = new Float32Array(batch * steps * frameSize);
  scatterPatches(inTable, channels, dPatches, frameSize, steps * batch, frameOf, dx);
  const { hIn, pre, gates: gateValues, cPrev, cNext, actC } = kept;
  recycle(hIn, pre, gateValues, cPrev, cNext, actC, dz, back, xPatches, hPatches, dPatches);

  const stateShape = [batch, ...outSpatial, f];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(call.x.shape, 'float32', dx),
    cpu.makeTensorInfo(call.kernel.shape, 'float32', dKernel),
    cpu.makeTensorInfo(call.recurrentKernel.shape, 'float32', dRecurrent),
    cpu.makeTensorInfo([gates], 'float32', dBias),
    cpu.makeTensorInfo(stateShape, 'float32', dh),
    cpu.makeTensorInfo(stateShape, 'float32', dc),
  ];
  return result;
};

/** The cpu registration of the ConvLSTM backward kernel. */
export const convLSTMSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(KERNEL),
  backendName: 'cpu',
  kernelFunc: convLSTMSequenceGrad,
};
