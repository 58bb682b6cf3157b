/**
 * Reading a sequence kernel's inputs from the cpu backend's storage, after @rnnkit/core has
 * checked them against the kernel contract. Kernels work on the backend's typed arrays directly;
 * only the states, which the kernel updates in place, are copied.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  checkKernelActivation,
  checkSequenceAttrs,
  checkSequenceInputs,
  sequenceInputLayout,
  type CheckedSequenceAttrs,
  type KernelActivation,
  type SequenceKernelName,
} from '@rnnkit/core';

/** Typed values of a mask: `Uint8Array` for bool tensors, the stored numbers otherwise. */
export type MaskValues = Uint8Array | Int32Array | Float32Array;

/** A sequence problem with all shapes checked; `B, T, D, U, G` as in the kernel contract. */
export interface SequenceProblem {
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  x: Float32Array;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
  /** A fresh copy of `initialH`, updated in place and returned as the final `h`. */
  h: Float32Array;
  /** A fresh copy of `initialC` (LSTM only), else `null`. */
  c: Float32Array | null;
  /** `[B, T]` in input time order, nonzero = step taken; `null` when absent. */
  mask: MaskValues | null;
  /** `[B, U]`, `null` when absent. */
  recurrentMask: Float32Array | null;
}

/** The tensor's values as stored by the cpu backend (their dtype was checked before). */
function valuesOf<V>(backend: MathBackendCPU, info: TensorInfo): V {
  return backend.data.get(info.dataId).values as unknown as V;
}

/** Checks and reads the attributes of a call to `kernel` (see `checkSequenceAttrs`). */
export function sequenceAttrs(
  kernel: SequenceKernelName,
  attrs: NamedAttrMap | undefined,
): CheckedSequenceAttrs {
  return checkSequenceAttrs(kernel, attrs);
}

/** Reads an activation-name attribute, checked against the contract's list. */
export function activationAttr(
  kernel: string,
  attrs: NamedAttrMap | undefined,
  name: string,
): KernelActivation {
  return checkKernelActivation(kernel, name, attrs?.[name]);
}

/**
 * Checks shapes and dtypes against the contract (the layout the family table gives `kernel` with
 * these attributes) and reads the values.
 */
export function readSequenceInputs(
  kernel: SequenceKernelName,
  inputs: NamedTensorInfoMap,
  backend: MathBackendCPU,
  attrs: CheckedSequenceAttrs,
): SequenceProblem {
  const units = attrs.units;
  const p = checkSequenceInputs(kernel, inputs, sequenceInputLayout(kernel, attrs));
  const f32 = (info: TensorInfo): Float32Array => valuesOf<Float32Array>(backend, info);
  return {
    batch: p.batch,
    steps: p.steps,
    inputDim: p.inputDim,
    units,
    x: f32(p.x),
    kernel: f32(p.kernel),
    recurrentKernel: f32(p.recurrentKernel),
    bias: f32(p.bias),
    h: f32(p.initialH).slice(),
    c: p.initialC == null ? null : f32(p.initialC).slice(),
    mask: p.mask == null ? null : valuesOf<MaskValues>(backend, p.mask),
    recurrentMask: p.recurrentMask == null ? null : f32(p.recurrentMask),
  };
}
