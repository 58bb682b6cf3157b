/**
 * Checking the output gradients of a ConvLSTM backward call (`RnnkitConvLSTMSequenceGrad`)
 * against the forward call's shapes, as core checks the forward inputs: every error names the
 * kernel, the argument, what was expected and what was given.
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
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
  /** The shape of the states, `[B, ...O, F]`. */
  dH: TensorInfo;
  dC: TensorInfo;
}

const NAME = sequenceGradKernelName(ConvLSTMSequence);

function checkGradient(
  argument: string,
  info: TensorInfo | undefined,
  expected: readonly number[],
): TensorInfo {
  const shape = `shape [${expected.join(', ')}]`;
  if (info == null)
    throw new RnnkitError(`${NAME}: ${argument}: expected a tensor of ${shape}, got none`);
  if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
    throw new RnnkitError(
      `${NAME}: ${argument}: expected ${shape}, got shape [${info.shape.join(', ')}]`,
    );
  }
  if (info.dtype !== 'float32') {
    throw new RnnkitError(`${NAME}: ${argument}: expected dtype float32, got ${info.dtype}`);
  }
  return info;
}

/**
 * Checks `dOutput` (`[B, T, ...O, F]` with `returnSequences`, else `[B, ...O, F]`), `dH` and
 * `dC` (`[B, ...O, F]`), all float32, against the checked forward call.
 */
export function checkConvLSTMGradients(
  call: CheckedConvLSTMCall<TensorInfo>,
  inputs: NamedTensorInfoMap,
): ConvLSTMGradients {
  const { batch, steps, outSpatial, filters } = call;
  const state = [batch, ...outSpatial, filters];
  const output = call.attrs.returnSequences ? [batch, steps, ...outSpatial, filters] : state;
  return {
    dOutput: checkGradient('dOutput', inputs.dOutput, output),
    dH: checkGradient('dH', inputs.dH, state),
    dC: checkGradient('dC', inputs.dC, state),
  };
}
