/**
 * Keras 3 `.keras` archives: `config.json`, `metadata.json` and `model.weights.h5`. Weight groups
 * are named after the layer class with a counter (`layers/gru`, `layers/gru_1`) in the order of
 * `model.layers`, not after the config's layer names; newer files also name the layer in the
 * `vars` group's `name` attribute, which is preferred when present.
 */
import { fail } from '../errors.js';
import type { ModelSpec } from '../graph/spec.js';
import type { LayerWeights, RawWeight } from '../graph/weights.js';
import { attrString, child, groupAt, nestBackslashNames, type H5Group } from '../hdf5/tree.js';
import { datasetWeight } from './legacy_h5.js';
import type { ModelArtifacts } from './types.js';

/** Top-level groups that hold training state. */
export const KERAS3_SKIP = ['optimizer', 'metrics', 'compile_metrics'];

/**
 * Sub-layer groups of wrappers whose weights Keras orders otherwise than by name. Keras 3.0.0–3.0.2
 * saved the attention projections under their private attribute names.
 */
const CHILD_ORDER: Record<string, string[]> = {
  Bidirectional: ['forward_layer', 'backward_layer'],
  MultiHeadAttention: ['query_dense', 'key_dense', 'value_dense', 'output_dense'].flatMap((k) => [
    k,
    `_${k}`,
  ]),
};

/** Keras's `to_snake_case` of a class name (`SimpleRNN` → `simple_rnn`). */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The variables of a group: `vars/0`, `vars/1`, … in numeric order, then its sub-objects'. */
function collectVars(
  group: H5Group,
  path: string,
  label: string,
  className: string,
  depth = 0,
): RawWeight[] {
  if (depth > 8) return [];
  const out: RawWeight[] = [];
  const vars = child(group, 'vars');
  if (vars?.kind === 'group') {
    const entries = vars.children
      .filter(([k]) => /^\d+$/.test(k))
      .sort(([a], [b]) => Number(a) - Number(b));
    entries.forEach(([k, node], i) => {
      if (Number(k) !== i) fail(`${label}: '${path}/vars' skips variable ${i}`);
      if (node.kind !== 'dataset') fail(`${label}: '${path}/vars/${k}' is not a dataset`);
      out.push(datasetWeight(node, `${path}/vars/${k}`, label));
    });
  }
  // Sub-layers in Keras weight order where it differs from name order; others sort by name.
  const order = Object.hasOwn(CHILD_ORDER, className)
    ? CHILD_ORDER[className].filter((k) => child(group, k) != null)
    : group.children
        .map(([k]) => k)
        .filter((k) => k !== 'vars' && !k.startsWith('seed_generator'))
        .sort(naturalCompare);
  for (const key of order) {
    const sub = child(group, key);
    if (sub?.kind === 'group')
      out.push(...collectVars(sub, `${path}/${key}`, label, '', depth + 1));
  }
  return out;
}

/** Reads the weights of `.keras` weight file `root` for the layers of `spec`. */
export function keras3Weights(root: H5Group, spec: ModelSpec, label: string): LayerWeights {
  const layersGroup = groupAt(root, 'layers') ?? groupAt(root, '_layer_checkpoint_dependencies');
  const out: LayerWeights = new Map();
  if (layersGroup == null) return out;
  const byName = new Map<string, string>();
  for (const [key, node] of layersGroup.children) {
    if (node.kind !== 'group') continue;
    const vars = child(node, 'vars');
    const name = vars?.kind === 'group' ? attrString(vars.attrs.name) : undefined;
    if (name != null && !byName.has(name)) byName.set(name, key);
  }
  const used = new Map<string, number>();
  for (const layer of spec.layers) {
    const base = toSnakeCase(layer.json.class_name);
    const n = used.get(base);
    used.set(base, n == null ? 0 : n + 1);
    const counted = n == null ? base : `${base}_${n + 1}`;
    const key = byName.get(layer.name) ?? counted;
    const group = groupAt(layersGroup, key);
    if (group == null) continue;
    const weights = collectVars(
      group,
      `layers/${key}`,
      `${label}: layer '${layer.name}'`,
      layer.json.class_name,
    );
    if (weights.length > 0) out.set(layer.name, weights);
  }
  return out;
}

/** Assembles the artifacts of a `.keras` archive from its parsed parts. */
export function keras3Artifacts(
  modelConfig: unknown,
  metadata: unknown,
  weightsRoot: H5Group,
  label: string,
): ModelArtifacts {
  const meta =
    metadata != null && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : {};
  const kerasVersion = typeof meta.keras_version === 'string' ? meta.keras_version : '';
  return {
    format: 'keras',
    kerasVersion,
    modelConfig,
    weightsFor: (spec) => keras3Weights(nestBackslashNames(weightsRoot), spec, label),
  };
}
