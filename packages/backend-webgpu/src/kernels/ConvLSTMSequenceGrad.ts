/**
 * Fused backward ConvLSTM (`ConvLSTMSequence` gradient, ConvLSTM1D/2D/3D): the forward pass
 * recomputed on the GPU keeping its activations, the reverse-time loop (two dispatches per step)
 * and the hoisted weight, input and bias gradients (`../engine/run_conv_backward.ts`); `3·T + 5`
 * dispatches per call.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ConvLSTMSequence, sequenceGradKernelName } from '@rnnkit/core';
import { runConvLSTMBackward } from '../engine/run_conv_backward.js';

/** Kernel function for `ConvLSTMSequenceGrad` on the webgpu backend. */
export const convLSTMSequenceGradKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runConvLSTMBackward(inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `ConvLSTMSequenceGrad` on the webgpu backend. */
export const ConvLSTMSequenceGradConfig: KernelConfig = {
  kernelName: sequenceGradKernelName(ConvLSTMSequence),
  backendName: 'webgpu',
  kernelFunc: convLSTMSequenceGradKernel,
};
