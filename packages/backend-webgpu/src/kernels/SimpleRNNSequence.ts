/** Fused whole-sequence SimpleRNN; returns `[output, h]`. */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SimpleRNNSequence } from '@rnnkit/core';
import { runSequenceKernel } from '../engine/run_sequence.js';

/** Kernel function for `SimpleRNNSequence` on the webgpu backend. */
export const simpleSequenceKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceKernel(SimpleRNNSequence, 'simple', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `SimpleRNNSequence` on the webgpu backend. */
export const SimpleRNNSequenceConfig: KernelConfig = {
  kernelName: SimpleRNNSequence,
  backendName: 'webgpu',
  kernelFunc: simpleSequenceKernel,
};
