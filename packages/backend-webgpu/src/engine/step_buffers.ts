/**
 * Buffers and uniform blocks the fused kernels share: output tensors backed by GPU buffers, the
 * per-step uniform blocks of a step-by-step recurrence, and bind group entries.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gpuBuffer, type BackendInternals } from './backend_internals.js';
import { PER_STEP_PARAMS_BYTES } from './wgsl.js';

/** A float32 tensor of `shape` holding zeros (or nothing, for an empty shape). */
export function emptyOrZeros(b: BackendInternals, shape: number[]): TensorInfo {
  const size = shape.reduce((a, d) => a * d, 1);
  return b.makeTensorInfo(shape, 'float32', new Float32Array(size));
}

/** A fresh float32 tensor backed by an (uninitialised) GPU buffer. */
export function gpuOutput(
  b: BackendInternals,
  shape: number[],
): { info: TensorInfo; buffer: GPUBuffer } {
  const info = b.makeTensorInfo(shape, 'float32');
  return { info, buffer: gpuBuffer(b, info, 'output') };
}

/** What the per-step uniform blocks depend on. */
export interface StepOrder {
  batch: number;
  steps: number;
  goBackwards: boolean;
  alignToInput: boolean;
}

/**
 * Uniform data for a step-by-step recurrence, one `stride`-aligned block per step:
 * `batch, steps, s, t, pos, prev, src, dst` (see `PER_STEP_PARAMS_BYTES`). Step `s` reads input
 * step `t`, writes output position `pos` (its previous output is at `prev`), and ping-pongs the
 * states between element offsets `0` and `stateBlock` of a scratch buffer.
 */
export function perStepParams(o: StepOrder, stride: number, stateBlock: number): ArrayBuffer {
  const { batch, steps } = o;
  const data = new ArrayBuffer(Math.max(1, steps) * stride);
  for (let s = 0; s < steps; s++) {
    const t = o.goBackwards ? steps - 1 - s : s;
    const aligned = o.goBackwards && o.alignToInput;
    const pos = aligned ? t : s;
    const prev = s === 0 ? 0 : aligned ? t + 1 : s - 1;
    new Uint32Array(data, s * stride, PER_STEP_PARAMS_BYTES / 4).set([
      batch,
      steps,
      s,
      t,
      pos,
      prev,
      (s % 2) * stateBlock,
      ((s + 1) % 2) * stateBlock,
    ]);
  }
  return data;
}

/**
 * Uniform data for the reverse-time loop of a backward kernel, one block per iteration `i`
 * (processing step `s = T−1−i`): `batch, steps, s, t, pos, last, src, dst`, where `last` is 1 at
 * the last processed step and the state gradients ping-pong between element offsets `0` and
 * `stateBlock` (iteration `i` reads block `i % 2`).
 */
export function reverseStepParams(o: StepOrder, stride: number, stateBlock: number): ArrayBuffer {
  const { batch, steps, goBackwards, alignToInput } = o;
  const data = new ArrayBuffer(Math.max(1, steps) * stride);
  for (let i = 0; i < steps; i++) {
    const s = steps - 1 - i;
    const t = goBackwards ? steps - 1 - s : s;
    const pos = goBackwards && alignToInput ? t : s;
    new Uint32Array(data, i * stride, PER_STEP_PARAMS_BYTES / 4).set([
      batch,
      steps,
      s,
      t,
      pos,
      s === steps - 1 ? 1 : 0,
      (i % 2) * stateBlock,
      ((i + 1) % 2) * stateBlock,
    ]);
  }
  return data;
}

/** `n` rounded up to a multiple of `alignment`. */
export function alignTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Bind group entries: each present buffer at its number in `binding`, then the uniforms. */
export function bindEntries<K extends string>(
  binding: Record<K | 'params', number>,
  buffers: Partial<Record<K, GPUBuffer>>,
  params: GPUBuffer,
  paramsSize: number,
): GPUBindGroupEntry[] {
  const entries: GPUBindGroupEntry[] = [];
  for (const [name, buffer] of Object.entries(buffers) as [K, GPUBuffer | undefined][]) {
    if (buffer != null) entries.push({ binding: binding[name], resource: { buffer } });
  }
  entries.push({ binding: binding.params, resource: { buffer: params, size: paramsSize } });
  return entries;
}
