/**
 * Model streams: a loaded model fed one timestep per call. Every recurrent layer steps on its own
 * stream (`RecurrentLayer.stream` of @rnnkit/core), which carries its states between calls; the
 * layers around them run on the step's tensors (`[batch, 1, …]`, or `[batch, …]` after a layer
 * that returns only its last output). A step's outputs are the model's outputs for the sequence
 * seen so far, as `predict` on that prefix would give them.
 *
 * Only layers that work on each timestep alone can stream: the check runs when the stream is
 * made and names the first layer that cannot.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RecurrentStream, StreamState } from '@rnnkit/core';
import { describe, fail, formatShape } from './errors.js';
import { nodeKey, type Graph, type GraphNode } from './graph/build.js';
import type { TensorRef } from './graph/spec.js';
import { CuDNNRecurrent } from './layers/cudnn.js';
import { TRAINING_ONLY_LAYERS } from './layers/dropout.js';
import { ELEMENTWISE } from './layers/merge.js';
import { RecurrentModelLayer } from './layers/recurrent.js';
import type { CallArgs, CallResult } from './layers/types.js';

/** Layers that compute each timestep from that timestep alone. */
const PER_STEP_CLASSES = new Set([
  'InputLayer',
  'Dense',
  'Embedding',
  'Masking',
  'Activation',
  'TimeDistributed',
  'BatchNormalization',
  'LayerNormalization',
  'UnitNormalization',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  ...Object.keys(TRAINING_ONLY_LAYERS),
  ...Object.keys(ELEMENTWISE),
]);

/** Options of {@link KerasModel.stream}. */
export interface ModelStreamOptions {
  /** Rows of every step. */
  batch: number;
}

/** One step's input: one array (or tensor) per model input, or the only input alone. */
export type ModelStepInput = Float32Array | tf.Tensor | (Float32Array | tf.Tensor)[];

/** What a model stream needs of its model. */
export interface ModelStreamHost {
  readonly graph: Graph;
  readonly outputs: readonly TensorRef[];
  readonly inputNames: readonly string[];
  runGraph(
    inputs: tf.Tensor[],
    wanted: TensorRef[],
    call: (node: GraphNode, args: CallArgs) => CallResult,
  ): Map<string, { outputs: tf.Tensor[]; masks: (tf.Tensor | null)[] }>;
}

function recurrentOf(node: GraphNode): RecurrentModelLayer | null {
  const layer = node.layer;
  if (layer instanceof RecurrentModelLayer) return layer;
  if (layer instanceof CuDNNRecurrent) return layer.layer;
  return null;
}

/** Whether a layer keeps the time axis where it was: not a merge along time, not a softmax over it. */
function perStep(node: GraphNode, graph: Graph): boolean {
  const className = node.layer.className;
  if (className === 'Concatenate' || className === 'Softmax') {
    const config = (graph.specs.get(node.layer.name)?.json.config ?? {}) as { axis?: unknown };
    const axis = config.axis ?? -1;
    return typeof axis === 'number' && (axis === -1 || axis >= 2);
  }
  return PER_STEP_CLASSES.has(className);
}

/**
 * A loaded model fed one timestep per {@link step}. Made by `KerasModel.stream`. Every rejected
 * call leaves the stream as it was.
 */
export class ModelStream {
  /** Rows of every step. */
  readonly batch: number;
  /** One row's shape per model input (without batch and time). */
  readonly inputShapes: readonly (readonly number[])[];
  private readonly streams = new Map<string, RecurrentStream>();
  private results: Float32Array[] | null = null;
  private open = true;

  /** @internal Made by `KerasModel.stream`. */
  constructor(
    private readonly host: ModelStreamHost,
    options: ModelStreamOptions,
  ) {
    const batch = options?.batch;
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch <= 0)
      fail(`model stream batch: expected a positive integer, got ${describe(batch)}`);
    this.batch = batch;
    const graph = host.graph;
    this.inputShapes = graph.inputs.map(({ layer }, i) => {
      const shape = layer.shape;
      const row = shape.slice(2);
      if (shape.length < 2 || row.some((d) => d == null)) {
        fail(
          `model stream input '${host.inputNames[i]}': expected a shape [batch, time, …] with known sizes after time, got ${formatShape(shape)}`,
        );
      }
      return row as number[];
    });
    this.checkGraph();
  }

  /** Checks that every layer runs per step and opens the recurrent layers' streams. */
  private checkGraph(): void {
    const graph = this.host.graph;
    // Whether each node output still has the input's time axis.
    const timed = new Map<string, boolean[]>();
    for (const input of graph.inputs) timed.set(nodeKey(input.ref.layer, input.ref.node), [true]);
    try {
      for (const node of graph.order) {
        if (timed.has(node.key)) continue;
        const label = `layer '${node.layer.name}' (${node.layer.className})`;
        const inputsTimed = node.spec.inputs.map(
          (r) => timed.get(nodeKey(r.layer, r.node))?.[r.tensor] ?? false,
        );
        const recurrent = recurrentOf(node);
        if (recurrent != null) {
          if (node.spec.initialState.length > 0) {
            fail(
              `model stream: ${label} takes initial_state from the model; a stream starts its recurrent layers from zeros (or reset(states))`,
            );
          }
          if (!inputsTimed[0]) {
            fail(
              `model stream: ${label} reads an input without a time axis (after a layer that returns only its last output); a stream can only step recurrent layers over the input's timesteps`,
            );
          }
          const shape = node.inputShapes[0].slice(2);
          if (shape.some((d) => d == null))
            fail(
              `model stream: ${label} has an input of unknown size ${formatShape(node.inputShapes[0])}`,
            );
          this.streams.set(node.key, recurrent.openStream(this.batch, shape as number[]));
          timed.set(
            node.key,
            node.outputShapes.map((_, i) => i === 0 && recurrent.returnSequences),
          );
          continue;
        }
        if (!perStep(node, graph)) {
          fail(
            `model stream: ${label} does not work on each timestep alone; a stream runs the layers around its recurrent layers one step at a time (Dense, Embedding, TimeDistributed, normalization, activations, merges along features)`,
          );
        }
        const any = inputsTimed.some((t) => t);
        timed.set(
          node.key,
          node.outputShapes.map(() => any),
        );
      }
    } catch (e) {
      this.streams.forEach((s) => s.dispose());
      throw e;
    }
  }

  /**
   * Runs one timestep: one `Float32Array` (or tensor) of `batch·features` values per model input
   * (`[batch, ...inputShape]`; token ids as numbers for an Embedding input). Returns the model's
   * outputs for this step, in model output order, as arrays the stream owns and overwrites on the
   * next step.
   */
  step(input: ModelStepInput): Float32Array[] {
    this.live();
    const values = this.readInputs(input);
    const before = this.getStateIfMany();
    try {
      const outputs = tf.tidy(() => {
        const tensors = values.map((v, i) => {
          const { layer } = this.host.graph.inputs[i];
          const dtype = layer.dtype === 'int32' ? 'int32' : 'float32';
          return tf.tensor(v, [this.batch, 1, ...this.inputShapes[i]], dtype);
        });
        const wanted = [...this.host.outputs];
        const got = this.host.runGraph(tensors, wanted, (node, args) => {
          const stream = this.streams.get(node.key);
          const recurrent = recurrentOf(node);
          if (stream == null || recurrent == null) return node.layer.call(args);
          return recurrent.stepCall(stream, args);
        });
        return wanted.map(
          (r) => got.get(nodeKey(r.layer, r.node))!.outputs[r.tensor].dataSync() as Float32Array,
        );
      });
      this.results ??= outputs.map((o) => new Float32Array(o.length));
      outputs.forEach((o, i) => this.results![i].set(o));
      return this.results;
    } catch (e) {
      // A step that failed part-way (a later layer refused) leaves no recurrent layer advanced.
      if (before != null) this.setState(before);
      throw e;
    }
  }

  /** States of every recurrent layer before a step that could fail after some advanced. */
  private getStateIfMany(): StreamState[] | null {
    return this.streams.size > 1 ? this.getState() : null;
  }

  /** Starts a new sequence: every recurrent layer's states to zeros. */
  reset(): void {
    this.live();
    this.streams.forEach((s) => s.reset());
  }

  /** Copies of every recurrent layer's stream state, in graph order. */
  getState(): StreamState[] {
    this.live();
    return [...this.streams.values()].map((s) => s.getState());
  }

  /** Restores a {@link getState} snapshot. */
  setState(states: StreamState[]): void {
    this.live();
    const streams = [...this.streams.values()];
    if (!Array.isArray(states) || states.length !== streams.length) {
      fail(
        `model stream setState states: expected ${streams.length} snapshot(s) from getState(), got ${Array.isArray(states) ? `${states.length}` : describe(states)}`,
      );
    }
    // Check every snapshot before changing any stream.
    streams.forEach((s, i) => {
      const snapshot = s.getState();
      s.setState(states[i]);
      s.setState(snapshot);
    });
    streams.forEach((s, i) => s.setState(states[i]));
  }

  /** Releases the recurrent layers' streams; later calls throw. */
  dispose(): void {
    this.streams.forEach((s) => s.dispose());
    this.open = false;
  }

  private live(): void {
    if (!this.open) fail('model stream: expected an open stream, got one closed by dispose()');
  }

  private readInputs(input: ModelStepInput): Float32Array[] {
    const n = this.inputShapes.length;
    const list = Array.isArray(input) ? input : [input];
    if (list.length !== n) {
      fail(
        `model stream step input: expected ${n} input(s) (${this.host.inputNames.join(', ')}), got ${list.length}`,
      );
    }
    return list.map((v, i) => {
      const name = `model stream step input '${this.host.inputNames[i]}'`;
      const row = this.inputShapes[i];
      const length = this.batch * row.reduce((a, b) => a * b, 1);
      const shape = formatShape([this.batch, ...row]);
      if (v instanceof tf.Tensor) {
        const same = (s: readonly number[]) =>
          v.shape.length === s.length && s.every((d, k) => v.shape[k] === d);
        if (!same([this.batch, ...row]) && !same([this.batch, 1, ...row]))
          fail(`${name}: expected shape ${shape}, got shape ${formatShape(v.shape)}`);
        if (v.dtype !== 'float32' && v.dtype !== 'int32')
          fail(`${name}: expected dtype float32 or int32, got ${v.dtype}`);
        return Float32Array.from(v.dataSync());
      }
      if (!(v instanceof Float32Array))
        fail(`${name}: expected a Float32Array of ${length} values ${shape}, got ${describe(v)}`);
      if (v.length !== length)
        fail(
          `${name}: expected a Float32Array of ${length} values ${shape}, got ${v.length} values`,
        );
      return v;
    });
  }
}
