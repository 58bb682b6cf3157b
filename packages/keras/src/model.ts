/** A loaded Keras model: prediction, intermediate outputs and a Keras-style summary. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, fail, formatShape } from './errors.js';
import { neededNodes, nodeKey, type Graph, type GraphNode } from './graph/build.js';
import { type ModelSpec, type NodeSpec, type TensorRef } from './graph/spec.js';
import { fits } from './layers/shapes.js';
import { CuDNNRecurrent } from './layers/cudnn.js';
import { RecurrentModelLayer } from './layers/recurrent.js';
import { TimeDistributed } from './layers/time_distributed.js';
import type { ModelLayer, Shape } from './layers/types.js';
import type { CallArgs, CallResult } from './layers/types.js';
import { ModelStream, type ModelStreamOptions } from './model_stream.js';
import { formatSummary, type LayerInfo } from './summary.js';

export type { LayerInfo };

/** File formats {@link loadKerasModel} reads. */
export type KerasFormat = 'keras' | 'h5' | 'tfjs';

/** A nested array of numbers (any depth), as JSON gives it. */
export type NestedArray = number | NestedArray[];

/** What {@link KerasModel.predict} accepts: one input, a list in model input order, or by name. */
export type ModelInput =
  tf.Tensor | NestedArray | (tf.Tensor | NestedArray)[] | Record<string, tf.Tensor | NestedArray>;

/** Options of {@link KerasModel.predict}. */
export interface PredictOptions {
  /**
   * Layer names whose outputs to return instead of the model outputs. `name` gives the layer's
   * first output of its first call; `name:i` its output `i` (e.g. an LSTM state).
   */
  outputs?: string[];
}

function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

function isNested(v: unknown): v is NestedArray {
  return typeof v === 'number' || Array.isArray(v);
}

/** A model loaded by {@link loadKerasModel}. Call {@link KerasModel.dispose} to free its weights. */
export class KerasModel {
  /** Model name from the config. */
  readonly name: string;
  /** `Sequential` or `Functional`. */
  readonly className: string;
  /** Keras version that wrote the file (`tfjs-layers …` for tfjs-layers files). */
  readonly kerasVersion: string;
  /** File format it was read from. */
  readonly format: KerasFormat;
  /** Input layer names, in model input order. */
  readonly inputNames: string[];
  /** Input shapes (batch null). */
  readonly inputShapes: Shape[];
  /** Output layer names, in model output order. */
  readonly outputNames: string[];
  private readonly graph: Graph;
  private readonly spec: ModelSpec;
  private readonly modelConfig: unknown;
  private disposed = false;

  /** @internal Built by {@link loadKerasModel}. */
  constructor(
    spec: ModelSpec,
    graph: Graph,
    kerasVersion: string,
    format: KerasFormat,
    modelConfig: unknown = null,
  ) {
    this.spec = spec;
    this.modelConfig = modelConfig;
    this.graph = graph;
    this.name = spec.name;
    this.className = spec.className;
    this.kerasVersion = kerasVersion;
    this.format = format;
    this.inputNames = graph.inputs.map((i) => i.ref.layer);
    this.inputShapes = graph.inputs.map((i) => i.layer.shape);
    this.outputNames = spec.outputs.map((r) => r.layer);
  }

  /**
   * The tfjs backend {@link KerasModel.predict} runs on: the one active now (`tf.getBackend()`),
   * which the application chooses by starting a backend package.
   */
  get backend(): string {
    return tf.getBackend();
  }

  /** Output shapes of the model (batch null). */
  get outputShapes(): Shape[] {
    return this.spec.outputs.map((r) => this.shapeOf(r));
  }

  private shapeOf(ref: TensorRef): Shape {
    return (this.graph.nodes.get(nodeKey(ref.layer, ref.node)) as GraphNode).outputShapes[
      ref.tensor
    ];
  }

  /** Layers in config order, with output shapes and parameter counts. */
  get layers(): LayerInfo[] {
    return this.spec.layers.map((s) => {
      const layer = this.graph.layers.get(s.name)!;
      const first = this.graph.nodes.get(nodeKey(s.name, 0));
      return {
        name: s.name,
        className: s.json.class_name,
        outputShapes: first?.outputShapes ?? [],
        params: layer.paramCount(),
        trainable: layer.trainable,
        inbound: (s.nodes[0]?.inputs ?? []).map((r) => r.layer),
      };
    });
  }

  /**
   * Runs the model. Returns the output tensor (or a list for several outputs); with
   * `options.outputs`, a record from each requested layer name to its output. The caller owns
   * (and disposes) the returned tensors.
   */
  predict(input: ModelInput, options?: { outputs?: undefined }): tf.Tensor | tf.Tensor[];
  predict(input: ModelInput, options: { outputs: string[] }): Record<string, tf.Tensor>;
  predict(
    input: ModelInput,
    options: PredictOptions = {},
  ): tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor> {
    if (this.disposed) fail(`model '${this.name}' was disposed`);
    const requested = options.outputs == null ? null : this.resolveOutputs(options.outputs);
    const wanted = requested?.map((r) => r.ref) ?? this.spec.outputs;
    const result = tf.tidy(() => {
      const inputs = this.prepareInputs(input);
      const values = this.run(inputs, wanted);
      return wanted.map((ref) => {
        const t = values.get(nodeKey(ref.layer, ref.node))?.outputs[ref.tensor];
        if (t == null) fail(`layer '${ref.layer}' produced no output ${ref.tensor}`);
        // Inputs may be returned as they are; a copy keeps the caller's tensor out of our hands.
        return inputs.includes(t) ? t.clone() : t;
      });
    });
    if (requested != null) return Object.fromEntries(requested.map((r, i) => [r.key, result[i]]));
    return result.length === 1 ? result[0] : result;
  }

  private resolveOutputs(names: string[]): { key: string; ref: TensorRef }[] {
    if (!Array.isArray(names) || names.length === 0)
      fail(`predict outputs: expected a list of layer names, got ${describe(names)}`);
    return names.map((key) => {
      const match = /^(.*?)(?::(\d+))?$/.exec(String(key)) as RegExpExecArray;
      const layer = match[1];
      const tensor = match[2] == null ? 0 : Number(match[2]);
      const node = this.graph.nodes.get(nodeKey(layer, 0));
      if (node == null) {
        fail(
          `predict outputs: no layer named '${layer}' (layers: ${this.spec.layers.map((s) => s.name).join(', ')})`,
        );
      }
      if (tensor >= node.outputShapes.length)
        fail(
          `predict outputs: layer '${layer}' has ${node.outputShapes.length} output(s), asked for ${key}`,
        );
      return { key, ref: { layer, node: 0, tensor } };
    });
  }

  private prepareInputs(input: ModelInput, what = 'predict input'): tf.Tensor[] {
    const n = this.inputNames.length;
    let list: unknown[];
    if (isTensor(input)) list = [input];
    else if (
      Array.isArray(input) &&
      n > 1 &&
      input.length === n &&
      input.every((v) => isTensor(v) || Array.isArray(v))
    )
      list = input;
    else if (Array.isArray(input) && n === 1 && input.length === 1 && isTensor(input[0]))
      list = input;
    else if (isNested(input)) list = [input];
    else if (input != null && typeof input === 'object') {
      const record = input as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!this.inputNames.includes(key))
          fail(`${what}: unknown input '${key}' (inputs: ${this.inputNames.join(', ')})`);
      }
      list = this.inputNames.map((name) => {
        if (!(name in record)) fail(`${what}: missing input '${name}'`);
        return record[name];
      });
    } else
      fail(`${what}: expected a tensor, nested arrays or a record of them, got ${describe(input)}`);
    if (list.length !== n)
      fail(
        `${what}: the model takes ${n} inputs (${this.inputNames.join(', ')}), got ${list.length}`,
      );
    return list.map((value, i) => this.toInputTensor(value, i, what));
  }

  private toInputTensor(value: unknown, i: number, what: string): tf.Tensor {
    const { layer } = this.graph.inputs[i];
    const name = this.inputNames[i];
    let t: tf.Tensor;
    if (isTensor(value)) t = value;
    else if (isNested(value)) {
      try {
        t = tf.tensor(value as number[], undefined, layer.dtype);
      } catch (e) {
        fail(
          `${what} '${name}': not a rectangular array of numbers (${e instanceof Error ? e.message : String(e)})`,
        );
      }
    } else fail(`${what} '${name}': expected a tensor or nested arrays, got ${describe(value)}`);
    if (
      !fits(
        t.shape,
        layer.shape.map((d, k) => (k === 0 ? null : d)),
      )
    ) {
      fail(
        `${what} '${name}': expected shape ${formatShape(layer.shape)}, got ${formatShape(t.shape)}`,
      );
    }
    if (t.shape[0] === 0) fail(`${what} '${name}': the batch is empty`);
    if (t.dtype !== 'float32' && t.dtype !== 'int32') t = tf.cast(t, 'float32');
    return t;
  }

  /**
   * Runs the nodes the wanted tensors depend on, in dependency order; `call` runs one node
   * (a model stream steps its recurrent layers through it).
   */
  private run(
    inputs: tf.Tensor[],
    wanted: TensorRef[],
    call: (node: GraphNode, args: CallArgs) => CallResult = (node, args) => node.layer.call(args),
  ): Map<string, { outputs: tf.Tensor[]; masks: (tf.Tensor | null)[] }> {
    const needed = neededNodes(this.graph, wanted);
    const values = new Map<string, { outputs: tf.Tensor[]; masks: (tf.Tensor | null)[] }>();
    this.graph.inputs.forEach((input, i) => {
      values.set(nodeKey(input.ref.layer, input.ref.node), { outputs: [inputs[i]], masks: [null] });
    });
    for (const node of this.graph.order) {
      if (!needed.has(node.key) || values.has(node.key)) continue;
      if (node.spec.inputs.length === 0)
        fail(`model input '${node.layer.name}' is needed but is not a model input`);
      const get = (r: TensorRef) =>
        values.get(nodeKey(r.layer, r.node)) as {
          outputs: tf.Tensor[];
          masks: (tf.Tensor | null)[];
        };
      const result = call(node, {
        inputs: node.spec.inputs.map((r) => get(r).outputs[r.tensor]),
        masks:
          explicitMasks(node.spec.masks, get) ??
          node.spec.inputs.map((r) => get(r).masks[r.tensor] ?? null),
        initialState:
          node.spec.initialState.length > 0
            ? node.spec.initialState.map((r) => get(r).outputs[r.tensor])
            : null,
        options: node.spec.options,
      });
      values.set(node.key, result);
    }
    return values;
  }

  /**
   * A stream over the model: one timestep per `step` for `batch` rows, each recurrent layer's
   * states carried by the stream (from zeros), the layers around them run on each step. Refused,
   * naming the layer, when a layer mixes timesteps (convolutions or pooling over time, attention,
   * Bidirectional, Flatten, …).
   */
  stream(options: ModelStreamOptions): ModelStream {
    if (this.disposed)
      fail('model stream: expected a model that is not disposed, got a disposed one');
    return new ModelStream(
      {
        graph: this.graph,
        outputs: this.spec.outputs,
        inputNames: this.inputNames,
        runGraph: (inputs, wanted, call) => this.run(inputs, wanted, call),
      },
      options,
    );
  }

  /**
   * Copies of every weight, in Keras `model.get_weights()` order: layers in config order, each
   * layer's weights in its `get_weights()` order (as `.keras` and `.h5` files store them). The
   * caller owns (and disposes) them.
   */
  getWeights(): tf.Tensor[] {
    if (this.disposed) fail(`model '${this.name}' was disposed`);
    return this.spec.layers.flatMap((s) => this.layerOf(s.name).getWeights());
  }

  /** Copies of one layer's weights in its Keras `get_weights()` order; the caller owns them. */
  getLayerWeights(name: string): tf.Tensor[] {
    if (this.disposed) fail(`model '${this.name}' was disposed`);
    return this.layerOf(name).getWeights();
  }

  /**
   * Freezes (`false`) or unfreezes a layer for {@link fitModel}, as setting Keras's
   * `layer.trainable` does: a frozen layer's weights stay as they are, and a frozen
   * BatchNormalization normalizes with its moving statistics. A wrapper's inner layer follows it.
   */
  setTrainable(name: string, trainable: boolean): void {
    if (typeof trainable !== 'boolean')
      fail(`setTrainable: trainable: expected true or false, got ${describe(trainable)}`);
    const layer = this.layerOf(name);
    layer.trainable = trainable;
    if (layer instanceof TimeDistributed) layer.inner.trainable = trainable;
    if (layer instanceof CuDNNRecurrent) layer.layer.trainable = trainable;
  }

  private layerOf(name: string): ModelLayer {
    const layer = this.graph.layers.get(name);
    if (layer == null)
      fail(
        `model '${this.name}': no layer named ${describe(name)} (layers: ${this.spec.layers.map((s) => s.name).join(', ')})`,
      );
    return layer;
  }

  /** @internal What `fitModel` and the weight writers need of the model. */
  internals(): ModelInternals {
    if (this.disposed) fail(`model '${this.name}' was disposed`);
    return {
      graph: this.graph,
      spec: this.spec,
      modelConfig: this.modelConfig,
      prepareInputs: (input, what) => this.prepareInputs(input, what),
      run: (inputs, wanted, call) => this.run(inputs, wanted, call),
    };
  }

  /** Resets the states of stateful recurrent layers to zeros. */
  resetStates(): void {
    for (const layer of this.graph.layers.values())
      if (layer instanceof RecurrentModelLayer || layer instanceof CuDNNRecurrent)
        layer.resetStates();
  }

  /**
   * A Keras-style table of layers, output shapes and parameter counts, and the backend the model
   * runs on; also printed via `print`.
   */
  summary(print: ((line: string) => void) | null = console.log): string {
    const table = formatSummary(this.name, this.className, this.layers);
    const text = `${table}\nBackend: ${this.backend}`;
    if (print != null) print(text);
    return text;
  }

  /** Total number of scalar weights. */
  countParams(): number {
    return this.layers.reduce((n, l) => n + l.params, 0);
  }

  /** Frees every weight. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.graph.layers.forEach((l) => l.dispose());
  }
}

/** @internal The graph of a model and its runner, for training and saving. */
export interface ModelInternals {
  graph: Graph;
  spec: ModelSpec;
  /** The model config as the file held it (`{class_name, config}`). */
  modelConfig: unknown;
  /** Checks and converts inputs as `predict` does; `what` names them in messages. */
  prepareInputs(input: ModelInput, what: string): tf.Tensor[];
  /** Runs the nodes `wanted` depends on; `call` runs one node. */
  run(
    inputs: tf.Tensor[],
    wanted: TensorRef[],
    call: (node: GraphNode, args: CallArgs) => CallResult,
  ): Map<string, { outputs: tf.Tensor[]; masks: (tf.Tensor | null)[] }>;
}

/** Masks a call passes explicitly (`mask=`), as bool tensors; null when it passes none. */
function explicitMasks(
  masks: NodeSpec['masks'],
  get: (r: TensorRef) => { outputs: tf.Tensor[] },
): (tf.Tensor | null)[] | null {
  if (masks == null) return null;
  return masks.map((r) => {
    if (r == null) return null;
    const m = get(r).outputs[r.tensor];
    return m.dtype === 'bool' ? m : tf.cast(m, 'bool');
  });
}
