/** Weights as read from a file, before they become tensors. */

/** One weight array read from a model file. */
export interface RawWeight {
  /** Where it came from (dataset path or manifest name), for messages. */
  name: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

/** Weights per layer name, in Keras `get_weights()` order. */
export type LayerWeights = Map<string, RawWeight[]>;
