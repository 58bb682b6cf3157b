/**
 * The ConvLSTM forward kernel body while tfjs records a gradient tape: the module's
 * `convLSTMGradForward` (the forward half of the backward kernel) writes the outputs and leaves
 * every step's activations in a heap block kept for the backward call (`saved.ts`), so that it
 * need not recompute the forward pass.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { checkConvLSTMCall, ConvLSTMSequence } from '@rnnkit/core';
import { stateFor, type WasmBackendLike } from '../../engine/state.js';
import { convGradCall, stageConvGradCall } from './conv_grad_call.js';
import { callOptions, forwardInputs, recordCall, runOnThreads } from './module_args.js';
import { saveForward } from './saved.js';

/** Runs one ConvLSTM call, keeping its activations for the backward call; `[output, h, c]`. */
export function runConvLSTMRecording(
  inputs: NamedTensorInfoMap,
  backend: unknown,
  attrs: NamedAttrMap | undefined,
): TensorInfo[] {
  const call = checkConvLSTMCall(inputs, attrs);
  const { batch, steps, filters } = call;
  const state = stateFor(backend as WasmBackendLike);
  state.beginCall();
  const c = convGradCall(state, call);
  const outShape = call.attrs.returnSequences
    ? [batch, steps, ...call.outSpatial, filters]
    : c.stateShape;
  const frame = state.frame(
    forwardInputs(c.call, c.mask),
    [outShape, c.stateShape, c.stateShape],
    c.frameBytes,
  );
  let outputs: TensorInfo[];
  const block = state.ownBlock(c.savedBytes);
  try {
    const args = [
      ...stageConvGradCall(state, c, frame.scratch, frame.inputs),
      ...frame.outputs,
      ...callOptions(call.attrs, frame.scratch),
      block.pointer,
    ];
    runOnThreads(state, 'convLSTMGradForward', args, c.threads);
    outputs = frame.finish();
  } catch (e) {
    frame.abort();
    state.releaseBlock(block);
    throw e;
  }
  saveForward(state, ConvLSTMSequence, outputs, attrs, block);
  recordCall(ConvLSTMSequence, c.threads > 1);
  return outputs;
}
