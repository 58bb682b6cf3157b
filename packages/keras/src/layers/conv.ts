/**
 * Keras convolutions: `Conv1D`, `Conv2D`, `Conv3D` (with `groups`), `SeparableConv1D/2D` and
 * `DepthwiseConv1D/2D`. Padding is applied explicitly with TF's amounts ("same" puts the odd
 * element after, "causal" pads only before), and 1D runs as a 2D convolution of height 1, so
 * every backend computes the same thing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, formatShape } from '../errors.js';
import { activationName, resolveLayerActivation, type ActivationFn } from './activations.js';
import { BaseLayer, dropMask, oneInput } from './base.js';
import { ConfigReader } from './config_reader.js';
import { single } from './shapes.js';
import {
  inChannelsLast,
  joinShape,
  outputLength,
  padAmounts,
  padSpatial,
  readChannelsFirst,
  readCount,
  readPadding,
  readSizes,
  splitShape,
  type Padding,
} from './spatial.js';
import type { CallArgs, CallResult, LayerContext, LayerJson, Shape, WeightSpec } from './types.js';

type ConvKind = 'conv' | 'separable' | 'depthwise';

/** The convolution classes: their number of spatial axes and kind. */
export const CONV_CLASSES: Record<string, { rank: 1 | 2 | 3; kind: ConvKind }> = {
  Conv1D: { rank: 1, kind: 'conv' },
  Conv2D: { rank: 2, kind: 'conv' },
  Conv3D: { rank: 3, kind: 'conv' },
  SeparableConv1D: { rank: 1, kind: 'separable' },
  SeparableConv2D: { rank: 2, kind: 'separable' },
  DepthwiseConv1D: { rank: 1, kind: 'depthwise' },
  DepthwiseConv2D: { rank: 2, kind: 'depthwise' },
};

/** A Keras convolution layer of any class in {@link CONV_CLASSES}. */
export class Conv extends BaseLayer {
  readonly rank: 1 | 2 | 3;
  readonly kind: ConvKind;
  /** Output channels of `conv` and `separable` (null for `depthwise`). */
  readonly filters: number | null;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilations: number[];
  readonly padding: Padding;
  readonly channelsFirst: boolean;
  readonly groups: number;
  readonly depthMultiplier: number;
  readonly useBias: boolean;
  private readonly activation: ActivationFn;
  private readonly keras2: boolean;

  constructor(json: LayerJson, ctx: LayerContext) {
    const r = new ConfigReader(json, ctx);
    super(r);
    const { rank, kind } = CONV_CLASSES[json.class_name];
    this.rank = rank;
    this.kind = kind;
    this.keras2 = ctx.keras2;
    this.filters = kind === 'depthwise' ? null : r.positiveInt('filters', 1_000_000);
    this.kernelSize = readSizes(r, 'kernel_size', rank, null);
    this.strides = readSizes(r, 'strides', rank, Array(rank).fill(1));
    this.dilations = readSizes(r, 'dilation_rate', rank, Array(rank).fill(1));
    this.padding = readPadding(r, rank === 1);
    this.channelsFirst = readChannelsFirst(r);
    if (kind === 'conv') {
      this.groups = readCount(r, 'groups', 1);
      this.depthMultiplier = 1;
    } else {
      r.only('groups', [1]);
      this.groups = 1;
      this.depthMultiplier = readCount(r, 'depth_multiplier', 1);
    }
    if (this.filters != null && this.filters % this.groups !== 0) {
      r.error(
        'groups',
        `= ${this.groups} must divide the number of filters evenly; expected a divisor of filters = ${this.filters}`,
      );
    }
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilations) > 1) {
      r.error(
        'strides',
        `> 1 cannot be combined with dilation_rate > 1 (Keras refuses this too); got strides ${formatShape(this.strides)} and dilation_rate ${formatShape(this.dilations)}`,
      );
    }
    this.useBias = r.bool('use_bias', true);
    this.activation = resolveLayerActivation(
      activationName(r.raw('activation'), r.label, 'activation'),
      ctx,
      r.label,
    );
    r.only('lora_rank', [null, 0], 'is not supported');
    r.only('lora_alpha', [null, undefined]);
    r.finish();
  }

  /** Input channels, checked against the groups. */
  private inChannels(shape: Shape): number {
    const { channels } = splitShape(this.label, shape, this.rank, this.channelsFirst);
    if (channels == null) {
      fail(
        `${this.label}: the channel axis of the input must be known, got shape ${formatShape(shape)}`,
      );
    }
    if (channels % this.groups !== 0) {
      fail(
        `${this.label}: option 'groups' = ${this.groups} must divide the input channels evenly; got ${channels} channels (input shape ${formatShape(shape)})`,
      );
    }
    return channels;
  }

  private outChannels(inChannels: number): number {
    return this.filters ?? inChannels * this.depthMultiplier;
  }

  private spatialOut(spatial: (number | null)[]): (number | null)[] {
    return spatial.map((len, i) =>
      outputLength(
        this.label,
        'kernel_size',
        len,
        this.kernelSize[i],
        this.padding,
        this.strides[i],
        this.dilations[i],
      ),
    );
  }

  outputShapes(inputShapes: Shape[]): Shape[] {
    const shape = single(this.label, inputShapes);
    const inChannels = this.inChannels(shape);
    const { spatial } = splitShape(this.label, shape, this.rank, this.channelsFirst);
    return [
      joinShape(
        shape[0],
        this.spatialOut(spatial),
        this.outChannels(inChannels),
        this.channelsFirst,
      ),
    ];
  }

  override weightSpecs(inputShapes: Shape[]): WeightSpec[] {
    const inChannels = this.inChannels(single(this.label, inputShapes));
    const k = this.kernelSize;
    const out = this.outChannels(inChannels);
    const specs: WeightSpec[] =
      this.kind === 'conv'
        ? [{ name: 'kernel', shape: [...k, inChannels / this.groups, out] }]
        : [{ name: 'depthwise_kernel', shape: [...k, inChannels, this.depthMultiplier] }];
    if (this.kind === 'separable') {
      const ones = Array<number>(this.rank).fill(1);
      specs.push({
        name: 'pointwise_kernel',
        shape: [...ones, inChannels * this.depthMultiplier, out],
      });
    }
    if (this.useBias) specs.push({ name: 'bias', shape: [out] });
    return specs;
  }

  call(args: CallArgs): CallResult {
    const [input, mask] = oneInput(this.label, args);
    const inChannels = this.inChannels(input.shape);
    const { spatial } = splitShape(this.label, input.shape, this.rank, this.channelsFirst);
    this.spatialOut(spatial);
    const x = tf.cast(input, 'float32');
    const y = inChannelsLast(x, this.channelsFirst, (xl) => {
      const pads = (xl.shape.slice(1, -1) as number[]).map((len, i) =>
        padAmounts(len, this.kernelSize[i], this.padding, this.strides[i], this.dilations[i]),
      );
      let out = this.convolve(padSpatial(xl, pads), inChannels);
      if (this.useBias) out = tf.add(out, this.weight(this.kind === 'separable' ? 2 : 1));
      return this.activation(out);
    });
    return { outputs: [y], masks: [dropMask(this.label, this.keras2, mask)] };
  }

  /** The 'valid' convolution of an already padded channels_last input. */
  private convolve(x: tf.Tensor, inChannels: number): tf.Tensor {
    const kernel = this.weight(0);
    if (this.rank === 3) return this.grouped(x, kernel, (xs, k) => conv3d(xs, k, this));
    // 1D runs as 2D with a height of 1.
    const image = this.rank === 1 ? tf.expandDims(x, 1) : x;
    const kernel2d = this.rank === 1 ? tf.expandDims(kernel, 0) : kernel;
    const strides = (this.rank === 1 ? [1, ...this.strides] : this.strides) as [number, number];
    const dilations = (this.rank === 1 ? [1, ...this.dilations] : this.dilations) as [
      number,
      number,
    ];
    let out: tf.Tensor4D;
    if (this.kind === 'conv') {
      out = this.grouped(image, kernel2d, (xs, k) =>
        tf.conv2d(xs as tf.Tensor4D, k as tf.Tensor4D, strides, 'valid', 'NHWC', dilations),
      ) as tf.Tensor4D;
    } else {
      out = tf.depthwiseConv2d(
        image as tf.Tensor4D,
        kernel2d as tf.Tensor4D,
        strides,
        'valid',
        'NHWC',
        dilations,
      );
      if (this.kind === 'separable') {
        const pointwise = tf.reshape(this.weight(1), [
          1,
          1,
          inChannels * this.depthMultiplier,
          this.filters as number,
        ]) as tf.Tensor4D;
        out = tf.conv2d(out, pointwise, 1, 'valid');
      }
    }
    return this.rank === 1 ? tf.squeeze(out, [1]) : out;
  }

  /** Splits input channels and filters into `groups` convolutions and concatenates them. */
  private grouped(
    x: tf.Tensor,
    kernel: tf.Tensor,
    op: (x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor,
  ): tf.Tensor {
    if (this.groups === 1) return op(x, kernel);
    const xs = tf.split(x, this.groups, -1);
    const ks = tf.split(kernel, this.groups, -1);
    return tf.concat(
      xs.map((xi, i) => op(xi, ks[i])),
      -1,
    );
  }
}

function conv3d(x: tf.Tensor, kernel: tf.Tensor, layer: Conv): tf.Tensor {
  return tf.conv3d(
    x as tf.Tensor5D,
    kernel as tf.Tensor5D,
    layer.strides as [number, number, number],
    'valid',
    'NDHWC',
    layer.dilations as [number, number, number],
  );
}
