/**
 * Small models written directly as tfjs layers-format containers (model.json + one shard), for
 * layer-semantics tests. The topology is any Keras config (Keras 2 or 3 form); `keras_version`
 * picks the semantics. Weights are deterministic multiples of 1/1024.
 */
import h5wasm from 'h5wasm';
import { rng, zip } from './mutate.js';

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

/**
 * A Keras 3 `.keras` archive: `config.json` (`modelConfig`), `metadata.json` and a
 * `model.weights.h5` whose `layers/<path>/vars/<i>` datasets hold `vars` (written with h5wasm,
 * the way Keras 3 lays them out), e.g. `{ 'layers/conv_lstm2d/cell': [kernel, recurrent, bias] }`.
 */
export async function kerasArchive(
  modelConfig: unknown,
  vars: Record<string, { shape: number[]; values: Float32Array }[]>,
  kerasVersion = '3.15.0',
): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const path = `/archive-${Math.random().toString(36).slice(2)}.h5`;
  const f = new h5wasm.File(path, 'w');
  try {
    for (const [group, list] of Object.entries(vars)) {
      let g: InstanceType<typeof h5wasm.Group> = f;
      for (const part of [...group.split('/'), 'vars']) {
        const next = g.get(part);
        g =
          next instanceof h5wasm.Group
            ? next
            : (g.create_group(part), g.get(part) as InstanceType<typeof h5wasm.Group>);
      }
      list.forEach((v, i) =>
        g.create_dataset({ name: String(i), data: v.values, shape: v.shape, dtype: '<f' }),
      );
    }
  } finally {
    f.close();
  }
  const weights = module.FS.readFile(path) as Uint8Array;
  module.FS.unlink(path);
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  return zip({
    'metadata.json': text({ keras_version: kerasVersion, date_saved: '2026-01-01@00:00:00' }),
    'config.json': text(modelConfig),
    'model.weights.h5': weights,
  });
}
