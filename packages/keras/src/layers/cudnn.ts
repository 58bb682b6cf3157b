/**
 * Legacy `CuDNNLSTM` and `CuDNNGRU` (Keras 2.x, tf.keras 1.x) run on the standard recurrent
 * layers. Both compute with sigmoid and tanh and keep separate input and recurrent biases:
 * CuDNNLSTM's bias of 8·units is both sets of 4·units (they only ever appear summed, so the LSTM
 * gets their sum); CuDNNGRU's bias of 6·units is the input then the recurrent set of 3·units,
 * which is exactly a `reset_after` GRU's `(2, 3·units)` bias. Kernels keep Keras's gate order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import { ConfigReader } from './config_reader.js';
import { RecurrentModelLayer } from './recurrent.js';
import type {
  CallArgs,
  CallResult,
  LayerContext,
  LayerJson,
  ModelLayer,
  Shape,
  WeightSpec,
} from './types.js';

/** The CuDNN classes and the standard layer each runs on. */
export const CUDNN_CLASSES: Record<string, 'LSTM' | 'GRU'> = {
  CuDNNLSTM: 'LSTM',
  CuDNNGRU: 'GRU',
};

/** A `CuDNNLSTM` or `CuDNNGRU` of a loaded model. */
export class CuDNNRecurrent implements ModelLayer {
  readonly name: string;
  readonly className: string;
  trainable: boolean;
  readonly units: number;
  /** The bias as the file holds it (both halves); the layer runs on their sum (LSTM). */
  private bias: tf.Tensor | null = null;
  private readonly target: 'LSTM' | 'GRU';
  /** The standard recurrent layer it runs on (model streams step it). */
  readonly layer: RecurrentModelLayer;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    this.name = r.name;
    this.className = r.className;
    this.trainable = r.bool('trainable', true);
    this.target = CUDNN_CLASSES[json.class_name];
    this.units = r.positiveInt('units', 1_000_000);
    const config: Record<string, unknown> = {
      name: this.name,
      trainable: this.trainable,
      units: this.units,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      return_sequences: r.bool('return_sequences', false),
      return_state: r.bool('return_state', false),
      stateful: r.bool('stateful', false),
      // tf.keras 1.x added go_backwards and time_major.
      go_backwards: r.bool('go_backwards', false),
    };
    r.only('time_major', [false], 'is not supported');
    if (this.target === 'GRU') config.reset_after = true;
    else r.ignore('unit_forget_bias'); // An initializer setting.
    r.finish();
    this.layer = new RecurrentModelLayer({ class_name: this.target, config }, ctx);
  }

  get label(): string {
    return `layer '${this.name}' (${this.className})`;
  }

  private get gates(): number {
    return this.target === 'LSTM' ? 4 : 3;
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    return this.layer.outputShapes(inputShapes);
  }

  weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const [kernel, recurrent] = this.layer.weightSpecs(inputShapes);
    return [kernel, recurrent, { name: 'bias', shape: [2 * this.gates * this.units] }];
  }

  setWeights(weights: tf.Tensor[]): void {
    const [kernel, recurrent, bias] = weights;
    if (weights.length !== 3 || bias.size !== 2 * this.gates * this.units) {
      weights.forEach((w) => w.dispose());
      fail(
        `${this.label}: expected kernel, recurrent_kernel and a bias of ${2 * this.gates * this.units}, got ${weights.length} weight(s)`,
      );
    }
    const halves = tf.tidy(() => tf.reshape(bias, [2, this.gates * this.units]));
    const converted = this.target === 'LSTM' ? tf.tidy(() => tf.sum(halves, 0)) : halves;
    if (converted !== halves) halves.dispose();
    this.bias?.dispose();
    this.bias = tf.keep(bias);
    this.layer.setWeights([kernel, recurrent, converted]);
  }

  getWeights(): tf.Tensor[] {
    const [kernel, recurrent, converted] = this.layer.getWeights();
    converted.dispose();
    return [kernel, recurrent, this.bias == null ? tf.zeros([0]) : this.bias.clone()];
  }

  call(args: CallArgs): CallResult {
    if (args.masks.some((m) => m != null)) {
      fail(
        `${this.label}: does not support masking, but its input carries a mask (Keras refuses this too)`,
      );
    }
    const result = this.layer.call(args);
    return { outputs: result.outputs, masks: result.outputs.map(() => null) };
  }

  /** Resets the states of a stateful layer to zeros. */
  resetStates(): void {
    this.layer.resetStates();
  }

  paramCount(): number {
    // Keras counts the full bias of 2·gates·units.
    return this.layer.paramCount() + (this.target === 'LSTM' ? this.gates * this.units : 0);
  }

  dispose(): void {
    this.bias?.dispose();
    this.bias = null;
    this.layer.dispose();
  }
}
