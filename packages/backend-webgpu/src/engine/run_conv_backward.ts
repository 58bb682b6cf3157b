/**
 * Runs one ConvLSTM backward call (`ConvLSTMSequenceGrad`) on the webgpu backend, from the
 * forward call's inputs and its outputs' gradients, recorded into tfjs's command encoder as one
 * compute pass (see `conv_wgsl_backward.ts`):
 *
 * 1. the input convolution of all `B·T` frames, bias included (the forward's `project`, one
 *    dispatch);
 * 2. the forward pass again, keeping every step's gate pre-activations, `h_in` and `c_{t−1}`
 *    (`T` dispatches);
 * 3. the reverse-time loop: per step, the gate gradients, then the transposed recurrent
 *    convolution that forms `dh_{t−1}` from every position's gate gradients (`2·T` dispatches);
 * 4. hoisted out of the loop, each over all `B·T` frames: `dW`, `dU`, `dx` and `db`
 *    (4 dispatches);
 * 5. the initial states' gradients copied out, one queue submit.
 *
 * So a call records `3·T + 5` dispatches. Nothing is read back; the gradients stay on the GPU.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  checkConvLSTMGradients,
  ConvLSTMSequence,
  RnnkitError,
  sequenceGradKernelName,
} from '@rnnkit/core';
import {
  commandEncoder,
  gpuBuffer,
  internals,
  type BackendInternals,
} from './backend_internals.js';
import { getConvBackwardPipelines } from './conv_backward_pipelines.js';
import { getConvPipelines } from './conv_pipelines.js';
import { checkConvCall, type CheckedConvCall } from './conv_validate.js';
import { CONV_BINDING, CONV_WORKGROUP, filtersPerInvocation, product } from './conv_wgsl.js';
import {
  CONV_BACK_BINDING,
  convBackBindings,
  type ConvBackBufferName,
  type ConvBackEntry,
} from './conv_wgsl_backward.js';
import { assertDeviceAlive, countDispatches, trackBackend } from './device.js';
import { grid } from './run_conv_sequence.js';
import {
  alignTo,
  bindEntries,
  emptyOrZeros,
  gpuOutput,
  perStepParams,
  reverseStepParams,
} from './step_buffers.js';
import { PER_STEP_PARAMS_BYTES } from './wgsl.js';

const GRAD_NAME = sequenceGradKernelName(ConvLSTMSequence);

/** Dispatches one backward call over `steps` steps records (see the module comment). */
export function convBackwardDispatches(steps: number): number {
  return 3 * steps + 5;
}

/**
 * Gradients when there is nothing to run (no rows or no steps): zeros for the input and the
 * weights, the state gradients passed through.
 */
function trivialGradients(
  b: BackendInternals,
  c: CheckedConvCall,
  dH: TensorInfo,
  dC: TensorInfo,
): TensorInfo[] {
  const copied = product(dH.shape) > 0;
  const states = [dH, dC].map((d, k) => {
    if (!copied) return emptyOrZeros(b, d.shape);
    const out = gpuOutput(b, d.shape);
    const from = gpuBuffer(b, d, k === 0 ? 'dH' : 'dC');
    commandEncoder(b).copyBufferToBuffer(from, 0, out.buffer, 0, product(d.shape) * 4);
    return out.info;
  });
  if (copied) b.submitQueue();
  return [
    emptyOrZeros(b, c.x.shape),
    emptyOrZeros(b, c.kernel.shape),
    emptyOrZeros(b, c.recurrentKernel.shape),
    emptyOrZeros(b, c.bias.shape),
    ...states,
  ];
}

/**
 * Runs the ConvLSTM backward; returns
 * `[dx, dKernel, dRecurrentKernel, dBias, dInitialH, dInitialC]`.
 */
export function runConvLSTMBackward(
  inputs: NamedTensorInfoMap,
  backend: WebGPUBackend,
  attrs: NamedAttrMap,
): TensorInfo[] {
  const b = internals(backend);
  trackBackend(backend);
  assertDeviceAlive(b.device, GRAD_NAME);
  const c = checkConvCall(inputs, attrs);
  const g = checkConvLSTMGradients(c, inputs);
  const { batch, steps, config } = c;
  if (batch === 0 || steps === 0) return trivialGradients(b, c, g.dH, g.dC);

  const filters = config.filters;
  const stateSize = product([batch, ...c.outSpatial, filters]);
  const stateBytes = stateSize * 4;
  const perInvocation = filtersPerInvocation(filters);
  const limits = b.device.limits;
  const projectedBytes = steps * stateBytes * 4; // B·T·P·4F float32 values
  const inputBytes = product(c.x.shape) * 4;
  if (Math.max(projectedBytes, inputBytes) > limits.maxStorageBufferBindingSize) {
    throw new RnnkitError(
      `${GRAD_NAME}: x: expected batch·time·positions·4·filters and the size of x ≤ ` +
        `${Math.floor(limits.maxStorageBufferBindingSize / 4)} (this device's storage buffer ` +
        `limit), got ${projectedBytes / 4} and ${inputBytes / 4}`,
    );
  }

  const dx = gpuOutput(b, c.x.shape);
  const dKernel = gpuOutput(b, c.kernel.shape);
  const dRecurrent = gpuOutput(b, c.recurrentKernel.shape);
  const dBias = gpuOutput(b, c.bias.shape);
  const dh0 = gpuOutput(b, g.dH.shape);
  const dc0 = gpuOutput(b, g.dC.shape);

  const usage = GPUBufferUsage;
  const released: GPUBuffer[] = [];
  const acquire = (size: number, use: number) => {
    const buffer = b.bufferManager.acquireBuffer(size, use);
    released.push(buffer);
    return buffer;
  };
  const storage = usage.STORAGE | usage.COPY_SRC | usage.COPY_DST;
  const xw = acquire(projectedBytes, storage);
  const dg = acquire(projectedBytes, storage);
  const hin = acquire(steps * stateBytes, storage);
  const cprev = acquire(steps * stateBytes, storage);
  // Two (h, c) blocks, then one flag per row and step (one value per filter group); two
  // (dh, dc) blocks.
  const hst = acquire(4 * stateBytes + batch * steps * perInvocation * 4, storage);
  const dst = acquire(4 * stateBytes, storage);
  const stride = alignTo(PER_STEP_PARAMS_BYTES, limits.minUniformBufferOffsetAlignment);
  const order = { batch, steps, goBackwards: c.goBackwards, alignToInput: c.alignToInput };
  const forwardParams = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
  b.queue.writeBuffer(forwardParams, 0, perStepParams(order, stride, 2 * stateSize));
  const reverseParams = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
  b.queue.writeBuffer(reverseParams, 0, reverseStepParams(order, stride, 2 * stateSize));

  const project = getConvPipelines(b.device, config).project;
  const pipelines = getConvBackwardPipelines(b.device, config);
  const projectGroup = b.device.createBindGroup({
    layout: project.layout,
    entries: bindEntries(
      CONV_BINDING,
      {
        x: gpuBuffer(b, c.x, 'x'),
        kernel: gpuBuffer(b, c.kernel, 'kernel'),
        bias: gpuBuffer(b, c.bias, 'bias'),
        xw,
      },
      forwardParams,
      PER_STEP_PARAMS_BYTES,
    ),
  });
  const buffers: Record<ConvBackBufferName, GPUBuffer | undefined> = {
    x: gpuBuffer(b, c.x, 'x'),
    kernel: gpuBuffer(b, c.kernel, 'kernel'),
    xw,
    rk: gpuBuffer(b, c.recurrentKernel, 'recurrentKernel'),
    mask: c.mask != null ? gpuBuffer(b, c.mask, 'mask') : undefined,
    rmask: c.recurrentMask != null ? gpuBuffer(b, c.recurrentMask, 'recurrentMask') : undefined,
    hst,
    hin,
    cprev,
    dout: gpuBuffer(b, g.dOutput, 'dOutput'),
    dst,
    dg,
    dw: dKernel.buffer,
    du: dRecurrent.buffer,
    dx: dx.buffer,
    db: dBias.buffer,
  };
  /** The bind group of `entry`: the buffers its layout lists, uniforms from `params`. */
  const group = (entry: ConvBackEntry, params: GPUBuffer) => {
    const used = Object.fromEntries(
      convBackBindings(config, entry).map(({ name }) => [name, buffers[name]] as const),
    );
    return b.device.createBindGroup({
      layout: pipelines[entry].layout,
      entries: bindEntries(CONV_BACK_BINDING, used, params, PER_STEP_PARAMS_BYTES),
    });
  };
  const forwardGroup = group('forward', forwardParams);
  const gatesGroup = group('gates', reverseParams);
  const dstateGroup = group('dstate', reverseParams);
  const hoisted = (['dkernel', 'drecurrent', 'dinput', 'dbias'] as const).map((entry) => ({
    entry,
    bindGroup: group(entry, forwardParams),
  }));

  const threads = (n: number) => grid(n, limits, GRAD_NAME);
  // `forward` and `gates` take a filter group per invocation.
  const groupGrid = threads(stateSize / perInvocation);
  const stateGrid = threads(stateSize);
  // The weight and bias gradients take one workgroup per four columns.
  const workgroups = (n: number) => threads(n * CONV_WORKGROUP);
  const hoistedGrid = {
    dkernel: workgroups(product(c.kernel.shape) / 4),
    drecurrent: workgroups(product(c.recurrentKernel.shape) / 4),
    dinput: threads(product(c.x.shape)),
    dbias: workgroups(filters),
  };

  const encoder = commandEncoder(b);
  const copyIn = (from: TensorInfo, what: string, to: GPUBuffer, at: number) =>
    encoder.copyBufferToBuffer(gpuBuffer(b, from, what), 0, to, at, stateBytes);
  copyIn(c.initialH, 'initialH', hst, 0);
  copyIn(c.initialC, 'initialC', hst, stateBytes);
  copyIn(g.dH, 'dH', dst, 0);
  copyIn(g.dC, 'dC', dst, stateBytes);
  const pass = encoder.beginComputePass();
  const projectGrid = threads((steps * stateSize) / perInvocation);
  pass.setBindGroup(0, projectGroup, [0]); // the projection reads batch and steps from block 0
  pass.setPipeline(project.pipeline);
  pass.dispatchWorkgroups(projectGrid[0], projectGrid[1]);
  pass.setPipeline(pipelines.forward.pipeline);
  for (let s = 0; s < steps; s++) {
    pass.setBindGroup(0, forwardGroup, [s * stride]);
    pass.dispatchWorkgroups(groupGrid[0], groupGrid[1]);
  }
  for (let i = 0; i < steps; i++) {
    pass.setPipeline(pipelines.gates.pipeline);
    pass.setBindGroup(0, gatesGroup, [i * stride]);
    pass.dispatchWorkgroups(groupGrid[0], groupGrid[1]);
    pass.setPipeline(pipelines.dstate.pipeline);
    pass.setBindGroup(0, dstateGroup, [i * stride]);
    pass.dispatchWorkgroups(stateGrid[0], stateGrid[1]);
  }
  for (const { entry, bindGroup } of hoisted) {
    pass.setPipeline(pipelines[entry].pipeline);
    pass.setBindGroup(0, bindGroup, [0]);
    pass.dispatchWorkgroups(hoistedGrid[entry][0], hoistedGrid[entry][1]);
  }
  pass.end();
  // Iteration i writes block (i + 1) % 2, so the initial states' gradients sit in block T % 2.
  const final = (steps % 2) * 2 * stateBytes;
  encoder.copyBufferToBuffer(dst, final, dh0.buffer, 0, stateBytes);
  encoder.copyBufferToBuffer(dst, final + stateBytes, dc0.buffer, 0, stateBytes);
  countDispatches(convBackwardDispatches(steps));
  b.submitQueue();
  // Safe once submitted: later users of these buffers are ordered after this work.
  for (const buffer of released) b.bufferManager.releaseBuffer(buffer);
  return [dx.info, dKernel.info, dRecurrent.info, dBias.info, dh0.info, dc0.info];
}
