/**
 * The README's custom-layer example ("Custom layers and Lambda"), word for word between the
 * markers; test/custom_layers.test.ts runs it and checks that the README holds the same code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadKerasModel, registerKerasLayer } from '../src/index.js';

/** Registers the model's AttentionLayer, loads `file` and runs it on token ids `[batch, 40]`. */
export async function readmeExample(file: string, ids: number[][]) {
  // README start
  // The model's own class: e = tanh(x·W + b), a = softmax(e) over the steps, output Σ a·x.
  registerKerasLayer('AttentionLayer', () => ({
    // Weights in the order the class creates them: W (features, 1), b (steps, 1).
    weights: ([x]) => [
      { name: 'W', shape: [x[2], 1] },
      { name: 'b', shape: [x[1], 1] },
    ],
    outputShape: ([x]) => [x[0], x[2]],
    call: ([x], [W, b]) => {
      const [batch, steps, features] = x.shape;
      const scores = tf.reshape(tf.matMul(tf.reshape(x, [-1, features]), W), [batch, steps, 1]);
      const e = tf.tanh(tf.add(scores, b));
      const a = tf.reshape(tf.softmax(tf.reshape(e, [batch, steps])), [batch, steps, 1]);
      return tf.sum(tf.mul(x, a), 1);
    },
  }));

  const model = await loadKerasModel(file);
  const probabilities = model.predict(tf.tensor2d(ids, [ids.length, 40], 'int32'));
  // README end
  return { model, probabilities: probabilities as tf.Tensor };
}
