/**
 * The training demo's model and data: windows of a sine wave and the value after each, and a
 * forecaster LSTM(16) → Dense(1) built from @rnnkit/core's LSTM and a small dense head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LSTM } from '@rnnkit/core';
import type { TrainableLayer } from '@rnnkit/core/training';

/** Steps of a window; each window's target is the value after it. */
export const WINDOW = 16;
/** Windows in the training set. */
export const SAMPLES = 96;

/**
 * `x` (SAMPLES, WINDOW, 1): sin(0.3·(i + t)), and `y` (SAMPLES, 1): the next value,
 * sin(0.3·(i + WINDOW)).
 */
export function sineWindows(): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const x = new Float32Array(SAMPLES * WINDOW);
  const y = new Float32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    for (let t = 0; t < WINDOW; t++) x[i * WINDOW + t] = Math.sin(0.3 * (i + t));
    y[i] = Math.sin(0.3 * (i + WINDOW));
  }
  return { x: tf.tensor3d(x, [SAMPLES, WINDOW, 1]), y: tf.tensor2d(y, [SAMPLES, 1]) };
}

/** Keras's Dense without activation: x · kernel + bias, glorot-uniform kernel, zero bias. */
export class DenseHead implements TrainableLayer {
  private kernel: tf.Tensor2D;
  private bias: tf.Tensor1D;

  constructor(inputDim: number, units: number, seed: number) {
    const limit = Math.sqrt(6 / (inputDim + units));
    this.kernel = tf.keep(tf.randomUniform([inputDim, units], -limit, limit, 'float32', seed));
    this.bias = tf.keep(tf.zeros([units]));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.kernel), this.bias);
  }

  getWeights(): tf.Tensor[] {
    return [this.kernel.clone(), this.bias.clone()];
  }

  setWeights(weights: tf.Tensor[]): void {
    const [kernel, bias] = weights;
    if (weights.length !== 2 || !tf.util.arraysEqual(kernel.shape, this.kernel.shape)) {
      throw new Error(
        `dense head weights: expected [kernel ${JSON.stringify(this.kernel.shape)}, bias], got ${weights.length} tensors`,
      );
    }
    // Copies (as rnnkit's layers keep them): fit passes tensors it frees or tracks itself.
    const next = [tf.keep(kernel.clone()), tf.keep(bias.clone())];
    this.dispose();
    [this.kernel, this.bias] = next as [tf.Tensor2D, tf.Tensor1D];
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias]);
  }
}

/** LSTM(16) → Dense(1), for {@link fit}. */
export function sineForecaster(): { layers: [LSTM, DenseHead]; dispose(): void } {
  const lstm = new LSTM({ units: 16 });
  const head = new DenseHead(16, 1, 7);
  return {
    layers: [lstm, head],
    dispose: () => {
      lstm.dispose();
      head.dispose();
    },
  };
}
