/**
 * Shared reading and arithmetic of the convolution, pooling, padding and resampling layers:
 * size tuples, `padding` and `data_format` options, Keras's output-length rule, explicit TF
 * padding amounts, and moving the channel axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import type { ConfigReader } from './config_reader.js';
import type { Shape } from './types.js';

/** Largest kernel, pool, stride, dilation or repeat size accepted. */
export const MAX_WINDOW = 1_000_000;

/** Keras `padding` of a convolution or pooling. */
export type Padding = 'valid' | 'same' | 'causal';

/**
 * Reads an option that Keras accepts as one integer or a list of `n` (e.g. `kernel_size`),
 * each within [min, MAX_WINDOW]; absent or null gives `fallback`.
 */
export function readSizes(
  r: ConfigReader,
  key: string,
  n: number,
  fallback: number[] | null,
  min = 1,
): number[] {
  const v = r.raw(key);
  if (v == null) {
    if (fallback == null) r.error(key, `is required (an integer or a list of ${n})`);
    return fallback;
  }
  const list = Array.isArray(v) ? v : [v];
  const ok =
    (list.length === n || (list.length === 1 && !Array.isArray(v))) &&
    list.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min && d <= MAX_WINDOW);
  if (!ok) {
    r.error(
      key,
      `must be an integer or a list of ${n} integers from ${min} to ${MAX_WINDOW}, got ${describe(v)}`,
    );
  }
  return list.length === n ? (list as number[]) : Array.from({ length: n }, () => list[0]);
}

/** A positive integer option up to MAX_WINDOW; absent or null gives `fallback`. */
export function readCount(r: ConfigReader, key: string, fallback: number): number {
  if (!r.has(key)) {
    r.raw(key);
    return fallback;
  }
  return r.positiveInt(key, MAX_WINDOW);
}

/** Reads `padding`: "valid" (the default), "same", or "causal" where allowed. */
export function readPadding(r: ConfigReader, allowCausal: boolean): Padding {
  const allowed = allowCausal ? ['valid', 'same', 'causal'] : ['valid', 'same'];
  const v = r.raw('padding');
  if (v == null) return 'valid';
  const p = typeof v === 'string' ? v.toLowerCase() : v;
  if (typeof p !== 'string' || !allowed.includes(p)) {
    r.error(
      'padding',
      `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}${allowCausal ? '' : ' ("causal" is for 1D convolutions)'}, got ${describe(v)}`,
    );
  }
  return p as Padding;
}

/** Reads `data_format`; true for "channels_first" (null means Keras's "channels_last"). */
export function readChannelsFirst(r: ConfigReader): boolean {
  const v = r.raw('data_format');
  if (v == null || v === 'channels_last') return false;
  if (v === 'channels_first') return true;
  r.error('data_format', `must be "channels_last" or "channels_first", got ${describe(v)}`);
}

/**
 * Keras's `conv_output_length`: the size of one output axis, or null when the input size is
 * unknown. Throws when the window does not fit (Keras refuses a size of 0 or less).
 */
export function outputLength(
  label: string,
  what: string,
  length: number | null,
  window: number,
  padding: Padding,
  stride: number,
  dilation = 1,
): number | null {
  if (length == null) return null;
  const span = (window - 1) * dilation + 1;
  const full = padding === 'valid' ? length - span + 1 : length;
  const out = Math.floor((full + stride - 1) / stride);
  if (out <= 0) {
    fail(
      `${label}: ${what} ${window}${dilation > 1 ? ` (dilated to ${span})` : ''} is larger than the input size ${length} with padding "${padding}"; expected an input of at least ${span}`,
    );
  }
  return out;
}

/** TF's explicit padding `[before, after]` of one axis for "valid", "same" or "causal". */
export function padAmounts(
  length: number,
  window: number,
  padding: Padding,
  stride: number,
  dilation = 1,
): [number, number] {
  const span = (window - 1) * dilation + 1;
  if (padding === 'valid') return [0, 0];
  if (padding === 'causal') return [span - 1, 0];
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + span - length, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** The spatial sizes and channels of a shape `[batch, ...]` with `n` spatial axes. */
export function splitShape(
  label: string,
  shape: Shape,
  n: number,
  channelsFirst: boolean,
): { spatial: (number | null)[]; channels: number | null } {
  if (shape.length !== n + 2) {
    fail(`${label}: expected an input of rank ${n + 2}, got shape ${formatShape(shape)}`);
  }
  return channelsFirst
    ? { spatial: shape.slice(2), channels: shape[1] }
    : { spatial: shape.slice(1, -1), channels: shape[n + 1] };
}

/** `[batch, ...spatial, channels]` or `[batch, channels, ...spatial]` by data format. */
export function joinShape(
  batch: number | null,
  spatial: (number | null)[],
  channels: number | null,
  channelsFirst: boolean,
): Shape {
  return channelsFirst ? [batch, channels, ...spatial] : [batch, ...spatial, channels];
}

/** Moves the channel axis of a channels_first tensor last. */
export function toChannelsLast(x: tf.Tensor): tf.Tensor {
  const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
  return tf.transpose(x, perm);
}

/** Moves the last (channel) axis of a tensor to position 1. */
export function toChannelsFirst(x: tf.Tensor): tf.Tensor {
  const perm = [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)];
  return tf.transpose(x, perm);
}

/**
 * Runs `op` on the channels_last form of `x` and returns the result in the layer's data format,
 * so every op below works on channels_last tensors only.
 */
export function inChannelsLast(
  x: tf.Tensor,
  channelsFirst: boolean,
  op: (x: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  if (!channelsFirst) return op(x);
  return toChannelsFirst(op(toChannelsLast(x)));
}

/** Pads the spatial axes of a channels_last tensor with `value`. */
export function padSpatial(x: tf.Tensor, pads: [number, number][], value = 0): tf.Tensor {
  if (pads.every(([a, b]) => a === 0 && b === 0)) return x;
  return tf.pad(x, [[0, 0], ...pads, [0, 0]], value);
}
