/**
 * Fused backward LSTM (`LSTMSequence` gradient): the forward pass recomputed on the GPU
 * keeping its activations, the reverse-time loop, and the hoisted weight products
 * (`../engine/run_backward.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runSequenceBackward } from '../engine/run_backward.js';

/** Kernel function for `LSTMSequenceGrad` on the webgpu backend. */
export const lstmSequenceGradKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceBackward(LSTMSequence, 'lstm', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `LSTMSequenceGrad` on the webgpu backend. */
export const LSTMSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(LSTMSequence),
  backendName: 'webgpu',
  kernelFunc: lstmSequenceGradKernel,
};
