/**
 * Keras `Attention` (Luong: dot product, or `score_mode='concat'`) and `AdditiveAttention`
 * (Bahdanau): scores of `query` against `key` (the value when no key is given), a softmax over the
 * value steps, and the weighted sum of `value`. A value mask hides steps from the softmax; the
 * query mask zeroes the output at masked query steps and is the output's mask, as in Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { BaseLayer, refuseTrainingDropout } from './base.js';
import { ConfigReader } from './config_reader.js';
import type {
  CallArgs,
  CallOptions,
  CallResult,
  LayerContext,
  LayerJson,
  Shape,
  WeightSpec,
} from './types.js';

/** Keras subtracts this from the scores of hidden steps (its float32 value; float16 is refused). */
const HIDDEN_SCORE_OFFSET = 1e9;

/** Call options of the attention layers (Keras 3 call arguments, also tf.keras 2.10+). */
export const ATTENTION_CALL_OPTIONS = ['use_causal_mask', 'return_attention_scores'];

/** True when the call asks for the attention scores as a second output. */
export function wantsScores(options: CallOptions | undefined): boolean {
  return options?.return_attention_scores === true;
}

/**
 * Keras's causal mask `[1, Tq, Tv]`: query step i sees value steps j <= i (counted from the
 * start of both sequences, also when Tq != Tv).
 */
export function causalMask(tq: number, tv: number): tf.Tensor {
  const rows = tf.reshape(tf.range(0, tq, 1, 'int32'), [1, tq, 1]);
  const cols = tf.reshape(tf.range(0, tv, 1, 'int32'), [1, 1, tv]);
  return tf.greaterEqual(rows, cols);
}

/** `a` and `b` combined with AND, either may be absent. */
export function andMask(a: tf.Tensor | null, b: tf.Tensor | null): tf.Tensor | null {
  if (a == null) return b;
  if (b == null) return a;
  return tf.logicalAnd(a, b);
}

/** What both layers share: inputs `[query, value, key?]`, masks, causal masking, the softmax. */
abstract class DenseAttention extends BaseLayer {
  readonly callOptions = ATTENTION_CALL_OPTIONS;
  /** Keras 2's `causal` config option (Keras 3 has the `use_causal_mask` call argument). */
  readonly causal: boolean;
  private readonly dropout: number;

  protected constructor(reader: ConfigReader) {
    super(reader);
    this.causal = reader.bool('causal', false);
    // Dropout acts only in training; the seed only feeds it.
    this.dropout = reader.number('dropout', 0);
    reader.ignore('seed');
  }

  /** The query, value and key shapes (key = value when absent), checked against each other. */
  protected inputShapesOf(shapes: readonly Shape[]): [Shape, Shape, Shape] {
    if (shapes.length < 2 || shapes.length > 3)
      fail(
        `${this.label}: expected inputs [query, value] or [query, value, key], got ${shapes.length} input(s)`,
      );
    const [query, value, key = value] = shapes;
    const names = ['query', 'value', 'key'];
    [query, value, key].forEach((s, i) => {
      if (s.length !== 3)
        fail(
          `${this.label}: expected ${names[i]} of shape (batch, steps, features), got ${formatShape(s)}`,
        );
    });
    const differ = (a: number | null, b: number | null) => a != null && b != null && a !== b;
    if (differ(query[2], key[2]))
      fail(
        `${this.label}: query features ${query[2]} must equal key features ${key[2]} (query ${formatShape(query)}, key ${formatShape(key)})`,
      );
    if (differ(value[1], key[1]))
      fail(
        `${this.label}: value and key must have the same number of steps, got value ${formatShape(value)} and key ${formatShape(key)}`,
      );
    if ([value[0], key[0]].some((b) => differ(query[0], b)))
      fail(
        `${this.label}: inputs must have the same batch size, got ${shapes.map((s) => formatShape(s)).join(', ')}`,
      );
    return [query, value, key];
  }

  outputShapes(inputShapes: Shape[], options?: CallOptions): Shape[] {
    const [query, value, key] = this.inputShapesOf(inputShapes);
    const out: Shape[] = [[query[0], query[1], value[2]]];
    if (wantsScores(options)) out.push([query[0], query[1], key[1]]);
    return out;
  }

  /** Scores `[batch, Tq, Tv]` of each query step against each key step. */
  protected abstract scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor;

  call(args: CallArgs): CallResult {
    refuseTrainingDropout(this.label, this.dropout, args);
    if (args.initialState != null) fail(`${this.label}: does not take initial_state`);
    this.inputShapesOf(args.inputs.map((x) => x.shape));
    const [query, value, key = value] = args.inputs.map((x) => tf.cast(x, 'float32'));
    const [queryMask = null, valueMask = null] = args.masks;
    let scores = this.scores(query, key);
    let hidden = valueMask == null ? null : tf.expandDims(valueMask, 1);
    if (this.causal || args.options?.use_causal_mask === true)
      hidden = andMask(hidden, causalMask(query.shape[1] as number, key.shape[1] as number));
    if (hidden != null) scores = tf.where(hidden, scores, tf.sub(scores, HIDDEN_SCORE_OFFSET));
    const weights = tf.softmax(scores);
    let out = tf.matMul(weights, value);
    if (queryMask != null) out = tf.where(tf.expandDims(queryMask, -1), out, tf.zerosLike(out));
    if (wantsScores(args.options)) return { outputs: [out, weights], masks: [queryMask, null] };
    return { outputs: [out], masks: [queryMask] };
  }
}

/** Keras `Attention`: `query · keyᵀ` (times `scale`), or `concat_score_weight · Σ tanh(scale · (q + k))`. */
export class Attention extends DenseAttention {
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.useScale = r.bool('use_scale', false);
    const mode = r.string('score_mode', 'dot');
    if (mode !== 'dot' && mode !== 'concat')
      r.error('score_mode', `must be "dot" or "concat", got ${JSON.stringify(mode)}`);
    this.scoreMode = mode as 'dot' | 'concat';
    r.finish();
  }

  override weightSpecs(): WeightSpec[] {
    const specs: WeightSpec[] = [];
    if (this.useScale) specs.push({ name: 'scale', shape: [] });
    if (this.scoreMode === 'concat') specs.push({ name: 'concat_score_weight', shape: [] });
    return specs;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    const scale = this.useScale ? this.weight(0) : null;
    if (this.scoreMode === 'dot') {
      const scores = tf.matMul(query, key, false, true);
      return scale == null ? scores : tf.mul(scores, scale);
    }
    let sum = tf.add(tf.expandDims(query, 2), tf.expandDims(key, 1));
    if (scale != null) sum = tf.mul(scale, sum);
    return tf.mul(this.weight(this.useScale ? 1 : 0), tf.sum(tf.tanh(sum), -1));
  }
}

/** Keras `AdditiveAttention`: `Σ scale · tanh(q + k)` over the features (`scale` on by default). */
export class AdditiveAttention extends DenseAttention {
  readonly useScale: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.useScale = r.bool('use_scale', true);
    r.finish();
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const [query] = this.inputShapesOf(inputShapes);
    return this.useScale ? [{ name: 'scale', shape: [query[2]] }] : [];
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    let terms = tf.tanh(tf.add(tf.expandDims(query, 2), tf.expandDims(key, 1)));
    if (this.useScale) terms = tf.mul(this.weight(0), terms);
    return tf.sum(terms, -1);
  }
}
