/**
 * Checking the output gradients a ConvLSTM backward call (`RnnkitConvLSTMSequenceGrad`) takes
 * beside the forward inputs, as `checkSequenceGradients` of @rnnkit/core does for the dense
 * families: every error names the kernel, the argument, what was expected and what was given.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  ConvLSTMSequence,
  RnnkitError,
  sequenceGradKernelName,
  type CheckedConvLSTMCall,
} from '@rnnkit/core';

/** The output gradients of a checked ConvLSTM backward call. */
export interface ConvLSTMGradients {
  /** The shape of the forward call's `output`. */
  dOutput: TensorInfo;
  dH: TensorInfo;
  dC: TensorInfo;
}

function checkGradient(argument: string, info: TensorInfo | undefined, expected: number[]) {
  const name = sequenceGradKernelName(ConvLSTMSequence);
  const want = `shape [${expected.join(', ')}]`;
  if (info == null) {
    throw new RnnkitError(`${name}: ${argument}: expected a tensor of ${want}, got none`);
  }
  if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
    throw new RnnkitError(
      `${name}: ${argument}: expected ${want}, got shape [${info.shape.join(', ')}]`,
    );
  }
  if (info.dtype !== 'float32') {
    throw new RnnkitError(`${name}: ${argument}: expected dtype float32, got ${info.dtype}`);
  }
  return info;
}

/**
 * Checks `dOutput` (float32, the forward output's shape: `[B, T, ...O, F]` with
 * `returnSequences`, else `[B, ...O, F]`), `dH` and `dC` (`[B, ...O, F]`) of a call `call`
 * already checked by `checkConvLSTMCall`.
 */
export function checkConvLSTMGradients(
  inputs: Readonly<Record<string, TensorInfo | undefined>>,
  call: CheckedConvLSTMCall<TensorInfo>,
): ConvLSTMGradients {
  const state = [call.batch, ...call.outSpatial, call.filters];
  const output = call.attrs.returnSequences
    ? [call.batch, call.steps, ...call.outSpatial, call.filters]
    : state;
  return {
    dOutput: checkGradient('dOutput', inputs.dOutput, output),
    dH: checkGradient('dH', inputs.dH, state),
    dC: checkGradient('dC', inputs.dC, state),
  };
}
