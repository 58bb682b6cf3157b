/** Keras `Bidirectional`: a forward and a backward copy of a recurrent layer, merged. */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, RnnkitError } from '../errors.js';
import type { Dim } from '../kernels/families.js';
import {
  defaultLayerName,
  RecurrentLayer,
  type ApplyOptions,
  type LayerWeightSpec,
} from './recurrent.js';
import { RECURRENT_LAYER_CLASSES, recurrentFromKerasConfig } from './recurrent_config.js';

/** How the two directions combine; `null` returns both. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** Arguments of {@link Bidirectional}. */
export interface BidirectionalArgs<M extends MergeMode = MergeMode> {
  /** Default `concat`. */
  mergeMode?: M;
  /** A custom backward layer; it must have the opposite `goBackwards`. */
  backwardLayer?: RecurrentLayer;
  /** Layer name. */
  name?: string;
}

/** What {@link Bidirectional.apply} returns, following the wrapped layer's flags. */
export type BidirectionalOutput<
  RS extends boolean,
  S extends tf.Tensor[],
  M extends MergeMode,
> = RS extends true
  ? M extends null
    ? [tf.Tensor, tf.Tensor, ...S, ...S]
    : [tf.Tensor, ...S, ...S]
  : M extends null
    ? [tf.Tensor, tf.Tensor]
    : tf.Tensor;

/**
 * Keras `Bidirectional(layer)`. Returns the merged output (or `[forward, backward]` when
 * `mergeMode` is null), then the forward states, then the backward states when the layer
 * returns states. The backward sequence is aligned to input time. With `returnSequences`,
 * masked steps output zeros in both halves, as Keras forces.
 */
export class Bidirectional<
  RS extends boolean = false,
  S extends tf.Tensor[] = tf.Tensor[],
  M extends MergeMode = 'concat',
> {
  readonly className = 'Bidirectional';
  readonly name: string;
  readonly forwardLayer: RecurrentLayer<RS, S>;
  readonly backwardLayer: RecurrentLayer<RS, S>;
  readonly mergeMode: M;
  private readonly customBackward: boolean;

  constructor(layer: RecurrentLayer<RS, S>, args: BidirectionalArgs<M> = {}) {
    if (!(layer instanceof RecurrentLayer)) {
      invalidArgument(
        'Bidirectional layer',
        `a recurrent layer (${RECURRENT_LAYER_CLASSES.join(', ')})`,
        typeof layer,
      );
    }
    const mergeMode = (args.mergeMode === undefined ? 'concat' : args.mergeMode) as M;
    if (!MERGE_MODES.includes(mergeMode)) {
      invalidArgument('merge_mode', 'one of concat, sum, mul, ave, null', mergeMode);
    }
    this.mergeMode = mergeMode;
    this.name = args.name ?? defaultLayerName('bidirectional');
    this.forwardLayer = layer;
    this.customBackward = args.backwardLayer != null;
    if (args.backwardLayer != null) {
      const bw = args.backwardLayer;
      if (bw.goBackwards === layer.goBackwards) {
        throw new RnnkitError(
          `Bidirectional backward_layer: expected go_backwards ${!layer.goBackwards} (opposite of the forward layer), got ${bw.goBackwards}`,
        );
      }
      for (const flag of ['returnSequences', 'returnState', 'stateful'] as const) {
        if (bw[flag] !== layer[flag]) {
          throw new RnnkitError(
            `Bidirectional backward_layer: expected ${flag} ${layer[flag]} (as the forward layer), got ${bw[flag]}`,
          );
        }
      }
      this.backwardLayer = bw as RecurrentLayer<RS, S>;
    } else {
      const first = layer.cells[0];
      const kerasVersion = (first as { kerasVersion?: string }).kerasVersion;
      const config: Record<string, unknown> = {
        ...layer.getConfig(),
        go_backwards: !layer.goBackwards,
        name: `backward_${layer.name}`,
      };
      delete config.batch_shape;
      this.backwardLayer = recurrentFromKerasConfig(
        { class_name: layer.className, config },
        { kerasVersion },
      ) as unknown as RecurrentLayer<RS, S>;
    }
  }

  /** The wrapped layer's flags. */
  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }
  get returnState(): RS {
    return this.forwardLayer.returnState;
  }

  /** Rank of the input, as the wrapped layer's. */
  get inputRank(): number {
    return this.forwardLayer.inputRank;
  }

  /** Builds both directions for `inputDim` features. */
  build(input: number | readonly (number | null)[]): void {
    this.forwardLayer.build(input);
    this.backwardLayer.build(input);
  }

  /**
   * Refused: the backward half reads the sequence from its end, which a stream has not seen yet.
   * Stream the forward layer alone, or run whole sequences.
   */
  stream(_options?: unknown): never {
    throw new RnnkitError(
      `${this.name} stream: expected a unidirectional recurrent layer, got Bidirectional (its backward half needs the whole sequence); run whole sequences with apply()`,
    );
  }

  /** Runs both directions; `initialState` holds forward states then backward states. */
  apply(x: tf.Tensor, options: ApplyOptions = {}): BidirectionalOutput<RS, S, M> {
    const nf = this.forwardLayer.stateSizes.length;
    const nb = this.backwardLayer.stateSizes.length;
    const given = options.initialState;
    if (given != null && (!Array.isArray(given) || given.length !== nf + nb)) {
      throw new RnnkitError(
        `${this.name} initial_state: expected ${nf + nb} tensors (${nf} forward, then ${nb} backward), got ${Array.isArray(given) ? given.length : typeof given}`,
      );
    }
    const zeroOutputForMask = this.returnSequences;
    const fw = this.forwardLayer.run(x, {
      ...options,
      initialState: given?.slice(0, nf),
      zeroOutputForMask,
    });
    const bwAligned = this.backwardLayer.goBackwards;
    const bw = this.backwardLayer.run(x, {
      ...options,
      initialState: given?.slice(nf),
      zeroOutputForMask,
      alignToInput: bwAligned,
    });
    let bwOutput = bw.output;
    if (this.returnSequences && !bwAligned) {
      // Keras flips the second layer's sequence even when it ran forwards.
      bwOutput = tf.reverse(bw.output, 1);
      bw.output.dispose();
    }
    const merged = this.merge(fw.output, bwOutput);
    const states = this.returnState ? [...fw.states, ...bw.states] : [];
    if (!this.returnState) [...fw.states, ...bw.states].forEach((s) => s.dispose());
    const outputs = [...merged, ...states];
    return (outputs.length === 1 ? outputs[0] : outputs) as BidirectionalOutput<RS, S, M>;
  }

  private merge(fw: tf.Tensor, bw: tf.Tensor): tf.Tensor[] {
    if (this.mergeMode === null) return [fw, bw];
    const merged = tf.tidy(() => {
      switch (this.mergeMode) {
        case 'concat':
          return tf.concat([fw, bw], -1);
        case 'sum':
          return tf.add(fw, bw);
        case 'mul':
          return tf.mul(fw, bw);
        default:
          return tf.div(tf.add(fw, bw), 2);
      }
    });
    fw.dispose();
    bw.dispose();
    return [merged];
  }

  /** Sizes of all states: forward then backward. */
  get stateSizes(): number[] {
    return [...this.forwardLayer.stateSizes, ...this.backwardLayer.stateSizes];
  }

  /**
   * What {@link apply} returns for an input of shape `[batch, time, features]` (sizes may be
   * `null`): the merged output (both outputs when `mergeMode` is null), then the forward and the
   * backward states when the layer returns states.
   */
  outputShapes(inputShape: readonly Dim[]): Dim[][] {
    const [fw, ...fwStates] = this.forwardLayer.outputShapes(inputShape);
    const [bw, ...bwStates] = this.backwardLayer.outputShapes(inputShape);
    const last = fw.length - 1;
    const merged: Dim[][] =
      this.mergeMode === null
        ? [fw, bw]
        : this.mergeMode === 'concat'
          ? [[...fw.slice(0, last), (fw[last] as number) + (bw[last] as number)]]
          : [fw];
    return [...merged, ...fwStates, ...bwStates];
  }

  /** Weight shapes: the forward layer's (names `forward_…`), then the backward layer's. */
  weightSpecs(inputShape: readonly Dim[]): LayerWeightSpec[] {
    const prefixed = (layer: RecurrentLayer, prefix: string) =>
      layer.weightSpecs(inputShape).map((w) => ({ ...w, name: `${prefix}${w.name}` }));
    return [
      ...prefixed(this.forwardLayer, 'forward_'),
      ...prefixed(this.backwardLayer, 'backward_'),
    ];
  }

  /** Forward weights, then backward weights (Keras order). */
  getWeights(): tf.Tensor[] {
    return [...this.forwardLayer.getWeights(), ...this.backwardLayer.getWeights()];
  }

  /** Sets forward then backward weights. */
  setWeights(weights: tf.Tensor[]): void {
    if (!Array.isArray(weights) || weights.length % 2 !== 0) {
      invalidArgument(
        `${this.name} weights`,
        'forward weights then backward weights (an even count)',
        Array.isArray(weights) ? `${weights.length} tensors` : typeof weights,
      );
    }
    const half = weights.length / 2;
    this.forwardLayer.setWeights(weights.slice(0, half));
    this.backwardLayer.setWeights(weights.slice(half));
  }

  /** Resets both directions' states (stateful layers); `values` forward then backward. */
  resetStates(values?: tf.Tensor[]): void {
    const nf = this.forwardLayer.stateSizes.length;
    this.forwardLayer.resetStates(values?.slice(0, nf));
    this.backwardLayer.resetStates(values?.slice(nf));
  }

  /** Number of scalar weights. */
  countParams(): number {
    return this.forwardLayer.countParams() + this.backwardLayer.countParams();
  }

  /** Keras `get_config()`. */
  getConfig(): Record<string, unknown> {
    const serialize = (l: RecurrentLayer) => ({ class_name: l.className, config: l.getConfig() });
    const config: Record<string, unknown> = {
      name: this.name,
      trainable: true,
      dtype: 'float32',
      layer: serialize(this.forwardLayer),
      merge_mode: this.mergeMode,
    };
    if (this.customBackward) config.backward_layer = serialize(this.backwardLayer);
    return config;
  }

  /** Releases both directions. */
  dispose(): void {
    this.forwardLayer.dispose();
    this.backwardLayer.dispose();
  }
}
