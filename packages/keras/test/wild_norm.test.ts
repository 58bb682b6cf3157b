/**
 * Real models with normalization layers from ../shared/wild-models: the model output must match
 * expected.json (numpy float64 of the Keras equations) within 1e-4·max(1, |y|) on every backend in
 * the workspace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKerasModel, type KerasModel } from '../src/index.js';
import { maxRelError } from '@rnnkit/conformance/naive';
import { REPO_ROOT, flat, shapeOf, workspaceBackends } from './helpers.js';
import { startBackend } from './availability.js';

/** Real Keras files people published, kept outside the repository. */
const WILD_MODELS = resolve(REPO_ROOT, '..', 'shared', 'wild-models');
const TOLERANCE = 1e-4;
const IDS = ['tfjs_bilstm_bn_flight_k3132'];

interface Expected {
  model_file: string;
  keras_version: string;
  input_shape: number[];
  input_dtype: string;
  input: unknown;
  outputs: Record<string, unknown>;
  output_layer: string;
}

const fixtures = IDS.filter((id) => existsSync(join(WILD_MODELS, id, 'expected.json'))).map(
  (id) => {
    const expected = JSON.parse(
      readFileSync(join(WILD_MODELS, id, 'expected.json'), 'utf8'),
    ) as Expected;
    return { id, path: join(WILD_MODELS, id, expected.model_file), expected };
  },
);

describe('wild models with normalization layers are present', () => {
  it('finds each listed model', () => {
    expect(fixtures.map((f) => f.id)).toEqual(IDS);
  });
});

for (const backend of workspaceBackends()) {
  describe(`wild normalization models on ${backend.name}`, () => {
    const started = startBackend(backend);

    for (const fx of fixtures) {
      describe(fx.id, () => {
        let model: KerasModel;
        beforeAll(async () => {
          if (started.ready) model = await loadKerasModel(fx.path);
        }, 60_000);
        afterAll(() => model?.dispose());

        it('matches every listed output', async (ctx) => {
          started.skipIfDown(ctx);
          expect(model.kerasVersion).toBe(fx.expected.keras_version);
          const dtype = fx.expected.input_dtype === 'int32' ? 'int32' : 'float32';
          const x = tf.tensor(flat(fx.expected.input), fx.expected.input_shape, dtype);
          const names = Object.keys(fx.expected.outputs);
          const got = model.predict(x, { outputs: names });
          const errors: Record<string, number> = {};
          for (const name of names) {
            const want = fx.expected.outputs[name];
            expect(got[name].shape, name).toEqual(shapeOf(want));
            errors[name] = maxRelError(await got[name].data(), flat(want));
          }
          console.log(`${backend.name} ${fx.id} max error ${JSON.stringify(errors)}`);
          for (const name of names) expect(errors[name], name).toBeLessThanOrEqual(TOLERANCE);
          tf.dispose([x, ...Object.values(got)]);
        }, 60_000);
      });
    }
  });
}
