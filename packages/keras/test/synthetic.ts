/**
 * Small models written directly as tfjs layers-format containers (model.json + one shard), for
 * layer-semantics tests. The topology is any Keras config (Keras 2 or 3 form); `keras_version`
 * picks the semantics. Weights are deterministic multiples of 1/1024.
 */
import { rng } from './mutate.js';

/** A weight to generate: its manifest name and shape. */
export interface WeightDecl {
  name: string;
  shape: number[];
}

/** A model container and the weight values it holds. */
export interface Synthetic {
  json: Uint8Array;
  options: { weightShards: Record<string, Uint8Array> };
  weights: Record<string, Float32Array>;
}

/** Writes a model.json + shard for `modelConfig` ({class_name, config}) and generated weights. */
export function synthetic(
  modelConfig: unknown,
  weights: WeightDecl[],
  kerasVersion: string,
  seed = 7,
  scale = 0.7,
): Synthetic {
  const rand = rng(seed);
  const values: Record<string, Float32Array> = {};
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from(
      { length: n },
      () => Math.round((rand() * 2 - 1) * scale * 1024) / 1024,
    );
    values[w.name] = v;
  }
  const { json, options } = container(
    modelConfig,
    weights.map((w) => ({ ...w, values: values[w.name] })),
    kerasVersion,
  );
  return { json, options, weights: values };
}

/** A model.json + shard holding `modelConfig` and the given float32 weights, in order. */
export function container(
  modelConfig: unknown,
  weights: (WeightDecl & { values: ArrayLike<number> })[],
  kerasVersion: string,
): Pick<Synthetic, 'json' | 'options'> {
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const w of weights) {
    all.set(w.values, at);
    at += w.values.length;
  }
  const json = {
    format: 'layers-model',
    modelTopology: {
      keras_version: kerasVersion,
      backend: 'tensorflow',
      model_config: modelConfig,
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  return {
    json: new TextEncoder().encode(JSON.stringify(json)),
    options: { weightShards: { 'w.bin': new Uint8Array(all.buffer) } },
  };
}

/** A Keras 3 functional-graph tensor reference. */
export function kt(layer: string, node = 0, tensor = 0): unknown {
  return {
    class_name: '__keras_tensor__',
    config: { shape: null, dtype: 'float32', keras_history: [layer, node, tensor] },
  };
}

/** A layer entry of a Sequential config. */
export function layer(className: string, config: Record<string, unknown>): unknown {
  return { class_name: className, config };
}

/** A Sequential model config. */
export function sequential(name: string, layers: unknown[]): unknown {
  return { class_name: 'Sequential', config: { name, layers } };
}
