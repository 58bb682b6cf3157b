/** Fused whole-sequence LSTM, Keras gate order `i, f, c, o`; returns `[output, h, c]`. */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LSTMSequence } from '@rnnkit/core';
import { runSequenceKernel } from '../engine/run_sequence.js';

/** Kernel function for `LSTMSequence` on the webgpu backend. */
export const lstmSequenceKernel: KernelFunc = ({ inputs, backend, attrs }) =>
  runSequenceKernel(LSTMSequence, 'lstm', inputs, backend as WebGPUBackend, attrs ?? {});

/** Registration record for `LSTMSequence` on the webgpu backend. */
export const LSTMSequenceConfig: KernelConfig = {
  kernelName: LSTMSequence,
  backendName: 'webgpu',
  kernelFunc: lstmSequenceKernel,
};
