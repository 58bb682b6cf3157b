/** The one way a backend package puts its fused kernels into tfjs-core's kernel registry. */
import { getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';

/**
 * Registers `configs` with tfjs-core, skipping every kernel already registered for its backend
 * (the package imported twice, or a kernel an application registered first, which then wins).
 */
export function registerKernelConfigs(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
}
