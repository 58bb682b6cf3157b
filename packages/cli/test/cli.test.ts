/** The `rnnkit` command line, run in-process through `main`. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadKerasModel } from '@rnnkit/keras';
import { main } from '../src/cli.js';
import { maxRelError } from '@rnnkit/conformance/naive';

/** Real Keras files kept outside the repository (`<repo>/../shared/keras-models`). */
const SHARED_MODELS = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'keras-models',
);

/** A shared model and its expected.json (float64 Keras equations). */
const bilstm = (() => {
  const dir = join(SHARED_MODELS, 'tfkeras240_embedding_bilstm');
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    model_file: string;
    input: unknown;
    outputs: Record<string, unknown>;
  };
  return { modelPath: join(dir, expected.model_file), expected };
})();

function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tmp = mkdtempSync(join(tmpdir(), 'rnnkit-cli-'));

describe('rnnkit summary', () => {
  it('prints layers, output shapes and parameter counts', async () => {
    const r = await run('summary', bilstm.modelPath);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bidirectional \(Bidirectional\)\s+\(None, 64\)\s+12,544/);
    expect(r.out).toMatch(/embedding \(Embedding\)\s+\(None, 120, 16\)\s+16,000/);
    expect(r.out).toContain('Total params: 30,129');
    expect(r.out).toContain('saved by Keras 2.4.0');
    expect(r.out).toContain('Backend: cpu');
  });

  it('runs on the backend --backend names', async () => {
    const r = await run('summary', bilstm.modelPath, '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Backend: wasm');
  });
});

describe('rnnkit predict', () => {
  it('writes the output as JSON and a timing line', async () => {
    const input = join(tmp, 'in.json');
    writeFileSync(input, JSON.stringify({ input: bilstm.expected.input }));
    const output = join(tmp, 'out.json');
    const r = await run(
      'predict',
      bilstm.modelPath,
      '--input',
      input,
      '--output',
      output,
      '--backend',
      'cpu',
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^rnnkit: predict [\d.]+ ms on cpu \(batch 2, load [\d.]+ ms\), wrote /);
    const result = JSON.parse(readFileSync(output, 'utf8')) as {
      outputs: Record<string, unknown>;
      shapes: Record<string, number[]>;
    };
    expect(result.shapes).toEqual({ dense_1: [2, 1] });
    expect(
      maxRelError(flat(result.outputs.dense_1), flat(bilstm.expected.outputs.dense_1)),
    ).toBeLessThanOrEqual(1e-4);
  });

  it('prints to stdout and takes --outputs', async () => {
    const input = join(tmp, 'plain.json');
    writeFileSync(input, JSON.stringify(bilstm.expected.input));
    const r = await run(
      'predict',
      bilstm.modelPath,
      '--input',
      input,
      '--outputs',
      'embedding,bidirectional',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { shapes: Record<string, number[]> };
    expect(result.shapes).toEqual({ embedding: [2, 120, 16], bidirectional: [2, 64] });
  });

  it('gives useful errors', async () => {
    const usage = await run('predict', bilstm.modelPath);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('predict: --input INPUT.json is required');
    const backend = await run('predict', bilstm.modelPath, '--input', 'x.json', '--backend', 'tpu');
    expect(backend.code).toBe(2);
    expect(backend.err).toContain("--backend: expected one of cpu, wasm, webgpu, got 'tpu'");
    const missing = await run('summary', join(tmp, 'nope.h5'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/rnnkit: error: nope\.h5: cannot read the file/);
    const badInput = join(tmp, 'bad.json');
    writeFileSync(badInput, JSON.stringify([[1, 2, 3]]));
    const shape = await run('predict', bilstm.modelPath, '--input', badInput);
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(
      /predict input 'embedding_input': expected shape \(None, 120\), got \(1, 3\)/,
    );
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('rnnkit summary MODEL');
  });
});

/** The shared char-RNN (tfjs model.json): LSTM(128) over one-hot characters, softmax out. */
const CHAR_RNN = resolve(
  SHARED_MODELS,
  '..',
  'wild-models',
  'tfjs_charrnn_lstm_k215',
  'model.json',
);

/**
 * Its vocabulary, by index: the character set of its training text, as its source repository
 * (reiinakano/tfjs-lstm-text-generation, `indices_char.js`) lists it.
 */
const CHAR_RNN_VOCAB = [
  '\n',
  ' ',
  '!',
  '"',
  "'",
  '(',
  ')',
  ',',
  '-',
  '.',
  ...'0123456789:;=?[]_abcdefghijklmnopqrstuvwxyz',
  'ä',
  'æ',
  'é',
  'ë',
];

describe('rnnkit generate', () => {
  const vocabPath = join(tmp, 'vocab.json');
  writeFileSync(vocabPath, JSON.stringify(CHAR_RNN_VOCAB));
  // 40 characters: the window the model was trained on, so predict can check the first pick.
  const seedText = 'supposing that truth is a woman--what th';

  it('continues the seed text one character per step, the first pick as predict gives it', async () => {
    expect(CHAR_RNN_VOCAB).toHaveLength(57);
    expect(seedText).toHaveLength(40);
    const { code, out, err } = await run(
      'generate',
      CHAR_RNN,
      '--vocab',
      vocabPath,
      '--seed-text',
      seedText,
      '--length',
      '30',
      '--temperature',
      '0',
    );
    expect(err).toMatch(/rnnkit: generated 30 characters, \d+ µs per character on cpu/);
    expect(code).toBe(0);
    expect(out.startsWith(seedText)).toBe(true);
    const generated = [...out.slice(seedText.length)];
    expect(generated).toHaveLength(30);
    expect(generated.every((c) => CHAR_RNN_VOCAB.includes(c))).toBe(true);
    // The whole-sequence prediction on the seed window picks the same first character.
    const model = await loadKerasModel(CHAR_RNN);
    const oneHot = new Float32Array(40 * 57);
    [...seedText].forEach((c, t) => (oneHot[t * 57 + CHAR_RNN_VOCAB.indexOf(c)] = 1));
    const y = model.predict(tf.tensor3d(oneHot, [1, 40, 57])) as tf.Tensor;
    const p = y.dataSync();
    const best = p.indexOf(Math.max(...p));
    expect(generated[0]).toBe(CHAR_RNN_VOCAB[best]);
    y.dispose();
    model.dispose();
  });

  it('samples reproducibly for a seed, and names what is wrong', async () => {
    const args = [
      'generate',
      CHAR_RNN,
      '--vocab',
      vocabPath,
      '--seed-text',
      'the ',
      '--length',
      '40',
      '--seed',
      '7',
    ];
    const a = await run(...args);
    const b = await run(...args);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const unknown = await run('generate', CHAR_RNN, '--vocab', vocabPath, '--seed-text', 'The');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(
      'generate: the seed text has characters outside the vocabulary: "T"',
    );
    const missing = await run('generate', CHAR_RNN, '--seed-text', 'the');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('generate: --vocab VOCAB and --seed-text TEXT are required');
    const temperature = await run(
      'generate',
      CHAR_RNN,
      '--vocab',
      vocabPath,
      '--seed-text',
      'a',
      '--temperature',
      '-1',
    );
    expect(temperature.code).toBe(2);
    expect(temperature.err).toContain("--temperature: expected a number ≥ 0, got '-1'");
  });
});
