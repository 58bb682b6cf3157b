import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { loadKerasModel } from '../src/index.js';
import { fitModel } from '../src/training/index.js';
import { flat, wildFixtures } from './helpers.js';

it('survey', async () => {
  for (const fx of wildFixtures()) {
    const e = fx.expected;
    let line = fx.id + ': ';
    try {
      const model = await loadKerasModel(fx.modelPath);
      const x = e.inputs == null
        ? tf.tensor(flat(e.input), e.input_shape ?? [], e.input_dtype === 'int32' ? 'int32' : 'float32')
        : (e.input_names ?? []).map((n) => tf.tensor(flat(e.inputs?.[n]), e.input_shapes?.[n] ?? [], e.input_dtypes?.[n] === 'int32' ? 'int32' : 'float32'));
      const out = model.predict(x);
      const o = Array.isArray(out) ? out[0] : out;
      const y = tf.add(o, 0.1);
      const h = await fitModel(model, x, y, { epochs: 2, batchSize: 2, optimizer: 'sgd', learningRate: 0.01, shuffle: false });
      line += `trained loss ${h.loss.map((l) => l.toExponential(3)).join(' -> ')} (params ${model.countParams()})`;
      model.dispose();
    } catch (err) {
      line += 'REFUSED ' + (err as Error).message.slice(0, 300);
    }
    console.log(line);
  }
}, 600000);
