import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fromKerasConfig,
  getInitializer,
  GRU,
  INITIALIZER_NAMES,
  LSTM,
  Orthogonal,
  serializeInitializer,
} from '../src/index.js';

describe('initializers', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('every Keras initializer resolves by class name, snake_case name and serialized form', () => {
    for (const name of INITIALIZER_NAMES) {
      const init = getInitializer('init', name);
      const again = getInitializer('init', serializeInitializer(init));
      expect(again.className).toBe(init.className);
      const t = init.apply(name === 'Identity' ? [4, 4] : [4, 6]);
      expect(t.dtype).toBe('float32');
      t.dispose();
    }
    expect(getInitializer('init', 'glorot_uniform').className).toBe('GlorotUniform');
  });

  it('a seed gives the same values; no seed differs between instances', () => {
    const a = getInitializer('k', { class_name: 'GlorotUniform', config: { seed: 7 } }).apply([
      8, 8,
    ]);
    const b = getInitializer('k', { class_name: 'GlorotUniform', config: { seed: 7 } }).apply([
      8, 8,
    ]);
    const c = getInitializer('k', 'glorot_uniform').apply([8, 8]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
  });

  it('RandomNormal and TruncatedNormal draw with their mean and stddev; truncation at 2 stddev', () => {
    const n = getInitializer('k', {
      class_name: 'RandomNormal',
      config: { mean: 1, stddev: 2, seed: 3 },
    })
      .apply([100, 100])
      .dataSync() as Float32Array;
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
    expect(Math.max(...n.map((v) => Math.abs(v - 1)))).toBeGreaterThan(4);
    const t = getInitializer('k', {
      class_name: 'TruncatedNormal',
      config: { mean: 1, stddev: 2, seed: 3 },
    })
      .apply([100, 100])
      .dataSync();
    expect(Math.max(...t.map((v) => Math.abs(v - 1)))).toBeLessThanOrEqual(4 + 1e-6);
  });

  it('GlorotUniform stays within sqrt(6 / (fan_in + fan_out))', () => {
    const limit = Math.sqrt(6 / (64 + 32));
    const v = getInitializer('k', 'glorot_uniform').apply([64, 32]).dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(limit);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...v)).toBeGreaterThan(0.9 * limit);
  });

  it('Orthogonal gives orthonormal columns (tall) and rows (wide)', () => {
    for (const shape of [
      [12, 5],
      [5, 12],
    ]) {
      const q = new Orthogonal(1, 3).apply(shape) as tf.Tensor2D;
      const gram =
        shape[0] >= shape[1] ? tf.matMul(q, q, true, false) : tf.matMul(q, q, false, true);
      const eye = tf.eye(Math.min(shape[0], shape[1]));
      expect(tf.max(tf.abs(tf.sub(gram, eye))).dataSync()[0]).toBeLessThan(1e-5);
    }
  });

  it('Orthogonal gives a 512-unit LSTM an orthonormal recurrent kernel (512 × 2048 rows)', () => {
    // Keras factors the (2048, 512) transpose, so the 512 rows are orthonormal. The time this
    // takes is printed; speed is judged by the benchmarks, not by a wall-clock assertion.
    const start = performance.now();
    const lstm = new LSTM({ units: 512 });
    lstm.build(128);
    console.log(
      `Orthogonal 512 × 2048 + glorot 128 × 2048: ${(performance.now() - start).toFixed(0)} ms`,
    );
    const r = lstm.getWeights()[1];
    expect(r.shape).toEqual([512, 2048]);
    const gram = tf.matMul(r, r, false, true);
    const err = tf.max(tf.abs(tf.sub(gram, tf.eye(512)))).dataSync()[0];
    expect(err).toBeLessThan(1e-4);
    tf.dispose([gram]);
    lstm.dispose();
  }, 60_000); // a 2048 × 512 factorization and its check take seconds on a busy 2-core runner

  it('unit_forget_bias starts the forget slice at 1 whatever bias_initializer says', () => {
    const lstm = new LSTM({ units: 3, biasInitializer: 'zeros' });
    lstm.build(2);
    const bias = Array.from(lstm.getWeights()[2].dataSync());
    expect(bias).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const off = new LSTM({ units: 3, unitForgetBias: false, biasInitializer: 'ones' });
    off.build(2);
    expect(Array.from(off.getWeights()[2].dataSync())).toEqual(new Array(12).fill(1));
  });

  it('GRU bias shape follows reset_after', () => {
    const after = new GRU({ units: 4 });
    after.build(3);
    expect(after.getWeights().map((w) => w.shape)).toEqual([
      [3, 12],
      [4, 12],
      [2, 12],
    ]);
    const before = new GRU({ units: 4, resetAfter: false });
    before.build(3);
    expect(before.getWeights().map((w) => w.shape)).toEqual([[3, 12], [4, 12], [12]]);
  });

  it('accepts every name Keras 2.x, tf.keras and Keras 3 have written for these classes', () => {
    // Names read from keras/src/initializers/__init__.py and tf_keras/initializers/__init__.py.
    const written: Record<string, string> = {
      OrthogonalInitializer: 'Orthogonal',
      IdentityInitializer: 'Identity',
      normal: 'RandomNormal',
      uniform: 'RandomUniform',
      one: 'Ones',
      zero: 'Zeros',
      random_normal: 'RandomNormal',
      truncated_normal: 'TruncatedNormal',
      variance_scaling: 'VarianceScaling',
      he_uniform: 'HeUniform',
      OrthogonalV2: 'Orthogonal',
      GlorotUniformV2: 'GlorotUniform',
      VarianceScalingV2: 'VarianceScaling',
      glorot_uniformV2: 'GlorotUniform',
      lecun_normalV2: 'LecunNormal',
    };
    for (const [name, className] of Object.entries(written)) {
      expect(getInitializer('init', { class_name: name, config: {} }).className, name).toBe(
        className,
      );
    }
  });

  it('a loaded layer keeps the initializers its file wrote and never fails on one it cannot build', () => {
    const saved = {
      module: 'keras.initializers',
      class_name: 'OrthogonalInitializer',
      config: { gain: 1, seed: null },
      registered_name: null,
    };
    const custom = { class_name: 'MyInit', config: { scale: 3 } };
    const lstm = fromKerasConfig(
      {
        class_name: 'LSTM',
        config: { units: 3, recurrent_initializer: saved, kernel_initializer: custom },
      },
      { kerasVersion: '3.3.3' },
    ) as LSTM;
    const config = lstm.getConfig();
    expect(config.recurrent_initializer).toEqual(saved);
    expect(config.kernel_initializer).toEqual(custom);
    // Weights come from the file; only creating them needs the initializer.
    expect(() => lstm.build(2)).toThrow(
      /kernel_initializer: expected an initializer .*got \{"class_name":"MyInit".*set them \(setWeights\)/,
    );
    lstm.setWeights([tf.zeros([2, 12]), tf.zeros([3, 12]), tf.zeros([12])]);
    const y = lstm.apply(tf.ones([1, 2, 2])) as tf.Tensor;
    expect(y.shape).toEqual([1, 3]);
    tf.dispose([y]);
  });
});
