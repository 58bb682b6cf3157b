/**
 * Fused whole-sequence SimpleRNN for the cpu backend: `h_t = act(x_t·W + b + h_{t−1}·U)`, with
 * the input projection hoisted over all steps.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SimpleRNNSequence } from '@rnnkit/core';
import { activateInPlace } from './shared/activations.js';
import { PANEL } from './shared/gemm.js';
import { readSequenceInputs, sequenceAttrs } from './shared/inputs.js';
import { recordingGradients } from './shared/saved.js';
import { simpleRNNSequenceRecording } from './SimpleRNNSequenceGrad.js';
import { projectInputs, runTimeLoop, type CellContext, type CellStep } from './shared/sequence.js';
import { multiply, packLeft, padColumns, sequenceWeights } from './shared/weights.js';

/** Runs the SimpleRNN; returns `[output, h]`. */
export const simpleRNNSequence: KernelFunc = (args) => {
  if (recordingGradients()) return simpleRNNSequenceRecording(args);
  const { inputs, backend, attrs } = args;
  const cpu = backend as MathBackendCPU;
  const a = sequenceAttrs(SimpleRNNSequence, attrs);
  const act = a.activation;
  const u = a.units;
  const p = readSequenceInputs(SimpleRNNSequence, inputs, cpu, a);
  const { batch, steps, h } = p;
  const segments = [u];
  const { kernel, recurrent } = sequenceWeights(cpu, inputs, p, segments);
  const xw = projectInputs(p, kernel, padColumns(p.bias, 0, kernel, segments));
  const step = simpleRNNCellStep({
    batch,
    steps,
    units: u,
    recurrent,
    xw,
    h,
    c: null,
    recurrentMask: p.recurrentMask,
    activation: act,
    recurrentActivation: null,
  });
  const output = runTimeLoop(p, a, step);

  const outShape = a.returnSequences ? [batch, steps, u] : [batch, u];
  const result: TensorInfo[] = [
    cpu.makeTensorInfo(outShape, 'float32', output),
    cpu.makeTensorInfo([batch, u], 'float32', h),
  ];
  return result;
};

/** The SimpleRNN cell step over projected inputs (see `CellContext`), updating `h` in place. */
export function simpleRNNCellStep(s: CellContext): CellStep {
  const { batch, steps, units: u, recurrent, xw, h, recurrentMask, activation: act } = s;
  const ld = PANEL * recurrent.panels; // the padded row length of xw and z
  const z = new Float32Array(batch * ld);
  return (t, active) => {
    packLeft(recurrent, h, 0, u, batch, recurrentMask);
    multiply(batch, recurrent, 0, recurrent.panels, xw, t * ld, steps * ld, z, 0, ld);
    for (let b = 0; b < batch; b++) {
      if (active[b] === 0) continue;
      const zb = b * ld;
      const s = b * u;
      activateInPlace(act, z, zb, u);
      for (let j = 0; j < u; j++) h[s + j] = z[zb + j];
    }
  };
}

/** The cpu registration of {@link SimpleRNNSequence}. */
export const simpleRNNSequenceConfig: KernelConfig = {
  kernelName: SimpleRNNSequence,
  backendName: 'cpu',
  kernelFunc: simpleRNNSequence,
};
