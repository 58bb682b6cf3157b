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

/** The output gradients of a ConvLSTM backward call, checked by {@link checkConvGradients}. */
export interface CheckedConvGradients {
  dOutput: TensorInfo;
  dH: TensorInfo;
  dC: TensorInfo;
}

/**
 * Checks the output gradients a ConvLSTM backward call takes beside the forward's inputs (already
 * checked into `call`): float32 `dOutput` of the forward output's shape (`[B, T, ...O, F]` with
 * `returnSequences`, else `[B, ...O, F]`), and `dH`, `dC` `[B, ...O, F]`.
 */
export function checkConvGradients(
  inputs: NamedTensorInfoMap,
  call: CheckedConvLSTMCall<TensorInfo>,
): CheckedConvGradients {
  const name = `${ConvLSTMSequence}Grad`;
  const state = [call.batch, ...call.outSpatial, call.filters];
  const check = (argument: string, expected: number[]): TensorInfo => {
    const info = inputs[argument];
    const want = `shape [${expected.join(', ')}]`;
    if (info == null) {
      throw new RnnkitError(`${name}: ${argument}: expected a tensor of ${want}, got none`);
    }
    if (info.shape.length !== expected.length || info.shape.some((d, k) => d !== expected[k])) {
      throw new RnnkitError(
        `${name}: ${argument}: expected ${want}, got shape [${info.shape.join(', ')}]`,
      );
    }
    if (info.dtype !== 'float32') {
      throw new RnnkitError(`${name}: ${argument}: expected dtype float32, got ${info.dtype}`);
    }
    return info;
  };
  return {
    dOutput: check(
      'dOutput',
      call.attrs.returnSequences
        ? [call.batch, call.steps, ...call.outSpatial, call.filters]
        : state,
    ),
    dH: check('dH', state),
    dC: check('dC', state),
  };
}
