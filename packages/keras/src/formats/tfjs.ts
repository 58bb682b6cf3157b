/**
 * tfjs layers format: `model.json` (`modelTopology` + `weightsManifest`) and binary weight
 * shards. Written by tfjs-layers' `model.save` and by `tensorflowjs_converter` from Keras.
 */
import { describe, fail } from '../errors.js';
import type { ModelSpec } from '../graph/spec.js';
import type { LayerWeights, RawWeight } from '../graph/weights.js';
import type { ModelArtifacts } from './types.js';

/** Fetches a weight shard by its path as written in the manifest. */
export type ShardLoader = (path: string, maxBytes: number) => Promise<Uint8Array>;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  group: number;
  offset: number;
  bytes: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v);
}

/** Shard paths must stay next to model.json: no absolute paths, no `..`, no schemes. */
function checkShardPath(path: unknown, label: string): string {
  if (typeof path !== 'string' || path === '' || path.length > 1024) {
    fail(`${label}: weightsManifest has an invalid shard path ${describe(path)}`);
  }
  if (
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) ||
    path.startsWith('/') ||
    path.startsWith('\\') ||
    path.split(/[\\/]/).includes('..')
  ) {
    fail(`${label}: shard path ${describe(path)} must be relative to model.json, without '..'`);
  }
  return path;
}

/** Reads model.json (already parsed) and its shards into artifacts. */
export async function tfjsArtifacts(
  json: unknown,
  label: string,
  loadShard: ShardLoader,
  maxWeightBytes: number,
): Promise<ModelArtifacts> {
  if (!isObject(json)) fail(`${label}: model.json must be an object, got ${describe(json)}`);
  const topology = json.modelTopology;
  if (!isObject(topology)) fail(`${label}: model.json has no modelTopology object`);
  // tensorflowjs_converter nests the Keras config under model_config.
  const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
  const generated =
    typeof json.generatedBy === 'string'
      ? /keras v?([\d.]+)/i.exec(json.generatedBy)?.[1]
      : undefined;
  const kerasVersion =
    typeof topology.keras_version === 'string' ? topology.keras_version : (generated ?? 'tfjs');
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest))
    fail(`${label}: weightsManifest must be a list, got ${describe(manifest)}`);

  const entries: ManifestEntry[] = [];
  const groups: Uint8Array[] = [];
  let total = 0;
  for (const [g, group] of manifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`${label}: weightsManifest[${g}] must have paths and weights lists`);
    }
    let offset = 0;
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
        fail(`${label}: weightsManifest[${g}] has an invalid entry ${describe(w)}`);
      }
      if (w.quantization != null)
        fail(`${label}: weight '${w.name}' is quantized, which is not supported`);
      const dtype = w.dtype ?? 'float32';
      if (dtype !== 'float32')
        fail(
          `${label}: weight '${w.name}' has dtype ${describe(dtype)}; only float32 is supported`,
        );
      const shape = w.shape.map((d) => {
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
          fail(`${label}: weight '${w.name}' has an invalid shape ${describe(w.shape)}`);
        return d;
      });
      const bytes = shape.reduce((a, b) => a * b, 1) * 4;
      total += bytes;
      if (!(total <= maxWeightBytes))
        fail(`${label}: the weights declare more than the limit of ${maxWeightBytes} bytes`);
      entries.push({ name: w.name, shape, dtype, group: g, offset, bytes });
      offset += bytes;
    }
    const parts: Uint8Array[] = [];
    let got = 0;
    for (const p of group.paths) {
      const part = await loadShard(checkShardPath(p, label), offset - got);
      got += part.length;
      if (got > offset) break;
      parts.push(part);
    }
    if (got !== offset)
      fail(`${label}: weight shards of group ${g} hold ${got} bytes; the manifest needs ${offset}`);
    const joined = new Uint8Array(offset);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.length;
    }
    groups.push(joined);
  }

  const weightOf = (e: ManifestEntry): RawWeight => {
    const bytes = groups[e.group].slice(e.offset, e.offset + e.bytes);
    return { name: e.name, shape: e.shape, data: new Float32Array(bytes.buffer, 0, e.bytes / 4) };
  };
  return {
    format: 'tfjs',
    kerasVersion,
    modelConfig,
    weightsFor: (spec) => tfjsWeights(entries, spec, weightOf),
  };
}

/**
 * Names under which a layer's weights may appear: its own, then those of the layers it wraps
 * (`layer`, then `backward_layer`), which tensorflowjs_converter uses for Keras 3 wrappers.
 */
function weightOwners(spec: ModelSpec): Map<string, { layer: string; rank: number }> {
  const owners = new Map<string, { layer: string; rank: number }>();
  for (const l of spec.layers) {
    owners.set(l.name, { layer: l.name, rank: 0 });
    const config = l.json.config as Record<string, unknown> | undefined;
    ['layer', 'backward_layer'].forEach((key, i) => {
      const inner = config?.[key] as { config?: { name?: unknown } } | undefined;
      const name = inner?.config?.name;
      if (typeof name === 'string' && !owners.has(name))
        owners.set(name, { layer: l.name, rank: i + 1 });
    });
  }
  return owners;
}

/**
 * Assigns manifest entries to layers by name: the first path segment is the layer name (or that
 * of a layer it wraps), or the second when the first is the model's name (Keras 3 writes
 * `model/layer/...`). A wrapper's own weights come first, then each wrapped layer's in turn.
 */
function tfjsWeights(
  entries: ManifestEntry[],
  spec: ModelSpec,
  weightOf: (e: ManifestEntry) => RawWeight,
): LayerWeights {
  const owners = weightOwners(spec);
  const found = new Map<string, { rank: number; weight: RawWeight }[]>();
  for (const e of entries) {
    const parts = e.name.split('/');
    const owner =
      owners.get(parts[0]) ?? (parts.length > 2 ? owners.get(parts[1]) : undefined) ?? null;
    if (owner == null) continue;
    const list = found.get(owner.layer) ?? [];
    list.push({ rank: owner.rank, weight: weightOf(e) });
    found.set(owner.layer, list);
  }
  const out: LayerWeights = new Map();
  for (const [layer, list] of found) {
    // A stable sort keeps the manifest order within each owner.
    out.set(
      layer,
      [...list].sort((a, b) => a.rank - b.rank).map((w) => w.weight),
    );
  }
  return out;
}
