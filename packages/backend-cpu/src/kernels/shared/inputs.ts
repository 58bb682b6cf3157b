/**
 * Reading and checking a sequence kernel's inputs from the cpu backend's storage. Kernels work
 * on the backend's typed arrays directly; only the states, which the kernel updates in place,
 * are copied.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelActivation, SequenceKernelAttrs } from '@rnnkit/core';

/** Typed values of a mask: `Uint8Array` for bool tensors, any numeric array otherwise. */
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

/** Throws an error that names the kernel, the argument, what was expected and what was given. */
export function invalid(kernel: string, argument: string, expected: string, given: string): never {
  throw new Error(`${kernel}: ${argument}: expected ${expected}, got ${given}`);
}

function shapeText(shape: readonly number[]): string {
  return `shape [${shape.join(', ')}]`;
}

function checkShape(
  kernel: string,
  argument: string,
  info: TensorInfo | undefined,
  expected: readonly number[],
): TensorInfo {
  if (info == null) invalid(kernel, argument, `a tensor of shape [${expected.join(', ')}]`, 'none');
  const shape = info.shape;
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    invalid(kernel, argument, `shape [${expected.join(', ')}]`, shapeText(shape));
  }
  return info;
}

/** The tensor's values as stored by the cpu backend. */
function valuesOf(backend: MathBackendCPU, info: TensorInfo): ArrayLike<number> {
  return backend.data.get(info.dataId).values as unknown as ArrayLike<number>;
}

/** Float32 values, converted only when the tensor is stored with another dtype. */
function float32Of(backend: MathBackendCPU, info: TensorInfo): Float32Array {
  const values = valuesOf(backend, info);
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** Reads a positive integer attribute. */
export function unitsAttr(kernel: string, attrs: NamedAttrMap | undefined): number {
  const units = attrs?.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    invalid(kernel, 'units', 'a positive integer', String(units));
  }
  return units;
}

/** Reads the boolean flags and the activation shared by every sequence kernel. */
export function sequenceAttrs(
  kernel: string,
  attrs: NamedAttrMap | undefined,
): SequenceKernelAttrs {
  const flag = (name: string): boolean => {
    const v = attrs?.[name];
    if (v == null) return false;
    if (typeof v !== 'boolean') invalid(kernel, name, 'a boolean', JSON.stringify(v));
    return v;
  };
  return {
    units: unitsAttr(kernel, attrs),
    activation: activationAttr(kernel, attrs, 'activation'),
    goBackwards: flag('goBackwards'),
    returnSequences: flag('returnSequences'),
    alignToInput: flag('alignToInput'),
    zeroOutputForMask: flag('zeroOutputForMask'),
  };
}

/** Reads an activation-name attribute (validated later, where the activation is applied). */
export function activationAttr(
  kernel: string,
  attrs: NamedAttrMap | undefined,
  name: string,
): KernelActivation {
  const v = attrs?.[name];
  if (typeof v !== 'string') invalid(kernel, name, 'an activation name', JSON.stringify(v));
  return v as KernelActivation;
}

/**
 * Checks shapes against the contract and reads the values. `gates` is G; `biasShape` is the
 * expected bias shape (`[G·U]`, or `[2, 3·U]` for GRU with `resetAfter`).
 */
export function readSequenceInputs(
  kernel: string,
  inputs: NamedTensorInfoMap,
  backend: MathBackendCPU,
  units: number,
  gates: number,
  biasShape: readonly number[],
  withCellState: boolean,
): SequenceProblem {
  const x = inputs.x;
  if (x == null || x.shape.length !== 3) {
    invalid(
      kernel,
      'x',
      'a tensor of shape [batch, time, features]',
      x == null ? 'none' : shapeText(x.shape),
    );
  }
  const [batch, steps, inputDim] = x.shape;
  const gu = gates * units;
  const kernelInfo = checkShape(kernel, 'kernel', inputs.kernel, [inputDim, gu]);
  const recurrentInfo = checkShape(kernel, 'recurrentKernel', inputs.recurrentKernel, [units, gu]);
  const biasInfo = checkShape(kernel, 'bias', inputs.bias, biasShape);
  const hInfo = checkShape(kernel, 'initialH', inputs.initialH, [batch, units]);
  const cInfo = withCellState
    ? checkShape(kernel, 'initialC', inputs.initialC, [batch, units])
    : null;
  const maskInfo =
    inputs.mask == null ? null : checkShape(kernel, 'mask', inputs.mask, [batch, steps]);
  const recurrentMaskInfo =
    inputs.recurrentMask == null
      ? null
      : checkShape(kernel, 'recurrentMask', inputs.recurrentMask, [batch, units]);
  let mask: MaskValues | null = null;
  if (maskInfo != null) {
    const values = valuesOf(backend, maskInfo);
    mask =
      values instanceof Uint8Array || values instanceof Int32Array || values instanceof Float32Array
        ? values
        : Float32Array.from(values);
  }
  return {
    batch,
    steps,
    inputDim,
    units,
    x: float32Of(backend, x),
    kernel: float32Of(backend, kernelInfo),
    recurrentKernel: float32Of(backend, recurrentInfo),
    bias: float32Of(backend, biasInfo),
    h: Float32Array.from(valuesOf(backend, hInfo)),
    c: cInfo == null ? null : Float32Array.from(valuesOf(backend, cInfo)),
    mask,
    recurrentMask: recurrentMaskInfo == null ? null : float32Of(backend, recurrentMaskInfo),
  };
}
