/**
 * The facts of the ConvLSTM family in one place: its kernel, Keras class names, gates, states
 * and weight shapes. Layers, the loader and backends read them from here.
 */
import { ConvLSTMSequence } from './contract.js';

/** Spatial dimensionality of a ConvLSTM layer. */
export type ConvRank = 1 | 2 | 3;

/** A named weight and its Keras shape. */
export interface ConvLSTMWeightSpec {
  name: 'kernel' | 'recurrent_kernel' | 'bias';
  shape: number[];
}

/** The ConvLSTM family. */
export const CONV_LSTM_FAMILY = {
  kernelName: ConvLSTMSequence,
  /** Keras layer class by spatial rank. */
  layerClassNames: { 1: 'ConvLSTM1D', 2: 'ConvLSTM2D', 3: 'ConvLSTM3D' } as Record<
    ConvRank,
    string
  >,
  /** Keras 3 names its cell `ConvLSTMCell` whatever the rank. */
  cellClassName: 'ConvLSTMCell',
  /** Gate blocks along the last axis of the kernels and the bias, in Keras order. */
  gates: ['i', 'f', 'c', 'o'] as const,
  /** Index of the forget gate (`unit_forget_bias` puts ones there). */
  forgetGate: 1,
  /** States in Keras order, each `[batch, ...outputSpatial, filters]`. */
  states: ['h', 'c'] as const,
  /** Keras `get_weights()` order and shapes. */
  weightSpecs(
    kernelSize: readonly number[],
    inChannels: number,
    filters: number,
    useBias: boolean,
  ): ConvLSTMWeightSpec[] {
    const g = 4 * filters;
    const specs: ConvLSTMWeightSpec[] = [
      { name: 'kernel', shape: [...kernelSize, inChannels, g] },
      { name: 'recurrent_kernel', shape: [...kernelSize, filters, g] },
    ];
    if (useBias) specs.push({ name: 'bias', shape: [g] });
    return specs;
  },
} as const;

/** The ConvLSTM layer class names (`ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D`). */
export const CONV_LSTM_CLASS_NAMES = Object.values(CONV_LSTM_FAMILY.layerClassNames);

/** The spatial rank of a ConvLSTM class name, or null for any other class. */
export function convLSTMRank(className: string): ConvRank | null {
  for (const rank of [1, 2, 3] as const) {
    if (CONV_LSTM_FAMILY.layerClassNames[rank] === className) return rank;
  }
  return null;
}

/**
 * Output size of one spatial dimension of a convolution (TensorFlow's rule): `valid` keeps the
 * positions where the dilated kernel fits, `same` gives `ceil(size / stride)`.
 */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
): number {
  if (padding === 'same') return Math.ceil(size / stride);
  const span = dilation * (kernel - 1) + 1;
  return size < span ? 0 : Math.floor((size - span) / stride) + 1;
}
