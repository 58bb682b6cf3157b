/**
 * Checks a ConvLSTM kernel call against the kernel contract (`ConvLSTMSequenceAttrs` in
 * @rnnkit/core) and derives the geometry of both convolutions. Errors name the kernel, the
 * argument, what was expected and what was given, as the cpu kernel's do.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkKernelActivation,
  ConvLSTMSequence,
  convOutputSize,
  MASK_DTYPES,
  RnnkitError,
  type KernelActivation,
} from '@rnnkit/core';

/**
 * A convolution over three spatial axes (depth, height, width; leading axes of size 1 for
 * ConvLSTM1D/2D), TensorFlow padding.
 */
export interface ConvGeometry {
  inSize: number[];
  outSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each axis: `floor(total / 2)` for `same`, 0 for `valid`. */
  padBefore: number[];
}

/** Everything that changes the generated shaders (batch and time come from a uniform). */
export interface ConvShaderConfig {
  /** F, the filters. */
  filters: number;
  /** C, the input channels. */
  channels: number;
  /** The input convolution; the recurrent one is `same`, stride 1 over `input.outSize`. */
  input: ConvGeometry;
  activation: KernelActivation;
  recurrentActivation: KernelActivation;
  returnSequences: boolean;
  zeroOutputForMask: boolean;
  /** How the mask is stored on the GPU: bool and int32 tensors as `i32`, float32 as `f32`. */
  mask: 'none' | 'i32' | 'f32';
  recurrentMask: boolean;
}

/** A checked call: its tensors, sizes and shader configuration. */
export interface CheckedConvCall {
  batch: number;
  steps: number;
  goBackwards: boolean;
  alignToInput: boolean;
  /** The output spatial sizes, one per spatial axis of the input (1 to 3). */
  outSpatial: number[];
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias: TensorInfo;
  initialH: TensorInfo;
  initialC: TensorInfo;
  mask: TensorInfo | null;
  recurrentMask: TensorInfo | null;
  config: ConvShaderConfig;
}

function invalid(argument: string, expected: string, given: string): never {
  throw new RnnkitError(`${ConvLSTMSequence}: ${argument}: expected ${expected}, got ${given}`);
}

function shapeText(shape: readonly number[]): string {
  return `shape [${shape.join(', ')}]`;
}

function valueText(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function flag(attrs: NamedAttrMap, name: string): boolean {
  const v = attrs[name];
  if (v == null) return false;
  if (typeof v !== 'boolean') invalid(name, 'a boolean', valueText(v));
  return v;
}

function intList(attrs: NamedAttrMap, name: string, rank: number): number[] {
  const v = attrs[name];
  if (
    !Array.isArray(v) ||
    v.length !== rank ||
    v.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 1)
  ) {
    invalid(name, `${rank} positive integers`, valueText(v));
  }
  return v as number[];
}

function checkTensor(
  argument: string,
  info: TensorInfo | undefined,
  expected: readonly number[],
  dtypes: readonly string[] = ['float32'],
): TensorInfo {
  if (info == null) invalid(argument, `a tensor of shape [${expected.join(', ')}]`, 'none');
  if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
    invalid(argument, `shape [${expected.join(', ')}]`, shapeText(info.shape));
  }
  if (!dtypes.includes(info.dtype)) invalid(argument, `dtype ${dtypes.join(' or ')}`, info.dtype);
  return info;
}

/** A per-axis list of the N spatial axes padded to three, with `fill` in front. */
function toThree(values: readonly number[], fill: number): number[] {
  return [...Array<number>(3 - values.length).fill(fill), ...values];
}

/** The geometry of a convolution with TensorFlow's padding rule. */
export function convGeometry(
  inSize: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  padding: 'valid' | 'same',
): ConvGeometry {
  const outSize = inSize.map((n, i) =>
    convOutputSize(n, kernel[i], strides[i], dilations[i], padding),
  );
  const padBefore = inSize.map((n, i) => {
    if (padding === 'valid') return 0;
    const span = dilations[i] * (kernel[i] - 1) + 1;
    return Math.floor(Math.max((outSize[i] - 1) * strides[i] + span - n, 0) / 2);
  });
  return { inSize, outSize, kernel, strides, dilations, padBefore };
}

/** Validates a call of the ConvLSTM kernel and derives its geometry and shader configuration. */
export function checkConvCall(inputs: NamedTensorInfoMap, attrs: NamedAttrMap): CheckedConvCall {
  const x = inputs.x as TensorInfo | undefined;
  if (x == null || x.shape.length < 4 || x.shape.length > 6) {
    invalid(
      'x',
      'a tensor of shape [batch, time, ...spatial (1 to 3 axes), channels]',
      x == null ? 'none' : shapeText(x.shape),
    );
  }
  if (x.dtype !== 'float32') invalid('x', 'dtype float32', x.dtype);
  const rank = x.shape.length - 3;
  const filters = attrs.units;
  if (typeof filters !== 'number' || !Number.isInteger(filters) || filters <= 0) {
    invalid('units', 'a positive integer', valueText(filters));
  }
  const padding = attrs.padding;
  if (padding !== 'valid' && padding !== 'same') {
    invalid('padding', "'valid' or 'same'", valueText(padding));
  }
  const paddingMode = padding as 'valid' | 'same';
  const strides = intList(attrs, 'strides', rank);
  const dilationRate = intList(attrs, 'dilationRate', rank);
  if (strides.some((s) => s > 1) && dilationRate.some((d) => d > 1)) {
    invalid(
      'strides',
      'all 1 when dilationRate is not',
      `strides [${strides.join(', ')}] with dilationRate [${dilationRate.join(', ')}]`,
    );
  }
  const activation = checkKernelActivation(ConvLSTMSequence, 'activation', attrs.activation);
  const recurrentActivation = checkKernelActivation(
    ConvLSTMSequence,
    'recurrentActivation',
    attrs.recurrentActivation,
  );

  const [batch, steps, ...rest] = x.shape;
  const spatial = rest.slice(0, rank);
  const channels = rest[rank];
  if (channels < 1) invalid('x', 'at least one channel', shapeText(x.shape));
  const gates = 4 * filters;
  const kernelInfo = inputs.kernel as TensorInfo | undefined;
  if (kernelInfo == null || kernelInfo.shape.length !== rank + 2) {
    invalid(
      'kernel',
      `a tensor of shape [${Array<string>(rank).fill('k').join(', ')}, ${channels}, ${gates}]`,
      kernelInfo == null ? 'none' : shapeText(kernelInfo.shape),
    );
  }
  const kernelSize = kernelInfo.shape.slice(0, rank);
  const kernel = checkTensor('kernel', kernelInfo, [...kernelSize, channels, gates]);
  const recurrentKernel = checkTensor('recurrentKernel', inputs.recurrentKernel, [
    ...kernelSize,
    filters,
    gates,
  ]);
  const bias = checkTensor('bias', inputs.bias, [gates]);
  const input = convGeometry(
    toThree(spatial, 1),
    toThree(kernelSize, 1),
    toThree(strides, 1),
    toThree(dilationRate, 1),
    paddingMode,
  );
  const outSpatial = input.outSize.slice(3 - rank);
  if (outSpatial.some((n) => n < 1)) {
    invalid(
      'x',
      `spatial sizes that fit the kernel [${kernelSize.join(', ')}] with ${paddingMode} padding and dilationRate [${dilationRate.join(', ')}]`,
      shapeText(x.shape),
    );
  }
  const stateShape = [batch, ...outSpatial, filters];
  const mask =
    inputs.mask == null ? null : checkTensor('mask', inputs.mask, [batch, steps], MASK_DTYPES);
  const recurrentMask =
    inputs.recurrentMask == null
      ? null
      : checkTensor('recurrentMask', inputs.recurrentMask, stateShape);
  return {
    batch,
    steps,
    goBackwards: flag(attrs, 'goBackwards'),
    alignToInput: flag(attrs, 'alignToInput'),
    outSpatial,
    x,
    kernel,
    recurrentKernel,
    bias,
    initialH: checkTensor('initialH', inputs.initialH, stateShape),
    initialC: checkTensor('initialC', inputs.initialC, stateShape),
    mask,
    recurrentMask,
    config: {
      filters,
      channels,
      input,
      activation,
      recurrentActivation,
      returnSequences: flag(attrs, 'returnSequences'),
      zeroOutputForMask: flag(attrs, 'zeroOutputForMask'),
      mask: mask == null ? 'none' : mask.dtype === 'float32' ? 'f32' : 'i32',
      recurrentMask: recurrentMask != null,
    },
  };
}
