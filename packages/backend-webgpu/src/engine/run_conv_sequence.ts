/**
 * Runs one ConvLSTM kernel call on the webgpu backend, recorded into tfjs's command encoder as
 * one compute pass of `1 + T` dispatches (see `conv_wgsl.ts`):
 *
 * 1. the input convolution of all `B·T` frames, bias included, into a scratch buffer `xw`;
 * 2. per step, the recurrent convolution, gates, mask and state update; `h` and `c` ping-pong
 *    between two blocks of a scratch buffer, one uniform block per step at a dynamic offset;
 * 3. the final states copied out, one queue submit. Nothing is read back.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ConvLSTMSequence, RnnkitError } from '@rnnkit/core';
import { commandEncoder, gpuBuffer, internals } from './backend_internals.js';
import { getConvPipelines } from './conv_pipelines.js';
import { checkConvCall } from './conv_validate.js';
import {
  CONV_BINDING,
  CONV_WORKGROUP,
  filtersPerInvocation,
  type ConvBufferName,
} from './conv_wgsl.js';
import { assertDeviceAlive, countDispatches, trackBackend } from './device.js';
import { alignTo, bindEntries, emptyOrZeros, gpuOutput, perStepParams } from './step_buffers.js';
import { PER_STEP_PARAMS_BYTES } from './wgsl.js';

/**
 * Workgroups for `invocations` along one flattened index, as `[x, y]` within the device's
 * per-dimension limit (the shaders rebuild the index from `num_workgroups`).
 */
export function grid(
  invocations: number,
  limits: GPUSupportedLimits,
  kernelName: string = ConvLSTMSequence,
): [number, number] {
  const groups = Math.ceil(invocations / CONV_WORKGROUP);
  const x = Math.min(groups, limits.maxComputeWorkgroupsPerDimension);
  const y = Math.ceil(groups / x);
  if (y > limits.maxComputeWorkgroupsPerDimension) {
    throw new RnnkitError(
      `${kernelName}: x: expected at most ` +
        `${CONV_WORKGROUP * limits.maxComputeWorkgroupsPerDimension ** 2} invocations for this ` +
        `device, got ${invocations}`,
    );
  }
  return [x, y];
}

/** Runs the ConvLSTM; returns `[output, h, c]`. */
export function runConvLSTMSequence(
  inputs: NamedTensorInfoMap,
  backend: WebGPUBackend,
  attrs: NamedAttrMap,
): TensorInfo[] {
  const b = internals(backend);
  trackBackend(backend);
  assertDeviceAlive(b.device, ConvLSTMSequence);
  const c = checkConvCall(inputs, attrs);
  const { batch, steps, config } = c;
  const filters = config.filters;
  const stateShape = [batch, ...c.outSpatial, filters];
  const outShape = config.returnSequences ? [batch, steps, ...c.outSpatial, filters] : stateShape;
  if (batch === 0) return [outShape, stateShape, stateShape].map((s) => emptyOrZeros(b, s));

  const stateSize = stateShape.reduce((a, d) => a * d, 1);
  const stateBytes = stateSize * 4;
  const out =
    steps === 0 ? { info: emptyOrZeros(b, outShape), buffer: null } : gpuOutput(b, outShape);
  const hOut = gpuOutput(b, stateShape);
  const cOut = gpuOutput(b, stateShape);
  const initialH = gpuBuffer(b, c.initialH, 'initialH');
  const initialC = gpuBuffer(b, c.initialC, 'initialC');
  if (out.buffer == null) {
    // Nothing to run: the states pass through unchanged.
    const encoder = commandEncoder(b);
    encoder.copyBufferToBuffer(initialH, 0, hOut.buffer, 0, stateBytes);
    encoder.copyBufferToBuffer(initialC, 0, cOut.buffer, 0, stateBytes);
    b.submitQueue();
    return [out.info, hOut.info, cOut.info];
  }

  const limits = b.device.limits;
  const projectedBytes = steps * stateBytes * 4; // B·T·P·4F float32 values
  if (projectedBytes > limits.maxStorageBufferBindingSize) {
    throw new RnnkitError(
      `${ConvLSTMSequence}: x: expected batch·time·positions·4·filters ≤ ` +
        `${Math.floor(limits.maxStorageBufferBindingSize / 4)} (this device's storage buffer ` +
        `limit), got ${projectedBytes / 4}`,
    );
  }
  // One invocation per (frame or row, position, group of filtersPerInvocation filters).
  const perInvocation = filtersPerInvocation(filters);
  const projectGrid = grid((steps * stateSize) / perInvocation, limits);
  const stepGrid = grid(stateSize / perInvocation, limits);
  const pipelines = getConvPipelines(b.device, config);

  const usage = GPUBufferUsage;
  const released: GPUBuffer[] = [];
  const acquire = (size: number, use: number) => {
    const buffer = b.bufferManager.acquireBuffer(size, use);
    released.push(buffer);
    return buffer;
  };
  const storage = usage.STORAGE | usage.COPY_SRC | usage.COPY_DST;
  // Scratch states: block 0 (h, c), then block 1 (h, c); step s reads block s % 2.
  const scratch = acquire(4 * stateBytes, storage);
  const stride = alignTo(PER_STEP_PARAMS_BYTES, limits.minUniformBufferOffsetAlignment);
  const params = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
  b.queue.writeBuffer(params, 0, perStepParams(c, stride, 2 * stateSize));
  const xw = acquire(projectedBytes, storage);
  const bindGroup = (
    entry: { layout: GPUBindGroupLayout },
    buffers: Partial<Record<ConvBufferName, GPUBuffer>>,
  ) =>
    b.device.createBindGroup({
      layout: entry.layout,
      entries: bindEntries(CONV_BINDING, buffers, params, PER_STEP_PARAMS_BYTES),
    });
  const projectGroup = bindGroup(pipelines.project, {
    x: gpuBuffer(b, c.x, 'x'),
    kernel: gpuBuffer(b, c.kernel, 'kernel'),
    bias: gpuBuffer(b, c.bias, 'bias'),
    xw,
  });
  const stepGroup = bindGroup(pipelines.main, {
    xw,
    rk: gpuBuffer(b, c.recurrentKernel, 'recurrentKernel'),
    mask: c.mask != null ? gpuBuffer(b, c.mask, 'mask') : undefined,
    rmask: c.recurrentMask != null ? gpuBuffer(b, c.recurrentMask, 'recurrentMask') : undefined,
    out: out.buffer,
    hst: scratch,
  });

  const encoder = commandEncoder(b);
  encoder.copyBufferToBuffer(initialH, 0, scratch, 0, stateBytes);
  encoder.copyBufferToBuffer(initialC, 0, scratch, stateBytes, stateBytes);
  const pass = encoder.beginComputePass();
  pass.setBindGroup(0, projectGroup, [0]); // the projection reads batch and steps from block 0
  pass.setPipeline(pipelines.project.pipeline);
  pass.dispatchWorkgroups(projectGrid[0], projectGrid[1]);
  pass.setPipeline(pipelines.main.pipeline);
  for (let s = 0; s < steps; s++) {
    pass.setBindGroup(0, stepGroup, [s * stride]);
    pass.dispatchWorkgroups(stepGrid[0], stepGrid[1]);
  }
  pass.end();
  // Step s writes block (s + 1) % 2, so the final states sit in block steps % 2.
  const final = (steps % 2) * 2 * stateBytes;
  encoder.copyBufferToBuffer(scratch, final, hOut.buffer, 0, stateBytes);
  encoder.copyBufferToBuffer(scratch, final + stateBytes, cOut.buffer, 0, stateBytes);
  countDispatches(1 + steps);
  b.submitQueue();
  // Safe once submitted: later users of these buffers are ordered after this work.
  for (const buffer of released) b.bufferManager.releaseBuffer(buffer);
  return [out.info, hOut.info, cOut.info];
}
