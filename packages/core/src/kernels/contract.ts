/**
 * The kernel contract: whole-sequence recurrent kernels, one per family.
 *
 * A layer makes one kernel call per direction. The active tfjs backend may register a fused
 * implementation under these names (`registerKernel({kernelName, backendName, kernelFunc})`);
 * where none is registered, the reference kernels in `./reference` run instead.
 *
 * Every kernel takes the same core inputs and returns `[output, ...states]` in its family's state
 * order (`./families.ts`: `[output, h]` for GRU and SimpleRNN, `[output, h, c]` for LSTM and
 * ConvLSTM), where `output` is `[batch, time, units]` when `returnSequences` and `[batch, units]`
 * otherwise (a spatial family's carry its spatial axes before `units`).
 *
 * Streams, which feed one timestep per call, may also run on a backend's *step kernels*, a second
 * contract beside this one: `./step.ts`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { FAMILIES, FAMILY_IDS, gateCount, type FamilyId } from './families.js';

/** Kernel name of the whole-sequence SimpleRNN kernel. */
export const SimpleRNNSequence = FAMILIES.SimpleRNN.kernelName;
/** Kernel name of the whole-sequence LSTM kernel. */
export const LSTMSequence = FAMILIES.LSTM.kernelName;
/** Kernel name of the whole-sequence GRU kernel (both `resetAfter` modes). */
export const GRUSequence = FAMILIES.GRU.kernelName;
/** Kernel name of the whole-sequence ConvLSTM kernel (ConvLSTM1D, 2D and 3D share it). */
export const ConvLSTMSequence = FAMILIES.ConvLSTM2D.kernelName;

/** One of the whole-sequence kernel names. */
export type SequenceKernelName = (typeof FAMILIES)[FamilyId]['kernelName'];
/** Names of all whole-sequence kernels, each once, in the order of the family table. */
export const SEQUENCE_KERNEL_NAMES: readonly SequenceKernelName[] = [
  ...new Set(FAMILY_IDS.map((id) => FAMILIES[id].kernelName)),
];

/**
 * Activations a kernel must implement, by name. `hard_sigmoid` is the Keras 3 definition
 * `clip(x / 6 + 0.5, 0, 1)`; `hard_sigmoid_keras2` is `clip(0.2 x + 0.5, 0, 1)` (Keras ≤ 2.15).
 * `leaky_relu` uses Keras's default negative slope 0.2.
 */
export const KERNEL_ACTIVATIONS = [
  'linear',
  'tanh',
  'sigmoid',
  'hard_sigmoid',
  'hard_sigmoid_keras2',
  'relu',
  'relu6',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'exponential',
  'swish',
  'hard_swish',
  'gelu',
  'leaky_relu',
  'mish',
  'log_sigmoid',
] as const;
/** A kernel-level activation name. */
export type KernelActivation = (typeof KERNEL_ACTIVATIONS)[number];

/**
 * Inputs shared by all sequence kernels. Shapes use B = batch, T = time, D = input features,
 * U = units, G = gates; the family table (`./families.ts`) gives each family's gates in
 * Keras order, its states and its bias layout.
 *
 * - `x`: float32 `[B, T, D]`, in input time order (the kernel applies `goBackwards` itself).
 * - `kernel`: float32 `[D, G·U]`, gate blocks in the family's order.
 * - `recurrentKernel`: float32 `[U, G·U]`.
 * - `bias`: float32, the family's `biasShape` (`[G·U]`, or `[2, G·U]` for GRU with `resetAfter`:
 *   row 0 input bias, row 1 recurrent bias). Always present: a layer without bias passes zeros.
 * - `initialH`: float32 `[B, U]`, always present (zeros by default).
 * - `initialC`: float32 `[B, U]`, for families with a second state (LSTM), always present.
 * - `mask` (optional): bool `[B, T]` in input time order; false marks a step to skip.
 * - `recurrentMask` (optional): float32 `[B, U]`, multiplies the previous `h` where it enters
 *   the recurrent product (recurrent dropout in training). For GRU it also scales the `h` kept by
 *   the update gate, as Keras 3 does.
 */
export interface SequenceKernelInputs {
  x: Tensor;
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias: Tensor;
  initialH: Tensor;
  initialC?: Tensor;
  mask?: Tensor;
  recurrentMask?: Tensor;
}

/**
 * Attributes shared by all sequence kernels.
 *
 * - `goBackwards`: process steps T−1 … 0.
 * - `returnSequences`: return every step's output, else only the last processed step's.
 * - `alignToInput`: with `goBackwards` and `returnSequences`, write the output of the step that
 *   read input `t` at position `t` (Bidirectional's backward half). Otherwise outputs are in
 *   processing order, as a lone Keras layer with `go_backwards=True` returns them.
 * - `zeroOutputForMask`: a masked step outputs zeros instead of the previous output.
 */
export interface SequenceKernelAttrs {
  units: number;
  activation: KernelActivation;
  goBackwards: boolean;
  returnSequences: boolean;
  alignToInput: boolean;
  zeroOutputForMask: boolean;
}

/** SimpleRNN: `h_t = act(x_t·W + b + h_{t−1}·U)`. */
export type SimpleRNNSequenceAttrs = SequenceKernelAttrs;

/**
 * LSTM, Keras gate order `i, f, c, o`:
 * `c_t = f ⊙ c_{t−1} + i ⊙ act(z_c)`, `h_t = o ⊙ act(c_t)`, gates through `recurrentActivation`.
 */
export interface LSTMSequenceAttrs extends SequenceKernelAttrs {
  recurrentActivation: KernelActivation;
}

/**
 * GRU, Keras gate order `z, r, h`; `h_t = z ⊙ h_{t−1} + (1 − z) ⊙ candidate`.
 * `resetAfter`: candidate `act(x·W_h + b_in + r ⊙ (h·U_h + b_rec))`; otherwise
 * `act(x·W_h + b_h + (r ⊙ h)·U_h)`.
 */
export interface GRUSequenceAttrs extends SequenceKernelAttrs {
  recurrentActivation: KernelActivation;
  resetAfter: boolean;
}

/** Attributes by kernel name. */
export interface SequenceKernelAttrsMap {
  [SimpleRNNSequence]: SimpleRNNSequenceAttrs;
  [LSTMSequence]: LSTMSequenceAttrs;
  [GRUSequence]: GRUSequenceAttrs;
  [ConvLSTMSequence]: ConvLSTMSequenceAttrs;
}

/** Number of gate blocks per kernel, read from the family table. */
export const GATES = Object.fromEntries(
  FAMILY_IDS.map((id) => [FAMILIES[id].kernelName, gateCount(FAMILIES[id])]),
) as Record<SequenceKernelName, number>;

/** Number of state tensors each kernel returns after `output`, read from the family table. */
export const STATE_COUNT = Object.fromEntries(
  FAMILY_IDS.map((id) => [FAMILIES[id].kernelName, FAMILIES[id].states.length]),
) as Record<SequenceKernelName, number>;

/**
 * ConvLSTM over N = 1, 2 or 3 spatial dimensions, channels last, Keras gate order `i, f, c, o`:
 * `z = conv(x_t, W, strides, padding, dilationRate) + b + conv(h_{t−1}, U, 1, 'same')`,
 * `c_t = f ⊙ c_{t−1} + i ⊙ act(z_c)`, `h_t = o ⊙ act(c_t)`, gates through `recurrentActivation`.
 * The input convolution of every step does not depend on the states, so a kernel may run it for
 * all steps at once; the recurrent convolution is always `same` padded, stride 1, dilation 1.
 *
 * Inputs (S = input spatial sizes, O = output spatial sizes of the input convolution, F = filters,
 * K = kernel sizes, C = input channels), as {@link SequenceKernelInputs} with:
 * - `x`: float32 `[B, T, ...S, C]`, input time order.
 * - `kernel`: float32 `[...K, C, 4·F]`; `recurrentKernel`: float32 `[...K, F, 4·F]`.
 * - `bias`: float32 `[4·F]`, always present (zeros for a layer without bias).
 * - `initialH`, `initialC`: float32 `[B, ...O, F]`, always present.
 * - `mask` (optional): bool `[B, T]`; a masked step keeps both states.
 * - `recurrentMask` (optional): float32 `[B, ...O, F]`, multiplies `h_{t−1}` where it enters the
 *   recurrent convolution (recurrent dropout in training).
 *
 * Outputs `[output, h, c]`: `output` is `[B, T, ...O, F]` with `returnSequences`, else
 * `[B, ...O, F]`; `h` and `c` are `[B, ...O, F]`. `units` holds F.
 */
export interface ConvLSTMSequenceAttrs extends LSTMSequenceAttrs {
  /** Input-convolution strides, one per spatial dimension. */
  strides: number[];
  /** Input-convolution padding, TensorFlow's rule for `same`. */
  padding: 'valid' | 'same';
  /** Input-convolution dilation, one per spatial dimension (strides or dilation must be all 1). */
  dilationRate: number[];
}

/**
 * The backward kernels: one per sequence kernel, named `<kernel>Grad` (e.g.
 * `RnnkitLSTMSequenceGrad`). The forward kernels' gradient (`./gradients.ts`) calls them with
 * every input of the forward call (under a tape `mask` and `recurrentMask` are always present:
 * all true and all ones when the layer gave none) plus the gradients of its outputs,
 * `dOutput` (the shape of `output`) and one per state in the family's order (`dH`, then `dC`
 * for LSTM and ConvLSTM), and the forward call's attrs. They return the gradients of the loss
 * w.r.t. `[x, kernel, recurrentKernel, bias, initialH, (initialC)]` by backpropagation through
 * time over the Keras equations; `mask` and `recurrentMask` are constants (no gradient).
 * Where a backend registers none, `./reference/backward.ts` runs.
 */
export type SequenceGradKernelName = `${SequenceKernelName}Grad`;

/** The backward kernel name of the sequence kernel `name`. */
export function sequenceGradKernelName<N extends SequenceKernelName>(name: N): `${N}Grad` {
  return `${name}Grad`;
}

/** Names of the backward kernels, in the order of {@link SEQUENCE_KERNEL_NAMES}. */
export const SEQUENCE_GRAD_KERNEL_NAMES: readonly SequenceGradKernelName[] =
  SEQUENCE_KERNEL_NAMES.map(sequenceGradKernelName);

/** The inputs a sequence kernel differentiates, in the order its backward kernel returns them. */
export function differentiableInputs(name: SequenceKernelName): (keyof SequenceKernelInputs)[] {
  const withC = STATE_COUNT[name] > 1;
  return [
    'x',
    'kernel',
    'recurrentKernel',
    'bias',
    'initialH',
    ...(withC ? ['initialC' as const] : []),
  ];
}

/** Names of the output gradients a backward kernel takes: `dOutput`, then `dH` (and `dC`). */
export function outputGradNames(name: SequenceKernelName): string[] {
  const family = FAMILY_IDS.map((id) => FAMILIES[id]).find((f) => f.kernelName === name);
  const states = family?.states ?? ['h'];
  return ['dOutput', ...states.map((s) => `d${s.toUpperCase()}`)];
}
