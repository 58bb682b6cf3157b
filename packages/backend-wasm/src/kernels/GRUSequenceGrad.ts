/**
 * Fused backward GRU for the tfjs `wasm` backend (`RnnkitGRUSequenceGrad`), in the
 * WebAssembly module (`assembly/backward.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { GRUSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runSequenceGrad } from './shared/run_grad.js';

/** Returns the gradients of the input, the weights and the initial states. */
export const gruSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceGrad(GRUSequence, inputs, backend, attrs);

/** The wasm registration of the GRU backward kernel. */
export const gruSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(GRUSequence),
  backendName: 'wasm',
  kernelFunc: gruSequenceGrad,
};
