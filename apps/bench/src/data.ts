/**
 * Deterministic inputs and Keras-layout weights (drawn from @rnnkit/core's seeded `mulberry32`),
 * so every runner (and every run) sees the same numbers. Scales follow Glorot-uniform, which
 * keeps the gates away from saturation: a wrong gate order or a transposed matrix then shows up
 * as a large output difference.
 */
import { FAMILIES, gateCount as familyGateCount, type RecurrentFamily } from '@rnnkit/core';

/** One direction's Keras weights, row-major. */
export interface KerasRnnWeights {
  /** `[D, G·U]`. */
  kernel: Float32Array;
  /** `[U, G·U]`. */
  recurrentKernel: Float32Array;
  /** `[G·U]`, or `[2, 3·U]` for GRU with `reset_after=True` (input bias row, recurrent bias row). */
  bias: Float32Array;
}

/** `n` values uniform in [−limit, limit). */
export function uniform(n: number, limit: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

/**
 * Recurrent cells the bench covers: LSTM, GRU with `reset_after=True` (the Keras default),
 * GRU with `reset_after=False`, the one GRU that tfjs-layers implements, and ConvLSTM2D.
 */
export type Cell = 'lstm' | 'gru' | 'gru-reset-before' | 'convlstm2d';

/** The cell's row of @rnnkit/core's family table. */
export function familyOf(cell: Cell): RecurrentFamily {
  return cell === 'lstm'
    ? FAMILIES.LSTM
    : cell === 'convlstm2d'
      ? FAMILIES.ConvLSTM2D
      : FAMILIES.GRU;
}

/** Gate blocks per cell, from the family table. */
export function gateCount(cell: Cell): number {
  return familyGateCount(familyOf(cell));
}

/** True for both GRU variants. */
export function isGru(cell: Cell): boolean {
  return cell === 'gru' || cell === 'gru-reset-before';
}

/** True for the convolutional LSTM, whose steps are frames `[H, W, C]` rather than vectors. */
export function isConv(cell: Cell): boolean {
  return cell === 'convlstm2d';
}

/** True when the Keras bias has a recurrent row: `[2, 3·U]` (GRU `reset_after=True`). */
export function hasRecurrentBias(cell: Cell): boolean {
  return cell === 'gru';
}

/**
 * Keras weights for one direction: `[D, G·U]`, `[U, G·U]`, bias `[G·U]` (GRU reset_after
 * `[2, 3·U]`). For ConvLSTM2D, `taps` is the kernel's `k·k` positions: the kernels are
 * `[k, k, D, 4·U]` and `[k, k, U, 4·U]` (D channels, U filters), with Glorot limits over the
 * taps as Keras computes its fans.
 */
export function kerasWeights(
  cell: Cell,
  inputSize: number,
  units: number,
  rand: () => number,
  taps = 1,
): KerasRnnWeights {
  const gu = gateCount(cell) * units;
  const fanOut = taps * gu;
  return {
    kernel: uniform(taps * inputSize * gu, Math.sqrt(6 / (taps * inputSize + fanOut)), rand),
    recurrentKernel: uniform(taps * units * gu, Math.sqrt(6 / (taps * units + fanOut)), rand),
    bias: uniform(hasRecurrentBias(cell) ? 2 * gu : gu, 0.1, rand),
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
