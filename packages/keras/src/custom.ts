/**
 * Layers rnnkit cannot know: a user's own Keras classes (what Keras loads through
 * `custom_objects`) and `Lambda` layers, whose Python code cannot run here. An implementation is
 * registered by class name ({@link registerKerasLayer}, or `customLayers` of `loadKerasModel`) or,
 * for one layer of a model, by layer name (`layerReplacements`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape, KerasModelError, messageOf } from './errors.js';
import { BaseLayer, dropMask } from './layers/base.js';
import { ConfigReader } from './layers/config_reader.js';
import { fits } from './layers/shapes.js';
import type {
  CallArgs,
  CallResult,
  LayerContext,
  LayerJson,
  ModelLayer,
  Shape,
  WeightSpec,
} from './layers/types.js';

/** What an implementation learns about the layer it stands for. */
export interface CustomLayerConfig {
  /** The layer's name in the model, e.g. `attention_layer_3`. */
  name: string;
  /** Its Keras class name, e.g. `AttentionLayer` or `Lambda`. */
  className: string;
  /** Its config as the file saved it (`get_config()`), e.g. `{units: 8, ...}`. */
  config: Record<string, unknown>;
  /** The Keras version that wrote the file, e.g. `3.10.0`. */
  kerasVersion: string;
}

/**
 * The implementation of one layer. Shapes have the batch first, with `null` for sizes unknown
 * until prediction, as Keras prints them.
 */
export interface CustomLayer {
  /**
   * The weights the file holds for this layer, in Keras `layer.get_weights()` order, with their
   * shapes (`null` matches any size); loading checks the file against them. None when absent.
   */
  weights?(inputShapes: Shape[]): WeightSpec[];
  /** The output shape for these input shapes; a list of shapes when the layer has several outputs. */
  outputShape(inputShapes: Shape[]): Shape | Shape[];
  /**
   * Runs the layer on tfjs-core tensors: the inputs in call order, the weights in the order of
   * {@link CustomLayer.weights}, the inputs' boolean `[batch, steps]` masks (null when unmasked).
   * Runs inside `tf.tidy`: intermediate tensors need no disposing. Returns one tensor, or one per
   * output.
   */
  call(
    inputs: tf.Tensor[],
    weights: tf.Tensor[],
    masks: (tf.Tensor | null)[],
  ): tf.Tensor | tf.Tensor[];
  /**
   * The output masks (one, or one per output). Without it the layer does not support masking, as
   * a Keras layer without `compute_mask`: an input mask is refused for files written by Keras 2
   * and dropped for Keras 3.
   */
  computeMask?(
    inputs: tf.Tensor[],
    masks: (tf.Tensor | null)[],
  ): tf.Tensor | null | (tf.Tensor | null)[];
}

/** Makes the implementation of one layer of a model being loaded. */
export type CustomLayerFactory = (layer: CustomLayerConfig) => CustomLayer;

const registered = new Map<string, CustomLayerFactory>();

/**
 * Registers an implementation for a Keras class name, used by every later `loadKerasModel`
 * (like Keras's `custom_objects`). `customLayers` of a load take precedence. Returns a function
 * that removes this registration.
 *
 * @example
 * registerKerasLayer('Scale', (layer) => ({
 *   weights: ([x]) => [{ name: 'gamma', shape: [x[x.length - 1]] }],
 *   outputShape: ([x]) => x,
 *   call: ([x], [gamma]) => tf.mul(x, gamma),
 * }));
 */
export function registerKerasLayer(className: string, factory: CustomLayerFactory): () => void {
  checkFactory(factory, `registerKerasLayer('${className}')`);
  if (typeof className !== 'string' || className === '')
    fail(`registerKerasLayer: expected a class name, got ${describe(className)}`);
  registered.set(className, factory);
  return () => {
    if (registered.get(className) === factory) registered.delete(className);
  };
}

/** Implementations given to one load. */
export interface CustomLayerOptions {
  /** Implementations by Keras class name, ahead of {@link registerKerasLayer}'s. */
  customLayers?: Record<string, CustomLayerFactory>;
  /**
   * Implementations by layer name, replacing that layer whatever its class. The way to run a
   * `Lambda` layer: every Lambda has the class name `Lambda`.
   */
  layerReplacements?: Record<string, CustomLayerFactory>;
}

function checkFactory(factory: unknown, where: string): void {
  if (typeof factory !== 'function')
    fail(
      `${where}: expected a function that returns the layer's implementation, got ${describe(factory)}`,
    );
}

function checkTable(table: unknown, option: string): Record<string, CustomLayerFactory> {
  if (table == null) return {};
  if (typeof table !== 'object' || Array.isArray(table))
    fail(`options.${option}: expected an object of functions by name, got ${describe(table)}`);
  for (const [name, factory] of Object.entries(table))
    checkFactory(factory, `options.${option}.${name}`);
  return table as Record<string, CustomLayerFactory>;
}

/** The lookup `createLayer` consults before the built-in layers. */
export type CustomLayerLookup = (json: LayerJson, ctx: LayerContext) => ModelLayer | null;

/**
 * Builds the lookup for one load from its options and the registrations; throws when a
 * replacement names no layer of the model.
 */
export function customLayerLookup(
  options: CustomLayerOptions,
  layerNames: string[],
): CustomLayerLookup {
  const byClass = checkTable(options.customLayers, 'customLayers');
  const byName = checkTable(options.layerReplacements, 'layerReplacements');
  for (const name of Object.keys(byName)) {
    if (!layerNames.includes(name))
      fail(
        `options.layerReplacements: the model has no layer named '${name}' (layers: ${layerNames.join(', ')})`,
      );
  }
  return (json, ctx) => {
    const name = typeof json.config.name === 'string' ? json.config.name : '';
    const factory = Object.hasOwn(byName, name)
      ? byName[name]
      : Object.hasOwn(byClass, json.class_name)
        ? byClass[json.class_name]
        : registered.get(json.class_name);
    return factory == null ? null : new CustomModelLayer(json, ctx, factory);
  };
}

/** A user-supplied error as a loader error naming the layer. */
function rethrow(label: string, what: string, e: unknown): never {
  if (e instanceof KerasModelError) throw e;
  throw new KerasModelError(
    `${label}: the registered implementation's ${what} failed: ${messageOf(e)}`,
    {
      cause: e,
    },
  );
}

function isShape(v: unknown): v is Shape {
  return (
    Array.isArray(v) &&
    v.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 0))
  );
}

/** Adapts a {@link CustomLayer} to the loader's layer contract. */
class CustomModelLayer extends BaseLayer {
  private readonly impl: CustomLayer;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext, factory: CustomLayerFactory) {
    super(new ConfigReader(json, ctx));
    this.keras2 = ctx.keras2;
    let impl: CustomLayer;
    try {
      impl = factory({
        name: this.name,
        className: this.className,
        config: structuredClone(json.config),
        kerasVersion: ctx.kerasVersion,
      });
    } catch (e) {
      rethrow(this.label, 'factory', e);
    }
    if (impl == null || typeof impl.outputShape !== 'function' || typeof impl.call !== 'function')
      fail(
        `${this.label}: the registered implementation must be an object with outputShape and call methods, got ${describe(impl)}`,
      );
    this.impl = impl;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    let result: Shape | Shape[];
    try {
      result = this.impl.outputShape(inputShapes.map((s) => [...s]));
    } catch (e) {
      rethrow(this.label, 'outputShape', e);
    }
    const shapes =
      Array.isArray(result) && result.length > 0 && Array.isArray(result[0])
        ? (result as Shape[])
        : [result as Shape];
    if (!shapes.every(isShape))
      fail(
        `${this.label}: outputShape must return a shape (a list of sizes or null) or a list of shapes, got ${describe(result)}`,
      );
    return shapes;
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    if (this.impl.weights == null) return [];
    let specs: WeightSpec[];
    try {
      specs = this.impl.weights(inputShapes.map((s) => [...s]));
    } catch (e) {
      rethrow(this.label, 'weights', e);
    }
    if (
      !Array.isArray(specs) ||
      !specs.every((w) => w != null && typeof w.name === 'string' && isShape(w.shape))
    )
      fail(`${this.label}: weights must return a list of {name, shape}, got ${describe(specs)}`);
    return specs;
  }

  call(args: CallArgs): CallResult {
    if (args.initialState != null) fail(`${this.label}: does not take initial_state`);
    const expected = this.outputShapes(args.inputs.map((x) => x.shape));
    let masks = args.masks;
    if (this.impl.computeMask == null)
      masks = masks.map((m) => dropMask(this.label, this.keras2, m));
    if (args.dryRun === true && args.needsGradients === true) this.checkGradients(args, masks);
    let result: tf.Tensor | tf.Tensor[];
    try {
      result = this.impl.call(args.inputs, [...this.weights], masks);
    } catch (e) {
      rethrow(this.label, 'call', e);
    }
    const outputs = Array.isArray(result) ? result : [result];
    if (outputs.length !== expected.length)
      fail(
        `${this.label}: call returned ${outputs.length} output(s); outputShape declares ${expected.length}`,
      );
    outputs.forEach((y, i) => {
      if (y == null || !Array.isArray(y.shape) || !fits(y.shape, expected[i]))
        fail(
          `${this.label}: call returned output ${i} of shape ${y?.shape ? formatShape(y.shape) : describe(y)}; outputShape declares ${formatShape(expected[i])}`,
        );
    });
    let outMasks: (tf.Tensor | null)[] = outputs.map(() => null);
    if (this.impl.computeMask != null) {
      let m: tf.Tensor | null | (tf.Tensor | null)[];
      try {
        m = this.impl.computeMask(args.inputs, masks);
      } catch (e) {
        rethrow(this.label, 'computeMask', e);
      }
      outMasks = Array.isArray(m) ? m : outputs.map((_, i) => (i === 0 ? m : null));
      if (outMasks.length !== outputs.length)
        fail(
          `${this.label}: computeMask returned ${outMasks.length} mask(s) for ${outputs.length} output(s)`,
        );
    }
    return { outputs, masks: outMasks };
  }

  /**
   * Training differentiates through the implementation: its float outputs must have gradients
   * with respect to its float inputs and its weights (tfjs-core operations whose gradients are
   * registered, no values read back to JavaScript on the way).
   */
  private checkGradients(args: CallArgs, masks: (tf.Tensor | null)[]): void {
    const floats = args.inputs.filter((x) => x.dtype === 'float32');
    const sources = [...floats, ...this.weights];
    if (sources.length === 0) return;
    try {
      tf.tidy(() =>
        tf.grads((...ts: tf.Tensor[]) => {
          let next = 0;
          const inputs = args.inputs.map((x) => (x.dtype === 'float32' ? ts[next++] : x));
          const out = this.impl.call(inputs, ts.slice(floats.length), masks);
          const outs = (Array.isArray(out) ? out : [out]).filter((o) => o.dtype === 'float32');
          // Pairwise adds, not addN: tfjs's WebGPU AddN is wrong for more than 8 inputs.
          return outs.map((o) => tf.sum(o)).reduce((a, b) => tf.add(a, b));
        })(sources),
      );
    } catch (e) {
      fail(
        `${this.label}: cannot be trained by fit: the registered implementation's call cannot be differentiated (${messageOf(e)}); expected tfjs-core operations with registered gradients from inputs and weights to outputs, or the layer and every layer before it frozen`,
      );
    }
  }
}
