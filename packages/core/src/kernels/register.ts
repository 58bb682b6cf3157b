/** The one way a backend package puts its fused kernels into tfjs-core's kernel registry. */
import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { getStepKernel, registerStepKernel, type StepKernelConfig } from './step.js';

/**
 * Registers sequence kernels `configs` with tfjs-core, and step kernels `stepConfigs` with core's
 * step-kernel registry, skipping every kernel already registered for its backend (the package
 * imported twice, or a kernel an application registered first, which then wins).
 */
export function registerKernelConfigs(
  configs: readonly KernelConfig[],
  stepConfigs: readonly StepKernelConfig[] = [],
): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
  for (const config of stepConfigs) {
    if (getStepKernel(config.kernelName, config.backendName) == null) registerStepKernel(config);
  }
}
