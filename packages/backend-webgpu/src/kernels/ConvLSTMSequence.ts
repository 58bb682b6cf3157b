/**
 * Fused whole-sequence ConvLSTM (ConvLSTM1D/2D/3D, channels last), Keras gate order
 * `i, f, c, o`; returns `[output, h, c]`.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ConvLSTMSequence } from '@rnnkit/core';
import { runConvLSTMSequence } from '../engine/run_conv_sequence.js';

/** Kernel function for `ConvLSTMSequence` on the webgpu backend. */
export const convLSTMSequenceKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runConvLSTMSequence(inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `ConvLSTMSequence` on the webgpu backend. */
export const ConvLSTMSequenceConfig: KernelConfig = {
  kernelName: ConvLSTMSequence,
  backendName: 'webgpu',
  kernelFunc: convLSTMSequenceKernel,
};
