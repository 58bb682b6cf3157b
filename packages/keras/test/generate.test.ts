/**
 * `generate` and `sampleIndex`: sampling against hand-computed cumulative weights, and text from
 * the shared char-RNN whose first greedy pick after a seed window is the most likely character
 * of that window's expected.json output (float64 of the Keras equations). Same seed, same text;
 * bad input is refused naming what is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadKerasModel, sampleIndex, type KerasModel } from '../src/index.js';
import { flat, wildFixtures } from './helpers.js';

describe('sampleIndex', () => {
  const p = Float32Array.from([0.2, 0.3, 0.5]);

  it('picks the most likely entry at temperature 0', () => {
    expect(sampleIndex(p, 0, () => 0)).toBe(2);
  });

  it('walks the cumulative weights p^(1/T)', () => {
    // T = 1: cumulative 0.2, 0.5, 1.0.
    expect(sampleIndex(p, 1, () => 0.1)).toBe(0);
    expect(sampleIndex(p, 1, () => 0.45)).toBe(1);
    expect(sampleIndex(p, 1, () => 0.55)).toBe(2);
    // T = 0.5: weights 0.04, 0.09, 0.25 (total 0.38), cumulative 0.04, 0.13, 0.38.
    expect(sampleIndex(p, 0.5, () => 0.3)).toBe(1); // 0.114 < 0.13
    expect(sampleIndex(p, 0.5, () => 0.35)).toBe(2); // 0.133 > 0.13
  });
});

const charRnn = wildFixtures().find((f) => f.id === 'tfjs_charrnn_lstm_k215');

describe.skipIf(charRnn == null)('generate on the shared char-RNN', () => {
  // Any 57 distinct characters: the model knows indices, the vocabulary names them.
  const vocabulary = Array.from({ length: 57 }, (_, i) => String.fromCharCode(0x41 + i));
  let model: KerasModel;
  beforeAll(async () => {
    model = await loadKerasModel(charRnn!.modelPath);
  }, 60_000);
  afterAll(() => model?.dispose());

  /** Row `b` of expected.json's one-hot input as text, and the expected next-character probabilities. */
  function window(b: number): { text: string; next: number[] } {
    const e = charRnn!.expected;
    const [, time, width] = e.input_shape!;
    const x = flat(e.input);
    let text = '';
    for (let t = 0; t < time; t++) {
      const row = x.slice((b * time + t) * width, (b * time + t + 1) * width);
      text += vocabulary[row.indexOf(1)];
    }
    const out = flat(e.outputs[model.outputNames[0]]);
    return { text, next: out.slice(b * width, (b + 1) * width) };
  }

  it('greedily continues each window with its most likely character', () => {
    for (const b of [0, 1]) {
      const { text, next } = window(b);
      const seen: string[] = [];
      const result = generate(model, {
        vocabulary,
        seedText: text,
        length: 12,
        temperature: 0,
        seed: 1,
        onToken: (c, i) => seen.push(`${i}:${c}`),
      });
      expect([...result.text]).toHaveLength(12);
      expect(result.text[0]).toBe(vocabulary[next.indexOf(Math.max(...next))]);
      expect(seen).toEqual([...result.text].map((c, i) => `${i}:${c}`));
      expect(result.msPerStep).toBeGreaterThan(0);
    }
  });

  it('samples the same text for the same seed, another for another seed', () => {
    const options = { vocabulary, seedText: window(0).text, length: 60, temperature: 1 };
    const a = generate(model, { ...options, seed: 7 });
    const b = generate(model, { ...options, seed: 7 });
    const c = generate(model, { ...options, seed: 8 });
    expect(a.text).toBe(b.text);
    expect(c.text).not.toBe(a.text);
    expect([...a.text].every((ch) => vocabulary.includes(ch))).toBe(true);
  });

  it('names what is wrong', () => {
    const base = { seedText: 'AB', length: 1, temperature: 1, seed: 1 };
    expect(() => generate(model, { ...base, vocabulary: vocabulary.slice(0, 50) })).toThrow(
      'generate: the model reads one-hot characters of 57 entries; the vocabulary has 50',
    );
    expect(() => generate(model, { ...base, vocabulary, seedText: '' })).toThrow(
      'generate: the seed text is empty',
    );
    expect(() => generate(model, { ...base, vocabulary, seedText: 'A!' })).toThrow(
      'generate: the seed text has characters outside the vocabulary: "!"',
    );
  });
});
