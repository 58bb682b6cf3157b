/** Every fused kernel this package provides, as tfjs `KernelConfig`s for the `webgpu` backend. */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { registerKernelConfigs } from '@rnnkit/core';
import { ConvLSTMSequenceConfig } from './kernels/ConvLSTMSequence.js';
import { ConvLSTMSequenceGradConfig } from './kernels/ConvLSTMSequenceGrad.js';
import { GRUSequenceConfig } from './kernels/GRUSequence.js';
import { GRUSequenceGradConfig } from './kernels/GRUSequenceGrad.js';
import { LSTMSequenceConfig } from './kernels/LSTMSequence.js';
import { LSTMSequenceGradConfig } from './kernels/LSTMSequenceGrad.js';
import { SimpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
import { SimpleRNNSequenceGradConfig } from './kernels/SimpleRNNSequenceGrad.js';

/**
 * The fused kernels, one per kernel of the family table, and the backward kernels
 * (`<kernel>Grad`) of every family.
 */
export const kernelConfigs: KernelConfig[] = [
  SimpleRNNSequenceConfig,
  LSTMSequenceConfig,
  GRUSequenceConfig,
  ConvLSTMSequenceConfig,
  SimpleRNNSequenceGradConfig,
  LSTMSequenceGradConfig,
  GRUSequenceGradConfig,
  ConvLSTMSequenceGradConfig,
];

/** Registers {@link kernelConfigs} with tfjs-core, skipping any already registered. */
export function registerKernels(): void {
  registerKernelConfigs(kernelConfigs);
}
