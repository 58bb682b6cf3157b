/** What each file-format reader produces. */
import type { ModelSpec } from '../graph/spec.js';
import type { LayerWeights } from '../graph/weights.js';
import type { KerasFormat } from '../model.js';

/** A model file read into its config and a way to find each layer's weights. */
export interface ModelArtifacts {
  format: KerasFormat;
  /** Keras version as written in the file. */
  kerasVersion: string;
  /** The parsed model config (`{class_name, config}`). */
  modelConfig: unknown;
  /** Weights of every layer of `spec` that has any, in Keras order. */
  weightsFor(spec: ModelSpec): LayerWeights;
}
