/**
 * Checking a sequence kernel's attributes and input shapes against the kernel contract.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { KERNEL_ACTIVATIONS, type KernelActivation, type SequenceKernelAttrs } from '@rnnkit/core';

/** Throws an error that names the kernel, the argument, what was expected and what was given. */
export function invalid(kernel: string, argument: string, expected: string, given: string): never {
  throw new Error(`${kernel}: ${argument}: expected ${expected}, got ${given}`);
}

function shapeText(shape: readonly number[]): string {
  return `shape [${shape.join(', ')}]`;
}

/** Checks that `info` exists, is float32 (unless `dtypes` says otherwise) and has `expected` shape. */
export function checkTensor(
  kernel: string,
  argument: string,
  info: TensorInfo | undefined,
  expected: readonly number[],
  dtypes: readonly string[] = ['float32'],
): TensorInfo {
  if (info == null) invalid(kernel, argument, `a tensor of shape [${expected.join(', ')}]`, 'none');
  const shape = info.shape;
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    invalid(kernel, argument, `shape [${expected.join(', ')}]`, shapeText(shape));
  }
  if (!dtypes.includes(info.dtype))
    invalid(kernel, argument, `dtype ${dtypes.join(' or ')}`, info.dtype);
  return info;
}

/** Index of an activation in the contract's list: the code the WebAssembly module switches on. */
export function activationCode(kernel: string, argument: string, name: unknown): number {
  const code = KERNEL_ACTIVATIONS.indexOf(name as KernelActivation);
  if (code < 0)
    invalid(kernel, argument, `one of ${KERNEL_ACTIVATIONS.join(', ')}`, JSON.stringify(name));
  return code;
}

/** Reads the attributes shared by every sequence kernel. */
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
  const units = attrs?.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    invalid(kernel, 'units', 'a positive integer', JSON.stringify(units));
  }
  const activation = attrs?.activation;
  activationCode(kernel, 'activation', activation);
  return {
    units,
    activation: activation as KernelActivation,
    goBackwards: flag('goBackwards'),
    returnSequences: flag('returnSequences'),
    alignToInput: flag('alignToInput'),
    zeroOutputForMask: flag('zeroOutputForMask'),
  };
}

/** The `x` input, checked to be `[batch, time, features]` float32. */
export function checkX(kernel: string, inputs: NamedTensorInfoMap): TensorInfo {
  const x = inputs.x;
  if (x == null || x.shape.length !== 3) {
    invalid(
      kernel,
      'x',
      'a tensor of shape [batch, time, features]',
      x == null ? 'none' : shapeText(x.shape),
    );
  }
  if (x.dtype !== 'float32') invalid(kernel, 'x', 'dtype float32', x.dtype);
  return x;
}
