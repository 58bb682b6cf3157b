/**
 * Checks a ConvLSTM kernel call (core's `checkConvLSTMCall` plus this backend's limit) and derives
 * its shader configuration, the input convolution's geometry included (core's `convLSTMGeometry`).
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkConvLSTMCall,
  convLSTMGeometry,
  ConvLSTMSequence,
  RnnkitError,
  type CheckedConvLSTMCall,
  type ConvGeometry,
  type KernelActivation,
} from '@rnnkit/core';

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
  const { input } = convLSTMGeometry(call);
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
