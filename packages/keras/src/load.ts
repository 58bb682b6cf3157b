/** `loadKerasModel`: detects the format, reads config and weights, builds the model. */
import * as tf from '@tensorflow/tfjs-core';
import { customLayerLookup, type CustomLayerOptions } from './custom.js';
import { fail, messageOf } from './errors.js';
import { keras3Artifacts, KERAS3_SKIP } from './formats/keras_v3.js';
import { parseJsonBytes } from './formats/json.js';
import { LEGACY_SKIP, legacyArtifacts } from './formats/legacy_h5.js';
import { tfjsArtifacts } from './formats/tfjs.js';
import type { ModelArtifacts } from './formats/types.js';
import { isKeras2Version, semanticsVersion } from './formats/version.js';
import { bindWeights, buildGraph } from './graph/build.js';
import { parseModelConfig, type ModelSpec } from './graph/spec.js';
import { readHdf5 } from './hdf5/read.js';
import type { ExtractLimits } from './hdf5/tree.js';
import { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
import { KerasModel } from './model.js';
import { readSource, type ModelSource } from './source.js';
import { readZipEntries } from './zip.js';

/** Options of {@link loadKerasModel}. */
export interface LoadOptions extends Partial<LoadLimits>, CustomLayerOptions {
  /**
   * Weight shards of a tfjs `model.json` given as bytes, by the paths its manifest lists. Not
   * needed for paths and URLs: shards are read next to model.json.
   */
  weightShards?: Record<string, Uint8Array | ArrayBuffer>;
  /**
   * What to call model bytes in error messages, e.g. the name of the file they were read from
   * (default `'model bytes'`). Paths and URLs name themselves.
   */
  name?: string;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5Signature(bytes: Uint8Array): boolean {
  // The signature sits at 0 or, after a user block, at 512, 1024, 2048, ...
  for (let at = 0; at + 8 <= bytes.length && at <= 1 << 20; at = at === 0 ? 512 : at * 2) {
    if (HDF5_MAGIC.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

function detect(bytes: Uint8Array): 'keras' | 'h5' | 'tfjs' | null {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return 'keras';
  if (hasHdf5Signature(bytes)) return 'h5';
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  return bytes[i] === 0x7b ? 'tfjs' : null;
}

function extractLimits(limits: LoadLimits, skip: string[]): ExtractLimits {
  return {
    maxNodes: limits.maxHdf5Nodes,
    maxDepth: 32,
    maxAttributeBytes: limits.maxConfigBytes,
    maxDatasetBytes: limits.maxWeightBytes,
    maxTotalBytes: limits.maxWeightBytes,
    skipRootGroups: skip,
  };
}

async function readArtifacts(
  source: ModelSource,
  options: LoadOptions,
  limits: LoadLimits,
): Promise<ModelArtifacts> {
  const { bytes, label, shardLoader } = await readSource(
    source,
    { maxBytes: limits.maxFileBytes, fetchTimeoutMs: limits.fetchTimeoutMs },
    options.weightShards,
    options.name,
  );
  const format = detect(bytes);
  if (format === 'keras') {
    const entries = readZipEntries(
      bytes,
      [
        { name: 'config.json', maxBytes: limits.maxConfigBytes },
        { name: 'metadata.json', maxBytes: 1 << 20 },
        { name: 'model.weights.h5', maxBytes: limits.maxWeightBytes + (64 << 20) },
      ],
      label,
      limits.maxZipEntries,
    );
    const config = parseJsonBytes(
      entries.get('config.json')!,
      limits.maxConfigBytes,
      `${label}: config.json`,
    );
    const metadata = parseJsonBytes(
      entries.get('metadata.json')!,
      1 << 20,
      `${label}: metadata.json`,
    );
    const weights = await readHdf5(entries.get('model.weights.h5')!, {
      limits: extractLimits(limits, KERAS3_SKIP),
      timeoutMs: limits.hdf5TimeoutMs,
      label: `${label}: model.weights.h5`,
    });
    return keras3Artifacts(config, metadata, weights, label);
  }
  if (format === 'h5') {
    const root = await readHdf5(bytes, {
      limits: extractLimits(limits, LEGACY_SKIP),
      timeoutMs: limits.hdf5TimeoutMs,
      label,
    });
    return legacyArtifacts(root, label, limits.maxConfigBytes);
  }
  if (format === 'tfjs') {
    const json = parseJsonBytes(bytes, limits.maxConfigBytes, `${label}: model.json`);
    if (shardLoader == null) {
      fail(
        `${label}: a tfjs model.json given as bytes needs its weight shards in options.weightShards`,
      );
    }
    return tfjsArtifacts(json, label, shardLoader, limits.maxWeightBytes);
  }
  fail(
    `${label}: unrecognized file: expected a Keras 3 .keras archive (zip), a legacy .h5 (HDF5) or a tfjs model.json`,
  );
}

/** What to do when no tfjs backend is registered (the loader picks none itself). */
const NO_BACKEND_HINT =
  "import an rnnkit backend package before loading, e.g. import '@rnnkit/backend-cpu' " +
  "(or '@rnnkit/backend-wasm', '@rnnkit/backend-webgpu', and await its init())";

/**
 * Makes sure a tfjs backend is active: the application's, or else the registered backend tfjs
 * starts first (its highest priority), as any tfjs program would get. Weights become tensors,
 * so a backend must exist; without one, loading fails and says how to get one.
 */
async function ensureBackend(): Promise<void> {
  if (Object.keys(tf.engine().registryFactory).length === 0) {
    fail(`loadKerasModel: no tfjs backend is registered: ${NO_BACKEND_HINT}`);
  }
  try {
    await tf.ready();
  } catch (e) {
    fail(
      `loadKerasModel: no registered tfjs backend could start (${messageOf(e)}): ${NO_BACKEND_HINT}`,
    );
  }
}

/**
 * Loads a Keras model: a Keras 3 `.keras` archive, a legacy `.h5` file (Keras 2.2 through 3.x)
 * or a tfjs layers `model.json` with its weight shards. `source` is a file path (Node), a URL,
 * or the file's bytes.
 *
 * The model runs on the tfjs backend the application made active (`model.backend` names it);
 * the loader starts none of its own. With no backend registered it throws a
 * {@link KerasModelError} saying which package to import.
 *
 * Throws a {@link KerasModelError} that names the problem for malformed or truncated files,
 * unsupported layers or options, weights of the wrong shape, and files beyond the limits.
 *
 * @example
 * import '@rnnkit/backend-cpu'; // or another backend package, then `await init()`
 * const model = await loadKerasModel('model.h5');
 * const y = model.predict(tf.tensor3d(data, [1, 10, 3]));
 */
export async function loadKerasModel(
  source: ModelSource,
  options: LoadOptions = {},
): Promise<KerasModel> {
  const limits: LoadLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof LoadLimits)[]) {
    const v = options[key];
    if (v != null) {
      if (typeof v !== 'number' || !(v > 0))
        fail(`options.${key}: expected a positive number, got ${String(v)}`);
      limits[key] = v;
    }
  }
  await ensureBackend();
  const artifacts = await readArtifacts(source, options, limits);
  const spec = parseModelConfig(artifacts.modelConfig, limits.maxLayers);
  // Legacy files without a version predate Keras 3; other formats default to Keras 3 semantics.
  const kerasVersion = semanticsVersion(
    artifacts.kerasVersion,
    artifacts.format === 'h5' ? '2' : '3',
  );
  const ctx = {
    kerasVersion,
    keras2: isKeras2Version(kerasVersion),
    savedBatchSize: savedInputBatch(spec),
    customLayer: customLayerLookup(
      options,
      spec.layers.map((l) => l.name),
    ),
  };
  const graph = buildGraph(spec, ctx);
  try {
    bindWeights(graph, artifacts.weightsFor(spec));
  } catch (e) {
    graph.layers.forEach((l) => l.dispose());
    throw e;
  }
  return new KerasModel(
    spec,
    graph,
    artifacts.kerasVersion || kerasVersion,
    artifacts.format,
    artifacts.modelConfig,
  );
}

/**
 * The batch size the model's inputs were saved with, when they all name the same one. Only
 * stateful recurrent layers hold to it (their states are for that batch); the rest of the model
 * takes any batch.
 */
function savedInputBatch(spec: ModelSpec): number | null {
  const batches = new Set<unknown>();
  for (const layer of spec.layers) {
    if (layer.json.class_name !== 'InputLayer') continue;
    const shape = layer.json.config.batch_shape ?? layer.json.config.batch_input_shape;
    batches.add(Array.isArray(shape) ? shape[0] : null);
  }
  const [only] = [...batches];
  return batches.size === 1 && typeof only === 'number' ? only : null;
}
