/**
 * `saveTfjs`: a model as a tfjs layers-format container (`model.json` + one weight shard), the
 * format tfjs-layers' `model.save` writes: the model config as the file held it, and the current
 * weights in Keras order, each named `<layer>/<weight>` as tfjs-layers names them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nodeKey } from '../graph/build.js';
import type { KerasModel } from '../model.js';

/** What {@link saveTfjs} returns: `model.json`'s object and the shard it names. */
export interface TfjsArtifacts {
  /** The content of `model.json` (write it with `JSON.stringify`). */
  modelJson: {
    format: 'layers-model';
    generatedBy: string;
    modelTopology: { keras_version: string; backend: string; model_config: unknown };
    weightsManifest: {
      paths: string[];
      weights: { name: string; shape: number[]; dtype: 'float32' }[];
    }[];
  };
  /** The weight shard, float32 little-endian, at the manifest's path. */
  weightData: Uint8Array;
  /** The shard's path as `model.json` names it. */
  shardPath: string;
}

/**
 * The model's config and current weights (after {@link fitModel}, the trained ones) as a tfjs
 * layers-format container: `loadKerasModel(modelJson bytes, { weightShards: { [shardPath]:
 * weightData } })` reads it back, and so does tfjs-layers for a model it wrote.
 */
export async function saveTfjs(
  model: KerasModel,
  shardPath = 'group1-shard1of1.bin',
): Promise<TfjsArtifacts> {
  const { spec, graph, modelConfig } = model.internals();
  const weights: TfjsArtifacts['modelJson']['weightsManifest'][0]['weights'] = [];
  const data: Float32Array[] = [];
  for (const layerSpec of spec.layers) {
    const layer = graph.layers.get(layerSpec.name);
    const first = graph.nodes.get(nodeKey(layerSpec.name, 0));
    if (layer == null || first == null) continue;
    const values = layer.getWeights();
    const names = layer.weightSpecs(first.inputShapes)?.map((w) => w.name) ?? [];
    const seen = new Map<string, number>();
    for (const [i, w] of values.entries()) {
      const base = names[i] ?? `weight_${i}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      weights.push({
        name: `${layerSpec.name}/${n === 0 ? base : `${base}_${n}`}`,
        shape: [...w.shape],
        dtype: 'float32',
      });
      // Asynchronous reads: GPU backends cannot be read synchronously.
      data.push((await w.data()) as Float32Array);
    }
    tf.dispose(values);
  }
  const total = data.reduce((n, d) => n + d.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const d of data) {
    all.set(d, at);
    at += d.length;
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'rnnkit',
      modelTopology: {
        keras_version: model.kerasVersion,
        backend: 'tensorflow',
        model_config: modelConfig,
      },
      weightsManifest: [{ paths: [shardPath], weights }],
    },
    weightData: new Uint8Array(all.buffer),
    shardPath,
  };
}
