/**
 * Checking a ConvLSTM kernel call against the contract (`ConvLSTMSequenceAttrs` in
 * `./contract.ts`): attributes, input shapes and dtypes, and the output sizes the input
 * convolution implies. Backend-independent, as `./validate.ts`; every error names the kernel, the
 * argument, what was expected and what was given.
 */
import { RnnkitError } from '../errors.js';
import { convOutputSize } from '../layers/conv_lstm_cell.js';
import {
  ConvLSTMSequence,
  sequenceGradKernelName,
  type ConvLSTMSequenceAttrs,
} from './contract.js';
import { checkKernelActivation, MASK_DTYPES, type KernelTensorLike } from './validate.js';

type Attrs = Readonly<Record<string, unknown>> | undefined;
type Inputs<T> = Readonly<Record<string, T | undefined>>;

/** A ConvLSTM call after {@link checkConvLSTMCall}, with the sizes it implies. */
export interface CheckedConvLSTMCall<T extends KernelTensorLike> {
  attrs: ConvLSTMSequenceAttrs;
  batch: number;
  steps: number;
  /** Spatial sizes of the input (1 to 3 axes). */
  spatial: number[];
  /** C, the input channels. */
  channels: number;
  /** F, the filters (`attrs.units`). */
  filters: number;
  kernelSize: number[];
  /** Spatial sizes of the states and outputs (the input convolution's output). */
  outSpatial: number[];
  x: T;
  kernel: T;
  recurrentKernel: T;
  bias: T;
  initialH: T;
  initialC: T;
  mask: T | null;
  recurrentMask: T | null;
}

function invalid(
  argument: string,
  expected: string,
  given: string,
  kernel: string = ConvLSTMSequence,
): never {
  throw new RnnkitError(`${kernel}: ${argument}: expected ${expected}, got ${given}`);
}

function valueText(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function shapeText(shape: readonly number[]): string {
  return `shape [${shape.join(', ')}]`;
}

function flag(attrs: Attrs, name: string): boolean {
  const v = attrs?.[name];
  if (v == null) return false;
  if (typeof v !== 'boolean') invalid(name, 'a boolean', valueText(v));
  return v;
}

function intList(attrs: Attrs, name: string, rank: number): number[] {
  const v = attrs?.[name];
  if (
    !Array.isArray(v) ||
    v.length !== rank ||
    v.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 1)
  ) {
    invalid(name, `${rank} positive integers`, valueText(v));
  }
  return v as number[];
}

/** Checks the attributes of a call whose input has `rank` spatial axes. */
export function checkConvLSTMAttrs(attrs: Attrs, rank: number): ConvLSTMSequenceAttrs {
  const units = attrs?.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    invalid('units', 'a positive integer', valueText(units));
  }
  const padding = attrs?.padding;
  if (padding !== 'valid' && padding !== 'same') {
    invalid('padding', "'valid' or 'same'", valueText(padding));
  }
  const strides = intList(attrs, 'strides', rank);
  const dilationRate = intList(attrs, 'dilationRate', rank);
  if (strides.some((s) => s > 1) && dilationRate.some((d) => d > 1)) {
    invalid(
      'strides',
      'all 1 when dilationRate is not',
      `strides [${strides.join(', ')}] with dilationRate [${dilationRate.join(', ')}]`,
    );
  }
  return {
    units,
    activation: checkKernelActivation(ConvLSTMSequence, 'activation', attrs?.activation),
    recurrentActivation: checkKernelActivation(
      ConvLSTMSequence,
      'recurrentActivation',
      attrs?.recurrentActivation,
    ),
    goBackwards: flag(attrs, 'goBackwards'),
    returnSequences: flag(attrs, 'returnSequences'),
    alignToInput: flag(attrs, 'alignToInput'),
    zeroOutputForMask: flag(attrs, 'zeroOutputForMask'),
    strides,
    padding,
    dilationRate,
  };
}

function checkTensor<T extends KernelTensorLike>(
  argument: string,
  info: T | undefined,
  expected: readonly number[],
  dtypes: readonly string[] = ['float32'],
  kernel: string = ConvLSTMSequence,
): T {
  const want = `shape [${expected.join(', ')}]`;
  if (info == null) invalid(argument, `a tensor of ${want}`, 'none', kernel);
  if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
    invalid(argument, want, shapeText(info.shape), kernel);
  }
  if (!dtypes.includes(info.dtype)) {
    invalid(argument, `dtype ${dtypes.join(' or ')}`, info.dtype, kernel);
  }
  return info;
}

/**
 * Checks a whole ConvLSTM call: `x` float32 `[B, T, ...S, C]` with 1 to 3 spatial axes, the
 * attributes, `kernel [...K, C, 4·F]`, `recurrentKernel [...K, F, 4·F]`, `bias [4·F]`, the states
 * and the optional masks. Throws an {@link RnnkitError} at the first violation.
 */
export function checkConvLSTMCall<T extends KernelTensorLike>(
  inputs: Inputs<T>,
  attrs: Attrs,
): CheckedConvLSTMCall<T> {
  const x = inputs.x;
  if (x == null || x.shape.length < 4 || x.shape.length > 6) {
    invalid(
      'x',
      'a tensor of shape [batch, time, ...spatial (1 to 3 axes), channels]',
      x == null ? 'none' : shapeText(x.shape),
    );
  }
  if (x.dtype !== 'float32') invalid('x', 'dtype float32', x.dtype);
  const rank = x.shape.length - 3;
  const a = checkConvLSTMAttrs(attrs, rank);
  const [batch, steps, ...rest] = x.shape;
  const spatial = rest.slice(0, rank);
  const channels = rest[rank];
  const filters = a.units;
  const gates = 4 * filters;

  const kernelInfo = inputs.kernel;
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
  const outSpatial = spatial.map((n, i) =>
    convOutputSize(n, kernelSize[i], a.strides[i], a.dilationRate[i], a.padding),
  );
  if (outSpatial.some((n) => n < 1)) {
    invalid(
      'x',
      `spatial sizes that fit the kernel [${kernelSize.join(', ')}] with ${a.padding} padding and dilationRate [${a.dilationRate.join(', ')}]`,
      shapeText(x.shape),
    );
  }
  const stateShape = [batch, ...outSpatial, filters];
  return {
    attrs: a,
    batch,
    steps,
    spatial,
    channels,
    filters,
    kernelSize,
    outSpatial,
    x,
    kernel,
    recurrentKernel,
    bias,
    initialH: checkTensor('initialH', inputs.initialH, stateShape),
    initialC: checkTensor('initialC', inputs.initialC, stateShape),
    mask:
      inputs.mask == null ? null : checkTensor('mask', inputs.mask, [batch, steps], MASK_DTYPES),
    recurrentMask:
      inputs.recurrentMask == null
        ? null
        : checkTensor('recurrentMask', inputs.recurrentMask, stateShape),
  };
}

/** The output gradients of a ConvLSTM backward call, checked by {@link checkConvLSTMGradients}. */
export interface CheckedConvLSTMGradients<T extends KernelTensorLike> {
  /** The gradient of `output`: `[B, T, ...O, F]` with `returnSequences`, else `[B, ...O, F]`. */
  dOutput: T;
  /** The gradients of the final states, `[B, ...O, F]`. */
  dH: T;
  dC: T;
}

/**
 * Checks the output gradients a ConvLSTM backward call (`RnnkitConvLSTMSequenceGrad`) takes
 * beside the forward inputs of `call` (checked by {@link checkConvLSTMCall}): `dOutput` of the
 * forward output's shape, `dH` and `dC` of the states' shape, all float32. Errors name the
 * backward kernel, the argument, what was expected and what was given.
 */
export function checkConvLSTMGradients<T extends KernelTensorLike>(
  call: CheckedConvLSTMCall<T>,
  inputs: Inputs<T>,
): CheckedConvLSTMGradients<T> {
  const kernel = sequenceGradKernelName(ConvLSTMSequence);
  const { batch, steps, outSpatial, filters } = call;
  const state = [batch, ...outSpatial, filters];
  const output = call.attrs.returnSequences ? [batch, steps, ...outSpatial, filters] : state;
  const float32 = ['float32'];
  return {
    dOutput: checkTensor('dOutput', inputs.dOutput, output, float32, kernel),
    dH: checkTensor('dH', inputs.dH, state, float32, kernel),
    dC: checkTensor('dC', inputs.dC, state, float32, kernel),
  };
}
