/**
 * The kernel body shared by the three families: check the call against the contract
 * (@rnnkit/core), allocate outputs on the wasm heap, fetch (or build) prepacked weights, then hand
 * the whole sequence to the WebAssembly module, which reads inputs and writes outputs in place.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkSequenceCall,
  GATES,
  KERNEL_ACTIVATIONS,
  LSTMSequence,
  sequenceFamily,
  SimpleRNNSequence,
  stateShapes,
  type KernelActivation,
  type SequenceKernelAttrs,
  type SequenceKernelName,
} from '@rnnkit/core';
import { stateFor, type BackendState, type WasmBackendLike } from '../../engine/state.js';
import { runSequenceRecording } from './run_recording.js';
import { recordingGradients } from './saved.js';

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

const calls: Record<string, number> = {};
let threadedCalls = 0;

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

/** Clears the counts returned by {@link getKernelCalls} and {@link getThreadedCalls}. */
export function resetKernelCalls(): void {
  for (const key of Object.keys(calls)) delete calls[key];
  threadedCalls = 0;
}

/**
 * Multiply-adds of one step's recurrent product that each thread must get, by default, for a
 * call to use another thread. Measured on a 2-core x64 machine: a batch-1, 128-unit LSTM (65,536
 * per step, ~2.6 µs) gains nothing from a second thread, as the barrier after every step costs
 * about as much as the half step saved; a 32-batch, 256-unit one (8.4 million) runs 1.9× faster.
 */
export const DEFAULT_MIN_STEP_WORK_PER_THREAD = 65536;

let minStepWork = DEFAULT_MIN_STEP_WORK_PER_THREAD;

/**
 * Sets the least recurrent multiply-adds per thread and step for a call to use another thread
 * (default {@link DEFAULT_MIN_STEP_WORK_PER_THREAD}; 0 uses every thread the units allow, as
 * tests do).
 */
export function setMinStepWorkPerThread(work: number): void {
  if (!Number.isFinite(work) || work < 0) {
    throw new Error(`setMinStepWorkPerThread: expected a number ≥ 0, got ${work}`);
  }
  minStepWork = work;
}

/** The least recurrent multiply-adds per thread and step for a call to use another thread. */
export function minStepWorkPerThread(): number {
  return minStepWork;
}

/** Threads for one call: those the pool has, the units can keep busy and the work pays for. */
function threadsFor(state: BackendState, gates: number, batch: number, units: number): number {
  if (state.pool == null) return 1;
  const stepWork = batch * units * gates * units;
  const byWork = minStepWork === 0 ? state.pool.threads : Math.floor(stepWork / minStepWork);
  return state.exports.usefulThreads(units, Math.max(1, Math.min(state.pool.threads, byWork)));
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

/** Weight packing: the packed pointer of `tensor` for `gates` gates starting at gate `firstGate`. */
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

function packed(
  state: BackendState,
  tensor: TensorInfo,
  role: string,
  firstGate: number,
  gates: number,
  units: number,
): number {
  const ex = state.exports;
  const [rows, cols] = tensor.shape;
  const ns = ex.packedCols(gates, units);
  return state.packedWeights(
    tensor,
    `${role}:${firstGate}:${gates}:${units}`,
    rows * ns * 4,
    (dst, src) => ex.packMatrix(src, rows, cols, firstGate * units, gates, units, dst),
  );
}

/**
 * Runs one call of `kernel` (GRU in either reset mode). Returns `[output, h]`, plus `c` for LSTM.
 * While a gradient tape records, runs {@link runSequenceRecording} instead.
 */
export function runSequence(
  kernel: SequenceKernelName,
  inputs: NamedTensorInfoMap,
  backend: unknown,
  attrs: NamedAttrMap | undefined,
): TensorInfo[] {
  if (recordingGradients()) return runSequenceRecording(kernel, inputs, backend, attrs);
  const wasmBackend = backend as WasmBackendLike;
  const { attrs: a, inputs: p } = checkSequenceCall(kernel, inputs, attrs);
  const family = familyOf(kernel, a.resetAfter);
  const act = activationCode(a.activation);
  const ract = activationCode(a.recurrentActivation);
  const gates = GATES[kernel];
  const { batch, steps, inputDim, units, x, mask, recurrentMask } = p;
  const { kernel: kernelT, recurrentKernel: recurrentT, bias: biasT } = p;
  const { initialH: h0, initialC: c0 } = p;

  const state = stateFor(wasmBackend);
  const ex = state.exports;
  state.beginCall();

  const wk = packed(state, kernelT, 'kernel', 0, gates, units);
  let wr: number;
  let wr2 = 0;
  if (family === Family.gruResetBefore) {
    wr = packed(state, recurrentT, 'recurrent', 0, 2, units);
    wr2 = packed(state, recurrentT, 'recurrent', 2, 1, units);
  } else {
    wr = packed(state, recurrentT, 'recurrent', 0, gates, units);
  }

  // The biases, packed once like the weights: the input projection's init vector, then the
  // candidate's recurrent bias (GRU reset-after).
  const biasBytes = align(ex.packedCols(gates, units) * 4);
  const bx = state.packedWeights(
    biasT,
    `bias:${family}:${units}`,
    biasBytes + align(ex.packedCols(1, units) * 4),
    (dst, src) => ex.packBias(family, src, units, dst, dst + biasBytes),
  );
  const brh = bx + biasBytes;

  const threads = threadsFor(state, gates, batch, units);
  // Scratch: the module's own buffers, and a byte mask when the mask is not bool (a bool mask
  // is read as is).
  const seqBytes = align(ex.scratchBytes(family, batch, steps, units, threads));
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  const maskBytes = mask != null && byteMask == null ? align(batch * steps) : 0;
  const outShape = a.returnSequences ? [batch, steps, units] : [batch, units];
  const frame = state.frame(
    [x, h0, c0, byteMask, recurrentMask],
    [outShape, ...stateShapes(sequenceFamily(kernel), batch, units)],
    seqBytes + maskBytes,
  );
  let outputs: TensorInfo[];
  try {
    const [xPtr, h0Ptr, c0Ptr, byteMaskPtr, recurrentMaskPtr] = frame.inputs;
    let maskPtr = byteMaskPtr;
    if (mask != null && byteMask == null) {
      maskPtr = frame.scratch + seqBytes;
      writeByteMask(state, mask, batch * steps, maskPtr);
    }

    const flags = sequenceFlags(a);
    const [outPtr, hPtr, cPtr] = frame.outputs;
    const args = [
      family,
      batch,
      steps,
      inputDim,
      units,
      xPtr,
      wk,
      bx,
      wr,
      wr2,
      brh,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, recurrentMaskPtr, batch * units),
      outPtr,
      hPtr,
      cPtr ?? 0,
      frame.scratch,
      flags,
      act,
      ract,
    ];
    if (threads > 1) {
      state.pool!.run(args, threads);
    } else (ex.sequence as (...values: number[]) => void)(...args, 0, 1, 0, 0);
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  }
  recordCall(kernel, threads > 1);
  return outputs;
}
