/** Checks of call arguments shared by the recurrent layers. */
import type * as tf from '@tensorflow/tfjs-core';
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

/** Checks initial states against the expected `[batch, size]` shapes. */
export function checkStates(
  layer: string,
  argument: string,
  states: readonly tf.Tensor[],
  batch: number,
  sizes: readonly number[],
): void {
  if (!Array.isArray(states))
    invalidArgument(`${layer} ${argument}`, `an array of ${sizes.length} tensors`, typeof states);
  if (states.length !== sizes.length) {
    throw new RnnkitError(
      `${layer} ${argument}: expected ${sizes.length} state tensor(s) of shapes ${sizes
        .map((s) => formatShape([batch, s]))
        .join(', ')}, got ${states.length}`,
    );
  }
  states.forEach((s, i) => {
    if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== sizes[i]) {
      invalidShape(`${layer} ${argument}[${i}]`, [batch, sizes[i]], s.shape);
    }
  });
}
