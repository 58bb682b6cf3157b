/**
 * The kernel body shared by the three families: check the call against the contract
 * (@rnnkit/core), allocate outputs on the wasm heap, fetch (or build) prepacked weights, then hand
 * the whole sequence to the WebAssembly module, which reads inputs and writes outputs in place.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkSequenceCall,
  GATES,
  sequenceFamily,
  stateShapes,
  type SequenceKernelName,
} from '@rnnkit/core';
import { stateFor, type BackendState, type WasmBackendLike } from '../../engine/state.js';
import {
  align,
  callOptions,
  effectiveMask,
  effectiveRecurrentMask,
  Family,
  familyOf,
  recordCall,
  runOnThreads,
  stageStepMask,
  stepMask,
} from './module_args.js';
import { runSequenceRecording } from './run_recording.js';
import { recordingGradients } from './saved.js';

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

/** Weight packing: the packed pointer of `tensor` for `gates` gates starting at gate `firstGate`. */
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
  const m = stepMask(mask, batch * steps);
  const outShape = a.returnSequences ? [batch, steps, units] : [batch, units];
  const frame = state.frame(
    [x, h0, c0, m.byteMask, recurrentMask],
    [outShape, ...stateShapes(sequenceFamily(kernel), batch, units)],
    seqBytes + m.bytes,
  );
  let outputs: TensorInfo[];
  try {
    const [xPtr, h0Ptr, c0Ptr, byteMaskPtr, recurrentMaskPtr] = frame.inputs;
    const maskPtr = stageStepMask(state, m, byteMaskPtr, frame.scratch + seqBytes);
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
      ...callOptions(a, frame.scratch),
    ];
    runOnThreads(state, 'sequence', args, threads);
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    throw e;
  }
  recordCall(kernel, threads > 1);
  return outputs;
}
