/**
 * Text generation from a character-level model (one-hot `[batch, time, vocabulary]` input, or
 * token ids for an Embedding input; a distribution over the vocabulary out), fed one character
 * at a time through a model stream: the seed text first, then each sampled character. Used by
 * the `rnnkit generate` command and the browser page.
 */
import { mulberry32 } from '@rnnkit/core';
import { KerasModelError } from './errors.js';
import type { KerasModel } from './model.js';

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
  /** Called with each generated character as soon as it is sampled (to show text as it grows). */
  onToken?: (char: string, index: number) => void;
}

/** What {@link generate} returns. */
export interface GenerateResult {
  /** The generated characters (without the seed text). */
  text: string;
  /** Mean time of one generation step (sample, then feed the character), in ms. */
  msPerStep: number;
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

/**
 * Generates `length` characters after the seed text through a model stream (batch 1), the state
 * carried from step to step; returns them and the per-step time. The same seed gives the same
 * text. Throws a {@link KerasModelError} naming what is wrong: a model with more than one input,
 * a one-hot width or output size other than the vocabulary's, an empty seed text or one with
 * characters outside the vocabulary.
 */
export function generate(model: KerasModel, options: GenerateOptions): GenerateResult {
  const { vocabulary, seedText, length, temperature, seed, onToken } = options;
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
  if (seedChars.length === 0) throw new KerasModelError('generate: the seed text is empty');
  const unknown = seedChars.filter((c) => !index.has(c));
  if (unknown.length > 0) {
    throw new KerasModelError(
      `generate: the seed text has characters outside the vocabulary: ${JSON.stringify([...new Set(unknown)].join(''))}`,
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
      onToken?.(vocabulary[next], n);
      y = feed(next);
    }
    return { text, msPerStep: length > 0 ? (performance.now() - t0) / length : 0 };
  } finally {
    stream.dispose();
  }
}
