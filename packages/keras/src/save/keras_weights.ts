/**
 * `saveWeightsH5`: a model's current weights as a Keras 3 `.weights.h5` file, in the layout Keras 3
 * writes (and `model.load_weights` and this package's `.keras` reader read): `layers/<key>/vars/<i>`
 * per layer, `key` the snake-cased class name with a counter in `model.layers` order, recurrent
 * layers' weights under `cell`, Bidirectional's under `forward_layer/cell` and
 * `backward_layer/cell`, TimeDistributed's under `layer`, each `vars` group naming its layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { familyOfClass } from '@rnnkit/core';
import { fail } from '../errors.js';
import { toSnakeCase } from '../formats/keras_v3.js';
import type { LayerJson } from '../layers/types.js';
import type { KerasModel } from '../model.js';

/** One HDF5 group to write: its path, its `vars` datasets and the name its `vars` carries. */
export interface WeightGroup {
  path: string;
  name: string;
  vars: tf.Tensor[];
}

/** Classes whose weights sit in sub-layers this writer does not lay out. */
const NESTED_UNSUPPORTED = new Set([
  'MultiHeadAttention',
  'RNN',
  'StackedRNNCells',
  'CuDNNLSTM',
  'CuDNNGRU',
]);

function configName(json: LayerJson, fallback: string): string {
  const name = json.config?.name;
  return typeof name === 'string' ? name : fallback;
}

/** The groups of one layer at `path`, with its weights in Keras order. */
function layerGroups(
  json: LayerJson,
  path: string,
  name: string,
  weights: tf.Tensor[],
  label: string,
): WeightGroup[] {
  const cls = json.class_name;
  if (NESTED_UNSUPPORTED.has(cls) && weights.length > 0)
    fail(
      `${label}: writing ${cls} weights in the Keras 3 layout is not supported; expected a model without ${cls}, or the tfjs format`,
    );
  if (familyOfClass(cls) != null && weights.length > 0) {
    return [
      { path, name, vars: [] },
      { path: `${path}/cell`, name: `${toSnakeCase(cls)}_cell`, vars: weights },
    ];
  }
  if (cls === 'Bidirectional') {
    const inner = json.config.layer as LayerJson;
    const backward = (json.config.backward_layer as LayerJson | undefined) ?? inner;
    const half = weights.length / 2;
    // Keras 3 saves the forward layer already renamed (`forward_gru`); Keras 2 the wrapped one.
    const innerName = configName(inner, 'layer').replace(/^forward_/, '');
    return [
      { path, name, vars: [] },
      ...layerGroups(
        inner,
        `${path}/forward_layer`,
        `forward_${innerName}`,
        weights.slice(0, half),
        label,
      ),
      ...layerGroups(
        backward,
        `${path}/backward_layer`,
        json.config.backward_layer == null
          ? `backward_${innerName}`
          : configName(backward, 'backward_layer'),
        weights.slice(half),
        label,
      ),
    ];
  }
  if (cls === 'TimeDistributed') {
    const inner = json.config.layer as LayerJson;
    return [
      { path, name, vars: [] },
      ...layerGroups(inner, `${path}/layer`, configName(inner, 'layer'), weights, label),
    ];
  }
  return [{ path, name, vars: weights }];
}

/**
 * The groups `saveWeightsH5` writes for `model`, with copies of its weights (the caller disposes
 * them): one per layer of `model.layers` (Keras 3 leaves a Sequential model's input layer out).
 */
export function weightGroups(model: KerasModel): WeightGroup[] {
  const { spec } = model.internals();
  const used = new Map<string, number>();
  const groups: WeightGroup[] = [];
  for (const layer of spec.layers) {
    const cls = layer.json.class_name;
    if (cls === 'InputLayer' && spec.className === 'Sequential') continue;
    const base = toSnakeCase(cls);
    const n = used.get(base);
    used.set(base, n == null ? 0 : n + 1);
    const key = n == null ? base : `${base}_${n + 1}`;
    const weights = model.getLayerWeights(layer.name);
    const label = `saveWeightsH5: layer '${layer.name}' (${cls})`;
    try {
      groups.push(...layerGroups(layer.json, `layers/${key}`, layer.name, weights, label));
    } catch (e) {
      tf.dispose([...groups.flatMap((g) => g.vars), ...weights]);
      throw e;
    }
  }
  groups.push({ path: '', name: model.name, vars: [] });
  return groups;
}

/** h5wasm's module, loaded on first use (reading runs it in a worker; writing our own data not). */
interface H5Group {
  create_group(name: string): H5Group;
  create_dataset(args: {
    name: string;
    data: Float32Array;
    shape: number[];
    dtype: string;
  }): unknown;
  create_attribute(name: string, data: string): void;
  get(name: string): unknown;
}
interface H5File extends H5Group {
  close(): void;
}
interface H5Module {
  ready: Promise<{ FS: { readFile(path: string): Uint8Array; unlink(path: string): void } }>;
  File: new (path: string, mode: string) => H5File;
}

let counter = 0;

/**
 * Writes the model's current weights (after {@link fitModel}, the trained ones) as a Keras 3
 * `.weights.h5` file and returns its bytes: Keras 3's `model.load_weights` reads it into the same
 * architecture, and `loadKerasModel` reads it inside a `.keras` archive. Throws, naming the
 * layer, for layers whose Keras 3 layout is not written (MultiHeadAttention, generic RNN cells,
 * CuDNN layers).
 */
export async function saveWeightsH5(model: KerasModel): Promise<Uint8Array> {
  const groups = weightGroups(model);
  try {
    const h5wasm = (await import('h5wasm')).default as unknown as H5Module;
    const { FS } = await h5wasm.ready;
    const path = `/rnnkit-weights-${counter++}.h5`;
    const file = new h5wasm.File(path, 'w');
    try {
      const made = new Map<string, H5Group>([['', file]]);
      const groupAt = (p: string): H5Group => {
        const existing = made.get(p);
        if (existing != null) return existing;
        const cut = p.lastIndexOf('/');
        const group = groupAt(cut < 0 ? '' : p.slice(0, cut)).create_group(p.slice(cut + 1));
        made.set(p, group);
        return group;
      };
      for (const g of groups) {
        const vars = groupAt(g.path === '' ? 'vars' : `${g.path}/vars`);
        vars.create_attribute('name', g.name);
        for (const [i, w] of g.vars.entries()) {
          // Asynchronous reads: GPU backends cannot be read synchronously.
          const data = (await w.data()) as Float32Array;
          vars.create_dataset({ name: String(i), data, shape: [...w.shape], dtype: '<f' });
        }
      }
    } finally {
      file.close();
    }
    const bytes = FS.readFile(path).slice();
    FS.unlink(path);
    return bytes;
  } finally {
    tf.dispose(groups.flatMap((g) => g.vars));
  }
}
