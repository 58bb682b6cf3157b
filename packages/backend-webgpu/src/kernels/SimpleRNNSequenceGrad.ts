/**
 * Fused backward SimpleRNN (`SimpleRNNSequence` gradient): the forward pass recomputed on the GPU
 * keeping its activations, the reverse-time loop, and the hoisted weight products
 * (`../engine/run_backward.ts`).
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SimpleRNNSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runSequenceBackward } from '../engine/run_backward.js';

/** Kernel function for `SimpleRNNSequenceGrad` on the webgpu backend. */
export const simpleRNNSequenceGradKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceBackward(SimpleRNNSequence, 'simple', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `SimpleRNNSequenceGrad` on the webgpu backend. */
export const SimpleRNNSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(SimpleRNNSequence),
  backendName: 'webgpu',
  kernelFunc: simpleRNNSequenceGradKernel,
};
