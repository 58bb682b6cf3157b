/**
 * Legacy Keras HDF5 (`model.save('x.h5')`, Keras 2.2 through 3.x): the config in the root
 * attribute `model_config`, weights under `model_weights/<layer>/` at the paths listed in each
 * layer group's `weight_names` attribute.
 */
import { fail } from '../errors.js';
import type { ModelSpec } from '../graph/spec.js';
import type { LayerWeights, RawWeight } from '../graph/weights.js';
import {
  attrString,
  attrStrings,
  child,
  datasetAt,
  type H5Dataset,
  type H5Group,
} from '../hdf5/tree.js';
import { parseJsonText } from './json.js';
import type { ModelArtifacts } from './types.js';

/** Top-level groups that hold training state, not model weights. */
export const LEGACY_SKIP = ['optimizer_weights'];

/** Turns a dataset into a weight, or explains why it cannot be one. */
export function datasetWeight(ds: H5Dataset, name: string, label: string): RawWeight {
  if (ds.data == null)
    fail(`${label}: weight '${name}' cannot be read (${ds.problem ?? 'no values'})`);
  return { name, shape: ds.shape, data: ds.data };
}

/** Reads the config and weight layout of a legacy `.h5` model. */
export function legacyArtifacts(
  root: H5Group,
  label: string,
  maxConfigBytes: number,
): ModelArtifacts {
  const configText = attrString(root.attrs.model_config);
  if (configText == null) {
    const weightsOnly = root.attrs.layer_names != null;
    fail(
      weightsOnly
        ? `${label}: holds weights only (saved with save_weights); a model file with its config is needed`
        : `${label}: not a Keras model file (no 'model_config' attribute)`,
    );
  }
  const modelConfig = parseJsonText(configText, maxConfigBytes, `${label}: model_config`);
  const weightsNode = child(root, 'model_weights');
  const weightsRoot = weightsNode?.kind === 'group' ? weightsNode : root;
  const kerasVersion =
    attrString(root.attrs.keras_version) ?? attrString(weightsRoot.attrs.keras_version) ?? '';
  return {
    format: 'h5',
    kerasVersion,
    modelConfig,
    weightsFor: (spec) => legacyWeights(weightsRoot, spec, label),
  };
}

function legacyWeights(weightsRoot: H5Group, spec: ModelSpec, label: string): LayerWeights {
  const out: LayerWeights = new Map();
  for (const layer of spec.layers) {
    const node = child(weightsRoot, layer.name);
    if (node == null || node.kind !== 'group') continue;
    const raw = node.attrs.weight_names;
    const names = raw === undefined ? [] : attrStrings(raw);
    if (names == null)
      fail(`${label}: layer '${layer.name}' has an unreadable weight_names attribute`);
    const weights = names.map((name) => {
      const ds = datasetAt(node, name);
      if (ds == null)
        fail(
          `${label}: layer '${layer.name}' lists weight '${name}', which the file does not contain`,
        );
      return datasetWeight(ds, name, `${label}: layer '${layer.name}'`);
    });
    if (weights.length > 0) out.set(layer.name, weights);
  }
  return out;
}
