/**
 * @rnnkit/backend-cpu: fused whole-sequence recurrent kernels for the tfjs `cpu` backend.
 *
 * Importing this module registers the kernels (and, through @tensorflow/tfjs-backend-cpu, the
 * cpu backend itself). Layers of @rnnkit/core then run one fused kernel call per direction
 * whenever `cpu` is the active backend and no gradient is being recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
// A named, used import: bundlers may drop a bare side-effect import of this package.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { kernelConfigs } from './register_all.js';

export { kernelConfigs };
export { lstmSequence, lstmSequenceConfig } from './kernels/LSTMSequence.js';
export { gruSequence, gruSequenceConfig } from './kernels/GRUSequence.js';
export { simpleRNNSequence, simpleRNNSequenceConfig } from './kernels/SimpleRNNSequence.js';
export { fastSigmoid, fastTanh } from './kernels/shared/activations.js';

/** The tfjs backend these kernels run on. */
export const backendName = 'cpu';

/** Registers every kernel in {@link kernelConfigs} that is not registered yet. */
export function registerKernels(): void {
  for (const config of kernelConfigs) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}

registerKernels();

/** Registers the kernels if needed and makes `cpu` the active tfjs backend. */
export async function init(): Promise<void> {
  if (tf.findBackendFactory(backendName) == null) {
    tf.registerBackend(backendName, () => new MathBackendCPU(), 1);
  }
  registerKernels();
  const ok = await tf.setBackend(backendName);
  if (!ok)
    throw new Error(
      `init: expected the tfjs backend '${backendName}' to initialize, got a failure`,
    );
  await tf.ready();
}
