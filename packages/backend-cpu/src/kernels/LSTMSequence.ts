/**
 * Fused whole-sequence LSTM for the cpu backend (Keras gate order `i, f, c, o`).
 *
 * The input projection runs once over all `B·T` rows; each step then computes
 * `x_t·W + b + h·U` as one small GEMM straight from the projected rows, and applies the gate
 * activations and the state update in place.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { LSTMSequence } from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import { gemmNT, transpose } from './shared/gemm.js';
import { activationAttr, readSequenceInputs, sequenceAttrs } from './shared/inputs.js';
import { projectInputs, recurrentInput, runTimeLoop } from './shared/sequence.js';

/** Runs the LSTM; returns `[output, h, c]`. */
export const lstmSequence: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(LSTMSequence, attrs);
  const recurrentActivation = activationAttr(LSTMSequence, attrs, 'recurrentActivation');
  const act = a.activation;
  const u = a.units;
  const gu = 4 * u;
  const p = readSequenceInputs(LSTMSequence, inputs, cpu, u, 4, [gu], true);
  const { batch, steps, h } = p;
  const c = p.c as Float32Array;
  const xw = projectInputs(p, gu, p.bias);
  const rt = transpose(p.recurrentKernel, 0, u, gu);
  const z = new Float32Array(batch * gu);
  const hScratch = p.recurrentMask == null ? null : new Float32Array(batch * u);
  const xwRowStride = steps * gu;

  const output = runTimeLoop(p, a, (t, active) => {
    const hIn = recurrentInput(p, hScratch);
    gemmNT(batch, gu, u, hIn, 0, u, rt, 0, xw, t * gu, xwRowStride, z, 0, gu);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zi = b * gu;
      const zf = zi + u;
      const zc = zf + u;
      const zo = zc + u;
      const s = b * u;
      activateInPlace(recurrentActivation, z, zi, 2 * u);
      activateInPlace(act, z, zc, u);
      activateInPlace(recurrentActivation, z, zo, u);
      for (let j = 0; j < u; j++) {
        const cNext = z[zf + j] * c[s + j] + z[zi + j] * z[zc + j];
        c[s + j] = cNext;
        z[zc + j] = cNext; // the candidate slot now holds c, to be activated below
      }
      activateInPlace(act, z, zc, u);
      for (let j = 0; j < u; j++) h[s + j] = z[zo + j] * z[zc + j];
    }
  });

  const outShape = a.returnSequences ? [batch, steps, u] : [batch, u];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo([batch, u], 'float32', h),
    cpu.makeTensorInfo([batch, u], 'float32', c),
  ];
  return result;
};

/** The cpu registration of {@link LSTMSequence}. */
export const lstmSequenceConfig: KernelConfig = {
  kernelName: LSTMSequence,
  backendName: 'cpu',
  kernelFunc: lstmSequence,
};
