/**
 * Fused backward SimpleRNN for the tfjs `wasm` backend (`RnnkitSimpleRNNSequenceGrad`):
 * `dz = dh ⊙ act'(z)`, `dh_{t−1} = rm ⊙ (dz·Uᵀ)` per step, in the WebAssembly module.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { sequenceGradKernelName, SimpleRNNSequence } from '@rnnkit/core';
import { runSequenceGrad } from './shared/run_grad.js';

/** Returns the gradients `[dx, dKernel, dRecurrentKernel, dBias, dInitialH]`. */
export const simpleRNNSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceGrad(SimpleRNNSequence, inputs, backend, attrs);

/** The wasm registration of the SimpleRNN backward kernel. */
export const simpleRNNSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(SimpleRNNSequence),
  backendName: 'wasm',
  kernelFunc: simpleRNNSequenceGrad,
};
