/**
 * Registers the tfjs `webgpu` backend when tfjs-backend-webgpu could not: it registers its
 * factory only if `navigator.gpu` exists when the module is first evaluated, which in Node comes
 * before Dawn is installed. The factory mirrors tfjs-backend-webgpu 4.22's own.
 */
import { env, findBackendFactory, registerBackend } from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** Hint appended to errors when no adapter is available. */
export const ADAPTER_HINT =
  'In a browser, use one with WebGPU enabled. In Node, import init() from ' +
  "'@rnnkit/backend-webgpu/node' (Dawn); without a GPU on Debian/Ubuntu, run " +
  'scripts/install-webgpu-deps.sh as root for the SwiftShader Vulkan driver.';

async function createBackend(): Promise<WebGPUBackend> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu == null) throw new Error(`navigator.gpu is not available. ${ADAPTER_HINT}`);
  const adapter = await gpu.requestAdapter({
    powerPreference: env().get('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance',
  });
  if (adapter == null)
    throw new Error(`navigator.gpu.requestAdapter() found no adapter. ${ADAPTER_HINT}`);
  const features: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
  if (adapter.features.has('bgra8unorm-storage')) features.push('bgra8unorm-storage');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  return new WebGPUBackend(device, adapter.info);
}

/** Registers the `webgpu` backend factory unless one is registered already. */
export function ensureBackendRegistered(): void {
  if (findBackendFactory('webgpu') == null) registerBackend('webgpu', createBackend, 3);
}
