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
import { align, forwardPointers, stepMask, type StepMask } from './module_args.js';

/** The module's size arguments: batch, steps, channels, filters, frameSize, positions, taps ×2. */
export type ConvSizes = [number, number, number, number, number, number, number, number];

/** A checked ConvLSTM call as the module's backward entry points take it. */
export interface ConvGradCall {
  call: CheckedConvLSTMCall<TensorInfo>;
  /** The module's size arguments (`convLSTMGrad`'s first eight). */
  sizes: ConvSizes;
  positions: number;
  /** The shape of a state (`[batch, ...outSpatial, filters]`). */
  stateShape: number[];
  /** Bytes of the module's scratch (64-byte multiple). */
  scratchBytes: number;
  /** Bytes of the saved activations a backward pass reads. */
  savedBytes: number;
  /** Bytes to ask the call frame for: the scratch, the tables and a byte mask. */
  frameBytes: number;
  mask: StepMask;
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
  const { batch, steps, channels, filters } = call;
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
  const mask = stepMask(call.mask, batch * steps);
  const tableBytes = align(inTable.source.byteLength) + align(recTable.source.byteLength);
  return {
    call,
    sizes: [batch, steps, channels, filters, frameSize, positions, inTable.taps, recTable.taps],
    positions,
    stateShape: [batch, ...call.outSpatial, filters],
    scratchBytes,
    savedBytes,
    frameBytes: scratchBytes + tableBytes + mask.bytes,
    mask,
    tables: [inTable, recTable],
    depths,
    threads,
  };
}

/**
 * Writes both tables after the scratch at `scratch` (and a numeric mask as bytes after them);
 * returns the module arguments both backward entry points start with, from the sizes to the
 * recurrent mask, given the frame's pointers of `forwardInputs`.
 */
export function stageConvGradCall(
  state: BackendState,
  c: ConvGradCall,
  scratch: number,
  inputs: readonly number[],
): number[] {
  const [inTable, recTable] = c.tables;
  const { batch, filters } = c.call;
  const inSource = scratch + c.scratchBytes;
  const recSource = inSource + align(inTable.source.byteLength);
  const maskAt = recSource + align(recTable.source.byteLength);
  const [xPtr, ...rest] = forwardPointers(
    state,
    c.mask,
    inputs,
    maskAt,
    batch * c.positions * filters,
  );
  const memory = state.bytes();
  new Int32Array(memory.buffer, inSource, inTable.source.length).set(inTable.source);
  new Int32Array(memory.buffer, recSource, recTable.source.length).set(recTable.source);
  return [...c.sizes, xPtr, inSource, recSource, ...rest];
}
