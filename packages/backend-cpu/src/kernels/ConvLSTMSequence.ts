/**
 * Fused whole-sequence ConvLSTM (1, 2 or 3 spatial dimensions, channels last) for the cpu
 * backend, Keras gate order `i, f, c, o`.
 *
 * Both convolutions are matrix products over patches (im2col) with the backend's packed GEMM
 * (`./shared/conv_lstm_run.ts`): the input convolution of every step in one pass, then per step
 * the recurrent convolution (`same`, stride 1, dilation 1) of `h` accumulated onto that step's
 * gate inputs in place, and the gates and the state update in plain loops. A 3×3 recurrent kernel
 * of ConvLSTM2D runs as Winograd's F(2×2, 3×3) instead (`./shared/winograd.ts`): 16 products over
 * 2×2 tiles, 2.25× fewer multiplications. While a gradient tape
 * records, the variant that keeps the activations for the backward kernel runs instead
 * (`./ConvLSTMSequenceGrad.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ConvLSTMSequence, type ConvLSTMSequenceAttrs } from '@rnnkit/core';
import {
  activateInPlace,
  clampTanhInput,
  tanhDenominator,
  tanhNumerator,
} from './shared/activations.js';
import { convLSTMOutputs, runConvLSTM, startConvLSTM } from './shared/conv_lstm_run.js';
import { recordingGradients } from './shared/saved.js';
import { convLSTMSequenceRecording } from './ConvLSTMSequenceGrad.js';

/**
 * The gates and state update of `rows` consecutive positions whose gate inputs are rows of `z`
 * from `zOff` (`ld` apart), for the states from `s`. The Keras defaults (tanh, sigmoid) run in
 * one loop; other activations go through `activateInPlace` slice by slice.
 */
function updateStates(
  a: ConvLSTMSequenceAttrs,
  z: Float32Array,
  zOff: number,
  ld: number,
  rows: number,
  c: Float32Array,
  h: Float32Array,
  s: number,
): void {
  const f = a.units;
  if (a.activation === 'tanh' && a.recurrentActivation === 'sigmoid') {
    for (let r = 0; r < rows; r++) {
      const zi = zOff + r * ld;
      const st = s + r * f;
      for (let j = 0; j < f; j++) {
        // The LSTM kernel's combined fractions: σ(x) = ½ + ½·tanh(x/2) and tanh as the
        // rational p/q, two divisions per unit instead of five.
        const xi = clampTanhInput(0.5 * z[zi + j]);
        const xf = clampTanhInput(0.5 * z[zi + f + j]);
        const xg = clampTanhInput(z[zi + 2 * f + j]);
        const xo = clampTanhInput(0.5 * z[zi + 3 * f + j]);
        const xi2 = xi * xi;
        const xf2 = xf * xf;
        const xg2 = xg * xg;
        const xo2 = xo * xo;
        const qi = tanhDenominator(xi2);
        const qf = tanhDenominator(xf2);
        const qg = tanhDenominator(xg2);
        const qig = qi * qg;
        const ni = qi + tanhNumerator(xi, xi2);
        const nf = qf + tanhNumerator(xf, xf2);
        const pg = tanhNumerator(xg, xg2);
        // c is a float32 state: h uses the rounded value the next step reads.
        const cNext = Math.fround((nf * c[st + j] * qig + ni * pg * qf) / (2 * qf * qig));
        c[st + j] = cNext;
        const cc = clampTanhInput(cNext);
        const cc2 = cc * cc;
        const qo = tanhDenominator(xo2);
        h[st + j] =
          ((qo + tanhNumerator(xo, xo2)) * tanhNumerator(cc, cc2)) /
          (2 * qo * tanhDenominator(cc2));
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const zi = zOff + r * ld;
    const zc = zi + 2 * f;
    const zo = zc + f;
    const st = s + r * f;
    activateInPlace(a.recurrentActivation, z, zi, 2 * f);
    activateInPlace(a.activation, z, zc, f);
    activateInPlace(a.recurrentActivation, z, zo, f);
    for (let j = 0; j < f; j++) {
      const cNext = z[zi + f + j] * c[st + j] + z[zi + j] * z[zc + j];
      c[st + j] = cNext;
      z[zc + j] = cNext; // the candidate slot now holds c, to be activated below
    }
    activateInPlace(a.activation, z, zc, f);
    for (let j = 0; j < f; j++) h[st + j] = z[zo + j] * z[zc + j];
  }
}

/** Runs the ConvLSTM; returns `[output, h, c]`. */
export const convLSTMSequence: KernelFunc = (args) => {
  if (recordingGradients()) return convLSTMSequenceRecording(args);
  const cpu = args.backend as MathBackendCPU;
  const run = startConvLSTM(cpu, args.inputs, args.attrs);
  const { problem, attrs, positions, stateSize, ld, xw } = run;
  const c = problem.c as Float32Array;
  const output = runConvLSTM(run, (_t, b, zOff) =>
    updateStates(attrs, xw, zOff, ld, positions, c, problem.h, b * stateSize),
  );
  return convLSTMOutputs(cpu, run, output);
};

/** The cpu registration of {@link ConvLSTMSequence}. */
export const convLSTMSequenceConfig: KernelConfig = {
  kernelName: ConvLSTMSequence,
  backendName: 'cpu',
  kernelFunc: convLSTMSequence,
};
