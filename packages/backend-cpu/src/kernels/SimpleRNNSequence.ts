/**
 * Fused whole-sequence SimpleRNN for the cpu backend: `h_t = act(x_t·W + b + h_{t−1}·U)`, with
 * the input projection hoisted over all steps.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SimpleRNNSequence } from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import { gemmNT, transpose } from './shared/gemm.js';
import { readSequenceInputs, sequenceAttrs } from './shared/inputs.js';
import { projectInputs, recurrentInput, runTimeLoop } from './shared/sequence.js';

/** Runs the SimpleRNN; returns `[output, h]`. */
export const simpleRNNSequence: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(SimpleRNNSequence, attrs);
  const act = a.activation;
  const u = a.units;
  const p = readSequenceInputs(SimpleRNNSequence, inputs, cpu, u, 1, [u], false);
  const { batch, steps, h } = p;
  const xw = projectInputs(p, u, p.bias);
  const rt = transpose(p.recurrentKernel, 0, u, u);
  const z = new Float32Array(batch * u);
  const hScratch = p.recurrentMask == null ? null : new Float32Array(batch * u);

  const output = runTimeLoop(p, a, (t, active) => {
    const hIn = recurrentInput(p, hScratch);
    gemmNT(batch, u, u, hIn, 0, u, rt, 0, xw, t * u, steps * u, z, 0, u);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const s = b * u;
      activateInPlace(act, z, s, u);
      for (let j = 0; j < u; j++) h[s + j] = z[s + j];
    }
  });

  const outShape = a.returnSequences ? [batch, steps, u] : [batch, u];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo([batch, u], 'float32', h),
  ];
  return result;
};

/** The cpu registration of {@link SimpleRNNSequence}. */
export const simpleRNNSequenceConfig: KernelConfig = {
  kernelName: SimpleRNNSequence,
  backendName: 'cpu',
  kernelFunc: simpleRNNSequence,
};
