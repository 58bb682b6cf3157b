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
import {
  activationCode,
  effectiveMask,
  effectiveRecurrentMask,
  recordCall,
  sequenceFlags,
} from './module_args.js';
import { saveForward } from './saved.js';

/** Runs one ConvLSTM call, keeping its activations for the backward call; `[output, h, c]`. */
export function runConvLSTMRecording(
  inputs: NamedTensorInfoMap,
  backend: unknown,
  attrs: NamedAttrMap | undefined,
): TensorInfo[] {
  const call = checkConvLSTMCall(inputs, attrs);
  const { batch, steps, filters, x } = call;
  const state = stateFor(backend as WasmBackendLike);
  const ex = state.exports;
  state.beginCall();
  const c = convGradCall(state, call);
  const stateShape = [batch, ...call.outSpatial, filters];
  const outShape = call.attrs.returnSequences
    ? [batch, steps, ...call.outSpatial, filters]
    : stateShape;
  const frame = state.frame(
    [
      x,
      call.kernel,
      call.recurrentKernel,
      call.bias,
      call.initialH,
      call.initialC,
      c.byteMask,
      call.recurrentMask,
    ],
    [outShape, stateShape, stateShape],
    c.frameBytes,
  );
  let outputs: TensorInfo[];
  const block = state.ownBlock(c.savedBytes);
  try {
    const [xPtr, wPtr, uPtr, bPtr, h0Ptr, c0Ptr, byteMaskPtr, rmPtr] = frame.inputs;
    const [inSource, recSource, maskPtr] = stageConvGradCall(
      state,
      call,
      c,
      frame.scratch,
      byteMaskPtr,
    );
    const [outPtr, hPtr, cPtr] = frame.outputs;
    const args = [
      ...c.sizes,
      xPtr,
      inSource,
      recSource,
      wPtr,
      uPtr,
      bPtr,
      h0Ptr,
      c0Ptr,
      effectiveMask(state, maskPtr, batch * steps),
      effectiveRecurrentMask(state, rmPtr, batch * c.positions * filters),
      outPtr,
      hPtr,
      cPtr,
      frame.scratch,
      sequenceFlags(call.attrs),
      activationCode(call.attrs.activation),
      activationCode(call.attrs.recurrentActivation),
      block.pointer,
    ];
    if (c.threads > 1) state.pool!.run(args, c.threads, 'convLSTMGradForward');
    else (ex.convLSTMGradForward as (...values: number[]) => void)(...args, 0, 1, 0, 0);
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
