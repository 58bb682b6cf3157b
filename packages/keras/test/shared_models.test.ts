/**
 * The five real Keras files in ../shared/keras-models: every listed layer output must match
 * expected.json (numpy float64 of the Keras equations) within 1e-4·max(1, |y|), on each backend
 * present in the workspace.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKerasModel, type KerasModel } from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { flat, shapeOf, sharedFixtures, workspaceBackends } from './helpers.js';
import { startBackend } from './availability.js';

const fixtures = sharedFixtures();
const TOLERANCE = 1e-4;

/** Parameter counts from the Keras formulas, e.g. GRU(reset_after) = 3·u·(d + u) + 2·3u. */
const PARAMS: Record<string, number> = {
  keras224_gru_reset_before: 3 * (60 * 64 + 64 * 64 + 64) + (64 + 1),
  keras3150_stacked_gru_dotkeras: 3 * 64 * (3 + 64) + 2 * 192 + (3 * 32 * (64 + 32) + 2 * 96) + 33,
  keras380_simplernn_relu_h5: 50 * (1 + 50 + 1) + 51,
  tfkeras240_embedding_bilstm: 1000 * 16 + 2 * 4 * 32 * (16 + 32 + 1) + (64 * 24 + 24) + (24 + 1),
  tfkeras240_lstm_toy: 4 * 200 * (1 + 200 + 1) + (200 * 100 + 100) + 101,
};

describe('shared fixtures are present', () => {
  it('finds the five real Keras files', () => {
    expect(fixtures.map((f) => f.id)).toEqual([
      'keras224_gru_reset_before',
      'keras3150_stacked_gru_dotkeras',
      'keras380_simplernn_relu_h5',
      'tfkeras240_embedding_bilstm',
      'tfkeras240_lstm_toy',
    ]);
  });
});

for (const backend of workspaceBackends()) {
  describe(`shared Keras models on ${backend.name}`, () => {
    const started = startBackend(backend);

    for (const fx of fixtures) {
      describe(fx.id, () => {
        let model: KerasModel;
        beforeAll(async () => {
          if (started.ready) model = await loadKerasModel(fx.modelPath);
        }, 60_000);
        afterAll(() => model?.dispose());

        it('loads with the Keras version, output shapes and parameter count of the file', (ctx) => {
          started.skipIfDown(ctx);
          expect(model.kerasVersion).toBe(fx.expected.keras_version);
          expect(model.outputNames).toEqual([fx.expected.output_layer]);
          for (const info of model.layers) {
            const shape = fx.expected.output_shapes[info.name];
            if (shape != null)
              expect([null, ...shape.slice(1)], info.name).toEqual(info.outputShapes[0]);
          }
          expect(model.countParams()).toBe(PARAMS[fx.id]);
          expect(model.summary(null)).toContain(
            `Total params: ${PARAMS[fx.id].toLocaleString('en-US')}`,
          );
        });

        it('matches every listed layer output', async (ctx) => {
          started.skipIfDown(ctx);
          const dtype = fx.expected.input_dtype === 'int32' ? 'int32' : 'float32';
          const x = tf.tensor(flat(fx.expected.input), fx.expected.input_shape, dtype);
          const names = Object.keys(fx.expected.outputs);
          const got = model.predict(x, { outputs: names });
          const errors: Record<string, number> = {};
          for (const name of names) {
            const want = fx.expected.outputs[name];
            expect(got[name].shape, name).toEqual(shapeOf(want));
            // Asynchronous reads: GPU backends cannot be read synchronously under Node.
            errors[name] = maxRelError(await got[name].data(), flat(want));
          }
          console.log(`${backend.name} ${fx.id} max error ${JSON.stringify(errors)}`);
          for (const name of names) expect(errors[name], name).toBeLessThanOrEqual(TOLERANCE);
          // The plain model output is the output layer's.
          const y = model.predict(x) as tf.Tensor;
          expect(Array.from(await y.data())).toEqual(
            Array.from(await got[fx.expected.output_layer].data()),
          );
          tf.dispose([x, y, ...Object.values(got)]);
          // WebGPU on SwiftShader is a CPU emulation: under load it needs more than vitest's 5 s.
        }, 120_000);
      });
    }
  });
}
