/**
 * `rnnkit generate`: text from a character-level model (one-hot `[batch, time, vocabulary]`
 * input, or token ids for an Embedding input; a distribution over the vocabulary out), fed one
 * character at a time through a model stream: the seed text first, then each sampled character.
 */
import { readFile } from 'node:fs/promises';
import { mulberry32 } from '@rnnkit/core';
import { KerasModelError, type KerasModel } from '@rnnkit/keras';

/** What `generate` needs besides the model. */
export interface GenerateOptions {
  /** Characters by index, as the model was trained. */
  vocabulary: string[];
  seedText: string;
  /** Characters to generate. */
  length: number;
  /** Sampling temperature; 0 picks the most likely character. */
  temperature: number;
  /** Seed of the sampler. */
  seed: number;
}

/**
 * Reads a vocabulary file: a JSON array of characters, a JSON object from index to character
 * (`{"0": "\n", "1": " ", …}`), or plain text whose characters, in order, are the vocabulary.
 */
export async function readVocabulary(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KerasModelError(`--vocab ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    return [...text];
  }
  const chars = Array.isArray(json)
    ? json
    : json != null && typeof json === 'object'
      ? Object.entries(json)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([, c]) => c)
      : null;
  if (chars == null || !chars.every((c) => typeof c === 'string' && [...c].length === 1)) {
    throw new KerasModelError(
      `--vocab ${path}: expected a JSON list of single characters, an object from index to character, or plain text`,
    );
  }
  return chars as string[];
}

/** Index of the sampled entry of `p` (probabilities) at `temperature`, drawing from `rand`. */
export function sampleIndex(
  p: Float32Array<ArrayBufferLike>,
  temperature: number,
  rand: () => number,
): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    return best;
  }
  // p_i^(1/T), renormalized: the softmax of log(p)/T.
  let total = 0;
  const weights = Array.from(p, (v) => {
    const w = v > 0 ? Math.exp(Math.log(v) / temperature) : 0;
    total += w;
    return w;
  });
  let r = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** `y` as probabilities: as is when it already sums to 1, else its softmax (logits). */
function probabilities(y: Float32Array<ArrayBufferLike>): Float32Array<ArrayBufferLike> {
  let sum = 0;
  let negative = false;
  for (const v of y) {
    sum += v;
    if (v < 0) negative = true;
  }
  if (!negative && Math.abs(sum - 1) < 1e-3) return y;
  const max = Math.max(...y);
  const e = Float32Array.from(y, (v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** Generates `length` characters after the seed text; returns them and the per-step time. */
export function generate(
  model: KerasModel,
  options: GenerateOptions,
): { text: string; msPerStep: number } {
  const { vocabulary, seedText, length, temperature, seed } = options;
  if (model.inputNames.length !== 1) {
    throw new KerasModelError(
      `generate: expected a model with one input, got ${model.inputNames.length} (${model.inputNames.join(', ')})`,
    );
  }
  const shape = model.inputShapes[0];
  const oneHot = shape.length === 3;
  if (oneHot && shape[2] !== vocabulary.length) {
    throw new KerasModelError(
      `generate: the model reads one-hot characters of ${shape[2]} entries; the vocabulary has ${vocabulary.length}`,
    );
  }
  const index = new Map(vocabulary.map((c, i) => [c, i]));
  const seedChars = [...seedText];
  if (seedChars.length === 0) throw new KerasModelError('generate: --seed-text is empty');
  const unknown = seedChars.filter((c) => !index.has(c));
  if (unknown.length > 0) {
    throw new KerasModelError(
      `generate: --seed-text has characters outside the vocabulary: ${JSON.stringify([...new Set(unknown)].join(''))}`,
    );
  }
  const stream = model.stream({ batch: 1 });
  const x = new Float32Array(oneHot ? vocabulary.length : 1);
  const feed = (i: number): Float32Array => {
    if (oneHot) {
      x.fill(0);
      x[i] = 1;
    } else x[0] = i;
    return stream.step(x)[0];
  };
  try {
    let y: Float32Array<ArrayBufferLike> = new Float32Array(0);
    for (const c of seedChars) y = feed(index.get(c)!);
    const rand = mulberry32(seed);
    let text = '';
    const t0 = performance.now();
    for (let n = 0; n < length; n++) {
      const p = probabilities(y);
      if (p.length !== vocabulary.length) {
        throw new KerasModelError(
          `generate: the model outputs ${p.length} values per step; the vocabulary has ${vocabulary.length}`,
        );
      }
      const next = sampleIndex(p, temperature, rand);
      text += vocabulary[next];
      y = feed(next);
    }
    return { text, msPerStep: length > 0 ? (performance.now() - t0) / length : 0 };
  } finally {
    stream.dispose();
  }
}
