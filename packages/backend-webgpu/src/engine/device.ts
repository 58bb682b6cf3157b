/**
 * Per-backend bookkeeping: a count of compute dispatches (the fused kernels' own plus every
 * program tfjs records) and device-loss tracking, so a lost device fails loudly instead of
 * recording work that never runs.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

let dispatchCount = 0;
const tracked = new WeakSet<object>();
const lostInfo = new WeakMap<GPUDevice, { reason: string; message: string }>();

/**
 * Compute dispatches recorded on the tfjs `webgpu` backend since the last
 * {@link resetDispatchCount}: the fused recurrent kernels' own, plus one per program tfjs
 * records (its `recordAndSubmit`), such as the input projection's matrix product. Counting
 * starts once the backend is seen by {@link init} or by a fused kernel.
 */
export function getDispatchCount(): number {
  return dispatchCount;
}

/** Sets the count returned by {@link getDispatchCount} to zero. */
export function resetDispatchCount(): void {
  dispatchCount = 0;
}

/** Adds `n` dispatches recorded outside tfjs's own program path. */
export function countDispatches(n: number): void {
  dispatchCount += n;
}

/**
 * Starts counting the dispatches `backend` records and watching its device for loss (kernels
 * then throw, and failed reads say the device was lost). Idempotent per backend instance.
 */
export function trackBackend(backend: WebGPUBackend): void {
  if (tracked.has(backend)) return;
  tracked.add(backend);
  const target = backend as unknown as { recordAndSubmit?: (...args: unknown[]) => unknown };
  const record = target.recordAndSubmit;
  if (typeof record === 'function') {
    // Each recordAndSubmit call records exactly one dispatchWorkgroups.
    target.recordAndSubmit = function (this: unknown, ...args: unknown[]) {
      dispatchCount++;
      return record.apply(this, args);
    };
  }
  const device = backend.device;
  const lost = device.lost.then((info) => {
    const summary = { reason: String(info.reason), message: info.message };
    lostInfo.set(device, summary);
    return summary;
  });
  // tfjs's reads reject with an empty message once the device is gone; say why instead.
  const reader = backend as unknown as { getBufferData?: (...args: unknown[]) => Promise<unknown> };
  const read = reader.getBufferData;
  if (typeof read === 'function') {
    reader.getBufferData = async function (this: unknown, ...args: unknown[]) {
      try {
        return await read.apply(this, args);
      } catch (e) {
        const info =
          lostInfo.get(device) ??
          (await Promise.race([lost, new Promise<undefined>((r) => setTimeout(r, 100))]));
        if (info != null) throw new Error(lostMessage('reading a tensor', info), { cause: e });
        throw e;
      }
    };
  }
}

function lostMessage(what: string, info: { reason: string; message: string }): string {
  return (
    `${what}: the WebGPU device was lost (reason: ${info.reason}` +
    `${info.message ? `, "${info.message}"` : ''}); no further GPU work can run on it. ` +
    `Dispose the tfjs 'webgpu' backend (tf.removeBackend('webgpu')) and call init() again ` +
    `for a new device.`
  );
}

/** Throws a descriptive error when `device` has been reported lost. */
export function assertDeviceAlive(device: GPUDevice, kernelName: string): void {
  const info = lostInfo.get(device);
  if (info != null) throw new Error(lostMessage(kernelName, info));
}
