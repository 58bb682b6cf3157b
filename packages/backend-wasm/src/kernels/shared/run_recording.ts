/**
 * The forward kernel body while tfjs records a gradient tape: the module's
 * `sequenceGradForward` (the forward half of the backward kernel) writes the outputs and leaves
 * every step's activations in a heap block kept for the backward call (`saved.ts`), so that it
 * need not recompute the forward pass.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  checkSequenceCall,
  sequenceFamily,
  stateShapes,
  type SequenceKernelName,
} from '@rnnkit/core';
import { stateFor, type WasmBackendLike } from '../../engine/state.js';
import {
  activationCode,
  align,
  effectiveMask,
  effectiveRecurrentMask,
  familyOf,
  recordCall,
  sequenceFlags,
  writeByteMask,
} from './module_args.js';
import { saveForward } from './saved.js';

/**
 * Runs one call of `kernel` as {@link runSequence} does, keeping its activations for the
 * backward call. Returns `[output, h]`, plus `c` for LSTM.
 */
export function runSequenceRecording(
  kernel: SequenceKernelName,
  inputs: NamedTensorInfoMap,
  backend: unknown,
  attrs: NamedAttrMap | undefined,
): TensorInfo[] {
  const wasmBackend = backend as WasmBackendLike;
  const { attrs: a, inputs: p } = checkSequenceCall(kernel, inputs, attrs);
  const { batch, steps, inputDim, units, x, mask, recurrentMask } = p;
  const family = familyOf(kernel, a.resetAfter);

  const state = stateFor(wasmBackend);
  const ex = state.exports;
  state.beginCall();
  const gradBytes = align(ex.gradScratchBytes(family, batch, steps, inputDim, units));
  // A bool mask is read as is; any other is written as bytes after the module's scratch.
  const byteMask = mask != null && mask.dtype === 'bool' ? mask : null;
  const maskBytes = mask != null && byteMask == null ? align(batch * steps) : 0;
  const outShape = a.returnSequences ? [batch, steps, units] : [batch, units];
  const frame = state.frame(
    [x, p.kernel, p.recurrentKernel, p.bias, p.initialH, p.initialC, byteMask, recurrentMask],
    [outShape, ...stateShapes(sequenceFamily(kernel), batch, units)],
    gradBytes + maskBytes,
  );
  let outputs: TensorInfo[];
  const block = state.ownBlock(ex.gradSavedBytes(family, batch, steps, inputDim, units));
  try {
    const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr] = frame.inputs;
    let maskPtr = byteMaskPtr;
    if (mask != null && byteMask == null) {
      maskPtr = frame.scratch + gradBytes;
      writeByteMask(state, mask, batch * steps, maskPtr);
    }
    const [outPtr, hPtr, cPtr] = frame.outputs;
    ex.sequenceGradForward(
      family,
      batch,
      steps,
      inputDim,
      units,
      xPtr,
      wPtr,
      uPtr,
      bPtr,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, rmPtr, batch * units),
      outPtr,
      hPtr,
      cPtr ?? 0,
      frame.scratch,
      sequenceFlags(a),
      activationCode(a.activation),
      activationCode(a.recurrentActivation),
      block.pointer,
    );
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    state.releaseBlock(block);
    throw e;
  }
  saveForward(state, kernel, outputs, attrs, block);
  recordCall(kernel, false);
  return outputs;
}
