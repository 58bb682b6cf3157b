/**
 * The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` the fused kernels use. Some are private
 * in its typings (the command encoder, the tensor map); this file is the one place that reaches
 * into them, so a tfjs upgrade has one place to check.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** What the kernels read from and call on the backend. */
export interface BackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  bufferManager: {
    acquireBuffer(size: number, usage: number): GPUBuffer;
    releaseBuffer(buffer: GPUBuffer): void;
  };
  tensorMap: {
    get(dataId: object): { dtype: string; resource?: unknown; values?: unknown };
  };
  commandEncoder: GPUCommandEncoder | null;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** Views a `WebGPUBackend` through {@link BackendInternals}, checking the members exist. */
export function internals(backend: WebGPUBackend): BackendInternals {
  const b = backend as unknown as BackendInternals;
  if (b.device == null || b.bufferManager == null || b.tensorMap == null) {
    throw new Error(
      'rnnkit webgpu kernels: expected a tfjs-backend-webgpu 4.x WebGPUBackend ' +
        '(device, bufferManager, tensorMap), got an object without them',
    );
  }
  return b;
}

/** The GPU buffer holding `tensor`, uploading CPU-side values first. */
export function gpuBuffer(b: BackendInternals, tensor: TensorInfo, argument: string): GPUBuffer {
  b.uploadToGPU(tensor.dataId);
  const resource = b.tensorMap.get(tensor.dataId).resource;
  if (resource == null || typeof (resource as GPUBuffer).mapAsync !== 'function') {
    throw new Error(`rnnkit webgpu kernels: ${argument} must live in a GPUBuffer, got a texture`);
  }
  return resource as GPUBuffer;
}

/** The command encoder tfjs records into, with its open compute pass (if any) ended. */
export function commandEncoder(b: BackendInternals): GPUCommandEncoder {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  if (b.commandEncoder == null) throw new Error('rnnkit webgpu kernels: no command encoder');
  return b.commandEncoder;
}
