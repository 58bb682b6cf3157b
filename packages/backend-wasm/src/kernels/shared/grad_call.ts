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
  effectiveMask,
  effectiveRecurrentMask,
  familyOf,
  stageStepMask,
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
 * The forward inputs of the call in the order of the module's arguments, the frame's first
 * inputs (`x` to the recurrent mask; the mask when read in place).
 */
export function gradInputs(c: GradCall): (TensorInfo | null)[] {
  const p = c.call.inputs;
  return [
    p.x,
    p.kernel,
    p.recurrentKernel,
    p.bias,
    p.initialH,
    p.initialC,
    c.mask.byteMask,
    p.recurrentMask,
  ];
}

/**
 * Writes a numeric mask as bytes after the scratch at `scratch`; returns the module arguments
 * both backward entry points start with, from the sizes to the recurrent mask, given the frame's
 * pointers of {@link gradInputs}.
 */
export function stageGradCall(
  state: BackendState,
  c: GradCall,
  scratch: number,
  inputs: readonly number[],
): number[] {
  const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr] = inputs;
  const { batch, units } = c.call.inputs;
  const maskPtr = stageStepMask(state, c.mask, byteMaskPtr, scratch + c.scratchBytes);
  return [
    ...c.sizes,
    xPtr,
    wPtr,
    uPtr,
    bPtr,
    h0Ptr,
    c0Ptr,
    effectiveMask(state, maskPtr, c.mask.count),
    effectiveRecurrentMask(state, rmPtr, batch * units),
  ];
}
