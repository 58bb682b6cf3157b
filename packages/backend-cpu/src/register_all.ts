/** Every kernel this package provides for the tfjs `cpu` backend. */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { convLSTMSequenceConfig } from './kernels/ConvLSTMSequence.js';
import { convLSTMSequenceGradConfig } from './kernels/ConvLSTMSequenceGrad.js';
import { gruSequenceConfig } from './kernels/GRUSequence.js';
import { gruSequenceGradConfig } from './kernels/GRUSequenceGrad.js';
import { lstmSequenceConfig } from './kernels/LSTMSequence.js';
import { lstmSequenceGradConfig } from './kernels/LSTMSequenceGrad.js';
import { simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
import { simpleRNNSequenceGradConfig } from './kernels/SimpleRNNSequenceGrad.js';

/** The fused sequence kernels and their backward kernels, registered under the `cpu` backend. */
export const kernelConfigs: KernelConfig[] = [
  simpleRNNSequenceConfig,
  lstmSequenceConfig,
  gruSequenceConfig,
  convLSTMSequenceConfig,
  simpleRNNSequenceGradConfig,
  lstmSequenceGradConfig,
  gruSequenceGradConfig,
  convLSTMSequenceGradConfig,
];
