/** Seeded test data. */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@rnnkit/core';

/** A float32 tensor of `shape`, values uniform in [−scale, scale) from `mulberry32(seed)`. */
export function seededTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => scale * (2 * rand() - 1)),
    shape,
  );
}
