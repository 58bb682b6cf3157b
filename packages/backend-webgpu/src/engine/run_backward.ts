/**
 * Runs one backward kernel call (`<kernel>Grad`) on the webgpu backend, from the forward call's
 * inputs and its outputs' gradients:
 *
 * 1. the input projection `x·kernel` (tfjs's `BatchMatMul`, one dispatch);
 * 2. the forward pass again, keeping every step's activations in GPU buffers (`T` dispatches);
 * 3. the reverse-time loop: per step, the gate gradients and `dh_{t−1} = dGates·Uᵀ` in one
 *    dispatch (`T` dispatches);
 * 4. the bias gradient `db = Σ dGates`, column sums over all `B·T` rows (one dispatch; both
 *    bias rows for GRU with `resetAfter`, whose recurrent row sums the gradients the recurrent
 *    product saw); 2 to 4 are one compute pass, then one queue submit;
 * 5. the products hoisted out of the loop, each over all `B·T` rows (tfjs's `BatchMatMul`):
 *    `dx = dGates·Wᵀ`, `dW = xᵀ·dGates`, `dU = h_inᵀ·dGates` (3 dispatches). GRU with
 *    `resetAfter: false` takes `dU` in two column blocks, `h_in` for `z, r` and `r ⊙ h_in` for
 *    the candidate (two slices, two products and a concat: 7 dispatches in all).
 *
 * So a call records `2·T + 5` dispatches (`2·T + 9` for GRU with `resetAfter: false`).
 * Nothing is read back; the gradients stay on the GPU.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  checkSequenceGradients,
  sequenceGradKernelName,
  type SequenceKernelName,
} from '@rnnkit/core';
import {
  commandEncoder,
  gpuBuffer,
  internals,
  type BackendInternals,
} from './backend_internals.js';
import { assertDeviceAlive, countDispatches, trackBackend } from './device.js';
import { cachedPipelines } from './pipelines.js';
import { project, tfjsKernel } from './run_sequence.js';
import {
  alignTo,
  bindEntries,
  emptyOrZeros,
  gpuOutput,
  perStepParams,
  reverseStepParams,
} from './step_buffers.js';
import { checkCall, type CheckedCall } from './validate.js';
import {
  BACK_BINDING,
  BIAS_SUM_BINDING,
  BIAS_SUM_WORKGROUP,
  KEEP_BINDING,
  backBindings,
  backwardStepShader,
  biasSumBindings,
  biasSumShader,
  keepBindings,
  keepForwardShader,
  forwardStateRegions,
  reverseStateRegions,
  savedFields,
  stateRegions,
  type StorageBinding,
} from './wgsl_backward.js';
import {
  GATE_COUNT,
  PER_STEP_PARAMS_BYTES,
  hasCellState,
  isTwoPhase,
  type Family,
  type ShaderConfig,
} from './wgsl.js';

/** The two pipelines of a backward call. */
interface BackwardPipelines {
  error?: string;
  keepLayout: GPUBindGroupLayout;
  keep: GPUComputePipeline;
  backLayout: GPUBindGroupLayout;
  back: GPUComputePipeline;
  biasLayout: GPUBindGroupLayout;
  bias: GPUComputePipeline;
}

/** Invocations per workgroup: one per unit up to 256 (the WebGPU minimum limit). */
export function backwardWorkgroupSize(units: number, limits: GPUSupportedLimits): number {
  const most = Math.min(
    256,
    limits.maxComputeInvocationsPerWorkgroup,
    limits.maxComputeWorkgroupSizeX,
  );
  return Math.min(most, Math.ceil(units / 32) * 32);
}

/** A pipeline and its layout; `perStep`: the uniforms are per-step blocks at a dynamic offset. */
function pipeline(
  device: GPUDevice,
  label: string,
  list: StorageBinding[],
  params: number,
  code: string,
  perStep = true,
): { layout: GPUBindGroupLayout; pipeline: GPUComputePipeline } {
  const entries: GPUBindGroupLayoutEntry[] = list.map((b) => ({
    binding: b.binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: b.write ? 'storage' : 'read-only-storage' },
  }));
  entries.push({
    binding: params,
    visibility: GPUShaderStage.COMPUTE,
    buffer: {
      type: 'uniform',
      hasDynamicOffset: perStep,
      minBindingSize: perStep ? PER_STEP_PARAMS_BYTES : 16,
    },
  });
  const layout = device.createBindGroupLayout({ label, entries });
  const module = device.createShaderModule({ label, code });
  return {
    layout,
    pipeline: device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    }),
  };
}

function backwardPipelines(device: GPUDevice, c: ShaderConfig, wg: number): BackwardPipelines {
  const key = JSON.stringify(['backward', c, wg]);
  return cachedPipelines<BackwardPipelines>(device, key, `${c.family} backward`, () => {
    const keep = pipeline(
      device,
      `rnnkit-${c.family}-keep-forward`,
      keepBindings(c),
      KEEP_BINDING.params,
      keepForwardShader(c, wg),
    );
    const back = pipeline(
      device,
      `rnnkit-${c.family}-backward-step`,
      backBindings(c),
      BACK_BINDING.params,
      backwardStepShader(c, wg),
    );
    const bias = pipeline(
      device,
      `rnnkit-${c.family}-bias-gradient`,
      biasSumBindings(c),
      BIAS_SUM_BINDING.params,
      biasSumShader(c),
      false,
    );
    return {
      keepLayout: keep.layout,
      keep: keep.pipeline,
      backLayout: back.layout,
      back: back.pipeline,
      biasLayout: bias.layout,
      bias: bias.pipeline,
    };
  });
}

/** Runs tfjs kernel `name` and returns its single output. */
function op(
  backend: WebGPUBackend,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  return tfjsKernel(name)({ inputs, backend, attrs }) as TensorInfo;
}

/** tfjs's `Concat`, whose inputs are a list, not a map. */
function concat(backend: WebGPUBackend, parts: TensorInfo[], axis: number): TensorInfo {
  return op(backend, 'Concat', parts as unknown as NamedTensorInfoMap, { axis });
}

/** `aᵀ·b` over all rows. */
function productTA(backend: WebGPUBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return op(backend, 'BatchMatMul', { a, b }, { transposeA: true, transposeB: false });
}

/**
 * Gradients when there is nothing to run (no rows or no steps): zeros for the weights, the
 * output gradients' state parts passed through.
 */
function trivialGradients(
  b: BackendInternals,
  c: CheckedCall,
  biasShape: number[],
  dStates: TensorInfo[],
): TensorInfo[] {
  const { batch, steps, inputDim, units } = c;
  const gu = c.recurrentKernel.shape[1];
  const stateBytes = batch * units * 4;
  const states = dStates.map((d, i) => {
    if (batch === 0) return emptyOrZeros(b, [0, units]);
    const out = gpuOutput(b, [batch, units]);
    const from = gpuBuffer(b, d, i === 0 ? 'dH' : 'dC');
    commandEncoder(b).copyBufferToBuffer(from, 0, out.buffer, 0, stateBytes);
    return out.info;
  });
  if (batch > 0) b.submitQueue();
  return [
    emptyOrZeros(b, [batch, steps, inputDim]),
    emptyOrZeros(b, [inputDim, gu]),
    emptyOrZeros(b, [units, gu]),
    emptyOrZeros(b, biasShape),
    ...states,
  ];
}

/**
 * Runs the backward kernel of `kernelName` (of `family`); returns
 * `[dx, dKernel, dRecurrentKernel, dBias, dInitialH]`, then `dInitialC` for LSTM.
 */
export function runSequenceBackward(
  kernelName: SequenceKernelName,
  family: Family,
  inputs: NamedTensorInfoMap,
  backend: WebGPUBackend,
  attrs: NamedAttrMap,
): TensorInfo[] {
  const b = internals(backend);
  trackBackend(backend);
  assertDeviceAlive(b.device, sequenceGradKernelName(kernelName));
  const c = checkCall(kernelName, family, inputs, attrs);
  const g = checkSequenceGradients(kernelName, inputs, c.attrs, c);
  const { batch, steps, units, inputDim, config } = c;
  const lstm = hasCellState(family);
  const resetAfter = family === 'gru' && config.resetAfter;
  const twoPhase = isTwoPhase(config);
  const gu = GATE_COUNT[family] * units;
  const rows = batch * steps;
  const dStates = lstm ? [g.dH, g.dC as TensorInfo] : [g.dH];
  if (rows === 0) return trivialGradients(b, c, c.bias.shape, dStates);
  if (batch > b.device.limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(
      `${sequenceGradKernelName(kernelName)}: batch: expected at most ` +
        `${b.device.limits.maxComputeWorkgroupsPerDimension} rows for this device, got ${batch}`,
    );
  }

  const wg = backwardWorkgroupSize(units, b.device.limits);
  const pipelines = backwardPipelines(b.device, config, wg);
  const nb = batch * units;
  const stateBytes = nb * 4;
  const regions = stateRegions(config);
  const stateBlock = regions * nb;

  const projected = project(backend, c);
  const hin = gpuOutput(b, [rows, units]);
  const rh = twoPhase ? gpuOutput(b, [rows, units]) : null;
  const dg = gpuOutput(b, [rows, gu]);
  const dgr = resetAfter ? gpuOutput(b, [rows, gu]) : null;
  const dBias = gpuOutput(b, c.bias.shape);
  const dh0 = gpuOutput(b, [batch, units]);
  const dc0 = lstm ? gpuOutput(b, [batch, units]) : null;

  const usage = GPUBufferUsage;
  const released: GPUBuffer[] = [];
  const acquire = (size: number, use: number) => {
    const buffer = b.bufferManager.acquireBuffer(size, use);
    released.push(buffer);
    return buffer;
  };
  const storage = usage.STORAGE | usage.COPY_SRC | usage.COPY_DST;
  // The kept activations, then the forward pass's and the reverse loop's scratch regions.
  const forwardAt = rows * savedFields(config) * units * 4;
  const reverseAt = forwardAt + forwardStateRegions(config) * stateBytes;
  const saved = acquire(reverseAt + reverseStateRegions(config) * stateBytes, storage);
  const stride = alignTo(PER_STEP_PARAMS_BYTES, b.device.limits.minUniformBufferOffsetAlignment);
  const keepParams = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
  const backParams = acquire(steps * stride, usage.UNIFORM | usage.COPY_DST);
  b.queue.writeBuffer(
    keepParams,
    0,
    perStepParams({ batch, steps, ...config }, stride, stateBlock),
  );
  b.queue.writeBuffer(
    backParams,
    0,
    reverseStepParams({ batch, steps, ...config }, stride, stateBlock),
  );
  const biasParams = acquire(16, usage.UNIFORM | usage.COPY_DST);
  b.queue.writeBuffer(biasParams, 0, new Uint32Array([rows, 0, 0, 0]));

  const mask = c.mask != null ? gpuBuffer(b, c.mask, 'mask') : undefined;
  const rmask =
    c.recurrentMask != null ? gpuBuffer(b, c.recurrentMask, 'recurrentMask') : undefined;
  const rk = gpuBuffer(b, c.recurrentKernel, 'recurrentKernel');
  const keepGroup = b.device.createBindGroup({
    layout: pipelines.keepLayout,
    entries: bindEntries(
      KEEP_BINDING,
      {
        xp: gpuBuffer(b, projected, 'projected inputs'),
        rk,
        bias: gpuBuffer(b, c.bias, 'bias'),
        mask,
        rmask,
        sv: saved,
        hin: hin.buffer,
        rh: rh?.buffer,
      },
      keepParams,
      PER_STEP_PARAMS_BYTES,
    ),
  });
  const backGroup = b.device.createBindGroup({
    layout: pipelines.backLayout,
    entries: bindEntries(
      BACK_BINDING,
      {
        sv: saved,
        hin: hin.buffer,
        rk,
        mask,
        rmask,
        dout: gpuBuffer(b, g.dOutput, 'dOutput'),
        dg: dg.buffer,
        dgr: dgr?.buffer,
      },
      backParams,
      PER_STEP_PARAMS_BYTES,
    ),
  });

  const biasGroup = b.device.createBindGroup({
    layout: pipelines.biasLayout,
    entries: bindEntries(
      BIAS_SUM_BINDING,
      { dg: dg.buffer, dgr: dgr?.buffer, db: dBias.buffer },
      biasParams,
      16,
    ),
  });

  const encoder = commandEncoder(b);
  const copyIn = (from: TensorInfo, what: string, at: number) =>
    encoder.copyBufferToBuffer(gpuBuffer(b, from, what), 0, saved, at, stateBytes);
  copyIn(c.initialH, 'initialH', forwardAt);
  copyIn(g.dH, 'dH', reverseAt);
  if (lstm) {
    copyIn(c.initialC as TensorInfo, 'initialC', forwardAt + stateBytes);
    copyIn(g.dC as TensorInfo, 'dC', reverseAt + stateBytes);
  }
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipelines.keep);
  for (let s = 0; s < steps; s++) {
    pass.setBindGroup(0, keepGroup, [s * stride]);
    pass.dispatchWorkgroups(batch);
  }
  pass.setPipeline(pipelines.back);
  for (let i = 0; i < steps; i++) {
    pass.setBindGroup(0, backGroup, [i * stride]);
    pass.dispatchWorkgroups(batch);
  }
  pass.setPipeline(pipelines.bias);
  pass.setBindGroup(0, biasGroup);
  pass.dispatchWorkgroups(Math.ceil(gu / BIAS_SUM_WORKGROUP));
  pass.end();
  // Iteration i writes block (i + 1) % 2, so the initial states' gradients sit in block T % 2.
  const final = reverseAt + (steps % 2) * stateBlock * 4;
  encoder.copyBufferToBuffer(saved, final, dh0.buffer, 0, stateBytes);
  if (dc0 != null) encoder.copyBufferToBuffer(saved, final + stateBytes, dc0.buffer, 0, stateBytes);
  countDispatches(2 * steps + 1);
  b.submitQueue();
  // Safe once submitted: later users of these buffers are ordered after this work.
  for (const buffer of released) b.bufferManager.releaseBuffer(buffer);
  const temporaries: TensorInfo[] = [projected, hin.info, dg.info];
  if (rh != null) temporaries.push(rh.info);
  if (dgr != null) temporaries.push(dgr.info);

  const dxFlat = op(
    backend,
    'BatchMatMul',
    { a: dg.info, b: c.kernel },
    {
      transposeA: false,
      transposeB: true,
    },
  );
  const dx = op(backend, 'Reshape', { x: dxFlat }, { shape: [batch, steps, inputDim] });
  const xFlat = op(backend, 'Reshape', { x: c.x }, { shape: [rows, inputDim] });
  const dKernel = productTA(backend, xFlat, dg.info);
  temporaries.push(dxFlat, xFlat);

  let dRecurrent: TensorInfo;
  if (rh != null) {
    const slice = (begin: number, size: number) =>
      op(backend, 'Slice', { x: dg.info }, { begin: [0, begin], size: [rows, size] });
    const dZR = slice(0, 2 * units);
    const dH = slice(2 * units, units);
    const zr = productTA(backend, hin.info, dZR);
    const hh = productTA(backend, rh.info, dH);
    dRecurrent = concat(backend, [zr, hh], 1);
    temporaries.push(dZR, dH, zr, hh);
  } else {
    dRecurrent = productTA(backend, hin.info, dgr?.info ?? dg.info);
  }
  for (const t of temporaries) b.disposeData(t.dataId);
  const result = [dx, dKernel, dRecurrent, dBias.info, dh0.info];
  if (dc0 != null) result.push(dc0.info);
  return result;
}
