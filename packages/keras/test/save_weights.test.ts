/**
 * `saveWeightsH5` against real Keras 3 files: for `.keras` archives written by Keras 3.3, 3.13 and
 * 3.15 (Sequential and Functional; LSTM, GRU, Bidirectional, Dropout, Dense), the file written
 * after training has exactly the datasets (paths, shapes) and `vars` names of the archive's own
 * `model.weights.h5`, and the archive with it swapped in loads back to the trained predictions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm';
import { describe, expect, it } from 'vitest';
import { loadKerasModel, saveWeightsH5 } from '../src/index.js';
import { fitModel } from '../src/training/index.js';

const SHARED = join(import.meta.dirname, '../../../../shared');

const ARCHIVES = [
  'wild-models/bigru_functional_dotkeras_k3132',
  'keras-models/keras3150_stacked_gru_dotkeras',
  'wild-models/stacked_lstm_dotkeras_k333',
];

function archivePath(dir: string): string {
  const file = readdirSync(join(SHARED, dir)).find((f) => f.endsWith('.keras'));
  return join(SHARED, dir, file as string);
}

/** Every dataset (path → shape) and `vars` name attribute of an HDF5 file, training state left out. */
async function layout(bytes: Uint8Array): Promise<{ datasets: string[]; names: string[] }> {
  const { FS } = await h5wasm.ready;
  const path = `/layout-${Math.random().toString(36).slice(2)}.h5`;
  FS.writeFile(path, bytes);
  const file = new h5wasm.File(path, 'r');
  const datasets: string[] = [];
  const names: string[] = [];
  const walk = (group: InstanceType<typeof h5wasm.Group>, at: string) => {
    for (const key of group.keys()) {
      if (at === '' && ['optimizer', 'metrics', 'compile_metrics'].includes(key)) continue;
      const child = group.get(key);
      const p = `${at}/${key}`;
      if (child instanceof h5wasm.Dataset) datasets.push(`${p} ${JSON.stringify(child.shape)}`);
      else if (child instanceof h5wasm.Group) {
        const name = child.attrs.name?.value;
        if (key === 'vars' && name != null) names.push(`${p} ${String(name)}`);
        walk(child, p);
      }
    }
  };
  walk(file, '');
  file.close();
  FS.unlink(path);
  return { datasets: datasets.sort(), names: names.sort() };
}

describe('saveWeightsH5', () => {
  for (const dir of ARCHIVES) {
    it(`writes ${dir}'s layout after training, and the archive loads back to the trained model`, async () => {
      const bytes = new Uint8Array(readFileSync(archivePath(dir)));
      const entries = unzipSync(bytes);
      const model = await loadKerasModel(bytes);
      const shape = model.inputShapes[0].map((d, i) => (i === 0 ? 6 : (d ?? 5)));
      const x = tf.randomUniform(shape, -1, 1, 'float32', 3);
      const out = model.predict(x) as tf.Tensor;
      const y = tf.randomUniform(out.shape, 0, 1, 'float32', 4);
      await fitModel(model, x, y, { epochs: 1, batchSize: 3, learningRate: 0.05 });
      const trained = model.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(trained, out))).dataSync()[0]).toBeGreaterThan(1e-4);

      const written = await saveWeightsH5(model);
      const ours = await layout(written);
      const keras = await layout(entries['model.weights.h5']);
      expect(ours.datasets).toEqual(keras.datasets);
      // Older Keras 3 files name no vars group; newer ones name each.
      if (keras.names.length > 0) expect(ours.names).toEqual(keras.names);

      const archive = zipSync({ ...entries, 'model.weights.h5': written });
      const reloaded = await loadKerasModel(archive);
      const again = reloaded.predict(x) as tf.Tensor;
      expect(Array.from(again.dataSync())).toEqual(Array.from(trained.dataSync()));
      tf.dispose([x, y, out, trained, again]);
      model.dispose();
      reloaded.dispose();
    });
  }
});
