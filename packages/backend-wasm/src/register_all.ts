/** Every kernel this package provides for the tfjs `wasm` backend. */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { convLSTMSequenceConfig } from './kernels/ConvLSTMSequence.js';
import { gruSequenceConfig } from './kernels/GRUSequence.js';
import { lstmSequenceConfig } from './kernels/LSTMSequence.js';
import { simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';

/** The fused sequence kernels, registered under the `wasm` backend. */
export const kernelConfigs: KernelConfig[] = [
  simpleRNNSequenceConfig,
  lstmSequenceConfig,
  gruSequenceConfig,
  convLSTMSequenceConfig,
];
