/**
 * Fused backward GRU (`GRUSequence` gradient): the forward pass recomputed on the GPU
 * keeping its activations, the reverse-time loop, and the hoisted weight products
 * (`../engine/run_backward.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GRUSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runSequenceBackward } from '../engine/run_backward.js';

/** Kernel function for `GRUSequenceGrad` on the webgpu backend. */
export const gruSequenceGradKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceBackward(GRUSequence, 'gru', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `GRUSequenceGrad` on the webgpu backend. */
export const GRUSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(GRUSequence),
  backendName: 'webgpu',
  kernelFunc: gruSequenceGradKernel,
};
