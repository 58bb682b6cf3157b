/**
 * Runs one whole-sequence kernel call on the webgpu backend:
 *
 * 1. the input projection `x·kernel` for all steps as one matrix product (tfjs's own
 *    `BatchMatMul` program, one dispatch);
 * 2. the recurrence, recorded into tfjs's command encoder: one dispatch on the workgroup path,
 *    one (or two) per step on the per-step path, all in one compute pass; biases, masks, gates
 *    and output placement happen inside it;
 * 3. one queue submit. Outputs stay on the GPU; nothing is read back.
 */
import {
  getKernel,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { SequenceKernelName } from '@rnnkit/core';
import { commandEncoder, gpuBuffer, internals } from './backend_internals.js';
import { assertDeviceAlive, countDispatches, trackBackend } from './device.js';
import { getPipelines } from './pipelines.js';
import { planRecurrence } from './plan.js';
import { checkCall, type CheckedCall } from './validate.js';
import { alignTo, bindEntries, emptyOrZeros, gpuOutput, perStepParams } from './step_buffers.js';
import { BINDING, PER_STEP_PARAMS_BYTES, hasCellState, isTwoPhase, type Family } from './wgsl.js';

const BACKEND = 'webgpu';

/** tfjs's own webgpu kernel `name` (one program, so one dispatch, per call). */
export function tfjsKernel(name: string): KernelFunc {
  const config = getKernel(name, BACKEND);
  if (config == null) {
    throw new Error(
      `rnnkit webgpu kernels: tfjs kernel '${name}' is not registered for '${BACKEND}'; ` +
        `import '@tensorflow/tfjs-backend-webgpu' before running`,
    );
  }
  return config.kernelFunc;
}

/** `x·kernel` as `[B·T, G·U]`: a free reshape, then tfjs's matrix product (one dispatch). */
export function project(backend: WebGPUBackend, c: CheckedCall): TensorInfo {
  const { batch, steps, inputDim } = c;
  const flat = tfjsKernel('Reshape')({
    inputs: { x: c.x },
    backend,
    attrs: { shape: [batch * steps, inputDim] },
  }) as TensorInfo;
  const product = tfjsKernel('BatchMatMul')({
    inputs: { a: flat, b: c.kernel },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as TensorInfo;
  backend.disposeData(flat.dataId);
  return product;
}

/** Runs kernel `kernelName` of `family`; returns `[output, h]` or `[output, h, c]`. */
export function runSequenceKernel(
  kernelName: SequenceKernelName,
  family: Family,
  inputs: NamedTensorInfoMap,
  backend: WebGPUBackend,
  attrs: NamedAttrMap,
): TensorInfo[] {
  const b = internals(backend);
  trackBackend(backend);
  assertDeviceAlive(b.device, kernelName);
  const c = checkCall(kernelName, family, inputs, attrs);
  const { batch, steps, units, config } = c;
  const lstm = hasCellState(family); // a c state, as LSTM has
  const outShape = config.returnSequences ? [batch, steps, units] : [batch, units];

  if (batch === 0) {
    const empty = [outShape, [0, units], [0, units]].map((s) => emptyOrZeros(b, s));
    return lstm ? empty : empty.slice(0, 2);
  }

  const stateBytes = batch * units * 4;
  const out =
    steps === 0 ? { info: emptyOrZeros(b, outShape), buffer: null } : gpuOutput(b, outShape);
  const hOut = gpuOutput(b, [batch, units]);
  const cOut = lstm ? gpuOutput(b, [batch, units]) : null;
  const initialH = gpuBuffer(b, c.initialH, 'initialH');
  const initialC = lstm && c.initialC != null ? gpuBuffer(b, c.initialC, 'initialC') : null;

  if (steps === 0) {
    // Nothing to run: the states pass through unchanged.
    const encoder = commandEncoder(b);
    encoder.copyBufferToBuffer(initialH, 0, hOut.buffer, 0, stateBytes);
    if (cOut != null && initialC != null) {
      encoder.copyBufferToBuffer(initialC, 0, cOut.buffer, 0, stateBytes);
    }
    b.submitQueue();
    return cOut != null ? [out.info, hOut.info, cOut.info] : [out.info, hOut.info];
  }

  const plan = planRecurrence(
    { batch, steps, units, twoPhase: isTwoPhase(config) },
    b.device.limits,
  );
  const projected = project(backend, c);
  const pipelines = getPipelines(b.device, config, plan);
  const bufferOf: Partial<Record<keyof typeof BINDING, GPUBuffer>> = {
    xp: gpuBuffer(b, projected, 'projected inputs'),
    rk: gpuBuffer(b, c.recurrentKernel, 'recurrentKernel'),
    bias: gpuBuffer(b, c.bias, 'bias'),
    mask: c.mask != null ? gpuBuffer(b, c.mask, 'mask') : undefined,
    rmask: c.recurrentMask != null ? gpuBuffer(b, c.recurrentMask, 'recurrentMask') : undefined,
    out: out.buffer ?? undefined,
  };

  const usage = GPUBufferUsage;
  const released: GPUBuffer[] = [];
  const acquire = (size: number, use: number) => {
    const buffer = b.bufferManager.acquireBuffer(size, use);
    released.push(buffer);
    return buffer;
  };
  const encoder = commandEncoder(b);
  let recorded: () => void;

  if (plan.path === 'workgroup') {
    // The kernel reads its initial state from, and leaves its final state in, hOut / cOut.
    encoder.copyBufferToBuffer(initialH, 0, hOut.buffer, 0, stateBytes);
    if (cOut != null && initialC != null) {
      encoder.copyBufferToBuffer(initialC, 0, cOut.buffer, 0, stateBytes);
    }
    bufferOf.hst = hOut.buffer;
    if (cOut != null) bufferOf.cst = cOut.buffer;
    const params = acquire(16, usage.UNIFORM | usage.COPY_DST);
    b.queue.writeBuffer(params, 0, new Uint32Array([batch, steps, 0, 0]));
    const bindGroup = b.device.createBindGroup({
      layout: pipelines.layout,
      entries: bindEntries(BINDING, bufferOf, params, 16),
    });
    recorded = () => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipelines.main);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(plan.grid[0], plan.grid[1]);
      pass.end();
    };
  } else {
    // Scratch regions of B·U floats: state block 0, state block 1 (h, and c for LSTM), then
    // z and r ⊙ h for two-phase GRU.
    const stateRegions = lstm ? 2 : 1;
    const regions = 2 * stateRegions + (isTwoPhase(config) ? 2 : 0);
    const scratch = acquire(regions * stateBytes, usage.STORAGE | usage.COPY_SRC | usage.COPY_DST);
    encoder.copyBufferToBuffer(initialH, 0, scratch, 0, stateBytes);
    if (initialC != null) encoder.copyBufferToBuffer(initialC, 0, scratch, stateBytes, stateBytes);
    bufferOf.hst = scratch;
    const stride = alignTo(PER_STEP_PARAMS_BYTES, b.device.limits.minUniformBufferOffsetAlignment);
    const params = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
    b.queue.writeBuffer(
      params,
      0,
      perStepParams({ batch, steps, ...config }, stride, stateRegions * batch * units),
    );
    const bindGroup = b.device.createBindGroup({
      layout: pipelines.layout,
      entries: bindEntries(BINDING, bufferOf, params, PER_STEP_PARAMS_BYTES),
    });
    recorded = () => {
      const pass = encoder.beginComputePass();
      for (let s = 0; s < steps; s++) {
        pass.setBindGroup(0, bindGroup, [s * stride]);
        if (pipelines.gates != null) {
          pass.setPipeline(pipelines.gates);
          pass.dispatchWorkgroups(plan.grid[0], plan.grid[1]);
        }
        pass.setPipeline(pipelines.main);
        pass.dispatchWorkgroups(plan.grid[0], plan.grid[1]);
      }
      pass.end();
      // Step s writes block (s + 1) % 2, so the final states sit in block steps % 2.
      const final = (steps % 2) * stateRegions * stateBytes;
      encoder.copyBufferToBuffer(scratch, final, hOut.buffer, 0, stateBytes);
      if (cOut != null) {
        encoder.copyBufferToBuffer(scratch, final + stateBytes, cOut.buffer, 0, stateBytes);
      }
    };
  }
  recorded();
  countDispatches(plan.dispatches);
  b.submitQueue();
  // Safe once submitted: later users of these buffers are ordered after this work.
  for (const buffer of released) b.bufferManager.releaseBuffer(buffer);
  b.disposeData(projected.dataId);
  return cOut != null ? [out.info, hOut.info, cOut.info] : [out.info, hOut.info];
}
