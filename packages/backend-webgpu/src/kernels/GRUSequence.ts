/** Fused whole-sequence GRU, Keras gate order `z, r, h`, both `resetAfter` modes; returns `[output, h]`. */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GRUSequence } from '@rnnkit/core';
import { runSequenceKernel } from '../engine/run_sequence.js';

/** Kernel function for `GRUSequence` on the webgpu backend. */
export const gruSequenceKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceKernel(GRUSequence, 'gru', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `GRUSequence` on the webgpu backend. */
export const GRUSequenceConfig: KernelConfig = {
  kernelName: GRUSequence,
  backendName: 'webgpu',
  kernelFunc: gruSequenceKernel,
};
