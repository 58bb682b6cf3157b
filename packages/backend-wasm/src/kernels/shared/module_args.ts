/**
 * What every sequence call hands the WebAssembly module, shared by the forward, recording and
 * backward kernel bodies: family and activation codes, flag bits, buffer alignment, byte masks
 * (and the masks a gradient tape fills in, read as none), and the per-kernel call counts.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  KERNEL_ACTIVATIONS,
  LSTMSequence,
  SimpleRNNSequence,
  type KernelActivation,
  type SequenceKernelAttrs,
  type SequenceKernelName,
} from '@rnnkit/core';
import type { BackendState } from '../../engine/state.js';
import type { JobKind } from '../../engine/threads.js';

/**
 * Family codes of the WebAssembly module (`assembly/sequence.ts`, whose gate counts are generated
 * from core's family table at build).
 */
export const Family = {
  simpleRNN: 0,
  lstm: 1,
  /** GRU, `resetAfter: true`. */
  gru: 2,
  /** GRU, `resetAfter: false`. */
  gruResetBefore: 3,
} as const;
/** A family code. */
export type FamilyCode = (typeof Family)[keyof typeof Family];

export function familyOf(kernel: SequenceKernelName, resetAfter: boolean): FamilyCode {
  if (kernel === SimpleRNNSequence) return Family.simpleRNN;
  if (kernel === LSTMSequence) return Family.lstm;
  return resetAfter ? Family.gru : Family.gruResetBefore;
}

/** Index of an activation in the contract's list: the code the WebAssembly module switches on. */
export function activationCode(name: KernelActivation | null): number {
  return name == null ? 0 : KERNEL_ACTIVATIONS.indexOf(name);
}

const FLAG_GO_BACKWARDS = 1;
const FLAG_RETURN_SEQUENCES = 2;
const FLAG_ALIGN_TO_INPUT = 4;
const FLAG_ZERO_OUTPUT_FOR_MASK = 8;

/** The module's flag bits (`assembly/sequence.ts`) for a call's shared attributes. */
export function sequenceFlags(a: SequenceKernelAttrs): number {
  return (
    (a.goBackwards ? FLAG_GO_BACKWARDS : 0) |
    (a.returnSequences ? FLAG_RETURN_SEQUENCES : 0) |
    (a.alignToInput ? FLAG_ALIGN_TO_INPUT : 0) |
    (a.zeroOutputForMask ? FLAG_ZERO_OUTPUT_FOR_MASK : 0)
  );
}

/**
 * The arguments every entry point takes after its buffers: the scratch pointer, the flag bits
 * and both activation codes.
 */
export function callOptions(
  a: SequenceKernelAttrs & { recurrentActivation: KernelActivation | null },
  scratch: number,
): [number, number, number, number] {
  return [
    scratch,
    sequenceFlags(a),
    activationCode(a.activation),
    activationCode(a.recurrentActivation),
  ];
}

/**
 * Runs the module function `kind` with `args` on `threads` threads of the pool, or on this
 * thread alone (thread arguments: no sync block, one thread, thread 0, no waiting).
 */
export function runOnThreads(
  state: BackendState,
  kind: JobKind,
  args: readonly number[],
  threads: number,
): void {
  if (threads > 1) state.pool!.run(args, threads, kind);
  else (state.exports[kind] as (...values: number[]) => void)(...args, 0, 1, 0, 0);
}

const calls: Record<string, number> = {};
let threadedCalls = 0;
let winogradCalls = 0;

/** How many times each fused wasm kernel ran since the last {@link resetKernelCalls}. */
export function getKernelCalls(): Record<string, number> {
  return { ...calls };
}

/** How many fused calls since the last {@link resetKernelCalls} ran on more than one thread. */
export function getThreadedCalls(): number {
  return threadedCalls;
}

/** Counts a call of a fused kernel for {@link getKernelCalls} (and {@link getThreadedCalls}). */
export function recordCall(kernel: string, threaded: boolean): void {
  calls[kernel] = (calls[kernel] ?? 0) + 1;
  if (threaded) threadedCalls++;
}

/**
 * How many ConvLSTM forward calls since the last {@link resetKernelCalls} ran their recurrent
 * convolution as Winograd's F(2×2, 3×3).
 */
export function getWinogradCalls(): number {
  return winogradCalls;
}

/** Counts a ConvLSTM forward call for {@link getWinogradCalls}. */
export function recordWinogradCall(): void {
  winogradCalls++;
}

/**
 * Clears the counts returned by {@link getKernelCalls}, {@link getThreadedCalls} and
 * {@link getWinogradCalls}.
 */
export function resetKernelCalls(): void {
  for (const key of Object.keys(calls)) delete calls[key];
  threadedCalls = 0;
  winogradCalls = 0;
}

/** `n` rounded up to a multiple of 64 (the module's buffers are 64-byte aligned). */
export function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/**
 * Writes a numeric (int32 or float32) mask of `count` values as the bytes the module reads
 * (1: keep the step) at `at`; a bool mask is read in place instead.
 */
export function writeByteMask(
  state: BackendState,
  mask: TensorInfo,
  count: number,
  at: number,
): void {
  const source = state.tensorBytes(mask);
  const values =
    mask.dtype === 'int32'
      ? new Int32Array(source.buffer, source.byteOffset, count)
      : new Float32Array(source.buffer, source.byteOffset, count);
  const target = state.bytes();
  for (let i = 0; i < count; i++) target[at + i] = values[i] !== 0 ? 1 : 0;
}

/**
 * A call's step mask as the module reads it: a bool mask in place (`byteMask`, an input of the
 * call frame), any other written as bytes after the module's scratch (`bytes` reserved there).
 */
export interface StepMask {
  mask: TensorInfo | null;
  byteMask: TensorInfo | null;
  /** Bytes to reserve after the scratch (0 when there is no mask or it is read in place). */
  bytes: number;
  /** Steps of the mask: batch · steps. */
  count: number;
}

/** How `mask` (`count` steps, or none) reaches the module. */
export function stepMask(mask: TensorInfo | null, count: number): StepMask {
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  return { mask, byteMask, bytes: mask != null && byteMask == null ? align(count) : 0, count };
}

/**
 * Writes a mask that is not read in place as bytes at `at`; returns the module's mask pointer
 * (`byteMaskPtr`, the frame's pointer of the bool mask or 0, when it is read in place).
 */
export function stageStepMask(
  state: BackendState,
  m: StepMask,
  byteMaskPtr: number,
  at: number,
): number {
  if (m.mask == null || m.byteMask != null) return byteMaskPtr;
  writeByteMask(state, m.mask, m.count, at);
  return at;
}

/** The forward inputs of a call as the kernels that keep activations hand them to the module. */
export interface ForwardInputs {
  x: TensorInfo;
  kernel: TensorInfo;
  recurrentKernel: TensorInfo;
  bias: TensorInfo;
  initialH: TensorInfo;
  initialC: TensorInfo | null;
  recurrentMask: TensorInfo | null;
}

/**
 * The frame inputs of a backward or taped forward call, in the order of the module's arguments:
 * `x`, the weights, the initial states, the step mask (when read in place) and the recurrent mask.
 */
export function forwardInputs(p: ForwardInputs, mask: StepMask): (TensorInfo | null)[] {
  return [
    p.x,
    p.kernel,
    p.recurrentKernel,
    p.bias,
    p.initialH,
    p.initialC,
    mask.byteMask,
    p.recurrentMask,
  ];
}

/**
 * The module's pointer arguments for the frame's pointers of {@link forwardInputs}, the step mask
 * staged at `maskAt` when it is not read in place, either mask 0 when it keeps everything
 * (`recurrentCount` floats of the recurrent mask).
 */
export function forwardPointers(
  state: BackendState,
  mask: StepMask,
  inputs: readonly number[],
  maskAt: number,
  recurrentCount: number,
): number[] {
  const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr] = inputs;
  const maskPtr = stageStepMask(state, mask, byteMaskPtr, maskAt);
  return [
    xPtr,
    wPtr,
    uPtr,
    bPtr,
    h0Ptr,
    c0Ptr,
    effectiveMask(state, maskPtr, mask.count),
    effectiveRecurrentMask(state, rmPtr, recurrentCount),
  ];
}

/**
 * `maskPtr`, or 0 when the byte mask there keeps every one of its `count` steps: a gradient
 * tape passes an all-true mask where the call had none (`runTaped` in @rnnkit/core), and the
 * unmasked path gives the same results without the per-row selection.
 */
export function effectiveMask(state: BackendState, maskPtr: number, count: number): number {
  if (maskPtr === 0) return 0;
  const bytes = state.bytes();
  for (let i = 0; i < count; i++) if (bytes[maskPtr + i] === 0) return maskPtr;
  return 0;
}

/**
 * `maskPtr`, or 0 when the recurrent mask there (`count` floats) is all ones, as the one a
 * gradient tape passes where the call had none: `h ⊙ 1` is `h`.
 */
export function effectiveRecurrentMask(
  state: BackendState,
  maskPtr: number,
  count: number,
): number {
  if (maskPtr === 0) return 0;
  const values = new Float32Array(state.bytes().buffer, maskPtr, count);
  for (let i = 0; i < count; i++) if (values[i] !== 1) return maskPtr;
  return 0;
}
