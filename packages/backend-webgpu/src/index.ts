/**
 * @rnnkit/backend-webgpu: fused whole-sequence recurrent kernels (WGSL) for the tfjs `webgpu`
 * backend. Importing this module registers the kernels; {@link init} also makes `webgpu` the
 * active backend. In Node, import from `@rnnkit/backend-webgpu/node` instead, which provides
 * `navigator.gpu` through Dawn first.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { backend, getBackend, ready, setBackend } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { registerKernels } from './register_all.js';
import { ADAPTER_HINT, ensureBackendRegistered } from './engine/register_backend.js';
import { trackBackend } from './engine/device.js';

registerKernels();

/** The tfjs backend these kernels are registered for. */
export const backendName = 'webgpu';

export { kernelConfigs, registerKernels } from './register_all.js';
export { getDispatchCount, resetDispatchCount } from './engine/device.js';
export {
  getRecurrencePath,
  planRecurrence,
  setRecurrencePath,
  type RecurrenceLimits,
  type RecurrencePath,
  type RecurrencePlan,
  type RecurrenceShape,
} from './engine/plan.js';

/**
 * Registers the tfjs `webgpu` backend (if tfjs-backend-webgpu did not) and the fused kernels,
 * then makes `webgpu` the active backend. Rejects with a message saying how to get an adapter
 * when WebGPU is unavailable.
 */
export async function init(): Promise<void> {
  ensureBackendRegistered();
  registerKernels();
  let ok = false;
  let cause: unknown;
  try {
    ok = await setBackend(backendName);
  } catch (e) {
    cause = e;
  }
  if (!ok || getBackend() !== backendName) {
    throw new Error(
      `@rnnkit/backend-webgpu: could not initialize the 'webgpu' backend. ${ADAPTER_HINT}`,
      {
        cause,
      },
    );
  }
  await ready();
  trackBackend(backend() as WebGPUBackend);
}
