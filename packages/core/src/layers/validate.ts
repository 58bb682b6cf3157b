/** Checks of call arguments shared by the recurrent layers. */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, invalidArgument, invalidShape, RnnkitError } from '../errors.js';

/** Checks that `x` is a float `[batch, time, features]` tensor; returns its shape. */
export function checkSequenceInput(layer: string, x: tf.Tensor): [number, number, number] {
  if (x == null || typeof x !== 'object' || !('shape' in x)) {
    invalidArgument(`${layer} input`, 'a tf.Tensor', typeof x);
  }
  if (x.rank !== 3)
    invalidShape(`${layer} input`, 'a rank-3 tensor [batch, time, features]', x.shape);
  if (x.dtype !== 'float32') invalidArgument(`${layer} input dtype`, 'float32', x.dtype);
  const [b, t, d] = x.shape as [number, number, number];
  if (t === 0) invalidShape(`${layer} input`, 'at least one timestep', x.shape);
  return [b, t, d];
}

/** Checks a `[batch, time]` bool mask. */
export function checkMask(layer: string, mask: tf.Tensor, batch: number, time: number): void {
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time) {
    invalidShape(`${layer} mask`, [batch, time], mask.shape);
  }
  if (mask.dtype !== 'bool') invalidArgument(`${layer} mask dtype`, 'bool', mask.dtype);
}

/**
 * Checks states against the shapes the layer's families give (`stateShapes` of the family
 * table: `[batch, units]`, or `[batch, *spatial, filters]` for a spatial family).
 */
export function checkStates(
  layer: string,
  argument: string,
  states: readonly tf.Tensor[],
  shapes: readonly (readonly number[])[],
): void {
  if (!Array.isArray(states))
    invalidArgument(`${layer} ${argument}`, `an array of ${shapes.length} tensors`, typeof states);
  if (states.length !== shapes.length) {
    throw new RnnkitError(
      `${layer} ${argument}: expected ${shapes.length} state tensor(s) of shapes ${shapes
        .map((s) => formatShape(s))
        .join(', ')}, got ${states.length}`,
    );
  }
  states.forEach((s, i) => {
    const want = shapes[i];
    if (s.rank !== want.length || want.some((d, j) => s.shape[j] !== d)) {
      invalidShape(`${layer} ${argument}[${i}]`, [...want], s.shape);
    }
  });
}

/**
 * Checks weights against a cell's specs (Keras order and shapes) and returns float32 copies the
 * cell owns (kept outside any tidy scope).
 */
export function ownedWeights(
  cell: string,
  weights: tf.Tensor[],
  specs: readonly { name: string; shape: readonly number[] }[],
): tf.Tensor[] {
  if (weights.length !== specs.length) {
    invalidArgument(
      `${cell} weights`,
      `${specs.length} tensors (${specs.map((s) => s.name).join(', ')})`,
      `${weights.length} tensors`,
    );
  }
  specs.forEach((spec, i) => {
    const w = weights[i];
    if (w.shape.length !== spec.shape.length || w.shape.some((d, j) => d !== spec.shape[j])) {
      throw new RnnkitError(
        `${cell} weight '${spec.name}': expected shape ${formatShape(spec.shape)}, got shape ${formatShape(w.shape)}`,
      );
    }
  });
  return weights.map((w) => tf.keep(tf.tidy(() => tf.cast(w, 'float32').clone())));
}
