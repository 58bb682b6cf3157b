/**
 * What the ConvLSTM backward kernel and the taped ConvLSTM forward (its forward half) hand the
 * WebAssembly module beside the tensors: the sizes of the module's scratch and saved activations,
 * and the geometry tables and byte mask, staged after the scratch.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  convLSTMGeometry,
  convSourceTable,
  type CheckedConvLSTMCall,
  type ConvSourceTable,
} from '@rnnkit/core';
import type { BackendState } from '../../engine/state.js';
import { convThreadsFor } from './conv_threads.js';
import { align, writeByteMask } from './module_args.js';

/** The module's size arguments: batch, steps, channels, filters, frameSize, positions, taps ×2. */
export type ConvSizes = [number, number, number, number, number, number, number, number];

/** A checked ConvLSTM call as the module's backward entry points take it. */
export interface ConvGradCall {
  /** The module's size arguments (`convLSTMGrad`'s first eight). */
  sizes: ConvSizes;
  positions: number;
  /** Bytes of the module's scratch (64-byte multiple). */
  scratchBytes: number;
  /** Bytes of the saved activations a backward pass reads. */
  savedBytes: number;
  /** Bytes to ask the call frame for: the scratch, the tables and a byte mask. */
  frameBytes: number;
  /** The mask read in place (bool), or null. */
  byteMask: TensorInfo | null;
  /** The input and recurrent convolutions' tables. */
  tables: ConvSourceTable[];
  /** Patch depths `[inTaps·channels, recTaps·filters]`. */
  depths: [number, number];
  /** Threads the call runs on (each runs whole batch items). */
  threads: number;
}

/** Sizes of the module call for `call`. */
export function convGradCall(
  state: BackendState,
  call: CheckedConvLSTMCall<TensorInfo>,
): ConvGradCall {
  const { batch, steps, channels, filters, mask } = call;
  const geometry = convLSTMGeometry(call);
  const inTable = convSourceTable(geometry.input);
  const recTable = convSourceTable(geometry.recurrent);
  const positions = inTable.positions;
  const frameSize = call.spatial.reduce((n, d) => n * d, channels);
  const depths: [number, number] = [inTable.taps * channels, recTable.taps * filters];
  const ex = state.exports;
  const threads = convThreadsFor(state, batch, batch * positions * depths[1] * 4 * filters);
  const scratchBytes = align(
    ex.convGradScratchBytes(batch, steps, filters, positions, ...depths, threads),
  );
  const savedBytes = ex.convGradSavedBytes(batch, steps, filters, positions, ...depths);
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  const maskBytes = mask != null && byteMask == null ? align(batch * steps) : 0;
  const tableBytes = align(inTable.source.byteLength) + align(recTable.source.byteLength);
  return {
    sizes: [batch, steps, channels, filters, frameSize, positions, inTable.taps, recTable.taps],
    positions,
    scratchBytes,
    savedBytes,
    frameBytes: scratchBytes + tableBytes + maskBytes,
    byteMask,
    tables: [inTable, recTable],
    depths,
    threads,
  };
}

/**
 * Writes both tables after the scratch at `scratch` (and a numeric mask as bytes after them);
 * returns the pointers `[inSource, recSource, mask]` (mask: `byteMaskPtr` when read in place).
 */
export function stageConvGradCall(
  state: BackendState,
  call: CheckedConvLSTMCall<TensorInfo>,
  c: ConvGradCall,
  scratch: number,
  byteMaskPtr: number,
): [number, number, number] {
  const [inTable, recTable] = c.tables;
  const inSource = scratch + c.scratchBytes;
  const recSource = inSource + align(inTable.source.byteLength);
  let maskPtr = byteMaskPtr;
  if (call.mask != null && c.byteMask == null) {
    maskPtr = recSource + align(recTable.source.byteLength);
    writeByteMask(state, call.mask, call.batch * call.steps, maskPtr);
  }
  const memory = state.bytes();
  new Int32Array(memory.buffer, inSource, inTable.source.length).set(inTable.source);
  new Int32Array(memory.buffer, recSource, recTable.source.length).set(recTable.source);
  return [inSource, recSource, maskPtr];
}
