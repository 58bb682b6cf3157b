/**
 * Keras `MultiHeadAttention`: query, key and value projected per head (`EinsumDense` kernels
 * `[features, heads, key_dim]`), scaled dot-product attention per head, and the heads projected
 * back (`[heads, value_dim, ...output_shape]`). Attention runs over every axis between the batch
 * and the features (Keras's default `attention_axes`); those axes are flattened into one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from '../errors.js';
import { andMask, ATTENTION_CALL_OPTIONS, causalMask, wantsScores } from './attention.js';
import { BaseLayer, dropMask, refuseTrainingDropout } from './base.js';
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

/** The score Keras's masked softmax gives hidden positions (float32). */
const HIDDEN_SCORE = -1e9;

/** True when `version` (e.g. `3.10.0`) is at least `major.minor`. */
function atLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (!Number.isFinite(a)) return false;
  return a > major || (a === major && (Number.isFinite(b) ? b : 0) >= minor);
}

/** Reads a list of integers given as one integer or a list (`output_shape`, `attention_axes`). */
function intList(r: ConfigReader, key: string, positive: boolean): number[] | null {
  const v = r.raw(key);
  if (v == null) return null;
  const list = typeof v === 'number' ? [v] : v;
  if (
    !Array.isArray(list) ||
    list.length > 8 ||
    !list.every((d) => Number.isInteger(d) && (!positive || (d as number) > 0))
  )
    r.error(
      key,
      `must be ${positive ? 'a positive integer or a list of them' : 'an integer or a list of integers'}, got ${describe(v)}`,
    );
  return list as number[];
}

/** Keras `MultiHeadAttention`. */
export class MultiHeadAttention extends BaseLayer {
  readonly callOptions = ATTENTION_CALL_OPTIONS;
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly useBias: boolean;
  /** Trailing output dimensions; null means the query's features. */
  readonly outputShape: number[] | null;
  readonly slidingWindow: number | null;
  private readonly attentionAxes: number[] | null;
  private readonly dropout: number;
  private readonly ctx: LayerContext;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    this.ctx = ctx;
    this.numHeads = r.positiveInt('num_heads', 4096);
    this.keyDim = r.positiveInt('key_dim', 1 << 20);
    this.valueDim = r.has('value_dim') ? r.positiveInt('value_dim', 1 << 20) : this.keyDim;
    this.useBias = r.bool('use_bias', true);
    const out = intList(r, 'output_shape', true);
    this.outputShape = out == null || out.length === 0 ? null : out;
    this.attentionAxes = intList(r, 'attention_axes', false);
    const window = r.raw('sliding_window');
    if (window != null && !(Number.isInteger(window) && (window as number) > 0))
      r.error('sliding_window', `must be null or a positive integer, got ${describe(window)}`);
    this.slidingWindow = (window as number | null | undefined) ?? null;
    // Dropout acts only in training, but Keras ≥ 3.10 zeroes fully hidden rows when it is set.
    this.dropout = r.number('dropout', 0);
    r.only('use_gate', [false], 'is not supported (gated attention)');
    // flash_attention changes the kernel, not the result; tf.keras 2 records the build shapes.
    r.ignore('seed', 'flash_attention', 'query_shape', 'key_shape', 'value_shape');
    r.finish();
  }

  /** Query, value and key shapes (key = value when absent), checked against the config. */
  private shapesOf(shapes: readonly Shape[]): [Shape, Shape, Shape] {
    if (shapes.length < 2 || shapes.length > 3)
      fail(
        `${this.label}: expected inputs [query, value] or [query, value, key], got ${shapes.length} input(s)`,
      );
    const [query, value, key = value] = shapes;
    const rank = query.length;
    if (rank < 3 || value.length !== rank || key.length !== rank)
      fail(
        `${this.label}: expected query, value and key of the same rank >= 3, got ${shapes.map((s) => formatShape(s)).join(', ')}`,
      );
    if (value.slice(1, -1).some((d, i) => d != null && key[i + 1] != null && d !== key[i + 1]))
      fail(
        `${this.label}: all dimensions of value and key except the last must be equal, got value ${formatShape(value)} and key ${formatShape(key)}`,
      );
    if (this.attentionAxes != null) {
      // Keras counts negative axes on the projected rank (rank + 1: heads are an extra axis).
      const axes = this.attentionAxes.map((a) => (a < 0 ? rank + a : a));
      const all = Array.from({ length: rank - 2 }, (_, i) => i + 1);
      if (axes.join() !== all.join())
        fail(
          `${this.label}: option 'attention_axes' = ${describe(this.attentionAxes)} is not supported for inputs of rank ${rank} (supported: attention over all axes between batch and features, ${describe(all)})`,
        );
    }
    return [query, value, key];
  }

  outputShapes(inputShapes: Shape[], options?: CallOptions): Shape[] {
    const [query, value] = this.shapesOf(inputShapes);
    const out: Shape[] = [[...query.slice(0, -1), ...(this.outputShape ?? [query.at(-1) ?? null])]];
    if (wantsScores(options))
      out.push([query[0], this.numHeads, ...query.slice(1, -1), ...value.slice(1, -1)]);
    return out;
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const [query, value, key] = this.shapesOf(inputShapes);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const out = this.outputShape ?? [query.at(-1) ?? null];
    const dense = (name: string, kernel: Shape, bias: Shape): WeightSpec[] => [
      { name: `${name}/kernel`, shape: kernel },
      ...(this.useBias ? [{ name: `${name}/bias`, shape: bias }] : []),
    ];
    return [
      ...dense('query', [query.at(-1) ?? null, h, k], [h, k]),
      ...dense('key', [key.at(-1) ?? null, h, k], [h, k]),
      ...dense('value', [value.at(-1) ?? null, h, v], [h, v]),
      ...dense('attention_output', [h, v, ...out], out),
    ];
  }

  /** `x [batch, ...steps, features]` projected to `[batch, heads, steps, dim]`. */
  private project(x: tf.Tensor, index: number, dim: number): tf.Tensor {
    const features = x.shape[x.rank - 1];
    const kernel = this.weight(index);
    const flat = tf.matMul(tf.reshape(x, [-1, features]), tf.reshape(kernel, [features, -1]));
    const y = this.useBias ? tf.add(flat, tf.reshape(this.weight(index + 1), [-1])) : flat;
    return tf.transpose(tf.reshape(y, [x.shape[0], -1, this.numHeads, dim]), [0, 2, 1, 3]);
  }

  /** The `[batch | 1, Tq, Tv]` mask of visible positions, or null when all are visible. */
  private attentionMask(args: CallArgs, tq: number, tv: number, rank: number): tf.Tensor | null {
    const [queryMask = null, valueMask = null, keyMask = null] = args.masks;
    // tf.keras before 2.10 had no mask support in this layer.
    const keras2Old = this.ctx.keras2 && !atLeast(this.ctx.kerasVersion, 2, 10);
    if (keras2Old) args.masks.forEach((m) => dropMask(this.label, true, m));
    const causal = args.options?.use_causal_mask === true;
    const any = args.masks.some((m) => m != null) || causal || this.slidingWindow != null;
    if (!any) return null;
    if (rank !== 3)
      fail(
        `${this.label}: masks, use_causal_mask and sliding_window need inputs of rank 3, got rank ${rank}`,
      );
    let mask = queryMask == null ? null : tf.expandDims(queryMask, -1);
    mask = andMask(mask, valueMask == null ? null : tf.expandDims(valueMask, 1));
    mask = andMask(mask, keyMask == null ? null : tf.expandDims(keyMask, 1));
    if (causal) mask = andMask(mask, causalMask(tq, tv));
    if (this.slidingWindow != null) {
      const rows = tf.reshape(tf.range(0, tq, 1, 'int32'), [1, tq, 1]);
      const cols = tf.reshape(tf.range(0, tv, 1, 'int32'), [1, 1, tv]);
      mask = andMask(mask, tf.less(tf.abs(tf.sub(rows, cols)), this.slidingWindow));
    }
    return mask;
  }

  call(args: CallArgs): CallResult {
    refuseTrainingDropout(this.label, this.dropout, args);
    if (args.initialState != null) fail(`${this.label}: does not take initial_state`);
    const [queryShape] = this.shapesOf(args.inputs.map((x) => x.shape));
    const [query, value, key = value] = args.inputs.map((x) => tf.cast(x, 'float32'));
    const batch = query.shape[0];
    if (value.shape[0] !== batch || key.shape[0] !== batch)
      fail(
        `${this.label}: inputs must have the same batch size, got ${args.inputs.map((x) => formatShape(x.shape)).join(', ')}`,
      );
    const q = tf.mul(this.project(query, 0, this.keyDim), 1 / Math.sqrt(this.keyDim));
    const b = this.useBias ? 2 : 1;
    const k = this.project(key, b, this.keyDim);
    const v = this.project(value, 2 * b, this.valueDim);
    const tq = q.shape[2] as number;
    const tv = k.shape[2] as number;
    let scores = tf.matMul(q, k, false, true); // [batch, heads, Tq, Tv]
    const mask = this.attentionMask(args, tq, tv, query.rank);
    const expanded = mask == null ? null : tf.expandDims(mask, 1);
    if (expanded != null) scores = tf.where(expanded, scores, tf.scalar(HIDDEN_SCORE));
    let weights = tf.softmax(scores);
    // A row with every position hidden is uniform after softmax; Keras ≥ 3.10 zeroes it when the
    // scores go through its Softmax layer (dropout set or scores returned), not when they go
    // through ops.dot_product_attention.
    const returnScores = wantsScores(args.options);
    if (
      expanded != null &&
      !this.ctx.keras2 &&
      atLeast(this.ctx.kerasVersion, 3, 10) &&
      (this.dropout > 0 || returnScores)
    )
      weights = tf.where(expanded, weights, tf.scalar(0));
    const heads = tf.matMul(weights, v); // [batch, heads, Tq, value_dim]
    const merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [
      -1,
      this.numHeads * this.valueDim,
    ]);
    const outIndex = 3 * b;
    const outDims = this.outputShape ?? [queryShape.at(-1) as number];
    let y = tf.matMul(
      merged,
      tf.reshape(this.weight(outIndex), [this.numHeads * this.valueDim, -1]),
    );
    if (this.useBias) y = tf.add(y, tf.reshape(this.weight(outIndex + 1), [-1]));
    const out = tf.reshape(y, [...query.shape.slice(0, -1), ...outDims]);
    const queryMask = args.masks[0] ?? null;
    if (!returnScores) return { outputs: [out], masks: [queryMask] };
    const scoreShape = [
      batch,
      this.numHeads,
      ...query.shape.slice(1, -1),
      ...value.shape.slice(1, -1),
    ];
    return { outputs: [out, tf.reshape(weights, scoreShape)], masks: [queryMask, null] };
  }
}
