/**
 * Deterministic inputs and Keras-layout weights (drawn from @rnnkit/core's seeded `mulberry32`),
 * so every runner (and every run) sees the same numbers. Scales follow Glorot-uniform, which
 * keeps the gates away from saturation: a wrong gate order or a transposed matrix then shows up
 * as a large output difference.
 */
import {
  FAMILIES,
  gateCount as familyGateCount,
  weightShapes,
  type RecurrentFamily,
} from '@rnnkit/core';
import type { KerasRnnWeights } from './onnx/keras_to_onnx.js';

/** `n` values uniform in [−limit, limit). */
export function uniform(n: number, limit: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

/**
 * Recurrent cells the bench covers: LSTM, GRU with `reset_after=True` (the Keras default) and
 * GRU with `reset_after=False`, the one GRU that tfjs-layers implements.
 */
export type Cell = 'lstm' | 'gru' | 'gru-reset-before';

/** The cell's row of @rnnkit/core's family table. */
export function familyOf(cell: Cell): RecurrentFamily {
  return cell === 'lstm' ? FAMILIES.LSTM : FAMILIES.GRU;
}

/** Gate blocks per cell, from the family table. */
export function gateCount(cell: Cell): number {
  return familyGateCount(familyOf(cell));
}

/** True for both GRU variants. */
export function isGru(cell: Cell): boolean {
  return cell !== 'lstm';
}

/** True when the Keras bias has a recurrent row: `[2, 3·U]` (GRU `reset_after=True`). */
export function hasRecurrentBias(cell: Cell): boolean {
  return cell === 'gru';
}

/**
 * Keras weights for one direction, in the family table's shapes: `[D, G·U]`, `[U, G·U]`, bias
 * `[G·U]` (GRU reset_after `[2, 3·U]`).
 */
export function kerasWeights(
  cell: Cell,
  inputSize: number,
  units: number,
  rand: () => number,
): KerasRnnWeights {
  const [kernel, recurrent, bias] = weightShapes(familyOf(cell), {
    inputDim: inputSize,
    units,
    resetAfter: hasRecurrentBias(cell),
  });
  const [, gu] = kernel.shape;
  const size = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
  return {
    kernel: uniform(size(kernel.shape), Math.sqrt(6 / (inputSize + gu)), rand),
    recurrentKernel: uniform(size(recurrent.shape), Math.sqrt(6 / (units + gu)), rand),
    bias: uniform(size(bias.shape), 0.1, rand),
  };
}

/** Transposes `[B, T, D]` to ONNX's time-major `[T, B, D]`. */
export function toTimeMajor(
  x: Float32Array,
  batch: number,
  time: number,
  features: number,
): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      out.set(
        x.subarray((b * time + t) * features, (b * time + t + 1) * features),
        (t * batch + b) * features,
      );
    }
  }
  return out;
}

/** Rearranges ONNX `Y_h [dirs, B, U]` to Keras's concatenated `[B, dirs·U]`. */
export function lastStateToBatchMajor(
  yh: Float32Array,
  dirs: number,
  batch: number,
  units: number,
): Float32Array {
  const out = new Float32Array(yh.length);
  for (let d = 0; d < dirs; d++) {
    for (let b = 0; b < batch; b++) {
      out.set(
        yh.subarray((d * batch + b) * units, (d * batch + b + 1) * units),
        (b * dirs + d) * units,
      );
    }
  }
  return out;
}
