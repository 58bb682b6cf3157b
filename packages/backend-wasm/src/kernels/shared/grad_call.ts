/**
 * What the backward kernel of the dense families (`run_grad.ts`) and their taped forward (its
 * forward half, `run_recording.ts`) hand the WebAssembly module beside the tensors: the sizes of
 * the module's scratch and saved activations, and the byte mask, staged after the scratch.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CheckedSequenceCall, SequenceKernelName } from '@rnnkit/core';
import type { BackendState } from '../../engine/state.js';
import {
  align,
  familyOf,
  forwardPointers,
  stepMask,
  type FamilyCode,
  type StepMask,
} from './module_args.js';

/** A checked sequence call as the module's backward entry points take it. */
export interface GradCall {
  call: CheckedSequenceCall<TensorInfo>;
  /** The module's size arguments: family, batch, steps, inputDim, units. */
  sizes: [FamilyCode, number, number, number, number];
  /** Bytes of the module's scratch (64-byte multiple). */
  scratchBytes: number;
  /** Bytes of the saved activations a backward pass reads. */
  savedBytes: number;
  /** Bytes to ask the call frame for: the scratch and a byte mask. */
  frameBytes: number;
  mask: StepMask;
}

/** Sizes of the module call for `call` of `kernel`. */
export function gradCall(
  state: BackendState,
  kernel: SequenceKernelName,
  call: CheckedSequenceCall<TensorInfo>,
): GradCall {
  const { batch, steps, inputDim, units, mask } = call.inputs;
  const sizes: GradCall['sizes'] = [
    familyOf(kernel, call.attrs.resetAfter),
    batch,
    steps,
    inputDim,
    units,
  ];
  const scratchBytes = align(state.exports.gradScratchBytes(...sizes));
  const m = stepMask(mask, batch * steps);
  return {
    call,
    sizes,
    scratchBytes,
    savedBytes: state.exports.gradSavedBytes(...sizes),
    frameBytes: scratchBytes + m.bytes,
    mask: m,
  };
}

/**
 * Writes a numeric mask as bytes after the scratch at `scratch`; returns the module arguments
 * both backward entry points start with, from the sizes to the recurrent mask, given the frame's
 * pointers of `forwardInputs`.
 */
export function stageGradCall(
  state: BackendState,
  c: GradCall,
  scratch: number,
  inputs: readonly number[],
): number[] {
  const { batch, units } = c.call.inputs;
  return [
    ...c.sizes,
    ...forwardPointers(state, c.mask, inputs, scratch + c.scratchBytes, batch * units),
  ];
}
