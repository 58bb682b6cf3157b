/** Checks a sequence kernel's inputs and attributes against the kernel contract. */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { invalidArgument, invalidShape } from '@rnnkit/core';
import { checkActivation } from './wgsl_activations.js';
import { GATE_COUNT, type Family, type ShaderConfig } from './wgsl.js';

/** Validated inputs, sizes and the shader configuration they imply. */
export interface CheckedCall {
  config: ShaderConfig;
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias: TensorInfo;
  initialH: TensorInfo;
  initialC?: TensorInfo;
  mask?: TensorInfo;
  recurrentMask?: TensorInfo;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function expectShape(
  kernelName: string,
  name: string,
  t: TensorInfo,
  shape: number[],
  alt?: number[],
): void {
  if (sameShape(t.shape, shape) || (alt != null && sameShape(t.shape, alt))) return;
  invalidShape(
    `${kernelName}: ${name}`,
    alt == null ? shape : `shape ${JSON.stringify(shape)}`,
    t.shape,
  );
}

function expectFloat(kernelName: string, name: string, t: TensorInfo): void {
  if (t.dtype !== 'float32') invalidArgument(`${kernelName}: ${name}.dtype`, "'float32'", t.dtype);
}

function flag(kernelName: string, attrs: NamedAttrMap, name: string): boolean {
  const v = attrs[name];
  if (typeof v !== 'boolean') invalidArgument(`${kernelName}: attrs.${name}`, 'a boolean', v);
  return v;
}

/** Validates a kernel call for `family` and derives its shader configuration. */
export function checkCall(
  kernelName: string,
  family: Family,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): CheckedCall {
  const required = (name: string): TensorInfo => {
    const t = inputs[name];
    if (t == null) invalidArgument(`${kernelName}: inputs.${name}`, 'a tensor', t);
    return t;
  };
  const x = required('x');
  const kernel = required('kernel');
  const recurrentKernel = required('recurrentKernel');
  const bias = required('bias');
  const initialH = required('initialH');
  const { initialC, mask, recurrentMask } = inputs;
  const units = attrs.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) {
    invalidArgument(`${kernelName}: attrs.units`, 'a positive integer', units);
  }
  if (x.shape.length !== 3)
    invalidShape(`${kernelName}: x`, 'rank 3 [batch, time, features]', x.shape);
  const [batch, steps, inputDim] = x.shape;
  if (inputDim < 1) invalidShape(`${kernelName}: x`, 'at least one feature', x.shape);
  const gates = GATE_COUNT[family];
  const resetAfter = family === 'gru' ? flag(kernelName, attrs, 'resetAfter') : false;
  expectFloat(kernelName, 'x', x);
  expectFloat(kernelName, 'kernel', kernel);
  expectFloat(kernelName, 'recurrentKernel', recurrentKernel);
  expectFloat(kernelName, 'bias', bias);
  expectFloat(kernelName, 'initialH', initialH);
  expectShape(kernelName, 'kernel', kernel, [inputDim, gates * units]);
  expectShape(kernelName, 'recurrentKernel', recurrentKernel, [units, gates * units]);
  expectShape(kernelName, 'bias', bias, resetAfter ? [2, gates * units] : [gates * units]);
  expectShape(kernelName, 'initialH', initialH, [batch, units]);
  if (family === 'lstm') {
    if (initialC == null) invalidArgument(`${kernelName}: inputs.initialC`, 'a tensor', initialC);
    expectFloat(kernelName, 'initialC', initialC);
    expectShape(kernelName, 'initialC', initialC, [batch, units]);
  }
  let maskType: ShaderConfig['mask'] = 'none';
  if (mask != null) {
    expectShape(kernelName, 'mask', mask, [batch, steps]);
    if (mask.dtype === 'bool' || mask.dtype === 'int32') maskType = 'i32';
    else if (mask.dtype === 'float32') maskType = 'f32';
    else invalidArgument(`${kernelName}: mask.dtype`, "'bool', 'int32' or 'float32'", mask.dtype);
  }
  if (recurrentMask != null) {
    expectFloat(kernelName, 'recurrentMask', recurrentMask);
    expectShape(kernelName, 'recurrentMask', recurrentMask, [batch, units]);
  }
  const activation = checkActivation(`${kernelName}: attrs.activation`, attrs.activation);
  const recurrentActivation =
    family === 'simple'
      ? activation
      : checkActivation(`${kernelName}: attrs.recurrentActivation`, attrs.recurrentActivation);
  const config: ShaderConfig = {
    family,
    units,
    activation,
    recurrentActivation,
    resetAfter,
    goBackwards: flag(kernelName, attrs, 'goBackwards'),
    returnSequences: flag(kernelName, attrs, 'returnSequences'),
    alignToInput: flag(kernelName, attrs, 'alignToInput'),
    zeroOutputForMask: flag(kernelName, attrs, 'zeroOutputForMask'),
    mask: maskType,
    recurrentMask: recurrentMask != null,
  };
  return {
    config,
    batch,
    steps,
    inputDim,
    units,
    x,
    kernel,
    recurrentKernel,
    bias,
    initialH,
    initialC: family === 'lstm' ? initialC : undefined,
    mask,
    recurrentMask,
  };
}
