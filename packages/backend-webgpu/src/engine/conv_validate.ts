/**
 * Checks a ConvLSTM kernel call (core's `checkConvLSTMCall` plus this backend's limit) and derives
 * the geometry of both convolutions and the shader configuration.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkConvLSTMCall,
  ConvLSTMSequence,
  convOutputSize,
  RnnkitError,
  type CheckedConvLSTMCall,
  type KernelActivation,
} from '@rnnkit/core';

/**
 * A convolution over three spatial axes (depth, height, width; leading axes of size 1 for
 * ConvLSTM1D/2D), TensorFlow padding.
 */
export interface ConvGeometry {
  inSize: number[];
  outSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each axis: `floor(total / 2)` for `same`, 0 for `valid`. */
  padBefore: number[];
}

/** Everything that changes the generated shaders (batch and time come from a uniform). */
export interface ConvShaderConfig {
  /** F, the filters. */
  filters: number;
  /** C, the input channels. */
  channels: number;
  /** The input convolution; the recurrent one is `same`, stride 1 over `input.outSize`. */
  input: ConvGeometry;
  activation: KernelActivation;
  recurrentActivation: KernelActivation;
  returnSequences: boolean;
  zeroOutputForMask: boolean;
  /** How the mask is stored on the GPU: bool and int32 tensors as `i32`, float32 as `f32`. */
  mask: 'none' | 'i32' | 'f32';
  recurrentMask: boolean;
}

/** A checked call (core's, see `checkConvLSTMCall`) with its shader configuration. */
export interface CheckedConvCall extends CheckedConvLSTMCall<TensorInfo> {
  goBackwards: boolean;
  alignToInput: boolean;
  config: ConvShaderConfig;
}

/** A per-axis list of the N spatial axes padded to three, with `fill` in front. */
function toThree(values: readonly number[], fill: number): number[] {
  return [...Array<number>(3 - values.length).fill(fill), ...values];
}

/** The geometry of a convolution with TensorFlow's padding rule. */
export function convGeometry(
  inSize: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  padding: 'valid' | 'same',
): ConvGeometry {
  const outSize = inSize.map((n, i) =>
    convOutputSize(n, kernel[i], strides[i], dilations[i], padding),
  );
  const padBefore = inSize.map((n, i) => {
    if (padding === 'valid') return 0;
    const span = dilations[i] * (kernel[i] - 1) + 1;
    return Math.floor(Math.max((outSize[i] - 1) * strides[i] + span - n, 0) / 2);
  });
  return { inSize, outSize, kernel, strides, dilations, padBefore };
}

/**
 * Checks a call of the ConvLSTM kernel with core's `checkConvLSTMCall`, then this backend's own
 * limit, and derives its geometry and shader configuration.
 */
export function checkConvCall(inputs: NamedTensorInfoMap, attrs: NamedAttrMap): CheckedConvCall {
  const call = checkConvLSTMCall<TensorInfo>(inputs, attrs);
  const { attrs: a, mask, recurrentMask } = call;
  // A limit of this backend: with no input channels, x and the kernel would be empty storage
  // buffers, which WebGPU cannot bind.
  if (call.channels < 1) {
    throw new RnnkitError(
      `${ConvLSTMSequence}: x: expected at least one channel, got shape [${call.x.shape.join(', ')}]`,
    );
  }
  const input = convGeometry(
    toThree(call.spatial, 1),
    toThree(call.kernelSize, 1),
    toThree(a.strides, 1),
    toThree(a.dilationRate, 1),
    a.padding,
  );
  return {
    ...call,
    goBackwards: a.goBackwards,
    alignToInput: a.alignToInput,
    config: {
      filters: call.filters,
      channels: call.channels,
      input,
      activation: a.activation,
      recurrentActivation: a.recurrentActivation,
      returnSequences: a.returnSequences,
      zeroOutputForMask: a.zeroOutputForMask,
      mask: mask == null ? 'none' : mask.dtype === 'float32' ? 'f32' : 'i32',
      recurrentMask: recurrentMask != null,
    },
  };
}
