/** Every kernel this package provides for the tfjs `wasm` backend. */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { convLSTMSequenceConfig } from './kernels/ConvLSTMSequence.js';
import { convLSTMSequenceGradConfig } from './kernels/ConvLSTMSequenceGrad.js';
import { gruSequenceConfig } from './kernels/GRUSequence.js';
import { gruSequenceGradConfig } from './kernels/GRUSequenceGrad.js';
import { lstmSequenceConfig } from './kernels/LSTMSequence.js';
import { lstmSequenceGradConfig } from './kernels/LSTMSequenceGrad.js';
import { simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
import { simpleRNNSequenceGradConfig } from './kernels/SimpleRNNSequenceGrad.js';

/**
 * The fused sequence kernels and the backward kernels (`<kernel>Grad`) of those that have one,
 * registered under the `wasm` backend.
 */
export const kernelConfigs: KernelConfig[] = [
  simpleRNNSequenceConfig,
  simpleRNNSequenceGradConfig,
  lstmSequenceConfig,
  lstmSequenceGradConfig,
  gruSequenceConfig,
  gruSequenceGradConfig,
  convLSTMSequenceConfig,
  convLSTMSequenceGradConfig,
];
