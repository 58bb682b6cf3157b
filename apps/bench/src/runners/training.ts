/**
 * The training step of the `train` workloads, shared by the rnnkit and tfjs-layers runners: the
 * loss `mean(output²)` over the whole output sequence, its gradients w.r.t. the layer's weights
 * in Keras `get_weights()` order (kernel, recurrent kernel, bias), flattened into one tensor.
 * A training runner returns those gradients times `B·T` (the gradients of the squared outputs
 * averaged over units and summed over samples and steps: of order 1 on the bench's workloads
 * rather than 1/(B·T·U)), so that the bench's absolute comparison of outputs across runners
 * (`DIFF_WARN`) compares gradients at a meaningful scale.
 */
import '@rnnkit/core/training';
import * as tf from '@tensorflow/tfjs-core';

/** The loss of the training workloads. */
export function trainingLoss(output: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(output));
}

/**
 * One training step's gradients: `run(weights)` computes the output with `weights` in place of
 * the layer's (called on a gradient tape); returns the gradients flattened and concatenated.
 */
export function flatGradients(
  weights: tf.Tensor[],
  run: (weights: tf.Tensor[]) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const grads = tf.grads((...w: tf.Tensor[]) => trainingLoss(run(w)))(weights);
    return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
  });
}

/** The gradients a training runner returns for comparison (see the module comment). */
export function checkedGradients(gradients: tf.Tensor, scale: number): tf.Tensor {
  return tf.tidy(() => tf.mul(gradients, scale));
}

/** The scale of {@link checkedGradients} for a training workload: `B·T`. */
export function gradientScale(w: { batch: number; time: number }): number {
  return w.batch * w.time;
}
