/**
 * Real Keras models people published (../shared/wild-models): each supported one must match its
 * expected.json (numpy float64 of the Keras equations) within 1e-4·max(1, |y|) on every output
 * listed there, on each backend present in the workspace.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelError } from '@rnnkit/conformance/naive';
import { loadKerasModel, type KerasModel } from '../src/index.js';
import { flat, shapeOf, wildFixtures, workspaceBackends, type WildFixture } from './helpers.js';
import { startBackend } from './availability.js';

const TOLERANCE = 1e-4;

/** The wild models this loader supports. */
const SUPPORTED = [
  'bigru_functional_dotkeras_k3132',
  'charlm_2input_lstm_concat_k210',
  'cnn_cudnnlstm_attention_k220',
  'convlstm2d_bn_ocean_k370',
  'lrcn_td_conv2d_lstm_k380',
  'lstm_autoencoder_seq_k210',
  's2s_decoder_emb_lstm_k224',
  'seq2seq_charlstm_k225',
  'speech_lstm_gru_dotkeras_tfk215',
  'stacked_lstm_dotkeras_k333',
  'sunspot_conv1d_stacked_lstm_k214',
  'tfjs_bilstm_bn_flight_k3132',
  'tfjs_charrnn_lstm_k215',
];

const all = wildFixtures();
const fixtures = all.filter((f) => SUPPORTED.includes(f.id));

function tensorOf(value: unknown, shape: number[], dtype: string | undefined): tf.Tensor {
  return tf.tensor(flat(value), shape, dtype === 'int32' ? 'int32' : 'float32');
}

/** The model input(s) expected.json gives, as tensors in model input order. */
function inputsOf(fx: WildFixture): tf.Tensor | tf.Tensor[] {
  const e = fx.expected;
  if (e.inputs == null) return tensorOf(e.input, e.input_shape ?? [], e.input_dtype);
  return (e.input_names ?? []).map((n) =>
    tensorOf(e.inputs?.[n], e.input_shapes?.[n] ?? [], e.input_dtypes?.[n]),
  );
}

describe('wild models are present', () => {
  it('finds every supported wild model', () => {
    expect(all.map((f) => f.id)).toEqual(expect.arrayContaining(SUPPORTED));
  });

  it('covers every shared wild model (the two with user code in custom_layers.test.ts)', () => {
    const withUserCode = ['gru_lambda_attention_k391', 'intent_bilstm_custom_attention_k310'];
    expect(all.map((f) => f.id).sort()).toEqual([...SUPPORTED, ...withUserCode].sort());
  });
});

for (const backend of workspaceBackends()) {
  describe(`wild Keras models on ${backend.name}`, () => {
    const started = startBackend(backend);

    for (const fx of fixtures) {
      describe(fx.id, () => {
        let model: KerasModel;
        beforeAll(async () => {
          if (started.ready) model = await loadKerasModel(fx.modelPath);
        }, 120_000);
        afterAll(() => model?.dispose());

        it('matches every listed output', async (ctx) => {
          started.skipIfDown(ctx);
          expect(model.kerasVersion).toBe(fx.expected.keras_version);
          const x = inputsOf(fx);
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
          tf.dispose([x, ...Object.values(got)].flat());
        }, 120_000);
      });
    }
  });
}
