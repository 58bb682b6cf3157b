// fromKerasConfig accepts the recurrent-layer configs of the real Keras files in
// ../shared/keras-models, and builds weights of the shapes those files store.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { unzipSync, strFromU8 } from 'fflate';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  fromKerasConfig,
  RecurrentLayer,
  type KerasLayerJson,
} from '../src/index.js';

const MODELS = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/keras-models');
const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU', 'RNN', 'Bidirectional'];

interface ModelJson {
  class_name: string;
  config: { layers: KerasLayerJson[] };
}

async function readModel(
  dir: string,
): Promise<{ model: ModelJson; kerasVersion: string; shapes: number[][] }> {
  await h5wasm.ready;
  const file = readdirModel(dir);
  const bytes = readFileSync(join(MODELS, dir, file));
  const name = join(mkdtempSync(join(tmpdir(), 'rnnkit-')), `${dir}.h5`);
  if (file.endsWith('.keras')) {
    const zip = unzipSync(bytes);
    const meta = JSON.parse(strFromU8(zip['metadata.json'])) as { keras_version: string };
    writeFileSync(name, zip['model.weights.h5']);
    const shapes = datasetShapes(new h5wasm.File(name, 'r'), 'layers');
    return {
      model: JSON.parse(strFromU8(zip['config.json'])) as ModelJson,
      kerasVersion: meta.keras_version,
      shapes,
    };
  }
  const f = new h5wasm.File(join(MODELS, dir, file), 'r');
  const attr = (k: string) => String(f.attrs[k].value);
  return {
    model: JSON.parse(attr('model_config')) as ModelJson,
    kerasVersion: attr('keras_version'),
    shapes: datasetShapes(f, 'model_weights'),
  };
}

function readdirModel(dir: string): string {
  const files = [
    'GRU_model.h5',
    'gru_model.keras',
    'simple_rnn_model.h5',
    'mymodel.h5',
    'save_keras35.h5',
  ];
  const found = files.find((f) => existsSync(join(MODELS, dir, f)));
  if (found == null) throw new Error(`no model file in ${dir}`);
  return found;
}

function datasetShapes(group: InstanceType<typeof h5wasm.Group>, path: string): number[][] {
  const shapes: number[][] = [];
  const walk = (p: string) => {
    const node = group.get(p);
    if (node instanceof h5wasm.Dataset) shapes.push(node.shape as number[]);
    else if (node instanceof h5wasm.Group) node.keys().forEach((k) => walk(`${p}/${k}`));
  };
  walk(path);
  return shapes;
}

const dirs = existsSync(MODELS)
  ? [
      'keras224_gru_reset_before',
      'keras3150_stacked_gru_dotkeras',
      'keras380_simplernn_relu_h5',
      'tfkeras240_embedding_bilstm',
      'tfkeras240_lstm_toy',
    ]
  : [];

describe('configs of real Keras files', () => {
  beforeAll(() => tf.setBackend('cpu'));
  it('the fixtures are present', () => expect(dirs.length).toBe(5));

  for (const dir of dirs) {
    it(dir, async () => {
      const { model, kerasVersion, shapes } = await readModel(dir);
      const layers = model.config.layers.filter((l) => RECURRENT.includes(l.class_name));
      expect(layers.length).toBeGreaterThan(0);
      const stored = shapes.map((s) => JSON.stringify(s));
      for (const json of layers) {
        const layer = fromKerasConfig(json, { kerasVersion });
        const config = json.config as { units?: number; layer?: { config: { units: number } } };
        // Build from the feature size the file's weights imply, then compare weight shapes.
        const kernelShape =
          shapes.find(
            (s) => s.length === 2 && s[1] === 4 * (config.units ?? config.layer?.config.units ?? 0),
          ) ??
          shapes.find(
            (s) =>
              s.length === 2 && (s[1] === 3 * (config.units ?? 0) || s[1] === (config.units ?? 0)),
          );
        expect(kernelShape, `kernel of ${json.config.name}`).toBeDefined();
        layer.build(kernelShape![0]);
        const weights = layer.getWeights();
        for (const w of weights)
          expect(stored, `${json.config.name} weight ${JSON.stringify(w.shape)}`).toContain(
            JSON.stringify(w.shape),
          );
        weights.forEach((w) => w.dispose());
        // The config round-trips through getConfig.
        const again = fromKerasConfig(
          { class_name: json.class_name, config: layer.getConfig() },
          { kerasVersion },
        );
        expect(again.getConfig()).toEqual(layer.getConfig());
        expect(layer instanceof RecurrentLayer || layer instanceof Bidirectional).toBe(true);
        layer.dispose();
        again.dispose();
      }
    });
  }
});
