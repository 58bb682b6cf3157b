/**
 * Model streams: a loaded model fed one timestep per call gives, at every step, the outputs of
 * the whole-sequence prediction on the steps seen so far. Checked on the shared wild models
 * against their expected.json (float64 of the Keras equations) and against `predict` on the
 * same backend; models with layers that mix timesteps are refused naming the layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKerasModel, type KerasModel } from '../src/index.js';
import { flat, shapeOf, wildFixtures, workspaceBackends, type WildFixture } from './helpers.js';
import { startBackend } from './availability.js';

const TOLERANCE = 1e-4;

/** Wild models whose layers all run per step, and whose outputs keep or drop the time axis. */
const STREAMABLE = [
  'stacked_lstm_dotkeras_k333',
  'speech_lstm_gru_dotkeras_tfk215',
  'tfjs_charrnn_lstm_k215',
];

/** Wild models a stream refuses, and the error (naming the layer). */
const REFUSED: Record<string, RegExp> = {
  charlm_2input_lstm_concat_k210:
    /layer 'lstm_backward' \(LSTM\): lstm_backward stream: expected a layer with go_backwards false/,
  bigru_functional_dotkeras_k3132:
    /\(Bidirectional\).*expected a unidirectional recurrent layer, got Bidirectional/,
  sunspot_conv1d_stacked_lstm_k214:
    /model stream: layer '.*' \(Conv1D\) does not work on each timestep alone/,
  lstm_autoencoder_seq_k210:
    /model stream: layer '.*' \(RepeatVector\) does not work on each timestep alone/,
};

const fixtures = wildFixtures();

/** Step `t` of every model input in expected.json, as arrays of `[B, ...row]`. */
function stepInputs(fx: WildFixture, t: number): Float32Array[] {
  const e = fx.expected;
  const inputs =
    e.inputs == null
      ? [{ value: e.input, shape: e.input_shape! }]
      : (e.input_names ?? []).map((n) => ({ value: e.inputs![n], shape: e.input_shapes![n] }));
  return inputs.map(({ value, shape }) => {
    const [batch, time, ...row] = shape;
    const values = flat(value);
    const n = row.reduce((a, b) => a * b, 1);
    const out = new Float32Array(batch * n);
    for (let b = 0; b < batch; b++)
      out.set(values.slice((b * time + t) * n, (b * time + t + 1) * n), b * n);
    return out;
  });
}

function timeOf(fx: WildFixture): number {
  const e = fx.expected;
  return (e.input_shape ?? e.input_shapes![e.input_names![0]])[1];
}

// The webgpu backend reads tensors back only asynchronously in Node (no OffscreenCanvas), and a
// step returns its outputs synchronously: model streams run on cpu and wasm.
for (const backend of workspaceBackends().filter((b) => b.name !== 'webgpu')) {
  describe(`model streams on ${backend.name}`, () => {
    const started = startBackend(backend);
    for (const fx of fixtures.filter((f) => STREAMABLE.includes(f.id))) {
      describe(fx.id, () => {
        let model: KerasModel;
        beforeAll(async () => {
          if (started.ready) model = await loadKerasModel(fx.modelPath);
        }, 120_000);
        afterAll(() => model?.dispose());

        it('streams to the expected outputs of every step', (ctx) => {
          started.skipIfDown(ctx);
          const batch = shapeOf(fx.expected.input ?? Object.values(fx.expected.inputs!)[0])[0];
          const stream = model.stream({ batch });
          const steps = timeOf(fx);
          const outputs = model.outputNames;
          const wanted = Object.entries(fx.expected.outputs).filter(([k]) => outputs.includes(k));
          expect(wanted.length).toBeGreaterThan(0);
          let last: Float32Array[] = [];
          const errors: number[] = [];
          for (let t = 0; t < steps; t++) {
            const x = stepInputs(fx, t);
            last = stream.step(x.length === 1 ? x[0] : x).map((o) => o.slice());
            for (const [name, value] of wanted) {
              const i = outputs.indexOf(name);
              const shape = shapeOf(value);
              const all = flat(value);
              // An output with the time axis is checked at every step, one without at the last.
              const timed =
                shape.length >= 3 && shape[1] === steps && last[i].length * steps === all.length;
              if (!timed && t !== steps - 1) continue;
              const perRow = last[i].length / shape[0];
              for (let b = 0; b < shape[0]; b++) {
                for (let j = 0; j < perRow; j++) {
                  const want = timed ? all[(b * steps + t) * perRow + j] : all[b * perRow + j];
                  const got = last[i][b * perRow + j];
                  errors.push(Math.abs(got - want) / Math.max(1, Math.abs(want)));
                }
              }
            }
          }
          const worst = Math.max(...errors);
          console.log(
            `${fx.id} on ${backend.name}: stream max rel error ${worst.toExponential(2)} over ${errors.length} values`,
          );
          expect(worst).toBeLessThanOrEqual(TOLERANCE);
          stream.dispose();
        });
      });
    }

    for (const [id, error] of Object.entries(REFUSED)) {
      const fx = fixtures.find((f) => f.id === id);
      if (fx == null) continue;
      it(`refuses ${id}, naming the layer`, async (ctx) => {
        started.skipIfDown(ctx);
        const model = await loadKerasModel(fx.modelPath);
        const before = tf.memory().numTensors;
        expect(() => model.stream({ batch: 1 })).toThrow(error);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }

    it('rejects bad steps without advancing', async (ctx) => {
      started.skipIfDown(ctx);
      const fx = fixtures.find((f) => f.id === 'stacked_lstm_dotkeras_k333')!;
      const model = await loadKerasModel(fx.modelPath);
      const batch = fx.expected.input_shape![0];
      const stream = model.stream({ batch });
      const [row] = stepInputs(fx, 0);
      const n = row.length / batch;
      const first = stream.step(row).map((o) => o.slice());
      const state = stream.getState();
      const name = model.inputNames[0];
      expect(() => stream.step(new Float32Array(row.length + 1))).toThrow(
        `model stream step input '${name}': expected a Float32Array of ${row.length} values (${batch}, ${n}), got ${row.length + 1} values`,
      );
      expect(() => stream.step(tf.zeros([batch + 1, n]))).toThrow(
        `model stream step input '${name}': expected shape (${batch}, ${n}), got shape (${batch + 1}, ${n})`,
      );
      expect(() => stream.setState([])).toThrow(
        /model stream setState states: expected 2 snapshot\(s\) from getState\(\), got 0/,
      );
      expect(stream.getState()).toEqual(state);
      stream.reset();
      expect(stream.step(row).map((o) => o.slice())).toEqual(first);
      stream.dispose();
      expect(() => stream.step(row)).toThrow(
        'model stream: expected an open stream, got one closed by dispose()',
      );
      model.dispose();
    });
  });
}
