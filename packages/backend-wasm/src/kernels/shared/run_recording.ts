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
import { gradCall, stageGradCall } from './grad_call.js';
import { callOptions, forwardInputs, recordCall } from './module_args.js';
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
  const call = checkSequenceCall(kernel, inputs, attrs);
  const { batch, steps, units } = call.inputs;

  const state = stateFor(backend as WasmBackendLike);
  state.beginCall();
  const c = gradCall(state, kernel, call);
  const outShape = call.attrs.returnSequences ? [batch, steps, units] : [batch, units];
  const frame = state.frame(
    forwardInputs(c.call.inputs, c.mask),
    [outShape, ...stateShapes(sequenceFamily(kernel), batch, units)],
    c.frameBytes,
  );
  let outputs: TensorInfo[];
  const block = state.ownBlock(c.savedBytes);
  try {
    const [outPtr, hPtr, cPtr] = frame.outputs;
    (state.exports.sequenceGradForward as (...values: number[]) => void)(
      ...stageGradCall(state, c, frame.scratch, frame.inputs),
      outPtr,
      hPtr,
      cPtr ?? 0,
      ...callOptions(call.attrs, frame.scratch),
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
