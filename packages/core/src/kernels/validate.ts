/**
 * Checking a sequence kernel call against the contract (`./contract.ts`): attributes, input
 * shapes and dtypes. Backend-independent: backends call it on the `TensorInfo`s they receive and
 * only read values themselves. Every error names the kernel, the argument, what was expected and
 * what was given, e.g. `RnnkitLSTMSequence: kernel: expected shape [4, 20], got shape [4, 19]`.
 */
import { RnnkitError } from '../errors.js';
import {
  KERNEL_ACTIVATIONS,
  type KernelActivation,
  type SequenceKernelAttrs,
  type SequenceKernelName,
} from './contract.js';
import { biasShape, familyOfKernel, gateCount, type RecurrentFamily } from './families.js';

/** What the checks read of a kernel input: a tfjs `TensorInfo` or `Tensor`. */
export interface KernelTensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/** A sequence kernel's attributes after {@link checkSequenceAttrs}. */
export interface CheckedSequenceAttrs extends SequenceKernelAttrs {
  /** The gates' activation (LSTM, GRU); `null` for SimpleRNN. */
  recurrentActivation: KernelActivation | null;
  /** GRU's reset mode; `false` for the other kernels. */
  resetAfter: boolean;
}

/** The shapes a call's inputs must have, given its attributes. */
export interface SequenceInputLayout {
  units: number;
  /** G, the family's gate count. */
  gates: number;
  /** The family's bias shape: `[G·U]`, or `[2, 3·U]` for GRU with `resetAfter`. */
  biasShape: readonly number[];
  /** Whether `initialC` is required (a family with a second state, LSTM). */
  withCellState: boolean;
}

/** A call's inputs after {@link checkSequenceInputs}, with the sizes they imply. */
export interface CheckedSequenceInputs<T extends KernelTensorLike> {
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  x: T;
  kernel: T;
  recurrentKernel: T;
  bias: T;
  initialH: T;
  /** LSTM only, else `null`. */
  initialC: T | null;
  mask: T | null;
  recurrentMask: T | null;
}

/** Dtypes a mask may have: bool as the contract says, or numbers (nonzero keeps the step). */
export const MASK_DTYPES = ['bool', 'int32', 'float32'] as const;

type Attrs = Readonly<Record<string, unknown>> | undefined;
type Inputs<T> = Readonly<Record<string, T | undefined>>;

function invalid(kernel: string, argument: string, expected: string, given: string): never {
  throw new RnnkitError(`${kernel}: ${argument}: expected ${expected}, got ${given}`);
}

function valueText(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function shapeText(shape: readonly number[]): string {
  return `shape [${shape.join(', ')}]`;
}

function flagAttr(kernel: string, attrs: Attrs, name: string, required: boolean): boolean {
  const v = attrs?.[name];
  if (v == null && !required) return false;
  if (typeof v !== 'boolean') invalid(kernel, name, 'a boolean', valueText(v));
  return v;
}

/** Checks an activation name against the contract's {@link KERNEL_ACTIVATIONS}. */
export function checkKernelActivation(
  kernel: string,
  argument: string,
  value: unknown,
): KernelActivation {
  if (!(KERNEL_ACTIVATIONS as readonly unknown[]).includes(value)) {
    invalid(kernel, argument, `one of ${KERNEL_ACTIVATIONS.join(', ')}`, valueText(value));
  }
  return value as KernelActivation;
}

/** The family of a contract kernel; throws for a name outside the family table. */
export function sequenceFamily(kernel: SequenceKernelName): RecurrentFamily {
  const family = familyOfKernel(kernel);
  if (family == null) throw new RnnkitError(`${kernel}: not a kernel of the family table`);
  return family;
}

/**
 * Checks the attributes of a call to `kernel`: `units` a positive integer, activations from
 * {@link KERNEL_ACTIVATIONS}, the flags booleans (absent means false), and the family's own
 * attributes: `recurrentActivation`, and GRU's `resetAfter` a boolean (required: the two modes
 * take different bias shapes).
 */
export function checkSequenceAttrs(kernel: SequenceKernelName, attrs: Attrs): CheckedSequenceAttrs {
  const units = attrs?.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    invalid(kernel, 'units', 'a positive integer', valueText(units));
  }
  const own = sequenceFamily(kernel).attrs as readonly string[];
  return {
    units,
    activation: checkKernelActivation(kernel, 'activation', attrs?.activation),
    recurrentActivation: own.includes('recurrentActivation')
      ? checkKernelActivation(kernel, 'recurrentActivation', attrs?.recurrentActivation)
      : null,
    resetAfter: own.includes('resetAfter') ? flagAttr(kernel, attrs, 'resetAfter', true) : false,
    goBackwards: flagAttr(kernel, attrs, 'goBackwards', false),
    returnSequences: flagAttr(kernel, attrs, 'returnSequences', false),
    alignToInput: flagAttr(kernel, attrs, 'alignToInput', false),
    zeroOutputForMask: flagAttr(kernel, attrs, 'zeroOutputForMask', false),
  };
}

/** The input shapes a call to `kernel` with these attributes must have. */
export function sequenceInputLayout(
  kernel: SequenceKernelName,
  attrs: Pick<CheckedSequenceAttrs, 'units' | 'resetAfter'>,
): SequenceInputLayout {
  const family = sequenceFamily(kernel);
  return {
    units: attrs.units,
    gates: gateCount(family),
    biasShape: biasShape(family, attrs.units, attrs.resetAfter),
    withCellState: family.states.length > 1,
  };
}

function checkTensor<T extends KernelTensorLike>(
  kernel: string,
  argument: string,
  info: T | undefined,
  expected: readonly number[],
  dtypes: readonly string[] = ['float32'],
): T {
  if (info == null) invalid(kernel, argument, `a tensor of shape [${expected.join(', ')}]`, 'none');
  const shape = info.shape;
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    invalid(kernel, argument, `shape [${expected.join(', ')}]`, shapeText(shape));
  }
  if (!dtypes.includes(info.dtype)) {
    invalid(kernel, argument, `dtype ${dtypes.join(' or ')}`, info.dtype);
  }
  return info;
}

/**
 * Checks a call's inputs against `layout`: `x` float32 `[B, T, D]`; `kernel` `[D, G·U]`,
 * `recurrentKernel` `[U, G·U]`, `bias`, `initialH` `[B, U]`, `initialC` `[B, U]` (LSTM) and the
 * optional `recurrentMask` `[B, U]`, all float32; the optional `mask` `[B, T]` of a
 * {@link MASK_DTYPES} dtype.
 */
export function checkSequenceInputs<T extends KernelTensorLike>(
  kernel: string,
  inputs: Inputs<T>,
  layout: SequenceInputLayout,
): CheckedSequenceInputs<T> {
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
  const [batch, steps, inputDim] = x.shape;
  const { units } = layout;
  const gu = layout.gates * units;
  return {
    batch,
    steps,
    inputDim,
    units,
    x,
    kernel: checkTensor(kernel, 'kernel', inputs.kernel, [inputDim, gu]),
    recurrentKernel: checkTensor(kernel, 'recurrentKernel', inputs.recurrentKernel, [units, gu]),
    bias: checkTensor(kernel, 'bias', inputs.bias, layout.biasShape),
    initialH: checkTensor(kernel, 'initialH', inputs.initialH, [batch, units]),
    initialC: layout.withCellState
      ? checkTensor(kernel, 'initialC', inputs.initialC, [batch, units])
      : null,
    mask:
      inputs.mask == null
        ? null
        : checkTensor(kernel, 'mask', inputs.mask, [batch, steps], MASK_DTYPES),
    recurrentMask:
      inputs.recurrentMask == null
        ? null
        : checkTensor(kernel, 'recurrentMask', inputs.recurrentMask, [batch, units]),
  };
}

/** A whole call after {@link checkSequenceCall}. */
export interface CheckedSequenceCall<T extends KernelTensorLike> {
  attrs: CheckedSequenceAttrs;
  inputs: CheckedSequenceInputs<T>;
}

/**
 * Checks a whole call to `kernel`: {@link checkSequenceAttrs}, then {@link checkSequenceInputs}
 * with the layout the attributes imply. Throws an {@link RnnkitError} at the first violation.
 */
export function checkSequenceCall<T extends KernelTensorLike>(
  kernel: SequenceKernelName,
  inputs: Inputs<T>,
  attrs: Attrs,
): CheckedSequenceCall<T> {
  const checked = checkSequenceAttrs(kernel, attrs);
  return {
    attrs: checked,
    inputs: checkSequenceInputs(kernel, inputs, sequenceInputLayout(kernel, checked)),
  };
}

/** The output gradients of a backward call after {@link checkSequenceGradients}. */
export interface CheckedSequenceGradients<T extends KernelTensorLike> {
  /** The shape of the forward call's `output`. */
  dOutput: T;
  dH: T;
  /** LSTM only, else `null`. */
  dC: T | null;
}

/**
 * Checks the output gradients a backward kernel (`<kernel>Grad`) takes beside the forward
 * inputs: `dOutput` float32 of the forward output's shape (`[B, T, U]` with `returnSequences`,
 * else `[B, U]`), `dH` `[B, U]` and, for LSTM, `dC` `[B, U]`.
 */
export function checkSequenceGradients<T extends KernelTensorLike>(
  kernel: SequenceKernelName,
  inputs: Inputs<T>,
  attrs: CheckedSequenceAttrs,
  sizes: { batch: number; steps: number },
): CheckedSequenceGradients<T> {
  const name = `${kernel}Grad`;
  const { batch, steps } = sizes;
  const { units } = attrs;
  const state = [batch, units];
  return {
    dOutput: checkTensor(
      name,
      'dOutput',
      inputs.dOutput,
      attrs.returnSequences ? [batch, steps, units] : state,
    ),
    dH: checkTensor(name, 'dH', inputs.dH, state),
    dC: sequenceInputLayout(kernel, attrs).withCellState
      ? checkTensor(name, 'dC', inputs.dC, state)
      : null,
  };
}
