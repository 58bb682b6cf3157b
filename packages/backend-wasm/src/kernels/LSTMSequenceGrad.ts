/**
 * Fused backward LSTM for the tfjs `wasm` backend (`RnnkitLSTMSequenceGrad`), in the
 * WebAssembly module (`assembly/backward.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { LSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runSequenceGrad } from './shared/run_grad.js';

/** Returns the gradients of the input, the weights and the initial states. */
export const lstmSequenceGrad: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceGrad(LSTMSequence, inputs, backend, attrs);

/** The wasm registration of the LSTM backward kernel. */
export const lstmSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(LSTMSequence),
  backendName: 'wasm',
  kernelFunc: lstmSequenceGrad,
};
