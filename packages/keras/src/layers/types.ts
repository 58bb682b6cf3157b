/** The contract every model layer implements. */
import type * as tf from '@tensorflow/tfjs-core';

/** A shape with the batch first; null marks a size unknown until prediction. */
export type Shape = (number | null)[];

/** A weight a layer expects, in Keras `get_weights()` order. */
export interface WeightSpec {
  /** Keras weight name, e.g. `kernel`. */
  name: string;
  /** Expected shape; null entries match any size. */
  shape: Shape;
}

/** What a layer receives when called on one graph node. */
export interface CallArgs {
  inputs: tf.Tensor[];
  /** One bool `[batch, time]` mask (or null) per input. */
  masks: (tf.Tensor | null)[];
  /** Initial states passed to a recurrent layer, in Keras order. */
  initialState: tf.Tensor[] | null;
  /** Keyword arguments of the call (e.g. `use_causal_mask`), for layers that list them. */
  options?: CallOptions;
  /** Keras's `training` argument: true inside `fit` (dropout, batch statistics). */
  training?: boolean;
  /**
   * A check run before training starts: the layer refuses what it cannot train, changes no state
   * (no moving statistics) and, for a registered custom layer, checks its gradients.
   */
  dryRun?: boolean;
  /**
   * With `dryRun`: training needs gradients through this call (it has trainable weights or a
   * trainable layer feeds it), so a layer that cannot be differentiated refuses.
   */
  needsGradients?: boolean;
}

/** Non-tensor keyword arguments of one call, as the model config wrote them. */
export type CallOptions = Readonly<Record<string, unknown>>;

/** What a layer returns for one call: its output tensors and their masks. */
export interface CallResult {
  outputs: tf.Tensor[];
  masks: (tf.Tensor | null)[];
}

/** A layer of a loaded model. */
export interface ModelLayer {
  /** Name from the config. */
  readonly name: string;
  /** Keras class name. */
  readonly className: string;
  /**
   * False when the config froze the layer (or `KerasModel.setTrainable` did); its weights count as
   * non-trainable and `fit` leaves them unchanged.
   */
  trainable: boolean;
  /** Keyword call arguments the layer accepts (e.g. `use_causal_mask`); none when absent. */
  readonly callOptions?: readonly string[];
  /** Output shapes for the given input shapes; throws when the inputs cannot fit the layer. */
  outputShapes(inputShapes: Shape[], options?: CallOptions): Shape[];
  /** Weights in Keras order for these input shapes; null when the layer checks them itself. */
  weightSpecs(inputShapes: Shape[]): WeightSpec[] | null;
  /** Takes ownership of the given weights. */
  setWeights(weights: tf.Tensor[]): void;
  /** Copies of the weights in Keras `get_weights()` order, owned by the caller. */
  getWeights(): tf.Tensor[];
  /**
   * For each of {@link ModelLayer.getWeights}, whether Keras lists it among the trainable weights
   * (BatchNormalization's moving statistics are not); all are when absent.
   */
  trainableFlags?(): boolean[] | null;
  /** Runs the layer (inside the caller's `tf.tidy`). */
  call(args: CallArgs): CallResult;
  /** Number of scalar weights. */
  paramCount(): number;
  /** Releases the weights. */
  dispose(): void;
}

/** What a layer factory receives besides its config. */
export interface LayerContext {
  /** Keras version that wrote the file, e.g. `2.4.0`; decides `hard_sigmoid` and mask rules. */
  kerasVersion: string;
  /** True for files written by Keras 2 (or tfjs-layers, which follows it). */
  keras2: boolean;
  /** The batch size the model's inputs were saved with (for stateful layers), if one. */
  savedBatchSize?: number | null;
  /** Registered implementations, consulted before the built-in layers; null when none fits. */
  customLayer?: (json: LayerJson, ctx: LayerContext) => ModelLayer | null;
  /**
   * Builds a layer from its config (set by the registry), for wrappers such as TimeDistributed
   * that hold any layer without importing the registry.
   */
  createLayer?: (json: LayerJson, ctx: LayerContext) => ModelLayer;
}

/** A layer as the model config describes it. */
export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  /** Keras 3's module of the class (e.g. `keras.src.ops.numpy` for an operation). */
  module?: string;
}
